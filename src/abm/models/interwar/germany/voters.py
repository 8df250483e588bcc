"""Voter blocs: preferences, radicalisation, the unemployed, and national vote shares.

A bloc ``b`` (constituency ``c``, milieu ``m``) votes for party ``p`` with probability
``softmax_p(u_bp)``, where::

    u_bp = log a_mp + alpha_p + e_cp + s_m * (lambda_p r_b + mu_p log(O_N / O_N0) + tau_p y)
           + w_p + w_cp

``a_mp`` is the milieu's affinity, ``alpha_p`` the national intercept, ``e_cp`` the
constituency effect drawn at the start, ``s_m`` the milieu's susceptibility, ``r_b`` its
radicalisation, ``O_N`` the NSDAP's organisation (``O_N0`` at the start), ``y`` years
since January 1924, and ``w`` random-walk drifts (national and per constituency, one
Gaussian increment a month, realised when an election observes them). The
radicalisation follows the crisis the milieu is exposed to, with time constant ``T_r``::

    r_b <- r_b + (e_m X - r_b) / T_r

National shares are the electorate-weighted mean of bloc probabilities.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.exact import fixed_softmax, fixed_sum
from abm.models.interwar.germany import constants as K

_CON, _MIL, _SIZE0 = K.bloc_layout()
BLOC_CONSTITUENCY = _CON  # int [B]
BLOC_MILIEU = _MIL  # int [B]
INITIAL_SIZE = _SIZE0  # float [B]
SUSCEPTIBILITY = K.MILIEU_SUSCEPTIBILITY[_MIL].astype(np.float32)  # [B]
EXPOSURE = K.MILIEU_CRISIS_EXPOSURE[_MIL].astype(np.float32)  # [B]
LOG_AFFINITY_CMP = np.log(K.MILIEU_AFFINITY).astype(np.float32)[None, :, :]  # [1, M, P]
SUSCEPTIBILITY_CMP = K.MILIEU_SUSCEPTIBILITY.astype(np.float32)[None, :, None]  # [1, M, 1]
assert np.array_equal(_CON, np.repeat(np.arange(K.N_CONSTITUENCIES), K.N_MILIEUX))
IS_WORKER = (_MIL == K.WORKERS).astype(np.float32)  # [B]
IS_UNEMPLOYED = (_MIL == K.UNEMPLOYED).astype(np.float32)  # [B]
#: Electorate in millions used to turn registered unemployed into a voter share; the
#: Reich electorate grew from 38.4 M (1924) to 44.2 M (1932): the midpoint.
ELECTORATE_M = 41.0


def labour_pool(size: jax.Array) -> jax.Array:
    """Workers plus unemployed per constituency, share of the electorate, ``[C]``."""
    pool = size * (IS_WORKER + IS_UNEMPLOYED)
    return fixed_sum(pool.reshape(K.N_CONSTITUENCIES, K.N_MILIEUX), axis=1)


def redistribute_unemployed(size: jax.Array, unemployed_m: jax.Array) -> jax.Array:
    """Move voters between the worker and unemployed blocs of each constituency.

    The unemployed take the same fraction of every constituency's labour pool (at most
    80 %), so each constituency's workers plus unemployed, and the national total, are
    conserved.

    Args:
        size: float32 ``[B]`` bloc sizes (share of the electorate).
        unemployed_m: registered unemployed, millions.

    Returns:
        float32 ``[B]`` new sizes.
    """
    pool = labour_pool(size)  # [C]
    frac = jnp.clip(unemployed_m / ELECTORATE_M / fixed_sum(pool), 0.0, 0.8)
    unemp = jnp.repeat(pool * frac, K.N_MILIEUX)
    work = jnp.repeat(pool * (1.0 - frac), K.N_MILIEUX)
    return jnp.where(IS_UNEMPLOYED > 0, unemp, jnp.where(IS_WORKER > 0, work, size))


def update_radicalisation(
    radicalisation: jax.Array, crisis: jax.Array, radicalisation_months: jax.Array
) -> jax.Array:
    """One month of ``r <- r + (e_m X - r) / T_r``; float32 ``[B]``."""
    return radicalisation + (EXPOSURE * crisis - radicalisation) / radicalisation_months


def bloc_logits(
    intercept: jax.Array,
    constituency_effect: jax.Array,
    radicalisation: jax.Array,
    mobilisation: jax.Array,
    years: jax.Array,
    national_drift: jax.Array,
    regional_drift: jax.Array,
    crisis_loading: jax.Array,
    mobilisation_loading: jax.Array,
    trend: jax.Array,
) -> jax.Array:
    """Party logits of every bloc, float32 ``[B, P]`` (see the module equation).

    The standing preference ``base_bp`` is the milieu's affinity (static), the party's
    national intercept and the constituency's effect.

    Args:
        intercept: ``[P]`` national intercepts.
        constituency_effect: ``[C, P]`` constituency effects drawn at the start.
        radicalisation: ``[B]``.
        mobilisation: scalar, ``log(O_N / O_N0)``.
        years: scalar, years since January 1924.
        national_drift: ``[P]``.
        regional_drift: ``[C, P]``.
        crisis_loading: ``[P]`` lambda.
        mobilisation_loading: ``[P]`` mu.
        trend: ``[P]`` tau, logit per year.
    """
    # Blocs are laid out constituency-major (b = c * M + m): work on [C, M, P] views so
    # that constituency and milieu terms broadcast instead of being gathered.
    n_c, n_m, n_p = K.N_CONSTITUENCIES, K.N_MILIEUX, K.N_PARTIES
    rad = radicalisation.reshape(n_c, n_m, 1)
    common = mobilisation * mobilisation_loading + years * trend  # [P]
    dynamic = rad * crisis_loading.reshape(1, 1, n_p) + common.reshape(1, 1, n_p)
    national = (intercept + national_drift).reshape(1, 1, n_p)
    regional = (constituency_effect + regional_drift).reshape(n_c, 1, n_p)
    logits = jnp.asarray(LOG_AFFINITY_CMP) + SUSCEPTIBILITY_CMP * dynamic + national + regional
    return logits.reshape(n_c * n_m, n_p)


def national_shares(size: jax.Array, logits: jax.Array) -> jax.Array:
    """Electorate-weighted national vote shares, float32 ``[P]`` summing to one."""
    prob = fixed_softmax(logits)
    return fixed_sum(size[:, None] * prob, axis=0) / fixed_sum(size)
