"""Matplotlib figures of result cubes and comparisons.

Every function builds its figure with :class:`matplotlib.figure.Figure` (no pyplot, so
no GUI backend, no global figure registry, nothing to close) and returns it; in Jupyter
the returned figure displays inline, and ``fig.savefig(path)`` writes it for a report.
Pass ``ax`` to draw into an axes of a figure of your own instead (the function then
returns that figure).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.analysis.cubes import check_event, event_year_shares, quantity_names
from abm.analysis.figtext import integer_axis, is_year, set_wrapped_title
from abm.analysis.meta import dim_label
from abm.cube.schema import QUANTILE_DIM, YEAR_DIM

#: Annotate heatmap cells by default when there are at most this many.
MAX_ANNOTATED_CELLS = 150

#: Keys a comparison row needs for :func:`tornado`.
ROW_KEYS = ("outcome", "cell", "diff", "lo", "hi")


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """A new figure with one axes, or the figure of ``ax``."""
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    root = ax.get_figure(root=True)
    if not isinstance(root, Figure):
        raise ValueError("ax does not belong to a figure")
    return root, ax


def _unit_label(name: str, attrs: Mapping[Hashable, Any]) -> str:
    """``name [units]``, or ``name`` when the units are unknown."""
    units = attrs.get("units")
    return f"{name} [{units}]" if units not in (None, "") else name


def _positions(coord: xr.DataArray) -> tuple[np.ndarray, list[str] | None]:
    """Plot positions of a coordinate: its numbers, numeric labels as numbers, or 0..n-1.

    Returns the positions and, for non-numeric labels, the tick labels.
    """
    values = coord.values
    if np.issubdtype(values.dtype, np.number):
        return values.astype(np.float64), None
    labels = [str(v) for v in values.tolist()]
    try:
        return np.asarray([float(v) for v in labels]), None
    except ValueError:
        return np.arange(len(labels), dtype=np.float64), labels


def _fmt_tick(v: object) -> str:
    return f"{v:g}" if isinstance(v, float | np.floating) else str(v)


def _runs(cube: xr.Dataset) -> str:
    """`` (N runs)`` when the cube says how many runs it holds (single scenario)."""
    n = cube.get("n_runs")
    if n is None or n.ndim:
        return ""
    return f" ({int(n)} runs)"


def heatmap(
    prob: xr.DataArray,
    se: xr.DataArray | None = None,
    x: str | None = None,
    y: str | None = None,
    *,
    title: str | None = None,
    annotate: bool | None = None,
    cmap: str = "viridis",
    ax: Axes | None = None,
) -> Figure:
    """Heatmap of an event probability over two levers.

    Cells sit at equal spacing in the order of the lever values (so unevenly spaced or
    non-numeric levers read correctly); the colour scale is fixed to [0, 1].

    Args:
        prob: probability (unitless, 0-1) over exactly two lever dimensions, e.g.
            ``lever_grid(cube["E_prob"], ["a", "b"])`` for an event ``E``.
        se: its Monte Carlo standard error over the same dimensions and coordinates;
            when given, cells read ``p`` over ``±se``.
        x: dimension along the x axis (default: the second of ``prob.dims``).
        y: dimension along the y axis (default: the other one).
        title: figure title (default: from ``prob``'s ``long_name`` or name).
        annotate: write the value into each cell (default: when there are at most
            :data:`MAX_ANNOTATED_CELLS` cells).
        cmap: matplotlib colour map name.
        ax: axes to draw into (default: a new figure).

    Returns:
        The figure.

    Raises:
        ValueError: if ``prob`` is not 2-D, ``x`` / ``y`` are not its dimensions, or
            ``se`` does not match ``prob``.
    """
    if not isinstance(prob, xr.DataArray) or prob.ndim != 2:
        dims = getattr(prob, "dims", None)
        raise ValueError(f"prob must be a DataArray over two lever dimensions, got dims {dims}")
    dims = [str(d) for d in prob.dims]
    x = x or next(d for d in reversed(dims) if d != y)
    y = y or next(d for d in dims if d != x)
    if {x, y} != set(dims) or x == y:
        raise ValueError(
            f"x and y must be the two dimensions of prob {tuple(dims)}, got {x!r}, {y!r}"
        )
    p = prob.transpose(y, x)
    s: xr.DataArray | None = None
    if se is not None:
        if not isinstance(se, xr.DataArray) or set(map(str, se.dims)) != set(dims):
            raise ValueError(f"se must be a DataArray over {tuple(dims)}")
        try:
            p, s = xr.align(p, se.transpose(y, x), join="exact")
        except ValueError as err:
            raise ValueError(f"se's coordinates differ from prob's: {err}") from err
    fig, ax = _axes(ax, (1.6 + 0.9 * p.sizes[x], 1.4 + 0.7 * p.sizes[y]))
    values = np.asarray(p.values, np.float64)
    norm = Normalize(0.0, 1.0)
    mesh = ax.pcolormesh(values, cmap=cmap, norm=norm, edgecolors="white", linewidth=0.5)
    cbar = fig.colorbar(mesh, ax=ax)
    cbar.set_label("probability")
    for axis, dim in ((ax.xaxis, x), (ax.yaxis, y)):
        axis.set_ticks(np.arange(p.sizes[dim]) + 0.5)
        axis.set_ticklabels([_fmt_tick(v) for v in p[dim].values.tolist()])
    ax.set_xlabel(_unit_label(x, p[x].attrs))
    ax.set_ylabel(_unit_label(y, p[y].attrs))
    if annotate is None:
        annotate = values.size <= MAX_ANNOTATED_CELLS
    if annotate:
        colormap = mesh.get_cmap()
        for (i, j), v in np.ndenumerate(values):
            if not math.isfinite(v):
                continue
            r, g, b, _ = colormap(norm(v))
            colour = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            text = f"{v:.2f}" if s is None else f"{v:.2f}\n±{float(s.values[i, j]):.2f}"
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=8, color=colour)
    name = str(prob.attrs.get("long_name") or prob.name or "probability")
    suffix = " (cells: p ± MC standard error)" if s is not None and annotate else ""
    set_wrapped_title(ax, title or f"{name}{suffix}")
    return fig


def event_year_distribution(
    cube: xr.Dataset, event: str, *, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Bars of the share of runs in which an event first happened, per year.

    The bars are the year-on-year increments of ``E_by_year``; the line is ``E_by_year``
    itself (cumulative share by the end of each year, reaching ``E_prob``).

    Args:
        cube: a single-scenario cube (select one point of a sweep first, e.g.
            ``cube.isel(point=0)``).
        event: event name ``E`` (the cube holds ``E_prob``, ``E_by_year``).
        title: figure title (default: the event and the number of runs).
        ax: axes to draw into (default: a new figure).

    Returns:
        The figure.

    Raises:
        ValueError: if the cube lacks the event or has dimensions besides ``year``.
    """
    check_event(cube, event, needs=("by_year",))
    shares = event_year_shares(cube, event)
    extra = [str(d) for d in shares.dims if d != YEAR_DIM]
    if extra:
        raise ValueError(f"select one point first (e.g. cube.isel(point=0)): extra dims {extra}")
    cum = cube[f"{event}_by_year"]
    years = np.asarray(shares[YEAR_DIM].values)
    fig, ax = _axes(ax, (7.0, 3.8))
    ax.bar(years, shares.values, width=0.8, color="tab:blue", label="first happened that year")
    total = float(cum.values[-1]) if cum.size else 0.0
    ax.plot(
        years,
        cum.values,
        "o-",
        ms=3,
        color="tab:red",
        label=f"cumulative by end of year ({total:.1%} by {years[-1]})",
    )
    integer_axis(ax.xaxis, year=True)
    ax.set_xlabel(dim_label(cube, f"{event}_by_year", YEAR_DIM))
    ax.set_ylabel("share of runs [1]")
    peak = float(np.nanmax(cum.values)) if cum.size else 0.0
    ax.set_ylim(0.0, 1.1 * peak if peak > 0 else 1.0)
    ax.legend(loc="upper left")
    desc = cube[f"{event}_by_year"].attrs.get("description")
    default = f"{event}: year it first happened{_runs(cube)}"
    set_wrapped_title(ax, title or (f"{default}\n{desc}" if desc else default))
    return fig


def fan_chart(
    cube: xr.Dataset,
    quantity: str,
    x_dim: str | None = None,
    *,
    sel: Mapping[str, Any] | None = None,
    show_mean: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Fan chart of a quantity's spread across runs along one dimension.

    Bands: 5-95 % and 25-75 % of runs (from ``Q_quantiles``); line: the median; dashed:
    the mean (``Q_mean``).

    Args:
        cube: a single-scenario cube (or one point of a sweep).
        quantity: quantity name ``Q`` (the cube holds ``Q_quantiles``).
        x_dim: dimension along the x axis, e.g. ``"year"`` or ``"harvest_year"``
            (default: the quantity's only dimension besides ``quantile``).
        sel: labels fixing every other dimension, e.g. ``{"region_group": "total"}``.
        show_mean: also draw the mean.
        title: figure title (default: the quantity's description and the runs).
        ax: axes to draw into (default: a new figure).

    Returns:
        The figure; cells without valid runs (NaN) leave gaps.

    Raises:
        ValueError: if the cube lacks the quantity, ``x_dim`` is not one of its
            dimensions, or dimensions besides ``x_dim`` remain after ``sel``.
    """
    if not isinstance(cube, xr.Dataset):
        raise ValueError(f"cube must be an xarray.Dataset, got {type(cube).__name__}")
    key = f"{quantity}_quantiles"
    if key not in cube.data_vars:
        known = quantity_names(cube)
        raise ValueError(f"cube has no {key}; its quantities are {known or 'none'}")
    q = cube[key]
    mean = cube.get(f"{quantity}_mean") if show_mean else None
    if sel:
        unknown = [k for k in sel if k not in q.dims]
        if unknown:
            raise ValueError(f"sel names {unknown}, not dimensions of {key} {q.dims}")
        q = q.sel(sel)
        mean = mean.sel(sel) if mean is not None else None
    dims = [str(d) for d in q.dims if d != QUANTILE_DIM]
    if x_dim is None:
        if len(dims) != 1:
            raise ValueError(f"pass x_dim (one of {dims}) and fix the others with sel")
        x_dim = dims[0]
    if x_dim not in dims:
        raise ValueError(f"x_dim {x_dim!r} is not a dimension of {key}; those are {dims}")
    extra = [d for d in dims if d != x_dim]
    if extra:
        raise ValueError(f"fix the dimensions {extra} with sel (e.g. sel={{{extra[0]!r}: ...}})")
    q = q.transpose(x_dim, QUANTILE_DIM)
    xs, ticks = _positions(q[x_dim])

    def band(level: float) -> np.ndarray:
        return np.asarray(q.sel({QUANTILE_DIM: level}, method="nearest").values, np.float64)

    fig, ax = _axes(ax, (7.0, 3.8))
    ax.fill_between(xs, band(0.05), band(0.95), alpha=0.2, color="tab:blue", lw=0, label="5-95 %")
    ax.fill_between(xs, band(0.25), band(0.75), alpha=0.4, color="tab:blue", lw=0, label="25-75 %")
    ax.plot(xs, band(0.5), color="tab:blue", lw=2, label="median")
    if mean is not None:
        ax.plot(xs, np.asarray(mean.values, np.float64), "--", color="black", lw=1, label="mean")
    if ticks is not None:
        ax.set_xticks(xs, ticks, rotation=45 if len(ticks) > 8 else 0)
    elif xs.size and bool(np.all(np.isfinite(xs) & (xs == np.round(xs)))):
        integer_axis(ax.xaxis, year=is_year(x_dim))
    ax.set_xlabel(_unit_label(dim_label(cube, key, x_dim), q[x_dim].attrs))
    ax.set_ylabel(_unit_label(quantity, cube[key].attrs))
    ax.legend(loc="best")
    fixed = ", ".join(f"{k}={v}" for k, v in (sel or {}).items())
    head = str(cube[key].attrs.get("description") or quantity)
    default = f"{head}{f' ({fixed})' if fixed else ''}: spread across runs{_runs(cube)}"
    set_wrapped_title(ax, title or default)
    return fig


def _check_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(rows, Mapping | str) or not isinstance(rows, Sequence):
        raise ValueError("rows must be a list of comparison rows (dicts), e.g. compare(...).table")
    if not rows:
        raise ValueError("rows is empty: nothing to plot")
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping):
            raise ValueError(f"row {i} is a {type(r).__name__}, expected a dict")
        missing = [k for k in ROW_KEYS if k not in r]
        if missing:
            raise ValueError(f"row {i} lacks {missing} (a row needs {list(ROW_KEYS)})")
    kept = [r for r in rows if all(math.isfinite(float(r[k])) for k in ("diff", "lo", "hi"))]
    if not kept:
        raise ValueError("no row has a finite diff, lo and hi")
    return kept


def tornado(
    rows: Sequence[Mapping[str, Any]],
    *,
    top: int | None = 20,
    title: str | None = None,
    xlabel: str = "difference B - A [outcome units; probabilities and shares 0-1]",
    ax: Axes | None = None,
) -> Figure:
    """Tornado chart of effects: one bar per comparison row, largest ``|diff|`` on top.

    Rows come from :func:`abm.api.compare` (``cmp.table``); bars are ``diff``, whiskers
    the interval ``lo``-``hi`` (95 % there). Rows of different units share the axis, so
    chart rows of one kind together, e.g. ``[r for r in cmp.table if
    r["outcome"].endswith(("_prob", "_share"))]``. Rows with a non-finite ``diff``,
    ``lo`` or ``hi`` are left out.

    Args:
        rows: dicts with ``outcome``, ``cell``, ``diff``, ``lo``, ``hi``.
        top: keep the ``top`` largest ``|diff|`` (None: all).
        title: figure title.
        xlabel: x-axis label (state the outcomes' unit).
        ax: axes to draw into (default: a new figure).

    Returns:
        The figure.

    Raises:
        ValueError: if ``rows`` is empty, a row lacks a key, no row is finite, or ``top``
            is below 1.
    """
    kept = _check_rows(rows)
    if top is not None and top < 1:
        raise ValueError(f"top must be >= 1 or None, got {top}")
    kept.sort(key=lambda r: abs(float(r["diff"])), reverse=True)
    shown = kept[:top] if top is not None else kept
    diff = np.array([float(r["diff"]) for r in shown])
    lo = np.array([float(r["lo"]) for r in shown])
    hi = np.array([float(r["hi"]) for r in shown])
    labels = [f"{r['outcome']} {r['cell']}".strip() for r in shown]
    pos = np.arange(len(shown))[::-1]  # largest effect on top
    fig, ax = _axes(ax, (7.5, 1.2 + 0.35 * len(shown)))
    colours = np.where(diff >= 0, "tab:red", "tab:blue")
    ax.barh(pos, diff, color=colours, height=0.6)
    err = np.vstack([np.maximum(diff - lo, 0.0), np.maximum(hi - diff, 0.0)])
    ax.errorbar(diff, pos, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set_yticks(pos, labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("outcome")
    handles = [
        Patch(color="tab:red", label="B above A"),
        Patch(color="tab:blue", label="B below A"),
        Line2D([], [], color="black", marker="|", lw=1, label="interval (lo-hi)"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    more = f", top {len(shown)} of {len(kept)}" if len(shown) < len(kept) else ""
    set_wrapped_title(ax, title or f"Effects sorted by |difference|{more}")
    return fig
