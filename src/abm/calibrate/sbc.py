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
from abm.calibrate.likelihood import Fit, evaluate


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
        mean = theta @ self.a.T + np.tanh(theta) @ self.b.T
        sd = self.noise + np.abs(theta) @ self.hetero.T
        eps = rng.standard_normal((theta.shape[0], replicates, self.a.shape[0]))
        return mean[:, None, :] + sd[:, None, :] * eps


def calibrate_once(
    model: SyntheticModel, y: np.ndarray, settings: SmcSettings, seed: int
) -> np.ndarray:
    """The calibrated sample ``[N, d]`` for data ``y`` (simulation noise seeded by ``seed``)."""
    event = np.zeros(len(y), bool)

    def loglik(z: np.ndarray, offset: int) -> Fit:
        rng = np.random.default_rng([seed, offset])
        return evaluate(model.simulate(z, settings.replicates, rng), y, model.obs_sd, event)

    return smc.run(model.a.shape[1], loglik, settings).z


def sbc_ranks(
    model: SyntheticModel, n_datasets: int, settings: SmcSettings, seed: int = 0
) -> np.ndarray:
    """Ranks ``[L, d]`` of the true parameters among each data set's sample (0..N)."""
    rng = np.random.default_rng(seed)
    d = model.a.shape[1]
    ranks = np.empty((n_datasets, d), np.int64)
    for i in range(n_datasets):
        truth = rng.standard_normal((1, d))
        run = model.simulate(truth, 1, rng)[0, 0]
        y = run + model.obs_sd * rng.standard_normal(run.shape)
        sample = calibrate_once(model, y, replace_seed(settings, seed * 100003 + i), i)
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


__all__ = ["SyntheticModel", "calibrate_once", "rank_test", "sbc_ranks"]
