"""One month of the Spain slice: the draws, then a pure function of state and draws.

* **The election** (the month of ``spain_election_year``, February 1936): a Popular
  Front forms with probability ``logistic(front_intercept + front_line (line - 0.5))``,
  ``line`` the popular-front line of the Soviet leadership in force (its factions'
  ``popular_front_line`` weighed by their weights in the policy). The left polls
  ``left_vote + vote_sd z`` with a front and ``split_vote_loss`` less without one (the
  anarchists' abstention and rival lists, as in 1933); the centre ``centre_vote``; the
  right the rest. Under the 1932 electoral law the list ahead in a province takes about
  four fifths of its seats: the left's seats are ``473 logistic(seat_bonus margin +
  seat_bias)``, ``margin`` its national lead (without a front, less
  ``split_vote_loss`` again, its lists competing).
* **The rising** (the month of ``spain_rising_year``, July 1936): the army rises with
  probability ``rising_left`` against a left government (a majority of the seats) and
  ``rising_right`` otherwise. It holds ``hold_mean + hold_sd z`` of the people; below
  ``rising_fails`` it is crushed, above ``1 - rising_fails`` it wins outright, between
  the civil war begins, the factions at their strengths of July 1936
  (``spain_factions.csv``).
* **The war**, monthly: foreign troops arrive (Italy ``italy_rate`` a month, Germany
  ``germany_rate`` with a Nazi government, the USSR ``ussr_rate`` and the International
  Brigades ``brigades_rate`` times the Soviet leadership's ``spain_aid``); each side
  mobilises towards ``mobilisation`` of the people it holds over
  ``mobilisation_months``; the side ahead (``ln(N/R) + 0.5 E``, ``N`` and ``R`` the
  strengths engaged, ``engaged`` of each side's) attacks, at the Nationalists'
  effectiveness advantage
  ``E = effectiveness_start exp(-months / army_months) + aid_effect (F_it + F_de -
  F_su - F_ib) / 10 + cohesion_effect (1 - cohesion)`` (CDB90 steps; ``F`` the foreign
  troops sent, thousand; the Republic attacks with ``-E``), through the combat kernel
  fitted on CDB90 over ``combat_days`` days; a won attack takes ``advance`` of the
  defender's people.
* **The Republic's cohesion** moves towards ``cohesion_start + centralisation r -
  resentment r d`` over a year, ``r`` the Soviet line's repression of the revolutionary
  left (``left_repression``), ``d`` the anarchists' and the POUM's share of the
  Republic's strength; with hazard ``clash_rate r`` a month the factions fight each
  other (Barcelona, May 1937): ``clash_deaths`` die, the POUM is suppressed, the CNT
  loses ``clash_cnt_loss`` of its men and cohesion falls by ``clash_cohesion_loss``.
* **Repression**: the Nationalists kill ``nationalist_terror`` per thousand of the
  people they take (the rising's territory included); the Republic's rearguard kills
  ``republican_terror`` per person it holds a month, times ``1 -
  cohesion`` (uncontrolled patrols) and ``exp(-months / terror_months)`` (the state
  regains control of its rearguard).
* **The end**: the Nationalists win when they hold ``1 - end_share`` of the people or
  when the Republic's cohesion falls below ``collapse_cohesion`` while they hold more
  than half (the Casado coup); the Republic wins when they hold less than
  ``end_share``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from abm.models.interwar.combat import kernel_battle
from abm.models.interwar.frontiers.theatres import Kernel
from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain.types import SpainDraws, SpainState

#: Weight of the effectiveness advantage (CDB90 steps) against the log force ratio in
#: the choice of who attacks: a step counts as much as a force ratio of e^0.5.
ATTACK_WEIGHT = 0.5

#: The mechanism parameters a month reads, by catalogue name.
PARAMS = (
    "spain_front_intercept",
    "spain_front_line",
    "spain_left_vote",
    "spain_split_vote_loss",
    "spain_vote_sd",
    "spain_centre_vote",
    "spain_seat_bonus",
    "spain_seat_bias",
    "spain_rising_left",
    "spain_rising_right",
    "spain_hold_mean",
    "spain_hold_sd",
    "spain_rising_fails",
    "spain_mobilisation",
    "spain_mobilisation_months",
    "spain_engaged",
    "spain_combat_days",
    "spain_dead_share",
    "spain_effectiveness_start",
    "spain_army_months",
    "spain_aid_effect",
    "spain_cohesion_effect",
    "spain_advance",
    "spain_italy_rate",
    "spain_germany_rate",
    "spain_ussr_rate",
    "spain_brigades_rate",
    "spain_cohesion_start",
    "spain_centralisation",
    "spain_resentment",
    "spain_clash_rate",
    "spain_clash_deaths",
    "spain_clash_cnt_loss",
    "spain_clash_cohesion_loss",
    "spain_nationalist_terror",
    "spain_republican_terror",
    "spain_terror_months",
    "spain_end_share",
    "spain_collapse_cohesion",
)


class Inputs(NamedTuple):
    """This month's inputs (scalars).

    Attributes:
        front_line: the Soviet leadership's popular-front line, 0..1.
        repression: its line on repressing the revolutionary left, 0..1.
        aid: its will to aid the Republic, 0..1.
        nazi: bool, a Nazi government holds power in Germany.
        election_month, rising_month: int32 month indices.
    """

    front_line: jax.Array
    repression: jax.Array
    aid: jax.Array
    nazi: jax.Array
    election_month: jax.Array
    rising_month: jax.Array


def draw_month(key: jax.Array) -> SpainDraws:
    """The month's draws from the slice's month key."""
    k_vote, k_dec, k_attr = jax.random.split(key, 3)
    return SpainDraws(
        vote=jax.random.normal(k_vote, (), jnp.float32),
        decision=jax.random.uniform(k_dec, (len(F.DECISIONS),), jnp.float32),
        attrition=jax.random.normal(k_attr, (len(F.WAR_SIDES),), jnp.float32),
    )


def _sigmoid(x: jax.Array) -> jax.Array:
    return 1.0 / (1.0 + jnp.exp(-x))


def election(
    inp: Inputs, p: dict[str, jax.Array], d: SpainDraws
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(a Popular Front formed, the left's vote share, the left's seats)."""
    front = d.decision[0] < _sigmoid(
        p["spain_front_intercept"] + p["spain_front_line"] * (inp.front_line - 0.5)
    )
    loss = jnp.where(front, 0.0, p["spain_split_vote_loss"])
    left = jnp.clip(p["spain_left_vote"] + p["spain_vote_sd"] * d.vote - loss, 0.0, 1.0)
    right = jnp.clip(1.0 - left - p["spain_centre_vote"], 0.0, 1.0)
    margin = left - loss - right
    seats = F.SEATS * _sigmoid(p["spain_seat_bonus"] * margin + p["spain_seat_bias"])
    return front, left, seats


def advance(
    state: SpainState,
    tab: F.FactionData,
    kern: Kernel,
    inp: Inputs,
    p: dict[str, jax.Array],
    d: SpainDraws,
) -> SpainState:
    """One month of one run."""
    t = state.month
    side = jnp.asarray(tab.side)
    rep = side == 0

    # The election.
    at_election = t == inp.election_month
    front, left, seats = election(inp, p, d)
    popular_front_month = jnp.where(at_election & front, t, state.popular_front_month)
    left_vote = jnp.where(at_election, left, state.left_vote)
    left_seats = jnp.where(at_election, seats, state.left_seats)

    # The rising.
    voted = state.left_seats > 0.0
    at_rising = (t == inp.rising_month) & voted & (state.war_month < 0) & (state.winner == 0)
    left_gov = state.left_seats > 0.5 * F.SEATS
    p_rising = jnp.where(left_gov, p["spain_rising_left"], p["spain_rising_right"])
    rises = at_rising & (d.decision[1] < p_rising)
    hold0 = jnp.clip(p["spain_hold_mean"] + p["spain_hold_sd"] * d.vote, 0.0, 1.0)
    fails = p["spain_rising_fails"]
    # A rising crushed at once, or one that takes (almost) all of Spain, is no civil war.
    war_now = rises & (hold0 >= fails) & (hold0 <= 1.0 - fails)
    rising_month = jnp.where(rises, t, state.rising_month)
    war_month = jnp.where(war_now, t, state.war_month)
    held = jnp.where(war_now, hold0, state.held)
    strength = jnp.where(war_now, jnp.asarray(tab.strength), state.strength)
    cohesion = jnp.where(war_now, p["spain_cohesion_start"], state.cohesion)
    # Killed (persons) per person: the population is in thousands.
    first_terror = jnp.where(
        war_now, 1000.0 * p["spain_nationalist_terror"] * hold0 * F.POPULATION, 0.0
    )

    # The war's month (from the month after the rising).
    fighting = (state.war_month >= 0) & (state.winner == 0)
    months = (t - state.war_month).astype(jnp.float32)
    will = jnp.stack(
        [
            p["spain_italy_rate"],
            p["spain_germany_rate"] * inp.nazi.astype(jnp.float32),
            p["spain_ussr_rate"] * inp.aid,
            p["spain_brigades_rate"] * inp.aid,
        ]
    )
    foreign = state.foreign + jnp.where(fighting, will, 0.0)
    sent = jnp.where(fighting, will, 0.0)
    # Mobilisation towards a share of the people each side holds; foreign troops join.
    side_total = jnp.stack(
        [jnp.sum(jnp.where(rep, strength, 0.0)), jnp.sum(jnp.where(rep, 0.0, strength))]
    )
    target = p["spain_mobilisation"] * jnp.stack([1.0 - held, held]) * F.POPULATION
    growth = jnp.maximum(target - side_total, 0.0) / p["spain_mobilisation_months"]
    growth = growth + jnp.stack([sent[F.USSR] + sent[F.BRIGADES], sent[F.ITALY] + sent[F.GERMANY]])
    share_in_side = strength / jnp.maximum(side_total[side], 1e-6)
    strength = jnp.where(fighting, strength + growth[side] * share_in_side, strength)
    side_total = jnp.stack(
        [jnp.sum(jnp.where(rep, strength, 0.0)), jnp.sum(jnp.where(rep, 0.0, strength))]
    )
    # The battle: the side ahead in numbers and effectiveness attacks.
    aid_gap = (foreign[F.ITALY] + foreign[F.GERMANY] - foreign[F.USSR] - foreign[F.BRIGADES]) / 10.0
    eff = (
        p["spain_effectiveness_start"] * jnp.exp(-months / p["spain_army_months"])
        + p["spain_aid_effect"] * aid_gap
        + p["spain_cohesion_effect"] * (1.0 - cohesion)
    )
    engaged = p["spain_engaged"] * side_total
    ratio = jnp.log(jnp.maximum(engaged[1], 1e-3) / jnp.maximum(engaged[0], 1e-3))
    nat_attacks = ratio + ATTACK_WEIGHT * eff >= 0.0
    cas_att, cas_def, won = kernel_battle(
        jnp.where(nat_attacks, engaged[1], engaged[0]),
        jnp.where(nat_attacks, engaged[0], engaged[1]),
        jnp.where(nat_attacks, eff, -eff),
        d.attrition,
        d.decision[3],
        kern,
        p["spain_combat_days"],
    )
    cas_nat = jnp.where(nat_attacks, cas_att, cas_def)
    cas_rep = jnp.where(nat_attacks, cas_def, cas_att)
    cas = jnp.where(fighting, jnp.stack([cas_rep, cas_nat]), 0.0)
    won = fighting & won
    gained = jnp.where(won & nat_attacks, p["spain_advance"] * (1.0 - held), 0.0)
    given = jnp.where(won & ~nat_attacks, p["spain_advance"] * held, 0.0)
    new_held = jnp.clip(held + gained - given, 0.0, 1.0)
    loss_share = cas / jnp.maximum(side_total, 1e-6)
    strength = strength * (1.0 - loss_share[side])
    battle_dead = state.battle_dead + 1000.0 * p["spain_dead_share"] * cas

    # The Republic's cohesion and the clash within it.
    dissidents = (strength[F.POUM] + strength[F.CNT]) / jnp.maximum(side_total[0], 1e-6)
    r = inp.repression
    target_c = jnp.clip(
        p["spain_cohesion_start"]
        + p["spain_centralisation"] * r
        - p["spain_resentment"] * r * dissidents,
        0.0,
        1.0,
    )
    cohesion = jnp.where(fighting, cohesion + (target_c - cohesion) / 12.0, cohesion)
    clash = fighting & (state.may_days_month < 0) & (d.decision[2] < p["spain_clash_rate"] * r)
    may_days_month = jnp.where(clash, t, state.may_days_month)
    strength = jnp.where(clash & (jnp.arange(len(F.FACTIONS)) == F.POUM), 0.0, strength)
    strength = jnp.where(
        clash & (jnp.arange(len(F.FACTIONS)) == F.CNT),
        strength * (1.0 - p["spain_clash_cnt_loss"]),
        strength,
    )
    cohesion = jnp.where(clash, cohesion * (1.0 - p["spain_clash_cohesion_loss"]), cohesion)

    # Repression in both rearguards.
    taken = jnp.maximum(new_held - held, 0.0)
    nat_terror = 1000.0 * p["spain_nationalist_terror"] * taken * F.POPULATION
    rep_terror = 1000.0 * p["spain_republican_terror"] * (1.0 - cohesion) * (1.0 - new_held)
    rep_terror = rep_terror * F.POPULATION * jnp.exp(-months / p["spain_terror_months"])
    killed = jnp.stack(
        [
            jnp.where(fighting, rep_terror, 0.0) + jnp.where(clash, p["spain_clash_deaths"], 0.0),
            jnp.where(fighting, nat_terror, 0.0) + first_terror,
        ]
    )
    repression = state.repression + killed

    # The end.
    end_share = p["spain_end_share"]
    nat_win = fighting & (
        (new_held >= 1.0 - end_share)
        | ((cohesion < p["spain_collapse_cohesion"]) & (new_held > 0.5))
    )
    rep_win = fighting & (new_held <= end_share)
    winner = jnp.where(
        nat_win, F.NATIONALISTS_WON, jnp.where(rep_win, F.REPUBLIC_WON, state.winner)
    )
    over = nat_win | rep_win
    return SpainState(
        month=t + 1,
        popular_front_month=popular_front_month,
        left_vote=left_vote,
        left_seats=left_seats,
        rising_month=rising_month,
        war_month=war_month,
        end_month=jnp.where(over, t, state.end_month),
        winner=winner.astype(jnp.int32),
        held=jnp.where(fighting, new_held, held),
        strength=strength,
        cohesion=cohesion,
        may_days_month=may_days_month,
        foreign=foreign,
        battle_dead=battle_dead,
        repression=repression,
    )


__all__ = ["PARAMS", "Inputs", "advance", "draw_month", "election", "kernel_battle"]
