"""Fit the frontier wars' combat kernel on the CDB90 engagements (NumPy, offline).

The kernel (:mod:`abm.models.interwar.frontiers.combat`) gives, for an engagement, the
attacker's and the defender's casualties per day as shares of their strength and the
chance that the attacker wins, as functions of the force ratio, a prepared defence and
the combat effectiveness advantage (CDB90's ``CEA``: -2 .. 2, the attacker's). Fitted
here by least squares on the logs of the daily rates and by a logistic regression on
the winner, over the 1938-1945 engagements of ``data/cdb90`` with both strengths and
both casualty counts known, less the Soviet engagements (Changkufeng 1938, Nomonhan
1939, Suomussalmi 1939-40: :data:`HELD_OUT`), which score the kernel out of sample.

``python -m abm.models.interwar.frontiers.combat_fit`` prints the fit and the held-out
scores; ``--write`` stores the fit in the package data (``frontiers_combat.yaml``), which
the slice reads (a test checks the stored fit equals a fresh one).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

#: Engagements held out of the fit: the Red Army's in the frontier wars (CDB90 ids).
HELD_OUT = ("256", "257", "258", "259", "260", "261")
#: Years of the engagements fitted on.
YEARS = (1938, 1945)
#: The fit's columns: intercept, log force ratio (attacker / defender), prepared or
#: fortified defence (0/1), combat effectiveness advantage of the attacker (CEA).
COLUMNS = ("intercept", "log_force_ratio", "prepared_defence", "effectiveness")
#: Shortest duration counted, days (CDB90 dates some engagements within one day).
MIN_DAYS = 0.5
#: The stored fit, in the package data.
FIT_FILE = Path(__file__).resolve().parents[1] / "data" / "frontiers_combat.yaml"


@dataclass(frozen=True)
class Engagements:
    """Engagements as arrays (one entry each).

    Attributes:
        ids: CDB90 ``ISQNO`` (str).
        attacker, defender: strengths, persons.
        cas_attacker, cas_defender: casualties (killed, wounded, missing), persons.
        days: duration, days.
        prepared: 1.0 if the defender was in a prepared or fortified defence.
        effectiveness: the attacker's combat effectiveness advantage (CEA, -2 .. 2).
        attacker_won: 1.0 attacker won, 0.0 lost, NaN draw.
    """

    ids: np.ndarray
    attacker: np.ndarray
    defender: np.ndarray
    cas_attacker: np.ndarray
    cas_defender: np.ndarray
    days: np.ndarray
    prepared: np.ndarray
    effectiveness: np.ndarray
    attacker_won: np.ndarray

    def design(self) -> np.ndarray:
        """Float ``[n, 4]``: the :data:`COLUMNS`."""
        return np.column_stack(
            [
                np.ones(len(self.ids)),
                np.log(self.attacker / self.defender),
                self.prepared,
                self.effectiveness,
            ]
        )

    def subset(self, keep: np.ndarray) -> Engagements:
        """The engagements where ``keep`` (bool ``[n]``) holds."""
        return Engagements(**{k: getattr(self, k)[keep] for k in self.__dataclass_fields__})


def data_dir() -> Path:
    """The project's ``data/cdb90`` (searched upwards from this file)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "data" / "cdb90"
        if (candidate / "CDB90-patched.csv").is_file():
            return candidate
    raise FileNotFoundError("data/cdb90/CDB90-patched.csv not found above " + __file__)


def load(path: Path | None = None) -> Engagements:
    """The usable engagements of :data:`YEARS` (held-out ones included).

    Usable: both strengths and both casualty counts positive, ``CEA`` known (-2 .. 2),
    a start and an end date.
    """
    root = path or data_dir()
    with open(root / "battle_durations.csv", newline="", encoding="utf-8") as fh:
        spans = {r["isqno"]: r for r in csv.DictReader(fh)}
    cols: dict[str, list[float | str]] = {k: [] for k in Engagements.__dataclass_fields__}
    with open(root / "CDB90-patched.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            span = spans.get(r["ISQNO"])
            if span is None or not span["datetime_min"] or not span["datetime_max"]:
                continue
            t0 = dt.datetime.fromisoformat(span["datetime_min"])
            t1 = dt.datetime.fromisoformat(span["datetime_max"])
            if not YEARS[0] <= t0.year <= YEARS[1]:
                continue
            try:
                a, d, ca, cd = (float(r[c]) for c in ("STRA", "STRD", "CASA", "CASD"))
                cea = float(r["CEA"])
                wina = int(r["WINA"])
            except ValueError:
                continue
            if min(a, d, ca, cd) <= 0 or not -2 <= cea <= 2:
                continue
            cols["ids"].append(r["ISQNO"])
            cols["attacker"].append(a)
            cols["defender"].append(d)
            cols["cas_attacker"].append(ca)
            cols["cas_defender"].append(cd)
            cols["days"].append(max((t1 - t0).total_seconds() / 86400.0, MIN_DAYS))
            cols["prepared"].append(float(r["POST1"] in ("PD", "FD") or r["POST2"] in ("PD", "FD")))
            cols["effectiveness"].append(cea)
            cols["attacker_won"].append({1: 1.0, -1: 0.0}.get(wina, float("nan")))
    return Engagements(**{k: np.array(v) for k, v in cols.items()})


@dataclass(frozen=True)
class CombatFit:
    """The fitted kernel.

    Attributes:
        n: engagements fitted on (``n_win``: those with a winner, for the logit).
        attacker, defender: coefficients (:data:`COLUMNS`) of ln(casualties per day /
            strength) for each side; ``*_se`` their standard errors.
        residual_sd: sd of the two residuals (attacker, defender); ``residual_corr``
            their correlation.
        win: logit coefficients (:data:`COLUMNS`) of P(attacker wins); ``win_se``.
    """

    n: int
    n_win: int
    attacker: tuple[float, ...]
    attacker_se: tuple[float, ...]
    defender: tuple[float, ...]
    defender_se: tuple[float, ...]
    residual_sd: tuple[float, float]
    residual_corr: float
    win: tuple[float, ...]
    win_se: tuple[float, ...]

    def as_dict(self) -> dict[str, object]:
        """Plain data for the YAML file (rounded to 4 decimals)."""

        def r(x: tuple[float, ...]) -> list[float]:
            return [round(float(v), 4) for v in x]

        return {
            "columns": list(COLUMNS),
            "n": self.n,
            "n_win": self.n_win,
            "attacker": r(self.attacker),
            "attacker_se": r(self.attacker_se),
            "defender": r(self.defender),
            "defender_se": r(self.defender_se),
            "residual_sd": r(self.residual_sd),
            "residual_corr": round(float(self.residual_corr), 4),
            "win": r(self.win),
            "win_se": r(self.win_se),
        }


def rates(e: Engagements) -> tuple[np.ndarray, np.ndarray]:
    """The logs of the attacker's and the defender's casualties per day over strength."""
    return (
        np.log(e.cas_attacker / e.attacker / e.days),
        np.log(e.cas_defender / e.defender / e.days),
    )


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    s2 = resid @ resid / (len(y) - x.shape[1])
    se = np.sqrt(np.diag(s2 * np.linalg.inv(x.T @ x)))
    return beta, se, resid


def _logit(x: np.ndarray, y: np.ndarray, iters: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression (Newton-Raphson): coefficients, se."""
    beta = np.zeros(x.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        w = p * (1.0 - p)
        hess = x.T @ (x * w[:, None])
        step = np.linalg.solve(hess, x.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1.0 / (1.0 + np.exp(-(x @ beta)))
    hess = x.T @ (x * (p * (1.0 - p))[:, None])
    return beta, np.sqrt(np.diag(np.linalg.inv(hess)))


def fit(e: Engagements) -> CombatFit:
    """Fit the kernel on ``e`` (pass it without the held-out engagements)."""
    x = e.design()
    ra, rd = rates(e)
    ba, sa, ea = _ols(x, ra)
    bd, sd, ed = _ols(x, rd)
    decided = ~np.isnan(e.attacker_won)
    bw, sw = _logit(x[decided], e.attacker_won[decided])
    dof = len(ra) - x.shape[1]
    return CombatFit(
        n=len(ra),
        n_win=int(decided.sum()),
        attacker=tuple(ba),
        attacker_se=tuple(sa),
        defender=tuple(bd),
        defender_se=tuple(sd),
        residual_sd=(float(np.sqrt(ea @ ea / dof)), float(np.sqrt(ed @ ed / dof))),
        residual_corr=float(np.corrcoef(ea, ed)[0, 1]),
        win=tuple(bw),
        win_se=tuple(sw),
    )


def split(e: Engagements) -> tuple[Engagements, Engagements]:
    """(fitted on, held out)."""
    held = np.isin(e.ids, HELD_OUT)
    return e.subset(~held), e.subset(held)


def stored() -> dict[str, object]:
    """The fit stored in the package data."""
    with open(FIT_FILE, encoding="utf-8") as fh:
        out: dict[str, object] = yaml.safe_load(fh)
    return out


def held_out_table(f: CombatFit, e: Engagements) -> list[str]:
    """Lines scoring the fit on engagements ``e``: observed against predicted rates.

    Each line: the engagement, the observed and predicted ln daily rates of both sides,
    and the z-scores of the observed under the fit's residual sd.
    """
    x = e.design()
    ra, rd = rates(e)
    pa, pd = x @ np.array(f.attacker), x @ np.array(f.defender)
    lines = []
    for i in range(len(e.ids)):
        za = (ra[i] - pa[i]) / f.residual_sd[0]
        zd = (rd[i] - pd[i]) / f.residual_sd[1]
        lines.append(
            f"{e.ids[i]:>4s} A {e.attacker[i]:>7.0f} D {e.defender[i]:>7.0f} "
            f"CEA {e.effectiveness[i]:+.0f}  ln rate A {ra[i]:+.2f} (fit {pa[i]:+.2f}, "
            f"z {za:+.2f})  D {rd[i]:+.2f} (fit {pd[i]:+.2f}, z {zd:+.2f})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the fit and the held-out scores; ``--write`` stores the fit."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {FIT_FILE.name}")
    args = ap.parse_args(argv)
    fitted, held = split(load())
    f = fit(fitted)
    print(f"fitted on {f.n} engagements ({f.n_win} with a winner), held out {len(held.ids)}")
    for name, b, s in (
        ("ln attacker rate", f.attacker, f.attacker_se),
        ("ln defender rate", f.defender, f.defender_se),
        ("logit attacker wins", f.win, f.win_se),
    ):
        terms = "  ".join(f"{c} {v:+.3f} ({e:.3f})" for c, v, e in zip(COLUMNS, b, s, strict=True))
        print(f"{name:20s} {terms}")
    print(
        f"residual sd {f.residual_sd[0]:.3f} / {f.residual_sd[1]:.3f}, corr {f.residual_corr:+.3f}"
    )
    print("held out (the Red Army's engagements, with CDB90's own CEA):")
    for line in held_out_table(f, held):
        print("  " + line)
    if args.write:
        with open(FIT_FILE, "w", encoding="utf-8") as fh:
            fh.write(
                "# The frontier wars' combat kernel, fitted on CDB90 (data/cdb90) by\n"
                "# `python -m abm.models.interwar.frontiers.combat_fit --write`; do not edit.\n"
            )
            yaml.safe_dump(f.as_dict(), fh, sort_keys=False)
        print(f"wrote {FIT_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
