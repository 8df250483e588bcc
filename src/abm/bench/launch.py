"""Starting a bench worker: the devices it sees and the subprocess that runs it.

The parent side of ``abm bench``'s workers: a :class:`DeviceSetting` gives a worker's
environment (CPU device count, visible accelerators); :func:`run_worker` writes a JSON
spec, runs ``worker_main`` (:mod:`abm.bench.measure`) in a fresh Python on it and reads
the JSON result back as a :class:`WorkerResult`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abm.bench.host import error_line
from abm.engine.devices import CPU_DEVICES_ENV

#: How a worker starts (``-m abm.bench.measure`` would import the module twice).
WORKER_CMD = (
    "import sys; from abm.bench.measure import worker_main; sys.exit(worker_main(sys.argv[1:]))"
)


@dataclass(frozen=True)
class DeviceSetting:
    """Which devices a worker's JAX sees.

    Attributes:
        platform: ``"cpu"`` for CPU devices (``count`` of them, via
            ``$ABM_CPU_DEVICES``); otherwise the accelerator platform JAX reports
            (``"gpu"`` ...), with ``count`` 1 for the first visible one only or None
            for every visible one.
        count: number of devices; None: every visible accelerator.
        kind: device kind for display (``"cpu"``, ``"NVIDIA H100"`` ...).
    """

    platform: str
    count: int | None
    kind: str = ""

    @property
    def key(self) -> str:
        """Stable identifier (``cpu:2``, ``gpu:all``)."""
        return f"{self.platform}:{self.count if self.count is not None else 'all'}"

    def label(self, n_devices: int | None = None) -> str:
        """``2 x cpu``, ``1 x NVIDIA H100`` ..."""
        n = self.count if self.count is not None else n_devices
        return f"{n if n is not None else 'all'} x {self.kind or self.platform}"

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """The environment of a worker on this setting, from ``base``."""
        env = dict(base)
        env.pop(CPU_DEVICES_ENV, None)
        if self.platform == "cpu":
            env["JAX_PLATFORMS"] = "cpu"
            env[CPU_DEVICES_ENV] = str(self.count or 1)
        elif self.count == 1:
            first = (base.get("CUDA_VISIBLE_DEVICES") or "0").split(",")[0]
            env["CUDA_VISIBLE_DEVICES"] = first
            env["HIP_VISIBLE_DEVICES"] = (base.get("HIP_VISIBLE_DEVICES") or "0").split(",")[0]
        return env


@dataclass
class WorkerResult:
    """What a worker wrote, or why it wrote nothing."""

    ok: bool
    data: dict[str, Any]
    error: str = ""
    wall_s: float = 0.0


def run_worker(
    spec: dict[str, Any],
    env: Mapping[str, str],
    workdir: Path,
    name: str,
    timeout_s: float | None = None,
) -> WorkerResult:
    """Run one worker subprocess on ``spec`` and read its result.

    The worker's stderr (progress lines, warnings) goes to this process's stderr; its
    stdout is discarded.

    Args:
        spec: the task and its parameters (JSON-serialisable).
        env: the worker's whole environment.
        workdir: where the spec and result files go.
        name: file stem for them.
        timeout_s: kill the worker after this many seconds (None: no limit).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path = workdir / f"{name}.spec.json"
    out_path = workdir / f"{name}.out.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    out_path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", WORKER_CMD, str(spec_path), str(out_path)],
            env=dict(env),
            stdout=subprocess.DEVNULL,
            timeout=timeout_s,
            check=False,
        )
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        return WorkerResult(False, {}, f"timed out after {timeout_s} s", time.perf_counter() - t0)
    wall = time.perf_counter() - t0
    if not out_path.exists():
        return WorkerResult(False, {}, f"worker exited with status {rc} and no result", wall)
    data = json.loads(out_path.read_text(encoding="utf-8"))
    if "error" in data:
        return WorkerResult(False, data, error_line(data["error"]), wall)
    return WorkerResult(rc == 0, data, "" if rc == 0 else f"exit status {rc}", wall)
