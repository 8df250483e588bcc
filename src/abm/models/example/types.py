"""State and signals of the example slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``G`` groups of people at risk (:data:`N_GROUPS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf

#: Groups of people at risk of emigrating (the slice's agents).
N_GROUPS = 64


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class EmigreState:
    """The emigres slice's state."""

    month: jax.Array = leaf((), "int32", doc="index of the month about to be simulated")
    stayed: jax.Array = leaf(("group",), "float32", "thousand persons", "still in Germany")
    emigrated: jax.Array = leaf(("group",), "float32", "thousand persons", "left so far")
    wave_month: jax.Array = leaf(
        (), "int32", doc="first month a tenth of the people at risk had left, -1 not yet"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class EmigreSignals:
    """What the emigres slice lets other slices read (one run)."""

    emigrated_share: jax.Array = leaf((), "float32", "1", "share of the people at risk gone")
