"""State and signals of the China slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``A`` = 4 actors (:data:`~abm.models.interwar.china.actors.ACTORS`: the KMT's
central army, the regional militarists, the CCP's Red Army, Japan's army in China), the
slice's agents; ``W`` = 2 sides of a war (China, Japan); ``C`` = 2 sides of the civil war
(the government, the communists).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class ChinaState:
    """The China slice's state."""

    month: jax.Array = leaf((), "int32", doc="index of the month about to be simulated")
    strength: jax.Array = leaf(
        ("china_actor",), "float32", "thousand persons", "each actor's men under arms"
    )
    purge_month: jax.Array = leaf(
        (), "int32", doc="month the China slice first saw the KMT's purge, -1 not yet"
    )
    ccp_phase: jax.Array = leaf(
        (), "int32", doc="0 before the purge, 1 the soviets, 2 the Long March, 3 the northwest"
    )
    ccp_growth: jax.Array = leaf(
        (), "float32", "ratio", "the CCP's membership growth factor of the month just simulated"
    )
    kmt_learning: jax.Array = leaf(
        (), "float32", "CDB90 steps", "what the KMT's campaigns have taught it so far"
    )
    campaign_months: jax.Array = leaf(
        (), "int32", doc="months of encirclement campaign fought so far"
    )
    march_month: jax.Array = leaf((), "int32", doc="month the Long March began, -1 never")
    manchuria_month: jax.Array = leaf((), "int32", doc="month Japan struck in Manchuria, -1 never")
    front_month: jax.Array = leaf((), "int32", doc="month of the KMT-CCP united front, -1 never")
    war_month: jax.Array = leaf((), "int32", doc="month Japan's full-scale war began, -1 never")
    occupied: jax.Array = leaf(
        (), "float32", "share of China's people", "the share of China's people Japan holds"
    )
    aid: jax.Array = leaf(
        (), "float32", "aid-months", "Soviet aid received so far, in months of full aid"
    )
    manchuria_cas: jax.Array = leaf(
        ("china_war_side",), "float32", "thousand persons", "casualties of the war over Manchuria"
    )
    war_cas: jax.Array = leaf(
        ("china_war_side",), "float32", "thousand persons", "casualties of the full-scale war"
    )
    civil_cas: jax.Array = leaf(
        ("civil_side",),
        "float32",
        "thousand persons",
        "casualties of the KMT-CCP war (the Long March's losses included)",
    )
    ccp_army: jax.Array = leaf(
        ("ccp_army_date",), "float32", "thousand persons", "the CCP's men at the record months"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class ChinaDraws:
    """One month's draws (float32)."""

    decision: jax.Array = leaf(
        ("china_decision",), "float32", "1", "uniforms: the month's decisions and battles"
    )
    attrition: jax.Array = leaf(
        ("china_battle", "china_war_side"), "float32", "1", "standard normals of casualty rates"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class ChinaSignals:
    """What the China slice lets other slices read (one run)."""

    war_month: jax.Array = leaf(
        (), "int32", doc="month Japan's full-scale war on China began, -1 not yet"
    )
    ccp_growth: jax.Array = leaf(
        (), "float32", "ratio", "the CCP's membership growth factor last month (1 before)"
    )
    japan_in_china: jax.Array = leaf((), "float32", "thousand persons", "Japan's men in China")
