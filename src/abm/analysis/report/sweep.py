"""The sections of a sweep report: the events over the points, heat maps, lever lines."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from abm.analysis.cubes import lever_grid, z_value
from abm.analysis.figtext import set_wrapped_title
from abm.analysis.meta import events_headline_first, varied_levers
from abm.analysis.plots import heatmap
from abm.analysis.report.document import Doc
from abm.analysis.report.fmt import CONF_LEVEL, describe, fmt, prob, unit_label
from abm.analysis.report.prim import prim
from abm.analysis.report.read import done_flags
from abm.analysis.report.sobol import sobol
from abm.cube.schema import POINT_DIM

#: At most this many heat maps (and lines of a one-lever plot).
MAX_FIGURES = 8


def _lever_text(cube: xr.Dataset, levers: Sequence[str], i: int) -> str:
    return ", ".join(f"{n}={fmt(float(cube[n].values[i]))}" for n in levers)


def sweep_summary(doc: Doc, sub: xr.Dataset, levers: Sequence[str], events: Sequence[str]) -> None:
    """Each event's lowest, median and highest probability over the points done."""
    doc.section("events", "Event probabilities over the points")
    rows = []
    for e in events:
        p = np.asarray(sub[f"{e}_prob"].values, dtype=np.float64)
        se = np.asarray(sub[f"{e}_se"].values, dtype=np.float64)
        lo, hi = int(np.nanargmin(p)), int(np.nanargmax(p))
        rows.append(
            [
                e,
                describe(sub, f"{e}_prob"),
                prob(float(p[lo])),
                _lever_text(sub, levers, lo),
                prob(float(np.nanmedian(p))),
                prob(float(p[hi])),
                _lever_text(sub, levers, hi),
                f"{float(np.nanmax(se)):.4f}",
            ]
        )
    doc.table(
        ["event", "description", "lowest", "at", "median", "highest", "at", "largest MC s.e."],
        rows,
        [False, False, True, False, True, True, False, True],
    )
    n = sub.get("n_runs")
    if n is not None:
        runs = np.unique(np.asarray(n.values))
        doc.para(
            f"Over the {sub.sizes[POINT_DIM]} points done; runs per point: "
            f"{', '.join(fmt(int(r)) for r in runs)}. Each probability carries its own "
            "Monte Carlo standard error (largest shown); differences between points smaller "
            "than about 3 such errors may be noise.",
            "meta",
        )


def is_full_grid(cube: xr.Dataset, levers: Sequence[str]) -> bool:
    """Whether the points are every combination of the levers' values, each once."""
    if len(levers) < 1:
        return False
    cols = [np.asarray(cube[n].values) for n in levers]
    n_points = cube.sizes[POINT_DIM]
    combos = set(zip(*(c.tolist() for c in cols), strict=True))
    return len(combos) == n_points and math.prod(len(np.unique(c)) for c in cols) == n_points


def grid_maps(
    doc: Doc, cube: xr.Dataset, done: np.ndarray, levers: Sequence[str], events: Sequence[str]
) -> None:
    """Heat maps over the first two levers (averaged over the others)."""
    x, y = levers[1], levers[0]
    rest = list(levers[2:])
    mask = xr.DataArray(done, dims=(POINT_DIM,))
    doc.section("heatmaps", f"Heat maps over {y} and {x}")
    if rest:
        doc.note(
            f"The grid has {len(levers)} levers: each cell averages the points over "
            f"{', '.join(rest)} (missing points left out of the average)."
        )
    runs = cube.get("n_runs")
    per = ""
    if runs is not None:
        vals = np.unique(np.asarray(runs.values)[done])
        per = f", {fmt(int(vals[0]))} runs per point" if vals.size == 1 else ""
    for e in events[:MAX_FIGURES]:
        p = lever_grid(cube[f"{e}_prob"].where(mask), list(levers))
        se = lever_grid(cube[f"{e}_se"].where(mask), list(levers))
        if rest:
            k = p.notnull().sum(rest)
            p = p.mean(rest, skipna=True)
            se = (se**2).sum(rest, skipna=True) ** 0.5 / k.where(k > 0)
        desc = describe(cube, f"{e}_prob")
        doc.heading(f"Heat map: {e}")
        avg = f"mean over {', '.join(rest)}" if rest else ""
        cells = "cells: probability ± MC standard error"
        fig = heatmap(
            p,
            se,
            x=x,
            y=y,
            title="\n".join(line for line in (f"P({e}){per}", desc, avg, cells) if line),
        )
        doc.figure(
            fig,
            f"heat map of the probability of {e} over {y} and {x}",
            "Colour: probability (0-1); blank cells: points not done.",
        )


def lever_line(
    doc: Doc, cube: xr.Dataset, done: np.ndarray, lever: str, events: Sequence[str]
) -> None:
    """Probabilities along the one lever of a one-lever sweep, with 95 % intervals."""
    z = z_value(CONF_LEVEL)
    sub = cube.isel({POINT_DIM: np.flatnonzero(done)})
    xs = np.asarray(sub[lever].values, dtype=np.float64)
    order = np.argsort(xs, kind="stable")
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for e in events[:MAX_FIGURES]:
        p = np.asarray(sub[f"{e}_prob"].values, dtype=np.float64)[order]
        se = np.asarray(sub[f"{e}_se"].values, dtype=np.float64)[order]
        ax.errorbar(xs[order], p, yerr=z * se, fmt="o-", ms=3, capsize=3, label=e)
    ax.set_xlabel(unit_label(lever, cube[lever].attrs))
    ax.set_ylabel("probability [1]")
    ax.set_ylim(0.0, 1.0)
    ax.legend(loc="best", fontsize=8)
    set_wrapped_title(ax, f"Event probabilities over {lever} (bars: {CONF_LEVEL:.0%} interval)")
    doc.section("lever", f"Probabilities over {lever}")
    doc.figure(fig, f"event probabilities over {lever}")


def sweep(doc: Doc, cube: xr.Dataset) -> None:
    """The report body of a sweep over ``point`` (two points or more)."""
    done = done_flags(cube)
    n_total, n_done = done.size, int(done.sum())
    levers = varied_levers(cube)
    if n_done < n_total:
        doc.note(
            f"{n_total - n_done} of {n_total} points are missing (points_done False: the "
            "sweep is unfinished or was interrupted); they are left out of every table and "
            "plot below."
        )
    if n_done == 0:
        doc.note("No point is done yet: nothing to report beyond the provenance.")
        return
    sub = cube.isel({POINT_DIM: np.flatnonzero(done)})
    events = events_headline_first(cube)
    if not events:
        doc.note("The cube holds no events.")
        return
    sweep_summary(doc, sub, levers, events)
    if len(levers) >= 2 and is_full_grid(cube, levers):
        grid_maps(doc, cube, done, levers, events)
    elif len(levers) == 1:
        lever_line(doc, cube, done, levers[0], events)
    sobol(doc, cube, done, events)
    prim(doc, sub, levers)


__all__ = ["grid_maps", "is_full_grid", "lever_line", "sweep", "sweep_summary"]
