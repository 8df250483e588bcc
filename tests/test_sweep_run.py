"""Sweeps run batch by batch into one resumable Zarr store (abm.sweep.run / store)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
import xarray as xr
from conftest import differing_vars

from abm.cube import build_cube, open_cube
from abm.engine.runner import Runner
from abm.locks import lock_path
from abm.sweep import SweepError, SweepLock, load_sweep, run_sweep
from abm.sweep.run import BatchDone, batches, default_batch_points
from abm.sweep.store import DONE_VAR
from abm.sweep.tables import pin

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"
BATCH = 2  # 4 points in 2 batches: every run_sweep here compiles the same program


def _yaml(seed: int) -> str:
    return (
        "sweep: test_grid\n"
        f"scenario: {OTL}\n"
        "vary:\n"
        "  purge_severity: {low: 0.0, high: 1.0}\n"
        "  united_front_uptake: {low: 0.0, high: 1.0}\n"
        "design: {kind: grid, points_per_dim: 2}\n"
        "runs_per_point: 32\n"
        f"seed: {seed}\n"
        "chunk_size: 64\n"
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sweep")
    (d / "grid.yaml").write_text(_yaml(0), encoding="utf-8")
    (d / "grid_seed1.yaml").write_text(_yaml(1), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def sweep(files: Path):
    return load_sweep(files / "grid.yaml")


@pytest.fixture(scope="module")
def full(sweep, files: Path) -> tuple[xr.Dataset, list[BatchDone]]:
    """An uninterrupted sweep (as run_sweep returns it: a 2 x 2 grid over the levers)."""
    calls: list[BatchDone] = []
    ds = run_sweep(sweep, files / "full.zarr", batch_points=BATCH, progress=calls.append)
    return ds, calls


def _points(path: Path) -> xr.Dataset:
    """A store in its stored layout, over ``point``, in memory."""
    return open_cube(path, lazy=False, grid=False)


def test_batching_defaults(sweep) -> None:
    assert batches(5, 2) == [(0, 2), (2, 4), (4, 5)]
    assert batches(4, 4) == [(0, 4)]
    # 8 chunks of 64 runs at 32 runs a point: 16 points, capped at the sweep's 4.
    assert default_batch_points(sweep) == 4
    assert default_batch_points(sweep, runs=128) == 4


def test_cube_points_levers_and_attrs(sweep, full, files: Path) -> None:
    grid, calls = full
    assert grid["nazi_power_prob"].sizes == {"purge_severity": 2, "united_front_uptake": 2}
    assert "point" not in grid.dims
    ds = _points(files / "full.zarr")
    assert ds.sizes["point"] == 4
    pts = sweep.points()
    np.testing.assert_array_equal(ds["purge_severity"].values, pts[:, 0])
    np.testing.assert_array_equal(ds["united_front_uptake"].values, pts[:, 1])
    np.testing.assert_array_equal(ds["point"].values, np.arange(4))
    units = {v.name: v.unit for v in sweep.vary}
    assert ds["purge_severity"].attrs["units"] == units["purge_severity"] != ""
    assert ds["united_front_uptake"].attrs["kind"] == "lever"
    assert ds.attrs["design"] == "grid" and ds.attrs["store_uid"]
    assert ds[DONE_VAR].values.all()
    np.testing.assert_array_equal(ds["n_runs"].values, [32] * 4)
    assert ds.attrs["config_hash"] == sweep.config_hash()
    assert ds.attrs["config"] == sweep.resolved_text()
    assert ds.attrs["batch_points"] == BATCH
    assert ds.attrs["runs_per_point"] == 32
    assert ds.attrs["run_keys"] == "run_key(seed, point, run)"
    assert [c.batch for c in calls] == [0, 1]
    assert [c.points_done for c in calls] == [2, 4]
    assert not lock_path(files / "full.zarr").exists()  # released


def test_keys_follow_the_global_point(sweep, full, files: Path) -> None:
    """The whole sweep in one Runner.run equals the batched store: run keys use the
    point's index in the sweep, not in its batch."""
    ds = _points(files / "full.zarr")
    model = sweep.scenario.model()
    table = pin(sweep.scenario.prior_table(), sweep.vary, sweep.points())
    runner = Runner(model, chunk_size=sweep.chunk_size)
    s, e = batches(sweep.n_points, BATCH)[1]
    rows = jax.tree.map(lambda x: np.asarray(x)[s:e], table)
    acc = runner.run(sweep.seed, rows, 32, point_offset=s)
    cube = build_cube(acc, model.outcome_specs, model.calendar, {})
    part = ds.isel(point=slice(s, e)).drop_vars(DONE_VAR)
    part = part.drop_vars(list(part.coords))
    assert differing_vars(part, cube.drop_vars(list(cube.coords))) == []
    # Without the offset the batch would reuse the first points' keys: different runs.
    acc0 = runner.run(sweep.seed, rows, 32)
    cube0 = build_cube(acc0, model.outcome_specs, model.calendar, {})
    assert differing_vars(part, cube0.drop_vars(list(cube0.coords))) != []


def test_padded_last_batch_and_batch_size_do_not_change_results(sweep, full, files: Path) -> None:
    """Batches of 3: the last holds one point, padded to 3 (one program). Every point's
    results equal those of batches of 2."""
    run_sweep(sweep, files / "by3.zarr", batch_points=3)
    ds = _points(files / "by3.zarr")
    assert ds.sizes["point"] == 4 and ds[DONE_VAR].values.all()
    np.testing.assert_array_equal(ds["n_runs"].values, [32] * 4)
    ref = _points(files / "full.zarr")
    for p in range(4):
        assert differing_vars(ds.isel(point=p), ref.isel(point=p)) == [], p


def test_resume_after_crash_equals_uninterrupted(sweep, full, files: Path) -> None:
    out = files / "resumed.zarr"

    class Crash(Exception):
        pass

    def crash(p: BatchDone) -> None:
        raise Crash

    with pytest.raises(Crash):
        run_sweep(sweep, out, batch_points=BATCH, progress=crash)
    assert not lock_path(out).exists()  # released on the way out
    partial = xr.open_zarr(out, consolidated=False)
    np.testing.assert_array_equal(partial[DONE_VAR].values, [True, True, False, False])
    calls: list[BatchDone] = []
    # batch_points left out: a resumed store keeps its own.
    resumed = run_sweep(sweep, out, progress=calls.append)
    assert [c.batch for c in calls] == [1]  # only the missing batch ran
    assert calls[0].runs_done == 2 * 32 and calls[0].points_done == 4
    assert differing_vars(resumed, full[0]) == []
    again: list[BatchDone] = []
    run_sweep(sweep, out, progress=again.append)
    assert again == []  # a finished sweep runs nothing


def test_second_writer_refused(sweep, files: Path) -> None:
    out = files / "locked.zarr"
    with SweepLock(out):
        with pytest.raises(SweepError, match=rf"pid {os.getpid()} on host"):
            run_sweep(sweep, out, batch_points=BATCH)
        with pytest.raises(SweepError, match="another sweep"):
            SweepLock(out).acquire()
    assert not lock_path(out).exists()


def test_stale_lock_taken_over(files: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = files / "stale.zarr"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out.mkdir()
    lock_path(out).write_text(
        f'{{"pid": {dead.pid}, "host": "{socket.gethostname()}"}}', encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING), SweepLock(out) as lock:
        assert lock.holder()["pid"] == os.getpid()
    assert "stale" in caplog.text
    assert not lock_path(out).exists()


def test_changed_config_refused(files: Path, full) -> None:
    other = load_sweep(files / "grid_seed1.yaml")
    with pytest.raises(SweepError, match="config_hash"):
        run_sweep(other, files / "full.zarr", batch_points=BATCH)
    with pytest.raises(SweepError, match="batch_points"):
        run_sweep(load_sweep(files / "grid.yaml"), files / "full.zarr", batch_points=3)


def test_cli_sweep(files: Path, full, capsys: pytest.CaptureFixture[str]) -> None:
    from abm.cli import main

    # The finished store: nothing to run, a one-line summary.
    assert main(["-q", "sweep", str(files / "grid.yaml"), "--out", str(files / "full.zarr")]) == 0
    assert "4 points x 32 runs" in capsys.readouterr().out
    rc = main(["-q", "sweep", str(files / "grid_seed1.yaml"), "--out", str(files / "full.zarr")])
    assert rc == 2
    assert "config_hash" in capsys.readouterr().err


def test_two_cpu_devices_shard_each_batch_and_give_the_same_cube(files: Path, full) -> None:
    """``abm --devices 2 sweep``: every batch sharded over both devices (the store says
    2), the cube equal bit for bit to the one-device sweep's."""
    out = files / "two_devices.zarr"
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    env.pop("ABM_CPU_DEVICES", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "abm.cli",
            "-q",
            "--devices",
            "2",
            "sweep",
            str(files / "grid.yaml"),
            "--out",
            str(out),
            "--batch-points",
            str(BATCH),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    ds = open_cube(out, lazy=False)
    assert ds.attrs["n_devices"] == 2 and full[0].attrs["n_devices"] == 1
    assert differing_vars(ds, full[0]) == []
