"""Plain-text tables for the terminal: a cube's summary, and a paired comparison."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from abm.outcomes import CategoryOutcome, EventOutcome, OutcomeSpec, QuantityOutcome

if TYPE_CHECKING:
    from abm.engine.paired import PairedAccumulator

Z95 = 1.959963984540054


def _cells(spec: QuantityOutcome) -> list[tuple[tuple[int, ...], str]]:
    idx = np.ndindex(*spec.shape)
    return [(i, " ".join(str(spec.coords[d][k]) for d, k in enumerate(i))) for i in idx]


def _paired_share(n_plus: float, n_minus: float, n: float) -> tuple[float, float]:
    """Mean and standard error of a paired difference of indicators (B - A)."""
    d = (n_plus - n_minus) / n
    var = max((n_plus + n_minus) / n - d * d, 0.0) / n
    return d, math.sqrt(var)


def comparison_rows(
    specs: Sequence[OutcomeSpec], a: xr.Dataset, b: xr.Dataset, p: PairedAccumulator
) -> list[dict[str, Any]]:
    """One row per outcome cell: A, B, paired difference B - A, its 95 % interval."""
    n = float(p.a.tallies["n_runs"][0])
    rows: list[dict[str, Any]] = []

    def add(
        name: str,
        cell: str,
        va: float,
        sa: float,
        vb: float,
        sb: float,
        d: float,
        se: float,
        m: float,
    ) -> None:
        rows.append(
            {
                "outcome": name,
                "cell": cell,
                "a": va,
                "a_se": sa,
                "b": vb,
                "b_se": sb,
                "diff": d,
                "diff_se": se,
                "lo": d - Z95 * se,
                "hi": d + Z95 * se,
                "n": int(m),
            }
        )

    for s in specs:
        if isinstance(s, EventOutcome):
            j = p.joint[s.name].astype(float)
            d, se = _paired_share(j[0, 1], j[1, 0], n)
            add(
                f"{s.name}_prob",
                "",
                float(a[f"{s.name}_prob"]),
                float(a[f"{s.name}_se"]),
                float(b[f"{s.name}_prob"]),
                float(b[f"{s.name}_se"]),
                d,
                se,
                n,
            )
        elif isinstance(s, CategoryOutcome):
            j = p.joint[s.name].astype(float)
            for k, cat in enumerate(s.categories):
                n_plus = j[:, k].sum() - j[k, k]
                n_minus = j[k, :].sum() - j[k, k]
                d, se = _paired_share(n_plus, n_minus, n)
                sel = {s.name: cat}
                add(
                    f"{s.name}_share",
                    cat,
                    float(a[f"{s.name}_share"].sel(sel)),
                    float(a[f"{s.name}_se"].sel(sel)),
                    float(b[f"{s.name}_share"].sel(sel)),
                    float(b[f"{s.name}_se"].sel(sel)),
                    d,
                    se,
                    n,
                )
        elif isinstance(s, QuantityOutcome):
            ma = a[f"{s.name}_mean"].values
            mb = b[f"{s.name}_mean"].values
            qa, qb = _range(a, s.name), _range(b, s.name)
            for idx, cell in _cells(s):
                m = float(p.diff_n[s.name][idx])
                if m < 2:
                    continue
                d = float(p.diff_sum[s.name][idx]) / m
                var = max(float(p.diff_sumsq[s.name][idx]) / m - d * d, 0.0) * m / (m - 1)
                add(
                    f"{s.name}_mean",
                    cell,
                    float(ma[idx]),
                    math.nan,
                    float(mb[idx]),
                    math.nan,
                    d,
                    math.sqrt(var / m),
                    m,
                )
                rows[-1].update(
                    a_q05=float(qa[0][idx]),
                    a_q95=float(qa[1][idx]),
                    b_q05=float(qb[0][idx]),
                    b_q95=float(qb[1][idx]),
                )
    return rows


def given_line(given: Sequence[str], scenario: str, kept: int, total: int) -> str:
    """The line that states a comparison's conditioning (``abm compare --given``).

    Args:
        given: the conditions as written (ANDed).
        scenario: the scenario they were evaluated in (A's name).
        kept: paired runs that satisfy them.
        total: paired runs simulated.

    Returns:
        ``given E (in otl): kept 812 of 10000 paired runs (8.1 %)``.
    """
    share = 100.0 * kept / total if total else 0.0
    return (
        f"given {' AND '.join(given)} (in {scenario}): "
        f"kept {kept} of {total} paired runs ({share:.1f} %)"
    )


def given_columns(given: Sequence[str], kept: int, total: int) -> dict[str, Any]:
    """The CSV columns that state a comparison's conditioning, the same on every row.

    ``given`` (the conditions joined by `` AND ``), ``given_kept`` and ``given_total``
    (paired runs kept and simulated); none without conditions.
    """
    if not given:
        return {}
    return {"given": " AND ".join(given), "given_kept": kept, "given_total": total}


def _range(ds: xr.Dataset, name: str) -> tuple[np.ndarray, np.ndarray]:
    """5 % and 95 % quantiles of a quantity outcome, each over its own dimensions."""
    q = ds[f"{name}_quantiles"]
    return (
        q.sel(quantile=0.05, method="nearest").values,
        q.sel(quantile=0.95, method="nearest").values,
    )


def _fmt(v: float, se: float = math.nan) -> str:
    if math.isnan(v):
        return "n/a"
    if math.isnan(se):
        return f"{v:.4g}" if abs(v) >= 10 else f"{v:.3f}"
    # Enough decimals to show the standard error's first significant digit.
    digits = 3 if se <= 0 else max(3, -math.floor(math.log10(se)))
    return f"{v:.{digits}f} ±{se:.{digits}f}"


def _signed(v: float) -> str:
    return f"{v:+.4g}" if abs(v) >= 10 else f"{v:+.3f}"


def _dist(r: dict[str, Any], side: str) -> str:
    """A probability with its s.e., or a mean with its 5-95 % range across runs."""
    text = _fmt(r[side], r[f"{side}_se"])
    if f"{side}_q05" in r:
        text += f" [{r[f'{side}_q05']:.4g}, {r[f'{side}_q95']:.4g}]"
    return text


def format_comparison(rows: Sequence[dict[str, Any]], name_a: str, name_b: str) -> str:
    """Side-by-side text table of :func:`comparison_rows`.

    Probabilities and shares show their Monte Carlo standard error; quantities their
    mean and, in brackets, the 5 % and 95 % quantiles across runs. The last column is the
    paired difference of the means (or probabilities) with its 95 % interval.
    """
    head = ("outcome", "cell", name_a, name_b, f"{name_b} - {name_a} [95% CI]")
    body = [
        (
            r["outcome"],
            r["cell"],
            _dist(r, "a"),
            _dist(r, "b"),
            f"{_signed(r['diff'])} [{_signed(r['lo'])}, {_signed(r['hi'])}]",
        )
        for r in rows
    ]
    return _table(head, body)


def _table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    line = lambda xs: "  ".join(str(x).ljust(w) for x, w in zip(xs, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *[line(b) for b in body]])


def summary_rows(specs: Sequence[OutcomeSpec], ds: xr.Dataset) -> list[tuple[str, str, str, str]]:
    """Rows (outcome, cell, value, 90 % range or SE) of a single-scenario cube."""
    rows: list[tuple[str, str, str, str]] = []
    for s in specs:
        if isinstance(s, EventOutcome):
            rows.append(
                (
                    f"{s.name}_prob",
                    "",
                    _fmt(float(ds[f"{s.name}_prob"]), float(ds[f"{s.name}_se"])),
                    "",
                )
            )
        elif isinstance(s, CategoryOutcome):
            for cat in s.categories:
                sel = {s.name: cat}
                v, se = float(ds[f"{s.name}_share"].sel(sel)), float(ds[f"{s.name}_se"].sel(sel))
                rows.append((f"{s.name}_share", cat, _fmt(v, se), ""))
        elif isinstance(s, QuantityOutcome):
            mean = ds[f"{s.name}_mean"].values
            q = ds[f"{s.name}_quantiles"]
            q05 = q.sel(quantile=0.05, method="nearest").values
            q95 = q.sel(quantile=0.95, method="nearest").values
            nn = ds[f"{s.name}_n"].values
            for idx, cell in _cells(s):
                if nn[idx] == 0:
                    continue
                rows.append(
                    (
                        f"{s.name}_mean",
                        cell,
                        _fmt(float(mean[idx])),
                        f"[{q05[idx]:.3f}, {q95[idx]:.3f}]",
                    )
                )
    return rows


def format_summary(specs: Sequence[OutcomeSpec], ds: xr.Dataset) -> str:
    """Text table of a cube: probabilities ± SE, means with 90 % ranges."""
    return _table(("outcome", "cell", "value (± MC s.e.)", "5%-95%"), summary_rows(specs, ds))
