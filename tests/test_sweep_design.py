"""Sweep configs and designs: point counts, ranges, determinism, pinned tables, bad input.

Fast: nothing here simulates.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from abm.config import ConfigError, load_scenario
from abm.config.names import catalogue
from abm.engine.priors import PRIOR_KINDS, PriorTable
from abm.sweep import (
    GridDesign,
    LhsDesign,
    ListDesign,
    SobolDesign,
    Sweep,
    latin_hypercube,
    load_sweep,
    names,
    point_overrides,
    point_scenario,
    point_tables,
    points,
)
from abm.sweep.design import generate

REPO = Path(__file__).resolve().parents[1]
OTL = REPO / "configs" / "scenarios" / "otl.yaml"
EXAMPLE = REPO / "configs" / "sweeps" / "purge_x_united_front.yaml"
INDEX = {p.name: i for i, p in enumerate(catalogue())}
FACTION_PURGES = [p.name for p in catalogue() if p.base == "purge_severity"]

LOWS = (0.0, -2.0, 10.0)
HIGHS = (1.0, 3.0, 10.5)


def write(tmp_path: Path, body: dict[str, Any], name: str = "sweep.yaml") -> Path:
    """A sweep file over otl (absolute path) with ``body`` over the defaults."""
    data: dict[str, Any] = {
        "sweep": "test",
        "scenario": str(OTL),
        "vary": {
            "purge_severity": {"low": 0.0, "high": 1.0},
            "united_front_uptake": {"low": 0.0, "high": 1.0},
        },
        "design": {"kind": "grid", "points_per_dim": 3},
        "runs_per_point": 10,
    }
    data.update(body)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load(tmp_path: Path, **body: Any) -> Sweep:
    return load_sweep(write(tmp_path, body))


def in_box(pts: np.ndarray, lows: tuple[float, ...], highs: tuple[float, ...]) -> bool:
    return bool(np.all(pts >= np.asarray(lows)) and np.all(pts <= np.asarray(highs)))


# Designs ---------------------------------------------------------------------------------


def test_grid_is_the_full_product_with_ends_included() -> None:
    pts = generate(GridDesign((3, 4, 2)), LOWS, HIGHS)
    assert pts.shape == (3 * 4 * 2, 3)
    assert in_box(pts, LOWS, HIGHS)
    assert len({tuple(r) for r in pts}) == len(pts)
    for d, k in enumerate((3, 4, 2)):
        assert np.array_equal(np.unique(pts[:, d]), np.linspace(LOWS[d], HIGHS[d], k))
    # The first dimension varies slowest.
    assert np.all(np.diff(pts[:, 0]) >= 0)
    assert np.array_equal(pts, generate(GridDesign((3, 4, 2)), LOWS, HIGHS))


@pytest.mark.parametrize(("n", "d", "seed"), [(1, 2, 0), (7, 3, 0), (50, 3, 1), (200, 5, 42)])
def test_latin_hypercube_hits_every_stratum_once_per_dimension(n: int, d: int, seed: int) -> None:
    unit = latin_hypercube(n, d, seed)
    assert unit.shape == (n, d)
    assert np.all((unit >= 0.0) & (unit < 1.0))
    for j in range(d):
        assert sorted(np.floor(unit[:, j] * n).astype(int)) == list(range(n))
    pts = generate(LhsDesign(n, seed), LOWS[:1] * d, HIGHS[:1] * d)
    assert pts.shape == (n, d)
    assert in_box(pts, LOWS[:1] * d, HIGHS[:1] * d)


def test_lhs_in_a_box_keeps_the_strata_and_is_deterministic() -> None:
    n = 64
    pts = generate(LhsDesign(n, 3), LOWS, HIGHS)
    assert pts.shape == (n, 3)
    assert in_box(pts, LOWS, HIGHS)
    for j in range(3):
        strata = np.floor((pts[:, j] - LOWS[j]) / (HIGHS[j] - LOWS[j]) * n).astype(int)
        assert sorted(np.clip(strata, 0, n - 1)) == list(range(n))
    assert np.array_equal(pts, generate(LhsDesign(n, 3), LOWS, HIGHS))
    assert not np.array_equal(pts, generate(LhsDesign(n, 4), LOWS, HIGHS))


@pytest.mark.parametrize(("n", "d", "second"), [(8, 1, False), (16, 2, False), (8, 3, True)])
def test_sobol_count_range_and_determinism(n: int, d: int, second: bool) -> None:
    design = SobolDesign(n, seed=5, second_order=second)
    pts = generate(design, LOWS[:d], HIGHS[:d])
    expected = n * (2 * d + 2) if second else n * (d + 2)
    assert design.n_points(d) == expected
    assert pts.shape == (expected, d)
    assert in_box(pts, LOWS[:d], HIGHS[:d])
    assert np.array_equal(pts, generate(SobolDesign(n, 5, second), LOWS[:d], HIGHS[:d]))
    assert not np.array_equal(pts, generate(SobolDesign(n, 6, second), LOWS[:d], HIGHS[:d]))


def test_sobol_rows_follow_saltelli_a_then_ab_then_b() -> None:
    d = 3
    pts = generate(SobolDesign(4, 0), LOWS, HIGHS).reshape(4, d + 2, d)
    a, b = pts[:, 0], pts[:, -1]
    for k in range(d):
        ab = pts[:, 1 + k]
        assert np.array_equal(ab[:, k], b[:, k])
        others = [j for j in range(d) if j != k]
        assert np.array_equal(ab[:, others], a[:, others])


def test_list_design_gives_its_points() -> None:
    design = ListDesign(((0.0, 1.0), (0.5, 0.25)))
    assert np.array_equal(generate(design, (0, 0), (1, 1)), [[0.0, 1.0], [0.5, 0.25]])
    assert design.n_points(2) == 2


def test_designs_through_load_sweep(tmp_path: Path) -> None:
    two = {
        "purge_severity": {"low": 0.2, "high": 0.8},
        "apparatus_pull": {"low": 0.02, "high": 0.05},
        "united_front_uptake": {"low": 0.0, "high": 0.5},
    }
    box = ((0.2, 0.02, 0.0), (0.8, 0.05, 0.5))
    cases: list[tuple[dict[str, Any], int]] = [
        ({"kind": "grid", "points_per_dim": 4}, 64),
        (
            {
                "kind": "grid",
                "points_per_dim": {
                    "purge_severity": 2,
                    "apparatus_pull": 3,
                    "united_front_uptake": 5,
                },
            },
            30,
        ),
        ({"kind": "lhs", "n": 37, "seed": 2}, 37),
        ({"kind": "lhs", "n": 10}, 10),
        ({"kind": "sobol", "n": 16, "seed": 0}, 16 * 5),
        ({"kind": "sobol", "n": 8, "second_order": True}, 8 * 8),
        (
            {
                "kind": "list",
                "points": [
                    {"purge_severity": 0.2, "apparatus_pull": 0.05, "united_front_uptake": 0.1},
                    {"united_front_uptake": 0.5, "purge_severity": 0.8, "apparatus_pull": 0.03},
                ],
            },
            2,
        ),
    ]
    for i, (design, count) in enumerate(cases):
        sweep = load_sweep(write(tmp_path, {"vary": two, "design": design}, f"s{i}.yaml"))
        pts = points(sweep)
        assert sweep.n_points == count == pts.shape[0], design
        assert pts.shape == (count, 3)
        assert names(sweep) == sweep.names == tuple(two)
        assert in_box(pts, *box), design
        again = load_sweep(write(tmp_path, {"vary": two, "design": design}, f"t{i}.yaml"))
        assert np.array_equal(pts, points(again))
        assert sweep.config_hash() == again.config_hash()
    listed = load_sweep(write(tmp_path, {"vary": two, "design": cases[-1][0]}, "l.yaml"))
    assert np.array_equal(points(listed)[1], [0.8, 0.03, 0.5])  # columns in vary order


# The shipped example ----------------------------------------------------------------------


def test_shipped_example_loads_as_an_11_by_11_grid() -> None:
    sweep = load_sweep(EXAMPLE)
    assert sweep.name == "purge_x_united_front"
    assert sweep.names == ("purge_severity", "united_front_uptake")
    assert sweep.design == GridDesign((11, 11))
    assert (sweep.runs_per_point, sweep.seed, sweep.chunk_size) == (1000, 0, 4096)
    assert sweep.scenario.name == "otl"
    assert Path(sweep.scenario_path) == OTL
    pts = points(sweep)
    assert pts.shape == (121, 2)
    for d in range(2):
        assert np.allclose(np.unique(pts[:, d]), np.round(np.arange(11) / 10, 12))
    assert sweep.n_runs == 121_000
    assert set(sweep.vary[0].full_names) == set(FACTION_PURGES)
    assert len(FACTION_PURGES) == 5
    assert re.fullmatch(r"[0-9a-f]{64}", sweep.config_hash())
    assert sweep.config_hash() == load_sweep(EXAMPLE).config_hash()


# Pinned tables ----------------------------------------------------------------------------


def tables_equal(stack: PriorTable, i: int, one: PriorTable) -> None:
    for field in ("kind", "a", "b", "c", "low", "high"):
        got, want = np.asarray(getattr(stack, field))[i], np.asarray(getattr(one, field))
        assert got.dtype == want.dtype, field
        assert np.array_equal(got, want), (field, np.flatnonzero(got != want))


def test_point_tables_pin_exactly_as_set_would() -> None:
    sweep = load_sweep(EXAMPLE)
    table, assigned = point_tables(sweep)
    n_params = len(catalogue())
    assert np.shape(table.kind) == (121, n_params)
    assert len(assigned) == 121
    base = sweep.scenario.prior_table()
    for i in (0, 37, 120):
        pt = assigned[i]
        assert list(pt) == ["purge_severity", "united_front_uptake"]
        overrides = {k: repr(v) for k, v in pt.items()}
        assert overrides == point_overrides(sweep, i)
        tables_equal(table, i, load_scenario(OTL, overrides).prior_table())
        for name in FACTION_PURGES:  # the base name pins every faction's severity
            assert table.a[i, INDEX[name]] == np.float32(pt["purge_severity"])
        assert table.a[i, INDEX["united_front_uptake"]] == np.float32(pt["united_front_uptake"])
    # Only the varied columns differ from the scenario's table.
    varied = [INDEX[n] for v in sweep.vary for n in v.full_names]
    rest = np.setdiff1d(np.arange(n_params), varied)
    assert np.array_equal(table.a[:, rest], np.broadcast_to(base.a[rest], (121, len(rest))))
    assert np.array_equal(table.kind[:, rest], np.broadcast_to(base.kind[rest], (121, len(rest))))
    # Stacking one table per point gives the same arrays.
    stacked = PriorTable.stack([point_scenario(sweep, i).prior_table() for i in (3, 64)])
    for j, i in enumerate((3, 64)):
        tables_equal(table, i, PriorTable(*(np.asarray(x)[j] for x in _fields(stacked))))


def _fields(t: PriorTable) -> tuple[Any, ...]:
    return (t.kind, t.a, t.b, t.c, t.low, t.high)


def test_point_tables_pin_mechanisms_members_and_keep_the_stance(tmp_path: Path) -> None:
    vary = {
        "apparatus_pull": {"low": 0.01, "high": 0.06},  # a mechanism the skeptic sets
        "purge_severity.trotsky": {"low": 0.0, "high": 1.0},  # one member of a lever
        "crisis_loading": {"low": -5.0, "high": 5.0},  # per party: the SPD stays at 0
    }
    sweep = load(tmp_path, vary=vary, stance="skeptic", design={"kind": "lhs", "n": 6})
    assert sweep.scenario.stance == "skeptic"
    table, assigned = point_tables(sweep)
    assert np.shape(table.a)[0] == 6
    for i in (1, 4):
        overrides = {k: repr(v) for k, v in assigned[i].items()}
        want = load_scenario(OTL, overrides, stance="skeptic").prior_table()
        tables_equal(table, i, want)
        assert table.kind[i, INDEX["apparatus_pull"]] == PRIOR_KINDS["fixed"]
        assert table.a[i, INDEX["crisis_loading.SPD"]] == 0.0
        assert table.a[i, INDEX["crisis_loading.KPD"]] == np.float32(assigned[i]["crisis_loading"])
    # A mechanism parameter the sweep does not vary keeps the stance's prior.
    skeptic = load_scenario(OTL, stance="skeptic").prior_table()
    j = INDEX["policy_divergence.purge_severity"]
    assert table.kind[0, j] == skeptic.kind[j] == PRIOR_KINDS["uniform"]
    assert (table.a[0, j], table.b[0, j]) == (skeptic.a[j], skeptic.b[j])
    assert sweep.vary[2].full_names == tuple(
        p.name for p in catalogue() if p.base == "crisis_loading" and p.member != "SPD"
    )


def test_hash_follows_what_decides_the_runs(tmp_path: Path) -> None:
    base = load(tmp_path).config_hash()
    assert load(tmp_path, description="other words").config_hash() == base
    assert load(tmp_path, max_points=500).config_hash() == base
    for change in (
        {"seed": 1},
        {"runs_per_point": 11},
        {"chunk_size": 1024},
        {"stance": "skeptic"},
        {"design": {"kind": "grid", "points_per_dim": 4}},
        {"vary": {"purge_severity": {"low": 0.0, "high": 0.9}}},
    ):
        assert load(tmp_path, **change).config_hash() != base, change
    lhs = {"kind": "lhs", "n": 9, "seed": 0}
    assert (
        load(tmp_path, design=lhs).config_hash()
        != load(tmp_path, design={**lhs, "seed": 1}).config_hash()
    )


# Bad configs ------------------------------------------------------------------------------


def refused(tmp_path: Path, field: str, needle: str, **body: Any) -> ConfigError:
    path = write(tmp_path, body, "bad_sweep.yaml")
    with pytest.raises(ConfigError) as info:
        load_sweep(path)
    message = str(info.value)
    assert "bad_sweep.yaml" in message, message
    assert message.startswith(f"{path}: {field}:"), message
    assert info.value.field == field
    assert needle in message, message
    return info.value


def test_unknown_lever_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    err = refused(
        tmp_path,
        "vary.purge_severty",
        "did you mean 'purge_severity'?",
        vary={"purge_severty": {"low": 0.0, "high": 1.0}},
    )
    assert "unknown lever or mechanism parameter" in str(err)
    refused(
        tmp_path,
        "vary.purge_severity.trotksy",
        "did you mean 'purge_severity.trotsky'?",
        vary={"purge_severity.trotksy": {"low": 0.0, "high": 1.0}},
    )
    refused(tmp_path, "vary.leader", "cannot be varied", vary={"leader": {"low": 0, "high": 1}})


def test_empty_and_out_of_range_bounds_are_refused(tmp_path: Path) -> None:
    refused(
        tmp_path,
        "vary.purge_severity",
        "empty range (low >= high)",
        vary={"purge_severity": {"low": 0.5, "high": 0.5}},
    )
    refused(
        tmp_path,
        "vary.united_front_uptake",
        "empty range",
        vary={"united_front_uptake": {"low": 0.9, "high": 0.1}},
    )
    err = refused(
        tmp_path,
        "vary.purge_severity.high",
        "out of range",
        vary={"purge_severity": {"low": 0.0, "high": 1.5}},
    )
    assert "[0, 1] (1)" in str(err)
    refused(
        tmp_path,
        "vary.third_period_start.low",
        "[1924, 1937] (year)",
        vary={"third_period_start": {"low": 1920, "high": 1930}},
    )
    refused(
        tmp_path,
        "vary.purge_severity.hi",
        "did you mean 'high'?",
        vary={"purge_severity": {"low": 0.0, "hi": 1.0}},
    )
    refused(
        tmp_path,
        "vary.purge_severity.high",
        "missing high",
        vary={"purge_severity": {"low": 0.0}},
    )


def test_unknown_design_kind_and_design_keys_are_refused(tmp_path: Path) -> None:
    refused(tmp_path, "design.kind", "did you mean 'grid'?", design={"kind": "gird"})
    refused(tmp_path, "design.kind", "missing design kind", design={"n": 4})
    refused(
        tmp_path,
        "design.points_per_dims",
        "unknown grid design key",
        design={"kind": "grid", "points_per_dims": 3},
    )
    refused(tmp_path, "design.n", "missing n", design={"kind": "lhs", "seed": 0})
    refused(
        tmp_path,
        "design.points_per_dim",
        "an integer in [2,",
        design={"kind": "grid", "points_per_dim": 1},
    )
    refused(
        tmp_path,
        "design.points_per_dim.united_front_uptak",
        "did you mean 'united_front_uptake'?",
        design={"kind": "grid", "points_per_dim": {"purge_severity": 3, "united_front_uptak": 3}},
    )
    refused(
        tmp_path,
        "design.points_per_dim",
        "misses united_front_uptake",
        design={"kind": "grid", "points_per_dim": {"purge_severity": 3}},
    )
    refused(tmp_path, "design.n", "try 64 or 128", design={"kind": "sobol", "n": 100})
    refused(
        tmp_path,
        "design.second_order",
        "not a boolean",
        design={"kind": "sobol", "n": 64, "second_order": "yes"},
    )
    refused(tmp_path, "design.seed", "out of range", design={"kind": "lhs", "n": 8, "seed": -1})


def test_too_many_points_says_how_many_and_the_limit(tmp_path: Path) -> None:
    err = refused(
        tmp_path,
        "design",
        "the grid design makes 121 points (11 x 11), more than max_points 100",
        design={"kind": "grid", "points_per_dim": 11},
        max_points=100,
    )
    assert "at most 100 points" in str(err)
    refused(
        tmp_path,
        "design",
        "makes 20001 points",
        design={"kind": "lhs", "n": 20001},
    )
    refused(
        tmp_path,
        "design",
        "makes 1024 points (n * 4 = 256 * 4)",
        design={"kind": "sobol", "n": 256},
        max_points=1000,
    )
    refused(
        tmp_path,
        "runs_per_point",
        "int32 run index",
        design={"kind": "grid", "points_per_dim": 100},
        runs_per_point=300_000,
    )


def test_too_many_points_for_the_memory_budget(tmp_path: Path) -> None:
    """A batch must fit memory_budget_mb: refused with the estimate and the most points
    a batch may hold; the default batch size stays within the budget."""
    from abm.sweep.budget import MIB, batch_bytes
    from abm.sweep.run import default_batch_points

    sweep = load(tmp_path)
    per_point = batch_bytes(sweep.scenario.model(), 1)
    assert per_point > 1_000_000  # megabytes a point: the monthly tallies
    budget = 256
    most = budget * MIB // per_point
    assert 1 <= most < 121
    err = refused(
        tmp_path,
        "batch_points",
        f"too many points for the memory budget: a batch of 121 points needs about "
        f"{121 * per_point / MIB:,.0f} MiB",
        batch_points=121,
        memory_budget_mb=budget,
    )
    assert f"at most {most} points per batch" in str(err)
    refused(
        tmp_path,
        "memory_budget_mb",
        "one point's batch needs about",
        memory_budget_mb=1,
    )
    small = load(tmp_path, memory_budget_mb=budget, design={"kind": "grid", "points_per_dim": 11})
    assert small.max_batch_points == most
    assert default_batch_points(small, runs=10) == most  # 8 chunks would be all 121
    assert default_batch_points(load(tmp_path, batch_points=7)) == 7


def test_bad_list_points_are_refused(tmp_path: Path) -> None:
    def design(*pts: Any) -> dict[str, Any]:
        return {"kind": "list", "points": list(pts)}

    good = {"purge_severity": 0.5, "united_front_uptake": 0.5}
    refused(
        tmp_path,
        "design.points[1]",
        "misses united_front_uptake",
        design=design(good, {"purge_severity": 0.1}),
    )
    refused(
        tmp_path,
        "design.points[0].purge_severty",
        "did you mean 'purge_severity'?",
        design=design({**good, "purge_severty": 0.2}),
    )
    narrow = {
        "purge_severity": {"low": 0.0, "high": 0.5},
        "united_front_uptake": {"low": 0.0, "high": 1.0},
    }
    refused(
        tmp_path,
        "design.points[1].purge_severity",
        "outside the varied range",
        vary=narrow,
        design=design(good, {**good, "purge_severity": 0.7}),
    )
    refused(
        tmp_path,
        "design.points[0].united_front_uptake",
        "not a number",
        design=design({**good, "united_front_uptake": "high"}),
    )
    refused(tmp_path, "design.points", "not a non-empty list", design=design())
    refused(tmp_path, "design.points[0]", "not a mapping", design=design([0.5, 0.5]))


def test_other_bad_input_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, "runs_per_pont", "did you mean 'runs_per_point'?", runs_per_pont=5)
    refused(tmp_path, "runs_per_point", "out of range", runs_per_point=0)
    refused(tmp_path, "runs_per_point", "not an integer", runs_per_point=2.5)
    refused(tmp_path, "chunk_size", "out of range", chunk_size=100_000)
    refused(tmp_path, "scenario", "not found", scenario="../scenarios/nowhere.yaml")
    refused(tmp_path, "stance", "did you mean 'skeptic'?", stance="sceptic")
    refused(tmp_path, "vary", "not a non-empty mapping", vary={})
    refused(
        tmp_path,
        "vary.purge_severity.trotsky",
        "also varied by vary.purge_severity",
        vary={
            "purge_severity": {"low": 0.0, "high": 1.0},
            "purge_severity.trotsky": {"low": 0.0, "high": 1.0},
        },
    )
    refused(
        tmp_path,
        "vary.crisis_loading.SPD",
        "reference of the party logits",
        vary={"crisis_loading.SPD": {"low": -1.0, "high": 1.0}},
    )
    # Points load_scenario would refuse: the third period ending before it starts.
    refused(
        tmp_path,
        "vary.third_period_start",
        "before third_period_start",
        vary={"third_period_start": {"low": 1930.0, "high": 1937.0}},
        design={"kind": "grid", "points_per_dim": 8},
    )
    path = write(tmp_path, {}, "missing.yaml")
    data = yaml.safe_load(path.read_text())
    del data["runs_per_point"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"missing\.yaml: runs_per_point: missing required key"):
        load_sweep(path)


def test_scenario_and_stance_paths_are_relative_to_the_sweep_file(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    (configs / "mine.yaml").write_text((configs / "stances" / "skeptic.yaml").read_text())
    path = write(
        configs / "sweeps", {"scenario": "../scenarios/otl.yaml", "stance": "../mine.yaml"}
    )
    sweep = load_sweep(path)
    assert Path(sweep.scenario_path) == configs / "scenarios" / "otl.yaml"
    assert sweep.scenario.stance == "skeptic"
    assert Path(sweep.stance or "") == configs / "mine.yaml"
    by_name = load_sweep(write(configs / "sweeps", {"stance": "optimistic"}, "b.yaml"))
    assert by_name.scenario.stance == "optimistic"
    assert (
        load_sweep(write(configs / "sweeps", {"stance": "none"}, "c.yaml")).scenario.stance is None
    )
