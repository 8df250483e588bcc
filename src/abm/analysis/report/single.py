"""The sections of a single-scenario report: events, categories and quantities."""

from __future__ import annotations

import math
from collections.abc import Sequence

import xarray as xr

from abm.analysis.cubes import probability_with_error, z_value
from abm.analysis.meta import (
    events_headline_first,
    headline_first,
    headline_quantities,
    ordered_quantities,
)
from abm.analysis.plots import event_year_distribution, fan_chart
from abm.analysis.report.document import Doc
from abm.analysis.report.fmt import CONF_LEVEL, describe, fmt, prob, scalar
from abm.cube.schema import QUANTILE_DIM

#: At most this many event-year figures.
MAX_FIGURES = 8

#: At most this many fan charts.
MAX_FANS = 4

#: A quantity is charted over its one non-quantile dimension if it has this many labels.
MIN_FAN_POINTS = 4


def events_table(doc: Doc, cube: xr.Dataset, events: Sequence[str]) -> None:
    """Each event's runs, probability, Monte Carlo standard error and interval."""
    z = z_value(CONF_LEVEL)
    n = cube.get("n_runs")
    n_runs = int(n.values) if n is not None and n.ndim == 0 else None
    rows = []
    for e in events:
        p, se = (scalar(v) for v in probability_with_error(cube, e))
        lo, hi = max(0.0, p - z * se), min(1.0, p + z * se)
        count = cube.get(f"{e}_count")
        cnt = fmt(int(count.values)) if count is not None and count.ndim == 0 else "-"
        rows.append(
            [e, describe(cube, f"{e}_prob"), cnt, prob(p), f"{se:.4f}", f"[{prob(lo)}, {prob(hi)}]"]
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


def categories(doc: Doc, cube: xr.Dataset) -> None:
    """A table per category: the share of runs in each label, with its error."""
    names = [
        str(k)[: -len("_share")]
        for k, v in cube.data_vars.items()
        if str(k).endswith("_share") and v.attrs.get("kind", "category") == "category"
    ]
    names = [c for c in names if c in cube[f"{c}_share"].dims]
    if not names:
        return
    z = z_value(CONF_LEVEL)
    doc.section("categories", "Categories: share of runs in each")
    for c in names:
        share = cube[f"{c}_share"]
        se = cube.get(f"{c}_se")
        doc.heading(f"{c}: {describe(cube, f'{c}_share')}".rstrip(": "))
        rows = []
        for label in share[c].values.tolist():
            p = float(share.sel({c: label}).values)
            s = float(se.sel({c: label}).values) if se is not None else float("nan")
            interval = (
                f"[{prob(max(0.0, p - z * s))}, {prob(min(1.0, p + z * s))}]"
                if math.isfinite(s)
                else "-"
            )
            rows.append([label, prob(p), f"{s:.4f}" if math.isfinite(s) else "-", interval])
        doc.table(
            [c, "share of runs", "MC s.e.", f"{CONF_LEVEL:.0%} interval"],
            rows,
            [False, True, True, True],
        )


def fan_quantities(cube: xr.Dataset) -> list[tuple[str, str]]:
    """``(quantity, dimension)`` of the quantities with one dimension of enough labels.

    The cube's headline quantities come first, then the others in cube order.
    """
    out = []
    for q in headline_first(ordered_quantities(cube), headline_quantities(cube)):
        dims = [str(d) for d in cube[f"{q}_quantiles"].dims if d != QUANTILE_DIM]
        if len(dims) == 1 and cube.sizes[dims[0]] >= MIN_FAN_POINTS:
            out.append((q, dims[0]))
    return out[:MAX_FANS]


def scalar_quantities(doc: Doc, cube: xr.Dataset) -> None:
    """A table of the quantities with one value per run: quantiles and mean."""
    names = [
        q
        for q in ordered_quantities(cube)
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
            [q, str(qs.attrs.get("units", "")), describe(cube, f"{q}_quantiles")]
            + [fmt(float(qs.sel({QUANTILE_DIM: lv}).values)) for lv in levels]
            + [fmt(float(mean.values)) if mean is not None else "-"]
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


def single(doc: Doc, cube: xr.Dataset) -> None:
    """The report body of one scenario (or one sweep point)."""
    events = events_headline_first(cube)
    if events:
        doc.section("events", "Event probabilities")
        events_table(doc, cube, events)
        shown = [e for e in events if f"{e}_by_year" in cube.data_vars][:MAX_FIGURES]
        if shown:
            doc.section("event-years", "When the events first happened")
            for e in shown:
                doc.figure(
                    event_year_distribution(cube, e),
                    f"{e}: share of runs in which it first happened, by year",
                    "Bars: share of runs in which the event first happened that year; line: "
                    "cumulative share by the end of each year.",
                )
    else:
        doc.note("The cube holds no events.")
    categories(doc, cube)
    fans = fan_quantities(cube)
    if fans:
        doc.section("quantities", "Quantities over time: spread across runs")
        for q, dim in fans:
            doc.figure(
                fan_chart(cube, q, dim),
                f"{q} over {dim}: fan chart",
                "Bands: 5-95 % and 25-75 % of runs; line: median; dashed: mean.",
            )
    scalar_quantities(doc, cube)


__all__ = ["categories", "events_table", "fan_quantities", "scalar_quantities", "single"]
