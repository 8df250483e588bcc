"""Simulation-based calibration of the method (Talts et al. 2018) on a synthetic model.

The synthetic model has ``d`` parameters with standard normal priors and ``T`` noisy
outputs, some linear and some not (``x = A theta + B tanh(theta) + noise``, the
noise's sd depending on theta, as the real model's run-to-run spread does), observed
with Gaussian error of known sd. For each of ``L`` data sets a parameter vector is drawn
from the prior, one run of the model plus observation error is the "history", and the
calibration (:func:`abm.calibrate.smc.run`, the same code and settings kinds as the
real one) returns a sample. If the method is right, the rank of the true value among
the sample is uniform for every parameter; :func:`rank_test` says how far it is.
This module imports no JAX.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from abm.calibrate import smc
from abm.calibrate.config import SmcSettings
from abm.calibrate.likelihood import Fit, evaluate, pilot, pooled_chance_variance


@dataclass(frozen=True)
class SyntheticModel:
    """Outputs ``x = A theta + B tanh(theta) + (c + |theta| e) * noise``.

    Attributes:
        a: float ``[T, d]``.
        b: float ``[T, d]``.
        noise: float ``[T]``, the base run-to-run sd.
        hetero: float ``[T, d]``, how the spread grows with ``|theta|``.
        obs_sd: float ``[T]``, observation error sd.
    """

    a: np.ndarray
    b: np.ndarray
    noise: np.ndarray
    hetero: np.ndarray
    obs_sd: np.ndarray

    @classmethod
    def make(cls, d: int = 4, t: int = 8, seed: int = 0) -> SyntheticModel:
        """A random instance (fixed by ``seed``); one output per parameter is uninformative."""
        rng = np.random.default_rng(seed)
        a = rng.normal(0.0, 1.0, (t, d)) * (rng.uniform(size=(t, d)) < 0.6)
        a[:, -1] = 0.0  # the last parameter is not identified: its posterior is the prior
        b = rng.normal(0.0, 0.5, (t, d)) * (rng.uniform(size=(t, d)) < 0.4)
        b[:, -1] = 0.0
        return cls(
            a=a,
            b=b,
            noise=rng.uniform(0.2, 0.6, t),
            hetero=rng.uniform(0.0, 0.2, (t, d)),
            obs_sd=rng.uniform(0.1, 0.3, t),
        )

    def simulate(self, theta: np.ndarray, replicates: int, rng: np.random.Generator) -> np.ndarray:
        """Float ``[N, R, T]`` runs at ``theta [N, d]``."""
        eps = rng.standard_normal((theta.shape[0], replicates, self.a.shape[0]))
        return self._runs(theta, eps)

    def simulate_numbered(self, theta: np.ndarray, points: np.ndarray, seed: int) -> np.ndarray:
        """Float ``[N, R, T]`` runs at ``theta [N, d]`` on numbered noise.

        Run ``(i, r)`` uses the noise of simulation ``points[i, r]``: the same number
        gives the same noise at any theta, as the model's run keys do.
        """
        return self._runs(theta, numbered_normals(seed, points, self.a.shape[0]))

    def _runs(self, theta: np.ndarray, eps: np.ndarray) -> np.ndarray:
        mean = theta @ self.a.T + np.tanh(theta) @ self.b.T
        sd = self.noise + np.abs(theta) @ self.hetero.T
        return mean[:, None, :] + sd[:, None, :] * eps


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea and Flood 2014), on uint64 arrays."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def numbered_normals(seed: int, points: np.ndarray, t: int) -> np.ndarray:
    """Standard normals ``[*points.shape, t]``, a function of ``(seed, point, j)`` alone.

    A counter-based generator (a hash of the three numbers through SplitMix64, then the
    normal quantile), so simulation ``p`` has the same noise whatever batch it is in.
    """
    p = np.asarray(points, np.uint64)[..., None]
    j = np.arange(t, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = _mix(np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + _mix(p + np.uint64(1)))
        x = _mix(x ^ (j * np.uint64(0xD1B54A32D192ED03)))
    u = ((x >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    return np.asarray(stats.norm.ppf(u))


def calibrate_once(
    model: SyntheticModel,
    y: np.ndarray,
    settings: SmcSettings,
    seed: int,
    likelihood: str = "synthetic",
) -> np.ndarray:
    """The calibrated sample ``[N, d]`` for data ``y`` (simulation noise seeded by ``seed``).

    ``likelihood`` as a calibration config's (``synthetic`` or ``pooled``: the chance
    variance pooled over a pilot of prior draws, as :func:`abm.calibrate.run.make_loglik`
    does).
    """
    event = np.zeros(len(y), bool)
    chance = None
    if likelihood == "pooled":
        z0, points0 = pilot(model.a.shape[1], settings.replicates, seed)
        chance = pooled_chance_variance(model.simulate_numbered(z0, points0, seed))

    def loglik(z: np.ndarray, points: np.ndarray) -> Fit:
        sims = model.simulate_numbered(z, points, seed)
        return evaluate(sims, y, model.obs_sd, event, chance)

    return smc.run(model.a.shape[1], loglik, settings).z


def sbc_ranks(
    model: SyntheticModel,
    n_datasets: int,
    settings: SmcSettings,
    seed: int = 0,
    likelihood: str = "synthetic",
) -> np.ndarray:
    """Ranks ``[L, d]`` of the true parameters among each data set's sample (0..N)."""
    rng = np.random.default_rng(seed)
    d = model.a.shape[1]
    ranks = np.empty((n_datasets, d), np.int64)
    for i in range(n_datasets):
        truth = rng.standard_normal((1, d))
        run = model.simulate(truth, 1, rng)[0, 0]
        y = run + model.obs_sd * rng.standard_normal(run.shape)
        sample = calibrate_once(model, y, replace_seed(settings, seed * 100003 + i), i, likelihood)
        ranks[i] = (sample < truth).sum(axis=0)
    return ranks


def replace_seed(settings: SmcSettings, seed: int) -> SmcSettings:
    """``settings`` with another seed."""
    from dataclasses import replace

    return replace(settings, seed=seed)


def rank_test(ranks: np.ndarray, n_sample: int, bins: int = 10) -> np.ndarray:
    """Chi-square p-value of rank uniformity per parameter (``bins`` equal bins)."""
    edges = np.linspace(0, n_sample + 1, bins + 1)
    out = []
    for j in range(ranks.shape[1]):
        counts, _ = np.histogram(ranks[:, j], bins=edges)
        out.append(stats.chisquare(counts).pvalue)
    return np.asarray(out)


__all__ = ["SyntheticModel", "calibrate_once", "numbered_normals", "rank_test", "sbc_ranks"]
