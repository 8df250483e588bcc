"""Terror from the leadership's insecurity, the Red Army's growth and its command quality.

Monthly (equations in ``docs/ODD.md``, "Purges"):

* *Insecurity* ``I = rival_insecurity * residual + alarm + threat_insecurity * threat +
  famine_insecurity * disaster`` (``residual``: power outside the ruler's, or the largest,
  faction; ``alarm``: failed plots and assassinations, decaying; ``disaster``: remembered
  famine deaths, millions).
* *Propensity* ``P = purge_severity in force`` under personal rule, times
  ``collective_purge_damping`` under a collective leadership.
* Outside a wave, a wave starts with monthly probability ``1 - exp(-terror_rate * P *
  I^2)``; its intensity ``P * I`` is fixed at the start and it lasts ``terror_months``.
  Each month of it brings ``executions_at_full * intensity / 12`` executions (the scale:
  a year of terror at intensity 1) and ``arrest_ratio`` times as many arrests, and
  discharges ``officer_discharge_share * intensity / terror_months`` of the command staff
  (``officer_ratio`` x personnel); ``officer_arrest_share`` of them are arrested and
  ``reinstatement_share`` come back over the 18 months after the wave.
* The army grows at ``army_growth * threat + war_expansion * war`` a year (log), ``war``:
  the European war under way (a Nazi Germany and the month past ``europe_war_start``).
* Command quality recovers towards ``command_quality_base`` over ``quality_recovery``
  years, falls by ``quality_purge_loss`` x the share discharged, comes back by the same
  for the share reinstated, and is diluted by ``expansion_dilution`` x the army's log
  growth (new commanders promoted without experience).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.models.interwar.soviet.types import Security

#: Months over which the reinstated officers return after the wave (1938-40).
REINSTATEMENT_MONTHS = 18.0


@dataclass(frozen=True)
class SecurityParams:
    """Scalars of the security month (float32, drawn per run)."""

    terror_rate: jax.Array
    rival_insecurity: jax.Array
    threat_insecurity: jax.Array
    famine_insecurity: jax.Array
    collective_purge_damping: jax.Array
    terror_months: jax.Array
    executions_at_full: jax.Array
    arrest_ratio: jax.Array
    officer_ratio: jax.Array
    officer_discharge_share: jax.Array
    officer_arrest_share: jax.Array
    reinstatement_share: jax.Array
    command_quality_base: jax.Array
    quality_purge_loss: jax.Array
    quality_recovery: jax.Array
    expansion_dilution: jax.Array
    cadre_loss_share: jax.Array
    army_growth: jax.Array
    war_expansion: jax.Array


@dataclass(frozen=True)
class Insecurity:
    """The leadership's position this month (float32 scalars but ``personal_rule``)."""

    residual: jax.Array  # power outside the leading faction, 0..1
    alarm: jax.Array  # failed plots and assassinations remembered
    disaster: jax.Array  # famine deaths remembered, millions
    severity: jax.Array  # purge_severity in force, 0..1
    personal_rule: jax.Array  # bool


def insecurity(ins: Insecurity, threat: jax.Array, p: SecurityParams) -> jax.Array:
    """The leadership's perceived insecurity ``I`` (0.., about 1 in 1937)."""
    return (
        p.rival_insecurity * ins.residual
        + ins.alarm
        + p.threat_insecurity * threat
        + p.famine_insecurity * ins.disaster
    )


def propensity(ins: Insecurity, p: SecurityParams) -> jax.Array:
    """The leadership's propensity to repression ``P``, 0..1."""
    return ins.severity * jnp.where(ins.personal_rule, 1.0, p.collective_purge_damping)


def wave_hazard(ins: Insecurity, threat: jax.Array, p: SecurityParams) -> jax.Array:
    """Monthly probability that a terror wave starts (outside a wave)."""
    i = insecurity(ins, threat, p)
    return 1.0 - jnp.exp(-p.terror_rate * propensity(ins, p) * i * i)


def month(
    sec: Security,
    t: jax.Array,
    ins: Insecurity,
    threat: jax.Array,
    war: jax.Array,
    u: jax.Array,
    in_window: jax.Array,
    from_1934: jax.Array,
    record_quality: jax.Array,
    record_army: jax.Array,
    p: SecurityParams,
) -> tuple[Security, jax.Array, jax.Array]:
    """One month.

    Args:
        sec: state at the start of the month.
        t: month index (int32).
        ins: the leadership's position.
        threat: external threat, 0..1.
        war: bool, the European war is under way.
        u: uniform draw deciding whether a wave starts.
        in_window: bool, the month counts for ``terror_executions``/``officers_purged``.
        from_1934: bool, a wave starting now counts as the terror's start (``first_wave``).
        record_quality: bool, store ``quality_1941`` now.
        record_army: bool ``[A]``, which personnel records this month's end fills.
        p: parameters.

    Returns:
        ``(state, terror, discharged)``: the new state, this month's terror intensity (0
        outside a wave) and the share of the command staff discharged this month.
    """
    tf = t.astype(jnp.float32)
    since = tf - sec.wave_start.astype(jnp.float32)
    running = (sec.wave_start >= 0) & (since < p.terror_months)
    starts = ~running & (u < wave_hazard(ins, threat, p))
    intensity = jnp.where(
        starts,
        propensity(ins, p) * insecurity(ins, threat, p),
        jnp.where(running, sec.intensity, 0.0),
    )
    wave_start = jnp.where(starts, t, sec.wave_start)
    now = jnp.where(starts | running, intensity, 0.0)
    after = (wave_start >= 0) & ~(starts | running)

    executions = p.executions_at_full * now / 12.0
    officers = p.officer_ratio * sec.army * 1000.0
    share = jnp.minimum(p.officer_discharge_share * now / p.terror_months, 0.9)
    discharged = share * officers
    back = jnp.where(after, sec.to_reinstate / REINSTATEMENT_MONTHS, 0.0)
    to_reinstate = sec.to_reinstate + p.reinstatement_share * discharged - back

    growth = (p.army_growth * threat + p.war_expansion * war.astype(jnp.float32)) / 12.0
    army = sec.army * jnp.exp(growth)
    net_share = (discharged - back) / jnp.maximum(officers, 1.0)
    quality = (
        sec.quality
        + (p.command_quality_base - sec.quality) / (12.0 * p.quality_recovery)
        - p.quality_purge_loss * net_share * sec.quality
        - p.expansion_dilution * growth * sec.quality
    )
    quality = jnp.clip(quality, 0.0, 1.0)
    w = in_window.astype(jnp.float32)
    per_month = now / p.terror_months
    new = Security(
        army=army,
        quality=quality,
        quality_1941=jnp.where(record_quality, quality, sec.quality_1941),
        intensity=jnp.where(starts | running, intensity, 0.0),
        wave_start=wave_start.astype(jnp.int32),
        first_wave=jnp.where(starts & from_1934 & (sec.first_wave < 0), t, sec.first_wave).astype(
            jnp.int32
        ),
        executions=sec.executions + w * executions,
        arrests=sec.arrests + w * executions * p.arrest_ratio,
        officers_purged=sec.officers_purged + w * discharged,
        officers_arrested=sec.officers_arrested + w * discharged * p.officer_arrest_share,
        to_reinstate=to_reinstate,
        cadres_lost=sec.cadres_lost
        + (1.0 - sec.cadres_lost) * jnp.minimum(p.cadre_loss_share * per_month, 1.0),
        army_record=jnp.where(record_army, army, sec.army_record),
    )
    return new, now, share
