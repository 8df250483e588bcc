"""Agent state of the Weimar Germany slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``B`` voter blocs (35 constituencies x 6 milieux = 210), ``P`` parties (8),
``C`` constituencies (35), ``K`` ballots (elections in the order held, at most
``constants.MAX_BALLOTS``), ``Y`` calendar years.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class VoterBlocs:
    """Voter blocs: one per (constituency, social milieu)."""

    size: jax.Array = leaf(("bloc",), "float32", doc="share of the national electorate; sums to 1")
    radicalisation: jax.Array = leaf(
        ("bloc",), "float32", doc="crisis felt by the bloc, smoothed (0..~1)"
    )
    alive: jax.Array = leaf(("bloc",), "bool", doc="capacity mask (all True in this slice)")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Parties:
    """Parties: organisation, paramilitaries, and the drift of their appeal."""

    organisation: jax.Array = leaf(
        ("party",), "float32", doc="0..1, membership relative to its ceiling"
    )
    paramilitary: jax.Array = leaf(("party",), "float32", doc="thousands of men")
    constituency_effect: jax.Array = leaf(
        ("constituency", "party"), "float32", doc="standing constituency preference, logit"
    )
    national_drift: jax.Array = leaf(("party",), "float32", doc="random-walk appeal shift, logit")
    regional_drift: jax.Array = leaf(
        ("constituency", "party"), "float32", doc="random-walk appeal shift, logit"
    )
    drift_steps: jax.Array = leaf(
        (), "int32", doc="monthly drift increments realised (at elections)"
    )
    seat_share: jax.Array = leaf(
        ("party",), "float32", doc="vote share at the last election held (sums to 1)"
    )
    disappointment: jax.Array = leaf(
        (), "float32", doc="NSDAP voters' disappointment: a big vote kept out of power, 0..~0.3"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Economy:
    """German labour market."""

    unemployed: jax.Array = leaf((), "float32", doc="registered unemployed, millions")
    noise: jax.Array = leaf((), "float32", doc="AR(1) deviation of unemployment, millions")
    crisis: jax.Array = leaf(
        (), "float32", doc="crisis index (unemployment rate + inflation aftershock)"
    )
    agrarian: jax.Array = leaf((), "float32", doc="agrarian distress (farm prices, debt), 0..1")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Polity:
    """Government, regime, the left's unity, violence, and outcome records."""

    month: jax.Array = leaf((), "int32", doc="index of the month about to be simulated")
    regime: jax.Array = leaf((), "int32", doc="constants.REGIMES code")
    regime_since: jax.Array = leaf((), "int32", doc="month index the regime began")
    last_election: jax.Array = leaf((), "int32", doc="month index of the last election held")
    next_slot: jax.Array = leaf((), "int32", doc="index of the next election slot (K = none left)")
    early_election: jax.Array = leaf((), "int32", doc="month of a called early election, -1 none")
    united_front: jax.Array = leaf((), "bool", doc="KPD and SPD in a united front")
    united_front_strength: jax.Array = leaf(
        (), "float32", doc="how far the KPD's and SPD's rank and file act together, 0..1"
    )
    prussia_left: jax.Array = leaf(
        (), "bool", doc="the SPD-led Prussian government commands its police (to July 1932)"
    )
    nsdap_previous: jax.Array = leaf(
        (), "float32", doc="NSDAP share at the election before the last (its trend)"
    )
    violence: jax.Array = leaf((), "float32", doc="street violence index, 0..1")
    nazi_month: jax.Array = leaf((), "int32", doc="first month of a Nazi-led government, -1 never")
    united_front_month: jax.Array = leaf((), "int32", doc="first month of a united front, -1 never")
    civil_war_month: jax.Array = leaf((), "int32", doc="first month of a civil war, -1 never")
    regime_1936: jax.Array = leaf((), "int32", doc="regime code at December 1936")
    shares: jax.Array = leaf(
        ("ballot", "party"), "float32", doc="valid-vote shares of each election, in order held"
    )
    turnout: jax.Array = leaf(("ballot",), "float32", doc="turnout of each election held")
    held: jax.Array = leaf(("ballot",), "bool", doc="whether the ballot record is filled")
    election_month: jax.Array = leaf(
        ("ballot",), "int32", doc="month index it was held, -1 not held"
    )
    unemployment_sum: jax.Array = leaf(
        ("year",), "float32", doc="sum over the year's months, millions"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class GermanyState:
    """Whole state of one run."""

    blocs: VoterBlocs
    parties: Parties
    economy: Economy
    polity: Polity


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class MonthDraws:
    """Every random number one month uses, drawn up front (see ``draw_month``).

    Keeping the draws apart from the update makes the update a deterministic function,
    which the slow reference implementation in the tests reproduces. The two drift
    fields come from their own subkey and are used only in an election month (the
    random walks are realised when they are observed), so a batch draws them only when
    one of its runs votes.
    """

    national_drift: jax.Array  # float32 [P], standard normal
    regional_drift: jax.Array  # float32 [C, P], standard normal
    unemployment: jax.Array  # float32 [], standard normal
    events: jax.Array  # float32 [N_EVENT_DRAWS], uniform on [0, 1)
