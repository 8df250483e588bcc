"""The PRIM section of a sweep report: where the points avoid the two headline events.

The outcome is generic: a point scores ``1 - P(a) - P(b)`` for the cube's first two
headline events ``a`` and ``b`` (attribute ``headline_outcomes``, see
:mod:`abm.analysis.meta`), a lower bound of the probability that neither happens.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from abm.analysis.figtext import set_wrapped_title
from abm.analysis.meta import headline_events, headline_outcomes
from abm.analysis.prim import prim_box
from abm.analysis.report.document import Doc
from abm.analysis.report.fmt import fmt, prob, unit_label
from abm.cube.schema import POINT_DIM

#: PRIM cases: the points whose outcome value reaches this quantile over the done points.
PRIM_CASE_QUANTILE = 0.75

#: Variable suffixes by which an outcome is present in a cube (event, category, quantity).
OUTCOME_SUFFIXES = ("_prob", "_share", "_quantiles", "_mean")


def prim_events(cube: xr.Dataset) -> list[str]:
    """The PRIM outcome's two events: the cube's first two headline events (or fewer)."""
    return headline_events(cube)[:2]


def score_label(a: str, b: str) -> str:
    """The PRIM score's name, e.g. ``1 - P(a) - P(b)``."""
    return f"1 - P({a}) - P({b})"


def prim(doc: Doc, sub: xr.Dataset, levers: Sequence[str]) -> None:
    """A PRIM box of lever values where the score ``1 - P(a) - P(b)`` is high.

    Args:
        doc: the report.
        sub: the sweep's points done, over ``point``.
        levers: the varied levers (coordinates on ``point``).
    """
    pair = prim_events(sub)
    if len(pair) < 2:
        doc.section("prim", "PRIM: where the points avoid the headline events")
        missing = [
            n
            for n in headline_outcomes(sub)
            if not any(f"{n}{s}" in sub.data_vars for s in OUTCOME_SUFFIXES)
        ]
        lacks = f"; the cube lacks {', '.join(missing)}" if missing else ""
        doc.note(
            "PRIM's outcome needs two headline events (dataset attribute "
            f"headline_outcomes), the cube has {len(pair)}"
            f"{': ' + ', '.join(pair) if pair else ''}{lacks}: PRIM skipped."
        )
        return
    a, b = pair
    doc.section("prim", f"PRIM: where the points avoid {a} and {b}")
    n = sub.sizes[POINT_DIM]
    if n < 2 or not levers:
        doc.note(f"PRIM needs at least 2 points done and a varied lever ({n} done): skipped.")
        return
    p_a = np.asarray(sub[f"{a}_prob"].values, dtype=np.float64)
    p_b = np.asarray(sub[f"{b}_prob"].values, dtype=np.float64)
    value = np.clip(1.0 - p_a - p_b, 0.0, 1.0)
    threshold = float(np.quantile(value, PRIM_CASE_QUANTILE))
    cases = value >= threshold
    doc.para(
        "The cube holds each event's probability on its own, not their joint one, so each "
        f"point is scored by the lower bound P(neither {a} nor {b}) >= {score_label(a, b)} "
        f"(clipped at 0); {a} and {b} are the cube's first two headline events. Cases: the "
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
            fmt(float(lo)),
            fmt(float(hi)),
            fmt(float(x[:, i].min())),
            fmt(float(x[:, i].max())),
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
                prob(box.coverage),
                prob(box.density),
                prob(box.support),
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
    fig = prim_figure(
        sub, levers, box.restricted_dims, x, cases, value, (box.lower, box.upper), (a, b)
    )
    doc.figure(fig, "PRIM box over the levers, cases marked")


def prim_figure(
    sub: xr.Dataset,
    levers: Sequence[str],
    restricted: Sequence[str],
    x: np.ndarray,
    cases: np.ndarray,
    value: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    pair: tuple[str, str],
) -> Figure:
    """The points over the two most telling levers (restricted first), the box drawn.

    Args:
        sub: the points done, over ``point``.
        levers: the varied levers, the columns of ``x``.
        restricted: the levers the box restricts.
        x: lever values ``[n_points, n_levers]``.
        cases: whether each point is a case, bool ``[n_points]``.
        value: each point's score ``[n_points]`` (unitless, 0-1).
        bounds: the box's lower and upper lever values, each ``[n_levers]``.
        pair: the two events of the score.
    """
    lower, upper = bounds
    score = score_label(*pair)
    order = [levers.index(n) for n in restricted] + [
        i for i, n in enumerate(levers) if n not in restricted
    ]
    fig = Figure(figsize=(6.5, 4.6), layout="constrained")
    ax = fig.add_subplot()
    i = order[0]
    if len(order) >= 2:
        j = order[1]
        ys = x[:, j]
        ylabel = unit_label(levers[j], sub[levers[j]].attrs)
        ylo, yhi = float(lower[j]), float(upper[j])
    else:
        ys = value
        ylabel = f"score: {score} [1]"
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
    ax.set_xlabel(unit_label(levers[i], sub[levers[i]].attrs))
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    set_wrapped_title(
        ax,
        f"PRIM box: neither {pair[0]} nor {pair[1]}\n"
        f"cases: top {1 - PRIM_CASE_QUANTILE:.0%} of points by {score}",
    )
    return fig


__all__ = ["PRIM_CASE_QUANTILE", "prim", "prim_events", "prim_figure", "score_label"]
