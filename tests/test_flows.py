"""The abm-sweep Prefect flow: same cube as abm sweep, no result cache (a pickle planted in
Prefect's result storage never runs), resume after kill -9, artifacts, the writer lock,
and a real Dask cluster (scheduler + two workers).

One Prefect test server for the module (``prefect_test_harness``, 20-40 s to start),
with its own ``PREFECT_HOME`` so that no earlier session's cached results come back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr
from conftest import differing_vars, jax_cache_env

from abm.locks import lock_path
from abm.sweep import SweepError, SweepLock, load_sweep, run_sweep
from abm.sweep.store import DONE_VAR, TEMPLATE_ATTR

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"
BIN = Path(sys.executable).parent


def _yaml(runs: int, points_per_dim: int = 2, batch_points: int = 2) -> str:
    # Chunks of 64 and batches of 2 points: the program test_sweep_run, test_serve and
    # test_report_html compile too (one compilation, then the shared cache).
    return (
        "sweep: flow_grid\n"
        f"scenario: {OTL}\n"
        "vary:\n"
        "  purge_severity: {low: 0.0, high: 1.0}\n"
        "  united_front_uptake: {low: 0.0, high: 1.0}\n"
        f"design: {{kind: grid, points_per_dim: {points_per_dim}}}\n"
        f"runs_per_point: {runs}\n"
        "seed: 3\n"
        "chunk_size: 64\n"
        f"batch_points: {batch_points}\n"
    )


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Prefect test server; yields the environment subprocesses need to report to it."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect_home")
    settings = {
        PREFECT_HOME: str(home),
        PREFECT_RESULTS_LOCAL_STORAGE_PATH: str(home / "storage"),
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
    }
    with temporary_settings(settings), prefect_test_harness(server_startup_timeout=180):
        env = dict(os.environ)
        env.update(
            PREFECT_API_URL=str(PREFECT_API_URL.value()),
            PREFECT_HOME=str(home),
            PREFECT_RESULTS_LOCAL_STORAGE_PATH=str(home / "storage"),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            **jax_cache_env(),
        )
        yield env


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("flows")
    (d / "grid.yaml").write_text(_yaml(16), encoding="utf-8")
    (d / "grid_more_runs.yaml").write_text(_yaml(24), encoding="utf-8")
    (d / "grid6.yaml").write_text(_yaml(16, points_per_dim=3), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def reference(files: Path) -> xr.Dataset:
    """The sweep run in-process by abm sweep's code (no Prefect)."""
    return run_sweep(load_sweep(files / "grid.yaml"), files / "reference.zarr")


def _open(path: Path) -> xr.Dataset:
    # As abm opens it: a grid sweep on one dimension per lever, like run_sweep's result.
    from abm.cube import open_cube

    return open_cube(path, lazy=False)


def _artifacts(key: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    return sorted(found, key=lambda a: a.created or 0)  # oldest first


class _Touch:
    """A pickle payload that, when loaded, creates ``marker`` (stands for any code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def _poison_storage(storage: Path, files: Path) -> Path:
    """Plant a Prefect result record whose pickle creates a marker file: over every
    record the first run left, and under the key each batch's task would be cached by
    with ``INPUTS + TASK_SOURCE``. Returns the marker (checked absent by the caller)."""
    from types import SimpleNamespace

    from prefect._internal.result_records import ResultRecord, ResultRecordMetadata
    from prefect.cache_policies import INPUTS, TASK_SOURCE
    from prefect.serializers import PickleSerializer

    from abm.service.flow import sweep_batch

    marker = files / "PLANTED-PICKLE-RAN"

    def record(key: str) -> bytes:
        meta = ResultRecordMetadata(storage_key=key, serializer=PickleSerializer())
        return ResultRecord(result=_Touch(marker), metadata=meta).serialize()

    # The planted record does run code when Prefect loads it as a result.
    ResultRecord.deserialize(record("probe"))
    assert marker.exists()
    marker.unlink()

    storage.mkdir(parents=True, exist_ok=True)
    for path in [p for p in storage.rglob("*") if p.is_file()]:
        path.write_bytes(record(path.name))
    out = (files / "flow.zarr").resolve()
    attrs = dict(zarr.open_group(str(out), mode="r").attrs)
    sweep = load_sweep(files / "grid.yaml")
    for batch in range(2):
        inputs = {
            "config": str((files / "grid.yaml").resolve()),
            "config_hash": sweep.config_hash(),
            "store_uid": str(attrs.get("store_uid", "")),
            "out": str(out),
            "batch": batch,
            "runs": 16,
            "batch_points": 2,
        }
        key = (INPUTS + TASK_SOURCE).compute_key(
            SimpleNamespace(task=sweep_batch),  # type: ignore[arg-type]
            inputs,
            {},
        )
        if key:
            (storage / key).write_bytes(record(key))
    return marker


def test_flow_equals_abm_sweep_never_loads_stored_results_and_leaves_artifacts(
    prefect_api: dict[str, str], files: Path, reference: xr.Dataset
) -> None:
    from abm.service.flow import sweep_flow

    out = files / "flow.zarr"
    first = sweep_flow(config=str(files / "grid.yaml"), out=str(out))
    assert first["points_done"] == "4/4"
    assert (first["batches_run"], first["batches_cached"], first["runs"]) == (2, 0, 64)
    assert differing_vars(_open(out), reference) == []

    # Unchanged rerun over a poisoned result storage: nothing simulated (every batch
    # found in the store), and no planted pickle is ever loaded.
    marker = _poison_storage(Path(prefect_api["PREFECT_RESULTS_LOCAL_STORAGE_PATH"]), files)
    again = sweep_flow(config=str(files / "grid.yaml"), out=str(out))
    assert not marker.exists(), "a pickle planted in the result storage ran"
    assert (again["batches_run"], again["batches_in_store"], again["runs"]) == (0, 2, 0)

    # A changed config (more runs a point) misses the cache: every batch runs again.
    changed = sweep_flow(config=str(files / "grid_more_runs.yaml"), out=str(files / "more.zarr"))
    assert (changed["batches_run"], changed["batches_cached"], changed["runs"]) == (2, 0, 96)

    table = _artifacts("flow-grid-batches")
    assert table, "no batches table artifact"
    rows = json.loads(table[-1].data)
    assert sorted(r["batch"] for r in rows) == [0, 1]
    assert {"wall_s", "runs_per_s", "status", "worker"} <= set(rows[0])
    summary = json.loads(_artifacts("flow-grid-summary")[-1].data)
    assert summary[0]["points_done"] == "4/4"
    report = _artifacts("flow-grid-report")[-1].data
    assert isinstance(report, str)
    assert report.count("data:image/png;base64,") >= 2
    assert "nazi_power" in report and str((files / "more.zarr").resolve()) in report


def test_flow_refuses_a_store_held_by_another_writer(
    prefect_api: dict[str, str], files: Path
) -> None:
    from abm.service.flow import sweep_flow

    out = files / "held.zarr"
    with SweepLock(out), pytest.raises(SweepError, match="being written by another sweep"):
        sweep_flow(config=str(files / "grid.yaml"), out=str(out))
    assert not (out / "zarr.json").exists()  # nothing written


def _done(out: Path) -> np.ndarray | None:
    try:
        group = zarr.open_group(out, mode="r", zarr_format=3)
        return np.asarray(group[DONE_VAR][...], dtype=bool)
    except Exception:  # not written yet, or being written
        return None


def test_resume_after_kill_9_is_bit_identical(prefect_api: dict[str, str], files: Path) -> None:
    """Kill -9 the flow's process once some batches are done; the rerun finishes only the
    missing points, and the cube equals an uninterrupted one bit for bit."""
    from abm.service.flow import sweep_flow

    config = files / "grid6.yaml"
    full = files / "grid6_full.zarr"
    run_sweep(load_sweep(config), full)
    out = files / "killed.zarr"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "flows" / "sweep.py"), str(config), "--out", str(out)],
        env=prefect_api,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        done = None
        while time.monotonic() < deadline and proc.poll() is None:
            done = _done(out)
            if done is not None and done.any():
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    killed_done = _done(out)
    assert killed_done is not None and killed_done.any(), "killed before any batch was done"
    assert not killed_done.all(), "killed too late"
    assert lock_path(out).exists()  # left behind by the killed process (not held)
    summary = sweep_flow(config=str(config), out=str(out))
    assert summary["points_done"] == "9/9"
    missing = int((~killed_done).sum())
    assert summary["runs"] == 16 * missing  # the missing points only
    assert differing_vars(_open(out), _open(full)) == []


def test_a_template_cut_off_by_a_kill_is_written_again(files: Path, reference: xr.Dataset) -> None:
    """A sweep killed while writing its template (the store's group says so, arrays are
    missing) starts the template again instead of failing, and finishes bit-identical."""
    config = files / "grid.yaml"
    out = files / "cut.zarr"
    with SweepLock(out):
        from abm.sweep.run import plan_sweep

        plan_sweep(load_sweep(config), out)
    group = zarr.open_group(out, mode="r+", zarr_format=3)
    group.attrs[TEMPLATE_ATTR] = True  # as if killed before the last array
    for name in ("nazi_power_prob", "n_runs"):
        del group[name]
    ds = run_sweep(load_sweep(config), out)
    assert ds.attrs[TEMPLATE_ATTR] is False and ds[DONE_VAR].values.all()
    assert differing_vars(ds, reference) == []


@pytest.fixture(scope="module")
def dask_cluster(
    prefect_api: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A real Dask scheduler and two single-threaded workers on loopback."""
    d = tmp_path_factory.mktemp("dask")
    sched_file = d / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], name: str) -> None:
        log = (d / f"{name}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [str(BIN / "dask"), *args],
                env=prefect_api,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=d,
            )
        )

    try:
        start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            "scheduler",
        )
        deadline = time.monotonic() + 120
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sched_file.exists(), (d / "scheduler.log").read_text()
        address = json.loads(sched_file.read_text())["address"]
        for i in range(2):
            start(
                [
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--no-dashboard",
                    "--memory-limit",
                    "6GiB",
                    "--name",
                    f"w{i}",
                ],
                f"worker{i}",
            )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, procs
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_dask_cluster_run_equals_the_local_run(
    prefect_api: dict[str, str],
    files: Path,
    reference: xr.Dataset,
    dask_cluster: tuple[str, list[subprocess.Popen[bytes]]],
) -> None:
    from distributed import Client

    from abm.cli import main

    address, _ = dask_cluster
    out = files / "dask.zarr"
    with Client(address) as client:
        worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == 2
    code = main(["sweep", str(files / "grid.yaml"), "--out", str(out), "--dask-address", address])
    assert code == 0
    assert differing_vars(_open(out), reference) == []
    rows = json.loads(_artifacts("flow-grid-batches")[-1].data)
    ran_on = {int(r["worker"].rsplit(":", 1)[1]) for r in rows if r["status"] == "ran"}
    assert ran_on and ran_on <= worker_pids  # the batches ran on the cluster's workers
    assert os.getpid() not in ran_on


# ---------------------------------------------------------------- abm calibrate as a flow
def _calibration_config(d: Path) -> Path:
    import yaml

    raw = yaml.safe_load((ROOT / "configs" / "calibration" / "interwar.yaml").read_text())
    raw["scenario"] = str(OTL)
    raw["smc"] = {
        "particles": 16,
        "replicates": 2,
        "moves": 1,
        "max_steps": 1,
        "final_moves": 1,
        "seed": 4,
        "chunk_size": 32,
    }
    path = d / "calibration.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_calibration_flow_equals_the_local_calibration(
    prefect_api: dict[str, str], tmp_path: Path
) -> None:
    """``abm calibrate --prefect``: batches of simulations as Prefect tasks (here on
    threads; --dask-address sends them to a cluster) give the local posterior bit for bit."""
    from abm.calibrate.distributed import run_flow
    from abm.calibrate.run import calibrate
    from abm.posterior import load_posterior

    config = _calibration_config(tmp_path)
    local = calibrate(config, tmp_path / "local_store", tmp_path / "local.npz")
    path = run_flow(config, tmp_path / "flow_store", tmp_path / "flow.npz", False, 5, None)
    flow = load_posterior(path)
    # 16 vectors x 2 replicates at the prior, then one move refreshing one replicate each
    assert local.state.step == 1 and local.state.offset == 48
    np.testing.assert_array_equal(flow.values, local.posterior.values)
    assert flow.names == local.posterior.names
    # A config changed under a running calibration is refused by its tasks.
    from abm.calibrate.distributed import _simulator
    from abm.errors import InputError

    with pytest.raises(InputError, match="changed since"):
        _simulator(str(config), "0" * 64)
