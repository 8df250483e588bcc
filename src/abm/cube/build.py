"""Turn an :class:`~abm.tallies.Accumulator`'s integer tallies into a labelled cube.

Every derived number (probabilities, shares, means, quantiles) is computed from the
integer tallies, and the integer tallies needed to merge cubes exactly are kept beside
them (``E_count``, ``E_by_year_count``, ``C_count``, ``Q_n``, ``Q_sum_fixed``, ``Q_hist``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import xarray as xr

from abm.cube.schema import (
    HEADLINE_ATTR,
    POINT_DIM,
    QUANTILE_DIM,
    QUANTILES,
    YEAR_DIM,
    CubeError,
    dataset_attrs,
    var_attrs,
)
from abm.outcomes import CategoryOutcome, EventOutcome, OutcomeSpec, QuantityOutcome
from abm.tallies import Accumulator, quantiles_from_hist, quantity_sum

Var = tuple[tuple[str, ...], np.ndarray, dict[str, Any]]


class CalendarLike(Protocol):
    """What the cube needs of a calendar."""

    @property
    def n_months(self) -> int:
        """Number of simulated months."""
        ...

    @property
    def years(self) -> np.ndarray:
        """Calendar year of each month index, int ``[n_months]``."""
        ...

    @property
    def year_labels(self) -> tuple[int, ...]:
        """Every calendar year the simulation touches, in order."""
        ...


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` in float64, 0 where ``den`` is 0 (a point without runs)."""
    den_f = np.asarray(den, np.float64)
    return np.where(den_f > 0, num / np.maximum(den_f, 1.0), 0.0)


def _se(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Binomial standard error ``sqrt(p (1 - p) / n)``, 0 where ``n`` is 0."""
    return np.sqrt(_ratio(p * (1.0 - p), n))


def _tally(acc: Accumulator, key: str, shape: tuple[int, ...]) -> np.ndarray:
    """The int64 tally ``key``, checked against its expected shape."""
    if key not in acc.tallies:
        raise CubeError(f"accumulator has no tally {key!r}")
    arr = np.asarray(acc.tallies[key], dtype=np.int64)
    if arr.shape != shape:
        raise CubeError(f"tally {key!r} has shape {arr.shape}, expected {shape}")
    return arr


def _event_vars(
    s: EventOutcome, acc: Accumulator, n: np.ndarray, cal: CalendarLike, pd: tuple[str, ...]
) -> dict[str, Var]:
    hist = _tally(acc, f"{s.name}/month_hist", (acc.n_points, cal.n_months + 1))
    count = n - hist[:, -1]
    year_idx = np.asarray(cal.years, np.int64) - int(cal.year_labels[0])
    onehot = np.zeros((cal.n_months, len(cal.year_labels)), np.int64)
    onehot[np.arange(cal.n_months), year_idx] = 1
    by_year_count = np.cumsum(hist[:, :-1] @ onehot, axis=-1)
    prob = _ratio(count, n)
    by_year = _ratio(by_year_count, n[:, None])
    d = s.description
    return {
        f"{s.name}_prob": (pd, prob, var_attrs("event", "1", f"{s.name}: probability", d)),
        f"{s.name}_se": (pd, _se(prob, n), var_attrs("event", "1", f"{s.name}: std. error", d)),
        f"{s.name}_count": (pd, count, var_attrs("event", "1", f"{s.name}: runs with it", d)),
        f"{s.name}_by_year": (
            (*pd, YEAR_DIM),
            by_year,
            var_attrs("event", "1", f"{s.name}: cumulative probability by end of year", d),
        ),
        f"{s.name}_by_year_count": (
            (*pd, YEAR_DIM),
            by_year_count,
            var_attrs("event", "1", f"{s.name}: runs with it by end of year", d),
        ),
    }


def _category_vars(
    s: CategoryOutcome, acc: Accumulator, n: np.ndarray, pd: tuple[str, ...]
) -> dict[str, Var]:
    counts = _tally(acc, f"{s.name}/counts", (acc.n_points, len(s.categories)))
    share = _ratio(counts, n[:, None])
    dims = (*pd, s.name)
    d = s.description
    return {
        f"{s.name}_share": (dims, share, var_attrs("category", "1", f"{s.name}: share", d)),
        f"{s.name}_se": (
            dims,
            _se(share, n[:, None]),
            var_attrs("category", "1", f"{s.name}: std. error", d),
        ),
        f"{s.name}_count": (dims, counts, var_attrs("category", "1", f"{s.name}: runs", d)),
    }


def _quantity_vars(s: QuantityOutcome, acc: Accumulator, pd: tuple[str, ...]) -> dict[str, Var]:
    shape = (acc.n_points, *s.shape)
    qn = _tally(acc, f"{s.name}/n", shape)
    hi = _tally(acc, f"{s.name}/sum_hi", shape)
    lo = _tally(acc, f"{s.name}/sum_lo", shape)
    hist = _tally(acc, f"{s.name}/hist", (*shape, s.n_bins))
    total = quantity_sum({f"{s.name}/sum_hi": hi, f"{s.name}/sum_lo": lo}, s.name, s.scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(qn > 0, total / np.maximum(qn, 1), np.nan)
    edges = np.asarray(s.edges, np.float64)
    quant = quantiles_from_hist(hist, edges, np.asarray(QUANTILES))
    dims = (*pd, *s.dims)
    d = s.description
    u = s.unit
    hist_attrs: dict[str, Any] = dict(
        var_attrs("quantity", "1", f"{s.name}: histogram of values", d)
    )
    hist_attrs["bin_edges"] = [float(e) for e in edges]
    sum_attrs = var_attrs("quantity", u, f"{s.name}: fixed-point sum (sum / scale)", d)
    sum_attrs["scale"] = float(s.scale)
    return {
        f"{s.name}_mean": (dims, mean, var_attrs("quantity", u, f"{s.name}: mean", d)),
        f"{s.name}_quantiles": (
            (*dims, QUANTILE_DIM),
            quant,
            var_attrs("quantity", u, f"{s.name}: quantiles", d),
        ),
        f"{s.name}_n": (dims, qn, var_attrs("quantity", "1", f"{s.name}: runs with a value", d)),
        f"{s.name}_hist": ((*dims, f"{s.name}_bin"), hist, hist_attrs),
        f"{s.name}_sum_fixed": (dims, hi * 65536 + lo, sum_attrs),
    }


def _display_attrs(s: OutcomeSpec) -> dict[str, Any]:
    """The display attrs of every variable of outcome ``s``.

    ``outcome`` (its name), ``headline`` (0/1) and, for a quantity with them,
    ``dim_labels`` (joined by ``|``).
    """
    out: dict[str, Any] = {"outcome": s.name, "headline": int(s.headline)}
    if isinstance(s, QuantityOutcome) and s.dim_labels:
        out["dim_labels"] = "|".join(s.dim_labels)
    return out


def _labels(labels: Sequence[str]) -> np.ndarray:
    """String labels as an object array (stored as variable-length Zarr v3 strings)."""
    return np.asarray([str(v) for v in labels], dtype=object)


def _quantity_coords(s: QuantityOutcome) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for dim, labels in zip(s.dims, s.coords, strict=True):
        values = (
            np.asarray([int(v) for v in labels], np.int64) if dim == YEAR_DIM else _labels(labels)
        )
        out[dim] = values
    return out


def _point_coords(
    acc: Accumulator, points: Mapping[str, Sequence[Any] | np.ndarray] | None
) -> tuple[tuple[str, ...], dict[Hashable, Any]]:
    if points is None and acc.n_points == 1:
        return (), {}
    coords: dict[Hashable, Any] = {POINT_DIM: np.arange(acc.n_points, dtype=np.int64)}
    for name, values in (points or {}).items():
        arr = np.asarray(values)
        if arr.shape != (acc.n_points,):
            raise CubeError(
                f"point coordinate {name!r} has shape {arr.shape}, expected ({acc.n_points},)"
            )
        if name == POINT_DIM:
            raise CubeError(f"point coordinate may not be named {POINT_DIM!r}")
        coords[name] = (POINT_DIM, arr)
    return (POINT_DIM,), coords


def _merge_coords(coords: dict[Hashable, Any], new: Mapping[str, np.ndarray]) -> None:
    for dim, values in new.items():
        if dim in coords and not np.array_equal(np.asarray(coords[dim]), values):
            raise CubeError(f"dimension {dim!r} has conflicting coordinates across outcomes")
        coords[dim] = values


def build_cube(
    acc: Accumulator,
    specs: Sequence[OutcomeSpec],
    calendar: CalendarLike,
    provenance: Mapping[str, str | int | float],
    points: Mapping[str, Sequence[Any] | np.ndarray] | None = None,
) -> xr.Dataset:
    """Build the labelled result cube of a run.

    Args:
        acc: the runner's host tallies.
        specs: the model's outcome specs (the ones the tallies were reduced with).
        calendar: the simulation calendar (``n_months``, ``years``, ``year_labels``).
        provenance: dataset attributes to record (config text and hash, seed, versions,
            device, timings...); values must be str, int or float.
        points: sweep parameter name -> values ``[n_points]``, each stored as a
            coordinate on the ``point`` dimension. When None and there is one point the
            cube has no ``point`` dimension.

    Returns:
        The cube (in memory). Every variable of an outcome carries the attrs
        ``outcome`` (its name), ``headline`` (0 or 1) and, for a quantity with
        ``dim_labels``, ``dim_labels`` (joined by ``|``); the dataset attr
        ``headline_outcomes`` lists the headline outcomes, comma-separated, in spec
        order (empty when none). Points without runs get probabilities and shares of 0; a
        quantity cell without valid runs gets NaN mean and quantiles and ``Q_n`` 0.

    Raises:
        CubeError: if the tallies do not match the specs and calendar, outcome names or
            coordinates collide, or a provenance value is not serialisable.
    """
    pd, coords = _point_coords(acc, points)
    n = _tally(acc, "n_runs", (acc.n_points,))
    data_vars: dict[str, Var] = {
        "n_runs": (
            pd,
            n,
            var_attrs("meta", "1", "runs per point", "Monte Carlo runs behind each point"),
        ),
    }
    if len(calendar.years) != calendar.n_months:
        raise CubeError("calendar.years does not have one entry per month")
    if any(isinstance(s, EventOutcome) for s in specs):
        _merge_coords(coords, {YEAR_DIM: np.asarray(calendar.year_labels, np.int64)})
    for s in specs:
        if isinstance(s, EventOutcome):
            new = _event_vars(s, acc, n, calendar, pd)
        elif isinstance(s, CategoryOutcome):
            _merge_coords(coords, {s.name: _labels(s.categories)})
            new = _category_vars(s, acc, n, pd)
        else:
            _merge_coords(coords, _quantity_coords(s))
            new = _quantity_vars(s, acc, pd)
        clash = (set(new) & set(data_vars)) | (set(new) & set(map(str, coords)))
        if clash:
            raise CubeError(f"outcome {s.name!r} produces names already in use: {sorted(clash)}")
        for _, _, attrs in new.values():
            attrs.update(_display_attrs(s))
        data_vars.update(new)
    if any(isinstance(s, QuantityOutcome) for s in specs):
        coords[QUANTILE_DIM] = np.asarray(QUANTILES, np.float64)
    if not pd:  # a single scenario: drop the leading point axis of every tally
        data_vars = {k: (dims, data[0], attrs) for k, (dims, data, attrs) in data_vars.items()}
    attrs = dataset_attrs(provenance)
    attrs[HEADLINE_ATTR] = ",".join(s.name for s in specs if s.headline)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)
