"""Fit the war's combat kernel on CDB90 and score it against the classical laws (NumPy).

What is fitted. For each engagement of 1939-1945 in ``data/cdb90`` with both strengths
and both casualty counts known (read by :func:`abm.models.interwar.frontiers.combat_fit.load`,
extended here with more CDB90 columns keyed by the same ``ISQNO``), the outcome is

* ``y_a = ln(C_a / (A * T))`` and ``y_d = ln(C_d / (D * T))``: the attacker's and the
  defender's casualties per day as shares of their own strength (``A``, ``D``: strengths,
  persons; ``C_a``, ``C_d``: killed, wounded and missing, persons; ``T``: days);
* whether the attacker won (CDB90's ``WINA``; draws are left out of the win scores).

Every casualty model below predicts the pair ``(y_a, y_d)`` with a bivariate normal
residual (sd per side and a correlation, fitted), so all are scored alike: the mean log
predictive density (LPD, nats per engagement) and the RMSE of the log rates. The RMSE of
the log rates is also the RMSE of the log casualties, since strengths and duration are
given. Win models are logistic and scored with the Brier score and the mean log score.

The split (:func:`theatre_of`, the rule read from CDB90's own columns). ``WAR`` alone will
not do: CDB90 files the Red Army's 1945 engagements in East Prussia, Poland (the winter
offensive) and at Berlin, and in Manchuria, under ``WORLD WAR II (OKINAWA)``. So the
rule goes by the belligerents (the nationality prefix of ``NAMA``/``NAMD``), then the location
(``LOCN``): Japanese on one side -> ``pacific`` (``soviet_other`` if the other side is
Soviet); Soviet against German -> ``eastern_front``; Soviet against anyone else ->
``soviet_other``; then ``LOCN`` Egypt, Libya or Tunisia -> ``north_africa``; Italy ->
``italy``; France, Belgium, Luxembourg, the Netherlands, Germany or "Northwest Europe"
-> ``western_europe``. Counts (:data:`THEATRE_COUNTS`): western Europe 43, Italy 69,
North Africa 11 (fitted on: 123), Eastern Front 28 (held out, the test), Pacific 33
(held out, scored as a second test), Soviet-Finnish and Soviet-Japanese 4 (unused).
North Africa is fitted on: the same armies (British, American, German, Italian) and
doctrines as Italy and the West, and 11 engagements too few to test on alone.

The candidates, all fitted on the 123 fit-set engagements:

* constant rates (``y_a = c_a``, ``y_d = c_d``): the null (sometimes called the
  "logarithmic law": each side's losses proportional to its own strength, whatever the enemy's);
* Lanchester's square law (Lanchester 1916, aimed fire): ``dA/dt = -b D``, ``dD/dt =
  -a A``, so ``y_a = ln b + ln D - ln A`` and ``y_d = ln a + ln A - ln D``. With
  ``r = ln(A/D)`` (log force ratio) and ``s = (ln A + ln D)/2 - ln 10^4`` (log geometric
  mean strength, in units of 10,000 men): ``y_a = c_a - r``, ``y_d = c_d + r`` (slope -1
  and +1 on ``r``, 0 on ``s``);
* Lanchester's linear law (unaimed, area fire): ``dA/dt = -b A D``, ``dD/dt = -a A D``,
  so ``y_a = ln b + ln D`` and ``y_d = ln a + ln A``: ``y_a = c_a + s - r/2``, ``y_d =
  c_d + s + r/2`` (slope -1/2 and +1/2 on ``r``, +1 on ``s``: rates grow with the
  size of the battle). In ``ln A``, ``ln D``: attacker (0, 1), defender (1, 0);
  square: attacker (-1, 1), defender (1, -1); constant: (0, 0) both;
* constant rates and duration (``y = c + g ln T`` per side): the null plus the fall of
  the daily rate with the length of the engagement;
* free exponents (the generalised power law ``rate = exp(c) A^p D^q`` per side, which
  nests the three laws above; Helmbold 1993 relates rates to force size and duration
  on the CAA data), fitted as free slopes on ``r`` and ``s`` (``p = b_r + b_s/2``,
  ``q = -b_r + b_s/2``);
* a QJM-style model after Dupuy (Numbers, Predictions and War, 1979; Understanding War,
  1987): a combat power ratio ``P = (A/D) * CEV / PF(posture)``, the quality multiplier
  ``CEV = exp(c * CEA)`` and the defender's posture factor ``PF`` for a hasty, prepared
  or fortified defence relative to a delaying one, and both sides' rates a base rate
  scaled by ``P`` to one common power ``k`` with opposite signs, and by the force size
  (Dupuy's attrition verity that larger forces suffer lower rates): ``y_a = c_a - k ln P
  - e s``, ``y_d = c_d + k ln P - e s``. This is a simplified form: Dupuy builds strength
  from weapon lethalities and has many more factors, none of which CDB90 carries. No
  constant is taken from Dupuy; ``c_a, c_d, k, c, PF, e`` are fitted (maximum
  likelihood, iterated GLS, since the two equations share parameters);
* the regression kernel: each side's ``y`` linear in :data:`COVARIATES` (force ratio,
  size, duration, posture, quality, surprise, air, armour, terrain, weather, supply);
  by least squares and by ridge (penalised least squares on standardised covariates)
  with the penalty chosen by leave-one-campaign-out cross-validation on the fit set
  (:func:`choose_lambda`), never on the test sets.

Win models: the base rate; force ratio alone (the Lanchester prediction: under either law
the winner is the side ahead in ``a A^m`` against ``b D^m``, m = 2 or 1, a logit linear in
``r``); the QJM's ``ln P``; and the kernel's covariates (ridge logit, penalty by the same
cross-validation).

Covariates are used where CDB90 covers them: at least 15 of the 123 fit-set engagements
away from the reference value, and known on the Eastern Front. Left out for coverage:
leadership (``LEADA``, 10 away from 0), morale (``MORALA``, 8), technology (``TECHA``,
0), heavily wooded terrain (9), desert (7, all North Africa); front width is not in
the patched table.

Data problems (``data/cdb90/README.md``), handled by the frontiers loader reused here:
the winner is the patched table's ``WINA`` (not the tidy ``battles.csv`` code), the
duration is recomputed from ``datetime_min``/``datetime_max`` (at least half a day), not
the tidy ``duration1``; ``CEA`` -9 (unknown) drops the engagement. Here also: the
mislabelled ``WAR`` (above); unknown codes (-9; ``AEROA`` 9) drop an engagement (none of
the 1939-1945 ones with ``CEA`` known).

The time step (:func:`time_step`): the war slice runs combat in weekly sub-steps
(:data:`STEP_DAYS`, the kernel evaluated with ``T`` = 7 days), because 96% of the
fit set's engagements and 64% of the Eastern Front's last a week or less (medians 2 and
5 days), so a week holds one engagement; over a week at the kernel's median rates the
force ratio moves by about 6%, over a month-long engagement by about 29%, too much to
hold fixed in one monthly step; daily steps would be finer than CDB90 resolves
(durations to the day, median 2 days). ``docs/combat_kernel.md`` has the numbers.

``python -m abm.models.interwar.war.combat_fit`` prints the comparison and the time
step; ``--write`` stores the chosen kernel (the ridge regression kernel) in the package
data (``war_combat.yaml``); a test checks the stored fit equals a fresh one.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from abm.models.interwar.frontiers import combat_fit as frontiers

#: Years (of the engagement's start) of the engagements used.
YEARS = (1939, 1945)
#: Theatres fitted on.
FIT_THEATRES = ("western_europe", "italy", "north_africa")
#: The held-out theatre that scores the models (the test set).
TEST_THEATRE = "eastern_front"
#: A second held-out theatre, scored for information.
SECOND_THEATRE = "pacific"
#: Engagements per theatre after loading (asserted by the tests).
THEATRE_COUNTS = {
    "western_europe": 43,
    "italy": 69,
    "north_africa": 11,
    "eastern_front": 28,
    "pacific": 33,
    "soviet_other": 4,
}
#: CDB90's extra columns read here (beyond the frontiers loader's), as covariates.
EXTRA = (
    "training",
    "surprise",
    "air_superiority",
    "armour",
    "rugged_terrain",
    "wet_weather",
    "winter",
    "supply",
)
#: The regression kernel's covariates (the attacker's view: positive favours it):
#: ln(A/D); ln of the geometric mean strength over 10,000; ln days; prepared or
#: fortified defence (0/1); CEA (-2..2); TRNGA (-1..1); SURPA (-3..3); AEROA (-1..1);
#: ln of the attacker's over the defender's tanks per man (tanks + 1); rugged terrain
#: (TERRA1 "G", 0/1); wet weather (WX1 "W", 0/1); winter (WX1 season "W", 0/1); LOGSA.
COVARIATES: tuple[str, ...] = (
    "log_force_ratio",
    "log_size",
    "log_days",
    "prepared_defence",
    "effectiveness",
    *EXTRA,
)
#: The kernel's columns: intercept and the covariates.
COLUMNS = ("intercept", *COVARIATES)
#: Strength unit of the size covariate and of the linear law, persons.
SIZE_UNIT = 1e4
#: Ridge penalties tried for the casualty kernel and for the win logit.
LAMBDAS = (0.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0)
WIN_LAMBDAS = (0.0, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0)
#: The combat sub-step the war slice uses, days (justified by :func:`time_step`).
STEP_DAYS = 7.0
#: Days in a month step of the model (for the one-step-a-month comparison).
MONTH_DAYS = 30.0
#: The stored fit, in the package data.
FIT_FILE = Path(__file__).resolve().parents[1] / "data" / "war_combat.yaml"

_LOG_2PI = math.log(2.0 * math.pi)
_WEST = ("FRANCE", "BELGIUM", "LUXEMBOURG", "NETHERLANDS", "GERMANY", "NORTHWEST EUROPE")


# ---------------------------------------------------------------- the engagements
def theatre_of(locn: str, attacker: str, defender: str) -> str:
    """The theatre of an engagement from CDB90's ``LOCN``, ``NAMA`` and ``NAMD``.

    The nationality is the first word of the unit's name (``SOV``/``USSR``, ``GER``,
    ``JAP``, ``US``, ``BR``...). See the module docstring for the rule.
    """
    sides = {(name.split() or [""])[0] for name in (attacker, defender)}
    soviet = bool(sides & {"SOV", "USSR"})
    if "JAP" in sides:
        return "soviet_other" if soviet else "pacific"
    if soviet:
        return "eastern_front" if "GER" in sides else "soviet_other"
    if locn in ("EGYPT", "LIBYA", "TUNISIA"):
        return "north_africa"
    if locn == "ITALY":
        return "italy"
    return "western_europe" if locn in _WEST else "other"


def _code(value: str, unknown: tuple[float, ...] = (-9.0,)) -> float:
    """A CDB90 integer code as float; NaN where unknown."""
    x = float(value)
    return math.nan if x in unknown else x


def _extras(row: dict[str, str]) -> list[float]:
    """The :data:`EXTRA` covariates of one CDB90 row (NaN where unknown)."""
    tanks_a, tanks_d = _code(row["TANKA"], (-1.0, -9.0)), _code(row["TANKD"], (-1.0, -9.0))
    armour = math.log((tanks_a + 1.0) / float(row["STRA"])) - math.log(
        (tanks_d + 1.0) / float(row["STRD"])
    )
    terrain, weather = row["TERRA1"], row["WX1"]
    return [
        _code(row["TRNGA"]),
        _code(row["SURPA"]),
        _code(row["AEROA"], (9.0, -9.0)),
        armour,
        float(terrain[:1] == "G"),
        float(weather[:1] == "W"),
        float(weather[3:4] == "W"),
        _code(row["LOGSA"]),
    ]


@dataclass(frozen=True)
class WarEngagements:
    """The 1939-1945 engagements (one entry each), the frontiers loader's and more.

    Attributes:
        base: the frontiers loader's arrays (ids, strengths, casualties, days, prepared
            defence, CEA, attacker won), restricted to these engagements.
        theatre: :func:`theatre_of` (str ``[n]``).
        campaign: CDB90 ``CAMPGN`` (str ``[n]``), the cross-validation's groups.
        year: the year the engagement began (int ``[n]``).
        posture: the defender's primary posture (``POST1``; ``WD`` counted as ``DL``):
            ``DL`` delay, ``HD`` hasty, ``PD`` prepared, ``FD`` fortified (str ``[n]``).
        extra: float ``[n, len(EXTRA)]``, the :data:`EXTRA` covariates.
    """

    base: frontiers.Engagements
    theatre: np.ndarray
    campaign: np.ndarray
    year: np.ndarray
    posture: np.ndarray
    extra: np.ndarray

    @property
    def n(self) -> int:
        """Number of engagements."""
        return len(self.base.ids)

    def log_force_ratio(self) -> np.ndarray:
        """``r = ln(A/D)``, float ``[n]``."""
        return np.log(self.base.attacker / self.base.defender)

    def log_size(self) -> np.ndarray:
        """``s = ln(sqrt(A D) / 10^4)``, float ``[n]``."""
        return 0.5 * np.log(self.base.attacker * self.base.defender) - math.log(SIZE_UNIT)

    def covariates(self) -> np.ndarray:
        """Float ``[n, len(COVARIATES)]``."""
        b = self.base
        core = [self.log_force_ratio(), self.log_size(), np.log(b.days), b.prepared]
        return np.column_stack([*core, b.effectiveness, self.extra])

    def design(self) -> np.ndarray:
        """Float ``[n, len(COLUMNS)]``: an intercept and the covariates."""
        return np.column_stack([np.ones(self.n), self.covariates()])

    def rates(self) -> np.ndarray:
        """Float ``[n, 2]``: ln daily casualty rates (attacker, defender), ln(1/day)."""
        return np.column_stack(frontiers.rates(self.base))

    def decided(self) -> np.ndarray:
        """Bool ``[n]``: the engagements with a winner (no draw)."""
        return ~np.isnan(self.base.attacker_won)

    def subset(self, keep: np.ndarray) -> WarEngagements:
        """The engagements where ``keep`` (bool ``[n]``) holds."""
        arrays = ("theatre", "campaign", "year", "posture", "extra")
        return WarEngagements(
            base=self.base.subset(keep), **{k: getattr(self, k)[keep] for k in arrays}
        )


def load(path: Path | None = None) -> WarEngagements:
    """The usable engagements of :data:`YEARS`, with the extra covariates.

    Usable: the frontiers loader's rule (both strengths and both casualty counts
    positive, ``CEA`` known, both dates) and every :data:`EXTRA` code known.
    """
    root = path or frontiers.data_dir()
    base = frontiers.load(root)
    with open(root / "CDB90-patched.csv", newline="", encoding="utf-8") as fh:
        rows = {r["ISQNO"]: r for r in csv.DictReader(fh)}
    with open(root / "battle_durations.csv", newline="", encoding="utf-8") as fh:
        start = {r["isqno"]: int(r["datetime_min"][:4] or 0) for r in csv.DictReader(fh)}
    keep = np.zeros(len(base.ids), bool)
    theatre, campaign, year, posture, extra = [], [], [], [], []
    for i, eid in enumerate(base.ids):
        row, extras = rows[eid], _extras(rows[eid])
        if not YEARS[0] <= start[eid] <= YEARS[1] or any(math.isnan(x) for x in extras):
            continue
        keep[i] = True
        theatre.append(theatre_of(row["LOCN"], row["NAMA"], row["NAMD"]))
        campaign.append(row["CAMPGN"])
        year.append(start[eid])
        posture.append("DL" if row["POST1"] == "WD" else row["POST1"])
        extra.append(extras)
    return WarEngagements(
        base=base.subset(keep),
        theatre=np.array(theatre),
        campaign=np.array(campaign),
        year=np.array(year),
        posture=np.array(posture),
        extra=np.array(extra, dtype=float).reshape(-1, len(EXTRA)),
    )


def split(w: WarEngagements) -> tuple[WarEngagements, WarEngagements, WarEngagements]:
    """(fit set, test set: the Eastern Front, second test: the Pacific)."""
    return (
        w.subset(np.isin(w.theatre, FIT_THEATRES)),
        w.subset(w.theatre == TEST_THEATRE),
        w.subset(w.theatre == SECOND_THEATRE),
    )


# ---------------------------------------------------------------- casualty models
#: A design: engagements -> (Z_a [n, p], Z_d [n, p], offset [n, 2]) with
#: ``y_a = Z_a theta + offset_a`` and ``y_d = Z_d theta + offset_d``.
Design = Callable[[WarEngagements], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Casualties:
    """A candidate casualty model.

    Attributes:
        name: as printed.
        params: names of ``theta`` (``p`` of them).
        design: the :data:`Design`.
        penalised: which parameters a ridge penalty shrinks (none: not a ridge model).
    """

    name: str
    params: tuple[str, ...]
    design: Design
    penalised: tuple[bool, ...] = ()


def _blocks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Separate equations with the same regressors ``x [n, q]``: Z_a, Z_d ``[n, 2q]``."""
    zero = np.zeros_like(x)
    return np.hstack([x, zero]), np.hstack([zero, x])


def _offset_design(offset: Callable[[WarEngagements], np.ndarray]) -> Design:
    """Intercepts only, plus a fixed offset ``[n, 2]`` (the Lanchester laws)."""

    def design(w: WarEngagements) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        za, zd = _blocks(np.ones((w.n, 1)))
        return za, zd, offset(w)

    return design


def _days_design(w: WarEngagements) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    za, zd = _blocks(np.column_stack([np.ones(w.n), np.log(w.base.days)]))
    return za, zd, np.zeros((w.n, 2))


def _free_design(w: WarEngagements) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    za, zd = _blocks(np.column_stack([np.ones(w.n), w.log_force_ratio(), w.log_size()]))
    return za, zd, np.zeros((w.n, 2))


def free_exponents(f: CasualtyFit) -> tuple[tuple[float, float], tuple[float, float]]:
    """A :data:`FREE` fit's exponents of ``A`` and ``D``: ((p_a, q_a), (p_d, q_d)).

    ``rate = exp(c) * A^p * D^q``; from the slopes on ``r`` and ``s``: ``p = b_r + b_s/2``,
    ``q = -b_r + b_s/2``. Square law: (-1, 1), (1, -1); linear law: (0, 1), (1, 0).
    """
    _, ar, as_, _, dr, ds = (float(v) for v in f.theta)
    return (ar + as_ / 2, -ar + as_ / 2), (dr + ds / 2, -dr + ds / 2)


def _posture_dummies(w: WarEngagements) -> np.ndarray:
    """Float ``[n, 3]``: hasty, prepared, fortified (delay is the reference)."""
    return np.column_stack([(w.posture == p).astype(float) for p in ("HD", "PD", "FD")])


def _qjm_design(w: WarEngagements) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # theta = (c_a, c_d, k, k ln PF_HD, k ln PF_PD, k ln PF_FD, k c, e): ln P enters the
    # attacker's rate with -k and the defender's with +k; size with -e in both.
    r, s, cea, post = w.log_force_ratio(), w.log_size(), w.base.effectiveness, _posture_dummies(w)
    one, zero = np.ones(w.n), np.zeros(w.n)
    za = np.column_stack([one, zero, -r, post, -cea, -s])
    zd = np.column_stack([zero, one, r, -post, cea, -s])
    return za, zd, np.zeros((w.n, 2))


def _kernel_design(w: WarEngagements) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    za, zd = _blocks(w.design())
    return za, zd, np.zeros((w.n, 2))


def _sides(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"attacker_{c}" for c in names) + tuple(f"defender_{c}" for c in names)


CONSTANT = Casualties(
    "constant rates", _sides(("intercept",)), _offset_design(lambda w: np.zeros((w.n, 2)))
)
SQUARE = Casualties(
    "Lanchester square",
    _sides(("intercept",)),
    _offset_design(lambda w: np.outer(w.log_force_ratio(), [-1.0, 1.0])),
)
LINEAR = Casualties(
    "Lanchester linear",
    _sides(("intercept",)),
    _offset_design(
        lambda w: np.log(np.column_stack([w.base.defender, w.base.attacker]) / SIZE_UNIT)
    ),
)
FREE = Casualties(
    "free exponents", _sides(("intercept", "log_force_ratio", "log_size")), _free_design
)
DAYS = Casualties("constant + duration", _sides(("intercept", "log_days")), _days_design)
QJM = Casualties(
    "QJM-style",
    ("c_a", "c_d", "k", "k_ln_pf_hasty", "k_ln_pf_prepared", "k_ln_pf_fortified", "k_c", "e"),
    _qjm_design,
)
KERNEL = Casualties(
    "regression kernel",
    _sides(COLUMNS),
    _kernel_design,
    penalised=tuple(c != "intercept" for c in COLUMNS) * 2,
)


@dataclass(frozen=True)
class CasualtyFit:
    """A fitted casualty model.

    Attributes:
        model: the :class:`Casualties`.
        theta: float ``[p]``, the parameters (``model.params``).
        cov: float ``[2, 2]``, the residual covariance of (y_a, y_d) (ML, divisor n).
        lam: the ridge penalty (0: none).
        n: engagements fitted on.
    """

    model: Casualties
    theta: np.ndarray
    cov: np.ndarray
    lam: float
    n: int

    def predict(self, w: WarEngagements) -> np.ndarray:
        """Float ``[n, 2]``: predicted ln daily rates (attacker, defender)."""
        za, zd, off = self.model.design(w)
        return np.column_stack([za @ self.theta, zd @ self.theta]) + off

    def log_density(self, w: WarEngagements) -> np.ndarray:
        """Float ``[n]``: the bivariate normal log density of the observed log rates."""
        res = w.rates() - self.predict(w)
        prec = np.linalg.inv(self.cov)
        quad = np.einsum("ni,ij,nj->n", res, prec, res)
        return -0.5 * quad - 0.5 * math.log(np.linalg.det(self.cov)) - _LOG_2PI

    def rmse(self, w: WarEngagements) -> np.ndarray:
        """Float ``[2]``: RMSE of the log rates (= of the log casualties), per side."""
        res = w.rates() - self.predict(w)
        return np.sqrt(np.mean(res**2, axis=0))

    def bias(self, w: WarEngagements) -> np.ndarray:
        """Float ``[2]``: mean residual (observed - predicted ln rate), per side."""
        return np.mean(w.rates() - self.predict(w), axis=0)

    @property
    def sd(self) -> tuple[float, float]:
        """Residual sd (attacker, defender)."""
        return float(np.sqrt(self.cov[0, 0])), float(np.sqrt(self.cov[1, 1]))

    @property
    def corr(self) -> float:
        """Residual correlation."""
        return float(self.cov[0, 1] / math.sqrt(self.cov[0, 0] * self.cov[1, 1]))


def _solve(
    za: np.ndarray, zd: np.ndarray, y: np.ndarray, wt: np.ndarray, pen: np.ndarray
) -> np.ndarray:
    """``argmin sum_i res_i' wt res_i + theta' diag(pen) theta`` (normal equations)."""
    lhs = wt[0, 0] * za.T @ za + wt[1, 1] * zd.T @ zd + wt[0, 1] * (za.T @ zd + zd.T @ za)
    rhs = za.T @ (y @ wt[:, 0]) + zd.T @ (y @ wt[:, 1])
    return np.linalg.solve(lhs + np.diag(pen), rhs)


def fit_casualties(
    model: Casualties, w: WarEngagements, lam: float = 0.0, iters: int = 200
) -> CasualtyFit:
    """Fit ``model`` on ``w``.

    Unpenalised (``lam`` 0): maximum likelihood by iterated GLS (the weight is the
    inverse residual covariance); for the models whose two equations share no parameter
    this is each equation's least squares. Penalised (ridge, ``lam`` > 0, only where
    ``model.penalised``): each equation's penalised least squares, the penalty
    ``lam * var(column)`` per penalised coefficient (ridge on standardised columns).
    """
    za, zd, off = model.design(w)
    y = w.rates() - off
    pen = np.zeros(za.shape[1])
    if lam > 0.0:
        flags = np.array(model.penalised, bool)
        spread = np.maximum(za.var(axis=0), zd.var(axis=0))
        pen = np.where(flags, lam * spread, 0.0)
    wt = np.eye(2)
    for _ in range(iters):
        theta = _solve(za, zd, y, wt, pen)
        res = y - np.column_stack([za @ theta, zd @ theta])
        cov = res.T @ res / len(y)
        new = np.linalg.inv(cov)
        if lam > 0.0 or np.allclose(new, wt, rtol=1e-10, atol=1e-12):
            break
        wt = new
    return CasualtyFit(model=model, theta=theta, cov=cov, lam=lam, n=w.n)


def qjm_terms(f: CasualtyFit) -> dict[str, float]:
    """The QJM-style fit in Dupuy's terms: power ``k``, posture factors, CEV, size."""
    c_a, c_d, k, g_h, g_p, g_f, kc, e = (float(v) for v in f.theta)
    return {
        "base_rate_attacker": math.exp(c_a),
        "base_rate_defender": math.exp(c_d),
        "power": k,
        "posture_hasty": math.exp(g_h / k),
        "posture_prepared": math.exp(g_p / k),
        "posture_fortified": math.exp(g_f / k),
        "cev_per_cea_step": math.exp(kc / k),
        "size_exponent": e,
    }


def qjm_log_power(f: CasualtyFit, w: WarEngagements) -> np.ndarray:
    """Float ``[n]``: ln of the QJM combat power ratio (attacker over defender)."""
    k, kc = float(f.theta[2]), float(f.theta[6])
    lnpf = _posture_dummies(w) @ (f.theta[3:6] / k)
    return w.log_force_ratio() + kc / k * w.base.effectiveness - lnpf


# ---------------------------------------------------------------- win models
@dataclass(frozen=True)
class Wins:
    """A candidate win model: a logit on ``design(w)`` (float ``[n, q]``, intercept first)."""

    name: str
    design: Callable[[WarEngagements], np.ndarray]


@dataclass(frozen=True)
class WinFit:
    """A fitted win model: ``beta`` (float ``[q]``), the ridge penalty, engagements."""

    model: Wins
    beta: np.ndarray
    lam: float
    n: int

    def prob(self, w: WarEngagements) -> np.ndarray:
        """Float ``[n]``: P(attacker wins)."""
        return 1.0 / (1.0 + np.exp(-(self.model.design(w) @ self.beta)))

    def scores(self, w: WarEngagements) -> tuple[float, float]:
        """(Brier score, mean log score) over the decided engagements of ``w``."""
        ok = w.decided()
        p, y = self.prob(w)[ok], w.base.attacker_won[ok]
        return float(np.mean((p - y) ** 2)), float(np.mean(_log_score(p, y)))


def _log_score(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y * np.log(p) + (1.0 - y) * np.log1p(-p)


def fit_wins(model: Wins, w: WarEngagements, lam: float = 0.0, iters: int = 100) -> WinFit:
    """Penalised maximum-likelihood logit (Newton) on the decided engagements of ``w``.

    The penalty is ``lam * var(column)`` on every coefficient but the intercept.
    """
    ok = w.decided()
    x, y = model.design(w)[ok], w.base.attacker_won[ok]
    pen = lam * x.var(axis=0)
    pen[0] = 0.0
    beta = np.zeros(x.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        info = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(pen)
        step = np.linalg.solve(info, x.T @ (y - p) - pen * beta)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return WinFit(model=model, beta=beta, lam=lam, n=int(ok.sum()))


BASE_RATE = Wins("base rate", lambda w: np.ones((w.n, 1)))
FORCE_RATIO = Wins(
    "force ratio (Lanchester)", lambda w: np.column_stack([np.ones(w.n), w.log_force_ratio()])
)
WIN_KERNEL = Wins("regression kernel", lambda w: w.design())


def qjm_wins(f: CasualtyFit) -> Wins:
    """The QJM win model: a logit on ln P of the fitted QJM-style casualty model ``f``."""
    return Wins("QJM power ratio", lambda w: np.column_stack([np.ones(w.n), qjm_log_power(f, w)]))


# ---------------------------------------------------------------- cross-validation
def folds(w: WarEngagements) -> list[np.ndarray]:
    """Bool masks ``[n]``, one per campaign (``CAMPGN``): the held-out fold."""
    return [w.campaign == c for c in np.unique(w.campaign)]


def cv_casualties(model: Casualties, w: WarEngagements, lam: float = 0.0) -> float:
    """Leave-one-campaign-out mean log predictive density (nats per engagement)."""
    out = [fit_casualties(model, w.subset(~k), lam).log_density(w.subset(k)) for k in folds(w)]
    return float(np.mean(np.concatenate(out)))


def cv_wins(model: Wins, w: WarEngagements, lam: float = 0.0) -> float:
    """Leave-one-campaign-out mean log score of a win model (decided engagements)."""
    out = []
    for k in folds(w):
        held = w.subset(k & w.decided())
        if held.n:
            f = fit_wins(model, w.subset(~k), lam)
            out.append(_log_score(f.prob(held), held.base.attacker_won))
    return float(np.mean(np.concatenate(out)))


def choose_lambda(score: Callable[[float], float], grid: tuple[float, ...]) -> tuple[float, float]:
    """(penalty, its cross-validated score): the best of ``grid`` (first of ties)."""
    scored = [(score(lam), lam) for lam in grid]
    best = max(s for s, _ in scored)
    lam = next(lam for s, lam in scored if s == best)
    return lam, best


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
    """Fit every candidate on the fit set and score it (see the module docstring)."""
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
