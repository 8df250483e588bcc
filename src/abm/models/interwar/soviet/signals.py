"""What the Soviet slice publishes to other slices (the Comintern's line, the Red Army)."""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Influence:
    """What the Soviet slice publishes each month (float32 scalars).

    The line and support the leadership sends the KPD, and the Red Army's size and
    command quality (for a later war slice).
    """

    comintern_line: jax.Array = leaf(
        (), "float32", doc="the KPD's line, 0 social fascism .. 1 united front"
    )
    kpd_support: jax.Array = leaf(
        (), "float32", doc="multiplier on the KPD's paramilitary strength"
    )
    army: jax.Array = leaf(
        (), "float32", doc="Red Army personnel, thousands (for a later war slice)"
    )
    army_quality: jax.Array = leaf(
        (), "float32", doc="Red Army command quality index, 0..1 (for a later war slice)"
    )
