"""Tables of a nested run (:mod:`abm.analysis.worlds`) as Markdown, and the whole report.

This module imports no JAX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abm.analysis.worlds import (
    TOP,
    NestedStats,
    decompose,
    difference_table,
    sobol_table,
)


def _fmt(v: object) -> str:
    """A table entry: floats to 3 significant digits, NaN as a dash."""
    if isinstance(v, float | np.floating):
        return "-" if not np.isfinite(v) else f"{float(v):.3g}"
    return str(v)


def markdown_table(df: pd.DataFrame, columns: Sequence[str]) -> str:
    """``df``'s ``columns`` as a Markdown table (numbers to 3 significant digits)."""
    head = "| " + " | ".join(columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = ["| " + " | ".join(_fmt(r[c]) for c in columns) + " |" for _, r in df.iterrows()]
    return "\n".join([head, rule, *body])


def _interval(df: pd.DataFrame, value: str, lo: str, hi: str, sign: bool = False) -> pd.Series:
    """``value [lo, hi]`` per row (a dash where the value is undefined)."""
    f = "{:+.3g} [{:+.3g}, {:+.3g}]" if sign else "{:.3g} [{:.3g}, {:.3g}]"
    text = [
        f.format(r[value], r[lo], r[hi]) if np.isfinite(r[value]) else "-" for _, r in df.iterrows()
    ]
    return pd.Series(text, index=df.index, dtype=object)


def decomposition_markdown(df: pd.DataFrame) -> str:
    """The decomposition table (:func:`decompose`) as Markdown."""
    t = df.copy()
    t["world share [95% CI]"] = _interval(t, "world_share", "world_lo", "world_hi")
    t["sd total"] = np.sqrt(t["total_var"])
    t["sd world"] = np.sqrt(t["between_var"])
    t["sd chance"] = np.sqrt(t["within_var"])
    cols = ["outcome", "cell", "statistic", "mean", "sd total", "sd world", "sd chance"]
    return markdown_table(t, [*cols, "world share [95% CI]"])


def difference_markdown(df: pd.DataFrame, name_a: str, name_b: str) -> str:
    """The difference table (:func:`difference_table`) as Markdown."""
    t = df.rename(columns={"mean_a": name_a, "mean_b": name_b})
    t[f"{name_b} - {name_a} [95% CI]"] = _interval(t, "diff", "diff_lo", "diff_hi", sign=True)
    t["sd over worlds"] = t["diff_sd"]
    t["worlds > 0"] = t["worlds_positive"]
    t["noise share (max)"] = t["noise_share_max"]
    cols = ["outcome", "cell", "statistic", name_a, name_b, f"{name_b} - {name_a} [95% CI]"]
    return markdown_table(t, [*cols, "sd over worlds", "worlds > 0", "noise share (max)"])


def sobol_markdown(df: pd.DataFrame, top: int = TOP) -> str:
    """The Sobol table (:func:`sobol_table`): the ``top`` parameters of each cell.

    Parameters whose index exceeds the cell's noise floor
    (:func:`abm.analysis.worlds.noise_floor`) are in bold.
    """
    if df.empty:
        return ""
    parts = []
    for (outcome, cell, stat), g in df.groupby(
        ["outcome", "cell", "statistic"], sort=False, dropna=False
    ):
        floor = float(g["noise_floor"].iloc[0])
        title = f"{outcome} {cell}".strip() + f" ({stat}; noise floor {_fmt(floor)})"
        g = g.head(top).copy()
        g["S1 [95% CI]"] = _interval(g, "S1", "S1_lo", "S1_hi")
        # Above the noise floor: in bold.
        above = g["S1"] > floor + 1e-9  # a degenerate cell: every index at the floor
        g["parameter"] = [
            f"**{p}**" if a else p for p, a in zip(g["parameter"], above, strict=True)
        ]
        parts.append(f"{title}:\n\n" + markdown_table(g, ["parameter", "S1 [95% CI]"]))
    return "\n\n".join(parts)


@dataclass(frozen=True)
class WorldsReport:
    """The nested run and its tables (``abm worlds``, :func:`abm.api.worlds`).

    Attributes:
        nested: the per-world statistics.
        decomposition: :func:`decompose` of A's cells, then B's (column ``scenario``).
        difference: :func:`difference_table` (empty without B).
        sobol: :func:`sobol_table` (empty without B).
    """

    nested: NestedStats
    decomposition: pd.DataFrame
    difference: pd.DataFrame
    sobol: pd.DataFrame

    def markdown(self, top: int = TOP) -> str:
        """Every table as Markdown, with a line on the design."""
        n = self.nested
        mech = int(np.sum(n.mechanism & (np.ptp(n.thetas, axis=0) > 0)))
        parts = [
            f"{n.worlds} worlds x {n.replicates} replicates, seed {n.seed}; "
            f"{mech} mechanism parameters vary across worlds"
        ]
        for name, g in self.decomposition.groupby("scenario", sort=False):
            parts.append(f"{name}: world vs chance\n\n{decomposition_markdown(g)}")
        if n.b is not None:
            a, b = n.a.scenario, n.b.scenario
            parts.append(f"{b} - {a} over worlds\n\n{difference_markdown(self.difference, a, b)}")
            parts.append(
                f"First-order Sobol indices of {b} - {a} (top {top} per cell)\n\n"
                + sobol_markdown(self.sobol, top)
            )
        return "\n\n".join(parts)


def analyze(nested: NestedStats, seed: int = 0) -> WorldsReport:
    """Every table of a nested run (bootstrap seeded by ``seed``)."""
    dec = [decompose(nested.a, seed=seed)]
    diff = pd.DataFrame()
    if nested.b is not None:
        dec.append(decompose(nested.b, seed=seed))
        diff = difference_table(nested.a, nested.b, seed=seed)
    return WorldsReport(
        nested=nested,
        decomposition=pd.concat(dec, ignore_index=True),
        difference=diff,
        sobol=sobol_table(nested, seed=seed),
    )


__all__ = [
    "WorldsReport",
    "analyze",
    "decomposition_markdown",
    "difference_markdown",
    "markdown_table",
    "sobol_markdown",
]
