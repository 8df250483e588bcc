"""One ``abm bench`` run, step by step: probe, compile, measure, roofline and peers.

:func:`run_bench` runs a :class:`~abm.bench.plan.BenchPlan` in a temporary work folder:
it probes JAX's devices (:func:`probe_settings`), compiles every program
(:func:`abm.bench.compiles.compile_all`), measures the throughput items one process at a
time (:func:`abm.bench.session.measure_group`), completes the compile figures
(:func:`finish_compile`), then times the roofline and the peers
(:func:`peers_and_roofline`), and hands the raw results to
:func:`abm.bench.report.assemble`.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from abm.bench.compiles import compile_all
from abm.bench.host import error_line, machine, utc_now, versions
from abm.bench.launch import DeviceSetting
from abm.bench.locate import default_config, find_peers
from abm.bench.plan import BenchPlan
from abm.bench.session import Bench, measure_group, plan_items


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

    Raises:
        ConfigError: if the scenario cannot be loaded (checked here, before any worker
            starts: a bad one would otherwise fail in every worker and leave nulls).
    """
    from abm.bench import report
    from abm.config import load_scenario

    t_start = time.perf_counter()
    cfg = Path(config) if config else default_config()
    load_scenario(cfg)
    peers = Path(peers_dir) if peers_dir else find_peers(cfg)
    with tempfile.TemporaryDirectory(prefix="abm-bench-") as tmp:
        b = Bench(plan, cfg, cache_dir, quiet, peers, Path(tmp))
        raw = _run(b)
    raw["wall_s"] = time.perf_counter() - t_start
    return report.assemble(raw)


def _run(b: Bench) -> dict[str, Any]:
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
    single, settings = probe_settings(b, raw)

    # 2. The throughput measurements, in the order they will run.
    items = plan_items(b, single, settings)

    # 3. Compile every program once, in parallel and untimed, except the compile that
    #    is timed (in an empty cache, so a real compile).
    main_chunk = b.chunk(0, single, main=True)
    raw["compile"] = compile_all(b, items, single, main_chunk)

    # 4. Measure, one process at a time.
    raw["by_runs"], raw["by_devices"], raw["by_agents"] = [], [], []
    for group in items:
        measure_group(b, group, raw)
    finish_compile(raw)

    # 5. Roofline (costs and timings) and the peers.
    peers_and_roofline(b, raw, single, main_chunk)
    return raw


def probe_settings(b: Bench, raw: dict[str, Any]) -> tuple[DeviceSetting, list[DeviceSetting]]:
    """Probe JAX's devices in a worker; the single-device setting and every setting.

    Fills ``raw``'s ``probe``, ``versions`` and ``single_setting`` and ``b.n_devices``.

    Raises:
        RuntimeError: the probe failed (JAX does not start).
    """
    plan = b.plan
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
    return single, settings


def finish_compile(raw: dict[str, Any]) -> None:
    """The compile figures that need the steady chunk time, in ``raw["compile"]``.

    Where the timed compile ran no steady chunks, the steady chunk time comes from the
    run-count series at the same chunk; ``compile_s`` is the sum of JAX's compile stages
    of a real compile, else the first call less one steady chunk.
    """
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


def peers_and_roofline(
    b: Bench, raw: dict[str, Any], single: DeviceSetting, main_chunk: int
) -> None:
    """The roofline (XLA costs, chunk time, ceilings) and the peers, in one worker.

    Fills ``raw``'s ``peers`` (the Germany slice's), ``war_peers`` (the war combat
    step's, :mod:`abm.bench.war_peers`), ``roofline_timing`` and ``roofline_costs``, or
    says in the notes what was not measured.
    """
    plan = b.plan
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
        war={
            "divisions": plan.war_divisions,
            "sectors": plan.war_sectors,
            "months": plan.war_months,
            "mode": plan.war_mode,
            "chunk": plan.war_chunk,
            "runs": plan.war_peer_runs,
            "pilot": plan.war_peer_pilot,
            "bounds": plan.war_peer_bounds,
        },
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
        war = res.data.get("war_peers") or {}
        if "error" in war:
            b.notes.append("war kernel peers not measured: " + error_line(war["error"]))
        else:
            raw["war_peers"] = war
            for name, err in war.get("errors", {}).items():
                b.notes.append(f"{name} war peer not measured: {err}")
    else:
        b.notes.append(f"peers and roofline not measured: {res.error}")
