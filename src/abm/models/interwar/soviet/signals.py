"""What the Soviet slice publishes to other slices."""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Influence:
    """What the Soviet leadership sends to the Germany slice (float32 scalars)."""

    comintern_line: jax.Array = leaf(
        (), "float32", doc="the KPD's line, 0 social fascism .. 1 united front"
    )
    kpd_support: jax.Array = leaf(
        (), "float32", doc="multiplier on the KPD's paramilitary strength"
    )
