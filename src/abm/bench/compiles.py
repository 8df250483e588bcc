"""Compiling every program of a bench run before anything is timed.

:func:`compile_all` first times the compile of a fresh runner alone (in an empty cache
where the plan asks for a real compile), then compiles every other program the run needs
(throughput chunks, the Germany slice of the peer timings, the roofline's month
programs) into the shared persistent compilation cache, untimed, one :class:`Job` per
worker process and several processes at once, so that the measuring workers only load
them.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from abm.bench.launch import DeviceSetting, WorkerResult
from abm.bench.session import Bench, Item


@dataclass
class Job:
    """One compiling worker: a spec on a device setting, with a scheduling weight."""

    name: str
    setting: DeviceSetting
    spec: dict[str, Any]
    weight: float


def compile_all(
    b: Bench, items: list[list[Item]], single: DeviceSetting, main_chunk: int
) -> dict[str, Any] | None:
    """The timed compile and every other program, compiled into the shared cache.

    Returns:
        The timed compile's result (None if it failed).
    """
    plan = b.plan
    fresh = b.work / "fresh-cache" if plan.fresh_compile else b.cache
    timed = Job(
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
    jobs: list[Job] = []
    seen = {(single.key, 1, main_chunk)}
    for group in items:
        for it in group:
            if it.program not in seen:
                seen.add(it.program)
                prog = {"replicas": it.replicas, "chunk": it.chunk}
                jobs.append(
                    Job(
                        f"chunk {it.chunk} x{it.replicas} on {it.setting.key}",
                        it.setting,
                        b.spec("prewarm", programs=[prog]),
                        1.0 + 0.05 * it.replicas,
                    )
                )
    if b.peers_dir is not None:  # abm's side of the peer timings: the Germany slice alone
        slice_prog: dict[str, Any] = {"replicas": 1, "chunk": main_chunk, "model": "germany"}
        spec = b.spec("prewarm", programs=[slice_prog])
        jobs.append(Job(f"chunk {main_chunk} Germany slice (peers)", single, spec, 0.9))
    for what, weight in (("census", 0.7), ("branches", 0.8)):
        spec = b.spec("prewarm", month=[what], month_chunk=main_chunk)
        jobs.append(Job(f"roofline month ({what})", single, spec, weight))
    n_jobs = plan.compile_jobs or max(1, min(4, os.cpu_count() or 1))
    how = "real compile, empty cache" if plan.fresh_compile else "shared cache"
    results: dict[str, WorkerResult] = {}
    t0 = time.perf_counter()
    b.say(f"compile time: fresh runner, chunk {main_chunk}, alone ({how})")
    results[timed.name] = b.worker(timed.spec, timed.setting, timeout_s=3600)
    jobs.sort(key=lambda j: -j.weight)
    b.say(f"compiling {len(jobs)} program(s) in {min(n_jobs, len(jobs))} parallel process(es)")

    def go(job: Job) -> tuple[str, WorkerResult]:
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
