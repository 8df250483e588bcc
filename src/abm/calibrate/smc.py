"""Tempered sequential Monte Carlo with a noisy likelihood, in the prior's normal space.

Particles ``z`` (``[N, d]``, prior ``N(0, I)``, see :mod:`abm.calibrate.space`) move
from the prior (``beta = 0``) to the posterior (``beta = 1``) through tempered targets
``prior(z) * L(z)^beta`` (Del Moral, Doucet and Jasra 2006). Each step picks the next
``beta`` by bisection so that the reweighted particles keep ``ess_fraction * N``
effective samples, resamples them (systematic), and moves each with ``moves``
random-walk Metropolis steps whose proposal covariance is the particles' own (scaled,
and adapted towards a 0.234 acceptance between moves). The likelihood is estimated by
simulation (:mod:`abm.calibrate.likelihood`); a particle keeps the estimate it was
accepted with, as in pseudo-marginal MCMC.

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

#: Simulates and scores ``z [N, d]``; the int is the first simulation's number.
LogLik = Callable[[np.ndarray, int], Fit]


@dataclass
class SmcState:
    """Where a tempered SMC stands after a step.

    Attributes:
        step: tempering steps done (0: the prior sample only).
        beta: the tempering exponent reached (1: the posterior).
        final_moves: moves done at ``beta = 1`` after the last step.
        z: float64 ``[N, d]`` particles in normal scores.
        loglik: float64 ``[N]``, each particle's likelihood estimate.
        per_target: float64 ``[N, T]``.
        mean: float64 ``[N, T]``, the replicates' mean of each target.
        scale: the random walk's scale (relative to the particles' covariance).
        offset: simulations done (the next one's number).
        rng: the NumPy generator's state (``bit_generator.state``).
        history: one dict per step (beta, ess, acceptance, seconds, ...).
    """

    step: int
    beta: float
    final_moves: int
    z: np.ndarray
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


def _take(state: SmcState, idx: np.ndarray) -> None:
    state.z = state.z[idx]
    state.loglik = state.loglik[idx]
    state.per_target = state.per_target[idx]
    state.mean = state.mean[idx]


def _move(
    state: SmcState,
    rng: np.random.Generator,
    loglik: LogLik,
    beta: float,
    jump: Jump | None = None,
) -> float:
    """One Metropolis move of every particle; returns the acceptance rate.

    A random walk with the particles' covariance, or with ``jump`` an independence
    proposal of its block (the other parameters kept).
    """
    n, d = state.z.shape
    if jump is None:
        cov = np.cov(state.z, rowvar=False).reshape(d, d) + 1e-8 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        prop = state.z + state.scale * rng.standard_normal((n, d)) @ chol.T
        log_prior = -0.5 * ((prop**2).sum(axis=1) - (state.z**2).sum(axis=1))
    else:
        prop = state.z.copy()
        prop[:, jump.cols] = jump.draw(rng, n)
        log_prior = jump.log_ratio(state.z[:, jump.cols], prop[:, jump.cols])
    fit = loglik(prop, state.offset)
    state.offset += n
    log_a = beta * (fit.loglik - state.loglik) + log_prior
    acc = np.log(rng.uniform(size=n)) < log_a
    state.z = np.where(acc[:, None], prop, state.z)
    state.loglik = np.where(acc, fit.loglik, state.loglik)
    state.per_target = np.where(acc[:, None], fit.per_target, state.per_target)
    state.mean = np.where(acc[:, None], fit.mean, state.mean)
    rate = float(acc.mean())
    if jump is None:
        state.scale = float(np.clip(state.scale * np.exp(rate - 0.234), 0.01, 3.0))
    return rate


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
    n = settings.particles
    if resume is None:
        t0 = time.perf_counter()
        z = rng.standard_normal((n, d))
        fit = loglik(z, 0)
        state = SmcState(
            step=0,
            beta=0.0,
            final_moves=0,
            z=z,
            loglik=fit.loglik,
            per_target=fit.per_target,
            mean=fit.mean,
            scale=2.38 / np.sqrt(max(d, 1)),
            offset=n,
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
        rates = [_move(state, rng, loglik, beta) for _ in range(settings.moves)]
        if jump is not None:
            rates.append(_move(state, rng, loglik, beta, jump))
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
        rate = _move(state, rng, loglik, 1.0)
        state.final_moves += 1
        state.rng = rng.bit_generator.state
        state.history.append(
            {
                "final_move": state.final_moves,
                "acceptance": round(rate, 3),
                "seconds": round(time.perf_counter() - t0, 2),
            }
        )
        log.info("calibration final move %d: acceptance %.2f", state.final_moves, rate)
        if checkpoint:
            checkpoint(state)
    return state


__all__ = ["LogLik", "SmcState", "ess", "next_beta", "run", "systematic"]
