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


def evaluate(sims: np.ndarray, y: np.ndarray, sd: np.ndarray, event: np.ndarray) -> Fit:
    """The synthetic likelihood of ``y`` under each parameter vector's replicates.

    Args:
        sims: float ``[N, R, T]`` replicate values (NaN: the cell did not happen).
        y: float ``[T]`` historical figures.
        sd: float ``[T]`` observation and discrepancy sd, > 0.
        event: bool ``[T]``, dated events (kernel likelihood) vs quantities.

    Returns:
        The :class:`Fit`.
    """
    sims = np.asarray(sims, np.float64)
    sd = np.maximum(np.asarray(sd, np.float64), 1e-12)
    ok = np.isfinite(sims)
    n = ok.sum(axis=1)
    filled = np.where(ok, sims, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / n
        dev = np.where(ok, sims - mean[:, None, :], 0.0)
        var = np.where(n > 1, (dev**2).sum(axis=1) / np.maximum(n - 1, 1), 0.0)
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


__all__ = ["MISSING_SDS", "Fit", "evaluate"]
