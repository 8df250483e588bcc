"""``abm bench``: measured performance of abm against its peers and the hardware.

On a scenario (``configs/scenarios/otl.yaml`` by default) the bench measures, each JAX
measurement in a subprocess of its own (:mod:`abm.bench.measure`):

1. the compile time of a fresh runner apart from its steady chunks;
2. throughput (runs/s, agent-steps/s) and peak resident memory by run count, one
   process per count;
3. throughput by agent count (``replicas`` of the Germany slice's voter blocs);
4. throughput by devices (1 and 2 CPU devices; every GPU on a GPU machine);
5. abm against the NumPy and Mesa peers (``benchmarks/peers``), timed interleaved;
6. the fraction of this machine's roofline that a chunk reaches
   (:mod:`abm.bench.roofline`).

1-4 and 6 run the whole model (``scenario.model()``: the interwar model, Soviet and
Germany slices, ``model.n_agents`` agents a run). The peers re-implement the Germany
slice alone, so 5 compares like with like: abm runs the scenario's Germany-only view
(:mod:`abm.bench.germany`: ``GermanyModel`` over the scenario's calendar and priors, the
Comintern line of the leader preset's faction), the peers the same model.

Every program is compiled once, before any throughput is timed, into a persistent
compilation cache (abm's, ``$ABM_JAX_CACHE`` or ``~/.cache/abm/jax``), one compiling
process per core, so the measuring processes only load them. The compile that is timed
runs first and alone (XLA's compile uses more than one core), in an empty cache (a real
compile). :func:`run_bench` runs
a :class:`BenchPlan` and returns the results; :mod:`abm.bench.report` prints, saves and
plots them; :func:`cli_main` is ``abm bench``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from abm.bench.measure import (
    LANES,
    DeviceSetting,
    WorkerResult,
    chunk_for,
    error_line,
    machine,
    run_worker,
    say,
    utc_now,
    versions,
)

__all__ = [
    "BenchPlan",
    "cli_main",
    "full_plan",
    "quick_plan",
    "run_bench",
    "scale_plan",
    "tiny_plan",
]

#: Scenario benchmarked when none is given (relative to the repository root).
DEFAULT_CONFIG = Path("configs") / "scenarios" / "otl.yaml"
PEERS_DIR = Path("benchmarks") / "peers"
DEFAULT_RESULTS = Path("results") / "bench"


@dataclass(frozen=True)
class BenchPlan:
    """What a bench measures, and how big.

    Attributes:
        name: ``quick``, ``full`` or anything else (tests).
        by_runs: ``(runs, repeats)`` per run count, each in its own process.
        agent_replicas: model replicas for the agent-count series.
        agent_runs: runs per replica setting.
        agent_chunk: chunk of the agent-count series (None: by ``agent_runs``).
        agent_repeats: repeats per replica setting (median reported).
        cpu_device_counts: CPU device counts of the device series.
        device_runs: runs per device setting.
        device_repeats: repeats per device setting.
        max_chunk: largest chunk on the CPU; ``max_chunk_accel`` on an accelerator.
        main_chunk: chunk of the compile, peer and roofline measurements on the CPU;
            ``main_chunk_accel`` on an accelerator.
        compile_steady_chunks: steady single chunks after the first call (0: the steady
            chunk is taken from the run-count series).
        fresh_compile: time the compile in an empty compilation cache (a real compile).
        peer_reps: interleaved repetitions of abm, NumPy, Mesa.
        peer_target_s: seconds per implementation and repetition (run counts from a
            pilot); None: the fixed counts of ``peer_runs``.
        peer_runs: fixed run counts by implementation (``abm``, ``numpy``, ``mesa``).
        peer_pilot: pilot run counts of the peers.
        peer_bounds: ``(min, max)`` run counts of the peers.
        chunk_reps: steady calls of one chunk for the roofline.
        dot_n: matrix size of the peak-FLOP measurement.
        copy_mb: array size (MiB) of the bandwidth measurement.
        roofline_reps: timed calls of each ceiling measurement.
        compile_jobs: parallel compile processes (None: up to 4, one per core).
    """

    name: str
    by_runs: tuple[tuple[int, int], ...]
    agent_replicas: tuple[int, ...] = (1, 2, 4, 8)
    agent_runs: int = 4096
    agent_chunk: int | None = None
    agent_repeats: int = 3
    cpu_device_counts: tuple[int, ...] = (1, 2)
    device_runs: int = 100_000
    device_repeats: int = 1
    max_chunk: int = 4096
    max_chunk_accel: int = 16384
    main_chunk: int = 4096
    main_chunk_accel: int = 16384
    compile_steady_chunks: int = 3
    fresh_compile: bool = True
    peer_reps: int = 5
    peer_target_s: float | None = 4.0
    peer_runs: dict[str, int] = field(default_factory=dict)
    peer_pilot: dict[str, int] = field(default_factory=lambda: {"numpy": 50, "mesa": 1})
    peer_bounds: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"numpy": (20, 20_000), "mesa": (1, 200)}
    )
    chunk_reps: int = 5
    dot_n: int = 4096
    copy_mb: int = 256
    roofline_reps: int = 5
    compile_jobs: int | None = None


def full_plan() -> BenchPlan:
    """Run counts 100 .. 1,000,000; replicas 1-8; 5 peer repetitions (tens of minutes)."""
    return BenchPlan(
        name="full",
        by_runs=((100, 7), (1_000, 5), (10_000, 3), (100_000, 1), (1_000_000, 1)),
    )


def quick_plan() -> BenchPlan:
    """Run counts 100 .. 10,000; fewer runs, peer repetitions and ceilings (minutes)."""
    return BenchPlan(
        name="quick",
        by_runs=((100, 5), (1_000, 3), (10_000, 1)),
        agent_runs=448,
        agent_chunk=112,
        agent_repeats=3,
        device_runs=10_000,
        device_repeats=1,
        max_chunk=1024,
        max_chunk_accel=8192,
        main_chunk=1024,
        main_chunk_accel=8192,
        compile_steady_chunks=2,
        peer_reps=2,
        peer_target_s=1.0,
        chunk_reps=3,
        dot_n=2048,
        copy_mb=128,
        roofline_reps=3,
    )


def tiny_plan() -> BenchPlan:
    """Minimal sizes, one device, peers with one or two runs: for tests only."""
    return BenchPlan(
        name="tiny",
        by_runs=((16, 1), (32, 1)),
        agent_replicas=(1,),
        agent_runs=16,
        agent_repeats=1,
        cpu_device_counts=(1,),
        device_runs=32,
        device_repeats=1,
        max_chunk=16,
        max_chunk_accel=16,
        main_chunk=16,
        main_chunk_accel=16,
        compile_steady_chunks=0,
        fresh_compile=False,
        peer_reps=1,
        peer_target_s=None,
        peer_runs={"abm": 16, "numpy": 2, "mesa": 1},
        chunk_reps=1,
        dot_n=128,
        copy_mb=4,
        roofline_reps=2,
    )


# ---------------------------------------------------------------- locating things
def _repo_candidates() -> list[Path]:
    import abm

    return [Path.cwd(), Path(abm.__file__).resolve().parents[2]]


def default_config() -> Path:
    """``configs/scenarios/otl.yaml`` of the working directory or of abm's checkout."""
    for root in _repo_candidates():
        if (root / DEFAULT_CONFIG).exists():
            return root / DEFAULT_CONFIG
    return DEFAULT_CONFIG


def find_peers(config: Path) -> Path | None:
    """``benchmarks/peers`` next to the scenario's repository, or of abm's checkout."""
    roots = [config.resolve().parents[2]] if len(config.resolve().parents) > 2 else []
    for root in roots + _repo_candidates():
        if (root / PEERS_DIR / "numpy_germany.py").exists():
            return root / PEERS_DIR
    return None


def shared_cache_dir(cache_dir: str | Path | None, work: Path) -> Path:
    """The persistent compilation cache the workers share (``abm run``'s by default)."""
    path = str(cache_dir) if cache_dir else os.environ.get("ABM_JAX_CACHE") or ""
    if not path:
        path = os.path.join(os.path.expanduser("~"), ".cache", "abm", "jax")
    if path.lower() in ("0", "off", "none"):
        return work / "cache"
    return Path(path)


# ---------------------------------------------------------------- the run
@dataclass
class _Item:
    """One throughput measurement: a device setting, replicas, runs, chunk, repeats."""

    section: str
    setting: DeviceSetting
    replicas: int
    runs: int
    chunk: int
    repeats: int

    @property
    def key(self) -> tuple[str, int, int, int]:
        return (self.setting.key, self.replicas, self.runs, self.chunk)

    @property
    def program(self) -> tuple[str, int, int]:
        return (self.setting.key, self.replicas, self.chunk)


class _Bench:
    """State of one bench run (see :func:`run_bench`)."""

    def __init__(
        self,
        plan: BenchPlan,
        config: Path,
        cache_dir: str | Path | None,
        quiet: bool,
        peers_dir: Path | None,
        work: Path,
    ) -> None:
        self.plan = plan
        self.config = config
        self.quiet = quiet
        self.peers_dir = peers_dir
        self.work = work
        self.cache = shared_cache_dir(cache_dir, work)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.notes: list[str] = []
        self.base_env = dict(os.environ)
        self.seq = 0
        self.measured: dict[tuple[str, int, int, int], dict[str, Any]] = {}
        self.n_devices: dict[str, int] = {}

    def say(self, msg: str) -> None:
        say(msg, self.quiet)

    def spec(self, task: str, **kw: Any) -> dict[str, Any]:
        return {
            "task": task,
            "config": str(self.config),
            "seed": 0,
            "cache_dir": str(self.cache),
            "quiet": self.quiet,
            **kw,
        }

    def worker(
        self, spec: dict[str, Any], setting: DeviceSetting | None, timeout_s: float | None = None
    ) -> WorkerResult:
        self.seq += 1
        env = setting.env(self.base_env) if setting else dict(self.base_env)
        if spec["task"] in ("prewarm", "compile"):  # several at once on one accelerator
            env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        return run_worker(spec, env, self.work, f"{self.seq:03d}-{spec['task']}", timeout_s)

    # -- settings and chunks
    def chunk(
        self, runs: int, setting: DeviceSetting, main: bool = False, size: int | None = None
    ) -> int:
        """Chunk of ``runs`` runs on ``setting`` (``size`` if given), as the runner rounds it."""
        cpu = setting.platform == "cpu"
        if size is None and main:
            size = self.plan.main_chunk if cpu else self.plan.main_chunk_accel
        elif size is None:
            size = chunk_for(runs, self.plan.max_chunk if cpu else self.plan.max_chunk_accel)
        unit = LANES * self.n_devices.get(setting.key, setting.count or 1)
        return -(-size // unit) * unit


def run_bench(
    plan: BenchPlan,
    config: str | Path | None = None,
    cache_dir: str | Path | None = None,
    quiet: bool = False,
    peers_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Run every measurement of ``plan`` and return the results (JSON-ready).

    Args:
        plan: sizes (:func:`quick_plan`, :func:`full_plan`, :func:`tiny_plan`).
        config: scenario YAML (default: ``configs/scenarios/otl.yaml``).
        cache_dir: persistent compilation cache shared by the workers (default: abm's,
            ``$ABM_JAX_CACHE`` or ``~/.cache/abm/jax``; ``off``: a temporary one).
        quiet: no progress lines on stderr.
        peers_dir: ``benchmarks/peers`` (default: found next to the scenario or abm).

    Returns:
        The results; headline keys as in :mod:`abm.bench.report`.
    """
    from abm.bench import report

    t_start = time.perf_counter()
    cfg = Path(config) if config else default_config()
    peers = Path(peers_dir) if peers_dir else find_peers(cfg)
    with tempfile.TemporaryDirectory(prefix="abm-bench-") as tmp:
        b = _Bench(plan, cfg, cache_dir, quiet, peers, Path(tmp))
        raw = _run(b)
    raw["wall_s"] = time.perf_counter() - t_start
    return report.assemble(raw)


def _run(b: _Bench) -> dict[str, Any]:
    plan = b.plan
    raw: dict[str, Any] = {
        "mode": plan.name,
        "plan": asdict(plan),
        "config": str(b.config),
        "cache_dir": str(b.cache),
        "date": utc_now(),
        "notes": b.notes,
        "machine": machine(),
        "versions": versions(),
    }
    if b.peers_dir is None:
        b.notes.append("peers not measured: benchmarks/peers not found")

    # 1. What JAX sees here.
    b.say(f"{plan.name} bench of {b.config}; probing JAX's devices")
    probe = b.worker(b.spec("probe"), None, timeout_s=600)
    if not probe.ok:
        raise RuntimeError(f"abm bench: JAX probe failed: {probe.error}")
    desc = probe.data["describe"]
    raw["probe"] = desc
    raw["versions"] = probe.data["versions"]
    backend, n_dev, kind = desc["platform"], int(desc["device_count"]), desc["device_kind"]
    settings = [DeviceSetting("cpu", n, "cpu") for n in plan.cpu_device_counts]
    if backend == "cpu":
        single = settings[0] if settings[0].count == 1 else DeviceSetting("cpu", 1, "cpu")
    else:
        single = DeviceSetting(backend, 1 if n_dev > 1 else None, kind)
        b.n_devices[single.key] = 1
        settings.append(single)
        if n_dev > 1:
            every = DeviceSetting(backend, None, kind)
            b.n_devices[every.key] = n_dev
            settings.append(every)
    for s in [*settings, single]:
        b.n_devices.setdefault(s.key, s.count or 1)
    raw["single_setting"] = single.label(b.n_devices[single.key])

    # 2. The throughput measurements, in the order they will run.
    items = _plan_items(b, single, settings)

    # 3. Compile every program once, in parallel and untimed, except the compile that
    #    is timed (in an empty cache, so a real compile).
    main_chunk = b.chunk(0, single, main=True)
    raw["compile"] = _compile_all(b, items, single, main_chunk)

    # 4. Measure, one process at a time.
    raw["by_runs"], raw["by_devices"], raw["by_agents"] = [], [], []
    for group in items:
        _measure(b, group, raw)
    comp = raw["compile"]
    if comp and comp.get("steady_chunk_s") is None:
        same = [
            r
            for r in raw["by_runs"]
            if r["replicas"] == 1 and r["chunk"] == comp["chunk"] and r["chunks"] > 1
        ]
        if same:
            comp["steady_chunk_s"] = same[0]["seconds"] / same[0]["chunks"]
            comp["steady_chunk_from"] = f"by_runs, {same[0]['runs']:,} runs"
    if comp and comp.get("steady_chunk_s") is not None:
        comp["compile_estimate_s"] = max(comp["first_call_s"] - comp["steady_chunk_s"], 0.0)
        stages = comp["stages_s"]
        comp["compile_s"] = (
            sum(stages.values()) if comp["real_compile"] else comp["compile_estimate_s"]
        )
    elif comp:
        comp["compile_s"] = sum(comp["stages_s"].values()) if comp["real_compile"] else None

    # 5. Roofline (costs and timings) and the peers.
    b.say(f"peers and roofline on {raw['single_setting']} (chunk {main_chunk})")
    spec = b.spec(
        "peers",
        chunk=main_chunk,
        chunk_reps=plan.chunk_reps,
        dot_n=plan.dot_n,
        copy_bytes=plan.copy_mb * 2**20,
        reps=plan.roofline_reps,
        peers_dir=str(b.peers_dir) if b.peers_dir else None,
        peer_reps=plan.peer_reps,
        peer_target_s=plan.peer_target_s,
        peer_runs=plan.peer_runs,
        peer_pilot=plan.peer_pilot,
        peer_bounds=plan.peer_bounds,
    )
    res = b.worker(spec, single, timeout_s=3 * 3600)
    if res.ok:
        raw["peers"] = res.data["peers"]
        raw["roofline_timing"] = res.data["roofline_timing"]
        costs = res.data.get("roofline_costs") or {}
        if "error" in costs:
            b.notes.append(
                "roofline not measured: cost analysis failed: " + error_line(costs["error"])
            )
        else:
            raw["roofline_costs"] = costs
        for name, err in res.data["peers"].get("errors", {}).items():
            b.notes.append(f"{name} peer not measured: {err}")
    else:
        b.notes.append(f"peers and roofline not measured: {res.error}")
    return raw


def _measure(b: _Bench, group: list[_Item], raw: dict[str, Any]) -> None:
    """Measure one group of items in one worker (reusing items measured before)."""
    todo = [it for it in group if it.key not in b.measured]
    if todo:
        section = todo[0].section
        what = ", ".join(f"{it.runs:,} runs x{it.replicas} (chunk {it.chunk})" for it in todo)
        setting = todo[0].setting
        label = setting.label(b.n_devices[setting.key])
        b.say(f"{section}: {what} on {label}")
        spec = b.spec(
            "throughput",
            items=[
                {"replicas": it.replicas, "runs": it.runs, "chunk": it.chunk, "repeats": it.repeats}
                for it in todo
            ],
        )
        res = b.worker(spec, setting, timeout_s=6 * 3600)
        if not res.ok:
            b.notes.append(f"{section} not measured ({what} on {label}): {res.error}")
        else:
            desc = res.data["describe"]
            for it, r in zip(todo, res.data["items"], strict=True):
                r.update(
                    {
                        "device_setting": label,
                        "backend": desc["platform"],
                        "device_kind": desc["device_kind"],
                        "device_count": int(desc["device_count"]),
                        "process_peak_rss_mb": res.data["process"]["peak_rss_mb"],
                    }
                )
                b.measured[it.key] = r
    for it in group:
        if it.key in b.measured:
            raw[it.section].append(b.measured[it.key])


@dataclass
class _Job:
    """One compiling worker: a spec on a device setting, with a scheduling weight."""

    name: str
    setting: DeviceSetting
    spec: dict[str, Any]
    weight: float


def _compile_all(
    b: _Bench, items: list[list[_Item]], single: DeviceSetting, main_chunk: int
) -> dict[str, Any] | None:
    """The timed compile and every other program, compiled into the shared cache.

    Returns:
        The timed compile's result (None if it failed).
    """
    plan = b.plan
    fresh = b.work / "fresh-cache" if plan.fresh_compile else b.cache
    timed = _Job(
        "timed compile",
        single,
        b.spec(
            "compile",
            cache_dir=str(fresh),
            chunk=main_chunk,
            steady_chunks=plan.compile_steady_chunks,
        ),
        0.0,
    )
    jobs: list[_Job] = []
    seen = {(single.key, 1, main_chunk)}
    for group in items:
        for it in group:
            if it.program not in seen:
                seen.add(it.program)
                prog = {"replicas": it.replicas, "chunk": it.chunk}
                jobs.append(
                    _Job(
                        f"chunk {it.chunk} x{it.replicas} on {it.setting.key}",
                        it.setting,
                        b.spec("prewarm", programs=[prog]),
                        1.0 + 0.05 * it.replicas,
                    )
                )
    if b.peers_dir is not None:  # abm's side of the peer timings: the Germany slice alone
        slice_prog: dict[str, Any] = {"replicas": 1, "chunk": main_chunk, "model": "germany"}
        spec = b.spec("prewarm", programs=[slice_prog])
        jobs.append(_Job(f"chunk {main_chunk} Germany slice (peers)", single, spec, 0.9))
    for what, weight in (("census", 0.7), ("branches", 0.8)):
        spec = b.spec("prewarm", month=[what], month_chunk=main_chunk)
        jobs.append(_Job(f"roofline month ({what})", single, spec, weight))
    n_jobs = plan.compile_jobs or max(1, min(4, os.cpu_count() or 1))
    how = "real compile, empty cache" if plan.fresh_compile else "shared cache"
    results: dict[str, WorkerResult] = {}
    t0 = time.perf_counter()
    b.say(f"compile time: fresh runner, chunk {main_chunk}, alone ({how})")
    results[timed.name] = b.worker(timed.spec, timed.setting, timeout_s=3600)
    jobs.sort(key=lambda j: -j.weight)
    b.say(f"compiling {len(jobs)} program(s) in {min(n_jobs, len(jobs))} parallel process(es)")

    def go(job: _Job) -> tuple[str, WorkerResult]:
        return job.name, b.worker(job.spec, job.setting, timeout_s=3 * 3600)

    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        results.update(pool.map(go, jobs))
    b.say(f"compiled in {time.perf_counter() - t0:.0f} s")
    for name, res in results.items():
        if not res.ok:
            b.notes.append(f"{name} failed: {res.error}")
    comp = results[timed.name]
    if not comp.ok:
        return None
    if fresh != b.cache and fresh.exists():
        for f in fresh.iterdir():
            if f.is_file() and not (b.cache / f.name).exists():
                shutil.copy2(f, b.cache / f.name)
    out = dict(comp.data)
    out["timed"] = "alone, before the other compiles"
    out["steady_chunk_s"] = (
        statistics.median(out["steady_chunks_s"]) if out["steady_chunks_s"] else None
    )
    return out


def _plan_items(
    b: _Bench, single: DeviceSetting, settings: list[DeviceSetting]
) -> list[list[_Item]]:
    """Throughput items grouped by worker process, in the order they run."""
    plan = b.plan
    groups: list[list[_Item]] = []
    device_items = [
        _Item(
            "by_devices", s, 1, plan.device_runs, b.chunk(plan.device_runs, s), plan.device_repeats
        )
        for s in settings
    ]
    placed = False
    for runs, repeats in plan.by_runs:
        groups.append([_Item("by_runs", single, 1, runs, b.chunk(runs, single), repeats)])
        if runs == plan.device_runs:
            # The device series right after the same run count on one device.
            groups.extend([it] for it in device_items)
            placed = True
    if not placed:
        groups.extend([it] for it in device_items)
    agents = [
        _Item(
            "by_agents",
            single,
            r,
            plan.agent_runs,
            b.chunk(plan.agent_runs, single, size=plan.agent_chunk),
            plan.agent_repeats,
        )
        for r in sorted(plan.agent_replicas)
    ]
    groups.append(agents)
    return groups


def cli_main(args: Any) -> int:
    """``abm bench``: run the bench, print the table, write the JSON and the plots."""
    from abm.bench import report

    plan = quick_plan() if args.quick else full_plan()
    scale = getattr(args, "runs_scale", None)
    if scale:
        plan = scale_plan(plan, float(scale))
    result = run_bench(plan, config=args.config, quiet=bool(getattr(args, "quiet", False)))
    print(report.format_table(result))
    json_path = Path(args.json) if args.json else None
    plots = Path(args.plots) if args.plots else (json_path.parent if json_path else DEFAULT_RESULTS)
    if json_path is not None:
        report.write_json(result, json_path)
        print(f"wrote {json_path}")
    for p in report.write_plots(result, plots):
        print(f"wrote {p}")
    return 0


def scale_plan(plan: BenchPlan, scale: float) -> BenchPlan:
    """``plan`` with every run count multiplied by ``scale`` (at least one lane)."""

    def s(n: int) -> int:
        return max(LANES, round(n * scale))

    return replace(
        plan,
        by_runs=tuple((s(r), k) for r, k in plan.by_runs),
        agent_runs=s(plan.agent_runs),
        device_runs=s(plan.device_runs),
        peer_runs={k: max(1, round(v * scale)) for k, v in plan.peer_runs.items()},
    )
