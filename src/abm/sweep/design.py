"""Sweep designs: where in the varied parameters' box the sweep's points lie.

A design turns the varied parameters' ranges ``[low, high]`` (one per dimension, in the
order of the sweep's ``vary`` block) into a ``[n_points, n_dims]`` float64 array:

* :class:`GridDesign` (``kind: grid``): the full factorial grid, ``points_per_dim``
  evenly spaced values per dimension, both ends included; the first dimension varies
  slowest (C order, as :func:`itertools.product`).
* :class:`LhsDesign` (``kind: lhs``): a Latin hypercube of ``n`` points: each dimension's
  range is cut into ``n`` equal strata and each stratum holds exactly one point, placed
  uniformly inside it; the strata are matched across dimensions by independent random
  permutations. ``method: qmc`` (the default) draws it with
  :class:`scipy.stats.qmc.LatinHypercube`; ``method: strata`` with the hand-written
  :func:`latin_hypercube` that every Latin hypercube sweep used before (kept so that
  their stores resume: see :class:`LhsDesign`).
* :class:`SobolDesign` (``kind: sobol``): Saltelli's extension of a scrambled Sobol'
  sequence (:func:`SALib.sample.sobol.sample`): ``n`` base samples give ``n * (D + 2)``
  points, or ``n * (2D + 2)`` with second-order indices, in the order
  :func:`SALib.analyze.sobol.analyze` expects.
* :class:`ListDesign` (``kind: list``): the points as given.

Every design is deterministic: the same design and ranges give the same array.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from abm.sweep.config import Sweep

#: The design kinds a sweep may name.
DESIGN_KINDS = ("grid", "lhs", "sobol", "list")


@dataclass(frozen=True)
class GridDesign:
    """The full factorial grid.

    Attributes:
        counts: values per dimension (each >= 2), in the order of the varied parameters.
    """

    counts: tuple[int, ...]
    kind: ClassVar[str] = "grid"

    def n_points(self, n_dims: int) -> int:
        """The product of the per-dimension counts."""
        return math.prod(self.counts)

    def sample(self, lows: Sequence[float], highs: Sequence[float]) -> np.ndarray:
        """The grid, ``[n_points, n_dims]``: :func:`numpy.linspace` per dimension (ends exact)."""
        axes = [np.linspace(lo, hi, k) for lo, hi, k in zip(lows, highs, self.counts, strict=True)]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.reshape(-1) for m in mesh], axis=1)

    def to_dict(self, names: Sequence[str]) -> dict[str, Any]:
        """The resolved design, as it could be written in a sweep file."""
        return {
            "kind": self.kind,
            "points_per_dim": dict(zip(names, self.counts, strict=True)),
        }


#: Latin hypercube generators: SciPy's (new sweeps) and the hand-written one (older stores).
LHS_METHODS = ("qmc", "strata")
#: The generator of a Latin hypercube design that names none.
DEFAULT_LHS_METHOD = "qmc"
#: The generator of the stores written before ``method`` existed (their resolved design
#: names no method, so its resolved form leaves ``method`` out to keep their hash).
LEGACY_LHS_METHOD = "strata"


@dataclass(frozen=True)
class LhsDesign:
    """A Latin hypercube sample.

    Two generators give different points for the same ``n`` and ``seed``; the points'
    SHA-256 is part of the sweep's config hash, so a store is only ever resumed with the
    generator that wrote it (a store of the other one is refused, never mixed). Stores
    written before SciPy's generator came in record no ``method``: ``method: strata``
    resolves to exactly their design (``method`` left out), so they resume.

    Attributes:
        n: number of points (and of strata per dimension).
        seed: seed of the permutations and of the positions inside the strata.
        method: ``qmc`` (:class:`scipy.stats.qmc.LatinHypercube`, scrambled, seeded with
            ``seed``) or ``strata`` (the hand-written :func:`latin_hypercube`).
    """

    n: int
    seed: int = 0
    method: str = DEFAULT_LHS_METHOD
    kind: ClassVar[str] = "lhs"

    def n_points(self, n_dims: int) -> int:
        """``n``."""
        return self.n

    def sample(self, lows: Sequence[float], highs: Sequence[float]) -> np.ndarray:
        """The sample, ``[n, n_dims]``, scaled from the unit box to the ranges."""
        if self.method == LEGACY_LHS_METHOD:
            unit = latin_hypercube(self.n, len(lows), self.seed)
        elif self.method == "qmc":
            unit = qmc_latin_hypercube(self.n, len(lows), self.seed)
        else:
            raise ValueError(f"unknown Latin hypercube method {self.method!r}: {LHS_METHODS}")
        return scale(unit, lows, highs)

    def to_dict(self, names: Sequence[str]) -> dict[str, Any]:
        """The resolved design, as it could be written in a sweep file.

        ``method`` is left out for ``strata``: the resolved design of the stores written
        before it existed.
        """
        out: dict[str, Any] = {"kind": self.kind, "n": self.n, "seed": self.seed}
        if self.method != LEGACY_LHS_METHOD:
            out["method"] = self.method
        return out


@dataclass(frozen=True)
class SobolDesign:
    """Saltelli's sample for Sobol' sensitivity indices.

    Attributes:
        n: base samples (a power of 2).
        seed: seed of the Sobol' sequence's scrambling.
        second_order: whether the sample also serves second-order indices.
    """

    n: int
    seed: int = 0
    second_order: bool = False
    kind: ClassVar[str] = "sobol"

    def n_points(self, n_dims: int) -> int:
        """``n * (D + 2)``, or ``n * (2D + 2)`` with second-order indices."""
        return self.n * ((2 * n_dims + 2) if self.second_order else (n_dims + 2))

    def sample(self, lows: Sequence[float], highs: Sequence[float]) -> np.ndarray:
        """Saltelli's sample, ``[n_points, n_dims]``, in SALib's row order."""
        from SALib.sample import sobol

        n_dims = len(lows)
        problem = {
            "num_vars": n_dims,
            "names": [f"x{i}" for i in range(n_dims)],
            "bounds": [[0.0, 1.0]] * n_dims,
        }
        unit = sobol.sample(problem, self.n, calc_second_order=self.second_order, seed=self.seed)
        return scale(np.asarray(unit, dtype=np.float64).reshape(-1, n_dims), lows, highs)

    def to_dict(self, names: Sequence[str]) -> dict[str, Any]:
        """The resolved design, as it could be written in a sweep file."""
        return {
            "kind": self.kind,
            "n": self.n,
            "seed": self.seed,
            "second_order": self.second_order,
        }


@dataclass(frozen=True)
class ListDesign:
    """Points given one by one.

    Attributes:
        values: each point's values, in the order of the varied parameters.
    """

    values: tuple[tuple[float, ...], ...]
    kind: ClassVar[str] = "list"

    def n_points(self, n_dims: int) -> int:
        """The number of points given."""
        return len(self.values)

    def sample(self, lows: Sequence[float], highs: Sequence[float]) -> np.ndarray:
        """The points as given, ``[n_points, n_dims]``."""
        return np.asarray(self.values, dtype=np.float64).reshape(-1, len(lows))

    def to_dict(self, names: Sequence[str]) -> dict[str, Any]:
        """The resolved design, as it could be written in a sweep file."""
        return {
            "kind": self.kind,
            "points": [dict(zip(names, map(float, v), strict=True)) for v in self.values],
        }


Design = GridDesign | LhsDesign | SobolDesign | ListDesign


def latin_hypercube(n: int, n_dims: int, seed: int) -> np.ndarray:
    """A Latin hypercube sample of the unit box.

    Each dimension's ``[0, 1)`` is cut into ``n`` strata ``[k/n, (k+1)/n)``; a random
    permutation gives each point its stratum (so each stratum holds exactly one point per
    dimension) and a uniform variate its place inside it.

    Args:
        n: number of points.
        n_dims: number of dimensions.
        seed: seed of :func:`numpy.random.default_rng`.

    Returns:
        float64 ``[n, n_dims]``, in ``[0, 1)``.
    """
    rng = np.random.default_rng(seed)
    strata = np.stack([rng.permutation(n) for _ in range(n_dims)], axis=1)
    jitter = rng.random((n, n_dims))
    out = (strata + jitter) / n
    # Keep every point inside its stratum whatever the rounding of the division.
    lo = strata / n
    hi = np.nextafter((strata + 1) / n, 0.0)
    return np.clip(out, lo, hi).reshape(n, n_dims)


def qmc_latin_hypercube(n: int, n_dims: int, seed: int) -> np.ndarray:
    """A Latin hypercube sample of the unit box by :class:`scipy.stats.qmc.LatinHypercube`.

    Scrambled (each point uniform inside its stratum), no optimisation, ``rng=seed``.
    A SciPy release that changed this stream would change the points' digest and with it
    the sweep's config hash: an unfinished store is then refused, never mixed.

    Args:
        n: number of points.
        n_dims: number of dimensions.
        seed: the generator's seed.

    Returns:
        float64 ``[n, n_dims]``, in ``[0, 1)``, one point per stratum ``[k/n, (k+1)/n)``
        of each dimension.
    """
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=n_dims, rng=seed).random(n)
    return np.asarray(unit, dtype=np.float64).reshape(n, n_dims)


def scale(unit: np.ndarray, lows: Sequence[float], highs: Sequence[float]) -> np.ndarray:
    """Map points of the unit box onto ``[low, high]`` per dimension (ends kept exact)."""
    lo = np.asarray(lows, dtype=np.float64)
    hi = np.asarray(highs, dtype=np.float64)
    out = lo + unit * (hi - lo)
    return np.clip(out, lo, hi)


def generate(design: Design, lows: Sequence[float], highs: Sequence[float]) -> np.ndarray:
    """A design's points in the box ``[lows, highs]``.

    Args:
        design: the design.
        lows: each dimension's lower end.
        highs: each dimension's upper end.

    Returns:
        float64 ``[n_points, n_dims]``.
    """
    return design.sample(lows, highs)


def names(sweep: Sweep) -> tuple[str, ...]:
    """The varied parameters' names as the sweep gives them: the columns of :func:`points`."""
    return tuple(v.name for v in sweep.vary)


def points(sweep: Sweep) -> np.ndarray:
    """The sweep's points, float64 ``[n_points, n_dims]``, columns as :func:`names`."""
    return generate(sweep.design, [v.low for v in sweep.vary], [v.high for v in sweep.vary])


def points_digest(values: np.ndarray) -> str:
    """SHA-256 (hex) of a points array's float64 bytes and shape."""
    arr = np.ascontiguousarray(values, dtype=np.float64)
    h = hashlib.sha256(repr(arr.shape).encode("ascii"))
    h.update(arr.astype("<f8").tobytes())
    return h.hexdigest()


__all__ = [
    "DEFAULT_LHS_METHOD",
    "DESIGN_KINDS",
    "LEGACY_LHS_METHOD",
    "LHS_METHODS",
    "Design",
    "GridDesign",
    "LhsDesign",
    "ListDesign",
    "SobolDesign",
    "generate",
    "latin_hypercube",
    "names",
    "points",
    "points_digest",
    "qmc_latin_hypercube",
    "scale",
]
