"""Agent state of the Weimar Germany slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``B`` voter blocs (35 constituencies x 6 milieux = 210), ``P`` parties (8),
``C`` constituencies (35), ``K`` election slots (7), ``Y`` calendar years.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class VoterBlocs:
    """Voter blocs: one per (constituency, social milieu)."""

    size: jax.Array  # float32 [B], share of the national electorate; sums to 1
    radicalisation: jax.Array  # float32 [B], crisis felt by the bloc, smoothed (0..~1)
    alive: jax.Array  # bool [B], capacity mask (all True in this slice)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Parties:
    """Parties: organisation, paramilitaries, and the drift of their appeal."""

    organisation: jax.Array  # float32 [P], 0..1, membership relative to its ceiling
    paramilitary: jax.Array  # float32 [P], thousands of men
    constituency_effect: jax.Array  # float32 [C, P], standing constituency preference, logit
    national_drift: jax.Array  # float32 [P], random-walk appeal shift, logit
    regional_drift: jax.Array  # float32 [C, P], random-walk appeal shift, logit
    drift_steps: jax.Array  # int32 [], monthly drift increments realised (at elections)
    seat_share: jax.Array  # float32 [P], vote share at the last election held (sums to 1)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Economy:
    """German labour market."""

    unemployed: jax.Array  # float32 [], registered unemployed, millions
    noise: jax.Array  # float32 [], AR(1) deviation of unemployment, millions
    crisis: jax.Array  # float32 [], crisis index (unemployment rate + inflation aftershock)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Polity:
    """Government, regime, the left's unity, violence, and outcome records."""

    month: jax.Array  # int32 [], index of the month about to be simulated
    regime: jax.Array  # int32 [], constants.REGIMES code
    regime_since: jax.Array  # int32 [], month index the regime began
    last_election: jax.Array  # int32 [], month index of the last election held
    next_slot: jax.Array  # int32 [], index of the next election slot (K = none left)
    early_election: jax.Array  # int32 [], month of a called early election, -1 none
    united_front: jax.Array  # bool [], KPD and SPD in a united front
    violence: jax.Array  # float32 [], street violence index, 0..1
    nazi_month: jax.Array  # int32 [], first month of a Nazi-led government, -1 never
    united_front_month: jax.Array  # int32 [], first month of a united front, -1 never
    civil_war_month: jax.Array  # int32 [], first month of a civil war, -1 never
    regime_1936: jax.Array  # int32 [], regime code at December 1936
    shares: jax.Array  # float32 [K, P], vote shares of each election slot held
    held: jax.Array  # bool [K], whether the slot's election was held
    election_month: jax.Array  # int32 [K], month index it was held, -1 not held
    unemployment_sum: jax.Array  # float32 [Y], sum over the year's months, millions


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
