"""PRIM scenario discovery (Friedman & Fisher 1999): boxes of inputs where cases concentrate.

Given inputs ``X`` (one row per run or sweep point) and a boolean outcome ``y`` ("the
case of interest happened"), PRIM looks for an axis-aligned box
``{x : lower <= x <= upper}`` that holds many of the cases (high *coverage*) and few
others (high *density*), described by few inputs (the *restricted* dimensions).

Definitions (all unitless shares in [0, 1]):

* coverage = cases inside the box / all cases;
* density = cases inside the box / points inside the box;
* support = points inside the box / all points.

Algorithm:

1. *Peeling.* Start from the box spanning the data. At each step, for every dimension
   and each side, the candidate peel removes the ``peel_alpha`` share of the box's points
   with the lowest (highest) values of that input (at least one distinct value, so ties
   are peeled together). The peel giving the highest density of the remaining box is
   taken (ties: the one removing fewest points, then the first dimension). Peeling stops
   when no peel keeps the support at or above ``min_support``. Each step is one entry of
   the trajectory.
2. *Choosing a box.* Only trajectory boxes with coverage >= ``min_coverage`` are
   eligible (if none is, the initial box, step 0, is chosen). With ``rule="balanced"``
   (the default) the eligible box with the highest coverage x density is chosen; with
   ``rule="density"`` the one with the highest density. Ties go to the earlier (larger)
   box. Why "balanced" is the default: greedy peels inside a region where the cases
   concentrate keep raising the *in-sample* density a little (each peel picks the slab
   with the most non-cases by chance) while coverage falls by about ``peel_alpha`` per
   step, so the highest density is usually reached by a box carved into the noise.
   Under coverage x density a peel pays off only if the removed slab's density is below
   half the box's density, which holds at the edge of such a region and not inside it.
3. *Pasting.* Then, repeatedly, for every dimension and side, the candidate paste moves
   that bound outwards to take in the ``paste_alpha`` share of the box's count (at least
   one point; ties come along) of the points lying outside the box on that input only.
   The paste giving the highest density is applied as long as it does not lower the
   density (an equal density, as at the edge of a pure box, is accepted; every paste adds
   points, so pasting ends).

Bounds of dimensions that were never restricted are the data's minimum and maximum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

#: Name of the input dimension of the trajectory.
INPUT_DIM = "input"

#: Name of the step dimension of the trajectory.
STEP_DIM = "step"

#: Rules for choosing a box on the peeling trajectory.
RULES = ("balanced", "density")


@dataclass(frozen=True)
class PrimBox:
    """An axis-aligned box and its statistics.

    Attributes:
        names: input names ``[d]``.
        lower: lower bound per input, float ``[d]`` (the box keeps ``x >= lower``).
        upper: upper bound per input, float ``[d]`` (the box keeps ``x <= upper``).
        restricted: bool ``[d]``: whether a bound lies inside the data's range.
        coverage: cases inside / all cases.
        density: cases inside / points inside.
        support: points inside / all points.
        n_inside: points inside.
    """

    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    restricted: np.ndarray
    coverage: float
    density: float
    support: float
    n_inside: int

    @property
    def restricted_dims(self) -> tuple[str, ...]:
        """Names of the restricted inputs, in input order."""
        return tuple(n for n, r in zip(self.names, self.restricted, strict=True) if r)

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Which rows of ``x`` (float ``[n, d]``) lie inside the box: bool ``[n]``."""
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != len(self.names):
            raise ValueError(f"x has shape {arr.shape}, expected (n, {len(self.names)})")
        return np.all((arr >= self.lower) & (arr <= self.upper), axis=1)

    def describe(self) -> str:
        """One line per restricted input, then the box's statistics."""
        lines = [
            f"{n}: [{lo:.4g}, {hi:.4g}]"
            for n, lo, hi, r in zip(
                self.names, self.lower, self.upper, self.restricted, strict=True
            )
            if r
        ]
        lines.append(
            f"coverage {self.coverage:.3f}, density {self.density:.3f}, "
            f"support {self.support:.3f} ({self.n_inside} points)"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class PrimResult:
    """Outcome of :func:`prim_box`.

    Attributes:
        trajectory: Dataset over ``step`` (0 is the initial box): ``coverage``,
            ``density``, ``support``, ``n_inside``, ``n_restricted``, and ``lower``,
            ``upper`` over (``step``, ``input``).
        chosen_step: step of the trajectory chosen by the rule.
        peeled: the chosen box before pasting.
        box: the chosen box after pasting (the result to report).
        min_coverage: the coverage threshold of the choice.
        rule: the rule of the choice.
    """

    trajectory: xr.Dataset
    chosen_step: int
    peeled: PrimBox
    box: PrimBox
    min_coverage: float
    rule: str


def _check_inputs(
    x: np.ndarray, y: np.ndarray, names: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ValueError(f"X has shape {arr.shape}, expected (n, d) with n >= 2 and d >= 1")
    n, d = arr.shape
    if not np.all(np.isfinite(arr)):
        raise ValueError("X holds non-finite values")
    yy = np.asarray(y)
    if yy.shape != (n,):
        raise ValueError(f"y has shape {yy.shape}, expected ({n},) (one label per row of X)")
    if yy.dtype != np.bool_:
        if not np.all(np.isin(yy, (0, 1))):
            raise ValueError("y must be boolean (or 0/1)")
        yy = yy.astype(bool)
    if not yy.any():
        raise ValueError("y has no True values: there is nothing to find")
    labels = tuple(f"x{i}" for i in range(d)) if names is None else tuple(map(str, names))
    if len(labels) != d:
        raise ValueError(f"names has {len(labels)} entries, expected {d} (columns of X)")
    if len(set(labels)) != d:
        raise ValueError(f"names are not unique: {labels}")
    return arr, yy, labels


def _peel_bound(values: np.ndarray, alpha: float, side: int) -> float | None:
    """New bound removing about ``alpha`` of ``values`` from one side (None: cannot).

    ``side`` 0 raises the lower bound (keeps ``v >= bound``), 1 lowers the upper bound
    (keeps ``v <= bound``). At least the extreme distinct value is removed.
    """
    vmin, vmax = values.min(), values.max()
    if vmin == vmax:
        return None
    if side == 0:
        q = float(np.quantile(values, alpha, method="lower"))
        return q if q > vmin else float(values[values > vmin].min())
    q = float(np.quantile(values, 1.0 - alpha, method="higher"))
    return q if q < vmax else float(values[values < vmax].max())


def _box_stats(inside: np.ndarray, y: np.ndarray, n_pos: int) -> tuple[float, float, float, int]:
    """Coverage, density, support and count of the points ``inside``."""
    m = int(inside.sum())
    k = int(np.sum(y & inside))
    return k / n_pos, (k / m if m else 0.0), m / y.size, m


def _make_box(
    names: tuple[str, ...],
    lower: np.ndarray,
    upper: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    n_pos: int,
) -> PrimBox:
    inside = np.all((x >= lower) & (x <= upper), axis=1)
    cov, dens, sup, m = _box_stats(inside, y, n_pos)
    restricted = (lower > x.min(axis=0)) | (upper < x.max(axis=0))
    return PrimBox(names, lower.copy(), upper.copy(), restricted, cov, dens, sup, m)


def _peel(
    x: np.ndarray, y: np.ndarray, peel_alpha: float, min_support: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The peeling trajectory: lower and upper bounds per step (step 0: the data's range)."""
    n, d = x.shape
    lower, upper = x.min(axis=0), x.max(axis=0)
    inside = np.ones(n, bool)
    lowers, uppers = [lower.copy()], [upper.copy()]
    min_points = math.ceil(min_support * n)
    while True:
        best: tuple[float, int, int, int, float, np.ndarray] | None = None
        xi, yi = x[inside], y[inside]
        for j in range(d):
            for side in (0, 1):
                bound = _peel_bound(xi[:, j], peel_alpha, side)
                if bound is None:
                    continue
                keep = xi[:, j] >= bound if side == 0 else xi[:, j] <= bound
                m = int(keep.sum())
                if m < min_points or m == 0:
                    continue
                dens = float(yi[keep].mean())
                # Highest density, then fewest points removed, then first (dim, side).
                key = (dens, m)
                if best is None or key > (best[0], best[1]):
                    best = (dens, m, j, side, bound, keep)
        if best is None:
            break
        _, _, j, side, bound, keep = best
        if side == 0:
            lower[j] = bound
        else:
            upper[j] = bound
        idx = np.flatnonzero(inside)
        inside[idx[~keep]] = False
        lowers.append(lower.copy())
        uppers.append(upper.copy())
    return lowers, uppers


def _paste(
    x: np.ndarray,
    y: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    paste_alpha: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Widen the box greedily while a paste does not lower its density.

    Among the pastes keeping the density at least as high, the one with the highest new
    density is taken (ties: the one adding most cases, then the first dimension). Each
    paste adds at least one point, so pasting ends.
    """
    lower, upper = lower.copy(), upper.copy()
    d = x.shape[1]
    within = (x >= lower) & (x <= upper)  # [n, d]
    while True:
        inside = within.all(axis=1)
        m, k = int(inside.sum()), int(np.sum(y & inside))
        dens = k / m
        best: tuple[float, int, int, int, float] | None = None
        for j in range(d):
            others = np.delete(within, j, axis=1).all(axis=1)
            for side in (0, 1):
                col = x[:, j]
                cand = others & (col < lower[j] if side == 0 else col > upper[j])
                if not cand.any():
                    continue
                vals = col[cand]
                n_take = max(1, math.ceil(paste_alpha * m))
                order = np.sort(vals)[::-1] if side == 0 else np.sort(vals)
                bound = float(order[min(n_take, order.size) - 1])
                add = cand & (col >= bound if side == 0 else col <= bound)
                m2, k2 = m + int(add.sum()), k + int(np.sum(y & add))
                d2 = k2 / m2
                if d2 >= dens and (best is None or (d2, k2) > (best[0], best[1])):
                    best = (d2, k2, j, side, bound)
        if best is None:
            return lower, upper
        _, _, j, side, bound = best
        if side == 0:
            lower[j] = bound
        else:
            upper[j] = bound
        within[:, j] = (x[:, j] >= lower[j]) & (x[:, j] <= upper[j])


def choose_step(
    coverage: np.ndarray, density: np.ndarray, min_coverage: float, rule: str = "balanced"
) -> int:
    """The step of a trajectory chosen by ``rule`` (see the module docstring).

    Args:
        coverage: coverage per step, float ``[steps]``.
        density: density per step, float ``[steps]``.
        min_coverage: coverage an eligible box needs.
        rule: ``"balanced"`` (highest coverage x density) or ``"density"``.

    Returns:
        The chosen step (0 if no box is eligible).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    cov, dens = np.asarray(coverage, np.float64), np.asarray(density, np.float64)
    eligible = cov >= min_coverage
    if not eligible.any():
        return 0
    score = cov * dens if rule == "balanced" else dens
    return int(np.argmax(np.where(eligible, score, -np.inf)))


def prim_box(
    X: np.ndarray,
    y: np.ndarray,
    names: Sequence[str] | None = None,
    peel_alpha: float = 0.05,
    min_support: float = 0.05,
    min_coverage: float = 0.5,
    paste_alpha: float = 0.01,
    rule: str = "balanced",
) -> PrimResult:
    """Find the box of inputs where ``y`` is concentrated (PRIM; see the module docstring).

    Args:
        X: inputs, float ``[n, d]`` (any units; PRIM is invariant to monotone rescaling).
        y: case indicator, bool (or 0/1) ``[n]``.
        names: input names ``[d]`` (default ``x0``, ``x1``, ...).
        peel_alpha: share of the box's points each peel removes, in (0, 0.5).
        min_support: peeling stops before the box would hold fewer than this share of all
            points, in (0, 1).
        min_coverage: coverage a trajectory box needs to be chosen, in [0, 1].
        paste_alpha: share of the box's points each paste may add, in (0, 1).
        rule: how to choose the box on the trajectory: ``"balanced"`` (highest
            coverage x density) or ``"density"`` (highest density), among boxes with
            coverage >= ``min_coverage``.

    Returns:
        The :class:`PrimResult`: trajectory, chosen step, the chosen box before and after
        pasting.

    Raises:
        ValueError: if shapes disagree, ``X`` holds non-finite values, ``y`` is not
            boolean or has no case, names are wrong, a parameter is out of range, or
            ``rule`` is unknown.
    """
    x, yy, labels = _check_inputs(X, y, names)
    for name, value, low, high in (
        ("peel_alpha", peel_alpha, 0.0, 0.5),
        ("min_support", min_support, 0.0, 1.0),
        ("paste_alpha", paste_alpha, 0.0, 1.0),
    ):
        if not low < value < high:
            raise ValueError(f"{name} must be in ({low}, {high}), got {value}")
    if not 0.0 <= min_coverage <= 1.0:
        raise ValueError(f"min_coverage must be in [0, 1], got {min_coverage}")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    n_pos = int(yy.sum())
    lowers, uppers = _peel(x, yy, peel_alpha, min_support)
    boxes = [_make_box(labels, lo, hi, x, yy, n_pos) for lo, hi in zip(lowers, uppers, strict=True)]
    cov = np.array([b.coverage for b in boxes])
    dens = np.array([b.density for b in boxes])
    counts = np.array([b.n_inside for b in boxes])
    chosen = choose_step(cov, dens, min_coverage, rule)
    peeled = boxes[chosen]
    lo, hi = _paste(x, yy, peeled.lower, peeled.upper, paste_alpha)
    box = _make_box(labels, lo, hi, x, yy, n_pos)
    steps = np.arange(len(boxes))
    trajectory = xr.Dataset(
        {
            "coverage": (STEP_DIM, cov, {"units": "1", "long_name": "coverage"}),
            "density": (STEP_DIM, dens, {"units": "1", "long_name": "density"}),
            "support": (
                STEP_DIM,
                np.array([b.support for b in boxes]),
                {"units": "1", "long_name": "support"},
            ),
            "n_inside": (STEP_DIM, counts, {"units": "1", "long_name": "points inside"}),
            "n_restricted": (
                STEP_DIM,
                np.array([int(b.restricted.sum()) for b in boxes]),
                {"units": "1", "long_name": "restricted inputs"},
            ),
            "lower": ((STEP_DIM, INPUT_DIM), np.stack(lowers), {"long_name": "lower bound"}),
            "upper": ((STEP_DIM, INPUT_DIM), np.stack(uppers), {"long_name": "upper bound"}),
        },
        coords={STEP_DIM: steps, INPUT_DIM: list(labels)},
        attrs={
            "peel_alpha": peel_alpha,
            "min_support": min_support,
            "min_coverage": min_coverage,
            "rule": rule,
            "paste_alpha": paste_alpha,
            "chosen_step": chosen,
            "n_points": int(x.shape[0]),
            "n_cases": n_pos,
        },
    )
    return PrimResult(trajectory, chosen, peeled, box, float(min_coverage), rule)
