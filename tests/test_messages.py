"""Messages, not tracebacks; ``abm calibrate`` validates first and writes all or nothing.

Issue 11, items 5 and 12. Each failure a user can cause prints one line and exits
non-zero (2 for the user's input, checked before simulating where it can be), and leaves
nothing half-written. Most of these fail before anything is simulated: no model compiles.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import OTL, small_sweep_yaml

import abm.calibration as calibration
from abm.cli import main
from abm.models import registry
from abm.models.interwar.germany.slice import SLICE as GERMANY
from abm.models.interwar.parameters import GERMANY_CALIBRATION, SOVIET_CALIBRATION
from abm.models.interwar.soviet.slice import SLICE as SOVIET


def _state(path: Path) -> tuple[bytes, int]:
    """A file's bytes and modification time (ns)."""
    return path.read_bytes(), path.stat().st_mtime_ns


def _one_line(err: str, *words: str) -> None:
    assert err.count("\n") == 1 and err.startswith("abm"), err
    assert "Traceback" not in err and all(w in err for w in words), err


# --------------------------------------------------- item 5: abm calibrate, all or nothing


def test_each_slice_names_the_calibration_file_its_catalogue_reads() -> None:
    assert GERMANY.calibration_file is not None and SOVIET.calibration_file is not None
    assert GERMANY.calibration_file.name == GERMANY_CALIBRATION
    assert SOVIET.calibration_file.name == SOVIET_CALIBRATION
    assert GERMANY.calibration_file.is_file() and SOVIET.calibration_file.is_file()


@pytest.fixture()
def fake_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The model's slices with calibration files in ``tmp_path`` (copies of the real ones):
    the first slice's entry writes its file; the second one's fails."""
    defs = registry.slice_defs("interwar")
    files = {d.name: tmp_path / f"{d.name}_calibration.yaml" for d in defs}
    for d in defs:
        assert d.calibration_file is not None
        files[d.name].write_bytes(d.calibration_file.read_bytes())
    seen: list[str] = []

    def writes(name: str) -> Any:
        def fit(base: Any) -> list[str]:
            seen.append(name)
            files[name].write_text("priors: {}\n# a new fit\n", encoding="utf-8")
            return [f"{name}: wrote"]

        return fit

    def fails(base: Any) -> list[str]:
        seen.append("fails")
        raise RuntimeError("the fit diverged")

    first, second = defs[0], defs[1]
    fake = (
        dataclasses.replace(
            first, calibrate=writes(first.name), calibration_file=files[first.name]
        ),
        dataclasses.replace(second, calibrate=fails, calibration_file=files[second.name]),
        *defs[2:],
    )
    monkeypatch.setattr(registry, "slice_defs", lambda name="interwar": fake)
    return {"files": files, "seen": seen, "first": first.name, "second": second.name}


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failed_calibration_restores_every_calibration_file(
    fake_slices: dict[str, Any], monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    files: dict[str, Path] = fake_slices["files"]
    if error is KeyboardInterrupt:

        def interrupted(base: Any) -> list[str]:
            fake_slices["seen"].append("fails")
            raise KeyboardInterrupt

        defs = registry.slice_defs("interwar")
        fake = (defs[0], dataclasses.replace(defs[1], calibrate=interrupted), *defs[2:])
        monkeypatch.setattr(registry, "slice_defs", lambda name="interwar": fake)
    before = {name: _state(f) for name, f in files.items()}
    with pytest.raises(error):
        calibration.calibrate(OTL, coverage_runs=0, say=lambda line: None)
    # the first slice did write its file, the second failed: both are as they were
    assert fake_slices["seen"] == [fake_slices["first"], "fails"]
    assert {name: _state(f) for name, f in files.items()} == before
    assert not [p.name for p in files[fake_slices["first"]].parent.iterdir() if p.name[0] == "."]


def test_a_finished_calibration_keeps_what_it_wrote(fake_slices: dict[str, Any]) -> None:
    files: dict[str, Path] = fake_slices["files"]
    defs = registry.slice_defs("interwar")
    ok = (defs[0], dataclasses.replace(defs[1], calibrate=lambda base: ["soviet: ok"]))
    registry_defs = registry.slice_defs
    try:
        registry.slice_defs = lambda name="interwar": ok  # type: ignore[assignment]
        assert calibration.calibrate(OTL, coverage_runs=0, say=lambda line: None) == []
    finally:
        registry.slice_defs = registry_defs  # type: ignore[assignment]
    assert "# a new fit" in files[fake_slices["first"]].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["calibrate", "--config", "nope.yaml"],
        ["calibrate", "--coverage-runs", "-5"],
        ["calibrate", "--report", "/no/such/folder/coverage.md"],
    ],
)
def test_calibrate_with_bad_arguments_exits_2_and_touches_no_calibration_file(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(base: Any) -> list[str]:
        raise AssertionError("calibrated with bad arguments")

    real = registry.slice_defs("interwar")
    monkeypatch.setattr(
        registry,
        "slice_defs",
        lambda name="interwar": tuple(dataclasses.replace(d, calibrate=never) for d in real),
    )
    files = [GERMANY.calibration_file, SOVIET.calibration_file]
    before = [_state(f) for f in files if f is not None]
    assert main(["-q", *argv]) == 2
    err = capsys.readouterr().err  # argparse's refusals come after its usage lines
    _one_line(err.splitlines()[-1] + "\n", "error")
    assert [_state(f) for f in files if f is not None] == before


# ------------------------------------------------------------ item 12: one line, no trace

SWEEP_YAML = small_sweep_yaml("messages_test")
LONG = "x" * 300


@pytest.fixture()
def sweep_file(tmp_path: Path) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(SWEEP_YAML, encoding="utf-8")
    return path


def _free_port() -> int:
    """A local port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _left(folder: Path) -> list[str]:
    """Everything under ``folder`` (hidden files included), relative."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _tiny_cube(path: Path) -> None:
    """A cube of zero tallies (16 runs), built without simulating or compiling anything."""
    from abm.config import load_scenario
    from abm.cube import build_cube, write_cube
    from abm.tallies import Accumulator, empty_tallies

    model = load_scenario(OTL).model()
    acc = Accumulator(empty_tallies(model.outcome_specs, 1, model.n_months, np), 1, 16)
    write_cube(build_cube(acc, model.outcome_specs, model.calendar, {"scenario": "otl"}), path)


class _NoSimulation:
    """Stands in for :class:`abm.engine.runner.Runner`: zero tallies, nothing compiled."""

    def __init__(self, model: Any, chunk_size: int, posterior: Any = None) -> None:
        self.model, self.chunk_size, self.n_devices = model, chunk_size, 1

    def run(self, seed: int, table: Any, n: int, progress: Any = None) -> Any:
        from abm.tallies import Accumulator, empty_tallies

        specs, months = self.model.outcome_specs, self.model.n_months
        return Accumulator(empty_tallies(specs, 1, months, np), 1, n)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", str(OTL), "--runs", "16", "--out", "{d}/" + LONG + ".zarr"],
        ["run", str(OTL), "--runs", "16", "--out", "{d}/" + LONG + "/otl.zarr"],
        ["run", str(OTL), "--runs", "16", "--netcdf", "{d}/" + LONG + ".nc"],
        ["compare", str(OTL), str(OTL), "--runs", "16", "--out-dir", "{d}/" + LONG],
        ["compare", str(OTL), str(OTL), "--runs", "16", "--csv", "{d}/" + LONG + ".csv"],
        ["trace", str(OTL), "--run", "1", "--out", "{d}/" + LONG + ".zarr"],
        ["sweep", "{sweep}", "--runs", "16", "--out", "{d}/" + LONG + ".zarr"],
    ],
)
def test_an_over_long_file_name_is_refused_before_simulating(
    argv: list[str], tmp_path: Path, sweep_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = [a.format(d=out, sweep=sweep_file) for a in argv]
    assert main(["-q", *args]) == 2
    _one_line(capsys.readouterr().err, "abm: error: ", "too long", "bytes")
    assert _left(out) == []


def test_netcdf_onto_a_directory_is_refused_before_simulating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("abm.api.Runner", None)  # simulating would fail: it must not start
    (tmp_path / "exports").mkdir()
    argv = ["run", str(OTL), "--runs", "16", "--netcdf", str(tmp_path / "exports")]
    assert main(["-q", *argv]) == 2
    _one_line(capsys.readouterr().err, "abm: error: ", "is a directory")
    assert _left(tmp_path) == ["exports"]


@pytest.mark.parametrize("error", ["disk full", "ctrl-c"])
def test_a_write_cut_off_by_a_full_disk_or_ctrl_c_leaves_nothing_and_says_so(
    error: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import abm.cube.integrity

    monkeypatch.setattr("abm.api.Runner", _NoSimulation)
    real_seal = abm.cube.integrity.seal

    def seal(path: Any) -> Any:  # the chunks are written: the disk fills at the record
        assert any(Path(path).rglob("c*")), "no chunk written before the failure"
        if error == "ctrl-c":
            raise KeyboardInterrupt
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(path) / "zarr.json"))

    monkeypatch.setattr(abm.cube.integrity, "seal", seal)
    out = tmp_path / "otl.zarr"
    code = main(["-q", "run", str(OTL), "--runs", "16", "--chunk-size", "16", "--out", str(out)])
    err = capsys.readouterr().err
    if error == "ctrl-c":
        assert code == 130
        _one_line(err, "abm: interrupted")
    else:
        assert code == 3
        _one_line(err, "abm: error: ", f"--out {out}", "No space left on device")
    assert _left(tmp_path) == []  # no cube, no hidden temporary store, no lock file
    monkeypatch.setattr(abm.cube.integrity, "seal", real_seal)
    assert main(["-q", "run", str(OTL), "--runs", "16", "--out", str(out)]) == 0
    capsys.readouterr()
    assert _left(tmp_path)[0] == "otl.zarr"  # the same write succeeds afterwards


def test_a_corrupt_chunk_is_one_line_naming_the_cube(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cube = tmp_path / "otl.zarr"
    _tiny_cube(cube)
    chunks = [p for p in (cube / "nazi_power_prob").rglob("c*") if p.is_file()]
    assert chunks
    for c in chunks:
        c.write_bytes(b"\x00garbage, not a Zstandard frame\xff" * 2)
    html = tmp_path / "report.html"
    assert main(["report", str(cube), "--out", str(html)]) == 2
    _one_line(capsys.readouterr().err, "abm: error: ", str(cube), "corrupt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["otl.zarr"]  # no report, no lock


def test_sweep_argument_errors_leave_nothing_at_out(
    tmp_path: Path, sweep_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "sweeps" / "s.zarr"
    argv = ["sweep", str(sweep_file), "--runs", "16", "--batch-points", "999999"]
    assert main(["-q", *argv, "--out", str(out)]) == 2
    _one_line(capsys.readouterr().err, "abm: error: ", "memory budget")
    assert not (tmp_path / "results").exists()


def test_an_unreachable_dask_scheduler_is_refused_before_the_flow(
    tmp_path: Path, sweep_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.zarr"
    for address, words in (
        (f"tcp://127.0.0.1:{_free_port()}", ("no Dask scheduler answers",)),
        ("tcp://no-port-here", ("not a scheduler address",)),
    ):
        argv = ["sweep", str(sweep_file), "--runs", "16", "--dask-address", address]
        assert main(["-q", *argv, "--out", str(out)]) == 2
        _one_line(capsys.readouterr().err, "abm: error: ", "--dask-address", *words)
    assert _left(tmp_path) == ["sweep.yaml"]


def test_check_api_refuses_what_is_not_a_prefect_server() -> None:
    from abm.service.serve import ServiceError, check_api

    with pytest.raises(ServiceError, match="not a Prefect API URL"):
        check_api("notaurl")
    with pytest.raises(ServiceError, match="not a Prefect API URL"):
        check_api("http://127.0.0.1:notaport/api")
    with pytest.raises(ServiceError, match="no Prefect server answers"):
        check_api(f"http://127.0.0.1:{_free_port()}/api", timeout=2)


@pytest.mark.parametrize("command", ["sweep", "serve"])
def test_an_unreachable_prefect_api_url_is_one_line(
    command: str, tmp_path: Path, sweep_file: Path
) -> None:
    env = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{_free_port()}/api"}
    out = tmp_path / "s.zarr"
    if command == "sweep":
        argv = ["sweep", str(sweep_file), "--prefect", "--runs", "16", "--out", str(out)]
    else:
        service = tmp_path / "service.yaml"
        service.write_text(
            f"deployments:\n  - name: nightly\n    sweep: {sweep_file}\n"
            f"    out: {out}\n    cron: '30 2 * * *'\n",
            encoding="utf-8",
        )
        argv = ["serve", str(service)]
    proc = subprocess.run(
        [sys.executable, "-m", "abm.cli", "-q", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    _one_line(proc.stderr, "no Prefect server answers at PREFECT_API_URL", "prefect server start")
    assert not out.exists()


def test_a_sweep_template_says_when_it_starts_and_how_big_it_is(
    tmp_path: Path, sweep_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    from abm.sweep import SweepLock, load_sweep
    from abm.sweep import plan as plan_module

    def template(sweep: Any, out: Path, *args: Any) -> None:  # no model compiled
        (out / "placeholder").write_bytes(b"\0" * 2048)

    monkeypatch.setattr(plan_module, "write_template", template)
    out = tmp_path / "s.zarr"
    with caplog.at_level(logging.INFO, logger="abm.sweep.plan"), SweepLock(out):
        plan_module.plan_sweep(load_sweep(sweep_file), out, runs=16)
    lines = [r.getMessage() for r in caplog.records if "template" in r.getMessage()]
    assert len(lines) == 2, lines
    assert "writing the template of 2 points x 16 runs" in lines[0]
    assert "template written in" in lines[1] and "kB on disk" in lines[1]
