"""Tempered sequential Monte Carlo with a noisy likelihood, in the prior's normal space.

Particles ``z`` (``[N, d]``, prior ``N(0, I)``, see :mod:`abm.calibrate.space`) move
from the prior (``beta = 0``) to the posterior (``beta = 1``) through tempered targets
``prior(z) * L(z)^beta`` (Del Moral, Doucet and Jasra 2006). Each step picks the next
``beta`` by bisection so that the reweighted particles keep ``ess_fraction * N``
effective samples, resamples them (systematic), and moves each with ``global_moves``
independence Metropolis steps from a normal fitted to the particles
(:class:`GaussianJump`), then ``moves`` random-walk Metropolis steps whose proposal
covariance is the particles' own (scaled, and adapted towards a 0.234 acceptance
between moves). Random walks alone leave the particles descended from a few ancestors
in a hundred or more dimensions, their spread collapsed (``tests/test_calibrate.py``
shows it on an exact 60-dimensional posterior); the independence moves carry them
apart. The likelihood is estimated by
simulation (:mod:`abm.calibrate.likelihood`) from ``R`` replicate runs, and the
random numbers of those runs are part of the particle: a **block pseudo-marginal**
sampler (Tran, Kohn, Quiroz and Villani 2016). Particle ``i`` carries ``points[i]``,
the numbers of its ``R`` simulations (each number fixes a run's random numbers); a move
proposes a new vector together with fresh numbers for ``refresh`` of the replicates
(the same ones for every particle in that move) and reruns the others on the
particle's own numbers, then accepts or rejects vector, numbers and estimate together.
The target on (vector, numbers) has the pseudo-marginal posterior as its marginal, as
when every replicate is refreshed (``refresh = R``, plain pseudo-marginal); but the
estimates of a particle and of its proposal share most of their random numbers, so
their ratio is far less noisy and a particle with a lucky estimate does not stick
(docs/calibration.md, the sixth finding: 3.3 nats of noise at 16 replicates, 0.5-0.9
on common numbers).

Each step ends in a :class:`SmcState` handed to ``checkpoint``; a state passed back in
resumes exactly (the generator's state is part of it, and simulations are numbered by
``offset``). This module imports no JAX: the synthetic-model checks of
:mod:`abm.calibrate.sbc` run it in NumPy alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from abm.calibrate.config import SmcSettings
from abm.calibrate.likelihood import Fit

log = logging.getLogger(__name__)

#: Simulates and scores ``z [N, d]``, run ``(i, r)`` on simulation number ``points[i, r]``.
LogLik = Callable[[np.ndarray, np.ndarray], Fit]


@dataclass
class SmcState:
    """Where a tempered SMC stands after a step.

    Attributes:
        step: tempering steps done (0: the prior sample only).
        beta: the tempering exponent reached (1: the posterior).
        final_moves: moves done at ``beta = 1`` after the last step.
        z: float64 ``[N, d]`` particles in normal scores.
        points: int64 ``[N, R]``, the simulation numbers of each particle's replicates
            (the random numbers its likelihood estimate was made with).
        loglik: float64 ``[N]``, each particle's likelihood estimate.
        per_target: float64 ``[N, T]``.
        mean: float64 ``[N, T]``, the replicates' mean of each target.
        scale: the random walk's scale (relative to the particles' covariance).
        offset: the next fresh simulation number (numbers below it have been used).
        rng: the NumPy generator's state (``bit_generator.state``).
        history: one dict per step (beta, ess, acceptance, seconds, ...).
    """

    step: int
    beta: float
    final_moves: int
    z: np.ndarray
    points: np.ndarray
    loglik: np.ndarray
    per_target: np.ndarray
    mean: np.ndarray
    scale: float
    offset: int
    rng: Mapping[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """True when the posterior is reached."""
        return self.beta >= 1.0


def ess(logw: np.ndarray) -> float:
    """Effective sample size of log-weights."""
    w = np.exp(logw - np.max(logw))
    return float(w.sum() ** 2 / (w**2).sum())


def next_beta(loglik: np.ndarray, beta: float, target: float) -> float:
    """The largest ``beta' <= 1`` whose increment keeps ``ess >= target`` (bisection)."""
    if ess((1.0 - beta) * loglik) >= target:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ess((mid - beta) * loglik) >= target:
            lo = mid
        else:
            hi = mid
    return max(lo, beta + 1e-9)


def systematic(rng: np.random.Generator, logw: np.ndarray) -> np.ndarray:
    """Systematic resampling: ``N`` indices drawn in proportion to the weights."""
    w = np.exp(logw - np.max(logw))
    c = np.cumsum(w / w.sum())
    n = len(w)
    u = (rng.uniform() + np.arange(n)) / n
    return np.minimum(np.searchsorted(c, u), n - 1)


class Jump(Protocol):
    """An independence proposal for a block of the parameters (mode jumping).

    Attributes:
        cols: int ``[k]``, the block's columns.
    """

    cols: np.ndarray

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``[n, k]`` proposed normal scores of the block."""
        ...

    def log_ratio(self, z_now: np.ndarray, z_new: np.ndarray) -> np.ndarray:
        """``[n]``: log of prior(new) q(now) / (prior(now) q(new)) for the block."""
        ...


class GaussianJump:
    """An independence proposal from a normal fitted to the particles (all parameters).

    ``q = N(mean, (inflate^2) cov)`` of the particles when it is built (at the start of
    a tempering step, after resampling); a move to a draw of ``q`` is accepted with the
    independence sampler's ratio, so every tempered target is kept. Random walks need
    many moves to carry a resampled particle's duplicates apart in a hundred or more
    dimensions (the particles then descend from a few ancestors and their spread
    collapses); one accepted independence move puts a particle anywhere the particles
    reach.

    Args:
        z: float ``[N, d]``, the particles.
        inflate: the proposal's sd over the particles' (> 1 keeps its tails heavier
            than the target's).
    """

    def __init__(self, z: np.ndarray, inflate: float = 1.2) -> None:
        d = z.shape[1]
        self.cols = np.arange(d)
        self.mean = z.mean(axis=0)
        cov = np.cov(z, rowvar=False).reshape(d, d) * inflate**2 + 1e-8 * np.eye(d)
        self.chol = np.linalg.cholesky(cov)
        self.log_det = 2.0 * np.log(np.diag(self.chol)).sum()

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``[n, d]`` draws of ``q``."""
        return self.mean + rng.standard_normal((n, len(self.cols))) @ self.chol.T

    def _log_q(self, z: np.ndarray) -> np.ndarray:
        w = np.linalg.solve(self.chol, (z - self.mean).T)
        return -0.5 * ((w**2).sum(axis=0) + self.log_det)

    def log_ratio(self, z_now: np.ndarray, z_new: np.ndarray) -> np.ndarray:
        """``log prior(new) q(now) / (prior(now) q(new))`` with the prior ``N(0, I)``."""
        log_p = -0.5 * ((z_new**2).sum(axis=1) - (z_now**2).sum(axis=1))
        return np.asarray(log_p + self._log_q(z_now) - self._log_q(z_new))


def _take(state: SmcState, idx: np.ndarray) -> None:
    state.z = state.z[idx]
    state.points = state.points[idx]
    state.loglik = state.loglik[idx]
    state.per_target = state.per_target[idx]
    state.mean = state.mean[idx]


def _move(
    state: SmcState,
    rng: np.random.Generator,
    loglik: LogLik,
    beta: float,
    refresh: int,
    jump: Jump | None = None,
) -> float:
    """One Metropolis move of every particle; returns the acceptance rate.

    A random walk with the particles' covariance, or with ``jump`` an independence
    proposal of its block (the other parameters kept); either way with fresh random
    numbers for ``refresh`` replicates, chosen at random, and the particle's own for
    the rest (block pseudo-marginal).
    """
    n, d = state.z.shape
    r = state.points.shape[1]
    k = min(max(refresh, 1), r)
    blocks = rng.choice(r, size=k, replace=False)
    points = state.points.copy()
    points[:, blocks] = state.offset + np.arange(n * k, dtype=np.int64).reshape(n, k)
    if jump is None:
        cov = np.cov(state.z, rowvar=False).reshape(d, d) + 1e-8 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        prop = state.z + state.scale * rng.standard_normal((n, d)) @ chol.T
        log_prior = -0.5 * ((prop**2).sum(axis=1) - (state.z**2).sum(axis=1))
    else:
        prop = state.z.copy()
        prop[:, jump.cols] = jump.draw(rng, n)
        log_prior = jump.log_ratio(state.z[:, jump.cols], prop[:, jump.cols])
    fit = loglik(prop, points)
    state.offset += n * k
    log_a = beta * (fit.loglik - state.loglik) + log_prior
    acc = np.log(rng.uniform(size=n)) < log_a
    state.z = np.where(acc[:, None], prop, state.z)
    state.points = np.where(acc[:, None], points, state.points)
    state.loglik = np.where(acc, fit.loglik, state.loglik)
    state.per_target = np.where(acc[:, None], fit.per_target, state.per_target)
    state.mean = np.where(acc[:, None], fit.mean, state.mean)
    rate = float(acc.mean())
    if jump is None:
        state.scale = float(np.clip(state.scale * np.exp(rate - 0.234), 0.01, 3.0))
    return rate


def _moves(
    state: SmcState,
    rng: np.random.Generator,
    loglik: LogLik,
    beta: float,
    settings: SmcSettings,
    n_global: int,
    n_walks: int,
) -> list[float]:
    """Moves of every particle; their acceptance rates.

    ``n_global`` independence moves from a normal fitted to the particles as they are
    now, then ``n_walks`` random walks.
    """
    k = settings.refresh
    rates = []
    if n_global:
        fitted = GaussianJump(state.z, settings.inflate)
        rates += [_move(state, rng, loglik, beta, k, fitted) for _ in range(n_global)]
    rates += [_move(state, rng, loglik, beta, k) for _ in range(n_walks)]
    return rates


def run(
    d: int,
    loglik: LogLik,
    settings: SmcSettings,
    checkpoint: Callable[[SmcState], None] | None = None,
    resume: SmcState | None = None,
    jump: Jump | None = None,
) -> SmcState:
    """Tempered SMC from the prior (or from ``resume``) to the posterior.

    Args:
        d: dimensions.
        loglik: simulates and scores particles (:data:`LogLik`).
        settings: particles, moves, ESS fraction, step limits, seed.
        checkpoint: called with the state after the prior sample and every step.
        resume: a state from ``checkpoint`` to continue from.
        jump: an independence proposal tried once per step after the random walks
            (mode jumping; the tempered targets are unchanged).

    Returns:
        The final state (``beta`` is 1 unless ``max_steps`` ran out: see ``done``).
    """
    rng = np.random.default_rng(settings.seed)
    n, r = settings.particles, settings.replicates
    if resume is None:
        t0 = time.perf_counter()
        z = rng.standard_normal((n, d))
        points = np.arange(n * r, dtype=np.int64).reshape(n, r)
        fit = loglik(z, points)
        state = SmcState(
            step=0,
            beta=0.0,
            final_moves=0,
            z=z,
            points=points,
            loglik=fit.loglik,
            per_target=fit.per_target,
            mean=fit.mean,
            scale=2.38 / np.sqrt(max(d, 1)),
            offset=n * r,
            rng=rng.bit_generator.state,
        )
        state.history.append(
            {"step": 0, "beta": 0.0, "seconds": round(time.perf_counter() - t0, 2)}
        )
        if checkpoint:
            checkpoint(state)
    else:
        state = replace(resume, history=list(resume.history))
        rng.bit_generator.state = state.rng
    while not state.done and state.step < settings.max_steps:
        t0 = time.perf_counter()
        beta = next_beta(state.loglik, state.beta, settings.ess_fraction * n)
        logw = (beta - state.beta) * state.loglik
        kept = ess(logw)
        _take(state, systematic(rng, logw))
        state.beta = beta
        rates = _moves(state, rng, loglik, beta, settings, settings.global_moves, settings.moves)
        if jump is not None:
            rates.append(_move(state, rng, loglik, beta, settings.refresh, jump))
        state.step += 1
        state.rng = rng.bit_generator.state
        state.history.append(
            {
                "step": state.step,
                "beta": beta,
                "ess_before_resampling": round(kept, 1),
                "acceptance": [round(r, 3) for r in rates],
                "unique_particles": len(np.unique(state.z[:, 0])),
                "seconds": round(time.perf_counter() - t0, 2),
            }
        )
        log.info(
            "calibration step %d: beta %.4g, acceptance %s, %.0f s",
            state.step,
            beta,
            ", ".join(f"{r:.2f}" for r in rates),
            time.perf_counter() - t0,
        )
        if checkpoint:
            checkpoint(state)
    while state.done and state.final_moves < settings.final_moves:
        t0 = time.perf_counter()
        rates = _moves(state, rng, loglik, 1.0, settings, min(settings.global_moves, 1), 1)
        state.final_moves += 1
        state.rng = rng.bit_generator.state
        state.history.append(
            {
                "final_move": state.final_moves,
                "acceptance": [round(r, 3) for r in rates],
                "seconds": round(time.perf_counter() - t0, 2),
            }
        )
        log.info(
            "calibration final move %d: acceptance %s",
            state.final_moves,
            ", ".join(f"{r:.2f}" for r in rates),
        )
        if checkpoint:
            checkpoint(state)
    return state


__all__ = ["GaussianJump", "LogLik", "SmcState", "ess", "next_beta", "run", "systematic"]
