"""The posterior as a prior: its file, how scenarios take it, and how runs draw from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.config.errors import ConfigError
from abm.config.scenario import load_scenario
from abm.engine import keys
from abm.engine.priors import PRIOR_KINDS, PriorTable
from abm.engine.runner import Runner
from abm.engine.simulate import draw_thetas
from abm.errors import InputError
from abm.models import registry
from abm.posterior import Posterior, load_posterior, save_posterior

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"


def _posterior(tmp: Path, k: int = 5) -> tuple[Path, Posterior]:
    """A posterior of ``k`` vectors over the otl scenario's first mechanism priors."""
    sc = load_scenario(OTL, posterior="none")
    cat = [p for p in registry.catalogue("interwar") if p.kind != "lever"]
    chosen = [p for p in cat if sc.priors[p.name].kind not in ("fixed",)][:6]
    rng = np.random.default_rng(0)
    lo = np.array([p.low for p in chosen])
    hi = np.array([p.high for p in chosen])
    mid = np.array([sc.priors[p.name].median_guess(p.low, p.high) for p in chosen])
    span = np.minimum(hi - mid, mid - lo) * 0.5
    values = (mid + span * rng.uniform(-1, 1, (k, len(chosen)))).astype(np.float32)
    post = Posterior(
        tuple(p.name for p in chosen),
        values,
        {p.name: sc.priors[p.name] for p in chosen},
        {"model": "interwar", "test": True},
    )
    path = save_posterior(post, tmp / "post.npz")
    return path, post


def test_file_round_trip_and_damage_is_refused(tmp_path: Path) -> None:
    path, post = _posterior(tmp_path)
    back = load_posterior(path)
    assert back.names == post.names and back.digest() == post.digest()
    np.testing.assert_array_equal(back.values, post.values)
    assert back.meta["test"] is True and back.base_priors == post.base_priors
    data = bytearray(path.read_bytes())
    data[200] ^= 0x01
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"bad\.npz"):
        load_posterior(bad)
    with pytest.raises(InputError, match="not found"):
        load_posterior(tmp_path / "missing.npz")
    assert not list(tmp_path.glob(".*tmp*"))  # nothing half-written left behind


def test_scenario_takes_unchanged_priors_from_the_posterior(tmp_path: Path) -> None:
    path, post = _posterior(tmp_path)
    plain = load_scenario(OTL, posterior="none")
    sc = load_scenario(OTL, posterior=str(path))
    names = list(registry.catalogue("interwar"))
    kinds = dict(zip((p.name for p in names), np.asarray(sc.prior_table().kind), strict=True))
    for j, n in enumerate(post.names):
        assert kinds[n] == PRIOR_KINDS["posterior"]
        assert sc.effective_priors()[n].args["column"] == j
    assert sc.config_hash() != plain.config_hash()
    assert post.digest() in sc.resolved_text()
    # A --set pin (like a stance's prior) differs from the base prior: it applies on top.
    pinned = load_scenario(
        OTL, [f"{post.names[0]}={float(post.values[0, 0])}"], posterior=str(path)
    )
    assert pinned.effective_priors()[post.names[0]].kind == "fixed"
    assert pinned.effective_priors()[post.names[1]].kind == "posterior"


def test_scenario_refuses_a_posterior_of_another_model(tmp_path: Path) -> None:
    sc = load_scenario(OTL, posterior="none")
    name = next(p.name for p in registry.catalogue("interwar") if p.kind != "lever")
    post = Posterior(
        ("no_such_parameter",), np.zeros((2, 1), np.float32), {"no_such_parameter": sc.priors[name]}
    )
    path = save_posterior(post, tmp_path / "other.npz")
    with pytest.raises(InputError, match="no_such_parameter"):
        load_scenario(OTL, posterior=str(path))


def test_each_run_takes_one_whole_row_of_the_posterior(tmp_path: Path) -> None:
    path, post = _posterior(tmp_path, k=7)
    sc = load_scenario(OTL, posterior=str(path))
    table = jax.tree.map(np.asarray, sc.prior_table())
    cols = [
        list(registry.catalogue("interwar")).index(
            next(p for p in registry.catalogue("interwar") if p.name == n)
        )
        for n in post.names
    ]
    n = 400
    rows = jax.tree.map(lambda x: np.repeat(x[None], n, axis=0), table)
    run_keys = jax.vmap(keys.run_key, in_axes=(None, None, 0))(3, 0, jnp.arange(n))
    thetas = np.asarray(draw_thetas(run_keys, rows, jnp.asarray(post.values)))
    picked = thetas[:, cols]
    # Every run's calibrated parameters are one whole row (correlations kept) ...
    match = (picked[:, None, :] == post.values[None]).all(axis=2)
    assert match.any(axis=1).all()
    # ... rows are used about evenly ...
    counts = match.argmax(axis=1)
    assert np.bincount(counts, minlength=7).min() > n / 7 / 2
    # ... and a run's row does not depend on the batch it is in.
    alone = np.asarray(
        draw_thetas(run_keys[5:6], jax.tree.map(lambda x: x[:1], rows), jnp.asarray(post.values))
    )
    np.testing.assert_array_equal(alone[0], thetas[5])
    # Without a posterior the draws are those of the priors (kind posterior absent).
    plain = jax.tree.map(np.asarray, load_scenario(OTL, posterior="none").prior_table())
    assert not (np.asarray(plain.kind) == PRIOR_KINDS["posterior"]).any()


def test_posterior_runs_are_bit_identical_whatever_the_chunking(tmp_path: Path) -> None:
    path, _ = _posterior(tmp_path)
    sc = load_scenario(OTL, posterior=str(path))
    model = sc.model()
    tables = PriorTable.stack([sc.prior_table()])
    a = Runner(model, chunk_size=16, posterior=sc.posterior_values()).run(0, tables, 48).tallies
    b = Runner(model, chunk_size=48, posterior=sc.posterior_values()).run(0, tables, 48).tallies
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_a_stance_applies_on_top_of_the_posterior(tmp_path: Path) -> None:
    """Where the skeptic stance sets a mechanism's prior, the runs draw from the stance's
    prior; elsewhere from the posterior."""
    sc = load_scenario(OTL, posterior="none")
    names = ("comintern_export_effect", "apparatus_pull", "grain_yield")
    cat = {p.name: p for p in registry.catalogue("interwar")}
    values = np.array([[(cat[n].low + cat[n].high) / 2 for n in names]] * 3, np.float32)
    post = Posterior(names, values, {n: sc.priors[n] for n in names}, {"model": "interwar"})
    path = save_posterior(post, tmp_path / "p.npz")
    skeptic = load_scenario(OTL, stance="skeptic", posterior=str(path))
    eff = skeptic.effective_priors()
    assert eff["comintern_export_effect"] == skeptic.priors["comintern_export_effect"]
    assert eff["comintern_export_effect"].kind == "uniform"
    assert eff["apparatus_pull"].kind == "uniform"
    assert eff["grain_yield"].kind == "posterior"


def test_a_model_without_a_posterior_refuses_default_clearly(tmp_path: Path) -> None:
    """A model with no calibrated posterior (``interwar_example``; as
    ``interwar_international`` was between its Spanish front's change and its
    recalibration): ``posterior: default`` names the model and what to run, and no
    stale sample is read."""
    assert registry.posterior_path("interwar_example") is None
    (tmp_path / "presets").mkdir()
    shutil.copy(OTL.parents[1] / "presets" / "leaders.yaml", tmp_path / "presets")
    (tmp_path / "scenarios").mkdir()
    scenario = tmp_path / "scenarios" / "example.yaml"
    text = OTL.read_text(encoding="utf-8")
    scenario.write_text(
        text.replace("scenario: otl\n", "scenario: otl\nmodel: interwar_example\n", 1)
    )
    with pytest.raises(ConfigError, match="interwar_example has no calibrated posterior"):
        load_scenario(scenario, posterior="default")


@pytest.mark.parametrize(
    ("scenario", "model"),
    [(OTL, "interwar"), (OTL.with_name("otl_international.yaml"), "interwar_international")],
)
def test_the_committed_posterior_belongs_to_the_model_as_it_is(scenario: Path, model: str) -> None:
    """``posterior: default`` loads: the committed sample names every parameter it fits in
    today's catalogue (a catalogue change that makes it stale fails here, before a user
    meets the refusal; rerun ``abm calibrate``)."""
    sc = load_scenario(scenario, posterior="default")
    assert sc.posterior is not None and sc.model_name == model
    assert sc.posterior.meta["model"] == model
    table = jax.tree.map(np.asarray, sc.prior_table())
    names = [p.name for p in registry.catalogue(model)]
    reads = {names[i] for i in np.flatnonzero(table.kind == PRIOR_KINDS["posterior"])}
    # The scenario's mechanism parameters read their column of the sample ...
    assert len(reads) > 100 and reads <= set(sc.posterior.names)
    # ... and the sample holds numbers (a damaged file is refused on loading).
    assert np.isfinite(sc.posterior.values).all()
