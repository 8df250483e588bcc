"""Calibration of the Soviet slice to the ``otl`` targets (rerun: ``abm calibrate``).

Procedure (documented in ``docs/calibration.md``), the same as the Germany slice's:

1. The *deterministic skeleton*: the Soviet month (:meth:`SovietModel.advance`, the
   simulations' own code) with every random number at its neutral value (no weather,
   output or deviation shocks, no succession noise, no showdown), conditioned on the
   succession as it happened (Stalin's personal rule) and on the NSDAP in power from
   January 1933, under the ``otl`` scenario's levers and every other parameter at its
   prior's centre.
2. Regularised (MAP) least squares in logs: each target's misfit over its scale
   (:data:`TARGETS`) plus each fitted parameter's distance from its prior centre over the
   prior's standard deviation.
3. Each fitted parameter gets a normal prior around its estimate with its conditional
   standard deviation from the Gauss-Newton Hessian (scaled by the residual variance when
   that exceeds one), floored at :data:`SD_FLOOR` of its catalogue prior's, so that the
   fit narrows the priors without pretending to certainty.

The result is written to ``data/soviet_calibration.yaml`` with the fit of every target.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import yaml
from scipy.optimize import least_squares

from abm.engine.priors import Prior
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany.calibration import Target, load_targets
from abm.models.interwar.parameters import (
    SOVIET_CALIBRATION,
    SOVIET_FILE,
    ParamDef,
    data_text,
    interwar_catalogue,
    write_calibration,
)
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.model import N_EVENTS, SovietModel
from abm.models.interwar.soviet.types import SovietDraws, SovietState

#: Target id -> (outcome name, index into the outcome's array, log-scale of a misfit).
#: The famine, the terror and the officers are left to the whole-model calibration
#: (``abm calibrate``): since issue 13 they follow the stochastic succession, the
#: terror's insecurity and the grain pool, which the neutral draws never set off. The
#: army's peacetime growth (January 1939, before the European war) stays here.
TARGETS: dict[str, tuple[str, tuple[int, ...], float]] = {
    **{
        f"SUN_grain_{y}": ("grain_harvest", (K.HARVEST_YEARS.index(y),), 0.05)
        for y in range(1928, 1936)
    },
    **{
        f"RUS_steel_{y}": ("steel_output", (K.USSR, y - 1924), 0.05)
        for y in (1928, 1932, 1937, 1938, 1940)
    },
    **{f"SUN_gdp_{y}": ("gdp", (K.USSR, y - 1924), 0.05) for y in (1928, 1932, 1938, 1940)},
    "RKKA_strength_1939-01": ("red_army_strength", (0,), 0.05),
    "CCP_members_1927-04": ("ccp_members", (0,), 0.05),
}
#: Units of the targets relative to the outcomes (the army in persons against thousands).
TARGET_SCALE = {"RKKA_strength_1939-01": 1e-3}
#: The parameters fitted (``calibrated: true`` in the catalogue).
FITTED = (
    "grain_yield",
    "yield_trend",
    "disruption_loss",
    "plan_investment",
    "construction_lag",
    "purge_output_loss",
    "defence_shift",
    "gdp_industry_elasticity",
    "army_growth",
    "ccp_growth_inside",
)
#: Least standard deviation of a calibrated prior, as a share of the catalogue prior's.
SD_FLOOR = 0.15
#: Month the skeleton's NSDAP takes power (the threat to the USSR).
NAZI_FROM = "1933-01"
SCENARIO = Path("configs/scenarios/otl.yaml")


def neutral_draws() -> SovietDraws:
    """Draws under which no showdown, consolidation or noise happens; the KMT purge does."""
    events = jnp.ones((N_EVENTS,), jnp.float32).at[3].set(0.0)
    return SovietDraws(power=jnp.zeros((K.N_FACTIONS,), jnp.float32), events=events)


def skeleton(model: SovietModel, theta: jax.Array) -> dict[str, jax.Array]:
    """Outcomes of the deterministic skeleton (Stalin rules throughout)."""
    theta = theta.astype(jnp.float32)
    state = model.init(jax.random.key(0), theta)
    zero = jax.tree.map(jnp.zeros_like, state.shocks)
    lead = replace(state.leadership, ruler=jnp.int32(K.STALIN))
    state = replace(state, shocks=zero, leadership=lead)
    draws = neutral_draws()
    nazi = jnp.int32(model.calendar.index_of(NAZI_FROM))

    def body(s: SovietState, _: Any) -> tuple[SovietState, None]:
        return model.advance(s, theta, draws, nazi), None

    state, _ = jax.lax.scan(body, state, None, length=model.n_months)
    return model.outcomes(state, theta, nazi)


def prior_sd(p: Prior, low: float, high: float) -> float:
    """Standard deviation of a prior (uniform, normal, lognormal), for the MAP pull."""
    a = p.args
    if p.kind == "uniform":
        return (a["high"] - a["low"]) / math.sqrt(12.0)
    if p.kind == "normal":
        return a["sd"]
    if p.kind == "lognormal":
        return math.exp(a["mu"]) * a["sigma"]
    return (high - low) / 4.0


def uncalibrated(params: tuple[ParamDef, ...]) -> tuple[ParamDef, ...]:
    """The catalogue with the Soviet file's own (pre-calibration) priors."""
    raw = yaml.safe_load(data_text(SOVIET_FILE) or "")
    out = []
    for p in params:
        if p.calibrated and p.base in raw and p.name in FITTED:
            spec = dict(raw[p.base]["prior"])
            kind = spec.pop("kind")
            p = replace(p, prior=Prior(kind, {k: float(v) for k, v in spec.items()}))
        out.append(p)
    return tuple(out)


class SovietCalibrator:
    """Fits :data:`FITTED` to :data:`TARGETS`; see the module docstring."""

    def __init__(self, priors: dict[str, Prior], calendar: Calendar) -> None:
        params = uncalibrated(interwar_catalogue())
        self.params = {p.name: p for p in params}
        self.model = SovietModel(calendar, params)
        names = [p.name for p in params]
        self.index = {n: i for i, n in enumerate(names)}
        self.base = np.array(
            [
                (self.params[n].prior if n in FITTED else priors.get(n, p.prior)).median_guess(
                    p.low, p.high
                )
                for n, p in zip(names, params, strict=True)
            ],
            np.float64,
        )
        self.targets: dict[str, Target] = load_targets()
        self.x0 = np.array([self.base[self.index[n]] for n in FITTED])
        self.sd = np.array(
            [
                prior_sd(self.params[n].prior, self.params[n].low, self.params[n].high)
                for n in FITTED
            ]
        )
        self._run = jax.jit(lambda th: skeleton(self.model, th))
        self.fit: dict[str, float] = {}

    def theta(self, x: np.ndarray) -> jax.Array:
        """The skeleton's parameter vector with the fitted values ``x``."""
        th = self.base.copy()
        for n, v in zip(FITTED, x, strict=True):
            th[self.index[n]] = v
        return jnp.asarray(th, jnp.float32)

    def predictions(self, x: np.ndarray) -> dict[str, float]:
        """The skeleton's value of every target (in the target's unit)."""
        out = self._run(self.theta(x))
        return {
            tid: float(np.asarray(out[name])[idx]) / TARGET_SCALE.get(tid, 1.0)
            for tid, (name, idx, _) in TARGETS.items()
        }

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Target misfits in logs over their scale, then the prior pulls."""
        pred = self.predictions(x)
        r = [
            (math.log(max(pred[t], 1e-9)) - math.log(self.targets[t].central)) / s
            for t, (_, _, s) in TARGETS.items()
        ]
        return np.concatenate([np.array(r), (x - self.x0) / self.sd])

    def run(self) -> dict[str, Prior]:
        """Fit, and return the calibrated priors."""
        lo = np.array([self.params[n].low for n in FITTED])
        hi = np.array([self.params[n].high for n in FITTED])
        res = least_squares(
            self.residuals,
            np.clip(self.x0, lo, hi),
            bounds=(lo, hi),
            x_scale=self.sd,
            diff_step=1e-3,
        )
        self.result = res
        self.fit = dict(zip(FITTED, (float(v) for v in res.x), strict=True))
        n_t = len(TARGETS)
        chi2 = float(np.sum(res.fun[:n_t] ** 2)) / max(n_t - len(FITTED), 1)
        # Conditional standard deviations (each parameter with the others at their
        # estimates): the priors are sampled independently, and the marginal ones would
        # count the fit's correlations (investment rate against construction lag) twice.
        jtj = res.jac.T @ res.jac
        sd = np.sqrt(max(chi2, 1.0) / np.clip(np.diag(jtj), 1e-12, None))
        out: dict[str, Prior] = {}
        for n, v, s, s0 in zip(FITTED, res.x, sd, self.sd, strict=True):
            out[n] = Prior(
                "normal", {"mean": round(float(v), 6), "sd": round(max(float(s), SD_FLOOR * s0), 6)}
            )
        return out

    def report(self) -> list[dict[str, Any]]:
        """Fit of every target."""
        x = np.array([self.fit[n] for n in FITTED])
        pred = self.predictions(x)
        return [
            {
                "target": t,
                "historical": self.targets[t].central,
                "skeleton": round(pred[t], 4),
            }
            for t in TARGETS
        ]


def calibrate(
    priors: dict[str, Prior], calendar: Calendar, write_to: Path | None = None
) -> dict[str, Any]:
    """Run the procedure under the ``otl`` scenario's priors; write the calibration file.

    Args:
        priors: the ``otl`` scenario's resolved priors (levers pinned), by name.
        calendar: the ``otl`` calendar.
        write_to: output path (default: the package's ``data/soviet_calibration.yaml``).
    """
    cal = SovietCalibrator(priors, calendar)
    fitted = cal.run()
    content = {
        "about": "Written by `abm calibrate` (abm.models.interwar.soviet.calibration); "
        "do not edit by hand.",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "procedure": "docs/calibration.md",
        "fitted_to": list(TARGETS),
        "priors": {n: p.to_dict() for n, p in fitted.items()},
        "fit": {"targets": cal.report()},
    }
    write_calibration(content, SOVIET_CALIBRATION, write_to)
    return content
