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
  (``spain_factions.csv``) cut into brigades, the July 1936 map scaled to the people held.
* **The war**, monthly, on a front of brigade-sized units on ten sectors
  (:mod:`.front`): foreign troops arrive into their contingents (Italy ``italy_rate`` a
  month, Germany ``germany_rate`` with a Nazi government, the USSR ``ussr_rate`` and the
  International Brigades ``brigades_rate`` times the Soviet leadership's
  ``spain_aid``); each side's brigades grow towards ``mobilisation`` of the people it
  holds over ``mobilisation_months``; each side picks an offensive sector, sends
  ``concentration`` of its units there and ``response`` to meet the other's, and attacks
  where its log force ratio plus half its effectiveness advantage
  ``E = effectiveness_start exp(-months / army_months) + aid_effect (F_it + F_de -
  F_su - F_ib) / 10 + cohesion_effect (1 - cohesion)`` (CDB90 steps, the Nationalists'
  view; ``F`` the foreign troops sent, thousand) reaches ``attack_threshold``; the
  attacked sectors fight four weeks on the war's kernel fitted on CDB90 (``engaged`` of
  the men, ``combat_days`` a month); each week won takes ``sector_advance`` of the
  sector's people. Units cut off in a pocket (the Republic's north) stay there and
  surrender when it falls.
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

from abm.engine import exact
from abm.engine.exact import fixed_sum
from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain import front as FR
from abm.models.interwar.spain import sectors as SE
from abm.models.interwar.spain import units as UN
from abm.models.interwar.spain.types import SpainDraws, SpainState
from abm.models.interwar.war.combat import WarKernel

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
    "spain_concentration",
    "spain_response",
    "spain_attack_threshold",
    "spain_sector_advance",
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
        winter: float32, 1 in December, January and February (the kernel's covariate).
    """

    front_line: jax.Array
    repression: jax.Array
    aid: jax.Array
    nazi: jax.Array
    election_month: jax.Array
    rising_month: jax.Array
    winter: jax.Array


def draw_month(key: jax.Array) -> SpainDraws:
    """The month's draws from the slice's month key."""
    k_vote, k_dec, k_noise = jax.random.split(key, 3)
    # One block of uniforms: the decisions, each side's offensive, each week's wins.
    u = jax.random.uniform(k_dec, (len(F.DECISIONS) + 2 + 2 * FR.WEEKS,), jnp.float32)
    n = len(F.DECISIONS)
    return SpainDraws(
        vote=jax.random.normal(k_vote, (), jnp.float32),
        decision=u[:n],
        offensive=u[n : n + 2],
        combat_noise=jax.random.normal(k_noise, (FR.WEEKS, 2, 2), jnp.float32),
        combat_u=u[n + 2 :].reshape(FR.WEEKS, 2),
    )


def _sigmoid(x: jax.Array) -> jax.Array:
    return 1.0 / (1.0 + exact.exp(-x))


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
    kern: WarKernel,
    inp: Inputs,
    p: dict[str, jax.Array],
    d: SpainDraws,
) -> SpainState:
    """One month of one run."""
    t = state.month
    side = jnp.asarray(tab.side)
    rep = side == 0
    sec = SE.sector_data()

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
    cohesion = jnp.where(war_now, p["spain_cohesion_start"], state.cohesion)
    # Killed (persons) per person: the population is in thousands.
    first_terror = jnp.where(
        war_now, ((1000.0 * F.POPULATION) * p["spain_nationalist_terror"]) * hold0, 0.0
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
    sent = jnp.where(fighting, will, 0.0)
    foreign = state.foreign + sent
    # The units: July 1936's at the rising, then the contingents and the call-ups.
    units = UN.unit_data()
    men = jnp.where(war_now, jnp.asarray(units.men), state.unit_men)
    owner = jnp.where(war_now, jnp.asarray(units.owner), state.unit_owner)
    alive = jnp.where(war_now, jnp.asarray(units.alive), state.unit_alive)
    slot = jnp.arange(UN.N_UNITS)
    men = men + jnp.where(slot < UN.N_DONOR_SLOTS, jnp.pad(sent, (0, UN.N_UNITS - len(sent))), 0.0)
    alive = alive | ((slot < UN.N_DONOR_SLOTS) & (men > 0.0))
    control = jnp.where(war_now, SE.control_at_rising(hold0, sec), state.control)
    # Mobilisation towards a share of the people each side holds (its own men only).
    n_fac = len(F.FACTIONS)
    # The factions' men: their brigades' sum at the end of last month (July's at the rising).
    fac = jnp.where(war_now, jnp.asarray(tab.strength), state.strength)
    own_total = jnp.stack(
        [fixed_sum(jnp.where(rep, fac[:n_fac], 0.0)), fixed_sum(jnp.where(rep, 0.0, fac[:n_fac]))]
    )
    target = p["spain_mobilisation"] * jnp.stack([1.0 - held, held]) * F.POPULATION
    growth = jnp.maximum(target - own_total, 0.0) / p["spain_mobilisation_months"]
    men, owner, alive = UN.mobilise(
        men, owner, alive, jnp.where(fighting, growth, 0.0), fac[:n_fac]
    )
    side_of = jnp.asarray(UN.owner_side())[owner]
    # The front: offensives, the units' sectors, the battles on the CDB90 kernel.
    aid_gap = (foreign[F.ITALY] + foreign[F.GERMANY] - foreign[F.USSR] - foreign[F.BRIGADES]) / 10.0
    eff = (
        p["spain_effectiveness_start"] * exact.exp(-months / p["spain_army_months"])
        + p["spain_aid_effect"] * aid_gap
        + p["spain_cohesion_effect"] * (1.0 - cohesion)
    )
    # Each side's reach and pockets; units in a pocket stay cut off there (placed in the
    # war's first month by the people the side holds there).
    zone = SE.zones(control, sec)
    side_c = jnp.minimum(side_of, 1)
    prev = state.unit_sector
    cut_off = zone.pocket[side_c, jnp.minimum(prev, SE.N_SECTORS - 1)]
    cut_off = alive & (side_of < 2) & (prev < SE.N_SECTORS) & cut_off
    first = fighting & (t == state.war_month + 1)
    pinned = jnp.where(
        first,
        FR.place_in_pockets(side_of, alive, zone),
        jnp.where(cut_off, prev, SE.N_SECTORS),
    )
    offensive = FR.choose_offensives(control, zone.reach, state.front_men, d.offensive, sec)
    sector = FR.allocate(
        side_of,
        alive,
        zone.reach,
        offensive,
        p["spain_concentration"],
        p["spain_response"],
        pinned,
    )
    battle = FR.fight(
        men,
        side_of,
        sector,
        alive,
        offensive,
        eff,
        inp.winter,
        d.combat_noise,
        d.combat_u,
        kern,
        p,
        sec,
    )
    men = jnp.where(fighting, battle.men, men)
    cas = jnp.where(fighting, battle.casualties, 0.0)
    attacker = jnp.where(fighting, battle.attacker, 2)
    moved = FR.advance_control(control, attacker, battle.weeks_won, p["spain_sector_advance"])
    # A pocket with none of its side's men in it falls to the other side.
    empty = zone.pocket & (battle.men_at <= 0.0)
    moved = jnp.where(empty[0], 1.0, jnp.where(empty[1], 0.0, moved))
    control = jnp.where(fighting, SE.open_fronts(moved, attacker, sec), control)
    new_held = jnp.where(fighting, SE.held_share(control, sec), held)
    # The month's dead join the totals next month (``month_dead``): an accumulation fed
    # straight by a product could be contracted differently in differently fused
    # programs, and a run's bits must not depend on its batch.
    battle_dead = state.battle_dead + state.month_dead[0]
    died = (1000.0 * p["spain_dead_share"]) * cas
    # Brigades under MIN_MEN are gone; a contingent stays while it has anyone; the units
    # cut off in a pocket their side has lost surrender.
    alive = alive & ((men >= UN.MIN_MEN) | ((slot < UN.N_DONOR_SLOTS) & (men > 0.0)))
    kept = jnp.stack([1.0 - control, control])[side_c, jnp.minimum(pinned, SE.N_SECTORS - 1)]
    alive = alive & ~(fighting & (pinned < SE.N_SECTORS) & (kept <= 0.0))
    men = jnp.where(alive, men, 0.0)

    # The Republic's cohesion and the clash within it.
    fac = UN.faction_strength(men, owner, alive)
    dissidents = (fac[F.POUM] + fac[F.CNT]) / jnp.maximum(
        fixed_sum(jnp.where(rep, fac[:n_fac], 0.0)), 1e-6
    )
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
    alive = alive & ~(clash & (owner == F.POUM))
    men = jnp.where(alive, men, 0.0)
    men = jnp.where(clash & (owner == F.CNT), men * (1.0 - p["spain_clash_cnt_loss"]), men)
    cohesion = jnp.where(clash, cohesion * (1.0 - p["spain_clash_cohesion_loss"]), cohesion)
    # The factions' men after the clash (the POUM's gone, the CNT's cut), from their sums.
    fid = jnp.arange(n_fac)
    strength = jnp.where(clash & (fid == F.POUM), 0.0, fac[:n_fac])
    strength = jnp.where(
        clash & (fid == F.CNT), strength * (1.0 - p["spain_clash_cnt_loss"]), strength
    )

    # Repression in both rearguards.
    taken = jnp.maximum(new_held - held, 0.0)
    nat_terror = ((1000.0 * F.POPULATION) * p["spain_nationalist_terror"]) * taken
    # Killed (persons) a month: per thousand people held, the Republic's share of them,
    # times its disorder and the state's lost grip; a product of factors only.
    per_person = (1000.0 * F.POPULATION) * p["spain_republican_terror"]
    grip = exact.exp(-months / p["spain_terror_months"])
    rep_terror = per_person * grip * (1.0 - cohesion) * (1.0 - new_held)
    killed = jnp.stack(
        [
            jnp.where(fighting, rep_terror, 0.0) + jnp.where(clash, p["spain_clash_deaths"], 0.0),
            jnp.where(fighting, nat_terror, 0.0) + first_terror,
        ]
    )
    repression = state.repression + state.month_dead[1]

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
        month_dead=jnp.stack([died, killed]),
        control=control,
        unit_men=men,
        unit_owner=owner,
        unit_sector=jnp.where(fighting & alive, sector, SE.N_SECTORS).astype(jnp.int32),
        unit_alive=alive,
        front_men=jnp.where(fighting, battle.men_at, state.front_men),
        attacker=attacker.astype(jnp.int32),
    )


__all__ = ["PARAMS", "Inputs", "advance", "draw_month", "election"]
