"""One month of the frontiers slice: the draws, then a pure function of state and draws.

Three theatres (:mod:`.theatres`): two borders with Japan (Khasan, Khalkhin Gol) and
Finland. Each month:

* **Japanese probes.** From the Sino-Japanese war's start, each quiet border with Japan
  sees a probe with hazard ``probe_rate x exp(probe_weakness x (q_japan - q_ussr))``:
  the Red Army's command quality below Japan's army's invites probes (the seeds' "internal
  events in the U.S.S.R. tempt Japan to forge the iron while it is hot").
* **Battles.** In every theatre at war the Red Army attacks (its counterattack at the
  borders, its offensive in Finland). The combat kernel fitted on CDB90
  (:mod:`.combat_fit`) gives each side's casualties per day over its strength,
  ``exp(b0 + b1 ln(A/D) + b2 prepared + b3 E + e)``, and the chance the Red Army wins
  the month's battle, ``logistic(w0 + w1 ln(A/D) + w2 prepared + w3 E)``, with ``E =
  (q_ussr - q_opponent) / quality_per_effectiveness`` (CDB90's effectiveness
  advantage, in steps) and ``e`` the kernel's correlated residuals; casualties over the
  month's ``combat_days`` are ``F (1 - exp(-rate x days))``, of which a share is dead
  and missing.
* **The borders.** A Red Army win ends a clash (Japan accepts a ceasefire, as after
  Khasan and Khalkhin Gol); a Japanese win lets Japan escalate into a Soviet-Japanese
  war with probability ``logistic(escalation_intercept + escalation_weakness x (q_japan
  - q_ussr))``; a clash not decided after :data:`CLASH_MONTHS` ends in a ceasefire.
* **Eastern Poland.** The month after a German-Soviet pact (the secret protocol's
  sphere) the Red Army enters eastern Poland.
* **Finland.** Two months after the European war begins the USSR demands territory and
  bases of Finland with a probability that depends on the crisis's outcome (a pact's
  sphere, an alliance with Finland's Western friends, neither); Finland refuses with
  ``finland_refuses``; the war begins the next month. Soviet reinforcements grow the
  force by ``winter_war_reinforcement`` a month (log). After a month in which its
  offensive was repulsed, the Red Army regroups with chance ``winter_war_regroup``: a
  month without an offensive, the reinforcements still arriving (January 1940, after
  the December offensive failed; the longer the Red Army loses, the longer the war).
  Finland makes peace after
  ``finland_peace_wins`` lost battles or when its casualties reach
  ``finland_loss_tolerance`` of its army; the USSR settles when its dead reach
  ``soviet_loss_tolerance``; at most :data:`WAR_MONTHS`.
* **The annexations of 1940.** In the month the West is tied down by Germany's offensive
  (France's fall; after the European war began), the USSR takes the Baltic states and
  Bessarabia, each with probability ``annex_pact`` after a pact (the secret protocol's
  sphere), ``annex_alone`` without a pact or an alliance, and never with an alliance.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from abm.engine import exact
from abm.models.interwar.frontiers import theatres as T
from abm.models.interwar.frontiers.types import FrontierDraws, FrontierState

#: A clash not decided after this many months ends in a ceasefire.
CLASH_MONTHS = 4
#: The Winter War's longest duration, months.
WAR_MONTHS = 12
#: Months from the European war's start to the Soviet demands on Finland (5 October
#: 1939, a month after 1 September: the crisis month is August's, so two).
DEMAND_DELAY = 2

#: The mechanism parameters a month reads, by catalogue name.
PARAMS = (
    "quality_per_effectiveness",
    "finnish_army_quality",
    "japanese_army_quality",
    "combat_days",
    "dead_share_ussr",
    "dead_share_opponent",
    "winter_war_reinforcement",
    "winter_war_regroup",
    "finland_peace_wins",
    "finland_loss_tolerance",
    "soviet_loss_tolerance",
    "finland_demand_pact",
    "finland_demand_alone",
    "finland_demand_allied",
    "finland_refuses",
    "probe_rate",
    "probe_weakness",
    "escalation_intercept",
    "escalation_weakness",
    "annex_pact",
    "annex_alone",
)


class Inputs(NamedTuple):
    """This month's inputs from the other slices (or the slice's own fallbacks).

    Attributes:
        quality: float32, the Red Army's command quality index, 0..1.
        war_month: int32, the month the European war began, -1 none.
        pact: bool, a German-Soviet pact has been made.
        pact_month: int32, its month, -1 none.
        alliance: bool, an Anglo-French-Soviet alliance has been made.
        china_war_month: int32, the month the Sino-Japanese war began, -1 none.
        west_busy_month: int32, the month France falls (the West tied down), -1 never.
    """

    quality: jax.Array
    war_month: jax.Array
    pact: jax.Array
    pact_month: jax.Array
    alliance: jax.Array
    china_war_month: jax.Array
    west_busy_month: jax.Array


def draw_month(key: jax.Array) -> FrontierDraws:
    """The month's draws from the slice's month key."""
    k_probe, k_battle, k_attr, k_dec = jax.random.split(key, 4)
    n = len(T.THEATRES)
    return FrontierDraws(
        probe=jax.random.uniform(k_probe, (n,), jnp.float32),
        battle=jax.random.uniform(k_battle, (n,), jnp.float32),
        attrition=jax.random.normal(k_attr, (n, len(T.SIDES)), jnp.float32),
        decision=jax.random.uniform(k_dec, (len(T.DECISIONS),), jnp.float32),
        # Folded in, so that the other draws stay as they were before the annexations.
        annex=jax.random.uniform(jax.random.fold_in(key, 1), (len(T.ANNEXATIONS),), jnp.float32),
        regroup=jax.random.uniform(jax.random.fold_in(key, 2), (), jnp.float32),
    )


def _sigmoid(x: jax.Array) -> jax.Array:
    return 1.0 / (1.0 + exact.exp(-x))


def battle(
    force: jax.Array,
    prepared: jax.Array,
    effectiveness: jax.Array,
    noise: jax.Array,
    u: jax.Array,
    kern: T.Kernel,
    days: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """One month's battle in every theatre, the Red Army attacking.

    Args:
        force: float32 ``[T, 2]``, thousand persons (the USSR, the opponent).
        prepared: float32 ``[T]``, 1 where the opponent holds a prepared defence.
        effectiveness: float32 ``[T]``, the Red Army's advantage in CDB90 steps.
        noise: float32 ``[T, 2]`` standard normals.
        u: float32 ``[T]`` uniforms.
        kern: the fitted kernel.
        days: float32, days of combat in the month.

    Returns:
        (casualties float32 ``[T, 2]`` in thousand persons, Red Army won bool ``[T]``).
    """
    ratio = exact.log(jnp.maximum(force[:, 0], 1e-3) / jnp.maximum(force[:, 1], 1e-3))
    x = jnp.stack([jnp.ones_like(ratio), ratio, prepared, effectiveness], axis=1)
    att, dfn, win = (jnp.asarray(v, jnp.float32) for v in (kern.attacker, kern.defender, kern.win))
    sd = jnp.asarray(kern.residual_sd, jnp.float32)
    rho = jnp.float32(kern.residual_corr)
    e_att = sd[0] * noise[:, 0]
    e_def = sd[1] * (rho * noise[:, 0] + jnp.sqrt(1.0 - rho * rho) * noise[:, 1])
    rate = jnp.stack([exact.exp(x @ att + e_att), exact.exp(x @ dfn + e_def)], axis=1)
    cas = force * (1.0 - exact.exp(-rate * days))
    won = u < _sigmoid(x @ win)
    return cas, won


def advance(
    state: FrontierState,
    tab: T.Theatres,
    kern: T.Kernel,
    inp: Inputs,
    p: dict[str, jax.Array],
    d: FrontierDraws,
) -> FrontierState:
    """One month of one run."""
    t = state.month
    q = inp.quality
    q_opp = jnp.array(
        [p["japanese_army_quality"], p["japanese_army_quality"], p["finnish_army_quality"]]
    )
    clash = jnp.zeros(len(T.THEATRES), bool).at[jnp.array(T.CLASHES)].set(True)

    # Japanese probes on the quiet borders.
    china = (inp.china_war_month >= 0) & (t >= inp.china_war_month)
    hazard = p["probe_rate"] * exact.exp(p["probe_weakness"] * (q_opp - q))
    probe = clash & china & (state.status == T.QUIET) & (d.probe < hazard)

    # Finland: the demand, the refusal, the war.
    demand_now = (
        (inp.war_month >= 0) & (t == inp.war_month + DEMAND_DELAY) & (state.demand_month < 0)
    )
    p_demand = jnp.where(
        inp.pact,
        p["finland_demand_pact"],
        jnp.where(inp.alliance, p["finland_demand_allied"], p["finland_demand_alone"]),
    )
    demanded = demand_now & (d.decision[0] < p_demand)
    demand_month = jnp.where(demanded, t, state.demand_month)
    refused = (
        (state.demand_month >= 0)
        & (t == state.demand_month + 1)
        & (d.decision[1] < p["finland_refuses"])
    )
    start_now = probe | (jnp.arange(len(T.THEATRES)) == T.FINLAND) & refused
    start_now = start_now & (state.status == T.QUIET)
    status = jnp.where(start_now, T.FIGHTING, state.status)
    start = jnp.where(start_now, t, state.start)
    initial = jnp.stack([jnp.asarray(tab.soviet_force), jnp.asarray(tab.opponent_force)], axis=1)
    force = jnp.where(start_now[:, None], initial, state.force)

    # The month's battles: in Finland, none in a month of regrouping.
    fighting = status == T.FIGHTING
    finland = jnp.arange(len(T.THEATRES)) == T.FINLAND
    regroup = finland & fighting & (state.repulsed == 1) & (d.regroup < p["winter_war_regroup"])
    battling = fighting & ~regroup
    effectiveness = (q - q_opp) / p["quality_per_effectiveness"]
    cas, won = battle(
        force,
        jnp.asarray(tab.prepared),
        effectiveness,
        d.attrition,
        d.battle,
        kern,
        p["combat_days"],
    )
    cas = jnp.where(battling[:, None], cas, 0.0)
    won = battling & won
    share = jnp.stack([p["dead_share_ussr"], p["dead_share_opponent"]])
    casualties = state.casualties + 1000.0 * cas
    dead = state.dead + 1000.0 * cas * share[None, :]
    wins = state.wins + won.astype(jnp.int32)
    left = force - cas
    grow = jnp.where(finland, p["winter_war_reinforcement"], 0.0)
    force = jnp.where(fighting[:, None], left.at[:, 0].multiply(exact.exp(grow)), force)

    # How each war ends this month.
    months = t - start + 1
    ceasefire = clash & fighting & (won | (months >= CLASH_MONTHS))
    escalate_p = _sigmoid(p["escalation_intercept"] + p["escalation_weakness"] * (q_opp - q))
    escalate = clash & fighting & ~won & (d.decision[2] < escalate_p) & (state.japan_war_month < 0)
    escalated = jnp.any(escalate)
    fin = T.FINLAND
    finland_gives = (wins[fin].astype(jnp.float32) >= p["finland_peace_wins"]) | (
        casualties[fin, 1] >= 1000.0 * p["finland_loss_tolerance"] * initial[fin, 1]
    )
    soviet_settles = dead[fin, 0] >= 1000.0 * p["soviet_loss_tolerance"]
    peace = fighting[fin] & (finland_gives | soviet_settles | (months[fin] >= WAR_MONTHS))
    ends = ceasefire | escalate | (finland & peace)
    status = jnp.where(ends, T.OVER, status)
    end = jnp.where(ends, t, state.end)

    # The annexations of 1940, while the West is tied down.
    busy = (
        (inp.war_month >= 0)
        & (inp.west_busy_month >= inp.war_month)
        & (t == inp.west_busy_month)
        & (state.annex_month < 0)
    )
    p_annex = jnp.where(inp.pact, p["annex_pact"], jnp.where(inp.alliance, 0.0, p["annex_alone"]))
    annex_month = jnp.where(busy & (d.annex < p_annex), t, state.annex_month)

    return FrontierState(
        month=t + 1,
        status=status,
        start=start,
        end=end,
        force=force,
        dead=dead,
        casualties=casualties,
        wins=wins,
        repulsed=(battling & ~won).astype(jnp.int32),
        demand_month=demand_month,
        poland_month=jnp.where(
            (inp.pact_month >= 0) & (t == inp.pact_month + 1), t, state.poland_month
        ),
        japan_war_month=jnp.where(escalated, t, state.japan_war_month),
        annex_month=annex_month.astype(jnp.int32),
    )


__all__ = [
    "CLASH_MONTHS",
    "DEMAND_DELAY",
    "PARAMS",
    "WAR_MONTHS",
    "Inputs",
    "advance",
    "battle",
    "draw_month",
]
