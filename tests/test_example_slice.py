"""The example slice (emigres): its month against a NumPy reference, the guide that
describes it, and a run of ``interwar_example`` end to end into a cube."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import ROOT

from abm.cube import build_cube
from abm.engine.compose import compose
from abm.engine.priors import PRIOR_KINDS, PriorTable
from abm.engine.runner import Runner
from abm.models import registry
from abm.models.example.month import draw_month
from abm.models.example.slice import SLICE
from abm.models.example.types import N_GROUPS, EmigreState
from abm.models.interwar.germany.signals import GermanySignals

GUIDE = ROOT / "docs" / "adding_a_slice.md"
N = 48


# ---------------------------------------------------------------- NumPy reference
def reference_month(
    month: int,
    stayed: np.ndarray,
    emigrated: np.ndarray,
    wave_month: int,
    base: float,
    extra: float,
    nazi_month: int,
    u: np.ndarray,
) -> tuple[int, np.ndarray, np.ndarray, int]:
    """One month of one run, group by group in float64 (slow, independent of month.py)."""
    under_nazis = nazi_month >= 0 and month >= nazi_month
    hazard = float(base) + (float(extra) if under_nazis else 0.0)
    total = 0.0
    new_stayed = np.zeros(len(stayed))
    new_emigrated = np.zeros(len(stayed))
    for g in range(len(stayed)):
        total += float(stayed[g]) + float(emigrated[g])
        leave = float(stayed[g]) * min(max(2.0 * hazard * float(u[g]), 0.0), 1.0)
        new_stayed[g] = float(stayed[g]) - leave
        new_emigrated[g] = float(emigrated[g]) + leave
    wave = wave_month < 0 and new_emigrated.sum() >= 0.1 * total
    return month + 1, new_stayed, new_emigrated, month if wave else wave_month


@pytest.fixture(scope="module")
def alone():
    """The example slice composed alone (its port unwired) over the default calendar."""
    return compose("example_alone", [SLICE], [], registry.default_calendar("interwar_example"))


def _states(rng: np.random.Generator) -> EmigreState:
    stayed = rng.uniform(0.2, 2.0, (N, N_GROUPS)).astype(np.float32)
    # Scaled so that some runs sit near the wave's threshold.
    share = rng.uniform(0.0, 0.2, (N, 1)).astype(np.float32)
    emigrated = (stayed * share * rng.uniform(0.5, 1.5, (N, N_GROUPS))).astype(np.float32)
    return EmigreState(
        month=rng.integers(0, 210, N).astype(np.int32),
        stayed=stayed,
        emigrated=emigrated,
        wave_month=np.where(rng.uniform(size=N) < 0.3, 5, -1).astype(np.int32),
    )


@pytest.mark.parametrize("wired", [True, False])
def test_month_matches_the_numpy_reference(alone, wired):
    rng = np.random.default_rng(3)
    sl = alone.slices["example"]
    names = alone.param_names
    theta = np.zeros((N, len(names)), np.float32)
    theta[:, names.index("emigre_hazard_base")] = rng.uniform(0.0, 0.01, N)
    theta[:, names.index("emigre_hazard_nazi")] = rng.uniform(0.0, 0.05, N)
    theta[:, names.index("emigre_nazi_year")] = rng.uniform(1924, 1942, N)
    nazi = rng.choice(np.array([-1, 40, 100, 150], np.int32), N)
    states = _states(rng)
    run_keys = jax.random.split(jax.random.key(11), N)
    imports = {"germany": GermanySignals(nazi_month=jnp.asarray(nazi))} if wired else {}
    got = jax.device_get(jax.vmap(sl.advance)(run_keys, states, jnp.asarray(theta), imports))
    u = np.asarray(jax.vmap(draw_month, in_axes=(0, None))(run_keys, N_GROUPS))
    waves = 0
    for i in range(N):
        if wired:
            nm = int(nazi[i])
        else:  # the lever: the month index of the decimal year, rounded up
            nm = int(np.ceil((float(theta[i, names.index("emigre_nazi_year")]) - 1924) * 12))
        month, stayed, emigrated, wave = reference_month(
            int(states.month[i]),
            states.stayed[i],
            states.emigrated[i],
            int(states.wave_month[i]),
            theta[i, names.index("emigre_hazard_base")],
            theta[i, names.index("emigre_hazard_nazi")],
            nm,
            u[i],
        )
        assert int(got.month[i]) == month
        np.testing.assert_allclose(got.stayed[i], stayed, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(got.emigrated[i], emigrated, rtol=2e-6, atol=1e-7)
        assert int(got.wave_month[i]) == wave, f"run {i}"
        waves += wave >= 0 and int(states.wave_month[i]) < 0
    assert waves > 0, "no run crossed the threshold: the wave was not tested"


def test_the_port_supersedes_the_lever(alone):
    assert "emigre_nazi_year" in alone.param_names
    wired = [p.name for p in registry.catalogue("interwar_example")]
    assert "emigre_nazi_year" not in wired
    assert {"emigre_hazard_base", "emigre_hazard_nazi"} <= set(wired)
    assert all(p.slice == "example" for p in SLICE.catalogue())


# ---------------------------------------------------------------- the guide
def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def test_the_guide_names_files_that_exist():
    named = set(re.findall(r"`((?:src|tests|docs)/[\w./-]+)`", _guide()))
    assert len(named) >= 8
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert missing == []


def test_the_guide_names_every_file_of_the_example():
    package = ROOT / "src" / "abm" / "models" / "example"
    files = {
        str(p.relative_to(ROOT))
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert files and not [f for f in sorted(files) if f"`{f}`" not in _guide()]


def test_the_guide_snippets_are_copied_from_the_files():
    blocks = re.findall(r"```(?:python|yaml)\n# ((?:src|tests)/[\w./-]+)\n(.*?)```", _guide(), re.S)
    assert len(blocks) >= 8
    for path, body in blocks:
        text = (ROOT / path).read_text(encoding="utf-8")
        assert body in text, f"a snippet of the guide is not in {path}:\n{body}"


# ---------------------------------------------------------------- end to end
def test_interwar_example_runs_into_a_cube_with_the_example_outcomes():
    model = registry.build_model("interwar_example")
    assert list(model.slices) == [
        "germany",
        "soviet",
        "diplomacy",
        "frontiers",
        "spain",
        "china",
        "war",
        "example",
    ]
    base = PriorTable.build(
        [p.prior for p in model.params], [(p.low, p.high) for p in model.params]
    )
    # Two sweep points, the second with the highest hazard under a Nazi government.
    tables = PriorTable.stack([base, base])
    k = model.param_names.index("emigre_hazard_nazi")
    tables.kind[1, k], tables.a[1, k] = PRIOR_KINDS["fixed"], 0.05
    # 16 runs a point in chunks of 16: the program test_slice_contract's sweep compiles.
    acc = Runner(model, chunk_size=16).run(0, tables, 16)
    cube = build_cube(
        acc,
        model.outcome_specs,
        model.calendar,
        {"model": model.name},
        points={"variant": ["prior", "highest"]},
    )
    assert cube["n_runs"].values.tolist() == [16, 16]
    for var in ("emigre_wave_prob", "emigres_mean", "nazi_power_prob", "famine_deaths_mean"):
        assert var in cube, var
    assert cube["emigre_wave_prob"].attrs["headline"] == 1
    assert cube["emigres_mean"].attrs["headline"] == 0
    assert "emigre_wave" in cube.attrs["headline_outcomes"].split(",")
    emigres = cube["emigres_mean"].values
    assert np.all(emigres > 0) and emigres[1] > emigres[0]
