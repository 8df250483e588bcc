"""State and signals of the Spain slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``F`` = 8 factions (:data:`~abm.models.interwar.spain.factions.FACTIONS`: the
Republic's PSOE-UGT, PCE, POUM, CNT-FAI and Republicans; the rising's Army, Falange and
Carlists), ``D`` = 4 foreign donors (Italy, Germany, the USSR, the International
Brigades), ``U`` = 384 unit slots (brigade-sized units and the donors' contingents), ``K``
= 10 sectors (:mod:`~abm.models.interwar.spain.front`), ``W`` = 4 weeks. The factions
and the units are the slice's agents.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SpainState:
    """The Spain slice's state."""

    month: jax.Array = leaf((), "int32", doc="index of the month about to be simulated")
    popular_front_month: jax.Array = leaf(
        (), "int32", doc="month a Popular Front contested the election, -1 never"
    )
    left_vote: jax.Array = leaf(
        (), "float32", "share of votes", "the left's national vote at the 1936 election, 0 before"
    )
    left_seats: jax.Array = leaf(
        (), "float32", "seats of 473", "the left's seats at the 1936 election, 0 before"
    )
    rising_month: jax.Array = leaf((), "int32", doc="month the army rose, -1 never")
    war_month: jax.Array = leaf((), "int32", doc="month the civil war began, -1 never")
    end_month: jax.Array = leaf((), "int32", doc="month the civil war ended, -1 not over")
    winner: jax.Array = leaf(
        (), "int32", doc="0 none yet, 1 the Republic, 2 the Nationalists (WINNERS)"
    )
    held: jax.Array = leaf(
        (), "float32", "share of population", "share of Spain's people the Nationalists hold"
    )
    strength: jax.Array = leaf(
        ("spain_faction",), "float32", "thousand persons", "each faction's armed strength"
    )
    cohesion: jax.Array = leaf(
        (), "float32", "1", "the Republic's cohesion under one command, 0..1"
    )
    may_days_month: jax.Array = leaf(
        (), "int32", doc="month the Republic's factions fought each other, -1 never"
    )
    foreign: jax.Array = leaf(
        ("donor",), "float32", "thousand persons", "foreign troops sent so far, per donor"
    )
    battle_dead: jax.Array = leaf(
        ("war_side",), "float32", "persons", "each side's dead in battle before this month"
    )
    repression: jax.Array = leaf(
        ("war_side",), "float32", "persons", "killed in each side's rearguard before this month"
    )
    month_dead: jax.Array = leaf(
        ("spain_toll", "war_side"),
        "float32",
        "persons",
        "this month's dead in battle and in each side's rearguard (added to the totals next month)",
    )
    control: jax.Array = leaf(
        ("spain_sector",),
        "float32",
        "share of the people",
        "the Nationalists' share of each sector",
    )
    unit_men: jax.Array = leaf(("spain_unit",), "float32", "thousand persons", "each unit's men")
    unit_owner: jax.Array = leaf(
        ("spain_unit",),
        "int32",
        doc="the faction (0..7) or donor (8 + donor) owning a unit; 12 free",
    )
    unit_sector: jax.Array = leaf(
        ("spain_unit",), "int32", doc="the sector a unit fought in this month, 10 none"
    )
    unit_alive: jax.Array = leaf(("spain_unit",), "bool", doc="the unit slot is in use")
    front_men: jax.Array = leaf(
        ("war_side", "spain_sector"),
        "float32",
        "thousand persons",
        "each side's men per sector before this month's battles (next month's choice of "
        "offensive reads them)",
    )
    attacker: jax.Array = leaf(
        ("spain_sector",), "int32", doc="the side that attacked in a sector this month, 2 none"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SpainDraws:
    """One month's draws (float32)."""

    vote: jax.Array = leaf((), "float32", "1", "standard normal of the left's vote")
    decision: jax.Array = leaf(
        ("spain_decision",), "float32", "1", "uniforms: front, rising, clash"
    )
    offensive: jax.Array = leaf(
        ("war_side",), "float32", "1", "uniforms of each side's choice of offensive"
    )
    combat_noise: jax.Array = leaf(
        ("spain_week", "war_side", "spain_engagement"),
        "float32",
        "1",
        "standard normals of the weeks' casualty rates (attacker's row first; the "
        "Republic's offensive's engagement, then the Nationalists')",
    )
    combat_u: jax.Array = leaf(
        ("spain_week", "spain_engagement"), "float32", "1", "uniforms of the weeks' wins"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SpainSignals:
    """What the Spain slice lets other slices read (one run)."""

    at_war: jax.Array = leaf((), "float32", "1", "1 while the civil war lasts")
    winner: jax.Array = leaf((), "int32", doc="0 none yet, 1 the Republic, 2 the Nationalists")
    soviet_aid: jax.Array = leaf((), "float32", "thousand persons", "Soviet personnel sent so far")
