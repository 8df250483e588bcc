"""The Sobol' section of a sweep report over a Saltelli design: indices and tornados."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.analysis.plots import tornado
from abm.analysis.report.document import Doc
from abm.analysis.report.fmt import CONF_LEVEL
from abm.analysis.report.read import config, design_kind
from abm.analysis.sensitivity import FACTOR_DIM, sobol_indices

#: At most this many tornado charts.
MAX_FIGURES = 8


def sobol(doc: Doc, cube: xr.Dataset, done: np.ndarray, events: Sequence[str]) -> None:
    """First-order and total Sobol' indices of each event, when the design is Saltelli's.

    Args:
        doc: the report.
        cube: the sweep cube over ``point`` (every point, done or not).
        done: ``points_done`` as bool ``[n_points]``; the indices need every point.
        events: the events to analyse, in report order.
    """
    if design_kind(cube) != "sobol":
        return
    cfg = config(cube)
    design = cfg.get("design")
    design = design if isinstance(design, Mapping) else {}
    doc.section("sobol", "Sobol' sensitivity indices")
    vary = cfg.get("vary")
    if not isinstance(vary, list) or not vary:
        doc.note("The cube's config names no varied ranges: Sobol' indices skipped.")
        return
    names = [str(v["name"]) for v in vary]
    bounds = [[float(v["low"]), float(v["high"])] for v in vary]
    second = bool(design.get("second_order", False))
    if not done.all():
        doc.note(
            f"{int((~done).sum())} of {done.size} points are missing: Saltelli's estimators "
            "need every point of the design, so the indices are skipped until the sweep is "
            "finished."
        )
        return
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    rows: list[list[str]] = []
    figs: list[tuple[str, Figure]] = []
    skipped: list[str] = []
    for e in events:
        y = np.asarray(cube[f"{e}_prob"].values, dtype=np.float64)
        try:
            si = sobol_indices(problem, y, calc_second_order=second, conf_level=CONF_LEVEL)
        except ValueError as err:
            skipped.append(f"{e} ({err})")
            continue
        trows = []
        for i, name in enumerate(si[FACTOR_DIM].values.tolist()):
            s1, c1 = float(si["S1"].values[i]), float(si["S1_conf"].values[i])
            st, ct = float(si["ST"].values[i]), float(si["ST_conf"].values[i])
            rows.append([e, str(name), f"{s1:.3f} ± {c1:.3f}", f"{st:.3f} ± {ct:.3f}"])
            trows.append(
                {"outcome": str(name), "cell": "", "diff": st, "lo": st - ct, "hi": st + ct}
            )
        if len(figs) < MAX_FIGURES:
            figs.append((e, sobol_tornado(e, trows, int(si.attrs["N"]))))
    if rows:
        doc.table(
            [
                "event",
                "lever",
                f"first-order S1 ± {CONF_LEVEL:.0%}",
                f"total ST ± {CONF_LEVEL:.0%}",
            ],
            rows,
            [False, False, True, True],
        )
        doc.para(
            "S1: share of the variance of the event's probability over the design due to the "
            "lever alone; ST: including its interactions (Saltelli 2010 estimators, bootstrap "
            "intervals, via SALib). Each point's probability also carries Monte Carlo noise, "
            "which no lever explains: indices within their interval of 0 are not "
            "distinguishable from noise.",
            "meta",
        )
    for e, fig in figs:
        doc.heading(f"Tornado: {e}")
        doc.figure(fig, f"total-effect Sobol' indices of the levers on {e}")
    if skipped:
        doc.note("No indices for: " + "; ".join(skipped))


def sobol_tornado(event: str, rows: list[dict[str, Any]], n: int) -> Figure:
    """A tornado of the levers' total-effect indices on one event, with intervals."""
    fig = Figure(figsize=(7.5, 1.6 + 0.4 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    tornado(
        rows,
        top=None,
        title=f"P({event}): total-effect Sobol' indices (N = {n} base samples)",
        xlabel="total-effect index ST [share of the output variance, 0-1]",
        ax=ax,
    )
    ax.set_ylabel("lever")
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    handles: list[Artist] = [Patch(color="tab:red", label="ST (estimate)")]
    if any(float(r["diff"]) < 0 for r in rows):
        handles.append(Patch(color="tab:blue", label="ST < 0 (estimation noise)"))
    handles.append(
        Line2D([], [], color="black", marker="|", lw=1, label=f"{CONF_LEVEL:.0%} interval")
    )
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    return fig


__all__ = ["sobol", "sobol_tornado"]
