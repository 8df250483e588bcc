"""Shared test set-up: strict JAX promotion, a compilation cache, small shared runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"
TROTSKY = ROOT / "configs" / "scenarios" / "trotsky.yaml"

# Strict promotion: no silent float64 or rank broadcasting in the model code.
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


#: The tests' compilation cache, shared by the xdist workers and the subprocesses.
JAX_CACHE = os.environ.get("ABM_TEST_JAX_CACHE") or str(ROOT / ".pytest_cache" / "jax")


def small_sweep_yaml(name: str) -> str:
    """A two-point purge-severity grid over otl, 16 runs a point (tests' smallest sweep)."""
    return f"""\
sweep: {name}
scenario: {OTL}
vary:
  purge_severity: {{low: 0.0, high: 1.0}}
design: {{kind: grid, points_per_dim: 2}}
runs_per_point: 16
seed: 0
chunk_size: 16
"""


def jax_cache_env() -> dict[str, str]:
    """Environment that points a subprocess's JAX (``abm`` commands, Dask workers, notebook
    kernels) at the tests' compilation cache, so that it loads programs compiled before."""
    return {
        "ABM_JAX_CACHE": JAX_CACHE,
        "JAX_COMPILATION_CACHE_DIR": JAX_CACHE,
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0.5",
    }


#: Where to log the seconds each test spends tracing, lowering and compiling (a CSV
#: line per JAX compile event: test id, event, seconds), when set: how the suite's
#: time was found and is kept in check (``docs/testing.md``).
COMPILE_LOG = os.environ.get("ABM_TEST_COMPILE_LOG")
_current_test = ["(collection)"]


def _log_compile_event(event: str, duration: float, **_: object) -> None:
    if COMPILE_LOG and event.startswith(("/jax/core/compile/", "/jax/compilation_cache/")):
        with open(COMPILE_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{_current_test[0]},{event},{duration:.3f}\n")


def pytest_configure(config: pytest.Config) -> None:
    jax.config.update("jax_compilation_cache_dir", JAX_CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    if COMPILE_LOG:
        jax.monitoring.register_event_duration_secs_listener(_log_compile_event)


def pytest_runtest_setup(item: pytest.Item) -> None:
    _current_test[0] = item.nodeid


@pytest.fixture(scope="session")
def otl_scenario():
    from abm.config import load_scenario

    return load_scenario(OTL)


def tallies_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    """Names of tallies that differ."""
    assert a.keys() == b.keys()
    return [k for k in a if not np.array_equal(a[k], b[k])]


def monthly_traces(scenario, seed: int, n_runs: int):
    """Full monthly traces of ``n_runs`` runs of a scenario (vmapped, on the host).

    Returns ``(model, theta, s0, final, states)``; ``states`` has leading axes
    ``[run, month]``.
    """
    import jax.numpy as jnp

    from abm.engine.runner import simulate_batch

    model = scenario.model()
    table = scenario.prior_table()
    rows = jax.tree.map(lambda x: np.repeat(np.asarray(x)[None], n_runs, axis=0), table)
    runs = jnp.arange(n_runs, dtype=jnp.int32)

    def go(rows, runs):
        th, s0, final, monthly = simulate_batch(
            model, jnp.uint32(seed), rows, 0 * runs, runs, trace=True
        )
        # [month, run, ...] -> [run, month, ...]
        return th, s0, final, jax.tree.map(lambda x: jnp.swapaxes(x, 0, 1), monthly)

    return (model, *jax.device_get(jax.jit(go)(rows, runs)))


def differing_vars(a: xr.Dataset, b: xr.Dataset) -> list[str]:
    """Names of the data variables in which two cubes differ (NaN equal to NaN); the two
    must hold the same variables. ``[]``: bit for bit the same data."""
    assert set(a.data_vars) == set(b.data_vars)
    return [
        str(v)
        for v in a.data_vars
        if not np.array_equal(a[v].values, b[v].values, equal_nan=a[v].dtype.kind == "f")
    ]


def slice_alone(sdef: Any, chunk_size: int) -> tuple[Any, Any]:
    """A slice composed alone over the interwar calendar, and a runner for it."""
    from abm.engine.compose import compose
    from abm.engine.runner import Runner
    from abm.models import registry

    model = compose(f"{sdef.name}_alone", (sdef,), (), registry.default_calendar("interwar"))
    return model, Runner(model, chunk_size=chunk_size)


def run_pinned(alone: tuple[Any, Any], points: list[dict[str, float]], runs: int, seed: int) -> Any:
    """The cube of ``runs`` runs per point of a slice alone, each point pinning some
    parameters (name -> value) and drawing the others from their priors."""
    from abm.cube import build_cube
    from abm.engine.priors import Prior, PriorTable

    model, runner = alone
    tables = []
    for pins in points:
        priors = [Prior.fixed(pins[p.name]) if p.name in pins else p.prior for p in model.params]
        tables.append(PriorTable.build(priors, [(p.low, p.high) for p in model.params]))
    acc = runner.run(seed, PriorTable.stack(tables), runs)
    return build_cube(acc, model.outcome_specs, model.calendar, {"model": model.name})


def chronicle_alone(sdef: Any, pins: dict[str, float]) -> tuple[list[tuple[str, str]], Any]:
    """One run of a slice alone, stepped month by month over the interwar calendar on the
    priors' middle values (a fixed prior's value; ``pins`` name -> value override), and
    its chronicle as ``abm trace`` prints it.

    Returns:
        ``(events, final state)``: ``(YYYY-MM, text)`` pairs, and the last month's state.
    """
    import jax
    import jax.numpy as jnp

    model = slice_alone(sdef, 8)[0]
    sl = model.slices[sdef.name]

    def middle(p: Any) -> float:
        if p.name in pins:
            return pins[p.name]
        if p.prior.kind == "fixed":
            return float(p.prior.args["value"])
        return 0.5 * sum(p.prior.support(p.low, p.high))

    theta = jnp.asarray([middle(p) for p in model.params], jnp.float32)
    step = jax.jit(sl.advance)
    state = initial = sl.init(jax.random.key(0), theta)
    states = []
    for t in range(model.n_months):
        state = step(jax.random.key(t), state, theta, {})
        states.append(jax.device_get(state))
    stacked = jax.tree.map(lambda *xs: np.stack(xs), *states)
    return sl.chronicle(stacked, jax.device_get(initial)), state


def draw_params(sdef: Any, names: tuple[str, ...], rng: np.random.Generator) -> dict[str, float]:
    """Uniform draws (float32 values) of a slice's parameters ``names`` over their priors'
    supports (a fixed prior gives its value): the inputs of a reference-month test."""
    params = {p.name: p for p in sdef.catalogue()}
    out = {}
    for name in names:
        pr, lo, hi = params[name].prior, params[name].low, params[name].high
        a, b = pr.support(lo, hi) if pr.kind != "fixed" else (pr.args["value"],) * 2
        out[name] = float(np.float32(rng.uniform(a, b)))
    return out
