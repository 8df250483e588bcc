"""The scheduled-sweep service end to end, against a real Prefect server.

A module fixture starts ``prefect server start`` (its own ``PREFECT_HOME``, a free port);
the test serves a tiny sweep with ``abm serve``, triggers a run with ``prefect deployment
run``, checks the cube and the artifacts, then restarts ``abm serve`` and checks the
deployment and its schedule survived (``pause_on_shutdown=False``). Every process is
started in its own session and killed with its children, pass or fail.

The quick tests (no server) check the refusals: no ``PREFECT_API_URL``, bad service files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from abm.config import ConfigError
from abm.service.artifacts import artifact_key
from abm.service.serve import export_jax_settings, load_service

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"
BIN = Path(sys.executable).parent
ABM = str(BIN / "abm") if (BIN / "abm").exists() else (shutil.which("abm") or "abm")
PREFECT = str(BIN / "prefect") if (BIN / "prefect").exists() else (shutil.which("prefect") or "")

SWEEP_NAME = "serve_test"
DEPLOYMENT = "serve-test"
FULL_NAME = f"abm-sweep/{DEPLOYMENT}"
#: Due once a year (1 January): no run comes due while the test runs.
CRON = "0 0 1 1 *"

#: Seconds allowed for each wait (generous: the machine is shared and has 2 cores).
SERVER_START_S = 120
SERVE_START_S = 150
FLOW_RUN_S = 300
STOP_S = 60

SWEEP_YAML = f"""\
sweep: {SWEEP_NAME}
scenario: {OTL}
vary:
  purge_severity: {{low: 0.0, high: 1.0}}
  united_front_uptake: {{low: 0.0, high: 1.0}}
design: {{kind: grid, points_per_dim: 2}}
runs_per_point: 16
seed: 0
chunk_size: 64
batch_points: 2
"""

SERVICE_YAML = f"""\
deployments:
  - name: {DEPLOYMENT}
    description: "end-to-end test of abm serve"
    sweep: sweep.yaml
    out: results/cube.zarr
    cron: "{CRON}"
    timezone: UTC
"""

T = TypeVar("T")


# --- processes -----------------------------------------------------------------------


def _base_env(home: Path) -> dict[str, str]:
    """This environment without any Prefect setting, plus a private ``PREFECT_HOME``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
        # The flow runs reuse the test suite's compiled programs (see conftest.py).
        ABM_JAX_CACHE=os.environ.get("ABM_TEST_JAX_CACHE") or str(ROOT / ".pytest_cache" / "jax"),
    )
    return env


def _start(cmd: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a new session (so that it dies with its children), output to ``log``."""
    with open(log, "ab") as fh:
        return subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = STOP_S) -> int:
    """Send ``sig`` to the process's group, wait; SIGKILL the group if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    # Children left behind (a flow run, uvicorn) go too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return proc.wait(STOP_S)


def _tail(log: Path, n: int = 4000) -> str:
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    return f"\n--- {log.name} ---\n{text[-n:]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(
    what: str,
    check: Callable[[], T | None],
    timeout: float,
    alive: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    every: float = 1.0,
) -> T:
    """Call ``check`` until it returns something other than None; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got is not None:
            return got
        if alive is not None and alive.poll() is not None:
            pytest.fail(
                f"{what}: the process exited with {alive.returncode}" + _tail(log or Path())
            )
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not after {timeout:.0f} s" + (_tail(log) if log else ""))
        time.sleep(every)


# --- the server ----------------------------------------------------------------------


class Server:
    def __init__(self, url: str, home: Path, log: Path) -> None:
        self.url = url
        self.home = home
        self.log = log

    def env(self) -> dict[str, str]:
        """The environment of a client of this server."""
        return {**_base_env(self.home), "PREFECT_API_URL": self.url}

    @contextmanager
    def client(self) -> Iterator[Any]:
        """A synchronous Prefect client of this server."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: self.url}), get_client(sync_client=True) as c:
            yield c


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    assert PREFECT, "the prefect command is not installed"
    base = tmp_path_factory.mktemp("prefect")
    home = base / "home"
    home.mkdir()
    port = _free_port()
    env = _base_env(home)
    env.update(
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_UI_ENABLED="false",  # no dashboard: a faster start, nothing to copy
    )
    log = base / "server.log"
    proc = _start(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, log, base
    )
    url = f"http://127.0.0.1:{port}/api"
    try:

        def healthy() -> bool | None:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
                    return True if r.status == 200 else None
            except (urllib.error.URLError, OSError):
                return None

        _wait("prefect server healthy", healthy, SERVER_START_S, proc, log)
        yield Server(url, home, log)
    finally:
        _stop(proc)


# --- the service ---------------------------------------------------------------------


def _deployment(server: Server) -> Any | None:
    from prefect.exceptions import ObjectNotFound

    with server.client() as client:
        try:
            return client.read_deployment_by_name(FULL_NAME)
        except ObjectNotFound:
            return None


def _served(dep: Any) -> bool:
    """The deployment is not paused and has exactly one schedule, active, of our cron."""
    return (
        not dep.paused
        and len(dep.schedules) == 1
        and dep.schedules[0].active
        and dep.schedules[0].schedule.cron == CRON
    )


def _describe(dep: Any) -> str:
    scheds = [(s.schedule, s.active) for s in dep.schedules]
    return f"{dep.name} paused={dep.paused} schedules={scheds}"


@pytest.mark.slow
def test_serve_runs_a_deployment_and_survives_a_restart(
    prefect_server: Server, tmp_path: Path
) -> None:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterId,
    )

    import abm

    work = tmp_path / "work"
    work.mkdir()
    (work / "sweep.yaml").write_text(SWEEP_YAML, encoding="utf-8")
    service = work / "service.yaml"
    service.write_text(SERVICE_YAML, encoding="utf-8")
    out = (work / "results" / "cube.zarr").resolve()  # out is relative to serve's directory
    env = prefect_server.env()
    serve_cmd = [ABM, "serve", str(service)]
    procs: list[subprocess.Popen[bytes]] = []
    log1, log2 = tmp_path / "serve-1.log", tmp_path / "serve-2.log"
    try:
        # 1. abm serve registers the deployment, its schedule active.
        first = _start(serve_cmd, env, log1, work)
        procs.append(first)

        def registered() -> Any | None:
            dep = _deployment(prefect_server)
            return dep if dep is not None and _served(dep) else None

        dep = _wait("deployment registered", registered, SERVE_START_S, first, log1)
        assert dep.schedules[0].schedule.cron == CRON
        assert dep.schedules[0].schedule.timezone == "UTC"
        assert dep.parameters == {
            "config": str((work / "sweep.yaml").resolve()),
            "out": str(out),
            "runs": None,
            "overwrite": False,
            "dask_address": None,
        }
        assert set(dep.tags) == {"abm", "sweep"}
        dep_id = dep.id

        # 2. A run triggered by hand, as a user would: the service picks it up and runs it.
        cli = subprocess.run(
            [PREFECT, "deployment", "run", FULL_NAME],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert cli.returncode == 0, cli.stdout + cli.stderr
        found = re.search(r"UUID: ([0-9a-f-]{36})", cli.stdout)
        assert found, cli.stdout
        run_id = found.group(1)

        def finished() -> Any | None:
            with prefect_server.client() as client:
                run = client.read_flow_run(run_id)
            return run if run.state is not None and run.state.is_final() else None

        run = _wait("flow run finished", finished, FLOW_RUN_S, first, log1, every=2.0)
        assert run.state.is_completed(), f"{run.state!r}" + _tail(log1)
        assert str(run.deployment_id) == str(dep_id)
        assert run.name == str(out)  # flow_run_name="{out}"

        assert (out / "zarr.json").is_file(), sorted(p.name for p in out.parent.iterdir())
        ds = abm.open_cube(out, grid=False)
        done = np.asarray(ds["points_done"].values)
        assert done.shape == (4,)
        assert done.all()
        assert ds.attrs["sweep"] == SWEEP_NAME

        with prefect_server.client() as client:
            arts = client.read_artifacts(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))
            )
        by_key = {a.key: a for a in arts}
        keys = {
            artifact_key(SWEEP_NAME, s): t
            for s, t in [("summary", "table"), ("batches", "table"), ("report", "markdown")]
        }
        assert set(keys) <= set(by_key), sorted(by_key)
        assert {k: by_key[k].type for k in keys} == keys
        summary = by_key[artifact_key(SWEEP_NAME, "summary")].data
        rows = json.loads(summary) if isinstance(summary, str) else summary
        assert rows[0]["points_done"] == "4/4"
        assert rows[0]["runs"] == 4 * 16
        batches = by_key[artifact_key(SWEEP_NAME, "batches")].data
        rows = json.loads(batches) if isinstance(batches, str) else batches
        assert [r["batch"] for r in rows] == [0, 1]
        assert str(out) in by_key[artifact_key(SWEEP_NAME, "report")].data

        # 3. Stopping the service leaves the deployment and its schedule active.
        before = _deployment(prefect_server)
        assert before is not None
        assert _stop(first, signal.SIGTERM) == 0, _tail(log1)
        after = _deployment(prefect_server)
        assert after is not None, "the deployment is gone after abm serve stopped"
        assert after.id == dep_id
        assert _served(after), _describe(after)

        # 4. A second abm serve takes the same deployment over, schedule still active.
        second = _start(serve_cmd, env, log2, work)
        procs.append(second)

        def updated() -> Any | None:
            dep = _deployment(prefect_server)
            return dep if dep is not None and dep.updated > before.updated else None

        again = _wait("deployment registered again", updated, SERVE_START_S, second, log2)
        assert again.id == dep_id
        assert _served(again), _describe(again)
        with prefect_server.client() as client:
            same_name = client.read_deployments(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[DEPLOYMENT]))
            )
        assert [d.id for d in same_name] == [dep_id]
        assert second.poll() is None, _tail(log2)
    finally:
        for p in procs:
            _stop(p, signal.SIGTERM, timeout=15)


# --- quick checks, no server ---------------------------------------------------------


def test_serve_without_prefect_api_url_says_how_to_start_a_server(tmp_path: Path) -> None:
    (tmp_path / "sweep.yaml").write_text(SWEEP_YAML, encoding="utf-8")
    service = tmp_path / "service.yaml"
    service.write_text(SERVICE_YAML, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    res = subprocess.run(
        [ABM, "serve", str(service)],
        env=_base_env(home),  # no PREFECT_API_URL, and no profile that sets one
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert "prefect server start" in res.stderr
    assert "PREFECT_API_URL" in res.stderr
    assert FULL_NAME in res.stdout
    assert str(tmp_path.resolve() / "results" / "cube.zarr") in res.stdout


def test_export_jax_settings_reach_the_flow_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import jax

    for var in (
        "JAX_COMPILATION_CACHE_DIR",
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
        "JAX_NUM_CPU_DEVICES",
    ):
        monkeypatch.delenv(var, raising=False)
    cache = jax.config.jax_compilation_cache_dir
    assert cache, "conftest.py sets a compilation cache"
    export_jax_settings()
    assert os.environ["JAX_COMPILATION_CACHE_DIR"] == cache
    assert float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]) == float(
        jax.config.jax_persistent_cache_min_compile_time_secs
    )
    devices = jax.config.jax_num_cpu_devices
    assert os.environ.get("JAX_NUM_CPU_DEVICES") == (str(devices) if devices > 0 else None)


def _service(tmp_path: Path, **changes: Any) -> Path:
    """A service file of one deployment, ``changes`` applied (None drops a key)."""
    import yaml

    (tmp_path / "sweep.yaml").write_text(SWEEP_YAML, encoding="utf-8")
    item: dict[str, Any] = {
        "name": DEPLOYMENT,
        "sweep": "sweep.yaml",
        "out": "results/cube.zarr",
        "cron": CRON,
    }
    item.update(changes)
    item = {k: v for k, v in item.items() if v is not None}
    path = tmp_path / "service.yaml"
    path.write_text(yaml.safe_dump({"deployments": [item]}), encoding="utf-8")
    return path


def test_load_service_reads_a_good_file(tmp_path: Path) -> None:
    (entry,) = load_service(_service(tmp_path, runs=8), workdir=tmp_path)
    assert entry.name == DEPLOYMENT
    assert entry.cron == CRON
    assert entry.timezone == "UTC"
    assert entry.sweep == (tmp_path / "sweep.yaml").resolve()
    assert entry.out == (tmp_path / "results" / "cube.zarr").resolve()
    assert entry.parameters() == {
        "config": str(entry.sweep),
        "out": str(entry.out),
        "runs": 8,
        "overwrite": False,
        "dask_address": None,
    }


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"cron": "61 * * * *"}, "deployments.0.cron", "not a valid cron expression"),
        ({"cron": "not a cron"}, "deployments.0.cron", "not a valid cron expression"),
        ({"cron": "0 0 * * * *"}, "deployments.0.cron", "not five fields"),
        ({"schedule": "daily"}, "deployments.0.schedule", "unknown deployment key"),
        ({"sweep": "missing.yaml"}, "deployments.0.sweep", "no file"),
        ({"name": "Bad_Name"}, "deployments.0.name", "not a new name of lowercase letters"),
        ({"out": None}, "deployments.0.out", "missing required key"),
        ({"timezone": "Mars/Olympus"}, "deployments.0.timezone", "unknown time zone"),
        ({"runs": 0}, "deployments.0.runs", "not a positive integer"),
        ({"dask_address": "host:8786"}, "deployments.0.dask_address", "not a scheduler address"),
    ],
)
def test_load_service_names_the_bad_field(
    tmp_path: Path, changes: dict[str, Any], field: str, words: str
) -> None:
    path = _service(tmp_path, **changes)
    with pytest.raises(ConfigError) as err:
        load_service(path, workdir=tmp_path)
    assert err.value.field == field
    assert str(err.value).startswith(f"{path}: {field}: {words}")


def test_load_service_refuses_an_empty_list_and_a_name_twice(tmp_path: Path) -> None:
    path = _service(tmp_path)
    path.write_text("deployments: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"deployments: not a non-empty list"):
        load_service(path, workdir=tmp_path)
    one = f"  - {{name: {DEPLOYMENT}, sweep: sweep.yaml, out: a.zarr, cron: '{CRON}'}}\n"
    path.write_text("deployments:\n" + one + one, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_service(path, workdir=tmp_path)
    assert err.value.field == "deployments.1.name"
