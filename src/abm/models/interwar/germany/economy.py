"""German unemployment and the crisis index.

Registered unemployment (millions) is a pre-Depression base, plus the Depression's excess
``D * g(t)``, plus an AR(1) deviation::

    g(t) = 1 - exp(-(t - t_onset) / T_rise)          for t >= t_onset, else 0
    excess(t) = D * g(t) * exp(-(t - t_rec)^+ / T_recover)
    U(t) = U_base + excess(t) + eta(t),   eta(t) = phi eta(t-1) + sd * z(t)

The recovery starts at ``t_rec`` = January 1933. The crisis index felt by voters is the
unemployment rate ``U / L`` (``L`` the dependent labour force, millions) plus the
hyperinflation aftershock ``A exp(-t / T_A)`` of 1923 (``t`` months since January 1924).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


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


def crisis_index(
    t: jax.Array,
    unemployed: jax.Array,
    labour_force: jax.Array,
    aftershock: jax.Array,
    aftershock_months: jax.Array,
) -> jax.Array:
    """Crisis index (dimensionless, about 0..0.6) at month index ``t``."""
    return unemployed / labour_force + aftershock * jnp.exp(-t / aftershock_months)
