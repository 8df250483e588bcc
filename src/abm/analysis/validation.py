"""Score a cube against historical targets with proper scores (``abm validate``).

For each :class:`~abm.analysis.targets.ValidationTarget` the cube gives a predictive
distribution (:class:`~abm.analysis.scores.Mixture`):

* ``kind == "quantity"``: the histogram ``Q_hist`` of the target's cell over ``Q_bin``,
  with the bin edges the cube records (the attribute ``bin_edges`` of ``Q_hist``),
  uniform inside each bin, divided by the target's ``scale``. The end bins also hold the
  runs whose value fell outside the edges, spread over the end bin like the others.
* ``kind == "event_date"``: the event's runs by year (the differences of the cumulative
  ``E_by_year_count``), uniform inside each year over the months the calendar covers,
  in decimal years; the runs in which the event never happened are a point mass at the
  calendar's end (the end of its last month; from the cube's ``config`` attribute,
  ``calendar.end``, else the end of the last year). A historical date is the middle of
  the event's month, ``year + (month - 0.5) / 12``.

* ``kind == "category"``: the histogram of the target's cell as probabilities of
  categories, one bin per category (the bin whose centre, over ``scale``, is the
  category's code); ``historical`` is the code of what happened. Scores: the probability
  given to it (``p_hist``), the Brier score ``sum_k (p_k - [k = h])^2``, the log score
  ``-ln p_h`` (``p_h`` floored at half a run, ``1 / (2 n)``, so that a category no run
  took scores finitely), whether it is the most likely category (``modal``: the
  landscape-theory count of states put on their side), and whether it lies inside the
  smallest set of the most likely categories that holds 50 % and 90 % of the runs
  (``inside50``, ``inside90``). Quantiles, interval score, CRPS and PIT are NaN.

Per target: the 5/25/50/75/95 % quantiles, whether the historical value lies inside the
central 50 % and 90 % intervals, the interval score at alpha = 0.1, the exact CRPS, the
PIT (randomised on a point mass with a seeded generator) and the sharpness ``rel_width90
= (q95 - q05) / |historical|``. The relative figures (``crps_rel``, ``is_rel``,
``rel_width90``) are those of quantity targets only: an event date's are NaN (a width
in years over a year such as 1933 says nothing) and left out of the relative summaries;
its CRPS and interval score stay in years in the per-target table.

Per group and split (and over all groups, and both splits): coverage at 50 % and 90 %,
the mean relative interval score, the mean relative CRPS, the median relative width, the
count, and over category targets the mean Brier score and the number of modal hits (NaN
without category targets). Nothing here imports JAX.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from abm.analysis.scores import Mixture, interval_score
from abm.analysis.targets import ValidationTarget
from abm.cube.schema import POINT_DIM, YEAR_DIM
from abm.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Probabilities of the reported quantiles.
LEVELS: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Level of the interval score (the central 90 % interval).
ALPHA = 0.1
#: The name of the group and of the split that summarise all rows.
ALL = "all"


@dataclass
class Validation:
    """The scores of one cube (one point of a sweep) against targets.

    Attributes:
        per_target: one row per target: ``target, group, split, kind, historical, n,
            q05, q25, q50, q75, q95, inside50, inside90, interval_score, is_rel, crps,
            crps_rel, pit, rel_width90, p_hist, brier, log_score, modal`` (scores in the
            target's unit; the last four of category targets only, else NaN).
        per_group: one row per group and split (``all`` for every group, every split):
            ``group, split, count, coverage50, coverage90, is_rel, crps_rel,
            rel_width90, brier, modal_hits`` (fractions; the mean relative interval score
            and CRPS, the median relative width; the mean Brier score and the number of
            modal hits of category targets).
        pit: the PIT value of each scored target, indexed by target id.
        point: the sweep point scored, or None for a single-scenario cube.
    """

    per_target: pd.DataFrame
    per_group: pd.DataFrame
    pit: pd.Series
    point: int | None = None

    def overall(self) -> pd.Series:
        """The row of ``per_group`` over every group and split."""
        g = self.per_group
        return g[(g["group"] == ALL) & (g["split"] == ALL)].iloc[0]

    def to_markdown(self) -> str:
        """The per-group table as Markdown (numbers to three significant digits)."""
        return markdown_table(self.per_group)


def _fmt(v: object) -> str:
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return "-" if not math.isfinite(float(v)) else f"{float(v):.3g}"
    return str(v)


def markdown_table(df: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (no index)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def select_point(ds: xr.Dataset, point: int | None) -> xr.Dataset:
    """The cube of one point: ``ds`` itself without a ``point`` dim, else point ``point``.

    Raises:
        InputError: if the cube has several points and ``point`` is None, or ``point`` is
            out of range.
    """
    from abm.analysis.meta import as_points

    ds = as_points(ds)
    if POINT_DIM not in ds.dims:
        if point not in (None, 0):
            raise InputError(f"point {point}: the cube is a single scenario (no points)")
        return ds
    n = ds.sizes[POINT_DIM]
    if point is None:
        if n == 1:
            return ds.isel({POINT_DIM: 0})
        raise InputError(
            f"the cube is a sweep of {n} points; choose one to score: --point N (point=N), "
            f"allowed 0..{n - 1}"
        )
    if not 0 <= point < n:
        raise InputError(f"point {point} is out of range; allowed: 0..{n - 1}")
    return ds.isel({POINT_DIM: point})


def calendar_bounds(ds: xr.Dataset) -> tuple[float, float]:
    """Start and end of the cube's calendar as decimal years.

    From the ``config`` attribute's ``calendar: {start, end}`` (``YYYY-MM``, end month
    included), else the first and last year of the ``year`` coordinate, whole.
    """
    years = [int(y) for y in ds[YEAR_DIM].values.tolist()]
    start, end = float(years[0]), float(years[-1] + 1)
    try:
        cal = yaml.safe_load(str(ds.attrs.get("config", ""))) or {}
        cal = cal.get("calendar", {}) if isinstance(cal, dict) else {}
        y0, m0 = (int(v) for v in str(cal["start"]).split("-"))
        y1, m1 = (int(v) for v in str(cal["end"]).split("-"))
    except (yaml.YAMLError, KeyError, ValueError, TypeError, AttributeError):
        return start, end
    if y0 == years[0] and y1 == years[-1]:
        return y0 + (m0 - 1) / 12.0, y1 + m1 / 12.0
    return start, end


def _cube_has(ds: xr.Dataset, t: ValidationTarget) -> str:
    """What the cube offers for ``t``'s kind (for the error messages)."""
    suffix = "_hist" if t.kind == "quantity" else "_by_year_count"
    names = sorted(str(k)[: -len(suffix)] for k in ds.data_vars if str(k).endswith(suffix))
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"the cube's {'quantities' if t.kind == 'quantity' else 'events'}: {shown or 'none'}"


def _cell_counts(ds: xr.Dataset, t: ValidationTarget) -> tuple[np.ndarray, np.ndarray]:
    """The histogram counts of ``t``'s cell and the bin edges (in the cube's unit)."""
    name = f"{t.outcome}_hist"
    if name not in ds.data_vars:
        raise InputError(
            f"target {t.target}: the cube has no quantity {t.outcome!r}; {_cube_has(ds, t)}"
        )
    hist = ds[name]
    edges = hist.attrs.get("bin_edges")
    if edges is None:
        raise InputError(f"target {t.target}: {name} records no bin_edges attribute")
    own = [str(d) for d in hist.dims if d != f"{t.outcome}_bin"]
    given = [d for d, _ in t.cell]
    if sorted(given) != sorted(own):
        raise InputError(
            f"target {t.target}: cell {dict(t.cell)} does not name the dimensions of "
            f"{t.outcome!r}; the cube has {own or 'none (a scalar)'}"
        )
    sel: dict[str, Any] = {}
    for dim, label in t.cell:
        labels = [str(v) for v in ds[dim].values.tolist()]
        if label not in labels:
            shown = ", ".join(labels[:20]) + (", ..." if len(labels) > 20 else "")
            raise InputError(
                f"target {t.target}: {t.outcome!r} has no {dim}={label!r}; the cube has {shown}"
            )
        sel[dim] = labels.index(label)
    return np.asarray(hist.isel(sel).values, np.float64), np.asarray(edges, np.float64)


def _quantity(ds: xr.Dataset, t: ValidationTarget) -> tuple[Mixture | None, int]:
    counts, edges = _cell_counts(ds, t)
    n = int(counts.sum())
    if n == 0:
        return None, 0
    return Mixture.histogram(counts, edges / t.scale), n


def _category(ds: xr.Dataset, t: ValidationTarget) -> tuple[np.ndarray | None, int, int]:
    """A category target's forecast.

    Returns:
        (the categories' probabilities, None without runs; the historical one's index;
        the number of runs).
    """
    counts, edges = _cell_counts(ds, t)
    codes = 0.5 * (edges[:-1] + edges[1:]) / t.scale
    at = np.flatnonzero(np.isclose(codes, t.historical))
    if at.size != 1:
        shown = ", ".join(f"{c:g}" for c in codes)
        raise InputError(
            f"target {t.target}: category code {t.historical:g} is not one bin of "
            f"{t.outcome!r}; its bins' codes are {shown}"
        )
    n = int(counts.sum())
    return (counts / n if n else None), int(at[0]), n


def _inside(probs: np.ndarray, k: int, level: float) -> bool:
    """Whether category ``k`` is among the fewest most likely ones holding ``level``."""
    order = np.argsort(-probs, kind="stable")
    held = np.cumsum(probs[order])
    m = int(np.searchsorted(held, level - 1e-12)) + 1
    return bool(k in order[:m])


def _head(t: ValidationTarget, n: int) -> dict[str, Any]:
    """The identifying columns of a target's row."""
    return {
        "target": t.target,
        "group": t.group,
        "split": t.split,
        "kind": t.kind,
        "historical": float(t.historical),
        "n": n,
    }


def _score_category(ds: xr.Dataset, t: ValidationTarget) -> dict[str, Any]:
    probs, k, n = _category(ds, t)
    nan = math.nan
    row: dict[str, Any] = {
        **_head(t, n),
        **{f"q{round(p * 100):02d}": nan for p in LEVELS},
        "interval_score": nan,
        "crps": nan,
        "pit": nan,
        "is_rel": nan,
        "crps_rel": nan,
        "rel_width90": nan,
    }
    if probs is None:
        row.update(inside50=False, inside90=False, p_hist=nan, brier=nan, log_score=nan)
        row["modal"] = nan
        return row
    hit = np.zeros_like(probs)
    hit[k] = 1.0
    row.update(
        inside50=_inside(probs, k, 0.5),
        inside90=_inside(probs, k, 0.9),
        p_hist=float(probs[k]),
        brier=float(np.sum((probs - hit) ** 2)),
        log_score=float(-math.log(max(probs[k], 0.5 / n))),
        modal=float(int(np.argmax(probs)) == k),
    )
    return row


def _event(ds: xr.Dataset, t: ValidationTarget) -> tuple[Mixture | None, int]:
    name = f"{t.outcome}_by_year_count"
    if name not in ds.data_vars:
        raise InputError(
            f"target {t.target}: the cube has no event {t.outcome!r}; {_cube_has(ds, t)}"
        )
    cum = np.asarray(ds[name].values, np.float64).reshape(-1)
    n = int(np.asarray(ds["n_runs"].values).reshape(-1)[0])
    if n == 0:
        return None, 0
    years = np.asarray(ds[YEAR_DIM].values, np.float64)
    start, end = calendar_bounds(ds)
    per_year = np.diff(cum, prepend=0.0)
    lo, hi = np.maximum(years, start), np.minimum(years + 1.0, end)
    never = max(n - float(cum[-1]), 0.0)
    return Mixture.build(lo, np.maximum(hi, lo), per_year, np.array([end]), np.array([never])), n


def _score(ds: xr.Dataset, t: ValidationTarget, u: float) -> dict[str, Any]:
    if t.kind == "category":
        return _score_category(ds, t)
    if t.kind not in ("quantity", "event_date"):
        raise InputError(
            f"target {t.target}: kind {t.kind!r}; allowed: quantity, event_date, category"
        )
    dist, n = _quantity(ds, t) if t.kind == "quantity" else _event(ds, t)
    row = _head(t, n)
    nan = math.nan
    if dist is None:
        row.update({f"q{round(p * 100):02d}": nan for p in LEVELS})
        row.update(inside50=False, inside90=False, interval_score=nan, crps=nan, pit=nan)
    else:
        x = float(t.historical)
        q = dist.quantile(np.asarray(LEVELS))
        row.update({f"q{round(p * 100):02d}": float(v) for p, v in zip(LEVELS, q, strict=True)})
        row.update(
            inside50=bool(q[1] <= x <= q[3]),
            inside90=bool(q[0] <= x <= q[4]),
            interval_score=interval_score(float(q[0]), float(q[4]), x, ALPHA),
            crps=dist.crps(x),
            pit=dist.pit(x, u),
        )
    ref = abs(float(t.historical)) if t.kind == "quantity" and t.historical != 0 else nan
    row["is_rel"] = row["interval_score"] / ref
    row["crps_rel"] = row["crps"] / ref
    row["rel_width90"] = (row["q95"] - row["q05"]) / ref
    row.update(p_hist=nan, brier=nan, log_score=nan, modal=nan)
    return row


def _summary(df: pd.DataFrame, group: str, split: str) -> dict[str, Any]:
    ok = df[df["n"] > 0]
    cats = ok[ok["kind"] == "category"]
    return {
        "group": group,
        "split": split,
        "count": len(ok),
        "coverage50": float(ok["inside50"].mean()) if len(ok) else math.nan,
        "coverage90": float(ok["inside90"].mean()) if len(ok) else math.nan,
        "is_rel": float(ok["is_rel"].mean()),
        "crps_rel": float(ok["crps_rel"].mean()),
        "rel_width90": float(ok["rel_width90"].median()),
        "brier": float(cats["brier"].mean()) if len(cats) else math.nan,
        "modal_hits": float(cats["modal"].sum()) if len(cats) else math.nan,
    }


def per_group(per_target: pd.DataFrame) -> pd.DataFrame:
    """Summaries per group and split: each group's splits and ``all``, then group ``all``."""
    rows = []
    groups = list(dict.fromkeys(per_target["group"].tolist()))
    for g in [*groups, ALL]:
        sub = per_target if g == ALL else per_target[per_target["group"] == g]
        for s in [*dict.fromkeys(sub["split"].tolist()), ALL]:
            part = sub if s == ALL else sub[sub["split"] == s]
            rows.append(_summary(part, g, s))
    return pd.DataFrame(rows)


def validate(
    ds: xr.Dataset, targets: Sequence[ValidationTarget], point: int | None = None, seed: int = 0
) -> Validation:
    """Score a cube against historical targets (see the module doc for the scores).

    Args:
        ds: a result cube with the targets' ``Q_hist`` / ``E_by_year_count`` variables.
        targets: the targets (at least one; ids unique).
        point: the sweep point to score; required for a cube of several points.
        seed: seed of the generator that randomises the PIT on point masses (one uniform
            draw per target, in order).

    Returns:
        The per-target and per-group tables and the PIT values.

    Raises:
        InputError: no targets, a multi-point cube without ``point``, or a target whose
            outcome or cell the cube lacks (naming the target and what the cube has).
    """
    if not targets:
        raise InputError("no targets to score; allowed: at least one target")
    cube = select_point(ds, point)
    draws = np.random.default_rng(seed).random(len(targets))
    rows = [_score(cube, t, float(u)) for t, u in zip(targets, draws, strict=True)]
    df = pd.DataFrame(rows)
    pit = df.loc[df["n"] > 0].set_index("target")["pit"]
    chosen = point if POINT_DIM in ds.dims or point is not None else None
    return Validation(df, per_group(df), pit, chosen)


def pit_histogram(validation: Validation, ax: Axes | None = None, bins: int = 10) -> Figure:
    """The PIT histogram per split, as densities, with the uniform line at 1.

    A calibrated forecast has a flat PIT histogram; a U shape means intervals too narrow,
    a hump too wide, a slope a bias (PIT near 1: history above the forecast).

    Args:
        validation: the scores.
        ax: axes to draw on (default: a new figure, Agg, no pyplot).
        bins: number of equal bins on [0, 1].

    Returns:
        The figure drawn on.
    """
    from matplotlib.figure import Figure

    if ax is None:
        fig = Figure(figsize=(6.0, 3.6))
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    df = validation.per_target[validation.per_target["n"] > 0]
    edges = [float(e) for e in np.linspace(0.0, 1.0, bins + 1)]
    splits = [s for s in ("calibration", "held_out") if (df["split"] == s).any()]
    data = [df.loc[df["split"] == s, "pit"].to_numpy(np.float64) for s in splits]
    if data:
        labels = [f"{s} ({len(d)})" for s, d in zip(splits, data, strict=True)]
        ax.hist(data, bins=edges, density=True, label=labels)
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1, label="uniform")
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("PIT: F(historical value)")
    ax.set_ylabel("density")
    ax.set_title("PIT histogram (flat = calibrated)")
    ax.legend(fontsize="small")
    assert fig is not None
    return fig


__all__ = [
    "ALL",
    "Validation",
    "calendar_bounds",
    "markdown_table",
    "per_group",
    "pit_histogram",
    "select_point",
    "validate",
]
