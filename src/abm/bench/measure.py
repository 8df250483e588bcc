"""Timing helpers and the measuring subprocesses of ``abm bench``.

Every JAX measurement runs in a subprocess of its own (a *worker*,
``worker_main([SPEC.json, OUT.json])`` in a fresh Python): the device count must be set
before JAX's backend starts, and a fresh process gives a peak resident memory
(``ru_maxrss``) of that measurement alone. The worker reads a JSON spec, runs one
*task* and writes a JSON result:

* ``probe``: JAX backend, devices and versions;
* ``compile``: a fresh runner's first call on one chunk (trace + lower + XLA compile +
  one chunk) with JAX's compile-stage timings, then single steady chunks;
* ``throughput``: steady runs/s of one or more (replicas, runs, chunk) items, each
  after a warm-up chunk;
* ``prewarm``: compiles programs into the persistent compilation cache, and optionally
  the XLA cost analysis of the roofline (:mod:`abm.bench.roofline`);
* ``peers``: steady time of one chunk and the roofline's ceilings, then abm and its
  peers (``benchmarks/peers``) timed interleaved.

Throughput, compile and roofline measure the whole model (``scenario.model()``, the
interwar model: Soviet and Germany slices, ``model.n_agents`` agents). The peers
re-implement the Germany slice alone, so abm's side of the abm-vs-peer timings runs the
scenario's Germany-only view (:mod:`abm.bench.germany`) over the same calendar.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: JAX's monitoring events for the compile stages of a jitted call.
COMPILE_EVENTS = {
    "/jax/core/compile/jaxpr_trace_duration": "trace_s",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower_s",
    "/jax/core/compile/backend_compile_duration": "xla_compile_s",
}
CACHE_HIT_EVENT = "/jax/compilation_cache/cache_hits"
CACHE_MISS_EVENT = "/jax/compilation_cache/cache_misses"
#: Environment variable of the CPU device count (see ``abm.engine.devices``).
CPU_DEVICES_ENV = "ABM_CPU_DEVICES"
#: Chunks hold whole lanes of this many runs (``abm.engine.runner.RUN_LANES``).
LANES = 16


# ---------------------------------------------------------------- process and machine
def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (10**6 bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1e6 if sys.platform == "darwin" else rss * 1024 / 1e6  # macOS: bytes


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """CPU model, core count, memory, platform, Python and host name."""
    out: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "hostname": platform.node(),
    }
    try:
        import psutil

        out["memory_gb"] = psutil.virtual_memory().total / 1e9
    except Exception:  # psutil is optional here
        pass
    try:
        out["load_average"] = list(os.getloadavg())
    except OSError:
        pass
    return out


def versions() -> dict[str, str | None]:
    """Versions of abm and the libraries the bench touches (None where absent)."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("abm", "jax", "jaxlib", "numpy", "mesa", "matplotlib"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def chunk_for(runs: int, max_chunk: int, padding: float = 0.1) -> int:
    """A chunk size for ``runs`` runs (whole 16-run lanes).

    The power of two at or above ``runs`` (at least one lane), up to ``max_chunk``: a
    power of two keeps the number of distinct compiled programs small across run
    counts. Where such chunks would pad the runs by more than ``padding`` (100 runs in
    a chunk of 128; 10,000 runs in chunks of 4,096: 23 %), the runs are split into as
    many equal chunks instead, rounded up to whole lanes (112; 3 chunks of 3,344).
    """
    size = LANES
    while size < runs and size < max_chunk:
        size *= 2
    size = min(size, max(max_chunk, LANES))
    n = -(-runs // size)
    if n * size - runs > padding * runs:
        per_chunk = -(-runs // n)
        size = -(-per_chunk // LANES) * LANES
    return size


def agent_steps_per_s(runs: float, n_months: int, n_agents: int, seconds: float) -> float:
    """Agent-steps per second: ``runs x n_months x n_agents / seconds``."""
    return runs * n_months * n_agents / seconds


def say(msg: str, quiet: bool = False) -> None:
    """A progress line on stderr."""
    if not quiet:
        print(f"abm bench: {msg}", file=sys.stderr, flush=True)


class CompileEvents:
    """Collects JAX's compile-stage durations and cache hits while active."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def _duration(self, event: str, duration_secs: float, **_: Any) -> None:
        if event in COMPILE_EVENTS:
            key = COMPILE_EVENTS[event]
            self.stages[key] = self.stages.get(key, 0.0) + duration_secs

    def _event(self, event: str, **_: Any) -> None:
        if event in (CACHE_HIT_EVENT, CACHE_MISS_EVENT):
            self.counts[event] = self.counts.get(event, 0) + 1

    def __enter__(self) -> CompileEvents:
        import jax

        jax.monitoring.register_event_duration_secs_listener(self._duration)
        jax.monitoring.register_event_listener(self._event)
        return self

    def __exit__(self, *exc: object) -> None:
        import jax

        jax.monitoring.unregister_event_duration_listener(self._duration)
        jax.monitoring.unregister_event_listener(self._event)

    @property
    def cache_hits(self) -> int:
        """Programs loaded from the persistent compilation cache."""
        return self.counts.get(CACHE_HIT_EVENT, 0)


# ---------------------------------------------------------------- device settings
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


def error_line(tb: str) -> str:
    """The exception line of a formatted traceback (``TypeError: ...``).

    The last line that starts with an exception name; JAX appends a note on its
    filtered frames after the exception, so the last line alone may not say what failed.
    """
    lines = [ln for ln in tb.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        head = ln.split(":", 1)[0]
        if (
            not ln.startswith(" ")
            and head.replace(".", "").isidentifier()
            and (head.endswith(("Error", "Exception", "Interrupt", "Exit")) or "." in head)
        ):
            return ln
    return lines[-1] if lines else ""


# ---------------------------------------------------------------- worker launch
#: How a worker starts (``-m abm.bench.measure`` would import the module twice).
_WORKER_CMD = (
    "import sys; from abm.bench.measure import worker_main; sys.exit(worker_main(sys.argv[1:]))"
)


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
            [sys.executable, "-c", _WORKER_CMD, str(spec_path), str(out_path)],
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


# ---------------------------------------------------------------- worker side
#: What a program runs: the scenario's whole model, or its Germany-only view.
WHOLE, GERMANY = "whole", "germany"


class _Context:
    """What every task loads: the scenario, its prior tables, models by replicas."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from abm.config import load_scenario
        from abm.engine.priors import PriorTable

        self.spec = spec
        self.quiet = bool(spec.get("quiet"))
        self.seed = int(spec.get("seed", 0))
        self.scenario = load_scenario(spec["config"])
        self.tables = PriorTable.stack([self.scenario.prior_table()])
        self._models: dict[int, Any] = {}
        self._views: dict[int, Any] = {}

    def model(self, replicas: int = 1) -> Any:
        """The scenario's whole model with ``replicas`` sub-constituencies per constituency."""
        if replicas not in self._models:
            base = self.scenario.model()
            self._models[replicas] = (
                base if replicas == 1 else type(base)(self.scenario.calendar, replicas=replicas)
            )
        return self._models[replicas]

    def germany(self, replicas: int = 1) -> Any:
        """The scenario's Germany-only view (:class:`abm.bench.germany.GermanyView`)."""
        if replicas not in self._views:
            from abm.bench.germany import germany_view

            self._views[replicas] = germany_view(self.scenario, replicas)
        return self._views[replicas]

    def program(self, which: str = WHOLE, replicas: int = 1) -> tuple[Any, Any]:
        """``(model, tables)`` of the whole model or of the Germany-only view."""
        if which == GERMANY:
            view = self.germany(replicas)
            return view.model, view.tables()
        if which != WHOLE:
            raise ValueError(f"unknown model {which!r} (whole or germany)")
        return self.model(replicas), self.tables

    def say(self, msg: str) -> None:
        say(msg, self.quiet)


def _describe() -> dict[str, Any]:
    import jax

    from abm.engine.devices import describe

    d: dict[str, Any] = dict(describe())
    devs = jax.devices()
    d["device_count"] = len(devs)
    d["platform"] = devs[0].platform if devs else "none"
    return d


def device_peak_mb(devices: list[Any] | None = None) -> float | None:
    """Peak accelerator memory over the devices in MB, where the backend reports it."""
    import jax

    peaks = []
    for d in jax.devices() if devices is None else devices:
        try:
            stats = d.memory_stats()
        except Exception:  # CPU and some plugins do not implement it
            stats = None
        if stats and "peak_bytes_in_use" in stats:
            peaks.append(stats["peak_bytes_in_use"])
    return max(peaks) / 1e6 if peaks else None


def task_probe(spec: dict[str, Any]) -> dict[str, Any]:
    """JAX backend, devices, versions and machine."""
    return {"describe": _describe(), "versions": versions(), "machine": machine()}


def task_compile(spec: dict[str, Any]) -> dict[str, Any]:
    """First call of a fresh runner on one chunk; then steady single chunks, if asked."""
    from abm.engine.runner import Runner

    ctx = _Context(spec)
    model = ctx.model(int(spec.get("replicas", 1)))
    runner = Runner(model, chunk_size=int(spec["chunk"]))
    chunk = runner.chunk_size
    ctx.say(f"compile: first call of a fresh runner on one chunk of {chunk} runs")
    with CompileEvents() as ev:
        t0 = time.perf_counter()
        runner.run(ctx.seed, ctx.tables, chunk)
        first = time.perf_counter() - t0
    rss_first = peak_rss_mb()
    steady = []
    for _ in range(int(spec.get("steady_chunks", 0))):
        t0 = time.perf_counter()
        runner.run(ctx.seed, ctx.tables, chunk)
        steady.append(time.perf_counter() - t0)
    if runner.compiled_count() != 1:
        raise RuntimeError(f"recompiled: {runner.compiled_count()} programs")
    stages = dict(ev.stages)
    ctx.say(
        f"compile: first call {first:.1f} s, of which XLA compile "
        f"{stages.get('xla_compile_s', 0.0):.1f} s"
    )
    return {
        "describe": _describe(),
        "chunk": chunk,
        "replicas": int(spec.get("replicas", 1)),
        "first_call_s": first,
        "steady_chunks_s": steady,
        "stages_s": stages,
        "cache_hits": ev.cache_hits,
        "real_compile": ev.cache_hits == 0 and "xla_compile_s" in stages,
        "peak_rss_after_first_call_mb": rss_first,
    }


def task_throughput(spec: dict[str, Any]) -> dict[str, Any]:
    """Steady throughput of each item ``{replicas, runs, chunk, repeats}`` in order."""
    import jax

    from abm.engine.runner import Runner

    ctx = _Context(spec)
    desc = _describe()
    items = []
    for item in spec["items"]:
        replicas, runs = int(item.get("replicas", 1)), int(item["runs"])
        model = ctx.model(replicas)
        n_agents, n_months = int(model.n_agents), int(model.n_months)
        runner = Runner(model, chunk_size=int(item["chunk"]))
        chunk = runner.chunk_size
        with CompileEvents() as ev:
            t0 = time.perf_counter()
            runner.run(ctx.seed, ctx.tables, chunk)
            first = time.perf_counter() - t0
        last = [time.monotonic()]

        def progress(done: int, total: int, seconds: float, _last: list[float] = last) -> None:
            if done < total and time.monotonic() - _last[0] < 30.0:
                return
            _last[0] = time.monotonic()
            ctx.say(f"  {done:,}/{total:,} runs, {done / max(seconds, 1e-9):,.0f} runs/s")

        reps = []
        for _ in range(int(item.get("repeats", 1))):
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            acc = runner.run(  # the same runs each repeat: only the machine varies
                ctx.seed, ctx.tables, runs, progress=progress if runs >= 50_000 else None
            )
            seconds = time.perf_counter() - t0
            cpu = cpu_seconds() - c0
            if runner.compiled_count() != 1:
                raise RuntimeError(f"recompiled: {runner.compiled_count()} programs")
            reps.append(
                {
                    "seconds": seconds,
                    "chunks": acc.chunks,
                    "cpu_s": cpu,
                    "runs_per_s": runs / seconds,
                    "agent_steps_per_s": agent_steps_per_s(runs, n_months, n_agents, seconds),
                }
            )
        seconds = statistics.median(r["seconds"] for r in reps)
        res = {
            "model": model.name,
            "replicas": replicas,
            "runs": runs,
            "chunk": chunk,
            "chunks": reps[0]["chunks"],
            "simulated_runs": reps[0]["chunks"] * chunk,
            "n_agents": n_agents,
            "n_months": n_months,
            "repeats": reps,
            "seconds": seconds,
            "runs_per_s": runs / seconds,
            "agent_steps_per_s": agent_steps_per_s(runs, n_months, n_agents, seconds),
            "cpu_per_wall": statistics.median(r["cpu_s"] / r["seconds"] for r in reps),
            "first_call_s": first,
            "program_from_cache": ev.cache_hits > 0,
            "peak_rss_mb": peak_rss_mb(),
            "device_peak_mb": device_peak_mb(),
        }
        items.append(res)
        ctx.say(
            f"  {runs:,} runs x {replicas} replica(s) on {desc['device_count']} x "
            f"{desc['device_kind']}: {res['runs_per_s']:,.0f} runs/s, "
            f"{res['agent_steps_per_s']:.3g} agent-steps/s, peak RSS {res['peak_rss_mb']:.0f} MB"
        )
        del runner
        jax.clear_caches()
    return {"describe": desc, "items": items}


def task_prewarm(spec: dict[str, Any]) -> dict[str, Any]:
    """Compile programs into the persistent compilation cache, untimed.

    ``programs``: chunk programs ``{replicas, chunk, model}`` (``model``: ``whole``, the
    default, or ``germany``, the Germany-only view the peers are compared with);
    ``month``: the roofline's month programs of the whole model's chunk ``month_chunk``
    (``"census"``: prologue and the month with its switch; ``"branches"``: the month with
    each branch forced but the costliest).
    """
    from abm.bench import roofline
    from abm.engine.runner import Runner

    ctx = _Context(spec)
    done = []
    for prog in spec.get("programs", []):
        t0 = time.perf_counter()
        model, tables = ctx.program(str(prog.get("model", WHOLE)), int(prog.get("replicas", 1)))
        runner = Runner(model, chunk_size=int(prog["chunk"]))
        runner._chunk_fn(1).lower(*roofline.chunk_args(runner, tables, ctx.seed)).compile()
        done.append({**prog, "seconds": time.perf_counter() - t0})
    for what in spec.get("month", []):
        t0 = time.perf_counter()
        months = roofline.MonthCosts(ctx.model(1), int(spec["month_chunk"]))
        if what == "census":
            months.compile_census(ctx.seed, ctx.tables)
        else:
            months.compile_branches(ctx.seed, ctx.tables)
        done.append({"month": what, "seconds": time.perf_counter() - t0})
    return {"describe": _describe(), "compiled": done}


def roofline_costs(ctx: _Context, chunk_size: int) -> dict[str, Any]:
    """XLA's costs of one chunk of the whole model, the scan checks, the month costs."""
    from abm.bench import roofline
    from abm.engine.runner import Runner

    model = ctx.model(1)
    runner = Runner(model, chunk_size=chunk_size)
    compiled = runner._chunk_fn(1).lower(*roofline.chunk_args(runner, ctx.tables, ctx.seed))
    chunk_cost = roofline.cost_of(compiled.compile().cost_analysis())
    toy = roofline.toy_scan_check()
    scaled = roofline.model_scan_check(model, ctx.tables, runner.chunk_size)
    months = roofline.MonthCosts(model, runner.chunk_size).costs(ctx.seed, ctx.tables)
    multiplied = bool(scaled["multiplied"])
    corrected = roofline.corrected_chunk_cost(chunk_cost, months, int(model.n_months), multiplied)
    return {
        "model": model.name,
        "chunk": runner.chunk_size,
        "n_months": int(model.n_months),
        "chunk_cost_xla": chunk_cost,
        "toy_scan_check": toy,
        "model_scan_check": scaled,
        "scan_body_counted": "n_months times" if multiplied else "once",
        "months": months,
        "chunk_cost": corrected,
    }


def _load_peers(peers_dir: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The peer modules found under ``peers_dir`` (``.../benchmarks/peers``), by name."""
    import importlib

    found: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not peers_dir:
        return found, {"numpy": "benchmarks/peers not found", "mesa": "benchmarks/peers not found"}
    root = str(Path(peers_dir).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    for name in ("numpy", "mesa"):
        try:
            found[name] = importlib.import_module(f"benchmarks.peers.{name}_germany")
        except Exception as exc:  # a missing peer or its library: skip it, say why
            errors[name] = f"{type(exc).__name__}: {exc}"
    return found, errors


def task_peers(spec: dict[str, Any]) -> dict[str, Any]:
    """Roofline (XLA costs, chunk time, dot, copy), then abm and its peers interleaved.

    The roofline is the whole model's; abm's side of the peer timings is the Germany-only
    view (what the peers implement), on the same chunk size.
    """
    from abm.bench import roofline
    from abm.engine.runner import Runner

    ctx = _Context(spec)
    model = ctx.model(1)
    runner = Runner(model, chunk_size=int(spec["chunk"]))
    chunk = runner.chunk_size
    runner.run(ctx.seed, ctx.tables, chunk)  # warm (compile or cache load)
    costs: dict[str, Any] | None = None
    ctx.say("roofline: XLA's cost analysis of the chunk and of a month per branch")
    try:
        costs = roofline_costs(ctx, chunk)
    except Exception:  # report the rest; say why the roofline is missing
        costs = {"error": traceback.format_exc()}
    ctx.say(f"roofline: steady time of one chunk of {chunk} runs")
    chunk_times = []
    for _ in range(int(spec.get("chunk_reps", 3))):
        t0 = time.perf_counter()
        runner.run(ctx.seed, ctx.tables, chunk)
        chunk_times.append(time.perf_counter() - t0)
    ctx.say("roofline: attainable FLOP/s (matrix product) and bandwidth (array copies)")
    peak = roofline.measure_peak_flops(int(spec.get("dot_n", 4096)), int(spec.get("reps", 5)))
    bw = roofline.measure_bandwidth(
        int(spec.get("copy_bytes", 256 * 2**20)),
        int(spec.get("reps", 5)),
        threads=max(1, os.cpu_count() or 1),
    )
    out: dict[str, Any] = {
        "describe": _describe(),
        "roofline_costs": costs,
        "roofline_timing": {
            "model": model.name,
            "chunk": chunk,
            "chunk_s": statistics.median(chunk_times),
            "chunk_times_s": chunk_times,
            "peak_flops": peak,
            "bandwidth": bw,
        },
    }
    out["peers"] = _peers(ctx, spec, int(spec["chunk"]))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _peer_months(mod: Any, config: str) -> int:
    """Months a peer module simulates for ``config`` (its scenario's calendar)."""
    common = getattr(mod, "c", None)
    if common is not None and hasattr(common, "n_months"):
        return int(common.n_months(config))
    return int(mod.N_MONTHS)


def _peers(ctx: _Context, spec: dict[str, Any], chunk_size: int) -> dict[str, Any]:
    """Time abm's Germany-only view and the peers interleaved, on the same scenario."""
    from abm.engine.runner import Runner

    mods, errors = _load_peers(spec.get("peers_dir"))
    config = spec["config"]
    fixed = dict(spec.get("peer_runs") or {})
    target = spec.get("peer_target_s")
    view = ctx.germany(1)
    tables = view.tables()
    runner = Runner(view.model, chunk_size=chunk_size)
    chunk = runner.chunk_size
    n_agents, n_months = int(view.model.n_agents), int(view.model.n_months)
    ctx.say(
        f"peers: abm's Germany slice alone ({n_agents} agents x {n_months} months, the "
        f"{view.faction} faction's Comintern line {view.line:g}), chunk {chunk}"
    )
    runner.run(ctx.seed, tables, chunk)  # warm (compile or cache load)
    chunk_times = []
    for _ in range(2):
        t0 = time.perf_counter()
        runner.run(ctx.seed, tables, chunk)
        chunk_times.append(time.perf_counter() - t0)
    chunk_s = min(chunk_times)

    def run_abm(n: int, seed: int) -> None:
        runner.run(seed, tables, n)

    impls: dict[str, dict[str, Any]] = {
        "abm": {"fn": run_abm, "agents": n_agents, "months": n_months, "runs": fixed.get("abm")}
    }
    for name, mod in mods.items():
        months = _peer_months(mod, config)
        if months != n_months:
            raise RuntimeError(f"{name} peer simulates {months} months, abm {n_months}")
        impls[name] = {
            "fn": (lambda n, seed, _m=mod: _m.simulate(config, n, seed)),
            "agents": int(mod.N_AGENTS),
            "months": months,
            "runs": fixed.get(name),
        }
    # Run counts: fixed, or about ``target`` seconds per call from pilot calls.
    if target:
        for name, imp in impls.items():
            if name == "abm":
                imp["runs"] = max(1, round(target * chunk / chunk_s / chunk)) * chunk
                continue
            lo, hi = (spec.get("peer_bounds") or {}).get(name, (1, 1_000_000))
            n = int((spec.get("peer_pilot") or {}).get(name, 1))
            while True:  # grow the pilot until it takes a quarter of the target
                t0 = time.perf_counter()
                imp["fn"](n, 10_000 + n)
                seconds = time.perf_counter() - t0
                if seconds >= 0.25 * target or n >= hi:
                    break
                n = min(hi, n * max(2, math.ceil(0.3 * target / max(seconds, 1e-6))))
            imp["runs"] = int(min(max(round(target * n / seconds), lo), hi))
            ctx.say(f"peers: {name} pilot {n} runs in {seconds:.2f} s -> {imp['runs']} runs")
    for imp in impls.values():
        imp["runs"] = int(imp["runs"] or 1)
        imp["seconds"] = []
    reps = int(spec.get("peer_reps", 3))
    order = list(impls)
    ctx.say(
        "peers: "
        + ", ".join(f"{n} {impls[n]['runs']} runs" for n in order)
        + f"; {reps} interleaved repetitions"
    )
    for rep in range(reps):
        for name in order:
            imp = impls[name]
            t0 = time.perf_counter()
            imp["fn"](imp["runs"], ctx.seed)  # the same runs each repetition
            imp["seconds"].append(time.perf_counter() - t0)
        ctx.say(
            f"  repetition {rep + 1}/{reps}: "
            + ", ".join(f"{n} {impls[n]['seconds'][-1]:.2f} s" for n in order)
        )
    res: dict[str, Any] = {
        "order": order,
        "reps": reps,
        "errors": errors,
        "model": view.model.name,
        "compared": (
            "the Germany slice alone: abm's GermanyModel over the scenario's calendar and "
            "Germany-catalogue priors, the KPD on the Comintern line of the leader preset's "
            f"faction ({view.faction}: {view.line:g}), against the peers' same model"
        ),
        "faction": view.faction,
        "comintern_line": view.line,
        "abm_chunk": chunk,
    }
    for name, imp in impls.items():
        rates = [
            agent_steps_per_s(imp["runs"], imp["months"], imp["agents"], s) for s in imp["seconds"]
        ]
        res[name] = {
            "runs": imp["runs"],
            "n_agents": imp["agents"],
            "n_months": imp["months"],
            "seconds": imp["seconds"],
            "agent_steps_per_s_reps": rates,
            "agent_steps_per_s": statistics.median(rates),
            "runs_per_s": statistics.median(imp["runs"] / s for s in imp["seconds"]),
        }
    for name in mods:
        res[f"ratio_vs_{name}"] = res["abm"]["agent_steps_per_s"] / res[name]["agent_steps_per_s"]
        res[f"paired_ratios_vs_{name}"] = [
            a / b
            for a, b in zip(
                res["abm"]["agent_steps_per_s_reps"],
                res[name]["agent_steps_per_s_reps"],
                strict=True,
            )
        ]
    return res


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
