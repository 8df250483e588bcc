"""The ``abm`` command end to end: run, compare, trace, info, bad input and bugs."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import OTL, ROOT, TROTSKY

import abm.api
from abm.cli import main
from abm.config import ConfigError
from abm.cube import CubeError, open_cube
from abm.engine.runner import Runner
from abm.errors import InputError, OutputExistsError
from abm.service.serve import ServiceError
from abm.sweep import SweepError

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
    share_fixed = np.zeros(ds["reichstag_share_sum_fixed"].shape, np.int64)  # [election, party]
    held = np.zeros(share_fixed.shape[0], np.int64)
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
    assert re.search(r"^gpus +(none \(JAX's backend: cpu|\d+ x )", out, re.M), out


# ------------------------------------------------------------- exit status: input or bug
def _never_called(*args, **kwargs):
    raise AssertionError("the command ran although its input was refused")


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["run", str(OTL), "--runs", "0"], "argument --runs: 0 is out of range"),
        (["run", str(OTL), "--runs", "many"], "argument --runs: 'many' is not an integer"),
        (["run", str(OTL), "--chunk-size", "0"], "argument --chunk-size: 0 is out of range"),
        (["run", str(OTL), "--seed", str(2**32)], "allowed: an integer in [0, 4294967295]"),
        (["compare", str(OTL), str(TROTSKY), "--seed", "-1"], "argument --seed: -1"),
        (["trace", str(OTL), "--run", "-3"], "argument --run: -3 is out of range"),
        (["--devices", "0", "run", str(OTL)], "argument --devices: 0 is out of range"),
        (["sweep", "s.yaml", "--out", "o", "--batch-points", "0"], "argument --batch-points"),
        (["calibrate", "--coverage-runs", "-1"], "argument --coverage-runs: -1"),
    ],
)
def test_bad_numbers_exit_2_before_anything_runs(monkeypatch, capsys, argv, expect):
    for name in ("run", "compare", "trace", "info"):
        monkeypatch.setattr(abm.api, name, _never_called)
    assert main(["-q", *argv]) == 2
    err = capsys.readouterr().err
    assert expect in err and "allowed: an integer in [" in err
    assert "internal error" not in err


def test_bad_device_count_in_the_environment_exits_2(monkeypatch, capsys):
    monkeypatch.setattr(abm.api, "info", _never_called)
    monkeypatch.setenv("ABM_CPU_DEVICES", "two")
    assert main(["info"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("abm: error: $ABM_CPU_DEVICES='two'") and "integer >= 1" in err


def test_an_input_error_from_a_command_is_one_line_and_exit_2(monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise InputError("x.yaml: levers.a = 3 is out of range; allowed: [0, 1]")

    monkeypatch.setattr(abm.api, "run", refuse)
    assert main(["-q", "run", str(OTL)]) == 2
    err = capsys.readouterr().err
    assert err == "abm: error: x.yaml: levers.a = 3 is out of range; allowed: [0, 1]\n"


@pytest.mark.parametrize("verbose", [False, True])
def test_an_internal_bug_exits_1_not_2(monkeypatch, capsys, verbose):
    """A ValueError from inside a command is a bug, not bad input (it used to exit 2)."""

    def bug(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(abm.api, "run", bug)
    code = main(["-q", *(["-v"] if verbose else []), "run", str(OTL), "--runs", "16"])
    err = capsys.readouterr().err
    assert code == 1
    assert "abm: error:" not in err
    assert "internal error (a bug in abm, not a problem with the input): ValueError: boom" in err
    assert ("Traceback (most recent call last)" in err) == verbose
    assert ("run with -v for the traceback" in err) != verbose


def test_ctrl_c_exits_130(monkeypatch, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(abm.api, "run", interrupt)
    assert main(["-q", "run", str(OTL)]) == 130
    assert capsys.readouterr().err == "abm: interrupted\n"


def test_user_errors_are_input_errors_and_keep_their_old_bases():
    for cls in (ConfigError, CubeError, SweepError, ServiceError, OutputExistsError):
        assert issubclass(cls, InputError), cls
    assert issubclass(SweepError, ValueError) and issubclass(ServiceError, RuntimeError)
    assert issubclass(OutputExistsError, FileExistsError)
    assert not issubclass(InputError, ValueError)  # a stray ValueError is a bug


def test_argparse_errors_and_help_return_their_status(capsys):
    assert main(["run"]) == 2
    assert "the following arguments are required: config" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert (
        "{run,compare,trace,worlds,calibrate,sweep,serve,info,bench,report,validate}"
        in capsys.readouterr().out
    )


def test_report_starts_neither_the_engine_nor_jax(tmp_path):
    """``abm report`` imports abm.cube and abm.analysis only: no API, config or model,
    and JAX (if abm.cube still imports it) is not configured by the command."""
    marker = str(tmp_path / "jax-cache")
    code = f"""
import sys
from abm.cli import main
rc = main(["-q", "report", {str(tmp_path / "nowhere.zarr")!r}])
loaded = sorted(m for m in sys.modules
                if m.split(".")[:2] in (["abm", "api"], ["abm", "config"], ["abm", "models"],
                                        ["abm", "sweep"], ["abm", "service"], ["abm", "replay"]))
jax = sys.modules.get("jax")
configured = jax is not None and jax.config.jax_compilation_cache_dir == {marker!r}
print(rc, loaded, configured)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "ABM_"))}
    env["ABM_JAX_CACHE"] = marker
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert proc.stdout.split() == ["2", "[]", "False"], proc.stderr
    assert "does not exist" in proc.stderr
    # python -m abm.cli is the same command
    proc = subprocess.run(
        [sys.executable, "-m", "abm.cli", "report", str(tmp_path / "nowhere.zarr")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("abm: error: no cube at")


def test_compare_of_two_calendars_is_bad_input(tmp_path, capsys):
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "leaders.yaml").write_text(
        (OTL.parent.parent / "presets" / "leaders.yaml").read_text()
    )
    (tmp_path / "scenarios").mkdir()
    later = tmp_path / "scenarios" / "later.yaml"
    text = OTL.read_text().replace('end: "1941-06"', 'end: "1941-12"')
    later.write_text(text.replace("scenario: otl", "scenario: later"))
    assert main(["-q", "compare", str(OTL), str(later), "--runs", "16"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("abm: error:") and "later.yaml have different calendars" in err


def test_bench_refuses_a_bad_config_before_benchmarking(monkeypatch, capsys):
    import abm.bench

    monkeypatch.setattr(abm.bench, "cli_main", _never_called)
    assert main(["-q", "bench", "--quick", "--config", "configs/scenarios/nowhere.yaml"]) == 2
    assert "nowhere.yaml" in capsys.readouterr().err
