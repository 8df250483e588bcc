"""What a sweep leaves in Prefect: a table of its batches and a markdown report.

The table (key ``<sweep>-batches``) has one row per batch: points, runs, wall time,
runs/s, and whether it ran or was already in the store. The
markdown report (key ``<sweep>-report``) names the cube and its provenance and embeds the
headline plots as PNG data URIs: heat maps of the headline events' probabilities (the
cube's attribute ``headline_outcomes``, see :mod:`abm.analysis.meta`) over the first two
varied levers of a grid, else the probabilities' spread over the points.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from abm.analysis.cubes import lever_grid, probability_with_error
from abm.analysis.figtext import set_wrapped_title
from abm.analysis.meta import as_points, events_headline_first, varied_levers
from abm.analysis.plots import heatmap
from abm.analysis.report import png_data_uri

#: At most this many plots in a report.
MAX_PLOTS = 4


def artifact_key(name: str, suffix: str) -> str:
    """A Prefect artifact key (lowercase letters, digits, dashes) from a sweep name."""
    key = re.sub(r"[^a-z0-9-]+", "-", f"{name}-{suffix}".lower()).strip("-")
    return re.sub(r"-{2,}", "-", key)


def batch_rows(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The table artifact's rows, one per batch, in batch order.

    Args:
        results: each batch's result (:class:`~abm.sweep.run.BatchResult` as a dict) with
            ``status``: ``ran`` or ``in store`` (``cached`` is kept in the counts for
            older runs; Prefect's result cache is off).
    """
    rows = []
    for r in sorted(results, key=lambda r: int(r["batch"])):
        wall = float(r["wall_s"])
        rows.append(
            {
                "batch": int(r["batch"]),
                "points": f"{int(r['start'])}-{int(r['stop']) - 1}",
                "runs": int(r["runs"]),
                "wall_s": round(wall, 2),
                "runs_per_s": round(int(r["runs"]) / wall, 1) if wall > 0 else 0.0,
                "status": str(r["status"]),
                "worker": str(r.get("worker", "")),
            }
        )
    return rows


def summary_rows(
    ds: xr.Dataset, results: Sequence[Mapping[str, Any]], wall_s: float
) -> list[dict[str, Any]]:
    """One row: points done of all, runs simulated by this flow run, wall time, runs/s."""
    done = np.asarray(ds["points_done"].values, dtype=bool)
    runs = int(sum(int(r["runs"]) for r in results))
    return [
        {
            "sweep": str(ds.attrs.get("sweep", "")),
            "points_done": f"{int(done.sum())}/{done.size}",
            "batches_run": sum(1 for r in results if r["status"] == "ran"),
            "batches_cached": sum(1 for r in results if r["status"] == "cached"),
            "batches_in_store": sum(1 for r in results if r["status"] == "in store"),
            "runs": runs,
            "wall_s": round(wall_s, 2),
            "runs_per_s": round(runs / wall_s, 1) if wall_s > 0 else 0.0,
        }
    ]


def plotted_events(ds: xr.Dataset) -> list[str]:
    """The events to plot: the cube's headline events, then the others, at most four."""
    return events_headline_first(ds)[:MAX_PLOTS]


def headline_figures(ds: xr.Dataset) -> list[tuple[str, Figure]]:
    """``(caption, figure)`` of the headline plots of a finished sweep cube.

    A grid over two or more varied levers: heat maps of each headline event's
    probability over the first two (the others at their first value). Any other design:
    the event probabilities over the sweep's points, sorted, with 95 % error bars.
    """
    ds = as_points(ds)
    done = np.asarray(ds["points_done"].values, dtype=bool).reshape(-1)
    cube = ds.isel(point=np.flatnonzero(done))
    varied = varied_levers(ds)
    figs: list[tuple[str, Figure]] = []
    grid = ds.attrs.get("design") == "grid" and len(varied) >= 2 and bool(done.all())
    for event in plotted_events(cube):
        prob, se = probability_with_error(cube, event)
        if grid:
            p, s = lever_grid(prob, varied), lever_grid(se, varied)
            rest = {d: 0 for d in varied[2:]}
            p, s = p.isel(rest), s.isel(rest)
            fig = heatmap(p, s, x=varied[0], y=varied[1], title=f"P({event})")
            figs.append((f"{event}: probability over {varied[0]} x {varied[1]}", fig))
        else:
            figs.append((f"{event}: probability at each point", _spread(prob, se, event)))
    return figs


def _spread(prob: xr.DataArray, se: xr.DataArray, event: str) -> Figure:
    order = np.argsort(prob.values)
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(order.size)
    ax.errorbar(
        x, prob.values[order], yerr=1.96 * se.values[order], fmt="o", ms=3, label="P +- 95 %"
    )
    ax.set_xlabel("sweep point (sorted by probability)")
    ax.set_ylabel(f"P({event}) [probability]")
    ax.set_ylim(0.0, 1.0)
    set_wrapped_title(ax, f"P({event}) over {order.size} sweep points")
    ax.legend(loc="upper left")
    return fig


def report_markdown(ds: xr.Dataset, out: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """The markdown report artifact of a sweep cube at ``out``."""
    a = ds.attrs
    lines = [
        f"# Sweep `{a.get('sweep', '')}`",
        "",
        f"Cube: `{out}` (open with `abm.open_cube`; `abm report {out}` writes an HTML report)",
        "",
        "| provenance | |",
        "| --- | --- |",
    ]
    for key in (
        "scenario",
        "stance",
        "varied",
        "design",
        "n_points",
        "runs_per_point",
        "seed",
        "config_hash",
        "abm_version",
        "jax_version",
        "git_commit",
    ):
        if key in a:
            lines.append(f"| {key} | `{a[key]}` |")
    if rows:
        r = rows[0]
        lines += [
            "",
            f"Points done {r['points_done']}; this run simulated {r['runs']:,} runs in "
            f"{r['wall_s']} s ({r['runs_per_s']} runs/s).",
        ]
    for caption, fig in headline_figures(ds):
        lines += ["", f"## {caption}", "", f"![{caption}]({png_data_uri(fig)})"]
    return "\n".join(lines) + "\n"


__all__ = [
    "artifact_key",
    "batch_rows",
    "headline_figures",
    "plotted_events",
    "report_markdown",
    "summary_rows",
]
