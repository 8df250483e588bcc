"""Cabinets, the presidential regime's agents, Prussia, the united front and civil war.

One month of the regime. The presidential regime's decisions are the agents' choices
(:mod:`.presidency`); the left's force is the general strike and Prussia's police
(:mod:`.strike`, :mod:`.prussia`); the united front follows the KPD's line and the SPD's
willingness (:mod:`.united_front`). Monthly hazards ``h`` become probabilities
``1 - exp(-h)``; every decision compares one of the month's uniform draws (``EV_*``
index) with its probability. Equations in ``docs/ODD.md`` ("Submodels: government").
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany import presidency, prussia, strike, united_front

(
    EV_CABINET_FALL,
    EV_PRESIDENTIAL_TURN,
    EV_PROPOSAL,
    EV_PRESIDENT,
    EV_ARMY,
    EV_PRUSSIA,
    EV_UNITED_FRONT,
    EV_CONFRONTATION,
    EV_VIOLENT_ESCALATION,
    EV_CIVIL_WAR_END,
    EV_CIVIL_WAR_WINNER,
) = range(11)
N_EVENT_DRAWS = 11
#: Unemployment rate at which half of Hindenburg's circle's answers to a cabinet crisis
#: would be presidential (about 2.7 million registered unemployed), and the logistic
#: width; assumption, placed between the 1928 rate (0.08) and the March 1930 rate (0.17).
SLUMP_TURN = 0.15
SLUMP_WIDTH = 0.02
#: Hindenburg's death (2 August 1934). After it no Nazi appointment: in our timeline
#: Hitler merged the offices the same day; in a timeline where the presidential regime
#: still stands without him, his successor (under Article 51 the chancellor, then an
#: election) inherits an authoritarian order the army and elites had consolidated
#: without the NSDAP; judgement (Kershaw 1998, *Hitler 1889-1936*, ch. 11-12).
HINDENBURG_DEATH = "1934-08"


@dataclass(frozen=True)
class GovernmentParams:
    """Scalars the regime month needs (each a float32 scalar drawn per run)."""

    united_front_uptake: jax.Array  # the SPD leadership's willingness, 0..1
    comintern_line: jax.Array  # the line in force this month, 0 social fascism .. 1 united front
    cabinet_fall_rate: jax.Array
    elite_authoritarianism: jax.Array
    decision_inertia: jax.Array
    parliament_return_util: jax.Array
    dissolution_util: jax.Array
    military_util: jax.Array
    hitler_util: jax.Array
    elite_framing: jax.Array
    elite_decline_weight: jax.Array
    elite_violence_weight: jax.Array
    strike_deterrence: jax.Array
    hitler_aversion: jax.Array
    president_fatigue: jax.Array
    president_base_wish: jax.Array
    president_military_util: jax.Array
    army_autonomy: jax.Array
    army_hitler_util: jax.Array
    army_two_front_fear: jax.Array
    prussia_coup_util: jax.Array
    strike_base: jax.Array
    strike_unemployment_sensitivity: jax.Array
    strike_united_front_gain: jax.Array
    united_front_rate: jax.Array
    sectarian_residual: jax.Array
    civil_war_on_confrontation: jax.Array
    civil_war_violence_rate: jax.Array
    civil_war_months: jax.Array
    left_strength_effect: jax.Array
    army_bias_right: jax.Array


def prob(hazard: jax.Array) -> jax.Array:
    """Monthly probability of an event with monthly hazard ``hazard``."""
    return 1.0 - jnp.exp(-jnp.maximum(hazard, 0.0))


@dataclass(frozen=True)
class RegimeInputs:
    """The month's information the regime month reads (scalars; ``seat_share`` ``[P]``)."""

    t: jax.Array  # int32 month index
    regime: jax.Array  # int32 regime code at the start of the month
    regime_since: jax.Array  # int32 month the regime began
    united_front: jax.Array  # bool
    united_front_strength: jax.Array  # float32 0..1
    prussia_left: jax.Array  # bool: the SPD-led Prussian government commands its police
    early_election: jax.Array  # int32 month of a called early election, or -1
    last_election: jax.Array  # int32 month of the last election held
    seat_share: jax.Array  # float32 [P] Reichstag shares
    nsdap_previous: jax.Array  # NSDAP share at the election before the last
    paramilitary: jax.Array  # float32 [P] thousands of men
    crisis: jax.Array  # crisis index
    slump: jax.Array  # unemployment rate
    presidential_era: jax.Array  # bool: Hindenburg is president (from May 1925)
    window_open: jax.Array  # bool: Hindenburg alive (before August 1934)
    landtag_expired: jax.Array  # bool: the 1928 Prussian Landtag's term is over
    violence: jax.Array  # street-violence index 0..1


@dataclass(frozen=True)
class RegimeMonth:
    """What the regime month decided."""

    regime: jax.Array
    united_front: jax.Array
    united_front_strength: jax.Array
    prussia_left: jax.Array
    early_election: jax.Array
    civil_war_started: jax.Array


def negative_majority(seat_share: jax.Array, uf_strength: jax.Array) -> jax.Array:
    """No parliamentary majority can be formed (bool).

    KPD and NSDAP together holding half the seats block any majority; with a united
    front the KPD tolerates an SPD-supported cabinet, as far as its rank and file follow:
    ``n + kpd (1 - uf_strength) >= 1/2``.
    """
    return seat_share[K.NSDAP] + seat_share[K.KPD] * (1.0 - uf_strength) >= 0.5


def regime_month(x: RegimeInputs, u: jax.Array, g: GovernmentParams) -> RegimeMonth:
    """Decide one month of German government.

    Args:
        x: the month's information.
        u: float32 ``[N_EVENT_DRAWS]`` uniform draws.
        g: parameters.

    Returns:
        The new regime, united front and its strength, Prussia's government, the
        early-election month, and whether a civil war started this month.
    """
    seat = x.seat_share
    nsdap = seat[K.NSDAP]
    regime = x.regime
    constitutional = (regime == K.PARLIAMENTARY) | (regime == K.PRESIDENTIAL)

    # The left: the KPD's line (the Comintern's) and the SPD's willingness.
    ready = united_front.readiness(g.comintern_line, g.united_front_uptake)
    threat = united_front.nazi_threat(nsdap)
    local = g.sectarian_residual * g.united_front_uptake * jnp.minimum(threat, 1.0)
    uf, uf_s = united_front.update(
        x.united_front,
        x.united_front_strength,
        ready,
        local,
        threat,
        g.united_front_rate,
        constitutional,
        u[EV_UNITED_FRONT],
    )
    strike_cap = strike.strike_capacity(
        x.slump,
        uf_s,
        g.strike_base,
        g.strike_unemployment_sensitivity,
        g.strike_united_front_gain,
    )
    left = strike.left_force(strike_cap, x.prussia_left, uf_s)
    sa = strike.sa_threat(x.paramilitary[K.NSDAP])
    blocked = negative_majority(seat, uf_s)

    # Parliamentary cabinets fall; in a slump Hindenburg's circle turns presidential.
    parl = regime == K.PARLIAMENTARY
    fall = parl & (u[EV_CABINET_FALL] < prob(g.cabinet_fall_rate * (1.0 + 3.0 * x.crisis)))
    turn_p = jnp.where(
        blocked,
        1.0,
        jnp.where(
            x.presidential_era,
            g.elite_authoritarianism * jax.nn.sigmoid((x.slump - SLUMP_TURN) / SLUMP_WIDTH),
            0.0,
        ),
    )
    to_presidential = fall & (u[EV_PRESIDENTIAL_TURN] < turn_p)

    # Presidential cabinets: the agents decide.
    pres = regime == K.PRESIDENTIAL
    obs = presidency.Observed(
        nsdap=nsdap,
        nsdap_decline=jnp.maximum(x.nsdap_previous - nsdap, 0.0),
        right_base=nsdap + seat[K.DNVP],
        crisis=x.crisis,
        violence=x.violence,
        slump=x.slump,
        sa=sa,
        left=left,
        negative_majority=blocked,
        can_dissolve=(x.t - x.last_election >= 4) & (x.early_election < 0),
        window_open=x.window_open,
        years_presidential=jnp.where(pres, (x.t - x.regime_since).astype(jnp.float32) / 12.0, 0.0),
    )
    choice = presidency.decide(obs, g, u[EV_PROPOSAL], u[EV_PRESIDENT], u[EV_ARMY])
    choice = jnp.where(pres, choice, presidency.KEEP)
    appoint = choice == presidency.HITLER
    takeover = choice == presidency.MILITARY
    restore = choice == presidency.PARLIAMENT
    dissolve = choice == presidency.DISSOLVE
    early = jnp.where(dissolve, x.t + 2, x.early_election)

    # Prussia: the elites' coup against the Braun-Severing government.
    coup_u = prussia.coup_utility(
        prussia.no_majority(seat, x.landtag_expired),
        g.elite_authoritarianism,
        x.violence,
        left,
        g.prussia_coup_util,
        g.elite_violence_weight,
        g.strike_deterrence,
    )
    prussia_left = prussia.month(x.prussia_left, pres, coup_u, u[EV_PRUSSIA])

    # A move to dictatorship meets the left: a general strike that brings it down (the
    # Kapp Putsch), or civil war; street violence can escalate while a front exists.
    resist_p = g.civil_war_on_confrontation * jnp.clip(left, 0.0, 1.0) * uf.astype(jnp.float32)
    resist = (appoint | takeover) & (u[EV_CONFRONTATION] < resist_p)
    p_collapse = jax.nn.sigmoid(g.left_strength_effect * (left - sa) - g.army_bias_right)
    # The draw, given resistance, is uniform on [0, resist_p): reuse it for the outcome.
    collapse = resist & (u[EV_CONFRONTATION] < resist_p * p_collapse)
    cw_conf = resist & ~collapse
    cw_viol = (
        constitutional
        & uf
        & (u[EV_VIOLENT_ESCALATION] < prob(g.civil_war_violence_rate * x.violence))
    )
    cw_start = cw_conf | cw_viol

    new = jnp.select(
        [cw_start, collapse, appoint, takeover, restore, to_presidential],
        [K.CIVIL_WAR, K.PRESIDENTIAL, K.NAZI, K.AUTHORITARIAN, K.PARLIAMENTARY, K.PRESIDENTIAL],
        regime,
    ).astype(jnp.int32)

    # An ongoing civil war ends; the stronger side, with the army's lean, wins. The
    # right's victory brings the NSDAP to power only while the appointment question is
    # open and the SA outnumbers the Stahlhelm; otherwise the army rules.
    in_war = regime == K.CIVIL_WAR
    ends = in_war & (u[EV_CIVIL_WAR_END] < 1.0 / g.civil_war_months)
    para = x.paramilitary
    left_men = para[K.KPD] + para[K.SPD]
    right_men = para[K.NSDAP] + para[K.DNVP]
    balance = (left_men - right_men) / jnp.maximum(left_men + right_men, 1e-3)
    p_left = jax.nn.sigmoid(g.left_strength_effect * balance - g.army_bias_right)
    nazi_wins = x.window_open & (para[K.NSDAP] > para[K.DNVP])
    winner = jnp.where(
        u[EV_CIVIL_WAR_WINNER] < p_left,
        K.LEFT,
        jnp.where(nazi_wins, K.NAZI, K.AUTHORITARIAN),
    )
    new = jnp.where(ends, winner, new).astype(jnp.int32)
    return RegimeMonth(
        regime=new,
        united_front=uf,
        united_front_strength=uf_s,
        prussia_left=prussia_left,
        early_election=early,
        civil_war_started=cw_start,
    )
