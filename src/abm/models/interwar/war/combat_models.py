"""The war's candidate combat models: their designs, their fitting and their scores (NumPy).

Every casualty model predicts the pair ``(y_a, y_d)`` of ln daily casualty rates (the
attacker's and the defender's casualties per day as shares of their own strength,
ln(1/day); :meth:`.cdb90.WarEngagements.rates`) with a bivariate normal residual (sd per
side and a correlation, fitted), so all are scored alike: the mean log predictive density
(LPD, nats per engagement) and the RMSE of the log rates. The RMSE of the log rates is
also the RMSE of the log casualties, since strengths and duration are given. Win models
are logistic and scored with the Brier score and the mean log score.

The candidates (fitted, in :mod:`.combat_fit`, on the 123 fit-set engagements):

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
* the regression kernel: each side's ``y`` linear in :data:`.cdb90.COVARIATES` (force
  ratio, size, duration, posture, quality, surprise, air, armour, terrain, weather,
  supply); by least squares and by ridge (penalised least squares on standardised
  covariates) with the penalty chosen by leave-one-campaign-out cross-validation on the
  fit set (:func:`choose_lambda`), never on the test sets.

Win models: the base rate; force ratio alone (the Lanchester prediction: under either law
the winner is the side ahead in ``a A^m`` against ``b D^m``, m = 2 or 1, a logit linear in
``r``); the QJM's ``ln P``; and the kernel's covariates (ridge logit, penalty by the same
cross-validation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from abm.models.interwar.war.cdb90 import COLUMNS, SIZE_UNIT, WarEngagements

__all__ = [
    "BASE_RATE",
    "CONSTANT",
    "DAYS",
    "FORCE_RATIO",
    "FREE",
    "KERNEL",
    "LAMBDAS",
    "LINEAR",
    "QJM",
    "SQUARE",
    "WIN_KERNEL",
    "WIN_LAMBDAS",
    "Casualties",
    "CasualtyFit",
    "Design",
    "WinFit",
    "Wins",
    "choose_lambda",
    "cv_casualties",
    "cv_wins",
    "fit_casualties",
    "fit_wins",
    "folds",
    "free_exponents",
    "qjm_log_power",
    "qjm_terms",
    "qjm_wins",
]

#: Ridge penalties tried for the casualty kernel and for the win logit.
LAMBDAS = (0.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0)
WIN_LAMBDAS = (0.0, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0)

_LOG_2PI = math.log(2.0 * math.pi)


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
