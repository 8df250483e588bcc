"""The tasks a bench worker runs, each on a JSON spec in a fresh process.

* ``probe`` (:func:`task_probe`): JAX backend, devices and versions;
* ``compile`` (:func:`task_compile`): a fresh runner's first call on one chunk (trace +
  lower + XLA compile + one chunk) with JAX's compile-stage timings, then single steady
  chunks;
* ``throughput`` (:func:`task_throughput`): steady runs/s of one or more (replicas,
  runs, chunk) items, each after a warm-up chunk;
* ``prewarm`` (:func:`task_prewarm`): compiles programs into the persistent compilation
  cache, and the roofline's month programs;
* ``peers`` (:func:`task_peers`): steady time of one chunk, XLA's costs
  (:func:`roofline_costs`) and the roofline's ceilings, then abm and its peers timed
  interleaved (:mod:`abm.bench.peer_timing`), and the war's combat step against its
  peers (:mod:`abm.bench.war_peers`).

:mod:`abm.bench.measure` dispatches a spec's ``task`` to these.
"""

from __future__ import annotations

import os
import statistics
import time
import traceback
from typing import Any

from abm.bench.context import WHOLE, WorkerContext, describe_devices, device_peak_mb
from abm.bench.host import cpu_seconds, machine, peak_rss_mb, versions
from abm.bench.peer_timing import time_peers
from abm.bench.timing import agent_steps_per_s, first_call, time_calls
from abm.bench.war_peers import time_war_peers


def task_probe(spec: dict[str, Any]) -> dict[str, Any]:
    """JAX backend, devices, versions and machine."""
    return {"describe": describe_devices(), "versions": versions(), "machine": machine()}


def task_compile(spec: dict[str, Any]) -> dict[str, Any]:
    """First call of a fresh runner on one chunk; then steady single chunks, if asked."""
    from abm.engine.runner import Runner

    ctx = WorkerContext(spec)
    model = ctx.model(int(spec.get("replicas", 1)))
    runner = Runner(model, chunk_size=int(spec["chunk"]))
    chunk = runner.chunk_size
    ctx.say(f"compile: first call of a fresh runner on one chunk of {chunk} runs")
    first, ev = first_call(runner, ctx.seed, ctx.tables, chunk)
    rss_first = peak_rss_mb()
    steady = time_calls(
        lambda: runner.run(ctx.seed, ctx.tables, chunk), int(spec.get("steady_chunks", 0))
    )
    if runner.compiled_count() != 1:
        raise RuntimeError(f"recompiled: {runner.compiled_count()} programs")
    stages = dict(ev.stages)
    ctx.say(
        f"compile: first call {first:.1f} s, of which XLA compile "
        f"{stages.get('xla_compile_s', 0.0):.1f} s"
    )
    return {
        "describe": describe_devices(),
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

    ctx = WorkerContext(spec)
    desc = describe_devices()
    items = []
    for item in spec["items"]:
        replicas, runs = int(item.get("replicas", 1)), int(item["runs"])
        model = ctx.model(replicas)
        n_agents, n_months = int(model.n_agents), int(model.n_months)
        runner = Runner(model, chunk_size=int(item["chunk"]))
        chunk = runner.chunk_size
        first, ev = first_call(runner, ctx.seed, ctx.tables, chunk)
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
    from abm.engine.priors import beta_columns_of
    from abm.engine.runner import Runner

    ctx = WorkerContext(spec)
    done = []
    for prog in spec.get("programs", []):
        t0 = time.perf_counter()
        model, tables = ctx.program(str(prog.get("model", WHOLE)), int(prog.get("replicas", 1)))
        runner = Runner(model, chunk_size=int(prog["chunk"]))
        fn = runner._chunk_fn(1, beta_columns_of(tables.kind))
        fn.lower(*roofline.chunk_args(runner, tables, ctx.seed)).compile()
        done.append({**prog, "seconds": time.perf_counter() - t0})
    for what in spec.get("month", []):
        t0 = time.perf_counter()
        months = roofline.MonthCosts(ctx.model(1), int(spec["month_chunk"]))
        if what == "census":
            months.compile_census(ctx.seed, ctx.tables)
        else:
            months.compile_branches(ctx.seed, ctx.tables)
        done.append({"month": what, "seconds": time.perf_counter() - t0})
    return {"describe": describe_devices(), "compiled": done}


def roofline_costs(ctx: WorkerContext, chunk_size: int) -> dict[str, Any]:
    """XLA's costs of one chunk of the whole model, the scan checks, the month costs."""
    from abm.bench import roofline
    from abm.engine.priors import beta_columns_of
    from abm.engine.runner import Runner

    model = ctx.model(1)
    runner = Runner(model, chunk_size=chunk_size)
    fn = runner._chunk_fn(1, beta_columns_of(ctx.tables.kind))
    compiled = fn.lower(*roofline.chunk_args(runner, ctx.tables, ctx.seed))
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


def task_peers(spec: dict[str, Any]) -> dict[str, Any]:
    """Roofline (XLA costs, chunk time, dot, copy), then abm and its peers interleaved.

    The roofline is the whole model's; abm's side of the peer timings is the Germany-only
    view (what the peers implement), on the same chunk size; then the war's combat step
    and its peers (``war_peers``; an ``error`` entry if they failed).
    """
    from abm.bench import roofline
    from abm.engine.runner import Runner

    ctx = WorkerContext(spec)
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
    chunk_times = time_calls(
        lambda: runner.run(ctx.seed, ctx.tables, chunk), int(spec.get("chunk_reps", 3))
    )
    ctx.say("roofline: attainable FLOP/s (matrix product) and bandwidth (array copies)")
    peak = roofline.measure_peak_flops(int(spec.get("dot_n", 4096)), int(spec.get("reps", 5)))
    bw = roofline.measure_bandwidth(
        int(spec.get("copy_bytes", 256 * 2**20)),
        int(spec.get("reps", 5)),
        threads=max(1, os.cpu_count() or 1),
    )
    out: dict[str, Any] = {
        "describe": describe_devices(),
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
    out["peers"] = time_peers(ctx, spec, int(spec["chunk"]))
    try:
        out["war_peers"] = time_war_peers(ctx, spec)
    except Exception:  # report the rest; say why the war's peers are missing
        out["war_peers"] = {"error": traceback.format_exc()}
    out["peak_rss_mb"] = peak_rss_mb()
    return out
