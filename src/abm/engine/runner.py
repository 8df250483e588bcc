"""The chunked Monte Carlo runner: scan over months, vmap over runs, one jit.

Runs are numbered globally as ``g = point * n_runs + run``; a chunk is ``chunk_size``
consecutive global indices (the last one padded and masked), spread over every device on
the ``runs`` mesh axis. Each run's outcomes are tallied on the device
(:mod:`abm.engine.reducers`); only the integer tallies leave it, so memory is set by
the chunk, not by the number of runs.

A chunk's runs belong to at most :func:`point_slots` consecutive points, from its first
run's point ``first = g[0] // n_runs`` on: the chunk gets those points' rows of the
table and tallies into that many local slots (``point - first``), which the host adds
into its accumulator's points ``first, first + 1, ...``. The compiled program depends on
the number of slots, not on the number of points, so a sweep chunk costs what a single
scenario's does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.devices import replicated, run_mesh, runs_sharding
from abm.engine.lanes import RUN_LANES, grouped_over
from abm.engine.model import Model
from abm.engine.priors import BetaColumns, PriorTable, beta_columns_of
from abm.engine.reducers import reduce_chunk
from abm.engine.simulate import (
    batch_step,
    chunk_outcomes,
    chunk_runs,
    run_outcomes,
    simulate_batch,
)
from abm.tallies import MAX_CHUNK, Accumulator, add_local, empty_tallies

log = logging.getLogger(__name__)

__all__ = [
    "RUN_LANES",
    "Accumulator",
    "Progress",
    "Runner",
    "batch_step",
    "chunk_outcomes",
    "chunk_runs",
    "point_slots",
    "run_outcomes",
    "simulate_batch",
]

Progress = Callable[[int, int, float], None]

#: Called once per chunk with the chunk's first global run index and its run indices
#: ``g`` (int32 ``[chunk_size]``, placed on the run mesh); runs the chunk and adds its
#: tallies on the host.
ChunkStep = Callable[[int, jax.Array], None]


@dataclass
class LoopStats:
    """Chunks computed by :meth:`Runner.stream` and their timing.

    Attributes:
        chunks: chunks computed.
        wall_s: seconds of the loop (compile included).
        compile_s: seconds of the first chunk beyond a steady chunk (the whole first
            chunk when there is only one), an estimate of compile.
    """

    chunks: int = 0
    wall_s: float = 0.0
    compile_s: float = 0.0


def point_slots(chunk_size: int, n_runs: int, n_points: int) -> int:
    """The most points a chunk of ``chunk_size`` consecutive runs can touch.

    Args:
        chunk_size: runs per chunk.
        n_runs: runs per point.
        n_points: points of the table.

    Returns:
        ``min(n_points, ceil((chunk_size - 1) / n_runs) + 1)``.
    """
    return int(min(n_points, -(-(chunk_size - 1) // n_runs) + 1))


class Runner:
    """Compiles a model once per (chunk size, point slots) and streams chunks.

    Args:
        model: the model to run.
        chunk_size: runs per compiled chunk (rounded up to whole lanes on every device).
        posterior: float32 ``[K, n_columns]``, the calibrated sample that parameters of
            kind ``posterior`` read (:func:`abm.engine.simulate.simulate_batch`), or None.
            It is a constant of the compiled programs.
    """

    def __init__(
        self, model: Model, chunk_size: int = 4096, posterior: np.ndarray | None = None
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        self.model = model
        self.mesh = run_mesh()
        n_dev = self.mesh.devices.size
        unit = RUN_LANES * n_dev
        self.chunk_size = int(-(-chunk_size // unit) * unit)
        if self.chunk_size > MAX_CHUNK:
            raise ValueError(
                f"chunk_size {self.chunk_size} exceeds {MAX_CHUNK} (exact int32 tallies)"
            )
        self.posterior: Any = None if posterior is None else np.asarray(posterior, np.float32)
        if self.posterior is not None and (self.posterior.ndim != 2 or self.posterior.shape[0] < 1):
            raise ValueError(f"posterior must be [K >= 1, n], got {self.posterior.shape}")
        self._chunk_fns: dict[Any, Any] = {}
        self._trace_fns: dict[str, Any] = {}

    @property
    def n_devices(self) -> int:
        """Devices the chunk is spread over."""
        return int(self.mesh.devices.size)

    def _chunk_fn(self, slots: int, beta_columns: BetaColumns = None) -> Any:
        """The jitted chunk with ``slots`` point slots (see :func:`point_slots`).

        Its arguments are ``(seed, rows, g, n_runs, point_offset)`` as in
        :func:`chunk_outcomes`, with ``rows`` of ``slots`` rows; it returns the int32
        tallies ``[slots, ...]`` of the points ``first, first + 1, ...``.
        ``beta_columns``: the tables' beta columns (:func:`abm.engine.priors.beta_columns_of`).
        """
        model = self.model
        specs = model.outcome_specs
        return self.chunk_program(
            slots,
            lambda outs, slot, valid: reduce_chunk(specs, outs, slot, valid, slots, model.n_months),
            beta_columns,
        )

    def chunk_program(
        self,
        key: Any,
        finish: Callable[[Any, jax.Array, jax.Array], Any],
        beta_columns: BetaColumns = None,
    ) -> Any:
        """A jitted chunk: the runs' outcomes, then ``finish(outcomes, slot, valid)``.

        Its arguments are ``(seed, rows, g, n_runs, point_offset)`` as in
        :func:`chunk_outcomes` (with this runner's posterior); the runs are sharded over
        the devices and the result replicated. Built once per ``key`` and
        ``beta_columns`` (static: the columns any row of the tables it runs may draw from
        a beta prior, None for all; the values do not depend on it, the time does).
        """
        key = (key, beta_columns)
        if key in self._chunk_fns:
            return self._chunk_fns[key]
        model = self.model
        n_dev = self.n_devices

        def chunk(
            seed: jax.Array,
            rows: PriorTable,
            g: jax.Array,
            n_runs: jax.Array,
            point_offset: jax.Array,
        ) -> Any:
            with grouped_over(n_dev):
                outs, slot, valid = chunk_outcomes(
                    model, seed, rows, g, n_runs, point_offset, self.posterior, beta_columns
                )
            return finish(outs, slot, valid)

        rep = replicated(self.mesh)
        fn = jax.jit(
            chunk,
            in_shardings=(rep, rep, runs_sharding(self.mesh), rep, rep),
            out_shardings=rep,
        )
        self._chunk_fns[key] = fn
        return fn

    def compiled_count(self) -> int:
        """Number of programs compiled so far for chunks (for recompilation checks)."""
        return sum(int(f._cache_size()) for f in self._chunk_fns.values())

    def chunk_indices(self, c: int, total: int) -> np.ndarray:
        """Global run indices of chunk ``c`` of ``total`` runs.

        Returns:
            int32 ``[chunk_size]``, -1 past the last run (padding).
        """
        g = np.arange(c * self.chunk_size, (c + 1) * self.chunk_size, dtype=np.int32)
        g[g >= total] = -1
        return g

    def stream(
        self,
        total: int,
        step: ChunkStep,
        progress: Progress | None = None,
        start_chunk: int = 0,
    ) -> LoopStats:
        """The chunk loop: ``step`` on every chunk of ``total`` runs from ``start_chunk``.

        Args:
            total: runs in all (points x runs per point).
            step: runs one chunk and adds its tallies (see :data:`ChunkStep`).
            progress: called after each chunk with (runs done, runs total, seconds).
            start_chunk: first chunk to compute (the others count as done elsewhere).

        Returns:
            The loop's :class:`LoopStats`.
        """
        sharding = runs_sharding(self.mesh)
        n_chunks = -(-total // self.chunk_size)
        stats = LoopStats()
        t0 = time.perf_counter()
        first = 0.0
        for c in range(start_chunk, n_chunks):
            g = self.chunk_indices(c, total)
            tc = time.perf_counter()
            step(c * self.chunk_size, jax.device_put(g, sharding))
            dt = time.perf_counter() - tc
            if c == start_chunk:
                first = dt
            elif c == start_chunk + 1:
                stats.compile_s = max(first - dt, 0.0)
            stats.chunks += 1
            if progress is not None:
                progress(min((c + 1) * self.chunk_size, total), total, time.perf_counter() - t0)
        if stats.chunks == 1:
            stats.compile_s = first
        stats.wall_s = time.perf_counter() - t0
        return stats

    def run(
        self,
        seed: int,
        tables: PriorTable,
        n_runs: int,
        progress: Progress | None = None,
        start_chunk: int = 0,
        point_offset: int = 0,
    ) -> Accumulator:
        """Simulate ``n_runs`` runs of every point of ``tables`` and tally outcomes.

        Args:
            seed: simulation seed (0 <= seed < 2**32).
            tables: :class:`PriorTable` with a leading point axis ``[n_points, n_params]``.
            n_runs: runs per point.
            progress: called after each chunk with (runs done, runs total, seconds).
            start_chunk: first chunk to compute (the others count as done elsewhere).
            point_offset: index in the whole sweep of the table's first point: run keys
                are ``fold_in(fold_in(key(seed), point_offset + p), run)``, so a sweep run
                in batches of points gives the same runs as in one table.

        Returns:
            The host :class:`Accumulator`.
        """
        if n_runs < 1:
            raise ValueError(f"n_runs must be >= 1, got {n_runs}")
        n_points = int(np.shape(tables.kind)[0])
        if n_points * n_runs >= 2**31:
            raise ValueError("points x runs must stay below 2**31")
        slots = point_slots(self.chunk_size, n_runs, n_points)
        fn = self._chunk_fn(slots, beta_columns_of(tables.kind))
        acc = Accumulator(
            tallies=empty_tallies(self.model.outcome_specs, n_points, self.model.n_months),
            n_points=n_points,
            n_runs=n_runs,
        )
        rows = self.rows_of(tables, slots)
        seed_arr = jnp.asarray(np.uint32(seed))
        n_runs_arr = jnp.asarray(np.int32(n_runs))
        offset_arr = jnp.asarray(np.int32(point_offset))

        def step(g0: int, g: jax.Array) -> None:
            first = g0 // n_runs
            out = fn(seed_arr, rows(first), g, n_runs_arr, offset_arr)
            add_local(acc.tallies, jax.device_get(out), first)

        stats = self.stream(n_points * n_runs, step, progress, start_chunk)
        acc.chunks, acc.wall_s, acc.compile_s = stats.chunks, stats.wall_s, stats.compile_s
        return acc

    def rows_of(self, tables: PriorTable, slots: int) -> Callable[[int], PriorTable]:
        """A function ``first ->`` rows ``first .. first + slots - 1`` of ``tables``.

        The rows are placed on the devices, padded with copies of the last row; the
        rows last placed are reused while ``first`` does not change.
        """
        host = jax.tree.map(np.asarray, tables)
        n_points = int(np.shape(host.kind)[0])
        rep = replicated(self.mesh)
        placed: dict[int, PriorTable] = {}

        def rows(first: int) -> PriorTable:
            if first not in placed:
                idx = np.minimum(np.arange(first, first + slots), n_points - 1)
                placed.clear()
                placed[first] = jax.device_put(jax.tree.map(lambda x: x[idx], host), rep)
            return placed[first]

        return rows

    def trace(
        self, seed: int, table: PriorTable, point: int, run: int
    ) -> tuple[Any, Any, Any, Any]:
        """Replay one run with its full monthly trace (see :func:`simulate_batch`).

        The run goes through ``vmap`` in a batch of whole lanes, like every run of
        :meth:`run`, so its outcome is the one counted there.

        Returns:
            ``(theta, initial_state, states, outcomes)`` as NumPy pytrees; ``states``
            has a leading month axis.
        """
        if "trace" not in self._trace_fns:
            self._trace_fns["trace"] = jax.jit(self._traced)
        # The run is replayed in a batch of RUN_LANES copies of itself (see RUN_LANES).
        lanes = RUN_LANES
        rows = jax.tree.map(lambda x: np.repeat(np.asarray(x)[None], lanes, axis=0), table)
        out = self._trace_fns["trace"](
            jnp.asarray(np.uint32(seed)),
            rows,
            jnp.full((lanes,), point, jnp.int32),
            jnp.full((lanes,), run, jnp.int32),
        )
        theta, s0, states, outcomes = jax.device_get(out)
        first = lambda t: jax.tree.map(lambda x: np.asarray(x)[0], t)  # noqa: E731
        lane0 = lambda t: jax.tree.map(lambda x: np.asarray(x)[:, 0], t)  # noqa: E731
        return first(theta), first(s0), lane0(states), first(outcomes)

    def _traced(self, seed: jax.Array, rows: PriorTable, p: jax.Array, r: jax.Array) -> Any:
        thetas, s0, final, monthly = simulate_batch(
            self.model, seed, rows, p, r, trace=True, posterior=self.posterior
        )
        return thetas, s0, monthly, jax.vmap(self.model.outcomes)(final, thetas)
