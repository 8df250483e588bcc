"""Variance-based (Sobol') global sensitivity analysis, wrapping SALib.

The workflow is: describe the inputs in a SALib *problem* dictionary, draw the design
with :func:`saltelli_points`, evaluate the model (one scalar output per design row, e.g.
an event probability per sweep point), then estimate the indices with
:func:`sobol_indices`.

A problem is ``{"num_vars": D, "names": [...D names], "bounds": [[low, high], ...]}``,
optionally with ``"groups"`` (one group name per input; indices are then reported per
group) and ``"dists"`` (SALib distribution names; ``bounds`` then hold that
distribution's parameters). Without ``"dists"`` every input is uniform on its bounds.

Shapes: with ``N`` base samples and ``G`` factors (inputs, or groups when given), the
design has ``N * (G + 2)`` rows, or ``N * (2 G + 2)`` with second-order indices.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

#: Name of the factor dimension of :func:`sobol_indices`' result.
FACTOR_DIM = "parameter"

#: Name of the second factor dimension of the second-order indices.
FACTOR_DIM_2 = "parameter_2"


def _factor_names(problem: Mapping[str, Any]) -> list[str]:
    """Names of the factors SALib reports on: the groups if given, else the inputs."""
    groups = problem.get("groups")
    labels = groups if groups else problem["names"]
    return list(dict.fromkeys(str(g) for g in labels))


def check_problem(problem: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a SALib problem dictionary and return a private copy of it.

    Args:
        problem: ``num_vars`` (int ``D``), ``names`` (``D`` unique strings), ``bounds``
            (``[D, 2]``), optional ``groups`` (``D`` labels) and ``dists`` (``D`` names).

    Returns:
        A deep copy (SALib adds keys to the problems it is given).

    Raises:
        ValueError: if a key is missing or a field has the wrong length or shape, or a
            uniform input's lower bound is not below its upper bound.
    """
    if not isinstance(problem, Mapping):
        raise ValueError(f"problem must be a dict, got {type(problem).__name__}")
    missing = [k for k in ("num_vars", "names", "bounds") if k not in problem]
    if missing:
        raise ValueError(f"problem lacks the key(s) {missing}")
    d = problem["num_vars"]
    if not isinstance(d, int | np.integer) or isinstance(d, bool) or d < 1:
        raise ValueError(f"problem['num_vars'] must be a positive int, got {d!r}")
    d = int(d)
    names = list(problem["names"])
    if len(names) != d:
        raise ValueError(f"problem['names'] has {len(names)} entries, expected num_vars={d}")
    if len(set(names)) != d:
        raise ValueError(f"problem['names'] are not unique: {names}")
    bounds = np.asarray(problem["bounds"], dtype=np.float64)
    if bounds.shape != (d, 2):
        raise ValueError(f"problem['bounds'] has shape {bounds.shape}, expected ({d}, 2)")
    if not np.all(np.isfinite(bounds)):
        raise ValueError("problem['bounds'] must be finite")
    for key in ("groups", "dists"):
        value = problem.get(key)
        if value is not None and len(value) != d:
            raise ValueError(f"problem[{key!r}] has {len(value)} entries, expected {d}")
    if problem.get("dists") is None:
        bad = [str(n) for n, (lo, hi) in zip(names, bounds, strict=True) if not lo < hi]
        if bad:
            raise ValueError(f"lower bound not below upper bound for {bad}")
    return copy.deepcopy(dict(problem))


def design_rows(n: int, n_factors: int, calc_second_order: bool) -> int:
    """Rows of a Saltelli design: ``n (G + 2)``, or ``n (2 G + 2)`` with second order.

    Args:
        n: base samples ``N``.
        n_factors: factors ``G`` (inputs, or groups).
        calc_second_order: whether the design supports second-order indices.

    Returns:
        The number of model evaluations the design needs.
    """
    return n * (2 * n_factors + 2 if calc_second_order else n_factors + 2)


def saltelli_points(
    problem: Mapping[str, Any], n: int, seed: int = 0, calc_second_order: bool = False
) -> np.ndarray:
    """Saltelli's design on a scrambled Sobol' sequence (``SALib.sample.sobol.sample``).

    Args:
        problem: SALib problem (see the module docstring).
        n: base samples ``N``; a power of two keeps the Sobol' sequence balanced.
        seed: seed of the scrambling (the same seed gives the same design).
        calc_second_order: also draw the rows needed for second-order indices.

    Returns:
        float64 ``[N (G + 2), D]`` (``[N (2 G + 2), D]`` with second order): one row per
        model evaluation, one column per input, in the inputs' own units.

    Raises:
        ValueError: if the problem is malformed or ``n`` is not a power of two >= 2.
    """
    from SALib.sample import sobol as sobol_sample

    p = check_problem(problem)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2 or n & (n - 1):
        raise ValueError(f"n must be a power of two >= 2 (Sobol' balance), got {n!r}")
    out = sobol_sample.sample(
        p, int(n), calc_second_order=calc_second_order, scramble=True, seed=int(seed)
    )
    return np.asarray(out, dtype=np.float64)


def sobol_indices(
    problem: Mapping[str, Any],
    y: np.ndarray | Sequence[float],
    calc_second_order: bool = False,
    conf_level: float = 0.95,
    seed: int = 0,
    num_resamples: int = 100,
) -> xr.Dataset:
    """First-order and total Sobol' indices (``SALib.analyze.sobol.analyze``).

    Estimators: Saltelli et al. (2010) for ``S1`` and ``ST`` (Jansen's total-effect
    form); confidence intervals from ``num_resamples`` bootstrap resamples of the ``N``
    base rows, as half-widths ``z * sd`` at ``conf_level``. Indices are shares of the
    output variance (unitless, nominally in [0, 1]; estimates can stray outside by
    Monte Carlo error).

    Args:
        problem: the SALib problem the design was drawn for.
        y: model output per design row, float ``[N (G + 2)]`` (``[N (2 G + 2)]`` with
            ``calc_second_order``), in the order :func:`saltelli_points` produced.
        calc_second_order: whether the design (and the result) include second order.
        conf_level: confidence level of the intervals, in (0, 1).
        seed: seed of the bootstrap resampling (the same seed gives the same intervals).
        num_resamples: bootstrap resamples.

    Returns:
        Dataset over dimension ``parameter`` (factor names): ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf`` (each ``[G]``), and with second order ``S2``, ``S2_conf`` over
        (``parameter``, ``parameter_2``) (upper triangle; NaN elsewhere). Attributes:
        ``N``, ``conf_level``, ``num_resamples``, ``seed``, ``method``.

    Raises:
        ValueError: if the problem is malformed, ``y`` is not 1-D with a multiple of
            ``G + 2`` (``2 G + 2``) values, holds non-finite values or is constant, or
            ``conf_level`` is not in (0, 1).
    """
    from SALib.analyze import sobol as sobol_analyze

    p = check_problem(problem)
    names = _factor_names(p)
    g = len(names)
    arr = np.asarray(y, dtype=np.float64)
    per = design_rows(1, g, calc_second_order)
    so = "with" if calc_second_order else "without"
    if arr.ndim != 1 or arr.size == 0 or arr.size % per:
        raise ValueError(
            f"y has shape {arr.shape}, expected (N * {per},) for {g} factors {so} second "
            f"order (one value per row of saltelli_points)"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"y has {int(np.sum(~np.isfinite(arr)))} non-finite values")
    if np.ptp(arr) == 0.0:
        raise ValueError("y is constant: its variance (the denominator of every index) is 0")
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    if num_resamples < 2:
        raise ValueError(f"num_resamples must be >= 2, got {num_resamples}")
    n = arr.size // per
    # SALib treats seed=0 as "no seed"; a Generator is always honoured.
    si = sobol_analyze.analyze(
        p,
        arr,
        calc_second_order=calc_second_order,
        num_resamples=int(num_resamples),
        conf_level=float(conf_level),
        seed=np.random.default_rng(seed),
    )
    attrs_idx = {"units": "1"}
    data: dict[str, Any] = {}
    for key, long in (
        ("S1", "first-order Sobol' index"),
        ("S1_conf", f"{conf_level:.0%} confidence half-width of S1"),
        ("ST", "total-effect Sobol' index"),
        ("ST_conf", f"{conf_level:.0%} confidence half-width of ST"),
    ):
        values = np.asarray(si[key], dtype=np.float64).reshape(g)
        data[key] = ((FACTOR_DIM,), values, {**attrs_idx, "long_name": long})
    coords: dict[str, Any] = {FACTOR_DIM: names}
    if calc_second_order:
        coords[FACTOR_DIM_2] = names
        for key, long in (
            ("S2", "second-order Sobol' index"),
            ("S2_conf", f"{conf_level:.0%} confidence half-width of S2"),
        ):
            pair = np.asarray(si[key], dtype=np.float64).reshape(g, g)
            pair = np.where(np.triu(np.ones((g, g), bool), k=1), pair, np.nan)
            data[key] = ((FACTOR_DIM, FACTOR_DIM_2), pair, {**attrs_idx, "long_name": long})
    attrs = {
        "N": int(n),
        "conf_level": float(conf_level),
        "num_resamples": int(num_resamples),
        "seed": int(seed),
        "method": "SALib.analyze.sobol (Saltelli 2010 estimators, bootstrap intervals)",
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)
