"""The ``abm`` command end to end: run, compare, trace, info, and bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from conftest import OTL, TROTSKY

from abm.cli import main
from abm.cube import open_cube
from abm.engine.runner import Runner

RUNS = 32


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def cube_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("cubes") / "otl.zarr"
    assert (
        main(
            [
                "-q",
                "run",
                str(OTL),
                "--runs",
                str(RUNS),
                "--seed",
                "5",
                "--chunk-size",
                "16",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


def test_run_writes_a_cube_and_prints_a_summary(cube_path, capsys):
    ds = open_cube(cube_path)
    assert int(ds["n_runs"]) == RUNS
    assert ds.attrs["seed"] == 5 and ds.attrs["scenario"] == "otl"
    assert ds.attrs["config_hash"] and ds.attrs["jax_version"]
    assert ds.attrs["stance"] == "none" and "stance: null" in ds.attrs["config"]
    assert main(["-q", "run", str(OTL), "--runs", "16", "--chunk-size", "16"]) == 0
    out = capsys.readouterr().out
    assert "nazi_power_prob" in out and "reichstag_share_mean" in out
    args = ["-q", "run", str(OTL), "--runs", "16", "--chunk-size", "16", "--stance", "skeptic"]
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("otl (stance skeptic): 16 runs")


def test_existing_cube_is_not_overwritten_without_the_flag(cube_path, capsys):
    before = _digest(cube_path)
    assert main(["-q", "run", str(OTL), "--runs", "16", "--out", str(cube_path)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert _digest(cube_path) == before


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("scenario: otl\nleader: stalin\nlevers: {united_front_uptake: 1.5}\n", "allowed: [0, 1]"),
        (
            "scenario: otl\nleader: stalin\nlevers: {united_front_uptke: 0.5}\n",
            "did you mean 'united_front_uptake'",
        ),
        ("scenario: otl\nleader: lenin\n", "stalin"),
        ("scenario: otl\nleader: stalin\nlevers: {united_front_uptake: high}\n", "number"),
        ("scenario: [otl\n", "YAML"),
    ],
)
def test_bad_config_exits_non_zero_with_a_clear_message_and_touches_nothing(
    cube_path, tmp_path, capsys, text, expect
):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "leaders.yaml").write_text(
        (OTL.parent.parent / "presets" / "leaders.yaml").read_text()
    )
    nested = tmp_path / "scenarios"
    nested.mkdir()
    bad = bad.rename(nested / "bad.yaml")
    before = _digest(cube_path)
    code = main(["-q", "run", str(bad), "--runs", "16", "--out", str(cube_path), "--overwrite"])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.yaml" in err and expect in err
    assert _digest(cube_path) == before


def test_missing_config_file(capsys):
    assert main(["-q", "run", "configs/scenarios/nowhere.yaml", "--runs", "16"]) == 2
    assert "nowhere.yaml" in capsys.readouterr().err


def test_unknown_override_is_refused(capsys):
    assert main(["-q", "run", str(OTL), "--runs", "16", "--set", "purge_severty=0.5"]) == 2
    err = capsys.readouterr().err
    assert "purge_severty" in err and "did you mean 'purge_severity'?" in err


@pytest.mark.parametrize("command", ["run", "trace", "compare"])
def test_unknown_stance_is_refused(capsys, command):
    extra = {"run": [], "trace": ["--run", "0"], "compare": [str(TROTSKY)]}[command]
    assert main(["-q", command, str(OTL), *extra, "--stance", "skeptc"]) == 2
    err = capsys.readouterr().err
    assert "--stance" in err and "did you mean 'skeptic'?" in err and "optimistic" in err


def test_compare_prints_paired_differences(tmp_path, capsys):
    code = main(
        [
            "-q",
            "compare",
            str(OTL),
            str(TROTSKY),
            "--runs",
            "32",
            "--chunk-size",
            "16",
            "--out-dir",
            str(tmp_path),
            "--csv",
            str(tmp_path / "cmp.csv"),
            "--stance",
            "optimistic",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "trotsky - otl [95% CI]" in out and "united_front_prob" in out
    assert "(stance optimistic)" in out
    assert (tmp_path / "otl.zarr").is_dir() and (tmp_path / "trotsky.zarr").is_dir()
    for name in ("otl", "trotsky"):
        assert open_cube(tmp_path / f"{name}.zarr").attrs["stance"] == "optimistic"
    header = (tmp_path / "cmp.csv").read_text().splitlines()[0]
    assert "diff" in header and "a_q05" in header and "b_q95" in header
    # the paired cubes are the cubes an unpaired run would give
    assert (
        main(
            [
                "-q",
                "run",
                str(OTL),
                "--runs",
                "32",
                "--chunk-size",
                "16",
                "--seed",
                "0",
                "--out",
                str(tmp_path / "solo.zarr"),
                "--stance",
                "optimistic",
            ]
        )
        == 0
    )
    a, solo = (
        open_cube(tmp_path / "otl.zarr", lazy=False),
        open_cube(tmp_path / "solo.zarr", lazy=False),
    )
    for name in ("nazi_power_count", "reichstag_share_sum_fixed", "german_regime_1936_count"):
        assert np.array_equal(a[name].values, solo[name].values), name


def test_trace_replays_the_outcomes_counted_in_the_cube(cube_path, otl_scenario):
    ds = open_cube(cube_path, lazy=False)
    model = otl_scenario.model()
    runner = Runner(model)
    nazi = cw = 0
    regimes = np.zeros(4, np.int64)
    share_fixed = np.zeros((7, 8), np.int64)
    held = np.zeros(7, np.int64)
    leaders = np.zeros(5, np.int64)
    executions = np.int64(0)
    for r in range(RUNS):
        _, _, _, o = runner.trace(5, otl_scenario.prior_table(), 0, r)
        leaders[int(o["soviet_leader"])] += 1
        executions += np.int64(np.round(np.float32(o["terror_executions"])))
        nazi += int(o["nazi_power"] >= 0)
        cw += int(o["german_civil_war"] >= 0)
        regimes[int(o["german_regime_1936"])] += 1
        mask = o["reichstag_share/mask"]
        share_fixed += np.where(
            mask, np.round(o["reichstag_share"].astype(np.float32) * np.float32(1e6)), 0
        ).astype(np.int64)
        held += mask[:, 0]
    assert nazi == int(ds["nazi_power_count"])
    assert cw == int(ds["german_civil_war_count"])
    assert regimes.tolist() == ds["german_regime_1936_count"].values.tolist()
    assert held.tolist() == ds["reichstag_share_n"].values[:, 0].tolist()
    assert np.array_equal(share_fixed, ds["reichstag_share_sum_fixed"].values)
    assert leaders.tolist() == ds["soviet_leader_count"].values.tolist()
    assert executions == int(ds["terror_executions_sum_fixed"])


def test_trace_command_prints_a_chronicle_and_writes_states(tmp_path, capsys):
    out = tmp_path / "trace.zarr"
    assert main(["-q", "trace", str(OTL), "--seed", "5", "--run", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "1924-05  Reichstag election" in text
    import xarray as xr

    states = xr.open_zarr(out, consolidated=False)
    assert states.sizes["month"] == 210  # 1924-01 to 1941-06
    assert "germany__polity__regime" in states and "germany__blocs__size" in states
    assert states["soviet__blocs__population"].dims == ("month", "region")
    assert states["soviet__leadership__power"].dims == ("month", "faction")
    assert "USSR harvest" in text and "establishes personal rule" in text


def test_info_lists_versions_and_devices(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "jax_version" in out and "devices" in out and "results_dir" in out
