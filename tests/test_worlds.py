"""Separate world from luck: the nested design, the decomposition and the Sobol indices."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest
from conftest import OTL, TROTSKY

from abm.analysis.worlds import (
    NestedStats,
    WorldStats,
    decompose,
    difference_table,
    first_order_indices,
    sobol_table,
)
from abm.analysis.worlds_tables import analyze, markdown_table

CELL = (("q", "", "mean"),)


def _stats(m: np.ndarray, w: np.ndarray, n: int, name: str = "s") -> WorldStats:
    k = m.shape[0]
    return WorldStats(name, CELL, m[:, None], w[:, None], np.full((k, 1), n, np.int64))


def _nested_replicates(rng, between_sd: float, within_sd: float, k: int, r: int):
    """World means and unbiased within variances of ``k`` worlds x ``r`` replicates."""
    mu = rng.normal(10.0, between_sd, k)
    y = mu[:, None] + rng.normal(0.0, within_sd, (k, r))
    return y.mean(axis=1), y.var(axis=1, ddof=1)


# --- the decomposition on synthetic numbers --------------------------------------------


def test_decompose_recovers_known_between_and_within_variance():
    rng = np.random.default_rng(0)
    m, w = _nested_replicates(rng, between_sd=2.0, within_sd=3.0, k=3000, r=10)
    row = decompose(_stats(m, w, 10)).iloc[0]
    # Between 4 (not 4 + 9 / 10: the finite-R noise is removed), within 9.
    assert row["between_var"] == pytest.approx(4.0, rel=0.08)
    assert row["within_var"] == pytest.approx(9.0, rel=0.03)
    assert row["total_var"] == pytest.approx(13.0, rel=0.05)
    assert row["world_share"] == pytest.approx(4 / 13, abs=0.03)
    assert row["chance_share"] == pytest.approx(1 - row["world_share"])
    assert row["world_lo"] < row["world_share"] < row["world_hi"]
    assert row["world_lo"] < 4 / 13 < row["world_hi"]
    assert row["mean"] == pytest.approx(10.0, abs=0.1)


def test_identical_worlds_give_a_world_share_near_zero():
    rng = np.random.default_rng(1)
    m, w = _nested_replicates(rng, between_sd=0.0, within_sd=3.0, k=1000, r=8)
    row = decompose(_stats(m, w, 8)).iloc[0]
    # The raw variance of the world means (about 9 / 8) is all replicate noise.
    assert np.var(m, ddof=1) > 0.9
    assert row["world_share"] < 0.03
    assert row["world_hi"] < 0.08
    assert row["within_var"] == pytest.approx(9.0, rel=0.05)


def test_decompose_of_event_probabilities():
    # Worlds with p_k uniform on [0.2, 0.8]; R Bernoulli runs each.
    rng = np.random.default_rng(2)
    k, r = 4000, 20
    p = rng.uniform(0.2, 0.8, k)
    hits = rng.binomial(r, p)
    ph = hits / r
    row = decompose(_stats(ph, ph * (1 - ph) * r / (r - 1), r)).iloc[0]
    assert row["between_var"] == pytest.approx(0.36 / 12, rel=0.1)
    assert row["within_var"] == pytest.approx(0.5 - (0.36 / 12 + 0.25), rel=0.05)


def test_difference_table_means_and_intervals():
    rng = np.random.default_rng(3)
    k = 500
    ma = rng.normal(1.0, 0.5, k)
    d = rng.normal(0.3, 0.2, k)
    w = np.full(k, 0.01)
    row = difference_table(_stats(ma, w, 10, "a"), _stats(ma + d, w, 10, "b")).iloc[0]
    assert row["diff"] == pytest.approx(d.mean())
    assert row["diff_lo"] < 0.3 < row["diff_hi"]
    assert row["diff_hi"] - row["diff_lo"] < 0.06
    assert row["diff_sd"] == pytest.approx(0.2, rel=0.1)
    assert row["worlds_positive"] == pytest.approx(np.mean(d > 0))
    # (0.01 + 0.01) / 10 over a variance of 0.04.
    assert row["noise_share_max"] == pytest.approx(0.05, rel=0.15)


# --- the given-data Sobol estimator ----------------------------------------------------


def test_first_order_indices_of_an_additive_function():
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(4000, 3))
    d = 2 * x[:, 0] + x[:, 1]  # Var = 4/12 + 1/12: indices 0.8 and 0.2
    t = first_order_indices(x, d, ["x1", "x2", "unused"])
    assert list(t["parameter"]) == ["x1", "x2", "unused"]
    s = dict(zip(t["parameter"], t["S1"], strict=True))
    assert s["x1"] == pytest.approx(0.8, abs=0.03)
    assert s["x2"] == pytest.approx(0.2, abs=0.03)
    assert abs(s["unused"]) < 0.02
    for _, r in t.iterrows():
        assert r["S1_lo"] <= r["S1"] <= r["S1_hi"]
    unused = t[t["parameter"] == "unused"].iloc[0]
    assert unused["S1_lo"] < 0 < unused["S1_hi"]
    floor = t["noise_floor"].iloc[0]
    assert 0 < floor < 0.05 and s["unused"] < floor < s["x2"]


def test_noise_floor_bounds_the_top_index_of_irrelevant_parameters():
    from abm.analysis.worlds import _first_order, noise_floor

    rng = np.random.default_rng(7)
    k, n_params, n_bins, trials = 100, 20, 10, 60
    exceed = 0
    for t in range(trials):
        x = rng.uniform(size=(n_params, k))
        y = rng.lognormal(size=k)  # depends on none of them
        floor = noise_floor(y, n_params, n_bins, seed=t, reps=100)
        exceed += np.nanmax(_first_order(x, np.broadcast_to(y, x.shape), n_bins)) > floor
    # About 5 % of the trials; far more without the floor's max over parameters.
    assert exceed <= 0.2 * trials
    assert noise_floor(y, 20, n_bins) > noise_floor(y, 1, n_bins)


def test_first_order_indices_are_unbiased_for_unused_inputs_at_small_k():
    # Without the ANOVA correction each index would average (M - 1) / K = 13 / 200.
    rng = np.random.default_rng(8)
    x = rng.uniform(size=(200, 60))
    t = first_order_indices(x, rng.normal(size=200), [f"x{i}" for i in range(60)], n_boot=20)
    assert abs(t["S1"].mean()) < 0.015
    assert t["S1"].max() < t["noise_floor"].iloc[0]


def test_first_order_indices_skip_inputs_that_do_not_vary():
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.uniform(size=200), np.full(200, 3.0)])
    t = first_order_indices(x, x[:, 0] ** 2, ["x", "pinned"])
    assert list(t["parameter"]) == ["x"]
    assert t["S1"].iloc[0] > 0.9


def test_sobol_table_uses_only_mechanism_parameters():
    rng = np.random.default_rng(6)
    k = 400
    th = rng.uniform(size=(k, 3)).astype(np.float32)
    ma = rng.normal(size=k)
    a = _stats(ma, np.zeros(k), 4, "a")
    b = _stats(ma + 3 * th[:, 2], np.zeros(k), 4, "b")
    mech = np.array([True, True, False])
    nested = NestedStats(a, b, th, ("m1", "m2", "lever"), mech, 0, 4)
    t = sobol_table(nested)
    assert set(t["parameter"]) == {"m1", "m2"}  # the driver is not a mechanism
    rep = analyze(nested)
    assert len(rep.decomposition) == 2 and len(rep.difference) == 1
    text = rep.markdown(top=1)
    assert "world share" in text and "First-order Sobol" in text


def test_markdown_table():
    import pandas as pd

    text = markdown_table(pd.DataFrame({"a": ["x"], "b": [0.123456]}), ["a", "b"])
    assert text.splitlines() == ["| a | b |", "| --- | --- |", "| x | 0.123 |"]


# --- world tables (no compile) ---------------------------------------------------------


@pytest.fixture(scope="module")
def scenarios():
    from abm.config import load_scenario

    return load_scenario(OTL), load_scenario(TROTSKY)


def _names(sc) -> list[str]:
    from abm.models import registry

    return [p.name for p in registry.catalogue(sc.model_name)]


def test_world_tables_pin_exactly_the_shared_mechanisms(scenarios):
    from abm.engine.nested import shared_mask, world_tables
    from abm.engine.priors import PRIOR_KINDS

    sa, sb = scenarios
    ta1, tb1 = sa.prior_table(), sb.prior_table()
    n = ta1.n_params
    k = 3
    thetas = np.random.default_rng(0).uniform(size=(k, n)).astype(np.float32)
    ta, tb = world_tables(ta1, tb1, thetas)
    assert np.shape(ta.kind) == (k, n) and np.shape(tb.kind) == (k, n)
    fields = ("kind", "a", "b", "c", "low", "high")
    same = np.all([np.asarray(getattr(ta1, f)) == np.asarray(getattr(tb1, f)) for f in fields], 0)
    shared = shared_mask(ta1, tb1)
    np.testing.assert_array_equal(shared, same)
    names = _names(sa)
    differ = {names[j] for j in np.flatnonzero(~shared)}
    # The levers and the preset that differ between otl and trotsky stay each one's own.
    assert {"initial_power.trotsky", "initial_power.stalin"} <= differ
    assert "united_front_uptake" not in differ  # the SPD's willingness: no preset's (issue 13)
    assert 0 < len(differ) < 20
    for t, own in ((ta, ta1), (tb, tb1)):
        kind, a = np.asarray(t.kind), np.asarray(t.a)
        assert np.all(kind[:, shared] == PRIOR_KINDS["fixed"])
        np.testing.assert_array_equal(a[:, shared], thetas[:, shared])
        for f in fields:
            np.testing.assert_array_equal(
                np.asarray(getattr(t, f))[:, ~shared],
                np.broadcast_to(np.asarray(getattr(own, f))[~shared], (k, int((~shared).sum()))),
            )
    j = names.index("initial_power.trotsky")
    assert np.asarray(ta.a)[0, j] != np.asarray(tb.a)[0, j]
    # One scenario: every parameter is the world's.
    ta_only, tb_none = world_tables(ta1, None, thetas)
    assert tb_none is None
    assert np.all(np.asarray(ta_only.kind) == PRIOR_KINDS["fixed"])


def test_draw_worlds_is_reproducible_in_range_and_apart_from_run_keys(scenarios):
    from abm.engine import keys
    from abm.engine.nested import WORLD_POINT, draw_worlds, world_key
    from abm.models import registry

    sa, _ = scenarios
    th = draw_worlds(sa, 6, seed=0)
    assert th.shape == (6, sa.prior_table().n_params) and th.dtype == np.float32
    np.testing.assert_array_equal(th, draw_worlds(sa, 6, seed=0))
    assert not np.array_equal(th, draw_worlds(sa, 6, seed=1))
    params = registry.catalogue(sa.model_name)
    lo = np.array([p.low for p in params], np.float32)
    hi = np.array([p.high for p in params], np.float32)
    assert np.all((th >= lo) & (th <= hi))
    kind = np.asarray(sa.prior_table().kind)
    assert np.all(np.ptp(th[:, kind != 0], axis=0) > 0)  # random priors vary across worlds
    assert WORLD_POINT >= 2**31  # a run's point is below 2**31
    wk = jax.random.key_data(world_key(0, 2))
    rk = jax.random.key_data(keys.run_key(0, 0, 2))
    assert not np.array_equal(np.asarray(wk), np.asarray(rk))


def test_draw_worlds_keeps_posterior_rows(scenarios):
    from abm.engine.nested import draw_worlds
    from abm.posterior import Posterior

    sa, _ = scenarios
    names = _names(sa)
    kind = np.asarray(sa.prior_table().kind)
    cols = [names[j] for j in np.flatnonzero(kind != 0)[:2]]
    from abm.models import registry

    params = {p.name: p for p in registry.catalogue(sa.model_name)}
    # Three rows inside each column's range.
    values = np.stack(
        [np.linspace(params[c].low, params[c].high, 5)[1:4] for c in cols], axis=1
    ).astype(np.float32)
    post = Posterior(tuple(cols), values, {c: sa.priors[c] for c in cols})
    sp = dataclasses.replace(sa, posterior=post)
    th = draw_worlds(sp, 32, seed=0)
    got = th[:, [names.index(c) for c in cols]]
    rows = {tuple(r) for r in values.tolist()}
    assert {tuple(r) for r in got.tolist()} <= rows  # whole rows: correlations kept
    assert len({tuple(r) for r in got.tolist()}) > 1


# --- end to end: otl vs trotsky, K=4, R=4 ----------------------------------------------

K, R = 4, 4


@pytest.fixture(scope="module")
def nested(scenarios):
    from abm.engine.nested import run_nested

    sa, sb = scenarios
    return run_nested(sa, sb, K, R, seed=0, chunk_size=32)


def test_nested_run_shapes(nested, scenarios):
    sa, _ = scenarios
    cells = nested.a.cells
    assert cells == nested.b.cells
    outcomes = [s.name for s in sa.model().outcome_specs if s.headline]
    assert [c[0] for c in dict.fromkeys((c[0], 0) for c in cells)] == outcomes
    assert ("soviet_leader", "trotsky", "share") in cells
    assert ("famine_deaths", "total", "mean") in cells
    c = len(cells)
    for st in (nested.a, nested.b):
        assert st.mean.shape == st.within.shape == st.n.shape == (K, c)
        assert np.all(st.n == R)
        assert np.all(np.isfinite(st.mean)) and np.all(st.within >= 0)
        for j, cell in enumerate(cells):
            if cell[2] != "mean":  # probabilities and shares come in steps of 1 / R
                np.testing.assert_allclose(st.mean[:, j] * R, np.round(st.mean[:, j] * R))
        leader = [j for j, cell in enumerate(cells) if cell[0] == "soviet_leader"]
        np.testing.assert_allclose(st.mean[:, leader].sum(axis=1), 1.0)
    assert nested.thetas.shape == (K, len(nested.names))
    assert nested.worlds == K and nested.replicates == R
    rep = analyze(nested)
    assert len(rep.decomposition) == 2 * c and len(rep.difference) == c
    assert set(rep.sobol["parameter"]) <= {
        n for n, m in zip(nested.names, nested.mechanism, strict=True) if m
    }
    # Trotsky's start changes who leads in 1929 in some world.
    j = cells.index(("soviet_leader", "stalin", "share"))
    assert np.any(nested.a.mean[:, j] != nested.b.mean[:, j])


def test_world_k_uses_the_same_mechanisms_in_a_and_b(nested, scenarios):
    # The runner draws run (k, r)'s parameters with sample(stream(run_key(seed, k, r)))
    # from row k of each scenario's world table: the shared ones are theta_k in both.
    from abm.engine import keys
    from abm.engine.nested import world_tables
    from abm.engine.priors import sample

    sa, sb = scenarios
    ta, tb = world_tables(sa.prior_table(), sb.prior_table(), nested.thetas)
    mech = nested.mechanism
    draw = jax.jit(
        jax.vmap(
            lambda row, k, r: sample(keys.stream(keys.run_key(0, k, r), keys.STREAM_PRIORS), row)
        )
    )
    kk = np.repeat(np.arange(K, dtype=np.uint32), R)
    rr = np.tile(np.arange(R, dtype=np.uint32), K)
    rows = lambda t: jax.tree.map(lambda x: np.asarray(x)[kk], t)  # noqa: E731
    tha, thb = np.asarray(draw(rows(ta), kk, rr)), np.asarray(draw(rows(tb), kk, rr))
    np.testing.assert_array_equal(tha[:, mech], thb[:, mech])
    np.testing.assert_array_equal(tha[:, mech], nested.thetas[kk][:, mech])
    assert np.any(tha[:, ~mech] != thb[:, ~mech])  # the levers stay each scenario's
    # Mechanisms differ between worlds, so the worlds are different worlds.
    assert np.any(nested.thetas[0, mech] != nested.thetas[1, mech])


def test_world_stats_from_tallies():
    from abm.engine.nested import world_stats
    from abm.outcomes import CategoryOutcome, EventOutcome, QuantityOutcome

    specs = (
        EventOutcome("e", "", headline=True),
        CategoryOutcome("c", ("x", "y"), "", headline=True),
        QuantityOutcome("q", (), (), "u", (0.0, 1.0, 2.0), 10.0, "", headline=True),
        EventOutcome("not_headline", ""),
    )
    tallies = {
        "n_runs": np.array([4, 4]),
        "e/month_hist": np.array([[1, 0, 3], [2, 1, 1]]),  # never: 3 of 4, 1 of 4
        "c/counts": np.array([[1, 3], [4, 0]]),
        "q/n": np.array([4, 4]),
        "q/sum_hi": np.array([0, 0]),
        "q/sum_lo": np.array([20, 60]),  # sums 2.0 and 6.0
        "q/hist": np.array([[4, 0], [0, 4]]),
        "not_headline/month_hist": np.zeros((2, 3), np.int64),
    }
    st = world_stats(specs, tallies, "s")
    assert st.cells == (
        ("e", "", "probability"),
        ("c", "x", "share"),
        ("c", "y", "share"),
        ("q", "", "mean"),
    )
    np.testing.assert_allclose(st.mean[:, 0], [0.25, 0.75])
    np.testing.assert_allclose(st.within[:, 0], [0.25 * 0.75 * 4 / 3] * 2)
    np.testing.assert_allclose(st.mean[:, 1], [0.25, 1.0])
    np.testing.assert_allclose(st.within[:, 1], [0.25 * 0.75 * 4 / 3, 0.0])
    np.testing.assert_allclose(st.mean[:, 3], [0.5, 1.5])  # exact, from the sums
    # All runs in one bin of width 1: the uniform's variance 1/12, times 4/3.
    np.testing.assert_allclose(st.within[:, 3], [1 / 9, 1 / 9])
    assert np.all(st.n == 4)


def test_parser_worlds_defaults_and_limits():
    from abm.cli.parser import build_parser

    args = build_parser().parse_args(["worlds", "a.yaml", "b.yaml"])
    assert (args.worlds, args.replicates, args.config_b) == (64, 16, "b.yaml")
    one = build_parser().parse_args(["worlds", "a.yaml", "--posterior", "none"])
    assert one.config_b is None and one.posterior == "none"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["worlds", "a.yaml", "--worlds", "1"])


def test_worlds_command_prints_tables_and_writes_csvs(nested, tmp_path, capsys):
    # The same K, R and chunk as the module's run: the compiled program is reused.
    import pandas as pd

    from abm.cli import main

    prefix = tmp_path / "w"
    argv = ["-q", "worlds", str(OTL), str(TROTSKY), "--worlds", "4", "--replicates", "4"]
    argv += ["--chunk-size", "32", "--seed", "0", "--top", "3", "--csv", str(prefix)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "4 worlds x 4 replicates, seed 0" in out
    assert "otl: world vs chance" in out and "trotsky - otl over worlds" in out
    dec = pd.read_csv(f"{prefix}_decomposition.csv")
    assert list(dec["scenario"].unique()) == ["otl", "trotsky"]
    diff = pd.read_csv(f"{prefix}_difference.csv")
    np.testing.assert_allclose(diff["mean_a"], np.nanmean(nested.a.mean, axis=0))
    sob = pd.read_csv(f"{prefix}_sobol.csv")
    assert {"parameter", "S1", "S1_lo", "S1_hi", "noise_floor"} <= set(sob.columns)
    # An existing CSV is refused before anything runs, without --overwrite.
    assert main(argv) == 2
    assert "--csv" in capsys.readouterr().err
    # Without --csv the tables are the whole output (this once crashed after printing).
    assert main(argv[: argv.index("--csv")]) == 0
    assert "trotsky - otl over worlds" in capsys.readouterr().out
