"""Derive the historical exogenous paths of ``data/exogenous_history.yaml``.

Rerun after a recalibration (``python -m abm.models.interwar.history_derive`` from the
repository root); ``tests/test_exogenous.py`` checks that the stored file is what this
derives.

* **Soviet harvest weather.** The Soviet slice's harvest of region ``r`` is
  ``trend * exp(weather_sd * w + regional_weather_sd * z_r - sd2 / 2) * disruption``
  (:func:`abm.models.interwar.soviet.agriculture.month`). Its deterministic skeleton
  (Stalin's rule, the NSDAP in power from January 1933, every other random number at
  its neutral value) under the ``otl`` scenario with every parameter at its prior's
  centre gives the harvest ``H(w)`` of each year as a function of the national weather
  ``w`` (regional weather 0). Averaged over the regional draws, a run's harvest is
  ``H(w) exp(regional_weather_sd**2 / 2)``; the historical index is the ``w`` at which
  that equals the historical harvest (``SUN_grain_<year>``, Wheatcroft & Davies 1994):
  ``w <- w + (log(H_hist exp(-sd_r**2 / 2)) - log H(w)) / weather_sd``, iterated (the
  harvest of one year is exp-linear in that year's ``w``; the iteration also takes up
  any feedback through the procurement shortfall).
* **German unemployment**: the registered annual averages 1928-1932 and January 1933
  of the calibration targets, copied with their target ids.
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

from abm.models.catalogue import write_calibration
from abm.models.interwar.history import HISTORY_FILE
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.calibration import NAZI_FROM, neutral_draws
from abm.models.interwar.soviet.model import SovietModel
from abm.models.interwar.soviet.types import SovietState

#: Years whose harvest the calibration targets hold (``SUN_grain_<year>``).
WEATHER_YEARS = tuple(range(1928, 1936))
#: Registered unemployment targets: annual averages, and single months.
UNEMPLOYMENT_ANNUAL = {y: f"DEU_unemp_{y}" for y in range(1928, 1933)}
UNEMPLOYMENT_MONTHLY = {"1933-01": "DEU_unemp_Jan1933"}
SCENARIO = Path("configs/scenarios/otl.yaml")
ITERATIONS = 4


def skeleton_harvest(model: SovietModel, theta: jax.Array, weather: jax.Array) -> jax.Array:
    """The skeleton's harvest of each harvest year (Mt, ``[len(HARVEST_YEARS)]``).

    The skeleton of :func:`abm.models.interwar.soviet.calibration.skeleton` with the
    national weather ``weather`` (float32 ``[Y]``) and every other shock 0.
    """
    state = model.init(jax.random.key(0), theta)
    zero = jax.tree.map(jnp.zeros_like, state.shocks)
    lead = replace(state.leadership, ruler=jnp.int32(K.STALIN))
    state = replace(state, shocks=replace(zero, weather=weather), leadership=lead)
    draws = neutral_draws()
    nazi = jnp.int32(model.calendar.index_of(NAZI_FROM))

    def body(s: SovietState, _: Any) -> tuple[SovietState, None]:
        return model.advance(s, theta, draws, nazi), None

    state, _ = jax.lax.scan(body, state, None, length=model.n_months)
    return model.outcomes(state, theta, nazi)["grain_harvest"]


def derive(scenario: Path = SCENARIO) -> dict[str, Any]:
    """The content of :data:`~abm.models.interwar.history.HISTORY_FILE`."""
    from abm.config import load_scenario
    from abm.models import registry
    from abm.models.interwar.germany.calibration import load_targets

    sc = load_scenario(scenario)
    params = registry.catalogue(sc.model_name)
    theta_np = np.array([sc.priors[p.name].median_guess(p.low, p.high) for p in params])
    theta = jnp.asarray(theta_np, jnp.float32)
    names = [p.name for p in params]
    sd_w = float(theta_np[names.index("weather_sd")])
    sd_r = float(theta_np[names.index("regional_weather_sd")])
    model = SovietModel(sc.calendar, params)
    targets = load_targets()
    years = model.years
    hist = np.array([targets[f"SUN_grain_{y}"].central for y in WEATHER_YEARS])
    aim = np.log(hist) - 0.5 * sd_r**2
    pos = [model.harvest_years.index(y) for y in WEATHER_YEARS]
    at = [years.index(y) for y in WEATHER_YEARS]
    run = jax.jit(lambda w: skeleton_harvest(model, theta, w))
    w = np.zeros((len(years),), np.float64)
    for _ in range(ITERATIONS):
        harvest = np.asarray(run(jnp.asarray(w, jnp.float32)), np.float64)
        w[at] += (aim - np.log(harvest[pos])) / sd_w
    harvest = np.asarray(run(jnp.asarray(w, jnp.float32)), np.float64)
    misfit = float(np.max(np.abs(np.log(harvest[pos]) - aim)))
    return {
        "about": "Written by abm.models.interwar.history_derive (docs/exogenous.md); "
        "do not edit by hand.",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "soviet_weather": {
            "unit": "standard normal (the Soviet slice's national harvest weather)",
            "from": [f"SUN_grain_{y}" for y in WEATHER_YEARS],
            "scenario": str(scenario),
            "weather_sd": sd_w,
            "regional_weather_sd": sd_r,
            "max_log_misfit": misfit,
            "values": {
                int(y): round(float(w[i]), 6) for y, i in zip(WEATHER_YEARS, at, strict=True)
            },
        },
        "german_unemployment": {
            "unit": "million registered unemployed",
            "from": [*UNEMPLOYMENT_ANNUAL.values(), *UNEMPLOYMENT_MONTHLY.values()],
            "annual": {y: targets[t].central for y, t in UNEMPLOYMENT_ANNUAL.items()},
            "monthly": {m: targets[t].central for m, t in UNEMPLOYMENT_MONTHLY.items()},
        },
    }


def main() -> None:
    """Derive and write the package's ``data/exogenous_history.yaml``."""
    content = derive()
    write_calibration(content, HISTORY_FILE)
    w = content["soviet_weather"]
    print(f"wrote {HISTORY_FILE}: weather {w['values']} (misfit {w['max_log_misfit']:.2e})")
    assert math.isfinite(w["max_log_misfit"])


if __name__ == "__main__":
    main()
