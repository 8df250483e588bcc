"""German unemployment and the crisis index.

Registered unemployment (millions) is a pre-Depression base, plus the Depression's excess
``D * g(t)``, plus an AR(1) deviation::

    g(t) = 1 - exp(-(t - t_onset) / T_rise)          for t >= t_onset, else 0
    excess(t) = D * g(t) * exp(-(t - t_rec)^+ / T_recover)
    U(t) = U_base + excess(t) + eta(t),   eta(t) = phi eta(t-1) + sd * z(t)

The recovery starts at ``t_rec`` = January 1933. The crisis index felt by voters is the
unemployment rate ``U / L`` (``L`` the dependent labour force, millions) plus the
hyperinflation aftershock ``A exp(-t / T_A)`` of 1923 (``t`` months since January 1924).

The agrarian crisis (farm prices falling from 1927-28, debts and foreclosures, the
Landvolk movement of 1928-29) is a distress index in 0..1 with its own onset and rise,
easing with the general recovery::

    A(t) = (1 - exp(-(t - t_agr)^+ / T_agr)) * exp(-(t - t_rec)^+ / T_recover)

The Depression's shape (``D``, ``t_onset``, ``T_rise``, ``T_recover``) comes from the
run's parameters and ``z(t)`` from the month's draws (:func:`.draws.draw_regular`); both
are exogenous (``docs/exogenous.md``). Under ``exogenous: history`` the months history
holds (1928 to January 1933) take the recorded unemployment ``U_hist(t)``: the deviation
is then ``eta(t) = U_hist(t) - U_trend(t)`` (the model's mapping inverted), and after
the last such month it decays from there with drawn innovations.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from abm.models.calendar import Calendar
from abm.models.interwar import history


def unemployment_path(
    t: jax.Array,
    base: jax.Array,
    severity: jax.Array,
    onset_month: jax.Array,
    rise_months: jax.Array,
    recovery_start: jax.Array,
    recovery_months: jax.Array,
) -> jax.Array:
    """Deterministic unemployment (millions) at month index ``t`` (no AR deviation)."""
    since = jnp.maximum(t - onset_month, 0.0)
    g = 1.0 - jnp.exp(-since / rise_months)
    rec = jnp.exp(-jnp.maximum(t - recovery_start, 0.0) / recovery_months)
    return base + severity * g * rec


def agrarian_distress(
    t: jax.Array,
    onset_month: jax.Array,
    rise_months: jax.Array,
    recovery_start: jax.Array,
    recovery_months: jax.Array,
) -> jax.Array:
    """Agrarian distress ``A(t)`` in 0..1 at month index ``t`` (see the module equation)."""
    since = jnp.maximum(t - onset_month, 0.0)
    rec = jnp.exp(-jnp.maximum(t - recovery_start, 0.0) / recovery_months)
    return (1.0 - jnp.exp(-since / rise_months)) * rec


def aftershock(t: jax.Array, level: jax.Array, months: jax.Array) -> jax.Array:
    """The hyperinflation's aftershock ``A exp(-t / T_A)`` (crisis index units).

    ``t`` is in months since January 1924 (float32), ``level`` is ``A`` and ``months``
    ``T_A``.
    """
    return level * jnp.exp(-t / months)


def crisis_index(
    t: jax.Array,
    unemployed: jax.Array,
    labour_force: jax.Array,
    aftershock_level: jax.Array,
    aftershock_months: jax.Array,
) -> jax.Array:
    """Crisis index (dimensionless, about 0..0.6) at month index ``t``."""
    return unemployed / labour_force + aftershock(t, aftershock_level, aftershock_months)


def unemployment_history(
    calendar: Calendar, exogenous: str = history.RANDOM
) -> tuple[np.ndarray, np.ndarray] | None:
    """Recorded unemployment of each month and where known, or None (``random``).

    Returns:
        None under ``exogenous: random``; under ``history``
        :func:`abm.models.interwar.history.german_unemployment`: float32 ``[n_months]``
        millions and bool ``[n_months]``.
    """
    if history.check_mode(exogenous) == history.RANDOM:
        return None
    return history.german_unemployment(calendar)


def follow_history(
    noise: jax.Array,
    trend: jax.Array,
    t: jax.Array,
    recorded: tuple[np.ndarray, np.ndarray] | None,
) -> jax.Array:
    """The month's AR(1) deviation ``eta(t)`` (millions), history's where it holds.

    Args:
        noise: the drawn deviation ``phi eta(t-1) + sd z(t)``.
        trend: the deterministic unemployment ``U_trend(t)`` of the run.
        t: the month index (int32 scalar).
        recorded: :func:`unemployment_history`'s value; None returns ``noise`` itself.
    """
    if recorded is None:
        return noise
    values, known = recorded
    return jnp.where(jnp.asarray(known)[t], jnp.asarray(values)[t] - trend, noise)
