"""How well the ``otl`` scenario covers the historical figures (``abm calibrate``).

Runs the whole stochastic model (priors, weather, succession, elections, regime events)
under a scenario's resolved priors and reports, for each calibration target it has an
outcome for, the 5 %, 50 % and 95 % quantiles of the runs, the interval's width and
whether the historical figure falls inside. Fitted targets are marked; the others are
out-of-sample checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from abm.engine.priors import PriorTable
from abm.engine.reducers import quantiles_from_hist
from abm.engine.runner import Runner
from abm.models.interwar.germany import constants as GK
from abm.models.interwar.germany.calibration import (
    RT_CODES,
    RT_PARTY,
    UNEMPLOYMENT_YEARS,
    load_targets,
    unemployment_targets,
    vote_targets,
)
from abm.models.interwar.soviet import constants as SK
from abm.models.interwar.soviet.calibration import TARGET_SCALE, TARGETS

QUANTILES = np.array([0.05, 0.5, 0.95])
#: Soviet targets checked but not fitted: id -> (outcome, index, target unit / outcome unit).
VALIDATION: dict[str, tuple[str, tuple[int, ...], float]] = {
    "SUN_terror_arrested_1937_38": ("terror_arrests", (), 1.0),
    "RKKA_purge_arrested_1937_38": ("officers_arrested", (), 1.0),
    "SUN_grain_export_1930": ("grain_exports", (SK.HARVEST_YEARS.index(1930),), 1.0),
    "RKKA_strength_1941-06-22": ("red_army_strength", (1,), 1e-3),
    **{
        f"{code}_steel_1938": ("steel_output", (i, 1938 - 1924), 1.0)
        for i, code in enumerate(("RUS", "GMY", "UKG", "FRN", "ITA", "JPN", "USA"))
        if code != "RUS"
    },
    **{
        f"{code}_gdp_1938": ("gdp", (i, 1938 - 1924), 1.0)
        for i, code in enumerate(("SUN", "DEU", "GBR", "FRA", "ITA", "JPN", "USA"))
        if code != "SUN"
    },
}


def row(target: str, historical: float, q: np.ndarray, fitted: bool) -> dict[str, Any]:
    """One coverage row from a target's value and its three quantiles."""
    return {
        "target": target,
        "historical": historical,
        "q05": float(q[0]),
        "median": float(q[1]),
        "q95": float(q[2]),
        "width": float(q[2] - q[0]),
        "inside": bool(q[0] <= historical <= q[2]),
        "fitted": fitted,
    }


def coverage(
    model: Any, table: PriorTable, n_runs: int = 2000, seed: int = 0, chunk_size: int = 1000
) -> list[dict[str, Any]]:
    """Coverage rows of every target the model has an outcome for.

    Args:
        model: the interwar model (``Scenario.model()``).
        table: the scenario's priors (``Scenario.prior_table()``).
        n_runs: runs.
        seed: root seed.
        chunk_size: runs per device chunk.
    """
    acc = Runner(model, chunk_size=chunk_size).run(seed, PriorTable.stack([table]), n_runs)
    specs = {s.name: s for s in model.outcome_specs}

    def q(name: str) -> np.ndarray:
        edges = np.asarray(specs[name].edges)
        return quantiles_from_hist(acc.tallies[f"{name}/hist"][0], edges, QUANTILES)

    targets = load_targets()
    rows: list[dict[str, Any]] = []
    votes = vote_targets(targets)
    qv = q("reichstag_share")
    for k, s in enumerate(GK.CALIBRATION_SLOTS):
        for j, p in enumerate(RT_PARTY):
            rows.append(row(f"DEU_RT_{RT_CODES[s]}_{p}", float(votes[k, j]), qv[k, j], True))
    qu = q("german_unemployment")
    years = list(model.germany.year_labels)
    for y, h in zip(UNEMPLOYMENT_YEARS, unemployment_targets(targets), strict=True):
        rows.append(row(f"DEU_unemp_{y}", float(h), qu[years.index(y)], True))
    for tid, (name, idx, _) in TARGETS.items():
        scale = TARGET_SCALE.get(tid, 1.0)
        rows.append(row(tid, targets[tid].central, q(name)[idx] / scale, True))
    for tid, (name, idx, unit) in VALIDATION.items():
        if tid in targets:
            rows.append(row(tid, targets[tid].central, q(name)[idx] / unit, False))
    return rows


def coverage_markdown(rows: Sequence[dict[str, Any]], n_runs: int, seed: int) -> str:
    """Markdown table of :func:`coverage` rows."""
    fitted = [r for r in rows if r["fitted"]]
    inside = sum(r["inside"] for r in fitted)
    checks = [r for r in rows if not r["fitted"]]
    lines = [
        f"Coverage of the calibration targets by the `otl` model's 90 % intervals "
        f"({n_runs} runs, seed {seed}): {inside} of {len(fitted)} fitted targets inside; "
        f"{sum(r['inside'] for r in checks)} of {len(checks)} out-of-sample checks inside. "
        "Width is the 90 % interval's width (95 % minus 5 % quantile); relative width is "
        "that over the historical figure.",
        "",
        "| target | fitted | historical | 5 % | median | 95 % | width | relative width | inside |",
        "| --- | :---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for r in rows:
        rel = r["width"] / abs(r["historical"]) if r["historical"] else float("nan")
        lines.append(
            f"| {r['target']} | {'yes' if r['fitted'] else 'no'} | {r['historical']:.4g} "
            f"| {r['q05']:.4g} | {r['median']:.4g} | {r['q95']:.4g} | {r['width']:.4g} "
            f"| {rel:.2f} | {'yes' if r['inside'] else 'NO'} |"
        )
    return "\n".join(lines)
