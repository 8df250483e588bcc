"""What the Germany slice publishes to other slices."""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class GermanySignals:
    """What the Germany slice lets other slices read (one run)."""

    nazi_month: jax.Array = leaf(
        (), "int32", doc="first month of a Nazi-led government, -1 not yet"
    )
