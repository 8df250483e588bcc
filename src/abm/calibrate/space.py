"""The calibrated parameters as a standard normal space (the engine's own draws).

Every parameter in play is written ``theta = clip(T(z), low, high)`` with ``z ~ N(0, 1)``
and ``T`` the map the engine's sampler applies to its uniform ``u = Phi(z)``
(:func:`abm.engine.priors.sample`): ``a + u (b - a)`` for a uniform prior, ``a + b z``
for a normal one, ``exp(a + b z)`` for a lognormal one, the beta quantile rescaled to
``[low, high]``, the triangular quantile. The prior in ``z`` is therefore exactly
``N(0, I)``, and a random-walk move in ``z`` needs no Jacobian. This module imports no
JAX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from abm.engine.priors import PRIOR_KINDS, Prior

#: The open interval the engine keeps its uniforms in (so ``ndtri`` stays finite).
U_EPS = 1e-7


@dataclass(frozen=True)
class Space:
    """Parameters in play and their priors.

    Attributes:
        names: full parameter names, ``[d]``.
        priors: each one's prior (never ``fixed``).
        low: float64 ``[d]``, lower ends of the allowed ranges.
        high: float64 ``[d]``, upper ends.
    """

    names: tuple[str, ...]
    priors: tuple[Prior, ...]
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def build(
        cls, names: Sequence[str], priors: Sequence[Prior], ranges: Sequence[tuple[float, float]]
    ) -> Space:
        """A space from names, priors (not ``fixed`` nor ``posterior``) and ranges."""
        for n, p in zip(names, priors, strict=True):
            if p.kind in ("fixed", "posterior"):
                raise ValueError(f"{n}: a {p.kind} prior is not a calibrated parameter")
        rng = np.asarray(ranges, np.float64).reshape(-1, 2)
        return cls(tuple(names), tuple(priors), rng[:, 0].copy(), rng[:, 1].copy())

    @property
    def d(self) -> int:
        """Number of parameters."""
        return len(self.names)

    def to_theta(self, z: np.ndarray) -> np.ndarray:
        """Parameter values from normal scores.

        Args:
            z: float ``[..., d]``.

        Returns:
            float64 ``[..., d]``, each inside its ``[low, high]``.
        """
        z = np.asarray(z, np.float64)
        u = np.clip(special.ndtr(z), U_EPS, 1.0 - U_EPS)
        out = np.empty_like(z)
        for j, p in enumerate(self.priors):
            out[..., j] = _quantile(p, u[..., j], z[..., j], self.low[j], self.high[j])
        return np.clip(out, self.low, self.high)

    def to_z(self, theta: np.ndarray) -> np.ndarray:
        """Normal scores of parameter values (the inverse of :meth:`to_theta`).

        Inside the support; a value clipped at a bound maps to the bound's score.
        """
        theta = np.asarray(theta, np.float64)
        out = np.empty_like(theta)
        for j, p in enumerate(self.priors):
            u = _cdf(p, theta[..., j], self.low[j], self.high[j])
            out[..., j] = special.ndtri(np.clip(u, U_EPS, 1.0 - U_EPS))
        return out


def log_pdf(p: Prior, x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Log density of prior ``p`` at ``x``.

    The clipping to ``[low, high]`` is ignored; -inf outside the prior's own support.
    """
    a = p.args
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if p.kind == "uniform":
            inside = (x >= a["low"]) & (x <= a["high"])
            return np.where(inside, -np.log(max(a["high"] - a["low"], 1e-300)), -np.inf)
        if p.kind == "normal":
            return np.asarray(stats.norm.logpdf(x, a["mean"], max(a["sd"], 1e-300)))
        if p.kind == "lognormal":
            sigma = max(a["sigma"], 1e-300)
            return np.asarray(stats.lognorm.logpdf(x, sigma, scale=np.exp(a["mu"])))
        if p.kind == "beta":
            w = max(high - low, 1e-300)
            return np.asarray(stats.beta.logpdf((x - low) / w, a["a"], a["b"]) - np.log(w))
        if p.kind == "triangular":
            w = max(a["high"] - a["low"], 1e-12)
            return np.asarray(stats.triang.logpdf(x, (a["mode"] - a["low"]) / w, a["low"], w))
    raise ValueError(f"no density for prior kind {p.kind!r}")


def _quantile(p: Prior, u: np.ndarray, z: np.ndarray, low: float, high: float) -> np.ndarray:
    a = p.args
    if p.kind == "uniform":
        return a["low"] + u * (a["high"] - a["low"])
    if p.kind == "normal":
        return a["mean"] + a["sd"] * z
    if p.kind == "lognormal":
        return np.exp(a["mu"] + a["sigma"] * z)
    if p.kind == "beta":
        return low + (high - low) * stats.beta.ppf(u, a["a"], a["b"])
    if p.kind == "triangular":
        lo, mode, hi = a["low"], a["mode"], a["high"]
        width = max(hi - lo, 1e-12)
        f = (mode - lo) / width
        return np.where(
            u < f,
            lo + np.sqrt(u * width * (mode - lo)),
            hi - np.sqrt((1.0 - u) * width * (hi - mode)),
        )
    raise ValueError(f"no quantile for prior kind {p.kind!r}")


def _cdf(p: Prior, x: np.ndarray, low: float, high: float) -> np.ndarray:
    a = p.args
    if p.kind == "uniform":
        return (x - a["low"]) / max(a["high"] - a["low"], 1e-300)
    if p.kind == "normal":
        return special.ndtr((x - a["mean"]) / max(a["sd"], 1e-300))
    if p.kind == "lognormal":
        return special.ndtr((np.log(np.maximum(x, 1e-300)) - a["mu"]) / max(a["sigma"], 1e-300))
    if p.kind == "beta":
        return stats.beta.cdf((x - low) / max(high - low, 1e-300), a["a"], a["b"])
    if p.kind == "triangular":
        return stats.triang.cdf(
            x,
            (a["mode"] - a["low"]) / max(a["high"] - a["low"], 1e-12),
            a["low"],
            a["high"] - a["low"],
        )
    raise ValueError(f"no cdf for prior kind {p.kind!r}")


assert set(PRIOR_KINDS) >= {"uniform", "normal", "lognormal", "beta", "triangular"}

__all__ = ["U_EPS", "Space", "log_pdf"]
