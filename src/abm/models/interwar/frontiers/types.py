"""State and signals of the frontiers slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``T`` = 3 theatres (:data:`~abm.models.interwar.frontiers.theatres.THEATRES`:
Khasan, Khalkhin Gol, Finland), ``2`` sides per theatre (``frontier_side``: the USSR,
its opponent): the slice's agents are the six forces.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class FrontierState:
    """The frontiers slice's state."""

    month: jax.Array = leaf((), "int32", doc="index of the month about to be simulated")
    status: jax.Array = leaf(("theatre",), "int32", doc="0 quiet, 1 fighting, 2 over (STATUS)")
    start: jax.Array = leaf(("theatre",), "int32", doc="first month of fighting, -1 none")
    end: jax.Array = leaf(("theatre",), "int32", doc="last month of fighting, -1 not over")
    force: jax.Array = leaf(
        ("theatre", "frontier_side"), "float32", "thousand persons", "each side's strength engaged"
    )
    dead: jax.Array = leaf(
        ("theatre", "frontier_side"), "float32", "persons", "each side's dead and missing so far"
    )
    casualties: jax.Array = leaf(
        ("theatre", "frontier_side"),
        "float32",
        "persons",
        "each side's casualties so far (dead, missing and wounded)",
    )
    wins: jax.Array = leaf(
        ("theatre",), "int32", doc="months in which the Red Army won the theatre's battle"
    )
    repulsed: jax.Array = leaf(
        ("theatre",),
        "int32",
        doc="1 where the Red Army's offensive was repulsed last month (it may regroup)",
    )
    demand_month: jax.Array = leaf(
        (), "int32", doc="month the USSR demanded territory and bases of Finland, -1 never"
    )
    poland_month: jax.Array = leaf(
        (), "int32", doc="month the Red Army entered eastern Poland, -1 never"
    )
    japan_war_month: jax.Array = leaf(
        (), "int32", doc="month a clash escalated into a Soviet-Japanese war, -1 never"
    )
    annex_month: jax.Array = leaf(
        ("annexation",), "int32", doc="month the USSR annexed the Baltic states, Bessarabia; -1"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class FrontierDraws:
    """One month's draws (float32)."""

    probe: jax.Array = leaf(("theatre",), "float32", "1", "uniforms: a Japanese probe begins")
    battle: jax.Array = leaf(
        ("theatre",), "float32", "1", "uniforms: the Red Army wins the month's battle"
    )
    attrition: jax.Array = leaf(
        ("theatre", "frontier_side"),
        "float32",
        "1",
        "standard normals of the month's casualty rates (correlated by the kernel)",
    )
    decision: jax.Array = leaf(
        ("frontier_decision",), "float32", "1", "uniforms: demand, refusal, escalation"
    )
    annex: jax.Array = leaf(("annexation",), "float32", "1", "uniforms: each annexation")
    regroup: jax.Array = leaf((), "float32", "1", "uniform: the Red Army regroups in Finland")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class FrontierSignals:
    """What the frontiers slice lets other slices read (one run)."""

    fighting: jax.Array = leaf(
        (), "float32", "1", "1 while the Red Army fights a frontier war this month"
    )
    winter_war_month: jax.Array = leaf((), "int32", doc="month the Winter War began, -1 none")
    japan_war_month: jax.Array = leaf((), "int32", doc="month a Soviet-Japanese war began, -1 none")
    soviet_dead: jax.Array = leaf(
        (), "float32", "persons", "the Red Army's dead and missing in the frontier wars so far"
    )
