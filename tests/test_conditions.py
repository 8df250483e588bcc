"""Conditioned counterfactuals: ``abm compare --given`` (abm.conditions, PairedRunner)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from conftest import OTL, TROTSKY

import abm.api
from abm.cli import main
from abm.conditions import holds, parse_conditions
from abm.cube import open_cube
from abm.engine.paired import PairedRunner
from abm.errors import InputError
from abm.models.registry import build_model

RUNS, CHUNK, SEED = 64, 32, 0


@pytest.fixture(scope="module")
def model():
    """The interwar model, built (not compiled): its outcome specs and calendar."""
    return build_model()


def parse(model, *texts):
    return parse_conditions(texts, model.outcome_specs, model.calendar)


# --------------------------------------------------------------------------- parsing


def test_event_forms_become_month_index_ranges(model):
    cal = model.calendar
    (c,) = parse(model, "nazi_power=yes")
    assert (c.outcome, c.kind, c.low, c.high) == ("nazi_power", "event", 0.0, math.inf)
    (c,) = parse(model, "nazi_power=no")
    assert (c.low, c.high) == (-1.0, -1.0)
    (c,) = parse(model, "nazi_power_month=1932-07..1933-06")
    assert (c.outcome, c.low, c.high) == ("nazi_power", cal.index(1932, 7), cal.index(1933, 6))
    (c,) = parse(model, " nazi_power_month=1933-01 ")
    assert c.text == "nazi_power_month=1933-01" and c.low == c.high == cal.index(1933, 1)
    (c,) = parse(model, "nazi_power_month=..1933-06")
    assert (c.low, c.high) == (0, cal.index(1933, 6))
    (c,) = parse(model, "personal_dictatorship_month=1930-01..")
    assert (c.low, c.high) == (cal.index(1930, 1), cal.n_months - 1)
    (c,) = parse(model, "nazi_power_year=1933")
    assert (c.low, c.high) == (cal.index(1933, 1), cal.index(1933, 12))
    (c,) = parse(model, "nazi_power_year=1930..1941")
    assert (c.low, c.high) == (cal.index(1930, 1), cal.n_months - 1)  # the calendar ends 1941-06
    assert c.structure == parse(model, "nazi_power=yes")[0].structure  # one program for both


def test_category_and_quantity_forms(model):
    (c,) = parse(model, "soviet_leader=stalin")
    assert c.kind == "category" and c.allowed == (0,) and c.bounds().tolist() == [1, 0, 0, 0, 0]
    (c,) = parse(model, "soviet_leader=trotsky|stalin")
    assert c.allowed == (0, 1)
    (c,) = parse(model, "famine_deaths[region_group=ukraine]=2..5")
    assert (c.kind, c.cell, c.low, c.high, c.masked) == ("quantity", (1,), 2.0, 5.0, False)
    (c,) = parse(model, "reichstag_share[party=NSDAP, election=1932-07]=0.3..")
    # Elections are labelled by their own month: 1924-05 is coordinate 0, 1932-07 is 98.
    assert c.cell == (98, 6) and c.masked and (c.low, c.high) == (0.3, math.inf)
    (c,) = parse(model, "terror_executions=..700000")
    assert c.cell == () and (c.low, c.high) == (-math.inf, 700000.0)
    assert len(parse(model, "nazi_power=yes", "soviet_leader=stalin")) == 2


@pytest.mark.parametrize(
    ("expr", "part", "allowed"),
    [
        ("nazi_power", "is not OUTCOME=VALUE", "EVENT_month=YYYY-MM[..YYYY-MM]"),
        ("nazy_power=yes", "unknown outcome 'nazy_power'", "events nazi_power, united_front"),
        ("soviet_leader_month=1930-01", "soviet_leader is not an event", "events nazi_power"),
        ("nazi_power=maybe", "'maybe' for event nazi_power", "yes or no"),
        ("nazi_power_month=1933-13", "'1933-13' is not a month", "from 1924-01 to 1941-06"),
        ("nazi_power_month=1923-12", "1923-12 is outside the calendar", "from 1924-01 to 1941-06"),
        ("nazi_power_month=1941-07..", "1941-07 is outside the calendar", "1924-01 to 1941-06"),
        ("nazi_power_month=1933-06..1932-07", "ends before it starts", "YYYY-MM..YYYY-MM"),
        ("nazi_power_month=..", "'..' has no bound", "either end may be empty"),
        ("nazi_power_year=33", "'33' is not a year", "from 1924 to 1941"),
        ("nazi_power_year=1950", "1950 is outside the calendar", "from 1924 to 1941"),
        ("nazi_power_year=1935..1933", "ends before it starts", "YYYY..YYYY"),
        ("nazi_power[x=1]=yes", "[x=1] after nazi_power", "brackets only after a quantity"),
        ("soviet_leader=lenin", "'lenin' is not a soviet_leader label", "stalin, trotsky"),
        ("famine_deaths=1..2", "famine_deaths without its cell", "region_group=label"),
        ("famine_deaths[region_group=moon]=1..2", "'moon' is not a region_group", "ukraine"),
        ("famine_deaths[region=total]=1..2", "'region=total' in [region=total]", "region_group"),
        (
            "famine_deaths[region_group=total,region_group=ukraine]=1..",
            "region_group given twice",
            "each of region_group once",
        ),
        ("reichstag_share[party=NSDAP]=0.3..", "no label for election", "election=label"),
        ("terror_executions[x=1]=1..", "[x=1] after terror_executions", "is scalar"),
        ("famine_deaths[region_group=total]=3", "'3' is not a range", "in million persons"),
        ("famine_deaths[region_group=total]=a..4", "'a' is not a number", "LOW..HIGH"),
        ("famine_deaths[region_group=total]=nan..4", "'nan' is not a number", "LOW..HIGH"),
        ("famine_deaths[region_group=total]=5..1", "ends before it starts", "LOW..HIGH"),
    ],
)
def test_every_error_names_the_expression_the_part_and_what_is_allowed(model, expr, part, allowed):
    with pytest.raises(InputError) as info:
        parse(model, "nazi_power=yes", expr)
    msg = str(info.value)
    assert msg.startswith(f"--given {expr!r}: "), msg
    assert part in msg and "; allowed: " in msg and allowed in msg.split("; allowed: ")[1], msg


def test_holds_on_host_arrays(model):
    conds = parse(
        model,
        "nazi_power_month=1932-07..1933-06",
        "soviet_leader=stalin|collective",
        "reichstag_share[election=1932-07,party=NSDAP]=0.3..0.4",
    )
    i0, i1 = model.calendar.index(1932, 7), model.calendar.index(1933, 6)
    share = np.zeros((6, 152, 8), np.float32)  # every month 1924-05 ... 1936-12
    share[:, 98, 6] = [0.35, 0.35, 0.35, 0.35, 0.5, 0.35]
    mask = np.ones((6, 152, 8), bool)
    mask[5, 98, 6] = False  # the election was not held: fails
    outs = {
        "nazi_power": np.array([i0, i1, i0 - 1, i1, i0, i0], np.int32),
        "soviet_leader": np.array([0, 2, 0, 1, 0, 0], np.int32),
        "reichstag_share": share,
        "reichstag_share/mask": mask,
    }
    got = holds(conds, [c.bounds() for c in conds], outs)
    assert got.tolist() == [True, True, False, False, False, False]
    assert holds((), (), outs).tolist() == [True] * 6


# --------------------------------------------------------------------------- paired runs


@pytest.fixture(scope="module")
def paired(otl_scenario):
    """One compiled paired runner (otl vs trotsky) and the unconditioned comparison."""
    from abm.config import load_scenario

    runner = PairedRunner(otl_scenario.model(), chunk_size=CHUNK)
    ta, tb = otl_scenario.prior_table(), load_scenario(TROTSKY).prior_table()
    base = runner.run_paired(SEED, ta, tb, RUNS)

    def given(*texts, b=tb):
        conds = parse(runner.model, *texts)
        return runner.run_paired(SEED, ta, b, RUNS, given=conds)

    return runner, base, given, ta


def test_without_conditions_every_run_is_kept(paired):
    _, base, _, _ = paired
    assert base.kept == base.total == RUNS == base.a.tallies["n_runs"][0]


def test_month_ranges_keep_the_runs_inside_and_partition_the_runs(paired):
    runner, base, given, _ = paired
    hist = base.a.tallies["nazi_power/month_hist"][0]
    cal = runner.model.calendar
    split = [cal.index(1932, 7), cal.index(1933, 7)]
    expect = [hist[: split[0]].sum(), hist[split[0] : split[1]].sum(), hist[split[1] : -1].sum()]
    assert 0 < expect[1] < RUNS, "64 runs should leave some runs out of 1932-07..1933-06"
    compiled = runner.compiled_count()
    parts = [
        given("nazi_power_month=..1932-06"),
        given("nazi_power_month=1932-07..1933-06"),
        given("nazi_power_month=1933-07.."),
        given("nazi_power=no"),
    ]
    assert runner.compiled_count() == compiled + 1  # one program for every month range
    assert [p.kept for p in parts[:3]] == expect
    assert parts[3].kept == hist[-1]
    assert sum(p.kept for p in parts) == RUNS and all(p.total == RUNS for p in parts)
    inside = parts[1]
    h = inside.a.tallies["nazi_power/month_hist"][0]
    assert h.sum() == inside.kept == inside.a.tallies["n_runs"][0] == inside.b.tallies["n_runs"][0]
    assert h[: split[0]].sum() == 0 and h[split[1] :].sum() == 0  # every kept run inside
    assert np.array_equal(h[split[0] : split[1]], hist[split[0] : split[1]])
    for name, j in inside.joint.items():
        assert j.sum() == inside.kept, name
    assert inside.diff_n["famine_deaths"].max() == inside.kept


def test_a_condition_on_a_scenario_paired_with_itself_keeps_the_same_runs(paired):
    _, _, given, ta = paired
    same = given("nazi_power=yes", b=ta)
    assert 0 < same.kept < RUNS
    assert same.b.tallies["nazi_power/month_hist"][0][-1] == 0  # B prob 1 as well
    for k, v in same.a.tallies.items():
        assert np.array_equal(v, same.b.tallies[k]), k


def test_compare_given_conditions_both_cubes_and_reports_kept(tmp_path, paired):
    _, base, _, _ = paired
    expect = int(base.a.tallies["nazi_power/month_hist"][0][:-1].sum())
    assert 0 < expect < RUNS, "64 runs should include runs without the Nazis in power"
    plain = abm.api.compare(OTL, TROTSKY, runs=RUNS, seed=SEED, chunk_size=CHUNK)
    assert plain.given == () and plain.kept == plain.total == RUNS and "given" not in plain.a.attrs
    assert float(plain.a["nazi_power_prob"]) < 1.0
    cmp = abm.api.compare(
        OTL, TROTSKY, runs=RUNS, seed=SEED, chunk_size=CHUNK, given=["nazi_power=yes"]
    )
    assert cmp.given == ("nazi_power=yes",) and (cmp.kept, cmp.total) == (expect, RUNS)
    assert float(cmp.a["nazi_power_prob"]) == 1.0  # fails if the condition were ignored
    for ds in (cmp.a, cmp.b):
        assert int(ds["n_runs"]) == expect
        assert ds.attrs["given"] == "nazi_power=yes"
        assert (ds.attrs["given_kept"], ds.attrs["given_total"]) == (expect, RUNS)
    row = next(r for r in cmp.table if r["outcome"] == "nazi_power_prob")
    assert row["n"] == expect and row["a"] == 1.0


def test_cli_given_prints_kept_writes_conditioned_cubes_and_csv(tmp_path, capsys):
    out_dir, table = tmp_path / "cubes", tmp_path / "cmp.csv"
    argv = ["-q", "compare", str(OTL), str(TROTSKY), "--runs", str(RUNS)]
    argv += ["--chunk-size", str(CHUNK), "--out-dir", str(out_dir), "--csv", str(table)]
    given = ["--given", "nazi_power_year=1930..1936", "--given", "nazi_power_month=..1933-06"]
    assert main([*argv, *given]) == 0
    out = capsys.readouterr().out.splitlines()
    text = "nazi_power_year=1930..1936 AND nazi_power_month=..1933-06"
    line = next(x for x in out if x.startswith("given "))
    assert line.startswith(f"given {text} (in otl): kept ")
    kept = int(line.split("kept ")[1].split(" of ")[0])
    assert line.endswith(f" of {RUNS} paired runs ({100 * kept / RUNS:.1f} %)") and kept > 0
    assert out.index(line) < next(i for i, x in enumerate(out) if x.startswith("outcome"))
    a = open_cube(out_dir / "otl.zarr")
    assert a.attrs["given"] == text and int(a["n_runs"]) == kept == a.attrs["given_kept"]
    by_year = a["nazi_power_by_year_count"].sel(year=[1929, 1933]).values.tolist()
    assert by_year == [0, kept]  # every kept run: the Nazis in power 1930-01..1933-06
    rows = list(csv.DictReader(table.open()))
    assert {(r["given"], r["given_kept"], r["given_total"]) for r in rows} == {
        (text, str(kept), str(RUNS))
    }


def test_no_run_kept_is_bad_input_and_writes_nothing(tmp_path, capsys):
    argv = ["-q", "compare", str(OTL), str(TROTSKY), "--runs", str(RUNS)]
    argv += ["--chunk-size", str(CHUNK), "--out-dir", str(tmp_path / "cubes")]
    argv += ["--csv", str(tmp_path / "cmp.csv"), "--given", "nazi_power_month=1924-01"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "nazi_power_month=1924-01" in err and f"kept 0 of {RUNS}" in err
    assert "nothing written" in err
    assert not (tmp_path / "cubes").exists() and not (tmp_path / "cmp.csv").exists()


def test_a_bad_condition_is_refused_before_simulating(tmp_path, capsys, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("simulated")

    monkeypatch.setattr(PairedRunner, "run_paired", boom)
    argv = ["-q", "compare", str(OTL), str(TROTSKY), "--given", "soviet_leader=lenin"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--given 'soviet_leader=lenin'" in err and "stalin, trotsky" in err
