"""The measuring subprocesses of ``abm bench``: a worker's entry point, and the helpers.

Every JAX measurement runs in a subprocess of its own (a *worker*,
``worker_main([SPEC.json, OUT.json])`` in a fresh Python, started by
:func:`abm.bench.launch.run_worker`): the device count must be set before JAX's backend
starts, and a fresh process gives a peak resident memory (``ru_maxrss``) of that
measurement alone. The worker reads a JSON spec, runs one *task*
(:mod:`abm.bench.tasks`: ``probe``, ``compile``, ``throughput``, ``prewarm``, ``peers``)
and writes a JSON result.

Throughput, compile and roofline measure the whole model (``scenario.model()``, the
interwar model: Soviet and Germany slices, ``model.n_agents`` agents). The peers
re-implement the Germany slice alone, so abm's side of the abm-vs-peer timings runs the
scenario's Germany-only view (:mod:`abm.bench.germany`) over the same calendar
(:mod:`abm.bench.peer_timing`).

This module also re-exports, under the names it has always offered, the helpers now kept
in :mod:`abm.bench.host` (process and machine), :mod:`abm.bench.timing` (compile events,
chunk sizes), :mod:`abm.bench.launch` (device settings, worker launch) and
:mod:`abm.bench.context` (what a worker loads).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from abm.bench.context import GERMANY, WHOLE, WorkerContext, describe_devices, device_peak_mb
from abm.bench.host import (
    cpu_model,
    cpu_seconds,
    error_line,
    machine,
    peak_rss_mb,
    say,
    utc_now,
    versions,
)
from abm.bench.launch import DeviceSetting, WorkerResult, run_worker
from abm.bench.peer_timing import load_peers, time_peers
from abm.bench.tasks import (
    roofline_costs,
    task_compile,
    task_peers,
    task_prewarm,
    task_probe,
    task_throughput,
)
from abm.bench.timing import (
    CACHE_HIT_EVENT,
    CACHE_MISS_EVENT,
    COMPILE_EVENTS,
    CompileEvents,
    agent_steps_per_s,
    chunk_for,
)
from abm.engine.devices import CPU_DEVICES_ENV

__all__ = [
    "CACHE_HIT_EVENT",
    "CACHE_MISS_EVENT",
    "COMPILE_EVENTS",
    "CPU_DEVICES_ENV",
    "GERMANY",
    "TASKS",
    "WHOLE",
    "CompileEvents",
    "DeviceSetting",
    "WorkerContext",
    "WorkerResult",
    "agent_steps_per_s",
    "chunk_for",
    "cpu_model",
    "cpu_seconds",
    "describe_devices",
    "device_peak_mb",
    "error_line",
    "load_peers",
    "machine",
    "peak_rss_mb",
    "roofline_costs",
    "run_worker",
    "say",
    "task_compile",
    "task_peers",
    "task_prewarm",
    "task_probe",
    "task_throughput",
    "time_peers",
    "utc_now",
    "versions",
    "worker_main",
]

TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "probe": task_probe,
    "compile": task_compile,
    "throughput": task_throughput,
    "prewarm": task_prewarm,
    "peers": task_peers,
}


def worker_main(argv: list[str]) -> int:
    """Entry point of a worker: ``SPEC.json OUT.json``."""
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out_path = Path(argv[1])
    t0 = time.perf_counter()
    try:
        from abm.engine.devices import configure_cpu_devices

        configure_cpu_devices()  # from $ABM_CPU_DEVICES, before the backend starts
        import jax

        if spec.get("cache_dir"):
            jax.config.update("jax_compilation_cache_dir", spec["cache_dir"])
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
            # JAX otherwise puts a path under the cache folder into the compile options
            # (XLA's GPU autotuning cache), so the same program would get another key
            # in another folder; the timed compile's fresh folder must give the same key.
            jax.config.update("jax_persistent_cache_enable_xla_caches", "none")
        result = TASKS[spec["task"]](spec)
        result["process"] = {
            "peak_rss_mb": peak_rss_mb(),
            "cpu_s": cpu_seconds(),
            "wall_s": time.perf_counter() - t0,
        }
    except Exception:
        result = {"error": traceback.format_exc()}
        out_path.write_text(json.dumps(result), encoding="utf-8")
        print(result["error"], file=sys.stderr, flush=True)
        return 1
    out_path.write_text(json.dumps(result, default=_json_default), encoding="utf-8")
    return 0


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
