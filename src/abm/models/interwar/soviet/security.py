"""Terror, the Red Army's growth and its command quality.

Monthly (equations in ``docs/ODD.md``, "Purges"):

* The terror wave starts at ``terror_start`` and lasts ``terror_months``. Its intensity,
  fixed when it starts, is the ``purge_severity`` in force times 1 under personal rule
  or ``collective_purge_damping`` under a collective leadership. Each month of the wave
  brings ``executions_at_full * intensity / terror_months`` executions and
  ``arrest_ratio`` times as many arrests, and discharges
  ``officer_discharge_share * intensity / terror_months`` of the command staff
  (``officer_ratio`` x personnel); ``officer_arrest_share`` of them are arrested and
  ``reinstatement_share`` are reinstated over the 18 months after the wave.
* The army grows at ``army_growth * threat`` a year (threat: Japan from September 1931,
  Nazi Germany ramping over ``threat_ramp`` years from its seizure of power).
* Command quality recovers towards ``command_quality_base`` over ``quality_recovery``
  years, falls by ``quality_purge_loss`` x the share discharged, comes back by the same
  for the share reinstated, and is diluted by ``expansion_dilution`` x the army's log
  growth.
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


def month(
    sec: Security,
    wave_starts: jax.Array,
    in_wave: jax.Array,
    after_wave: jax.Array,
    severity: jax.Array,
    personal_rule: jax.Array,
    damping: jax.Array,
    threat: jax.Array,
    in_window: jax.Array,
    record_quality: jax.Array,
    record_army: jax.Array,
    p: SecurityParams,
) -> tuple[Security, jax.Array]:
    """One month; returns the new state and this month's terror intensity (0 outside).

    Args:
        sec: state at the start of the month.
        wave_starts: bool, the wave begins this month (its intensity is fixed now).
        in_wave: bool, the month falls in the wave.
        after_wave: bool, the wave is over (reinstatements run).
        severity: ``purge_severity`` in force, 0..1.
        personal_rule: bool, a faction rules personally.
        damping: ``collective_purge_damping``.
        threat: external threat, 0..1.
        in_window: bool, the month counts for ``terror_executions``/``officers_purged``.
        record_quality: bool, store ``quality_1941`` now.
        record_army: bool ``[A]``, which personnel records this month's end fills.
        p: parameters.
    """
    intensity = jnp.where(
        wave_starts, severity * jnp.where(personal_rule, 1.0, damping), sec.intensity
    )
    now = jnp.where(in_wave, intensity, 0.0)
    per_month = now / p.terror_months
    executions = p.executions_at_full * per_month
    officers = p.officer_ratio * sec.army * 1000.0
    discharged = jnp.minimum(p.officer_discharge_share * per_month, 0.9) * officers
    back = jnp.where(after_wave, sec.to_reinstate / REINSTATEMENT_MONTHS, 0.0)
    to_reinstate = sec.to_reinstate + p.reinstatement_share * discharged - back

    growth = p.army_growth * threat / 12.0
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
    new = Security(
        army=army,
        quality=quality,
        quality_1941=jnp.where(record_quality, quality, sec.quality_1941),
        intensity=intensity,
        executions=sec.executions + w * executions,
        arrests=sec.arrests + w * executions * p.arrest_ratio,
        officers_purged=sec.officers_purged + w * discharged,
        officers_arrested=sec.officers_arrested + w * discharged * p.officer_arrest_share,
        to_reinstate=to_reinstate,
        cadres_lost=sec.cadres_lost
        + (1.0 - sec.cadres_lost) * jnp.minimum(p.cadre_loss_share * per_month, 1.0),
        army_record=jnp.where(record_army, army, sec.army_record),
    )
    return new, now
