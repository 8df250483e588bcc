"""Succession, 1924 onwards: factions' power, showdowns, expulsions, personal rule.

Monthly, while no faction rules personally (equations in ``docs/ODD.md``, "Soviet
succession"):

1. *Patronage*: power moves towards apparatus control,
   ``s <- s + apparatus_pull * (a - s)``; the faction holding the Secretariat (largest
   ``a``) widens its hold, ``a_L <- a_L * (1 + secretariat_growth)``, renormalised.
2. *Showdown* (probability ``contest_rate``): the apparatus leader L attacks the strongest
   other active faction T. L's side is ``s_L + bandwagon * (1 - s_L - s_T)``; L wins with
   probability ``sigmoid(contest_sharpness * (side - s_T))``. The loser gives up
   ``contest_stake`` of its power and apparatus, mostly to the winner. A faction below
   ``expel_share`` is expelled.
3. *Policy failure*: a procurement shortfall moves ``harvest_crisis_shift * shortfall`` of
   the Right's power to the others (the 1927-28 grain crisis).
4. *Noise*: ``s <- normalise(s * exp(power_noise_sd * z))`` over active factions.
5. *Consolidation*: the largest faction, above ``consolidation_threshold`` and with every
   named rival below ``RIVAL_CEILING`` (the uncommitted "others" aside), turns to personal rule
   with monthly hazard ``consolidation_rate * personal_rule_propensity``.

Personal rule, once reached, lasts (to 1941 in this slice).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_sum
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.types import Leadership

EV_CONTEST, EV_CONTEST_WIN, EV_CONSOLIDATE = range(3)
#: Share of a lost showdown's stake that goes to the winner (the rest to the others).
WINNER_TAKE = 0.7
#: Power share above which a named rival faction still blocks personal rule. Assumption.
RIVAL_CEILING = 0.1


@dataclass(frozen=True)
class SuccessionParams:
    """Scalars of the succession month (float32, drawn per run)."""

    apparatus_pull: jax.Array
    secretariat_growth: jax.Array
    contest_rate: jax.Array
    contest_sharpness: jax.Array
    contest_stake: jax.Array
    bandwagon: jax.Array
    expel_share: jax.Array
    power_noise_sd: jax.Array
    consolidation_threshold: jax.Array
    consolidation_rate: jax.Array
    harvest_crisis_shift: jax.Array
    propensity: jax.Array  # float32 [F]


def _normalise(x: jax.Array, active: jax.Array) -> jax.Array:
    x = jnp.where(active, jnp.maximum(x, 0.0), 0.0)
    return x / jnp.maximum(fixed_sum(x), 1e-12)


def initial(power: jax.Array, apparatus: jax.Array) -> Leadership:
    """January 1924 from the leader preset's shares (normalised)."""
    active = jnp.ones((K.N_FACTIONS,), bool)
    return Leadership(
        power=_normalise(power, active),
        apparatus=_normalise(apparatus, active),
        active=active,
        ruler=jnp.int32(-1),
        personal_month=jnp.int32(-1),
        leader_1930=jnp.int32(K.COLLECTIVE),
    )


def month(
    t: jax.Array,
    lead: Leadership,
    shortfall: jax.Array,
    z: jax.Array,
    u: jax.Array,
    g: SuccessionParams,
    leader_month: int,
) -> Leadership:
    """One month of the struggle (a no-op once a faction rules personally).

    Args:
        t: month index.
        lead: the leadership at the start of the month.
        shortfall: this month's procurement shortfall against the quota (0 unless a
            harvest was procured this month), 0..1.
        z: float32 ``[F]`` standard normal draws.
        u: float32 ``[>=3]`` uniform draws (``EV_*``).
        g: parameters.
        leader_month: month index at whose end ``soviet_leader`` is read.
    """
    s, a, active = lead.power, lead.apparatus, lead.active
    idx = jnp.arange(K.N_FACTIONS)

    # 1. Patronage.
    s = _normalise(s + g.apparatus_pull * (a - s), active)
    boss = jnp.argmax(jnp.where(active, a, -1.0))
    a = _normalise(a * (1.0 + g.secretariat_growth * (idx == boss).astype(jnp.float32)), active)

    # 2. A showdown between the apparatus leader and its strongest rival.
    rival = jnp.argmax(jnp.where(active & (idx != boss), s, -1.0))
    has_rival = fixed_sum(active.astype(jnp.int32)) > 1
    s_l, s_t = s[boss], s[rival]
    side = s_l + g.bandwagon * (1.0 - s_l - s_t)
    contest = has_rival & (u[EV_CONTEST] < g.contest_rate)
    boss_wins = u[EV_CONTEST_WIN] < jax.nn.sigmoid(g.contest_sharpness * (side - s_t))
    loser = jnp.where(boss_wins, rival, boss)
    winner = jnp.where(boss_wins, boss, rival)
    is_loser = (idx == loser) & contest
    is_winner = (idx == winner) & contest

    def transfer(x: jax.Array) -> jax.Array:
        stake = g.contest_stake * x[loser]
        others = active & (idx != loser) & (idx != winner)
        rest = jnp.where(others, x, 0.0)
        rest_w = rest / jnp.maximum(fixed_sum(rest), 1e-12)
        to_rest = jnp.where(fixed_sum(rest) > 0, (1.0 - WINNER_TAKE) * stake, 0.0)
        gain = jnp.where(is_winner, stake - to_rest, 0.0) + jnp.where(
            contest, rest_w * to_rest, 0.0
        )
        return _normalise(x - jnp.where(is_loser, stake, 0.0) + gain, active)

    s, a = transfer(s), transfer(a)

    # 3. Policy failure: a procurement shortfall discredits the NEP's defenders (the Right).
    moved = g.harvest_crisis_shift * jnp.clip(shortfall, 0.0, 1.0) * s[K.BUKHARIN]
    others = active & (idx != K.BUKHARIN)
    share = jnp.where(others, s, 0.0) / jnp.maximum(fixed_sum(jnp.where(others, s, 0.0)), 1e-12)
    s = s + share * moved - jnp.where(idx == K.BUKHARIN, moved, 0.0)

    # 4. Noise, then expulsion of the weakest.
    s = _normalise(s * jnp.exp(g.power_noise_sd * z), active)
    expelled = (
        active
        & (s < g.expel_share)
        & (fixed_sum(active.astype(jnp.int32)) > 1)
        & (idx != jnp.argmax(s))
    )
    active = active & ~expelled
    s, a = _normalise(s, active), _normalise(a, active)

    # 5. Consolidation into personal rule.
    # Personal rule needs the named opposition broken: no faction but the uncommitted
    # "others" above RIVAL_CEILING (Trotsky and Zinoviev expelled in 1927, the Right
    # defeated in 1929, before Stalin's rule became personal).
    top = jnp.argmax(s)
    rivals = active & (idx != top) & (idx != K.OTHERS)
    strongest_rival = jnp.max(jnp.where(rivals, s, 0.0))
    hazard = g.consolidation_rate * g.propensity[top]
    consolidate = (
        (s[top] >= g.consolidation_threshold)
        & (strongest_rival <= RIVAL_CEILING)
        & (u[EV_CONSOLIDATE] < 1.0 - jnp.exp(-hazard))
    )
    ruled = lead.ruler >= 0
    ruler = jnp.where(ruled, lead.ruler, jnp.where(consolidate, top, -1)).astype(jnp.int32)
    personal_month = jnp.where(~ruled & consolidate, t, lead.personal_month)
    category = jnp.where(
        ruler >= 0, jnp.asarray(K.FACTION_CATEGORY, jnp.int32)[jnp.maximum(ruler, 0)], K.COLLECTIVE
    )
    leader_1930 = jnp.where(t == leader_month, category, lead.leader_1930).astype(jnp.int32)
    new = Leadership(
        power=s,
        apparatus=a,
        active=active,
        ruler=ruler,
        personal_month=personal_month.astype(jnp.int32),
        leader_1930=leader_1930,
    )
    # Under personal rule the struggle is over: only the 1930 record moves.
    frozen = replace(lead, leader_1930=leader_1930)
    return jax.tree.map(lambda x, y: jnp.where(ruled, x, y), frozen, new)


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

    ``policies`` is float32 ``[F, N_POLICY]`` (each faction's levers). The leadership's
    mix departs from Stalin's course by ``divergence`` of the difference:
    ``v = v_stalin + divergence * (w @ V - v_stalin)``.
    """
    mix = fixed_sum(policy_weights(lead, concentration)[:, None] * policies, axis=0)
    return policies[K.STALIN] + divergence * (mix - policies[K.STALIN])
