"""One month of the diplomacy slice.

Pure functions of the state, the parameters and the other slices' signals (no draws:
the slice's chance is drawn once at ``init`` and kept in the state, so a NumPy
reference replays a month exactly).

Each month: capabilities from the COW index (Germany's without its rearmament where no
Nazi government holds power; the USSR's with the Red Army the Soviet slice reports);
the propensity of each pair to stand together, the landscape theory's (Axelrod and
Bennett 1993): regime affinity, territorial disputes, wars since 1914, treaties before
1936, and the Comintern's activism abroad; the threat each state perceives from each
other, ``capability x exp(-distance / scale) x hostility``, followed with a lag. At the
Munich month the West gives way over Czechoslovakia or not; at the crisis month the West
decides whether to turn against the USSR and whether to offer it an alliance, the USSR
chooses a pact, the alliance or isolation, and every other state takes a side by the
pull of the coalitions' members (capability times propensity), a Western guarantee,
and what neutrality is worth.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from abm.engine import exact
from abm.engine.exact import fixed_sum
from abm.models.interwar.diplomacy import states as S
from abm.models.interwar.diplomacy.types import DiplomacyState

#: Rounds of simultaneous best responses in the choice of sides (the landscape's
#: descent; the choices settle within two on the historical parameters).
ROUNDS = 3
#: A Soviet option that is not on offer.
CLOSED = -1e9


#: The slice's fixed arrays (NumPy): the states' data as read.
Tables = S.StateData


def tables() -> Tables:
    """The tables from the package data."""
    return S.state_data()


class Inputs(NamedTuple):
    """This month's inputs from the other slices and the levers in force (scalars).

    Attributes:
        nazi: bool, a Nazi government holds power this month.
        army_ratio: the Red Army's personnel over its recorded size this year.
        comintern_export: the Comintern's activism abroad, 0..1.
        pact_willingness: the Soviet leadership's, 0..1.
        collective_security: the Soviet leadership's, 0..1.
        year_index: int32, the calendar year's column in the capability table.
        munich_month: int32, the month index of the Munich crisis.
        crisis_month: int32, the month index of the 1939 crisis.
    """

    nazi: jax.Array
    army_ratio: jax.Array
    comintern_export: jax.Array
    pact_willingness: jax.Array
    collective_security: jax.Array
    year_index: jax.Array
    munich_month: jax.Array
    crisis_month: jax.Array


#: The mechanism parameters a month reads, by catalogue name.
PARAMS = (
    "western_anticommunism",
    "distance_scale",
    "threat_months",
    "rearmament_capability",
    "weight_ideology",
    "weight_dispute",
    "weight_war",
    "weight_treaty",
    "comintern_hostility",
    "appeasement_intercept",
    "appeasement_anticommunism",
    "appeasement_partner",
    "pact_weight",
    "pact_gain",
    "alliance_weight",
    "alliance_distrust",
    "west_offer_intercept",
    "west_offer_anticommunism",
    "intervention_intercept",
    "intervention_threat",
    "intervention_activism",
    "neutrality_value",
    "guarantee_pull",
    "alignment_noise",
)


def capabilities(tab: Tables, inp: Inputs, rearmament: jax.Array) -> jax.Array:
    """Each state's capability this month, float32 ``[S]`` (COW index)."""
    cap = jnp.asarray(tab.capability)[:, inp.year_index]
    germany = cap[S.GERMANY]
    base = jnp.asarray(tab.capability)[S.GERMANY, 1932 - S.FIRST_YEAR]
    without = germany - rearmament * jnp.maximum(germany - base, 0.0)
    cap = cap.at[S.GERMANY].set(jnp.where(inp.nazi, germany, without))
    # Military personnel is one of the index's six shares.
    return cap.at[S.USSR].multiply(1.0 + (inp.army_ratio - 1.0) / 6.0)


def propensity(tab: Tables, inp: Inputs, p: dict[str, jax.Array]) -> jax.Array:
    """Each pair's propensity to stand together, float32 ``[S, S]`` (0 on the diagonal).

    ``w_ideology * affinity - w_dispute * dispute - w_war * war + w_treaty * treaty``,
    less the Comintern's hostility on every pair with the USSR.
    """
    regime = jnp.asarray(tab.regime)
    regime = regime.at[S.GERMANY].set(jnp.where(inp.nazi, S.FASCIST, S.DEMOCRACY))
    aff = jnp.asarray(S.AFFINITY)[regime[:, None], regime[None, :]]
    prop = (
        p["weight_ideology"] * aff
        - p["weight_dispute"] * jnp.asarray(tab.dispute)
        - p["weight_war"] * jnp.asarray(tab.war)
        + p["weight_treaty"] * jnp.asarray(tab.treaty)
    )
    lever = jnp.asarray(S.ANTICOMMUNISM_FROM_LEVER)[regime]
    fear = lever * p["western_anticommunism"] + (1.0 - lever)
    hostile = p["comintern_hostility"] * inp.comintern_export * fear
    hostile = jnp.where(regime == S.COMMUNIST, 0.0, hostile)
    prop = prop.at[:, S.USSR].add(-hostile).at[S.USSR, :].add(-hostile)
    return prop * (1.0 - jnp.eye(S.N_STATES, dtype=jnp.float32))


def proximity(tab: Tables, p: dict[str, jax.Array]) -> jax.Array:
    """``exp(-distance / scale)`` between capitals, float32 ``[S, S]``."""
    return exact.exp(-jnp.asarray(tab.distance) / p["distance_scale"])


def threat_target(
    tab: Tables, cap: jax.Array, prop: jax.Array, p: dict[str, jax.Array]
) -> jax.Array:
    """The threat each state would perceive from each other now, float32 ``[S, S]``."""
    return cap[None, :] * proximity(tab, p) * jnp.maximum(-prop, 0.0)


def soviet_choice(
    inp: Inputs, p: dict[str, jax.Array], offer: jax.Array, noise: jax.Array
) -> jax.Array:
    """The USSR's choice at the crisis: 0 pact, 1 alliance (if offered), 2 isolation."""
    u = jnp.stack(
        [
            p["pact_weight"] * inp.pact_willingness + p["pact_gain"],
            jnp.where(
                offer,
                p["alliance_weight"] * inp.collective_security
                - p["alliance_distrust"] * p["western_anticommunism"],
                CLOSED,
            ),
            jnp.float32(0.0),
        ]
    )
    return jnp.argmax(u + noise).astype(jnp.int32)


def choose_sides(
    poles: jax.Array,
    fixed: jax.Array,
    prop: jax.Array,
    felt: jax.Array,
    guarantee: jax.Array,
    noise: jax.Array,
    p: dict[str, jax.Array],
) -> jax.Array:
    """Every state's side, int32 ``[S]``.

    The poles' and fixed states' as given, the others by :data:`ROUNDS` rounds of
    simultaneous best responses to the coalitions' pull
    ``sum_j felt_ij prop_ij [side_j = k]`` (``felt``: each member's capability as felt
    at the chooser's capital, ``cap_j exp(-d_ij / scale)``), the guarantee's (allied
    side), the value of neutrality, and their Gumbel noise.
    """
    side = poles
    k = jnp.arange(len(S.SIDES), dtype=jnp.int32)
    for _ in range(ROUNDS):
        member = (side[None, :, None] == k[None, None, :]).astype(jnp.float32)
        pull = fixed_sum(felt[:, :, None] * prop[:, :, None] * member, axis=1)
        pull = pull.at[:, S.NEUTRAL].set(p["neutrality_value"])
        pull = pull.at[:, S.ALLIED].add(guarantee)
        choice = jnp.argmax(pull + p["alignment_noise"] * noise, axis=1).astype(jnp.int32)
        side = jnp.where(fixed, poles, choice)
    return side


def _sigmoid(x: jax.Array) -> jax.Array:
    return 1.0 / (1.0 + exact.exp(-x))


def advance(
    state: DiplomacyState, tab: Tables, inp: Inputs, p: dict[str, jax.Array]
) -> DiplomacyState:
    """One month of one run."""
    t = state.month
    cap = capabilities(tab, inp, p["rearmament_capability"])
    prop = propensity(tab, inp, p)
    target = threat_target(tab, cap, prop, p)
    threat = state.threat + (target - state.threat) / p["threat_months"]
    wac = p["western_anticommunism"]

    # Munich: the West gives way over Czechoslovakia, or not.
    at_munich = inp.nazi & (t == inp.munich_month) & (state.munich_month < 0)
    appease = _sigmoid(
        p["appeasement_intercept"]
        + p["appeasement_anticommunism"] * (wac - 0.5)
        - p["appeasement_partner"] * (inp.collective_security - 0.5)
    )
    gave_way = at_munich & (state.chance[0] < appease)
    munich_month = jnp.where(gave_way, t, state.munich_month)
    prague_month = jnp.where(gave_way, t + S.PRAGUE_DELAY_MONTHS, state.prague_month)

    # The crisis: the West's two decisions, the USSR's choice, every state's side.
    at_crisis = (t == inp.crisis_month) & (state.side[0] < 0)
    crisis = at_crisis & inp.nazi
    west = jnp.array([S.UK, S.FRANCE])
    from_ussr = jnp.mean(threat[west, S.USSR])
    from_germany = jnp.mean(threat[west, S.GERMANY])
    balance = (from_ussr - from_germany) / jnp.maximum(from_ussr + from_germany, 1e-9)
    p_turn = _sigmoid(
        p["intervention_intercept"]
        + p["intervention_threat"] * balance
        + p["intervention_activism"] * wac * inp.comintern_export
    )
    turn = crisis & (state.chance[2] < p_turn)
    p_offer = _sigmoid(
        p["west_offer_intercept"]
        - p["west_offer_anticommunism"] * wac * (1.0 + inp.comintern_export)
    )
    offer = ~turn & (state.chance[1] < p_offer)
    choice = soviet_choice(inp, p, offer, state.choice_noise)
    poles = jnp.full(S.N_STATES, S.NEUTRAL, jnp.int32)
    poles = poles.at[S.GERMANY].set(S.AXIS).at[S.UK].set(S.ALLIED).at[S.FRANCE].set(S.ALLIED)
    poles = poles.at[S.USSR].set(jnp.where(choice == 1, S.ALLIED, S.SOVIET))
    poles = poles.at[S.POLAND].set(S.ALLIED)
    occupied = (prague_month >= 0) & (t >= prague_month)
    poles = poles.at[S.CZECHOSLOVAKIA].set(jnp.where(occupied, S.AXIS, S.NEUTRAL))
    fixed = jnp.zeros(S.N_STATES, bool).at[jnp.array(S.POLES)].set(True)
    # If the West turns against the USSR, Poland has no guarantor and chooses.
    fixed = fixed.at[S.POLAND].set(~turn).at[S.CZECHOSLOVAKIA].set(occupied)
    guarantee = jnp.where(turn, 0.0, p["guarantee_pull"] * jnp.asarray(tab.dispute)[:, S.GERMANY])
    felt = cap[None, :] * proximity(tab, p)
    sides = choose_sides(poles, fixed, prop, felt, guarantee, state.side_noise, p)
    no_war = jnp.full(S.N_STATES, S.NEUTRAL, jnp.int32)
    side = jnp.where(at_crisis, jnp.where(inp.nazi, sides, no_war), state.side)
    return DiplomacyState(
        month=t + 1,
        capability=cap,
        threat=threat,
        side=side,
        munich_month=munich_month,
        prague_month=prague_month,
        war_month=jnp.where(crisis, t, state.war_month),
        pact_month=jnp.where(crisis & (choice == 0), t, state.pact_month),
        alliance_month=jnp.where(crisis & (choice == 1), t, state.alliance_month),
        intervention_month=jnp.where(turn, t, state.intervention_month),
        side_noise=state.side_noise,
        choice_noise=state.choice_noise,
        chance=state.chance,
    )


__all__ = ["PARAMS", "ROUNDS", "Inputs", "Tables", "advance", "choose_sides", "tables"]
