"""The leadership's responses to famine and to the grain supply (national, per run).

Per month (``docs/ODD.md``, "Collectivisation and famine", "Responses"):

* *Reports*: ``alarm += (death_rate - alarm) / report_lag``, the villages' excess death
  rate (per year) as it reaches the leadership with a lag (OGPU and party reports).
* *Relief*: ``relief = min(relief + response_gain * responsiveness * alarm / 12, 1)
  * exp(-relief_decay / 12)`` with ``responsiveness = competence + (1 - competence) *
  (1 - targeted)``: relief grows with the deaths reported so far, faster under a
  competent or a less ruthless leadership, and fades once the reports stop (the
  procurements rose again from 1934 under the delivery quotas fixed by the law of 19
  January 1933). It cuts the quotas still to collect (``quota_cut``) and the exports still to ship
  (``export_halt``), opens the kolkhoz market in the drive (legalised May 1932), restores
  the singled-out regions' access to state grain and ends the forced settlement of the
  nomads.
* *Rationing*: bread rationing begins with the drive and ends, for good, in the first
  month the state pool holds ``ration_end_cover`` years of the towns' need (1 January
  1935 in our timeline); from then on state grain is sold to every region.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

#: ``ration_phase`` values.
NOT_YET, IN_FORCE, ENDED = 0, 1, 2


@dataclass(frozen=True)
class ResponseParams:
    """Scalars of the responses (float32, drawn per run)."""

    report_lag: jax.Array
    response_gain: jax.Array
    relief_decay: jax.Array
    ration_end_cover: jax.Array


def responsiveness(competence: jax.Array, targeted: jax.Array) -> jax.Array:
    """How strongly the policy in force answers famine reports, 0..1."""
    return competence + (1.0 - competence) * (1.0 - targeted)


def respond(
    alarm: jax.Array,
    relief: jax.Array,
    shortage: jax.Array,
    competence: jax.Array,
    targeted: jax.Array,
    r: ResponseParams,
) -> tuple[jax.Array, jax.Array]:
    """The month's reports and the relief they bring: ``(alarm, relief)``.

    Args:
        alarm: reported shortage at the start of the month, 0..1.
        relief: relief in force, 0..1.
        shortage: the month's village excess death rate, per year.
        competence: policy lever, 0..1.
        targeted: policy lever, 0..1.
        r: parameters.
    """
    alarm = alarm + (shortage - alarm) / jnp.maximum(r.report_lag, 1.0)
    step = r.response_gain * responsiveness(competence, targeted) * alarm / 12.0
    return alarm, jnp.minimum(relief + step, 1.0) * jnp.exp(-r.relief_decay / 12.0)


def ration_phase(
    phase: jax.Array, drive: jax.Array, pool: jax.Array, towns_year: jax.Array, cover: jax.Array
) -> jax.Array:
    """Bread rationing: begins with the drive, ends when the pool covers the towns.

    Args:
        phase: int32 ``NOT_YET``, ``IN_FORCE`` or ``ENDED``.
        drive: bool, the collectivisation drive is under way.
        pool: state pool at the end of the month, Mt.
        towns_year: the towns' and the army's need of a year, Mt.
        cover: years of need the pool must hold for rationing to end.
    """
    start = (phase == NOT_YET) & drive
    end = (phase == IN_FORCE) & (pool >= cover * towns_year)
    return jnp.where(start, IN_FORCE, jnp.where(end, ENDED, phase)).astype(jnp.int32)
