"""State and signals of the diplomacy slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``S`` = 16 states (:data:`~abm.models.interwar.diplomacy.states.STATES`), the
threat matrix ``[S, S]`` (row: who perceives, column: whom), ``K`` = 4 sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class DiplomacyState:
    """The diplomacy slice's state."""

    month: jax.Array = leaf((), "int32", doc="index of the month about to be simulated")
    capability: jax.Array = leaf(
        ("country",), "float32", "COW index", "each state's material capability this month"
    )
    threat: jax.Array = leaf(
        ("country", "other_country"),
        "float32",
        "COW index",
        "threat each state perceives from each other: capability x proximity x hostility, smoothed",
    )
    side: jax.Array = leaf(
        ("country",), "int32", doc="side taken at the 1939 crisis (SIDES), -1 not yet"
    )
    munich_month: jax.Array = leaf(
        (), "int32", doc="month the West gave way over Czechoslovakia, -1 never"
    )
    prague_month: jax.Array = leaf(
        (), "int32", doc="month Germany occupied what was left of Czechoslovakia, -1 never"
    )
    war_month: jax.Array = leaf(
        (), "int32", doc="month the European war began (the crisis under a Nazi Germany), -1 never"
    )
    pact_month: jax.Array = leaf((), "int32", doc="month of a German-Soviet pact, -1 never")
    alliance_month: jax.Array = leaf(
        (), "int32", doc="month of an Anglo-French-Soviet alliance, -1 never"
    )
    intervention_month: jax.Array = leaf(
        (), "int32", doc="month the West turned against the USSR, -1 never"
    )
    side_noise: jax.Array = leaf(
        ("country", "side"), "float32", "1", "standard Gumbel noise of each state's choice of side"
    )
    choice_noise: jax.Array = leaf(
        ("soviet_option",), "float32", "1", "standard Gumbel noise of the Soviet choice"
    )
    chance: jax.Array = leaf(
        ("decision",), "float32", "1", "uniforms of Munich, the West's offer, intervention"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class DiplomacySignals:
    """What the diplomacy slice lets other slices read (one run)."""

    ussr_threat: jax.Array = leaf(
        (), "float32", "COW index", "the largest threat the USSR perceives"
    )
    war_month: jax.Array = leaf(
        (), "int32", doc="month the European war began (the 1939 crisis), -1 none"
    )
    pact_month: jax.Array = leaf((), "int32", doc="month of a German-Soviet pact, -1 none")
    alliance_month: jax.Array = leaf(
        (), "int32", doc="month of an Anglo-French-Soviet alliance, -1 none"
    )
    intervention_month: jax.Array = leaf(
        (), "int32", doc="month the West turned against the USSR, -1 none"
    )
