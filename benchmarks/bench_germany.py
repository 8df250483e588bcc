"""Throughput benchmark of a scenario's model: compile time, runs/s, agent-steps/s, memory.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_germany.py                 # defaults
    .venv/bin/python benchmarks/bench_germany.py --devices 2     # two CPU devices
    .venv/bin/python benchmarks/bench_germany.py --slice germany # the Germany slice alone
    .venv/bin/python benchmarks/bench_germany.py --json out.json # also write JSON

``--slice whole`` (the default) runs what a scenario runs, ``scenario.model()`` (the
interwar model: Soviet and Germany slices); ``--slice germany`` the scenario's
Germany-only view (``abm.bench.germany``: ``GermanyModel`` over the scenario's calendar
and priors, the Comintern line of the leader preset's faction), the model the NumPy and
Mesa peers implement and the one this script measured before the Soviet slice existed.

The first call of a fresh :class:`~abm.engine.runner.Runner` on one chunk is timed on its
own (trace + compile + one chunk); then ``--repeats`` steady runs of ``--runs`` runs each
go through the same compiled program. The persistent compilation cache is left off so
that the compile figure is a real compile. This is a benchmark, not a test: nothing is
asserted about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from abm.bench import locate
from abm.bench.context import device_peak_mb
from abm.bench.host import cpu_model, cpu_seconds, machine, peak_rss_mb, utc_now
from abm.bench.timing import COMPILE_EVENTS, first_call
from abm.bench.timing import agent_steps_per_s as steps_rate

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO / locate.DEFAULT_CONFIG


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark a scenario's model (compile time and steady throughput)."
    )
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="scenario YAML")
    ap.add_argument(
        "--slice",
        choices=("whole", "germany"),
        default="whole",
        help="whole: the scenario's model (Soviet + Germany slices); germany: the "
        "Germany slice alone, as the peers implement it",
    )
    ap.add_argument("--runs", type=int, default=8192, help="runs per steady repeat")
    ap.add_argument("--chunk-size", type=int, default=4096, help="runs per compiled chunk")
    ap.add_argument("--repeats", type=int, default=3, help="steady repeats (median reported)")
    ap.add_argument(
        "--devices",
        type=int,
        default=1,
        help="CPU devices to expose (only matters when JAX's backend is the CPU; "
        "a GPU backend uses every visible GPU)",
    )
    ap.add_argument("--seed", type=int, default=0, help="simulation seed")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    for name in ("runs", "chunk_size", "repeats", "devices"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def fmt_rate(x: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f}{unit}"
    return f"{x:.1f}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    # Before anything starts JAX's backend.
    from abm.engine.devices import configure_cpu_devices

    configure_cpu_devices(args.devices)

    import jax

    from abm.config import load_scenario
    from abm.engine.devices import describe
    from abm.engine.priors import PriorTable
    from abm.engine.runner import Runner

    scenario = load_scenario(args.config)
    if args.slice == "germany":
        from abm.bench.germany import germany_view

        view = germany_view(scenario)
        model, tables = view.model, view.tables()
    else:
        model = scenario.model()
        tables = PriorTable.stack([scenario.prior_table()])
    desc = describe()
    devices = jax.devices()
    n_agents = int(model.n_agents)
    n_months = int(model.n_months)
    cache_dir = jax.config.jax_compilation_cache_dir

    print(f"abm benchmark: {model.name}, scenario {scenario.name} ({args.config})", flush=True)
    print(
        f"  JAX {desc['jax_version']}, backend {desc['jax_backend']}, "
        f"{desc['device_count']} x {desc['device_kind']}",
        flush=True,
    )
    print(f"  CPU {cpu_model()} ({os.cpu_count()} cores)", flush=True)
    print(
        f"  {n_agents} agents x {n_months} months per run; "
        f"agent-steps per run {n_agents * n_months}",
        flush=True,
    )
    if cache_dir:
        print(f"  note: persistent compilation cache is on ({cache_dir})", flush=True)

    runner = Runner(model, chunk_size=args.chunk_size)
    chunk = runner.chunk_size
    if chunk != args.chunk_size:
        print(f"  chunk size rounded up to {chunk} (whole 16-run lanes per device)", flush=True)

    # First call of a fresh runner on one chunk: trace + compile + one chunk. JAX reports
    # the time of each compile stage; they are summed over every program compiled here.
    first_call_s, events = first_call(runner, args.seed, tables, chunk)
    stages = events.stages
    rss_after_compile = peak_rss_mb()
    if runner.compiled_count() != 1:
        raise SystemExit(f"expected 1 compiled program, got {runner.compiled_count()}")
    print(
        f"  first call (compile + 1 chunk of {chunk}): {first_call_s:.2f} s, "
        f"peak RSS {rss_after_compile:.0f} MB",
        flush=True,
    )
    if stages:
        print(
            "  compile stages reported by JAX: "
            + ", ".join(
                f"{k[:-2]} {stages[k]:.2f} s" for k in COMPILE_EVENTS.values() if k in stages
            ),
            flush=True,
        )

    print(flush=True)
    header = (
        f"{'repeat':>6} {'runs':>7} {'chunks':>6} {'seconds':>8} {'runs/s':>9} "
        f"{'agent-steps/s':>14} {'s/chunk':>8} {'CPU s':>7} {'peak RSS MB':>11}"
    )
    print(header, flush=True)
    print("-" * len(header), flush=True)
    repeats: list[dict[str, Any]] = []
    for i in range(args.repeats):
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        acc = runner.run(args.seed, tables, args.runs)
        seconds = time.perf_counter() - t0
        cpu_s = cpu_seconds() - c0
        if runner.compiled_count() != 1:
            raise SystemExit(f"recompiled: {runner.compiled_count()} programs after repeat {i}")
        rep = {
            "repeat": i,
            "runs": args.runs,
            "chunks": acc.chunks,
            "seconds": seconds,
            "runner_wall_s": acc.wall_s,
            "runs_per_s": args.runs / seconds,
            "agent_steps_per_s": steps_rate(args.runs, n_months, n_agents, seconds),
            "seconds_per_chunk": seconds / acc.chunks,
            "process_cpu_s": cpu_s,
            "peak_rss_mb": peak_rss_mb(),
        }
        repeats.append(rep)
        print(
            f"{i:>6} {args.runs:>7} {acc.chunks:>6} {seconds:>8.2f} "
            f"{rep['runs_per_s']:>9.1f} {fmt_rate(rep['agent_steps_per_s']):>14} "
            f"{rep['seconds_per_chunk']:>8.2f} {cpu_s:>7.1f} {rep['peak_rss_mb']:>11.0f}",
            flush=True,
        )

    runs_per_s = statistics.median(r["runs_per_s"] for r in repeats)
    agent_steps_per_s = statistics.median(r["agent_steps_per_s"] for r in repeats)
    median_s = statistics.median(r["seconds"] for r in repeats)
    steady_chunk_s = statistics.median(r["seconds_per_chunk"] for r in repeats)
    compile_estimate_s = max(first_call_s - steady_chunk_s, 0.0)
    compile_s = sum(stages.values()) if stages else compile_estimate_s
    peak = peak_rss_mb()
    dev_peak = device_peak_mb(devices)

    print("-" * len(header), flush=True)
    print(
        f"{'median':>6} {args.runs:>7} {'':>6} {median_s:>8.2f} "
        f"{runs_per_s:>9.1f} {fmt_rate(agent_steps_per_s):>14} {steady_chunk_s:>8.2f} "
        f"{'':>7} {peak:>11.0f}",
        flush=True,
    )
    print(flush=True)
    print(
        f"compile: {compile_s:.2f} s "
        f"({'trace + lower + XLA compile, as JAX reports' if stages else 'estimate'}); "
        f"first call - one steady chunk: {compile_estimate_s:.2f} s",
        flush=True,
    )
    print(f"median runs/s: {runs_per_s:.1f}", flush=True)
    print(f"median agent-steps/s: {agent_steps_per_s:.4g}", flush=True)
    print(f"peak RSS: {peak:.0f} MB", flush=True)
    if dev_peak is not None:
        print(f"peak device memory: {dev_peak:.0f} MB", flush=True)

    if args.json is not None:
        out = {
            "runs_per_s": runs_per_s,
            "agent_steps_per_s": agent_steps_per_s,
            "compile_s": compile_s,
            "compile_stages_s": stages,
            "compile_estimate_s": compile_estimate_s,
            "first_call_s": first_call_s,
            "steady_chunk_s": steady_chunk_s,
            "peak_rss_mb": peak,
            "device_peak_mb": dev_peak,
            "devices": {
                "count": len(devices),
                "kind": desc["device_kind"],
                "backend": desc["jax_backend"],
                "requested_cpu_devices": args.devices,
            },
            "model": model.name,
            "slice": args.slice,
            "scenario": scenario.name,
            "config": str(args.config),
            "model_agents": n_agents,
            "n_months": n_months,
            "runs": args.runs,
            "chunk_size": chunk,
            "seed": args.seed,
            "repeats": repeats,
            "compilation_cache": cache_dir,
            "machine": machine(),
            "jax_version": desc["jax_version"],
            "date": utc_now(),
            "argv": sys.argv,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
