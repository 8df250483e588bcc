"""A self-contained HTML report of one result cube (``abm report CUBE``).

The report is one HTML file: inline CSS, every plot a PNG embedded as a
``data:image/png;base64,`` URI, no script and no external resource, so it opens offline
and can be mailed or archived as is. Every text taken from the cube (names, attributes,
the resolved config) is HTML-escaped.

What it holds adapts to the cube:

* always: the cube's path, a title, the provenance table (every dataset attribute:
  scenario, sweep, seed, runs, config hash, versions of abm and JAX, git commit, created
  and finished times, stance...) and the resolved config; for a sweep, points done of
  all.
* a single-scenario cube (no ``point`` dimension, or one point): every event's
  probability with its Monte Carlo standard error and 95 % interval, the categories'
  shares, the year each event first happened (plots), fan charts of the quantities over
  time and the spread of the scalar quantities.
* a sweep (``point`` dimension): each event's range over the points; heat maps of the
  events' probabilities over the first two levers when the points form a full grid (a
  probability plot for a one-lever sweep); Sobol' first-order and total indices with a
  tornado chart per event for a Sobol' (Saltelli) design; a PRIM box for a default
  outcome (no Nazi seizure of power and no German civil war). Points whose
  ``points_done`` flag is False are left out of every table and plot, and the report
  says how many are missing.

:func:`report_html` renders a cube to a string, :func:`write_report` reads a stored cube
and writes the file atomically.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
import os
import re
import tempfile
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import yaml
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from abm.analysis.cubes import (
    event_names,
    lever_grid,
    probability_with_error,
    quantity_names,
    z_value,
)
from abm.analysis.plots import event_year_distribution, fan_chart, heatmap, tornado
from abm.analysis.prim import prim_box
from abm.analysis.sensitivity import FACTOR_DIM, sobol_indices
from abm.cube.schema import POINT_DIM, QUANTILE_DIM, CubeError
from abm.cube.store import open_cube

# Sweep-store names, as :mod:`abm.sweep.store` defines them (not imported: importing the
# sweep package loads the simulation engine, which a report does not need).

#: The per-point completion flags of a sweep store (:mod:`abm.sweep.store`).
DONE_VAR = "points_done"

#: The writer lock file of a sweep store (:mod:`abm.sweep.store`).
LOCK_NAME = ".abm-sweep.lock"

#: Events shown first when a cube holds them (the headline outcomes); others follow.
MAIN_EVENTS = ("nazi_power", "german_civil_war", "united_front", "personal_dictatorship")

#: Quantities charted first when a cube holds them; others with one time dimension follow.
MAIN_QUANTITIES = ("german_unemployment", "grain_harvest", "grain_procurement", "grain_exports")

#: At most this many figures of one kind (heat maps, event years, tornados).
MAX_FIGURES = 8

#: At most this many fan charts.
MAX_FANS = 4

#: A quantity is charted over its one non-quantile dimension if it has this many labels.
MIN_FAN_POINTS = 4

#: Level of the normal intervals of the probabilities.
CONF_LEVEL = 0.95

#: Resolution of the embedded PNGs.
DPI = 96

#: The PRIM default outcome's events: a point is judged on neither happening.
PRIM_EVENTS = ("nazi_power", "german_civil_war")

#: PRIM cases: the points whose outcome value reaches this quantile over the done points.
PRIM_CASE_QUANTILE = 0.75

#: Provenance attributes listed first, in this order; the others follow alphabetically.
PROVENANCE_FIRST = (
    "sweep",
    "scenario",
    "stance",
    "model",
    "seed",
    "runs_per_point",
    "n_points",
    "varied",
    "design",
    "batch_points",
    "n_batches",
    "chunk_size",
    "config_hash",
    "config_path",
    "scenario_path",
    "abm_version",
    "jax_version",
    "git_commit",
    "jax_backend",
    "device_kind",
    "device_count",
    "n_devices",
    "created",
    "finished",
    "wall_time_s",
    "run_keys",
    "schema",
    "schema_version",
)

#: Attributes kept out of the provenance table (the config is shown on its own).
LONG_ATTRS = ("config",)

#: Variable suffixes the report reads (the histograms and exact tallies are left unread).
READ_SUFFIXES = ("_prob", "_se", "_count", "_by_year", "_quantiles", "_mean", "_share")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.key { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: nowrap; }
td.val { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
p.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.4em 0.8em; }
p.meta { color: #555; font-size: 0.9em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
nav ul { columns: 2; font-size: 0.9em; }
"""


# --- HTML building ----------------------------------------------------------------------


def esc(value: object) -> str:
    """``value`` as text, HTML-escaped (quotes included)."""
    return html.escape(str(value), quote=True)


def png_data_uri(fig: Figure, dpi: int = DPI) -> str:
    """A figure as a ``data:image/png;base64,...`` URI (PNG at ``dpi`` dots per inch)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class _Doc:
    """An HTML body under construction: sections (with a table of contents) and blocks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.toc: list[tuple[str, str]] = []

    def section(self, anchor: str, title: str) -> None:
        self.toc.append((anchor, title))
        self.parts.append(f'<h2 id="{esc(anchor)}">{esc(title)}</h2>')

    def heading(self, title: str) -> None:
        self.parts.append(f"<h3>{esc(title)}</h3>")

    def para(self, text: str, cls: str | None = None) -> None:
        attr = f' class="{esc(cls)}"' if cls else ""
        self.parts.append(f"<p{attr}>{esc(text)}</p>")

    def note(self, text: str) -> None:
        self.para(text, "note")

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[object]],
        numeric: Sequence[bool] | None = None,
    ) -> None:
        """A table; ``numeric[i]`` right-aligns column ``i``."""
        num = list(numeric) if numeric is not None else [False] * len(header)
        out = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"]
        for row in rows:
            cells = "".join(
                f'<td class="num">{esc(v)}</td>' if n else f"<td>{esc(v)}</td>"
                for v, n in zip(row, num, strict=True)
            )
            out.append(f"<tr>{cells}</tr>")
        out.append("</table>")
        self.parts.append("\n".join(out))

    def figure(self, fig: Figure, alt: str, caption: str | None = None) -> None:
        cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
        self.parts.append(f'<figure><img alt="{esc(alt)}" src="{png_data_uri(fig)}">{cap}</figure>')

    def raw(self, text: str) -> None:
        """Append HTML as is (the caller escapes what it holds)."""
        self.parts.append(text)


# --- formatting -------------------------------------------------------------------------


def _fmt(v: object, digits: int = 3) -> str:
    """A number for a table: ``digits`` significant digits, ``-`` for NaN."""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        f = float(v)
        if not math.isfinite(f):
            return "-"
        if f != 0.0 and (abs(f) >= 1e9 or abs(f) < 1e-3):
            return f"{f:.{digits}g}"
        return f"{f:,.0f}" if abs(f) >= 100 else f"{f:.{digits}g}"
    return str(v)


def _prob(p: float) -> str:
    """A probability with three decimals (``-`` for NaN)."""
    return f"{p:.3f}" if math.isfinite(p) else "-"


def _ordered(names: Sequence[str], first: Sequence[str]) -> list[str]:
    """``names`` with those in ``first`` first (in that order), the rest as given."""
    head = [n for n in first if n in names]
    return head + [n for n in names if n not in head]


def _describe(cube: xr.Dataset, var: str) -> str:
    """A variable's description attribute, or nothing."""
    return str(cube[var].attrs.get("description", "")) if var in cube.variables else ""


def _unit_label(name: str, attrs: Mapping[Hashable, Any]) -> str:
    units = attrs.get("units")
    return f"{name} [{units}]" if units not in (None, "") else name


# --- reading ----------------------------------------------------------------------------


def _is_read(name: str) -> bool:
    return name in ("n_runs", DONE_VAR) or name.endswith(READ_SUFFIXES)


def load_cube(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read the parts of a stored cube the report uses into memory.

    The histograms and exact tallies (``Q_hist``, ``Q_sum_fixed``, the bulk of a cube)
    are not read, so a large sweep's report needs little memory.

    Args:
        path: the cube's Zarr directory (a single-scenario cube or a sweep store).

    Returns:
        The cube with its probabilities, errors, yearly shares, quantiles, means, shares,
        run counts and ``points_done``, loaded.

    Raises:
        CubeError: if ``path`` does not exist or is not an abm cube.
    """
    with warnings.catch_warnings():
        # A sweep being written holds its lock file, which Zarr does not recognise.
        warnings.filterwarnings("ignore", message=f".*{re.escape(LOCK_NAME)}.*")
        ds = open_cube(path, lazy=True)
        keep = [str(k) for k in ds.data_vars if _is_read(str(k))]
        return ds[keep].load()


def _config(cube: xr.Dataset) -> dict[str, Any]:
    """The cube's resolved config (attribute ``config``), parsed; empty if absent or bad."""
    text = cube.attrs.get("config")
    if not isinstance(text, str):
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _levers(cube: xr.Dataset) -> list[str]:
    """The varied levers: attribute ``varied``, else every coordinate on ``point``."""
    on_point = [str(k) for k, c in cube.coords.items() if c.dims == (POINT_DIM,) and k != POINT_DIM]
    varied = [n for n in str(cube.attrs.get("varied", "")).split(",") if n]
    return [n for n in varied if n in on_point] if varied else on_point


def lever_unit(name: str) -> str | None:
    """The catalogue unit of a varied lever or parameter (one unit for all it sets).

    Returns None when the name is not in the catalogue (or its members' units differ).
    """
    from abm.config.names import levers, mechanisms

    for table in (levers(), mechanisms()):
        if name in table:
            units = {p.unit for p in table.targets(name)}
            return units.pop() if len(units) == 1 else None
    return None


def _with_lever_units(cube: xr.Dataset, names: Sequence[str]) -> xr.Dataset:
    """The cube with a ``units`` attribute on each lever coordinate that lacks one."""
    fix = {}
    for n in names:
        if cube[n].attrs.get("units") in (None, ""):
            unit = lever_unit(n)
            if unit:
                fix[n] = cube[n].assign_attrs(units=unit)
    return cube.assign_coords(fix) if fix else cube


def _done(cube: xr.Dataset) -> np.ndarray:
    """``points_done`` as bool ``[n_points]`` (all True when the cube has no flags)."""
    if DONE_VAR in cube.variables:
        return np.asarray(cube[DONE_VAR].values, dtype=bool).reshape(-1)
    return np.ones(cube.sizes[POINT_DIM], dtype=bool)


# --- header -----------------------------------------------------------------------------


def _title(cube: xr.Dataset) -> str:
    a = cube.attrs
    stance = a.get("stance")
    under = f", stance {stance}" if stance and stance != "none" else ""
    if POINT_DIM in cube.dims and "sweep" in a:
        return f"Sweep {a['sweep']} (scenario {a.get('scenario', '?')}{under})"
    return f"Scenario {a.get('scenario', '?')}{under}"


def _provenance(doc: _Doc, cube: xr.Dataset) -> None:
    attrs = {str(k): v for k, v in cube.attrs.items()}
    keys = [k for k in PROVENANCE_FIRST if k in attrs]
    keys += sorted(k for k in attrs if k not in keys and k not in LONG_ATTRS)
    doc.section("provenance", "Provenance")
    rows = [
        f'<tr><td class="key">{esc(k)}</td><td class="val">{esc(attrs[k])}</td></tr>' for k in keys
    ]
    doc.raw("<table>\n<tr><th>attribute</th><th>value</th></tr>\n" + "\n".join(rows) + "\n</table>")
    config = attrs.get("config")
    if isinstance(config, str) and config:
        doc.raw(
            "<details><summary>Resolved config (the text its config_hash is the SHA-256 "
            f"of)</summary><pre>{esc(config)}</pre></details>"
        )


# --- single scenario --------------------------------------------------------------------


def _scalar(da: xr.DataArray) -> float:
    return float(np.asarray(da.values, dtype=np.float64).reshape(-1)[0])


def _events_table(doc: _Doc, cube: xr.Dataset, events: Sequence[str]) -> None:
    z = z_value(CONF_LEVEL)
    n = cube.get("n_runs")
    n_runs = int(n.values) if n is not None and n.ndim == 0 else None
    rows = []
    for e in events:
        p, se = (_scalar(v) for v in probability_with_error(cube, e))
        lo, hi = max(0.0, p - z * se), min(1.0, p + z * se)
        count = cube.get(f"{e}_count")
        cnt = _fmt(int(count.values)) if count is not None and count.ndim == 0 else "-"
        rows.append(
            [
                e,
                _describe(cube, f"{e}_prob"),
                cnt,
                _prob(p),
                f"{se:.4f}",
                f"[{_prob(lo)}, {_prob(hi)}]",
            ]
        )
    doc.table(
        [
            "event",
            "description",
            "runs in which it happened",
            "probability",
            "MC s.e.",
            f"{CONF_LEVEL:.0%} interval",
        ],
        rows,
        [False, False, True, True, True, True],
    )
    runs = f" of {n_runs:,} runs" if n_runs else ""
    doc.para(
        f"Probability: share{runs} in which the event happened (by the end of the calendar); "
        "MC s.e.: its binomial Monte Carlo standard error sqrt(p (1 - p) / n); interval: "
        f"normal approximation p ± {z:.2f} s.e., clipped to [0, 1]. When no run (or every "
        "run) shows the event the standard error is 0: the true probability is then below "
        "about 3 / n (above 1 - 3 / n) at 95 %.",
        "meta",
    )


def _categories(doc: _Doc, cube: xr.Dataset) -> None:
    names = sorted(
        str(k)[: -len("_share")]
        for k, v in cube.data_vars.items()
        if str(k).endswith("_share") and v.attrs.get("kind", "category") == "category"
    )
    names = [c for c in names if c in cube[f"{c}_share"].dims]
    if not names:
        return
    z = z_value(CONF_LEVEL)
    doc.section("categories", "Categories: share of runs in each")
    for c in names:
        share = cube[f"{c}_share"]
        se = cube.get(f"{c}_se")
        doc.heading(f"{c}: {_describe(cube, f'{c}_share')}".rstrip(": "))
        rows = []
        for label in share[c].values.tolist():
            p = float(share.sel({c: label}).values)
            s = float(se.sel({c: label}).values) if se is not None else float("nan")
            interval = (
                f"[{_prob(max(0.0, p - z * s))}, {_prob(min(1.0, p + z * s))}]"
                if math.isfinite(s)
                else "-"
            )
            rows.append([label, _prob(p), f"{s:.4f}" if math.isfinite(s) else "-", interval])
        doc.table(
            [c, "share of runs", "MC s.e.", f"{CONF_LEVEL:.0%} interval"],
            rows,
            [False, True, True, True],
        )


def _fan_quantities(cube: xr.Dataset) -> list[tuple[str, str]]:
    """``(quantity, dimension)`` of the quantities with one dimension of enough labels."""
    out = []
    for q in _ordered(quantity_names(cube), MAIN_QUANTITIES):
        dims = [str(d) for d in cube[f"{q}_quantiles"].dims if d != QUANTILE_DIM]
        if len(dims) == 1 and cube.sizes[dims[0]] >= MIN_FAN_POINTS:
            out.append((q, dims[0]))
    return out[:MAX_FANS]


def _scalar_quantities(doc: _Doc, cube: xr.Dataset) -> None:
    names = [
        q
        for q in quantity_names(cube)
        if [d for d in cube[f"{q}_quantiles"].dims if d != QUANTILE_DIM] == []
    ]
    if not names:
        return
    doc.section("scalars", "Single-valued quantities: spread across runs")
    levels = [float(v) for v in cube[QUANTILE_DIM].values.tolist()]
    rows = []
    for q in names:
        qs = cube[f"{q}_quantiles"]
        mean = cube.get(f"{q}_mean")
        rows.append(
            [q, str(qs.attrs.get("units", "")), _describe(cube, f"{q}_quantiles")]
            + [_fmt(float(qs.sel({QUANTILE_DIM: lv}).values)) for lv in levels]
            + [_fmt(float(mean.values)) if mean is not None else "-"]
        )
    doc.table(
        ["quantity", "units", "description"] + [f"{lv:.0%} of runs" for lv in levels] + ["mean"],
        rows,
        [False, False, False] + [True] * (len(levels) + 1),
    )
    doc.para(
        "A column 'x % of runs' is the value that x % of the runs stay at or below "
        "(quantiles from the exact histogram tallies).",
        "meta",
    )


def _single(doc: _Doc, cube: xr.Dataset) -> None:
    events = _ordered(event_names(cube), MAIN_EVENTS)
    if events:
        doc.section("events", "Event probabilities")
        _events_table(doc, cube, events)
        shown = [e for e in events if f"{e}_by_year" in cube.data_vars][:MAX_FIGURES]
        if shown:
            doc.section("event-years", "When the events first happened")
            for e in shown:
                fig = event_year_distribution(cube, e)
                doc.figure(
                    fig,
                    f"{e}: share of runs in which it first happened, by year",
                    "Bars: share of runs in which the event first happened that year; line: "
                    "cumulative share by the end of each year.",
                )
    else:
        doc.note("The cube holds no events.")
    _categories(doc, cube)
    fans = _fan_quantities(cube)
    if fans:
        doc.section("quantities", "Quantities over time: spread across runs")
        for q, dim in fans:
            fig = fan_chart(cube, q, dim)
            doc.figure(
                fig,
                f"{q} over {dim}: fan chart",
                "Bands: 5-95 % and 25-75 % of runs; line: median; dashed: mean.",
            )
    _scalar_quantities(doc, cube)


# --- sweep ------------------------------------------------------------------------------


def _lever_text(cube: xr.Dataset, levers: Sequence[str], i: int) -> str:
    return ", ".join(f"{n}={_fmt(float(cube[n].values[i]))}" for n in levers)


def _sweep_summary(
    doc: _Doc, sub: xr.Dataset, levers: Sequence[str], events: Sequence[str]
) -> None:
    doc.section("events", "Event probabilities over the points")
    rows = []
    for e in events:
        p = np.asarray(sub[f"{e}_prob"].values, dtype=np.float64)
        se = np.asarray(sub[f"{e}_se"].values, dtype=np.float64)
        lo, hi = int(np.nanargmin(p)), int(np.nanargmax(p))
        rows.append(
            [
                e,
                _describe(sub, f"{e}_prob"),
                _prob(float(p[lo])),
                _lever_text(sub, levers, lo),
                _prob(float(np.nanmedian(p))),
                _prob(float(p[hi])),
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
            f"{', '.join(_fmt(int(r)) for r in runs)}. Each probability carries its own "
            "Monte Carlo standard error (largest shown); differences between points smaller "
            "than about 3 such errors may be noise.",
            "meta",
        )


def _is_full_grid(cube: xr.Dataset, levers: Sequence[str]) -> bool:
    """Whether the points are every combination of the levers' values, each once."""
    if len(levers) < 1:
        return False
    cols = [np.asarray(cube[n].values) for n in levers]
    n_points = cube.sizes[POINT_DIM]
    combos = set(zip(*(c.tolist() for c in cols), strict=True))
    return len(combos) == n_points and math.prod(len(np.unique(c)) for c in cols) == n_points


def _grid_maps(
    doc: _Doc, cube: xr.Dataset, done: np.ndarray, levers: Sequence[str], events: Sequence[str]
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
        per = f", {_fmt(int(vals[0]))} runs per point" if vals.size == 1 else ""
    for e in events[:MAX_FIGURES]:
        prob = lever_grid(cube[f"{e}_prob"].where(mask), list(levers))
        se = lever_grid(cube[f"{e}_se"].where(mask), list(levers))
        if rest:
            k = prob.notnull().sum(rest)
            prob = prob.mean(rest, skipna=True)
            se = (se**2).sum(rest, skipna=True) ** 0.5 / k.where(k > 0)
        desc = _describe(cube, f"{e}_prob")
        doc.heading(f"Heat map: {e}")
        avg = f"mean over {', '.join(rest)}" if rest else ""
        cells = "cells: probability ± MC standard error"
        fig = heatmap(
            prob,
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


def _lever_line(
    doc: _Doc, cube: xr.Dataset, done: np.ndarray, lever: str, events: Sequence[str]
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
    ax.set_xlabel(_unit_label(lever, cube[lever].attrs))
    ax.set_ylabel("probability [1]")
    ax.set_ylim(0.0, 1.0)
    ax.legend(loc="best", fontsize=8)
    ax.set_title(f"Event probabilities over {lever} (bars: {CONF_LEVEL:.0%} interval)")
    doc.section("lever", f"Probabilities over {lever}")
    doc.figure(fig, f"event probabilities over {lever}")


def _sobol(
    doc: _Doc, cube: xr.Dataset, done: np.ndarray, levers: Sequence[str], events: Sequence[str]
) -> None:
    if _design_kind(cube) != "sobol":
        return
    config = _config(cube)
    design = config.get("design")
    design = design if isinstance(design, Mapping) else {}
    doc.section("sobol", "Sobol' sensitivity indices")
    vary = config.get("vary")
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
            figs.append((e, _sobol_tornado(e, trows, int(si.attrs["N"]))))
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


def _sobol_tornado(event: str, rows: list[dict[str, Any]], n: int) -> Figure:
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


def _prim(doc: _Doc, sub: xr.Dataset, levers: Sequence[str], events: Sequence[str]) -> None:
    doc.section("prim", "PRIM: where the points avoid a Nazi seizure of power and civil war")
    missing = [e for e in PRIM_EVENTS if e not in events]
    if missing:
        doc.note(
            f"The default outcome needs the events {', '.join(PRIM_EVENTS)}; the cube lacks "
            f"{', '.join(missing)}: PRIM skipped."
        )
        return
    n = sub.sizes[POINT_DIM]
    if n < 2 or not levers:
        doc.note(f"PRIM needs at least 2 points done and a varied lever ({n} done): skipped.")
        return
    p_a = np.asarray(sub[f"{PRIM_EVENTS[0]}_prob"].values, dtype=np.float64)
    p_b = np.asarray(sub[f"{PRIM_EVENTS[1]}_prob"].values, dtype=np.float64)
    value = np.clip(1.0 - p_a - p_b, 0.0, 1.0)
    threshold = float(np.quantile(value, PRIM_CASE_QUANTILE))
    cases = value >= threshold
    doc.para(
        "The cube holds each event's probability on its own, not their joint one, so each "
        "point is scored by the lower bound P(no Nazi seizure of power and no German civil "
        f"war) >= 1 - P({PRIM_EVENTS[0]}) - P({PRIM_EVENTS[1]}) (clipped at 0). Cases: the "
        f"points scoring in the top {1 - PRIM_CASE_QUANTILE:.0%} over the points done "
        f"(score >= {threshold:.3f}). PRIM then looks for a box of lever values holding many "
        "cases (coverage) and few other points (density)."
    )
    if np.ptp(value) == 0.0 or cases.all():
        doc.note(f"Every point scores {threshold:.3f} or more: no box to find, PRIM skipped.")
        return
    x = np.stack([np.asarray(sub[n_].values, dtype=np.float64) for n_ in levers], axis=1)
    try:
        res = prim_box(x, cases, names=list(levers))
    except ValueError as err:
        doc.note(f"PRIM failed: {err}")
        return
    box = res.box
    rows = [
        [
            name,
            _fmt(float(lo)),
            _fmt(float(hi)),
            _fmt(float(x[:, i].min())),
            _fmt(float(x[:, i].max())),
            "yes" if r else "no",
        ]
        for i, (name, lo, hi, r) in enumerate(
            zip(box.names, box.lower, box.upper, box.restricted, strict=True)
        )
    ]
    doc.table(
        ["lever", "box low", "box high", "points' lowest", "points' highest", "restricted"],
        rows,
        [False, True, True, True, True, False],
    )
    doc.table(
        ["coverage", "density", "support", "points inside", "cases", "points"],
        [
            [
                _prob(box.coverage),
                _prob(box.density),
                _prob(box.support),
                str(box.n_inside),
                str(int(cases.sum())),
                str(n),
            ]
        ],
        [True] * 6,
    )
    doc.para(
        "coverage: cases inside the box / all cases; density: cases inside / points inside; "
        f"support: points inside / all points (step {res.chosen_step} of the peeling "
        f"trajectory, rule {res.rule}, then pasted).",
        "meta",
    )
    doc.figure(
        _prim_figure(sub, levers, box.restricted_dims, x, cases, value, box.lower, box.upper),
        "PRIM box over the levers, cases marked",
    )


def _prim_figure(
    sub: xr.Dataset,
    levers: Sequence[str],
    restricted: Sequence[str],
    x: np.ndarray,
    cases: np.ndarray,
    value: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> Figure:
    """The points over the two most telling levers (restricted first), the box drawn."""
    order = [levers.index(n) for n in restricted] + [
        i for i, n in enumerate(levers) if n not in restricted
    ]
    fig = Figure(figsize=(6.5, 4.6), layout="constrained")
    ax = fig.add_subplot()
    i = order[0]
    if len(order) >= 2:
        j = order[1]
        ys = x[:, j]
        ylabel = _unit_label(levers[j], sub[levers[j]].attrs)
        ylo, yhi = float(lower[j]), float(upper[j])
    else:
        ys = value
        ylabel = "score: 1 - P(nazi_power) - P(german_civil_war) [1]"
        ylo, yhi = float(np.min(value)), float(np.max(value))
    ax.scatter(x[~cases, i], ys[~cases], c="tab:grey", s=25, label="other points")
    ax.scatter(x[cases, i], ys[cases], c="tab:green", s=35, marker="s", label="cases")
    rect = Rectangle(
        (float(lower[i]), ylo),
        float(upper[i] - lower[i]),
        yhi - ylo,
        fill=False,
        edgecolor="tab:red",
        lw=2,
        ls="--",
    )
    ax.add_patch(rect)
    ax.plot([], [], color="tab:red", lw=2, ls="--", label="PRIM box")
    ax.margins(0.08)
    ax.set_xlabel(_unit_label(levers[i], sub[levers[i]].attrs))
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title(
        "PRIM box: no Nazi seizure of power and no German civil war\n"
        f"cases: top {1 - PRIM_CASE_QUANTILE:.0%} of points by "
        f"1 - P({PRIM_EVENTS[0]}) - P({PRIM_EVENTS[1]})"
    )
    return fig


def _sweep(doc: _Doc, cube: xr.Dataset) -> None:
    done = _done(cube)
    n_total, n_done = done.size, int(done.sum())
    levers = _levers(cube)
    cube = _with_lever_units(cube, levers)
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
    events = _ordered(event_names(cube), MAIN_EVENTS)
    if not events:
        doc.note("The cube holds no events.")
        return
    _sweep_summary(doc, sub, levers, events)
    if len(levers) >= 2 and _is_full_grid(cube, levers):
        _grid_maps(doc, cube, done, levers, events)
    elif len(levers) == 1:
        _lever_line(doc, cube, done, levers[0], events)
    _sobol(doc, cube, done, levers, events)
    _prim(doc, sub, levers, events)


# --- the document -----------------------------------------------------------------------


def report_html(cube: xr.Dataset, source: str | os.PathLike[str] | None = None) -> str:
    """Render a cube as one self-contained HTML document.

    Args:
        cube: a result cube in memory (single scenario, or a sweep over ``point``), e.g.
            from :func:`load_cube` or :func:`abm.api.run`.
        source: where the cube lies (shown in the header), e.g. its Zarr path.

    Returns:
        The HTML text (UTF-8 when written): inline CSS, plots as PNG data URIs, no
        external resource.

    Raises:
        ValueError: if ``cube`` is not an xarray Dataset.
    """
    if not isinstance(cube, xr.Dataset):
        raise ValueError(f"cube must be an xarray.Dataset, got {type(cube).__name__}")
    from abm.provenance import package_version

    title = _title(cube)
    doc = _Doc()
    head = [f"<h1>{esc(title)}</h1>"]
    if source is not None:
        head.append(f'<p class="meta">Cube: <code>{esc(os.fspath(source))}</code></p>')
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    head.append(f'<p class="meta">Report written {esc(now)} by abm {esc(package_version())}.</p>')
    if POINT_DIM in cube.dims:
        done = _done(cube)
        head.append(
            f'<p class="meta">Points done: {int(done.sum())} / {done.size}; varied: '
            f"{esc(', '.join(_levers(cube)) or 'none')}; design: {esc(_design_text(cube))}.</p>"
        )
    _provenance(doc, cube)
    if POINT_DIM not in cube.dims:
        _single(doc, cube)
    elif cube.sizes[POINT_DIM] == 1:
        if _done(cube).all():
            _single(doc, cube.isel({POINT_DIM: 0}))
        else:
            doc.note("The cube's one point is not done (points_done False): nothing to report.")
    else:
        _sweep(doc, cube)
    toc = "".join(f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t in doc.toc)
    body = "\n".join([*head, f"<nav><ul>{toc}</ul></nav>", *doc.parts])
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _design_kind(cube: xr.Dataset) -> str | None:
    """The sweep design's kind (``grid``, ``lhs``, ``sobol``, ``list``), if the cube says."""
    design = _config(cube).get("design")
    if isinstance(design, Mapping) and "kind" in design:
        return str(design["kind"])
    kind = cube.attrs.get("design")
    return str(kind) if kind is not None else None


def _design_text(cube: xr.Dataset) -> str:
    """The design in a few words, e.g. ``grid; points_per_dim a=11, b=11``."""
    design = _config(cube).get("design")
    if not isinstance(design, Mapping):
        return _design_kind(cube) or "unknown"
    parts = [str(design.get("kind", "unknown"))]
    for k, v in design.items():
        if k in ("kind", "points"):
            continue
        value = ", ".join(f"{a}={b}" for a, b in v.items()) if isinstance(v, Mapping) else v
        parts.append(f"{k} {value}")
    return "; ".join(parts)


def default_report_path(cube_path: str | os.PathLike[str]) -> Path:
    """Where ``abm report`` writes by default: beside the cube, ``<name>.html``.

    ``results/otl.zarr`` gives ``results/otl.html``; a cube directory without the
    ``.zarr`` suffix, ``results/otl``, gives ``results/otl.html`` too.
    """
    path = Path(os.path.abspath(cube_path))
    stem = path.stem if path.suffix == ".zarr" else path.name
    return path.parent / f"{stem}.html"


def write_text_atomic(text: str, out: str | os.PathLike[str]) -> Path:
    """Write ``text`` (UTF-8) to ``out`` atomically: a temporary sibling, then a rename.

    A reader never sees a half-written file; on failure the temporary file is removed and
    an existing ``out`` is left as it was. Missing parent folders are created.
    """
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_report(
    cube_path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None
) -> Path:
    """Read a stored cube and write its HTML report.

    Args:
        cube_path: the cube's Zarr directory (a single-scenario cube or a sweep store,
            finished or not).
        out: the HTML file (default: :func:`default_report_path`).

    Returns:
        The path written.

    Raises:
        CubeError: if ``cube_path`` does not exist or is not an abm cube, or ``out`` lies
            inside the cube.
    """
    src = Path(cube_path)
    target = Path(out) if out is not None else default_report_path(src)
    if src.is_dir() and Path(os.path.abspath(target)).is_relative_to(os.path.abspath(src)):
        raise CubeError(f"the report {target} would be written inside the cube {src}")
    cube = load_cube(src)
    return write_text_atomic(report_html(cube, source=src), target)


__all__ = [
    "default_report_path",
    "load_cube",
    "report_html",
    "write_report",
    "write_text_atomic",
]
