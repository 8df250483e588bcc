"""The synthetic likelihood of history at one parameter vector, from its replicate runs.

For a quantity target ``j`` with figure ``y``, the ``R`` replicates' mean ``m`` and
variance ``s^2`` (the model's own randomness at that parameter vector), the observation
and discrepancy sd ``sigma``: ``y ~ N(m, sigma^2 + s^2 (1 + 1/R))`` (a Gaussian
synthetic likelihood, Wood 2010, with the mean's own noise added). History is one
realisation, so the run-to-run spread belongs in the variance, as in history matching's
implausibility ``|y - m| / sqrt(sigma^2 + s^2 (1 + 1/R))``, which is reported too.

For a dated event (``y`` a decimal year), the likelihood is the kernel estimate
``mean_r N(y; x_r, sigma^2)`` over the replicates' dates ``x_r`` (an event that never
happened sits past the calendar's end), floored at a five-sd miss so that one parameter
vector is never ruled out by one replicate's chance.

**Pooled chance variance** (``likelihood: pooled``): the Gaussian synthetic likelihood
rewards a parameter vector for its own spread wherever its mean misses (the likelihood
of a miss ``r`` grows with the variance up to ``r^2``), so a structural misfit pulls the
posterior towards erratic worlds and widens every forecast made from it. With
``chance_var`` given, ``s^2`` is one variance per target for every vector (the median
over a pilot of prior draws, :func:`pooled_chance_variance`): history is still one
realisation of a noisy process, but no vector gains by being noisier. It is exact where
the run-to-run spread does not depend on the parameters, and an approximation where it
does (``docs/calibration.md``).

Targets are treated as independent given the parameters (the ensemble is too small to
estimate their correlations). This module imports no JAX.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A target with no valid replicate counts as a miss of this many sds.
MISSING_SDS = 5.0
LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class Fit:
    """The likelihood of a batch of parameter vectors.

    Attributes:
        loglik: float64 ``[N]``, the sum over targets.
        per_target: float64 ``[N, T]``, each target's log-likelihood.
        mean: float64 ``[N, T]``, the replicates' mean (NaN where none is valid).
        implausibility: float64 ``[N, T]``, ``|y - m| / sd``.
    """

    loglik: np.ndarray
    per_target: np.ndarray
    mean: np.ndarray
    implausibility: np.ndarray


def _moments(
    sims: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The replicates' moments of ``sims [N, R, T]`` (NaN: the cell did not happen).

    Returns:
        (valid mask ``[N, R, T]``, valid count ``[N, T]``, the runs with NaN as 0, the
        mean ``[N, T]``, the sum of squared deviations from it ``[N, T]``).
    """
    ok = np.isfinite(sims)
    n = ok.sum(axis=1)
    filled = np.where(ok, sims, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / n
        dev = np.where(ok, sims - mean[:, None, :], 0.0)
    return ok, n, filled, mean, (dev**2).sum(axis=1)


def evaluate(
    sims: np.ndarray,
    y: np.ndarray,
    sd: np.ndarray,
    event: np.ndarray,
    chance_var: np.ndarray | None = None,
) -> Fit:
    """The synthetic likelihood of ``y`` under each parameter vector's replicates.

    Args:
        sims: float ``[N, R, T]`` replicate values (NaN: the cell did not happen).
        y: float ``[T]`` historical figures.
        sd: float ``[T]`` observation and discrepancy sd, > 0.
        event: bool ``[T]``, dated events (kernel likelihood) vs quantities.
        chance_var: float ``[T]``, the pooled run-to-run variance that replaces each
            vector's own (None: each vector's own, the Gaussian synthetic likelihood).

    Returns:
        The :class:`Fit`.
    """
    sims = np.asarray(sims, np.float64)
    sd = np.maximum(np.asarray(sd, np.float64), 1e-12)
    ok, n, filled, mean, squares = _moments(sims)
    var = np.where(n > 1, squares / np.maximum(n - 1, 1), 0.0)
    if chance_var is not None:
        var = np.broadcast_to(np.asarray(chance_var, np.float64), var.shape)
    v = sd**2 + var * (1.0 + 1.0 / np.maximum(n, 1))
    resid = y - mean
    ll_q = -0.5 * (LOG_2PI + np.log(v)) - 0.5 * resid**2 / v
    miss = -0.5 * (LOG_2PI + np.log(sd**2)) - 0.5 * MISSING_SDS**2
    ll_q = np.where(n > 0, ll_q, miss)
    # Events: kernel density of y among the replicates' dates.
    z = (y - filled) / sd
    dens = np.where(ok, np.exp(-0.5 * z**2), 0.0).sum(axis=1) / np.maximum(n, 1)
    ll_e = np.log(np.maximum(dens, np.exp(-0.5 * MISSING_SDS**2))) - 0.5 * LOG_2PI - np.log(sd)
    per = np.where(event, ll_e, ll_q)
    with np.errstate(invalid="ignore"):
        impl = np.abs(resid) / np.sqrt(v)
    return Fit(per.sum(axis=1), per, mean, impl)


#: Prior draws in the pilot that pools the run-to-run variance (``likelihood: pooled``).
PILOT = 64


def pilot(d: int, replicates: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The pilot's prior draws ``z [PILOT, d]`` and simulation numbers ``[PILOT, R]``.

    Fixed by the seed (a resumed calibration recomputes the same pooled variance); its
    simulation numbers are the top of the range, apart from the SMC's, which count up
    from 0.
    """
    z = np.random.default_rng([seed, 0x9157]).standard_normal((PILOT, d))
    top = 2**31 - PILOT * replicates
    points = top + np.arange(PILOT * replicates, dtype=np.int64).reshape(PILOT, replicates)
    return z, points


def pooled_chance_variance(sims: np.ndarray) -> np.ndarray:
    """One run-to-run variance per target: the median over vectors of each one's own.

    Args:
        sims: float ``[N, R, T]`` replicate values of a pilot (NaN: did not happen).

    Returns:
        float64 ``[T]``; 0 where no vector has two valid replicates.
    """
    _, n, _, _, squares = _moments(np.asarray(sims, np.float64))
    var = np.where(n > 1, squares / np.maximum(n - 1, 1), np.nan)
    out = np.zeros(var.shape[1])
    valid = np.isfinite(var).any(axis=0)
    out[valid] = np.nanmedian(var[:, valid], axis=0)
    return out


__all__ = ["MISSING_SDS", "PILOT", "Fit", "evaluate", "pilot", "pooled_chance_variance"]
