"""Engine contracts: reproducibility, chunk and device invariance, no recompilation,
prior sampling, exact reducers."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import OTL, ROOT, jax_cache_env, tallies_equal

from abm.engine import keys
from abm.engine.priors import Prior, PriorTable, beta_columns_of, sample
from abm.engine.reducers import (
    EventOutcome,
    QuantityOutcome,
    empty_tallies,
    quantiles_from_hist,
    quantity_sum,
    reduce_chunk,
)
from abm.engine.runner import RUN_LANES, Runner, point_slots

N_RUNS = 40


@pytest.fixture(scope="module")
def otl(otl_scenario):
    return otl_scenario.model(), PriorTable.stack([otl_scenario.prior_table()])


def test_same_seed_is_bitwise_identical_and_another_seed_is_not(otl):
    model, tables = otl
    runner = Runner(model, chunk_size=32)
    a = runner.run(3, tables, N_RUNS).tallies
    b = runner.run(3, tables, N_RUNS).tallies
    c = runner.run(4, tables, N_RUNS).tallies
    assert tallies_equal(a, b) == []
    assert tallies_equal(a, c) != []


def test_chunk_sizes_give_identical_tallies(otl):
    model, tables = otl
    results = {c: Runner(model, chunk_size=c).run(0, tables, N_RUNS).tallies for c in (1, 7, 1000)}
    assert tallies_equal(results[1], results[7]) == []
    assert tallies_equal(results[1], results[1000]) == []
    assert int(results[1]["n_runs"][0]) == N_RUNS


def test_chunk_size_is_rounded_to_whole_lanes(otl):
    model, _ = otl
    assert Runner(model, chunk_size=1).chunk_size == RUN_LANES
    assert Runner(model, chunk_size=17).chunk_size == 2 * RUN_LANES
    with pytest.raises(ValueError, match="chunk_size"):
        Runner(model, chunk_size=0)


def test_second_chunk_and_second_run_do_not_recompile(otl):
    model, tables = otl
    runner = Runner(model, chunk_size=16)
    runner.run(0, tables, 48)  # three chunks
    assert runner.compiled_count() == 1
    runner.run(9, tables, 20)  # other seed, other run count, padded last chunk
    assert runner.compiled_count() == 1


_DEVICE_SCRIPT = """
import json, sys
from abm.engine.devices import configure_cpu_devices
configure_cpu_devices(int(sys.argv[1]))
import jax
from abm.config import load_scenario
from abm.engine import PriorTable, Runner
sc = load_scenario(sys.argv[2])
r = Runner(sc.model(), chunk_size=32)
acc = r.run(5, PriorTable.stack([sc.prior_table()]), 40)
print(json.dumps({"devices": len(jax.devices()), "n_dev": r.n_devices,
                  "tallies": {k: v.tolist() for k, v in acc.tallies.items()}}))
"""


def test_one_and_two_cpu_devices_give_identical_tallies():
    # The tests' compilation cache: the one-device program is the chunk of 32 compiled
    # in this module before (loaded, not compiled again).
    env = {**os.environ, **jax_cache_env(), "JAX_PLATFORMS": "cpu"}
    out = {}
    for n in (1, 2):
        proc = subprocess.run(
            [sys.executable, "-c", _DEVICE_SCRIPT, str(n), str(OTL)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[n] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out[1]["n_dev"] == 1
    assert out[2]["n_dev"] == 2
    assert out[1]["tallies"] == out[2]["tallies"]


def test_run_key_depends_only_on_seed_point_run():
    k = keys.run_key(1, 2, 3)
    same = keys.run_key(jnp.uint32(1), jnp.int32(2), jnp.int32(3))
    assert np.array_equal(jax.random.key_data(k), jax.random.key_data(same))
    others = [keys.run_key(1, 2, 4), keys.run_key(1, 3, 3), keys.run_key(2, 2, 3)]
    for o in others:
        assert not np.array_equal(jax.random.key_data(k), jax.random.key_data(o))
    batch = jax.vmap(lambda r: jax.random.key_data(keys.run_key(1, 2, r)))(jnp.arange(5))
    assert np.array_equal(batch[3], jax.random.key_data(k))


PRIOR_CASES = [
    (Prior("uniform", {"low": 2.0, "high": 5.0}), (0.0, 10.0), 3.5, 0.75),
    (Prior("normal", {"mean": 1.0, "sd": 0.5}), (-10.0, 10.0), 1.0, 0.25),
    (
        Prior("lognormal", {"mu": 0.0, "sigma": 0.25}),
        (0.0, 100.0),
        math.exp(0.03125),
        (math.exp(0.0625) - 1) * math.exp(0.0625),
    ),
    (Prior("beta", {"a": 2.0, "b": 5.0}), (0.0, 2.0), 2 * 2 / 7, 4 * 10 / (49 * 8)),
    (
        Prior("triangular", {"low": 0.0, "mode": 1.0, "high": 4.0}),
        (0.0, 4.0),
        5 / 3,
        (0 + 1 + 16 - 0 - 0 - 4) / 18,
    ),
    (Prior.fixed(0.3), (0.0, 1.0), 0.3, 0.0),
]


@pytest.mark.parametrize(
    ("prior", "rng", "mean", "var"), PRIOR_CASES, ids=lambda x: getattr(x, "kind", "")
)
def test_prior_sampling_matches_analytic_moments(prior, rng, mean, var):
    table = PriorTable.build([prior, Prior.fixed(0.0)], [rng, (0.0, 1.0)])
    n = 40_000
    draws = np.asarray(jax.vmap(lambda k: sample(k, table))(jax.random.split(jax.random.key(0), n)))
    x = draws[:, 0]
    assert np.all((x >= rng[0]) & (x <= rng[1]))
    se_mean = math.sqrt(var / n) if var > 0 else 1e-7
    assert abs(x.mean() - mean) < 5 * se_mean
    if var > 0:
        assert abs(x.var() - var) < 0.05 * var
    assert np.all(draws[:, 1] == 0.0)


def test_naming_the_beta_columns_changes_which_are_drawn_not_any_value():
    beta = Prior("beta", {"a": 2.0, "b": 5.0})
    normal = Prior("normal", {"mean": 1.0, "sd": 0.5})
    table = PriorTable.build(
        [normal, beta, Prior.fixed(0.3), beta, normal], [(-10.0, 10.0), (0.0, 2.0)] * 2 + [(-9, 9)]
    )
    assert beta_columns_of(table.kind) == (1, 3)
    assert beta_columns_of(np.stack([table.kind, np.zeros_like(table.kind)])) == (1, 3)

    def draws(n, columns):
        ks = jax.random.split(jax.random.key(7), n)
        return np.asarray(jax.jit(jax.vmap(lambda k: sample(k, table, None, columns)))(ks))

    every = draws(64, None)
    assert np.all((every[:, [1, 3]] > 0.0) & (every[:, [1, 3]] < 2.0))
    assert len(np.unique(every[:, 1])) == 64  # each run its own beta variate
    for n, columns in [(64, (1, 3)), (64, (0, 1, 3, 4)), (16, (1, 3)), (48, (1, 3))]:
        assert np.array_equal(draws(n, columns), every[:n]), (n, columns)
    # A beta column left out is not drawn (NaN, never a plausible-looking number).
    assert np.all(np.isnan(draws(16, (1,))[:, 3]))


def test_normal_prior_is_clipped_to_range():
    table = PriorTable.build([Prior("normal", {"mean": 0.0, "sd": 10.0})], [(-1.0, 1.0)])
    x = np.asarray(jax.vmap(lambda k: sample(k, table))(jax.random.split(jax.random.key(1), 2000)))
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert (x == 1.0).mean() > 0.3  # most mass clipped to the ends


@pytest.mark.parametrize(
    ("kind", "args"),
    [
        ("uniform", {"low": 2.0, "high": 1.0}),
        ("normal", {"mean": 0.0}),
        ("beta", {"a": 0.0, "b": 1.0}),
        ("gauss", {"mean": 0.0, "sd": 1.0}),
        ("normal", {"mean": float("nan"), "sd": 1.0}),
    ],
)
def test_bad_priors_are_refused(kind, args):
    with pytest.raises(ValueError):
        Prior(kind, args)


def test_reducers_are_exact_on_hand_built_outcomes():
    q = QuantityOutcome(
        "q", ("d",), (("a", "b"),), "u", tuple(np.linspace(-2, 2, 41)), 1e6, "test", masked=True
    )
    e = EventOutcome("e", "test")
    specs = (e, q)
    values = np.array([[0.1, -1.5], [0.25, 0.75], [1.999999, -0.000001], [0.3, 0.3]], np.float32)
    mask = np.array([[True, True], [True, False], [True, True], [False, False]])
    out = {"e": jnp.array([-1, 3, 0, 5]), "q": jnp.asarray(values), "q/mask": jnp.asarray(mask)}
    valid = jnp.array([True, True, True, False])  # the last run is padding
    t = reduce_chunk(specs, out, jnp.zeros(4, jnp.int32), valid, 1, 10)
    host = {k: np.asarray(v, np.int64) for k, v in t.items()}
    assert host["n_runs"].tolist() == [3]
    hist = host["e/month_hist"][0]
    assert hist[10] == 1 and hist[3] == 1 and hist[0] == 1 and hist.sum() == 3
    assert host["q/n"][0].tolist() == [3, 2]
    total = quantity_sum(host, "q", 1e6)[0]
    expect = [
        round(0.1 * 1e6) + round(0.25 * 1e6) + round(1.999999 * 1e6),
        round(-1.5e6) + round(-1.0),
    ]
    assert np.allclose(total * 1e6, expect, atol=0.5)
    assert host["q/hist"][0].sum(axis=-1).tolist() == [3, 2]
    empty = empty_tallies(specs, 2, 10, np)
    assert empty["q/hist"].shape == (2, 2, 40)


def test_quantiles_from_a_known_histogram():
    edges = np.linspace(0.0, 10.0, 11)
    hist = np.zeros(10, np.int64)
    hist[:] = 10  # uniform on [0, 10)
    q = quantiles_from_hist(hist, edges, np.array([0.05, 0.5, 0.95]))
    assert np.allclose(q, [0.5, 5.0, 9.5])
    assert np.all(np.isnan(quantiles_from_hist(np.zeros(10, np.int64), edges, np.array([0.5]))))


def test_sweep_points_are_vmapped_and_keyed_by_point(otl_scenario):
    from abm.config import load_scenario

    model = otl_scenario.model()
    low = otl_scenario.prior_table()
    high = load_scenario(
        OTL, ["united_front_uptake=1.0", "comintern_united_front_line=1.0"]
    ).prior_table()
    runner = Runner(model, chunk_size=32)
    both = runner.run(2, PriorTable.stack([low, high]), 24).tallies
    alone = runner.run(2, PriorTable.stack([low]), 24).tallies
    for k in alone:
        assert np.array_equal(both[k][0], alone[k][0]), k
    assert both["n_runs"].tolist() == [24, 24]
    uf = both["united_front/month_hist"][:, -1]  # runs without a united front, per point
    assert uf[1] < uf[0]


def _uf_table(otl_scenario):
    from abm.config import load_scenario

    return load_scenario(
        OTL, ["united_front_uptake=1.0", "comintern_united_front_line=1.0"]
    ).prior_table()


def test_chunks_tally_into_their_own_points_and_share_one_program(otl_scenario):
    model = otl_scenario.model()
    low, high = otl_scenario.prior_table(), _uf_table(otl_scenario)
    runner = Runner(model, chunk_size=16)
    # 8 runs a point, 16 a chunk: a chunk touches at most 3 points (slots), whatever the
    # number of points, so 4 and 6 points run the same compiled program.
    assert point_slots(16, 8, 4) == 3 and point_slots(16, 8, 6) == 3
    assert point_slots(16, 100, 1) == 1 and point_slots(4096, 100, 121) == 42
    four = runner.run(5, PriorTable.stack([low, high, high, low]), 8, point_offset=2).tallies
    six = runner.run(5, PriorTable.stack([low, high, high, low, low, high]), 8).tallies
    assert runner.compiled_count() == 1
    assert six["n_runs"].tolist() == [8] * 6
    for p, table in enumerate((low, high, high, low)):
        alone = runner.run(5, PriorTable.stack([table]), 8, point_offset=2 + p).tallies
        for k in alone:
            assert np.array_equal(four[k][p], alone[k][0]), (p, k)
    six_rows = (low, high, high, low, low, high)
    for p in (0, 5):
        alone = runner.run(5, PriorTable.stack([six_rows[p]]), 8, point_offset=p).tallies
        for k in alone:
            assert np.array_equal(six[k][p], alone[k][0]), (p, k)


def test_paired_runs_share_random_numbers_and_the_runner_loop(otl_scenario):
    from abm.engine.paired import PairedRunner

    model = otl_scenario.model()
    a, b = otl_scenario.prior_table(), _uf_table(otl_scenario)
    runner = PairedRunner(model, chunk_size=16)
    same = runner.run_paired(1, a, a, 32)
    assert tallies_equal(same.a.tallies, same.b.tallies) == []
    for name, joint in same.joint.items():  # A against itself: every run agrees
        assert np.array_equal(joint, np.diag(np.diag(joint))), name
        assert joint.sum() == 32, name
    for name, d in same.diff_sum.items():
        assert np.all(d == 0) and np.all(same.diff_sumsq[name] == 0), name
    assert any(j[0, 0] and j[1, 1] for n, j in same.joint.items() if j.shape == (2, 2))
    # each side of a pair is the unpaired run of its scenario (same keys, same chunks)
    pair = runner.run_paired(1, a, b, 32, point_offset=3)
    for side, table in ((pair.a, a), (pair.b, b)):
        solo = runner.run(1, PriorTable.stack([table]), 32, point_offset=3).tallies
        assert tallies_equal(side.tallies, solo) == []
    assert tallies_equal(pair.b.tallies, pair.a.tallies) != []
    # start_chunk: the chunks after the first, plus the first alone, are the whole
    head = runner.run_paired(1, a, b, 16, point_offset=3)
    tail = runner.run_paired(1, a, b, 32, start_chunk=1, point_offset=3)
    assert tail.a.chunks == 1 and pair.a.chunks == 2
    for k, v in pair.b.tallies.items():
        assert np.array_equal(v, head.b.tallies[k] + tail.b.tallies[k]), k
    for k, v in pair.joint.items():
        assert np.array_equal(v, head.joint[k] + tail.joint[k]), k


def test_run_groups_follow_the_runner_only_where_every_group_holds_whole_lanes():
    from abm.engine.lanes import RUN_LANES, grouped_over, run_groups

    assert run_groups(4 * RUN_LANES) == 1  # outside a runner's trace
    with grouped_over(2):
        assert run_groups(4 * RUN_LANES) == 2
        assert run_groups(2 * RUN_LANES) == 2
        assert run_groups(3 * RUN_LANES) == 1  # a group would split a lane
        assert run_groups(RUN_LANES) == 1
        with grouped_over(4):
            assert run_groups(4 * RUN_LANES) == 4
        assert run_groups(4 * RUN_LANES) == 2
    assert run_groups(4 * RUN_LANES) == 1
    with pytest.raises(ValueError, match="n_groups"):
        with grouped_over(0):
            pass
