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

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.exact import fixed_softmax, fixed_sum
from abm.models.interwar.germany import constants as K

#: Electorate in millions used to turn registered unemployed into a voter share; the
#: Reich electorate grew from 38.4 M (1924) to 44.2 M (1932): the midpoint.
ELECTORATE_M = 41.0


@dataclass(frozen=True)
class Layout:
    """Static layout of the voter blocs: constituency-major, ``b = c * M + m``.

    ``replicas`` splits every constituency into that many equal sub-constituencies, each
    with its own effects and drift (the model's capacity scaled for benchmarks; 1 is the
    historical map). Arrays are NumPy constants, shapes ``[B]`` with ``B = 35 k x 6``.
    """

    replicas: int = 1

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ValueError(f"replicas must be >= 1, got {self.replicas}")
        con, mil, size = K.bloc_layout()
        k = self.replicas
        sub = np.repeat(np.arange(K.N_CONSTITUENCIES * k), K.N_MILIEUX)
        size_k = np.repeat(size.reshape(K.N_CONSTITUENCIES, K.N_MILIEUX), k, axis=0) / k
        mil_k = np.tile(np.arange(K.N_MILIEUX), K.N_CONSTITUENCIES * k)
        set_ = lambda n, v: object.__setattr__(self, n, v)  # noqa: E731
        set_("n_constituencies", K.N_CONSTITUENCIES * k)
        set_("n_blocs", K.N_CONSTITUENCIES * k * K.N_MILIEUX)
        set_("constituency", sub)
        set_("milieu", mil_k)
        set_("initial_size", size_k.reshape(-1))
        set_("susceptibility", K.MILIEU_SUSCEPTIBILITY[mil_k].astype(np.float32))
        set_("exposure", K.MILIEU_CRISIS_EXPOSURE[mil_k].astype(np.float32))
        set_("is_worker", (mil_k == K.WORKERS).astype(np.float32))
        set_("is_unemployed", (mil_k == K.UNEMPLOYED).astype(np.float32))
        del con, mil

    n_constituencies: int = field(init=False)
    n_blocs: int = field(init=False)
    constituency: np.ndarray = field(init=False, repr=False)
    milieu: np.ndarray = field(init=False, repr=False)
    initial_size: np.ndarray = field(init=False, repr=False)
    susceptibility: np.ndarray = field(init=False, repr=False)
    exposure: np.ndarray = field(init=False, repr=False)
    is_worker: np.ndarray = field(init=False, repr=False)
    is_unemployed: np.ndarray = field(init=False, repr=False)


DEFAULT = Layout(1)
BLOC_CONSTITUENCY = DEFAULT.constituency  # int [B]
BLOC_MILIEU = DEFAULT.milieu  # int [B]
INITIAL_SIZE = DEFAULT.initial_size  # float [B]
EXPOSURE = DEFAULT.exposure  # float32 [B]
LOG_AFFINITY_CMP = np.log(K.MILIEU_AFFINITY).astype(np.float32)[None, :, :]  # [1, M, P]
SUSCEPTIBILITY_CMP = K.MILIEU_SUSCEPTIBILITY.astype(np.float32)[None, :, None]  # [1, M, 1]


def labour_pool(size: jax.Array, layout: Layout = DEFAULT) -> jax.Array:
    """Workers plus unemployed per constituency, share of the electorate, ``[C]``."""
    pool = size * (layout.is_worker + layout.is_unemployed)
    return fixed_sum(pool.reshape(layout.n_constituencies, K.N_MILIEUX), axis=1)


def redistribute_unemployed(
    size: jax.Array, unemployed_m: jax.Array, layout: Layout = DEFAULT
) -> jax.Array:
    """Move voters between the worker and unemployed blocs of each constituency.

    The unemployed take the same fraction of every constituency's labour pool (at most
    80 %), so each constituency's workers plus unemployed, and the national total, are
    conserved.

    Args:
        size: float32 ``[B]`` bloc sizes (share of the electorate).
        unemployed_m: registered unemployed, millions.
        layout: the bloc layout.

    Returns:
        float32 ``[B]`` new sizes.
    """
    pool = labour_pool(size, layout)  # [C]
    frac = jnp.clip(unemployed_m / ELECTORATE_M / fixed_sum(pool), 0.0, 0.8)
    unemp = jnp.repeat(pool * frac, K.N_MILIEUX)
    work = jnp.repeat(pool * (1.0 - frac), K.N_MILIEUX)
    return jnp.where(layout.is_unemployed > 0, unemp, jnp.where(layout.is_worker > 0, work, size))


def update_radicalisation(
    radicalisation: jax.Array,
    crisis: jax.Array,
    radicalisation_months: jax.Array,
    layout: Layout = DEFAULT,
) -> jax.Array:
    """One month of ``r <- r + (e_m X - r) / T_r``; float32 ``[B]``."""
    return radicalisation + (layout.exposure * crisis - radicalisation) / radicalisation_months


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
    layout: Layout = DEFAULT,
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
        layout: the bloc layout.
    """
    # Blocs are laid out constituency-major (b = c * M + m): work on [C, M, P] views so
    # that constituency and milieu terms broadcast instead of being gathered.
    n_c, n_m, n_p = layout.n_constituencies, K.N_MILIEUX, K.N_PARTIES
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
