"""Calibration of the Weimar Germany slice to the ``otl`` targets (rerun: ``abm calibrate``).

Procedure (documented in ``docs/calibration.md``):

1. **Unemployment.** Least squares of the deterministic unemployment path (no AR noise,
   onset at its prior median) against the annual averages 1928-1932
   (``DEU_unemp_1928`` .. ``DEU_unemp_1932``), fitting ``unemployment_base``,
   ``depression_severity`` and ``depression_rise_months``.
2. **Votes.** The model's *deterministic skeleton* (every random draw set to its neutral
   value: no drift, no constituency effects, no regime event, so elections fall on their
   historical dates) is run through the same ``GermanyModel.advance`` code as the
   simulations. Its vote shares at the five elections May 1924 - July 1932 are fitted to
   the Reich totals (``DEU_RT_*``) in logits, and its turnout to the Reich turnout
   (:data:`TURNOUT`), by regularised (MAP) least squares: each fitted parameter is pulled
   towards its catalogue prior. Nothing after July 1932 is fitted (the disappointment, the
   united front's and a Nazi government's loadings keep their catalogue priors).
3. **Priors.** Each fitted parameter gets a normal prior centred on its estimate with the
   conditional standard deviation from the Gauss-Newton Hessian scaled by the residual
   variance; the national opinion drift's standard deviation is set from the residuals
   (residual logit variance per month elapsed since January 1924).

The result is written to ``data/germany_calibration.yaml`` with the fit of every target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import yaml
from scipy.optimize import least_squares, nnls

from abm.csv_rows import strict_rows
from abm.engine.priors import Prior
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany import government
from abm.models.interwar.germany.parameters import CALIBRATION_FILE, ParamDef, catalogue
from abm.models.interwar.germany.types import MonthDraws
from abm.models.interwar.parameters import write_calibration

#: Target ids of the Reichstag rows, by election slot, in PARTIES order.
RT_CODES = {
    "1924-05": "1924M",
    "1924-12": "1924D",
    "1928-05": "1928",
    "1930-09": "1930",
    "1932-07": "1932J",
}
RT_PARTY = ("KPD", "SPD", "ZBVP", "DDP", "DVP", "DNVP", "NSDAP", "other")
UNEMPLOYMENT_YEARS = (1928, 1929, 1930, 1931, 1932)
UNEMPLOYMENT_PARAMS = (
    "unemployment_base",
    "depression_onset",
    "depression_severity",
    "depression_rise_months",
)
VOTE_SCALARS = (
    "hyperinflation_aftershock",
    "aftershock_months",
    "nsdap_organisation_growth",
    "nsdap_organisation_threshold",
    "organisation_loading",
    "defection_loading",
    "abstain_intercept",
    "abstain_crisis_loading",
    "aftershock_spd_loading",
)
#: Per-party vote parameters fitted (the SPD's pinned at 0 as the reference).
VOTE_VECTORS = ("intercept", "crisis_loading", "agrarian_loading")
#: Reich turnout at the calibration slots, % of the electorate (the ``DEU_RT_*_other``
#: rows' descriptions in the targets file; wahlen-in-deutschland.de, Reich totals).
TURNOUT = {"1924-05": 77.7, "1924-12": 78.8, "1928-05": 75.6, "1930-09": 82.0, "1932-07": 84.1}
#: Logit scale of a vote-share misfit in the least-squares objective.
VOTE_SIGMA = 0.1
#: Scale (millions) of an unemployment misfit.
UNEMPLOYMENT_SIGMA = 0.1
#: Least national drift (logit per square-root month) kept even when the residuals do not
#: grow with time: public opinion in 1924-1933 did move between elections (assumption).
DRIFT_SD_FLOOR = 0.01
#: Parameters pinned to neutral values in the deterministic skeleton.
SKELETON_PINS = {
    "constituency_spread": 0.0,
    "opinion_drift_sd": 0.0,
    "opinion_initial_sd": 0.0,
    "regional_drift_sd": 0.0,
    "unemployment_noise_sd": 0.0,
}


@dataclass(frozen=True)
class Target:
    """One calibration target row."""

    target_id: str
    central: float
    unit: str
    source: str


def targets_path() -> Path:
    """The project's copy of the calibration targets."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "data" / "calibration" / "otl_calibration_targets.csv"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "data/calibration/otl_calibration_targets.csv not found above " + str(here)
    )


def load_targets(path: Path | None = None) -> dict[str, Target]:
    """Calibration targets by id."""
    file = path or targets_path()
    with open(file, newline="", encoding="utf-8") as fh:
        rows = strict_rows(fh, str(file))
    out = {}
    for r in rows:
        try:
            central = float(r["central"])
        except ValueError:
            continue
        out[r["target_id"]] = Target(r["target_id"], central, r["unit"], r["source"])
    return out


def vote_targets(targets: dict[str, Target]) -> np.ndarray:
    """Float ``[5, P]`` Reich vote shares (fractions, each row summing to one)."""
    out = np.array(
        [
            [targets[f"DEU_RT_{RT_CODES[s]}_{p}"].central for p in RT_PARTY]
            for s in K.CALIBRATION_SLOTS
        ]
    )
    return out / out.sum(axis=1, keepdims=True)


def unemployment_targets(targets: dict[str, Target]) -> np.ndarray:
    """Float ``[5]`` registered unemployed, millions, 1928-1932."""
    return np.array([targets[f"DEU_unemp_{y}"].central for y in UNEMPLOYMENT_YEARS])


def neutral_draws() -> MonthDraws:
    """Draws under which nothing random happens (zero shocks, no event fires)."""
    return MonthDraws(
        national_drift=jnp.zeros((K.N_PARTIES,), jnp.float32),
        regional_drift=jnp.zeros((K.N_CONSTITUENCIES, K.N_PARTIES), jnp.float32),
        unemployment=jnp.float32(0.0),
        events=jnp.ones((government.N_EVENT_DRAWS,), jnp.float32),
    )


def skeleton(model: Any, theta: jax.Array) -> Any:
    """Run the deterministic skeleton to the end; returns the final state."""
    theta = theta.astype(jnp.float32)
    state = model.init(jax.random.key(0), theta)
    draws = neutral_draws()

    def body(s: Any, _: Any) -> tuple[Any, None]:
        return model.advance(s, theta, draws), None

    state, _ = jax.lax.scan(body, state, None, length=model.n_months)
    return state


class Calibrator:
    """Fits the slice's calibrated parameters; see the module docstring."""

    def __init__(self, model: Any, params: Sequence[ParamDef] | None = None) -> None:
        self.model = model
        self.params = tuple(params or catalogue())
        names = [p.name for p in self.params]
        self.index = {n: i for i, n in enumerate(names)}
        base = np.array([p.prior.median_guess(p.low, p.high) for p in self.params], np.float64)
        for n, v in SKELETON_PINS.items():
            base[self.index[n]] = v
        self.base = base
        self.targets = load_targets()
        party_names = [
            f"{v}.{p.replace('/', '_')}" for v in VOTE_VECTORS for p in K.PARTIES if p != "SPD"
        ]
        self.vote_names = tuple(party_names) + VOTE_SCALARS
        self._shares = jax.jit(self._shares_fn)
        self._jac = jax.jit(jax.jacfwd(self._shares_fn))

    def _theta(self, names: Sequence[str], x: jax.Array, base: Any) -> jax.Array:
        idx = jnp.array([self.index[n] for n in names])
        return jnp.asarray(base, jnp.float32).at[idx].set(x.astype(jnp.float32))

    def _shares_fn(self, x: jax.Array, base: jax.Array) -> jax.Array:
        """Shares of the calibration elections with turnout as a last column, ``[5, P+1]``.

        The skeleton holds no early election, so its first ballots are the slots'.
        """
        theta = self._theta(self.vote_names, x, base)
        po = skeleton(self.model, theta).polity
        n = len(K.CALIBRATION_SLOTS)
        return jnp.concatenate([po.shares[:n], po.turnout[:n, None]], axis=1)

    def fit_unemployment(self) -> dict[str, float]:
        """Stage 1: returns the fitted unemployment parameters."""
        model, target = self.model, unemployment_targets(self.targets)
        cal: Calendar = model.calendar
        months = np.arange(model.n_months, dtype=np.float32)
        year_of = cal.years

        def annual(x: np.ndarray) -> np.ndarray:
            theta = self._theta(UNEMPLOYMENT_PARAMS, jnp.asarray(x), self.base)
            path = np.asarray(model._unemployment_trend(theta, jnp.asarray(months)))
            return np.array([path[year_of == y].mean() for y in UNEMPLOYMENT_YEARS])

        prior = [self.params[self.index[n]].prior for n in UNEMPLOYMENT_PARAMS]
        mu = np.array([p.args["mean"] for p in prior])
        sd = np.array([p.args["sd"] for p in prior])
        lo = np.array([self.params[self.index[n]].low for n in UNEMPLOYMENT_PARAMS])
        hi = np.array([self.params[self.index[n]].high for n in UNEMPLOYMENT_PARAMS])

        def resid(x: np.ndarray) -> np.ndarray:
            return np.concatenate([(annual(x) - target) / UNEMPLOYMENT_SIGMA, (x - mu) / sd])

        fit = least_squares(resid, np.clip(mu, lo, hi), bounds=(lo, hi), diff_step=1e-3)
        self.unemployment_fit = dict(zip(UNEMPLOYMENT_PARAMS, map(float, fit.x), strict=True))
        self.unemployment_model = annual(fit.x)
        return self.unemployment_fit

    def fit_votes(self) -> dict[str, float]:
        """Stage 2: returns the fitted voter parameters (run after stage 1)."""
        base = self.base.copy()
        for n, v in self.unemployment_fit.items():
            base[self.index[n]] = v
        self.base = base
        target = np.log(vote_targets(self.targets))
        defs = [self.params[self.index[n]] for n in self.vote_names]
        mu = np.array([d.prior.median_guess(d.low, d.high) for d in defs])
        sd = np.array([d.prior.args.get("sd", 1.0) for d in defs])
        lo = np.array([d.low for d in defs])
        hi = np.array([d.high for d in defs])
        base_j = jnp.asarray(base, jnp.float32)

        def clr(s: np.ndarray) -> np.ndarray:  # centred log-ratio: softmax-invariant logits
            ls = np.log(np.maximum(s, 1e-6))
            return ls - ls.mean(axis=-1, keepdims=True)

        tgt = target - target.mean(axis=-1, keepdims=True)

        turnout = np.array([TURNOUT[s] / 100.0 for s in K.CALIBRATION_SLOTS])
        t_logit = np.log(turnout / (1.0 - turnout))

        def resid(x: np.ndarray) -> np.ndarray:
            st = np.asarray(self._shares(jnp.asarray(x), base_j), np.float64)
            s, t = st[:, :-1], np.clip(st[:, -1], 1e-6, 1 - 1e-6)
            r_t = (np.log(t / (1.0 - t)) - t_logit) / VOTE_SIGMA
            return np.concatenate([((clr(s) - tgt) / VOTE_SIGMA).ravel(), r_t, (x - mu) / sd])

        def jac(x: np.ndarray) -> np.ndarray:
            st = np.asarray(self._shares(jnp.asarray(x), base_j), np.float64)
            dst = np.asarray(self._jac(jnp.asarray(x), base_j), np.float64)  # [5, P+1, n]
            s, ds = st[:, :-1], dst[:, :-1]
            t = np.clip(st[:, -1], 1e-6, 1 - 1e-6)
            dl = ds / np.maximum(s, 1e-6)[..., None]
            dl = dl - dl.mean(axis=1, keepdims=True)
            dt = dst[:, -1] / (t * (1.0 - t))[:, None]
            return np.concatenate(
                [dl.reshape(-1, len(x)) / VOTE_SIGMA, dt / VOTE_SIGMA, np.diag(1.0 / sd)]
            )

        fit = least_squares(resid, np.clip(mu, lo, hi), jac=jac, bounds=(lo, hi), max_nfev=200)
        self.vote_fit = dict(zip(self.vote_names, map(float, fit.x), strict=True))
        both = np.asarray(self._shares(jnp.asarray(fit.x), base_j), np.float64)
        shares = both[:, :-1]
        self.vote_model = shares
        self.turnout_model = both[:, -1]
        res = clr(shares) - tgt  # [5, P] logit residuals
        months = np.array([self.model.calendar.index_of(s) + 1 for s in K.CALIBRATION_SLOTS])
        J = jac(fit.x)
        n_data = res.size + len(turnout)
        j_data = J[:n_data]
        # Effective number of fitted parameters of the regularised fit (trace of the hat
        # matrix), so the residual variance is not understated by over-fitting.
        H = J.T @ J
        self.effective_params = float(np.trace(j_data @ np.linalg.solve(H, j_data.T)))
        dof_scale = n_data / max(n_data - self.effective_params, 1.0)
        n_data = res.size
        # Residual variance = initial dispersion + drift variance x months (moments, >= 0).
        design = np.stack([np.ones(res.size), np.repeat(months, res.shape[1])], axis=1)
        var, _ = nnls(design, (res**2).ravel() * dof_scale)
        self.initial_sd = float(np.sqrt(var[0]))
        self.drift_sd = max(float(np.sqrt(var[1])), DRIFT_SD_FLOOR)
        sigma2 = float(np.sum(res**2) * dof_scale / n_data) / VOTE_SIGMA**2
        self.vote_sd = np.sqrt(np.maximum(sigma2, 1e-6) / np.maximum(np.diag(H), 1e-12))
        return self.vote_fit

    def priors(self) -> dict[str, Prior]:
        """Calibrated priors: normal around the fit (unemployment: its residual scale)."""
        out: dict[str, Prior] = {}
        u_res = self.unemployment_model - unemployment_targets(self.targets)
        u_scale = max(float(np.sqrt(np.mean(u_res**2))), 0.05)
        for n, v in self.unemployment_fit.items():
            rel = {
                "unemployment_base": 1.0,
                "depression_onset": 0.5,
                "depression_severity": 2.0,
                "depression_rise_months": 10.0,
            }[n]
            out[n] = Prior("normal", {"mean": round(v, 6), "sd": round(u_scale * rel, 6)})
        for (n, v), sd in zip(self.vote_fit.items(), self.vote_sd, strict=True):
            out[n] = Prior("normal", {"mean": round(v, 6), "sd": round(float(sd), 6)})
        out["opinion_drift_sd"] = Prior(
            "normal", {"mean": round(self.drift_sd, 6), "sd": round(0.15 * self.drift_sd, 6)}
        )
        out["opinion_initial_sd"] = Prior(
            "normal", {"mean": round(self.initial_sd, 6), "sd": round(0.15 * self.initial_sd, 6)}
        )
        return out

    def report(self) -> dict[str, Any]:
        """Fit of every target, for the calibration file and the docs."""
        votes = vote_targets(self.targets)
        rows = []
        for k, s in enumerate(K.CALIBRATION_SLOTS):
            for j, p in enumerate(RT_PARTY):
                rows.append(
                    {
                        "target": f"DEU_RT_{RT_CODES[s]}_{p}",
                        "historical": round(float(votes[k, j]), 4),
                        "skeleton": round(float(self.vote_model[k, j]), 4),
                    }
                )
        for k, s in enumerate(K.CALIBRATION_SLOTS):
            rows.append(
                {
                    "target": f"turnout_{s}",
                    "historical": TURNOUT[s] / 100.0,
                    "skeleton": round(float(self.turnout_model[k]), 4),
                }
            )
        for y, h, m in zip(
            UNEMPLOYMENT_YEARS,
            unemployment_targets(self.targets),
            self.unemployment_model,
            strict=True,
        ):
            rows.append(
                {"target": f"DEU_unemp_{y}", "historical": float(h), "skeleton": round(float(m), 4)}
            )
        return {"targets": rows}


def calibrate(write_to: Path | None = None) -> dict[str, Any]:
    """Run the whole procedure; write the calibration file; return its content."""
    from abm.models.interwar.germany.model import GermanyModel

    model = GermanyModel(_uncalibrated_model_calendar())
    cal = Calibrator(model, _uncalibrated_catalogue())
    cal.fit_unemployment()
    cal.fit_votes()
    priors = cal.priors()
    content = {
        "about": "Written by `abm calibrate` (abm.models.interwar.germany.calibration); "
        "do not edit by hand.",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "procedure": "docs/calibration.md",
        "fitted_to": [f"DEU_RT_{RT_CODES[s]}_*" for s in K.CALIBRATION_SLOTS]
        + [f"DEU_unemp_{y}" for y in UNEMPLOYMENT_YEARS],
        "priors": {n: p.to_dict() for n, p in priors.items()},
        "fit": cal.report(),
    }
    write_calibration(content, CALIBRATION_FILE, write_to)
    return content


def _uncalibrated_catalogue() -> tuple[ParamDef, ...]:
    """The catalogue with the catalogue's own (pre-calibration) priors."""
    from abm.models.interwar.germany import parameters

    raw = yaml.safe_load(parameters.data_text(parameters.CATALOGUE_FILE) or "")
    out = []
    for p in catalogue():
        base = p.name.split(".")[0]
        entry = raw[base]
        if p.calibrated:
            spec = dict(entry["prior"])
            kind = spec.pop("kind")
            p = replace(p, prior=Prior(kind, {k: float(v) for k, v in spec.items()}))
        out.append(p)
    return tuple(out)


def _uncalibrated_model_calendar() -> Calendar:
    return Calendar(1924, 1, 156)
