"""Succession, 1924 onwards: coalitions, showdowns, personal rule and its end.

Monthly (equations in ``docs/ODD.md``, "Soviet succession"; the coalition arithmetic in
:mod:`.coalition`, the end of personal rule in :mod:`.rule`):

0. *Memories* decay by ``exp(-1 / (12 insecurity_memory))``: the alarm (+1 for an
   assassination, hazard ``assassination_rate``, and for each failed plot), the famine's
   deaths (millions), the army's grievance (share of officers discharged).
1. *Death* of a faction's leader (one draw over the competing hazards): the faction leaves;
   a ruler's death ends his rule.
2. While collective: *patronage*, ``s <- s + apparatus_pull * ((1 - base_weight) a +
   base_weight b - s)`` (``a`` apparatus, ``b`` the party's base); the Secretariat's holder
   widens its hold, ``a_L <- a_L (1 + secretariat_growth)``. *Showdown*: any faction may
   attack (:func:`.coalition.showdowns`, one draw picks the attacker, one the outcome); the
   loser gives up ``contest_stake`` of its power and resources, ``WINNER_TAKE`` of it to
   the winner. *Policy failure*: a procurement shortfall moves ``harvest_crisis_shift *
   shortfall`` of the Right's power to the others. *Noise* ``exp(power_noise_sd z)``;
   *expulsion* below ``expel_share``. *Consolidation*: the largest faction, above
   ``consolidation_threshold`` with every named rival below ``RIVAL_CEILING``, turns to
   personal rule with hazard ``consolidation_rate * personal_rule_propensity``.
3. Under personal rule: the rivals' power and resources erode at ``rival_decay`` a month
   (times ``1 + TERROR_ELITE * terror``); within the consolidation window a revolt or a
   coup may come (:mod:`.rule`), ending personal rule or raising the alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_sum
from abm.models.interwar.soviet import coalition as C
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet import rule as R
from abm.models.interwar.soviet.types import Leadership

#: Indices of the month's uniform draws (``SovietDraws.events``) the struggle uses.
EV_CONTEST, EV_CONTEST_WIN, EV_CONSOLIDATE = range(3)
EV_DEATH, EV_ATTEMPT, EV_ATTEMPT_WIN, EV_ASSASSIN = 4, 5, 6, 7
#: Share of a lost showdown's stake that goes to the winner (the rest to the others).
WINNER_TAKE = 0.7
#: Power share above which a named rival faction still blocks personal rule. Assumption.
RIVAL_CEILING = 0.1
#: How much faster the rivals erode under personal rule per unit of terror intensity
#: (the terror's victims were the old oppositions' and the Right's cadres). Assumption.
TERROR_ELITE = 5.0


@dataclass(frozen=True)
class SuccessionParams:
    """Scalars of the succession month (float32, drawn per run)."""

    apparatus_pull: jax.Array
    base_weight: jax.Array
    secretariat_growth: jax.Array
    contest_rate: jax.Array
    attack_confidence: jax.Array
    contest_sharpness: jax.Array
    contest_stake: jax.Array
    bandwagon: jax.Array
    policy_affinity: jax.Array
    force_weight: jax.Array
    expel_share: jax.Array
    power_noise_sd: jax.Array
    consolidation_threshold: jax.Array
    consolidation_rate: jax.Array
    consolidation_years: jax.Array
    harvest_crisis_shift: jax.Array
    mortality_50: jax.Array
    mortality_doubling: jax.Array
    revolt_rate: jax.Array
    coup_rate: jax.Array
    disaster_weight: jax.Array
    rival_decay: jax.Array
    assassination_rate: jax.Array
    insecurity_memory: jax.Array
    propensity: jax.Array  # float32 [F]


@dataclass(frozen=True)
class Pressures:
    """What the rest of the month tells the struggle (float32 scalars)."""

    shortfall: jax.Array  # procurement shortfall of this month's harvest, 0..1
    famine: jax.Array  # famine deaths of the month, millions
    discharged: jax.Array  # share of the command staff discharged this month
    terror: jax.Array  # terror intensity this month (0 outside a wave)
    year: jax.Array  # decimal calendar year


def initial(power: jax.Array, resources: jax.Array) -> Leadership:
    """January 1924 from the leader preset's shares (normalised).

    Args:
        power: float32 ``[F]``.
        resources: float32 ``[F, R]`` (apparatus, army, police, base).
    """
    active = jnp.ones((K.N_FACTIONS,), bool)
    return Leadership(
        power=C.normalise(power, active),
        resources=C.normalise(resources, active),
        active=active,
        ruler=jnp.int32(-1),
        personal_month=jnp.int32(-1),
        rule_start=jnp.int32(-1),
        end_cause=jnp.int32(R.END_NONE),
        end_month=jnp.int32(-1),
        alarm=jnp.float32(0.0),
        disaster=jnp.float32(0.0),
        grievance=jnp.float32(0.0),
        leader_1930=jnp.int32(K.COLLECTIVE),
    )


def _collective(
    s: jax.Array,
    res: jax.Array,
    active: jax.Array,
    shortfall: jax.Array,
    z: jax.Array,
    u: jax.Array,
    g: SuccessionParams,
    dist: jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """The collective month: returns power, resources, active and the consolidation flag."""
    idx = jnp.arange(K.N_FACTIONS)
    # Patronage: the Central Committee's composition follows the apparatus and the base.
    pull = (1.0 - g.base_weight) * res[:, C.APPARATUS] + g.base_weight * res[:, C.BASE]
    s = C.normalise(s + g.apparatus_pull * (pull - s), active)
    boss = jnp.argmax(jnp.where(active, res[:, C.APPARATUS], -1.0))
    grow = 1.0 + g.secretariat_growth * (idx == boss).astype(jnp.float32)
    res = C.normalise(res.at[:, C.APPARATUS].multiply(grow), active)

    # Showdown: any faction that judges it can win may attack.
    x = C.strength(s, res, active, g.force_weight)
    target, chance = C.showdowns(
        x, active, dist, g.policy_affinity, g.bandwagon, g.contest_sharpness
    )
    hazards = C.attack_hazards(chance, g.contest_rate, g.attack_confidence)
    contest, attacker = C.pick(hazards, u[EV_CONTEST])
    wins = u[EV_CONTEST_WIN] < chance[attacker]
    loser = jnp.where(wins, target[attacker], attacker)
    winner = jnp.where(wins, attacker, target[attacker])
    s = C.transfer(s, loser, winner, g.contest_stake, WINNER_TAKE, contest, active)
    res = C.transfer(res, loser, winner, g.contest_stake, WINNER_TAKE, contest, active)

    # Policy failure: a procurement shortfall discredits the NEP's defenders (the Right).
    moved = g.harvest_crisis_shift * jnp.clip(shortfall, 0.0, 1.0) * s[K.BUKHARIN]
    others = active & (idx != K.BUKHARIN)
    share = jnp.where(others, s, 0.0) / jnp.maximum(fixed_sum(jnp.where(others, s, 0.0)), 1e-12)
    s = s + share * moved - jnp.where(idx == K.BUKHARIN, moved, 0.0)

    # Noise, then expulsion of the weakest.
    s = C.normalise(s * jnp.exp(g.power_noise_sd * z), active)
    expelled = (
        active
        & (s < g.expel_share)
        & (fixed_sum(active.astype(jnp.int32)) > 1)
        & (idx != jnp.argmax(s))
    )
    active = active & ~expelled
    s, res = C.normalise(s, active), C.normalise(res, active)

    # Consolidation: personal rule needs the named opposition broken (the uncommitted
    # "others" aside), as Trotsky and Zinoviev were by 1927 and the Right by 1929.
    top = jnp.argmax(s)
    rivals = active & (idx != top) & (idx != K.OTHERS)
    strongest_rival = jnp.max(jnp.where(rivals, s, 0.0))
    hazard = g.consolidation_rate * g.propensity[top]
    consolidate = (
        (s[top] >= g.consolidation_threshold)
        & (strongest_rival <= RIVAL_CEILING)
        & (u[EV_CONSOLIDATE] < 1.0 - jnp.exp(-hazard))
    )
    return s, res, active, consolidate


def month(
    t: jax.Array,
    lead: Leadership,
    pr: Pressures,
    z: jax.Array,
    u: jax.Array,
    g: SuccessionParams,
    dist: jax.Array,
    leader_month: int,
) -> Leadership:
    """One month of the struggle and of personal rule.

    Args:
        t: month index (int32).
        lead: the leadership at the start of the month.
        pr: the month's pressures (shortfall, famine, purge, terror, the year).
        z: float32 ``[F]`` standard normal draws.
        u: float32 ``[>=8]`` uniform draws (``EV_*``).
        g: parameters.
        dist: float32 ``[F, F]`` policy distances (:func:`.coalition.distances`).
        leader_month: month index at whose end ``soviet_leader`` is read.
    """
    idx = jnp.arange(K.N_FACTIONS)
    decay = jnp.exp(-1.0 / (12.0 * g.insecurity_memory))
    assassination = u[EV_ASSASSIN] < g.assassination_rate
    alarm = lead.alarm * decay + assassination.astype(jnp.float32)
    disaster = lead.disaster * decay + jnp.maximum(pr.famine, 0.0)
    grievance = lead.grievance * decay + jnp.maximum(pr.discharged, 0.0)

    # 1. Deaths.
    ruled = lead.ruler >= 0
    r = jnp.maximum(lead.ruler, 0)
    dies, dead = C.pick(
        R.death_hazards(pr.year, lead.active, g.mortality_50, g.mortality_doubling), u[EV_DEATH]
    )
    active = lead.active & ~((idx == dead) & dies)
    active = jnp.where(fixed_sum(active.astype(jnp.int32)) > 0, active, lead.active)
    s, res = C.normalise(lead.power, active), C.normalise(lead.resources, active)
    ruler_died = ruled & dies & (dead == r)

    # 2. The collective struggle.
    cs, cres, cactive, consolidate = _collective(s, res, active, pr.shortfall, z, u, g, dist)
    top = jnp.argmax(cs).astype(jnp.int32)

    # 3. Personal rule: the rivals erode; a revolt or a coup within the window.
    keep = jnp.where(idx == r, 1.0, 1.0 - g.rival_decay * (1.0 + TERROR_ELITE * pr.terror))
    ps = C.normalise(s * jnp.clip(keep, 0.0, 1.0), active)
    pres = C.normalise(res * jnp.clip(keep, 0.0, 1.0)[:, None], active)
    window = R.consolidation_window(t, lead.rule_start, g.consolidation_years)
    hz = R.attempt_hazards(
        ps, pres[r], r, disaster, grievance, g.revolt_rate, g.coup_rate, g.disaster_weight, C.ARMY
    )
    attempt, kind = C.pick(jnp.where(window & ruled & ~ruler_died, hz, 0.0), u[EV_ATTEMPT])
    x = C.strength(ps, pres, active, g.force_weight)
    odds = jnp.where(
        kind == 0,
        1.0 - 2.0 * x[r],
        1.0 - pres[r, C.ARMY] - pres[r, C.POLICE],
    )
    success = attempt & (u[EV_ATTEMPT_WIN] < jax.nn.sigmoid(g.contest_sharpness * odds))
    # The plotters: the strongest rival (revolt) or the army's largest other holder (coup).
    by = jnp.where(kind == 0, x, pres[:, C.ARMY])
    plotter = jnp.argmax(jnp.where(active & (idx != r), by, -1.0)).astype(jnp.int32)
    loser = jnp.where(success, r, plotter)
    winner = jnp.where(success, plotter, r)
    ps = C.transfer(ps, loser, winner, g.contest_stake, WINNER_TAKE, attempt, active)
    pres = C.transfer(pres, loser, winner, g.contest_stake, WINNER_TAKE, attempt, active)
    alarm = alarm + (attempt & ~success).astype(jnp.float32)

    # Which branch holds, and the record of personal rule.
    power = jnp.where(ruled, ps, cs)
    resources = jnp.where(ruled, pres, cres)
    active = jnp.where(ruled, active, cactive)
    ended = ruled & (ruler_died | success)
    cause = jnp.where(ruler_died, R.END_DEATH, jnp.where(kind == 0, R.END_REVOLT, R.END_COUP))
    new_rule = ~ruled & consolidate
    ruler = jnp.where(ruled, jnp.where(ended, -1, lead.ruler), jnp.where(new_rule, top, -1))
    first_end = ended & (lead.end_month < 0)
    category = jnp.where(
        ruler >= 0, jnp.asarray(K.FACTION_CATEGORY, jnp.int32)[jnp.maximum(ruler, 0)], K.COLLECTIVE
    )
    return Leadership(
        power=power,
        resources=resources,
        active=active,
        ruler=ruler.astype(jnp.int32),
        personal_month=jnp.where(
            new_rule & (lead.personal_month < 0), t, lead.personal_month
        ).astype(jnp.int32),
        rule_start=jnp.where(new_rule, t, jnp.where(ended, -1, lead.rule_start)).astype(jnp.int32),
        end_cause=jnp.where(first_end, cause, lead.end_cause).astype(jnp.int32),
        end_month=jnp.where(first_end, t, lead.end_month).astype(jnp.int32),
        alarm=alarm,
        disaster=disaster,
        grievance=grievance,
        leader_1930=jnp.where(t == leader_month, category, lead.leader_1930).astype(jnp.int32),
    )


def rivals_residual(lead: Leadership) -> jax.Array:
    """Power outside the leading faction (the ruler's, else the largest), 0..1."""
    top = jnp.where(lead.ruler >= 0, lead.ruler, jnp.argmax(lead.power))
    return 1.0 - lead.power[top]


def policy_weights(lead: Leadership, concentration: jax.Array) -> jax.Array:
    """Weight of each faction's policy, float32 ``[F]``.

    The ruler's alone under personal rule, else power shares raised to
    ``concentration`` and normalised.
    """
    w = jnp.where(lead.active, lead.power, 0.0) ** concentration
    w = w / jnp.maximum(fixed_sum(w), 1e-12)
    one = (jnp.arange(K.N_FACTIONS) == lead.ruler).astype(jnp.float32)
    return jnp.where(lead.ruler >= 0, one, w)


def policy_in_force(
    lead: Leadership, policies: jax.Array, divergence: jax.Array, concentration: jax.Array
) -> jax.Array:
    """The policy vector in force, float32 ``[N_POLICY]``.

    ``policies`` is float32 ``[F, N_POLICY]`` (each faction's levers), ``divergence``
    float32 ``[N_POLICY]`` (one per lever, or a scalar for all). Each lever of the
    leadership's mix departs from Stalin's course by its own divergence:
    ``v_j = v_stalin,j + divergence_j * ((w @ V)_j - v_stalin,j)``.
    """
    mix = fixed_sum(policy_weights(lead, concentration)[:, None] * policies, axis=0)
    return policies[K.STALIN] + divergence * (mix - policies[K.STALIN])
