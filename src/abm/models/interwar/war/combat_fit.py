"""Fit the war's combat kernel on CDB90 and score it against the classical laws (NumPy).

The data (the 1939-1945 engagements, their covariates, the split: fit on western Europe,
Italy and North Africa, test on the Eastern Front and the Pacific) are in :mod:`.cdb90`;
the candidate casualty and win models, their fitting and their scores in
:mod:`.combat_models`. Here: the comparison (:func:`compare`: every candidate fitted on
the fit set and scored in sample, by leave-one-campaign-out cross-validation, on the
Eastern Front and on the Pacific; the chosen kernel is the ridge regression kernel), the
time step, the stored fit and the command line. The names the rest of the code and the
tests use from this module (the data's and the models' among them) are re-exported here.

The time step (:func:`time_step`): the war slice runs combat in weekly sub-steps
(:data:`STEP_DAYS`, the kernel evaluated with ``T`` = 7 days), because 96% of the
fit set's engagements and 64% of the Eastern Front's last a week or less (medians 2 and
5 days), so a week holds one engagement; over a week at the kernel's median rates the
force ratio moves by about 6%, over a month-long engagement by about 29%, too much to
hold fixed in one monthly step; daily steps would be finer than CDB90 resolves
(durations to the day, median 2 days). ``docs/combat_kernel.md`` has the numbers.

``python -m abm.models.interwar.war.combat_fit`` prints the comparison and the time
step; ``--write`` stores the chosen kernel (the ridge regression kernel) in the package
data (``war_combat.yaml``, :data:`FIT_FILE`); a test checks the stored fit equals a
fresh one.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from abm.models.interwar.war.cdb90 import (
    COLUMNS,
    EXTRA,
    FIT_THEATRES,
    SECOND_THEATRE,
    SIZE_UNIT,
    TEST_THEATRE,
    THEATRE_COUNTS,
    WarEngagements,
    load,
    split,
)
from abm.models.interwar.war.combat_models import (
    BASE_RATE,
    CONSTANT,
    DAYS,
    FORCE_RATIO,
    FREE,
    KERNEL,
    LAMBDAS,
    LINEAR,
    QJM,
    SQUARE,
    WIN_KERNEL,
    WIN_LAMBDAS,
    CasualtyFit,
    WinFit,
    choose_lambda,
    cv_casualties,
    cv_wins,
    fit_casualties,
    fit_wins,
    free_exponents,
    qjm_terms,
    qjm_wins,
)

__all__ = [
    "COLUMNS",
    "CONSTANT",
    "EXTRA",
    "FIT_FILE",
    "FIT_THEATRES",
    "FREE",
    "LINEAR",
    "MONTH_DAYS",
    "SIZE_UNIT",
    "SQUARE",
    "STEP_DAYS",
    "TEST_THEATRE",
    "THEATRE_COUNTS",
    "Comparison",
    "Row",
    "TimeStep",
    "WarEngagements",
    "as_dict",
    "compare",
    "fit_casualties",
    "free_exponents",
    "load",
    "main",
    "split",
    "stored",
    "table",
    "time_step",
]

#: The combat sub-step the war slice uses, days (justified by :func:`time_step`).
STEP_DAYS = 7.0
#: Days in a month step of the model (for the one-step-a-month comparison).
MONTH_DAYS = 30.0
#: The stored fit, in the package data.
FIT_FILE = Path(__file__).resolve().parents[1] / "data" / "war_combat.yaml"


# ---------------------------------------------------------------- the comparison
@dataclass(frozen=True)
class Row:
    """A scored model: in-sample, cross-validated, Eastern Front and Pacific scores.

    Attributes:
        name: as printed; ``k``: parameters (with the residual covariance's 3).
        fit, cv, east, pacific: casualty model: mean log predictive density (nats per
            engagement) in sample, leave-one-campaign-out on the fit set, on the Eastern
            Front, on the Pacific; win model: the mean log score on the same.
        extra: casualty model: RMSE of the ln rates on the Eastern Front (attacker,
            defender), then the mean residual there (observed - predicted, attacker,
            defender); win model: the Brier score (fit, east, Pacific).
        lam: the ridge penalty (0: none).
    """

    name: str
    k: int
    fit: float
    cv: float
    east: float
    pacific: float
    extra: tuple[float, ...]
    lam: float = 0.0


@dataclass(frozen=True)
class Comparison:
    """The candidates' fits and scores; the chosen kernel is ``kernel`` / ``win``."""

    casualty_rows: list[Row]
    win_rows: list[Row]
    fits: dict[str, CasualtyFit]
    kernel: CasualtyFit
    win: WinFit
    sets: tuple[WarEngagements, WarEngagements, WarEngagements]


def _casualty_row(name: str, f: CasualtyFit, cv: float, sets: tuple) -> Row:
    fit_set, east, pacific = sets
    return Row(
        name=name,
        k=len(f.theta) + 3,
        fit=float(f.log_density(fit_set).mean()),
        cv=cv,
        east=float(f.log_density(east).mean()),
        pacific=float(f.log_density(pacific).mean()),
        extra=(*(float(v) for v in f.rmse(east)), *(float(v) for v in f.bias(east))),
        lam=f.lam,
    )


def _win_row(name: str, f: WinFit, cv: float, sets: tuple) -> Row:
    (b_fit, l_fit), (b_east, l_east), (b_pac, l_pac) = (f.scores(s) for s in sets)
    return Row(name, len(f.beta), l_fit, cv, l_east, l_pac, (b_fit, b_east, b_pac), f.lam)


def compare(w: WarEngagements | None = None) -> Comparison:
    """Fit every candidate (:mod:`.combat_models`) on the fit set and score it."""
    sets = split(w or load())
    fit_set = sets[0]
    rows, fits = [], {}
    for model in (CONSTANT, SQUARE, LINEAR, DAYS, FREE, QJM, KERNEL):
        f = fit_casualties(model, fit_set)
        fits[model.name] = f
        rows.append(_casualty_row(model.name, f, cv_casualties(model, fit_set), sets))
    lam, cv = choose_lambda(lambda x: cv_casualties(KERNEL, fit_set, x), LAMBDAS)
    kernel = fit_casualties(KERNEL, fit_set, lam)
    rows.append(_casualty_row("regression kernel, ridge", kernel, cv, sets))
    win_rows = []
    for wm in (BASE_RATE, FORCE_RATIO, qjm_wins(fits[QJM.name]), WIN_KERNEL):
        wf = fit_wins(wm, fit_set)
        win_rows.append(_win_row(wm.name, wf, cv_wins(wm, fit_set), sets))
    wlam, wcv = choose_lambda(lambda x: cv_wins(WIN_KERNEL, fit_set, x), WIN_LAMBDAS)
    win = fit_wins(WIN_KERNEL, fit_set, wlam)
    win_rows.append(_win_row("regression kernel, ridge", win, wcv, sets))
    return Comparison(rows, win_rows, fits, kernel, win, sets)


# ---------------------------------------------------------------- the time step
@dataclass(frozen=True)
class TimeStep:
    """The numbers behind the combat sub-step (:data:`STEP_DAYS`).

    Attributes:
        median_days: median engagement duration, days (fit set, Eastern Front).
        within_step: share of engagements no longer than the step (fit set, Eastern Front).
        rates: the chosen kernel's median daily casualty rates (attacker, defender) over
            the fit set's engagements, each taken to last one step, 1/day.
        step_loss: share of its strength each side loses over one step at ``rates``.
        step_ratio_change: relative change of the force ratio A/D over one step.
        month_ratio_change: the same over a month-long engagement (the kernel's rates
            for a month, 30 days): what one step a month would hold fixed.
        observed_step_ratio_change: the median observed change of ln(A/D) per day
            (fit set, from the casualties) over one step, as a relative change.
    """

    median_days: tuple[float, float]
    within_step: tuple[float, float]
    rates: tuple[float, float]
    step_loss: tuple[float, float]
    step_ratio_change: float
    month_ratio_change: float
    observed_step_ratio_change: float


def _rates_lasting(f: CasualtyFit, w: WarEngagements, days: float) -> np.ndarray:
    """Float ``[2]``: median predicted daily rates over ``w`` with every duration ``days``."""
    x = w.design()
    x[:, COLUMNS.index("log_days")] = math.log(days)
    q = x.shape[1]
    return np.exp(np.median(np.column_stack([x @ f.theta[:q], x @ f.theta[q:]]), axis=0))


def time_step(f: CasualtyFit, fit_set: WarEngagements, east: WarEngagements) -> TimeStep:
    """Durations, the kernel's rates over a step and a month, and the force ratio's drift."""
    rate = _rates_lasting(f, fit_set, STEP_DAYS)
    month = _rates_lasting(f, fit_set, MONTH_DAYS)
    b = fit_set.base
    after = np.log(np.maximum(b.attacker - b.cas_attacker, 1.0)) - np.log(
        np.maximum(b.defender - b.cas_defender, 1.0)
    )
    drift = float(np.median(np.abs(after - fit_set.log_force_ratio()) / b.days))
    return TimeStep(
        median_days=(float(np.median(b.days)), float(np.median(east.base.days))),
        within_step=(
            float(np.mean(b.days <= STEP_DAYS)),
            float(np.mean(east.base.days <= STEP_DAYS)),
        ),
        rates=(float(rate[0]), float(rate[1])),
        step_loss=(-math.expm1(-STEP_DAYS * rate[0]), -math.expm1(-STEP_DAYS * rate[1])),
        step_ratio_change=float(math.expm1(STEP_DAYS * (rate[1] - rate[0]))),
        month_ratio_change=float(math.expm1(MONTH_DAYS * (month[1] - month[0]))),
        observed_step_ratio_change=float(math.expm1(STEP_DAYS * drift)),
    )


# ---------------------------------------------------------------- stored fit
def _r(x: object) -> object:
    """Round floats (and sequences of them) to 4 decimals for the YAML file."""
    if isinstance(x, float | np.floating):
        return round(float(x), 4)
    if isinstance(x, tuple | list | np.ndarray):
        return [_r(v) for v in x]
    return x


def as_dict(c: Comparison, t: TimeStep) -> dict[str, object]:
    """Plain data for the YAML file: the chosen kernel, its scores, the time step."""
    q = len(COLUMNS)
    fit_set, east, pacific = c.sets
    return {
        "columns": list(COLUMNS),
        "size_unit": SIZE_UNIT,
        "fit_theatres": list(FIT_THEATRES),
        "test_theatre": TEST_THEATRE,
        "n": {"fit": fit_set.n, "east": east.n, "pacific": pacific.n, "fit_win": c.win.n},
        "lambda": _r(c.kernel.lam),
        "attacker": _r(c.kernel.theta[:q]),
        "defender": _r(c.kernel.theta[q:]),
        "residual_sd": _r(c.kernel.sd),
        "residual_corr": _r(c.kernel.corr),
        "win_lambda": _r(c.win.lam),
        "win": _r(c.win.beta),
        "scores": {
            r.name: {"cv": _r(r.cv), "east": _r(r.east), "pacific": _r(r.pacific)}
            for r in c.casualty_rows
        },
        "win_scores": {
            r.name: {"cv": _r(r.cv), "east": _r(r.east), "brier_east": _r(r.extra[1])}
            for r in c.win_rows
        },
        "time_step": {
            "days": STEP_DAYS,
            "median_days": _r(t.median_days),
            "within_step": _r(t.within_step),
            "rates": _r(t.rates),
            "step_loss": _r(t.step_loss),
            "step_ratio_change": _r(t.step_ratio_change),
            "month_ratio_change": _r(t.month_ratio_change),
            "observed_step_ratio_change": _r(t.observed_step_ratio_change),
        },
    }


def stored() -> dict[str, object]:
    """The fit stored in the package data."""
    with open(FIT_FILE, encoding="utf-8") as fh:
        out: dict[str, object] = yaml.safe_load(fh)
    return out


# ---------------------------------------------------------------- the report
def table(c: Comparison) -> list[str]:
    """Lines: the comparison table (casualty models, then win models)."""
    lines = [
        "casualty models: mean log predictive density (nats/engagement; higher is better),"
        " RMSE of ln rates",
        f"{'model':28s} {'k':>3s} {'fit':>7s} {'CV':>7s} {'east':>7s} "
        f"{'RMSE A/D east':>14s} {'bias A/D east':>14s} {'pacific':>8s}",
    ]
    for r in c.casualty_rows:
        lam = f"  (lambda {r.lam:g})" if r.lam else ""
        lines.append(
            f"{r.name:28s} {r.k:3d} {r.fit:7.3f} {r.cv:7.3f} {r.east:7.3f} "
            f"{r.extra[0]:6.3f}/{r.extra[1]:6.3f} {r.extra[2]:+6.3f}/{r.extra[3]:+6.3f} "
            f"{r.pacific:8.3f}{lam}"
        )
    lines += [
        "win models: mean log score (higher is better) and Brier score (lower is better)",
        f"{'model':28s} {'k':>3s} {'fit':>7s} {'CV':>7s} {'east':>7s} {'pacific':>8s} "
        f"{'Brier fit/east/pacific':>23s}",
    ]
    for r in c.win_rows:
        lam = f"  (lambda {r.lam:g})" if r.lam else ""
        lines.append(
            f"{r.name:28s} {r.k:3d} {r.fit:7.3f} {r.cv:7.3f} {r.east:7.3f} {r.pacific:8.3f} "
            f"{r.extra[0]:7.3f}/{r.extra[1]:.3f}/{r.extra[2]:.3f}{lam}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the comparison, the fits and the time step; ``--write`` stores the kernel."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {FIT_FILE.name}")
    args = ap.parse_args(argv)
    w = load()
    counts = {th: int(np.sum(w.theatre == th)) for th in THEATRE_COUNTS}
    print(f"engagements 1939-1945: {w.n}; by theatre {counts}")
    c = compare(w)
    fit_set, east, pacific = c.sets
    print(f"fit on {fit_set.n} ({', '.join(FIT_THEATRES)}), test {east.n} ({TEST_THEATRE}),")
    print(f"second test {pacific.n} ({SECOND_THEATRE}); CV: leave one campaign out")
    print("\n".join(table(c)))
    for name in (FREE.name, SQUARE.name, LINEAR.name, CONSTANT.name, DAYS.name):
        f = c.fits[name]
        terms = " ".join(f"{p} {v:+.3f}" for p, v in zip(f.model.params, f.theta, strict=True))
        print(f"{name}: {terms}; sd {f.sd[0]:.3f}/{f.sd[1]:.3f} corr {f.corr:+.3f}")
    (pa, qa), (pd, qd) = free_exponents(c.fits[FREE.name])
    print(f"free exponents: rate_A ~ A^{pa:+.3f} D^{qa:+.3f}, rate_D ~ A^{pd:+.3f} D^{qd:+.3f}")
    qjm = qjm_terms(c.fits[QJM.name])
    print("QJM-style: " + " ".join(f"{k} {v:.3f}" for k, v in qjm.items()))
    q = len(COLUMNS)
    print(f"chosen kernel (ridge, lambda {c.kernel.lam:g}; win lambda {c.win.lam:g}):")
    for j, col in enumerate(COLUMNS):
        print(
            f"  {col:18s} attacker {c.kernel.theta[j]:+.3f}  defender "
            f"{c.kernel.theta[q + j]:+.3f}  win {c.win.beta[j]:+.3f}"
        )
    print(f"  residual sd {c.kernel.sd[0]:.3f}/{c.kernel.sd[1]:.3f} corr {c.kernel.corr:+.3f}")
    t = time_step(c.kernel, fit_set, east)
    print(
        f"time step {STEP_DAYS:g} days: median duration {t.median_days[0]:.2f} d (fit), "
        f"{t.median_days[1]:.2f} d (east); within a step {t.within_step[0]:.1%} (fit), "
        f"{t.within_step[1]:.1%} (east)"
    )
    print(
        f"  kernel's median daily rates over a step {t.rates[0]:.4f} (A) {t.rates[1]:.4f} (D);"
        f" loss per step {t.step_loss[0]:.1%} (A) {t.step_loss[1]:.1%} (D)"
    )
    print(
        f"  force ratio change per step {t.step_ratio_change:+.1%}, per month-long "
        f"engagement {t.month_ratio_change:+.1%}; observed per step "
        f"{t.observed_step_ratio_change:+.1%}"
    )
    if args.write:
        with open(FIT_FILE, "w", encoding="utf-8") as fh:
            fh.write(
                "# The war's combat kernel (issue 15), fitted on CDB90 (data/cdb90) by\n"
                "# `python -m abm.models.interwar.war.combat_fit --write`; do not edit.\n"
                "# See docs/combat_kernel.md.\n"
            )
            yaml.safe_dump(as_dict(c, t), fh, sort_keys=False)
        print(f"wrote {FIT_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
