"""Cabinets, the elites' choices, the united front and civil war: one month of the regime.

Monthly hazards ``h`` become probabilities ``1 - exp(-h)``; every decision compares one
of the month's uniform draws (``EVENT_*`` index) with its probability. Equations and
parameter meanings are in ``docs/ODD.md`` ("Submodels: government").
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.models.interwar.germany import constants as K

(
    EV_CABINET_FALL,
    EV_PRESIDENTIAL_TURN,
    EV_DISSOLUTION,
    EV_NAZI_APPOINTMENT,
    EV_AUTHORITARIAN,
    EV_RETURN,
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
#: Unemployment rate below which a return to parliamentary government is possible.
SLUMP_RETURN = 0.12


@dataclass(frozen=True)
class GovernmentParams:
    """Scalars the regime month needs (each a float32 scalar drawn per run)."""

    united_front_uptake: jax.Array
    comintern_line: jax.Array  # the line in force this month, 0 social fascism .. 1 united front
    cabinet_fall_rate: jax.Array
    elite_authoritarianism: jax.Array
    dissolution_rate: jax.Array
    nazi_appointment_rate: jax.Array
    nazi_share_elasticity: jax.Array
    nazi_min_share: jax.Array
    reichswehr_opposition: jax.Array
    united_front_deterrence: jax.Array
    authoritarian_takeover_rate: jax.Array
    return_to_parliament_rate: jax.Array
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
class RegimeMonth:
    """What the regime month decided."""

    regime: jax.Array
    united_front: jax.Array
    early_election: jax.Array
    civil_war_started: jax.Array


def regime_month(
    t: jax.Array,
    regime: jax.Array,
    united_front: jax.Array,
    early_election: jax.Array,
    last_election: jax.Array,
    seat_share: jax.Array,
    paramilitary: jax.Array,
    crisis: jax.Array,
    slump: jax.Array,
    presidential_era: jax.Array,
    violence: jax.Array,
    u: jax.Array,
    g: GovernmentParams,
) -> RegimeMonth:
    """Decide one month of German government.

    Args:
        t: month index.
        regime: int32 regime code at the start of the month.
        united_front: bool, a united front exists.
        early_election: int32 month of a called early election, or -1.
        last_election: int32 month of the last election held.
        seat_share: float32 ``[P]`` Reichstag shares.
        paramilitary: float32 ``[P]`` thousands of men.
        crisis: crisis index (unemployment rate plus the inflation aftershock).
        slump: unemployment rate (registered unemployed / dependent labour force).
        presidential_era: bool, Hindenburg is president (from May 1925): his circle, not
            Ebert, could answer a cabinet crisis with a presidential cabinet.
        violence: street-violence index, 0..1.
        u: float32 ``[N_EVENT_DRAWS]`` uniform draws.
        g: parameters.

    Returns:
        The new regime, united-front flag, early-election month, and whether a civil war
        started this month.
    """
    nsdap = seat_share[K.NSDAP]
    # KPD and NSDAP together holding half the seats block any parliamentary majority.
    negative_majority = seat_share[K.KPD] + seat_share[K.NSDAP] >= 0.5
    constitutional = (regime == K.PARLIAMENTARY) | (regime == K.PRESIDENTIAL)

    # The left: a united front forms against a Nazi threat if the line and uptake allow.
    threat = jnp.clip((nsdap - 0.05) / 0.25, 0.0, 1.5)
    line = g.comintern_line + (1.0 - g.comintern_line) * g.sectarian_residual
    h_uf = g.united_front_rate * g.united_front_uptake * line * threat
    uf_new = constitutional & ~united_front & (u[EV_UNITED_FRONT] < prob(h_uf))
    uf = united_front | uf_new

    # Parliamentary cabinets fall; in a slump Hindenburg's circle turns presidential.
    parl = regime == K.PARLIAMENTARY
    fall = parl & (u[EV_CABINET_FALL] < prob(g.cabinet_fall_rate * (1.0 + 3.0 * crisis)))
    turn_p = jnp.where(
        negative_majority,
        1.0,
        jnp.where(
            presidential_era,
            g.elite_authoritarianism * jax.nn.sigmoid((slump - SLUMP_TURN) / SLUMP_WIDTH),
            0.0,
        ),
    )
    to_presidential = fall & (u[EV_PRESIDENTIAL_TURN] < turn_p)

    # Presidential cabinets: dissolutions, and the elites' way out.
    pres = regime == K.PRESIDENTIAL
    dissolve = (
        pres
        & (t - last_election >= 4)
        & (early_election < 0)
        & (u[EV_DISSOLUTION] < prob(g.dissolution_rate))
    )
    early = jnp.where(dissolve, t + 2, early_election)
    h_nazi = (
        g.nazi_appointment_rate
        * jnp.exp(g.nazi_share_elasticity * (nsdap - 0.33) / 0.1)
        * (1.0 - g.reichswehr_opposition)
        * (1.0 - g.united_front_deterrence * uf.astype(jnp.float32))
    )
    appoint = pres & (nsdap >= g.nazi_min_share) & (u[EV_NAZI_APPOINTMENT] < prob(h_nazi))
    h_auth = g.authoritarian_takeover_rate * crisis / 0.3
    takeover = pres & ~appoint & (u[EV_AUTHORITARIAN] < prob(h_auth))
    restore = (
        pres
        & ~appoint
        & ~takeover
        & ~negative_majority
        & (slump < SLUMP_RETURN)
        & (u[EV_RETURN] < prob(g.return_to_parliament_rate))
    )

    # A united left meets a move to dictatorship, or violence escalates: civil war.
    confront = (appoint | takeover) & uf
    cw_conf = confront & (u[EV_CONFRONTATION] < g.civil_war_on_confrontation)
    cw_viol = (
        constitutional
        & uf
        & (u[EV_VIOLENT_ESCALATION] < prob(g.civil_war_violence_rate * violence))
    )
    cw_start = cw_conf | cw_viol

    new = jnp.select(
        [cw_start, appoint, takeover, restore, to_presidential],
        [K.CIVIL_WAR, K.NAZI, K.AUTHORITARIAN, K.PARLIAMENTARY, K.PRESIDENTIAL],
        regime,
    ).astype(jnp.int32)

    # An ongoing civil war ends; the stronger side, with the army's lean, wins.
    in_war = regime == K.CIVIL_WAR
    ends = in_war & (u[EV_CIVIL_WAR_END] < 1.0 / g.civil_war_months)
    left = paramilitary[K.KPD] + paramilitary[K.SPD]
    right = paramilitary[K.NSDAP] + paramilitary[K.DNVP]
    balance = (left - right) / jnp.maximum(left + right, 1e-3)
    p_left = jax.nn.sigmoid(g.left_strength_effect * balance - g.army_bias_right)
    winner = jnp.where(
        u[EV_CIVIL_WAR_WINNER] < p_left,
        K.LEFT,
        jnp.where(nsdap >= 0.25, K.NAZI, K.AUTHORITARIAN),
    )
    new = jnp.where(ends, winner, new).astype(jnp.int32)
    return RegimeMonth(
        regime=new, united_front=uf, early_election=early, civil_war_started=cw_start
    )
