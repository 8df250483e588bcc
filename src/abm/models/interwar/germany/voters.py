"""Voter blocs: preferences, radicalisation, turnout, and national vote shares.

A bloc ``b`` (constituency ``c``, milieu ``m``) chooses among the parties ``p`` and
staying at home (``0``) with probability ``softmax(u_b)``, where::

    u_bp = log a_mp + alpha_p + e_cp + w_p + w_cp + s_m lambda_p r_b + g_m beta_p A o_p
           + [p = NSDAP] (s_m mu log(O_N / O_N0) + d_m delta r_b O_N - kappa D
                          - [m = unemployed] nu_N F)
           + [p in KPD, SPD] [m in workers, unemployed] nu_L F
           - [p = SPD] [m in workers, unemployed] zeta a(t)
           + G ([p = NSDAP] pi - [p in KPD, SPD] rho)
    u_b0 = log h_m + alpha_0 - s_m eta r_b - [m in workers, unemployed] nu_T F

``a_mp`` is the milieu's affinity, ``alpha_p`` the national intercept, ``e_cp`` the
constituency effect drawn at the start, ``w`` random-walk drifts (national and per
constituency, realised when an election observes them), ``s_m`` the milieu's
susceptibility, ``r_b`` its radicalisation, ``A`` the agrarian distress felt with
exposure ``g_m`` (``o_p`` = 1, but ``O_N`` for the NSDAP: the agrarian protest reaches
it only as far as its rural organisation does, Darre's agrarian apparatus from 1930),
``O_N`` the NSDAP's organisation (``O_N0`` at the start) with a loading
``mu >= 0`` (a bigger organisation never lowers its own vote), ``d_m delta r_b O_N``
the Protestant middle class's defection to the NSDAP as the crisis and its organisation
grow, ``D`` the disappointment of a big NSDAP vote kept out of power, ``F`` the united
front's strength (0..1), ``G`` = 1 under a Nazi-led government (its state power in a
campaign: propaganda ``pi``, the left's repression ``rho``, as in March 1933),
``h_m`` the milieu's propensity to abstain. ``a(t)`` is the hyperinflation's aftershock
(:func:`.economy.aftershock`) and ``zeta >= 0`` the workers' estrangement from the SPD
in it: the SPD had shared the stabilisation's burdens (its ministers in Stresemann's
cabinet of 1923, the Reichsexekution against the SPD-KPD government of Saxony, the end
of the eight-hour day), and its workers and unemployed went to the KPD or stayed at home
until the stabilisation's aftershock faded. The radicalisation
follows the crisis the milieu is exposed to, with time constant ``T_r``::

    r_b <- r_b + (e_m X - r_b) / T_r

National shares are shares of the valid votes (the electorate-weighted party
probabilities over those of voting); turnout is the electorate-weighted probability of
voting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

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
LOG_ABSTENTION_CM = np.log(K.MILIEU_ABSTENTION).astype(np.float32)[None, :]  # [1, M]
_MIL = np.arange(K.N_MILIEUX)
_PARTY = np.arange(K.N_PARTIES)
#: Per-milieu, per-party masks and exposures of the NSDAP and united-front terms, [1, M, P].
NSDAP_P = (_PARTY == K.NSDAP).astype(np.float32)  # [P]
NSDAP_CMP = np.broadcast_to(_PARTY == K.NSDAP, (1, K.N_MILIEUX, K.N_PARTIES)).astype(np.float32)
AGRARIAN_CMP = K.AGRARIAN_EXPOSURE.astype(np.float32)[None, :, None]
DEFECTION_CMP = (K.DEFECTION_EXPOSURE[None, :, None] * NSDAP_CMP).astype(np.float32)
UNEMPLOYED_NSDAP_CMP = ((_MIL == K.UNEMPLOYED)[None, :, None] * NSDAP_CMP).astype(np.float32)
LABOUR_CM = ((_MIL == K.WORKERS) | (_MIL == K.UNEMPLOYED)).astype(np.float32)[None, :]
LEFT_P = ((_PARTY == K.KPD) | (_PARTY == K.SPD)).astype(np.float32)  # [P]
LEFT_CMP = (LABOUR_CM[:, :, None] * LEFT_P).astype(np.float32)
SPD_LABOUR_CMP = (LABOUR_CM[:, :, None] * (_PARTY == K.SPD)).astype(np.float32)


class VoteParams(NamedTuple):
    """The vote's parameters (module equation): ``[P]`` vectors and scalars, logit units."""

    intercept: jax.Array  # [P] alpha_p
    crisis_loading: jax.Array  # [P] lambda_p, per unit radicalisation
    agrarian_loading: jax.Array  # [P] beta_p, per unit agrarian distress
    organisation_loading: jax.Array  # mu >= 0, per log NSDAP organisation
    defection_loading: jax.Array  # delta >= 0, per unit radicalisation x organisation
    disappointment_loading: jax.Array  # kappa >= 0, per unit disappointment
    abstain_intercept: jax.Array  # alpha_0
    abstain_crisis_loading: jax.Array  # eta, per unit radicalisation
    front_turnout_loading: jax.Array  # nu_T >= 0
    front_left_loading: jax.Array  # nu_L >= 0
    front_nsdap_loading: jax.Array  # nu_N >= 0
    power_loading: jax.Array  # pi >= 0, the NSDAP in government
    repression_loading: jax.Array  # rho >= 0, the left under a Nazi government
    aftershock_spd_loading: jax.Array | float = 0.0  # zeta >= 0, per unit aftershock


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


def update_disappointment(
    disappointment: jax.Array,
    nsdap_share: jax.Array,
    in_power: jax.Array,
    threshold: jax.Array,
    months: jax.Array,
) -> jax.Array:
    """One month of ``D <- D + ([not in power] (S_N - theta_D)^+ - D) / T_D``.

    A big NSDAP vote (its share ``S_N`` at the last election above ``theta_D``) kept out
    of power turns into disappointment; in power (or below the threshold) it fades.
    """
    target = jnp.where(in_power, 0.0, jnp.maximum(nsdap_share - threshold, 0.0))
    return disappointment + (target - disappointment) / months


def bloc_logits(
    v: VoteParams,
    constituency_effect: jax.Array,
    radicalisation: jax.Array,
    mobilisation: jax.Array,
    organisation_n: jax.Array,
    agrarian: jax.Array,
    disappointment: jax.Array,
    front: jax.Array,
    nazi_rule: jax.Array,
    national_drift: jax.Array,
    regional_drift: jax.Array,
    layout: Layout = DEFAULT,
    aftershock: jax.Array | float = 0.0,
) -> jax.Array:
    """Logits of every bloc's choice, float32 ``[B, P + 1]`` (last column: abstain).

    Args:
        v: the vote's parameters.
        constituency_effect: ``[C, P]`` constituency effects drawn at the start.
        radicalisation: ``[B]``.
        mobilisation: scalar, ``log(O_N / O_N0)``.
        organisation_n: scalar, the NSDAP's organisation ``O_N`` (0..1).
        agrarian: scalar, agrarian distress ``A`` (0..1).
        disappointment: scalar ``D``.
        front: scalar, the united front's strength ``F`` (0..1).
        nazi_rule: scalar ``G``, 1.0 under a Nazi-led government, else 0.0.
        national_drift: ``[P]``.
        regional_drift: ``[C, P]``.
        layout: the bloc layout.
        aftershock: scalar, the hyperinflation's aftershock ``a(t)`` (crisis index).
    """
    # Blocs are laid out constituency-major (b = c * M + m): work on [C, M, P] views so
    # that constituency and milieu terms broadcast instead of being gathered.
    n_c, n_m, n_p = layout.n_constituencies, K.N_MILIEUX, K.N_PARTIES
    rad = radicalisation.reshape(n_c, n_m, 1)
    nsdap = jnp.asarray(NSDAP_CMP)
    crisis = SUSCEPTIBILITY_CMP * (
        rad * v.crisis_loading.reshape(1, 1, n_p) + mobilisation * v.organisation_loading * nsdap
    )
    # o_p; the NSDAP's agrarian loading counts from 0, so its organisation never costs it.
    reach = 1.0 + (organisation_n - 1.0) * jnp.asarray(NSDAP_CMP)
    beta = jnp.where(
        jnp.arange(n_p) == K.NSDAP, jnp.maximum(v.agrarian_loading, 0.0), v.agrarian_loading
    )
    agrarian_t = jnp.asarray(AGRARIAN_CMP) * reach * (agrarian * beta).reshape(1, 1, n_p)
    defection = jnp.asarray(DEFECTION_CMP) * rad * (v.defection_loading * organisation_n)
    front_t = front * (
        v.front_left_loading * jnp.asarray(LEFT_CMP)
        - v.front_nsdap_loading * jnp.asarray(UNEMPLOYED_NSDAP_CMP)
    ) - jnp.asarray(SPD_LABOUR_CMP) * (jnp.maximum(v.aftershock_spd_loading, 0.0) * aftershock)
    national = (
        v.intercept
        + national_drift
        - v.disappointment_loading * disappointment * NSDAP_P
        + nazi_rule * (v.power_loading * NSDAP_P - v.repression_loading * LEFT_P)
    ).reshape(1, 1, n_p)
    regional = (constituency_effect + regional_drift).reshape(n_c, 1, n_p)
    logits = (
        jnp.asarray(LOG_AFFINITY_CMP)
        + crisis
        + agrarian_t
        + defection
        + front_t
        + national
        + regional
    )
    abstain = (
        jnp.asarray(LOG_ABSTENTION_CM)
        + v.abstain_intercept
        - SUSCEPTIBILITY_CMP[:, :, 0] * v.abstain_crisis_loading * rad[:, :, 0]
        - v.front_turnout_loading * front * jnp.asarray(LABOUR_CM)
    )
    out = jnp.concatenate([logits, abstain[:, :, None]], axis=-1)
    return out.reshape(n_c * n_m, n_p + 1)


def national_vote(size: jax.Array, logits: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Valid-vote shares float32 ``[P]`` (summing to one) and turnout (scalar, 0..1).

    Args:
        size: float32 ``[B]`` bloc sizes.
        logits: float32 ``[B, P + 1]`` from :func:`bloc_logits` (last column: abstain).
    """
    prob = fixed_softmax(logits)
    votes = fixed_sum(size[:, None] * prob[:, :-1], axis=0)  # [P]
    valid = fixed_sum(votes)
    return votes / valid, valid / fixed_sum(size)


def national_shares(size: jax.Array, logits: jax.Array) -> jax.Array:
    """Valid-vote national shares, float32 ``[P]`` summing to one."""
    return national_vote(size, logits)[0]


def election_grid(calendar: Any) -> tuple[int, tuple[str, ...]]:
    """The months an election can be reported in: first month index and labels.

    Every month from :data:`~.constants.ELECTION_GRID_START` to
    :data:`~.constants.ELECTION_GRID_END` (or the calendar's ends), labelled
    ``YYYY-MM``: an election is labelled by its own month.
    """
    start = max(calendar.index_of(K.ELECTION_GRID_START), 0)
    end = min(calendar.index_of(K.ELECTION_GRID_END), calendar.n_months - 1)
    return start, tuple(calendar.label(t) for t in range(start, end + 1))
