"""Timing helpers of ``abm bench``: JAX's compile stages, chunk sizes, agent-step rates.

:class:`CompileEvents` collects the compile-stage durations JAX reports while a jitted
call runs, and :func:`first_call` times a runner's first call with them
(``benchmarks/bench_germany.py`` uses both); :func:`chunk_for` picks the chunk of a run
count; :func:`time_calls` times repeated calls of one function.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from abm.engine.runner import RUN_LANES

#: JAX's monitoring events for the compile stages of a jitted call.
COMPILE_EVENTS = {
    "/jax/core/compile/jaxpr_trace_duration": "trace_s",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower_s",
    "/jax/core/compile/backend_compile_duration": "xla_compile_s",
}
CACHE_HIT_EVENT = "/jax/compilation_cache/cache_hits"
CACHE_MISS_EVENT = "/jax/compilation_cache/cache_misses"


def chunk_for(runs: int, max_chunk: int, padding: float = 0.1) -> int:
    """A chunk size for ``runs`` runs (whole 16-run lanes).

    The power of two at or above ``runs`` (at least one lane), up to ``max_chunk``: a
    power of two keeps the number of distinct compiled programs small across run
    counts. Where such chunks would pad the runs by more than ``padding`` (100 runs in
    a chunk of 128; 10,000 runs in chunks of 4,096: 23 %), the runs are split into as
    many equal chunks instead, rounded up to whole lanes (112; 3 chunks of 3,344).
    """
    size = RUN_LANES
    while size < runs and size < max_chunk:
        size *= 2
    size = min(size, max(max_chunk, RUN_LANES))
    n = -(-runs // size)
    if n * size - runs > padding * runs:
        per_chunk = -(-runs // n)
        size = -(-per_chunk // RUN_LANES) * RUN_LANES
    return size


def agent_steps_per_s(runs: float, n_months: int, n_agents: int, seconds: float) -> float:
    """Agent-steps per second: ``runs x n_months x n_agents / seconds``."""
    return runs * n_months * n_agents / seconds


def time_calls(fn: Callable[[], Any], reps: int) -> list[float]:
    """Wall seconds of each of ``reps`` calls of ``fn`` (``time.perf_counter``)."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def first_call(runner: Any, seed: int, tables: Any, runs: int) -> tuple[float, CompileEvents]:
    """Time ``runner.run(seed, tables, runs)`` while collecting JAX's compile events.

    Args:
        runner: an :class:`abm.engine.runner.Runner` (fresh: the call compiles or loads).
        seed: the simulation seed.
        tables: the prior tables.
        runs: runs of the call (one chunk, as a rule).

    Returns:
        ``(seconds, events)``: wall seconds of the call and the :class:`CompileEvents`
        collected during it.
    """
    with CompileEvents() as events:
        t0 = time.perf_counter()
        runner.run(seed, tables, runs)
        seconds = time.perf_counter() - t0
    return seconds, events


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
