"""Proper scores of a piecewise-uniform predictive distribution against one number.

A cube keeps each quantity's distribution over runs as a histogram and each event's
timing as counts per year, so the predictive distribution here is a mixture of uniform
pieces ``U(a_k, b_k)`` of weight ``w_k`` and point masses at ``c_j`` of weight ``v_j``
(:class:`Mixture`). Its CDF ``F`` is piecewise linear with jumps at the point masses,
and every score is computed exactly from it:

* quantiles ``F^-1(p) = inf {y : F(y) >= p}``;
* the interval score at level ``alpha`` (Gneiting & Raftery 2007, eq. 43):
  ``(u - l) + (2 / alpha) (l - x) 1{x < l} + (2 / alpha) (x - u) 1{x > u}`` with ``l``,
  ``u`` the ``alpha / 2`` and ``1 - alpha / 2`` quantiles;
* the CRPS ``int (F(y) - 1{y >= x})^2 dy``, integrated in closed form between the
  breakpoints (where the integrand is the square of a linear function);
* the PIT ``F(x)``, drawn uniformly in ``[F(x-), F(x)]`` when ``x`` sits on a point mass.

Nothing here reads a cube (see :mod:`abm.analysis.validate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np


@dataclass(frozen=True)
class Mixture:
    """Uniform pieces and point masses; the weights sum to 1.

    Attributes:
        lo: float ``[k]`` left ends of the uniform pieces.
        hi: float ``[k]`` right ends (``hi > lo``).
        w: float ``[k]`` weights of the pieces.
        at: float ``[j]`` locations of the point masses.
        v: float ``[j]`` weights of the point masses.
    """

    lo: np.ndarray
    hi: np.ndarray
    w: np.ndarray
    at: np.ndarray
    v: np.ndarray

    @classmethod
    def build(
        cls,
        lo: np.ndarray,
        hi: np.ndarray,
        w: np.ndarray,
        at: np.ndarray | None = None,
        v: np.ndarray | None = None,
    ) -> Mixture:
        """A mixture from unnormalised weights (counts); pieces of zero width become masses.

        Raises:
            ValueError: if a weight is negative, the total is 0, or ``hi < lo``.
        """
        lo, hi, w = (np.asarray(a, np.float64).reshape(-1) for a in (lo, hi, w))
        at = np.asarray([] if at is None else at, np.float64).reshape(-1)
        v = np.asarray([] if v is None else v, np.float64).reshape(-1)
        if (w < 0).any() or (v < 0).any() or (hi < lo).any():
            raise ValueError("weights must be >= 0 and pieces must have hi >= lo")
        total = w.sum() + v.sum()
        if not total > 0:
            raise ValueError("the distribution has no weight")
        flat = hi == lo
        at, v = np.concatenate([at, lo[flat]]), np.concatenate([v, w[flat]])
        keep = ~flat & (w > 0)
        keep_m = v > 0
        return cls(lo[keep], hi[keep], w[keep] / total, at[keep_m], v[keep_m] / total)

    @classmethod
    def histogram(cls, counts: np.ndarray, edges: np.ndarray) -> Mixture:
        """The piecewise-uniform distribution of a histogram (``counts [k]``, ``edges [k+1]``)."""
        e = np.asarray(edges, np.float64)
        return cls.build(e[:-1], e[1:], np.asarray(counts, np.float64))

    def cdf(self, y: float) -> tuple[float, float]:
        """``(F(y-), F(y))``: the CDF's left limit and value at ``y``."""
        span = np.where(self.hi > self.lo, self.hi - self.lo, 1.0)
        cont = float(np.sum(self.w * np.clip((y - self.lo) / span, 0.0, 1.0)))
        below = float(np.sum(self.v[self.at < y]))
        on = float(np.sum(self.v[self.at == y]))
        return _snap(cont + below), _snap(cont + below + on)

    def _curve(self) -> tuple[np.ndarray, np.ndarray]:
        """The CDF as a monotone polyline: ``y`` and ``F`` at each breakpoint's two sides."""
        z = np.unique(np.concatenate([self.lo, self.hi, self.at]))
        left = np.array([self.cdf(float(t))[0] for t in z])
        right = np.array([self.cdf(float(t))[1] for t in z])
        return np.repeat(z, 2), np.ravel(np.column_stack([left, right]))

    def quantile(self, p: np.ndarray) -> np.ndarray:
        """``F^-1(p) = inf {y : F(y) >= p}`` for probabilities ``p [n]`` in (0, 1]."""
        ys, fs = self._curve()
        ps = np.atleast_1d(np.asarray(p, np.float64))
        out = np.empty_like(ps)
        for n, q in enumerate(ps):
            i = int(np.searchsorted(fs, q - 1e-12, side="left"))
            i = min(max(i, 0), len(fs) - 1)
            if i == 0 or ys[i] == ys[i - 1] or fs[i] <= fs[i - 1]:
                out[n] = ys[i]
            else:
                frac = (q - fs[i - 1]) / (fs[i] - fs[i - 1])
                out[n] = ys[i - 1] + min(max(frac, 0.0), 1.0) * (ys[i] - ys[i - 1])
        return out

    def crps(self, x: float) -> float:
        """The CRPS against ``x``, exact: ``int (F(y) - 1{y >= x})^2 dy``.

        Between consecutive breakpoints (piece ends, point masses and ``x``) the integrand
        is ``g(y)^2`` with ``g`` linear from ``g0`` to ``g1``, whose integral over a length
        ``h`` is ``h (g0^2 + g0 g1 + g1^2) / 3``. Outside the breakpoints ``F`` and the
        step agree (both 0 left, both 1 right).
        """
        z = np.unique(np.concatenate([self.lo, self.hi, self.at, [x]]))
        total = 0.0
        for a, b in pairwise(z):
            step = 1.0 if a >= x else 0.0
            g0 = self.cdf(float(a))[1] - step
            g1 = self.cdf(float(b))[0] - step
            total += (b - a) * (g0 * g0 + g0 * g1 + g1 * g1) / 3.0
        return float(total)

    def pit(self, x: float, u: float) -> float:
        """The PIT at ``x``: ``F(x-) + u (F(x) - F(x-))`` for a uniform draw ``u``."""
        f_left, f = self.cdf(x)
        return f_left + u * (f - f_left)


def _snap(f: float) -> float:
    """A CDF value with rounding noise at 0 and 1 removed (beyond every point: exactly 1)."""
    return 1.0 if f > 1.0 - 1e-12 else (0.0 if f < 1e-12 else f)


def interval_score(lo: float, hi: float, x: float, alpha: float = 0.1) -> float:
    """Gneiting & Raftery's interval score of the central ``1 - alpha`` interval ``[lo, hi]``.

    ``(hi - lo) + (2 / alpha) (lo - x) 1{x < lo} + (2 / alpha) (x - hi) 1{x > hi}``, in
    the unit of ``x``; lower is better.
    """
    penalty = (2.0 / alpha) * (max(lo - x, 0.0) + max(x - hi, 0.0))
    return float(hi - lo + penalty)


__all__ = ["Mixture", "interval_score"]
