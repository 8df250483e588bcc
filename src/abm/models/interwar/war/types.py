"""State and signals of the war slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``U`` = 1536 division slots (:data:`~abm.models.interwar.war.powers.CAPACITY`,
in blocks per power), ``K`` = 81 front sectors (``war_sectors.csv``), ``P`` = 24 powers
(``war_powers.csv``). The divisions are the slice's agents; their owners and types are
fixed per slot (:class:`~abm.models.interwar.war.powers.WarHistory`).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class WarState:
    """The war slice's state."""

    month: jax.Array = leaf((), "int32", doc="index of the month about to be simulated")
    men: jax.Array = leaf(
        ("war_division",), "float32", "thousand persons", "each division's men present"
    )
    sector: jax.Array = leaf(
        ("war_division",), "int32", doc="each division's sector this month, K in reserve"
    )
    alive: jax.Array = leaf(("war_division",), "bool", doc="the slot holds a division")
    holder: jax.Array = leaf(("war_sector",), "int32", doc="the power holding each sector")
    control: jax.Array = leaf(
        ("war_sector",), "float32", "share", "the share of each sector its holder still holds"
    )
    surrendered: jax.Array = leaf(
        ("war_power",), "int32", doc="month each power asked for an armistice, -1 never"
    )
    mobilised: jax.Array = leaf(
        ("war_power",), "float32", "thousand persons", "men ever sent to each power's divisions"
    )
    casualties: jax.Array = leaf(
        ("war_power",), "float32", "thousand persons", "battle casualties (dead, wounded, missing)"
    )
    dead: jax.Array = leaf(
        ("war_power",), "float32", "thousand persons", "dead and missing in battle"
    )
    disbanded: jax.Array = leaf(
        ("war_power",), "float32", "thousand persons", "men of divisions gone at an armistice"
    )
    losses_1941: jax.Array = leaf(
        ("war_loss",),
        "float32",
        "thousand persons",
        "the Soviet-German war to December 1941: USSR dead, USSR wounded, Germany dead",
    )
    soviet_german_month: jax.Array = leaf(
        (), "int32", doc="month the USSR and Germany went to war, -1 never"
    )
    red_army_germany_month: jax.Array = leaf(
        (), "int32", doc="month the USSR first took a sector that was German in 1939, -1 never"
    )
    red_army_rhine_month: jax.Array = leaf(
        (), "int32", doc="month the USSR first took a sector on the Rhine, -1 never"
    )
    weeks_won: jax.Array = leaf(
        ("war_sector",), "float32", "weeks", "weeks the attacker won in each sector last month"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class WarSignals:
    """What the war slice publishes at the start of a month."""

    soviet_german_war: jax.Array = leaf(
        (), "float32", doc="1 while the USSR and Germany are at war, else 0"
    )
    soviet_people_held: jax.Array = leaf(
        (), "float32", "share", "the share of the USSR's 1939 people it still holds"
    )


__all__ = ["WarSignals", "WarState"]
