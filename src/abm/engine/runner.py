"""The chunked Monte Carlo runner: scan over months, vmap over runs, one jit.

Runs are numbered globally as ``g = point * n_runs + run``; a chunk is ``chunk_size``
consecutive global indices (the last one padded and masked), spread over every device on
the ``runs`` mesh axis. Each run's outcomes are tallied on the device
(:mod:`abm.engine.reducers`); only the integer tallies leave it, so memory is set by
the chunk, not by the number of runs.
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

from abm.engine import keys
from abm.engine.devices import replicated, run_mesh, runs_sharding
from abm.engine.model import Model
from abm.engine.priors import PriorTable, sample
from abm.engine.reducers import MAX_CHUNK, add_into, empty_tallies, reduce_chunk

log = logging.getLogger(__name__)

#: Chunks hold a multiple of this many runs per device. XLA flattens elementwise loops
#: and may compute the SIMD body and the scalar tail of a loop with different
#: floating-point contractions; with whole 16-run lanes (the widest SIMD unit on these
#: machines holds 16 float32) every run goes through the same code whatever the chunk
#: size, which keeps results bit-identical across chunk sizes and devices.
RUN_LANES = 16

Progress = Callable[[int, int, float], None]


@dataclass
class Accumulator:
    """Integer tallies of every outcome, per sweep point, on the host (int64).

    Attributes:
        tallies: name -> int64 array with a leading point axis.
        n_points: number of sweep points.
        n_runs: runs per point.
        wall_s: seconds spent simulating (compile included).
        compile_s: seconds of the first chunk beyond a steady chunk, an estimate of compile.
    """

    tallies: dict[str, np.ndarray]
    n_points: int
    n_runs: int
    wall_s: float = 0.0
    compile_s: float = 0.0
    chunks: int = 0


def batch_step(model: Model) -> Callable[[jax.Array, Any, jax.Array], Any]:
    """The model's month over a batch of runs: its ``step_batch``, else ``vmap(step)``.

    A model may provide ``step_batch(keys, states, thetas)`` to skip work that no run of
    the batch needs this month (``lax.cond`` on a batch-wide predicate); a run's result
    must not depend on the other runs of the batch.
    """
    step_batch = getattr(model, "step_batch", None)
    return step_batch if step_batch is not None else jax.vmap(model.step)


def simulate_batch(
    model: Model,
    seed: jax.Array,
    rows: PriorTable,
    points: jax.Array,
    runs: jax.Array,
    trace: bool = False,
) -> tuple[jax.Array, Any, Any, Any]:
    """Runs of a batch to their end: ``scan`` over months of a ``vmap``-ed month.

    Args:
        model: the model.
        seed: uint32 scalar.
        rows: :class:`PriorTable` with a leading batch axis ``[N, n_params]``.
        points: int32 ``[N]`` sweep-point index of each run.
        runs: int32 ``[N]`` run index of each run.
        trace: also return every month's state.

    Returns:
        ``(thetas, initial_states, final_states, monthly)``: thetas float32
        ``[N, n_params]``; states with a leading ``[N]`` axis; ``monthly`` is None, or the
        state after each month with leading axes ``[n_months, N]``.
    """
    run_keys = jax.vmap(keys.run_key, in_axes=(None, 0, 0))(seed, points, runs)
    thetas = jax.vmap(lambda k, row: sample(keys.stream(k, keys.STREAM_PRIORS), row))(
        run_keys, rows
    )
    # Opaque to the compiler: with one sweep point every pinned parameter is the same in
    # every run, and XLA would otherwise simplify on that (broadcast constants), which
    # changes the last bits of some results against a program with several points.
    thetas = jax.lax.optimization_barrier(thetas)
    init = jax.vmap(lambda k, th: model.init(keys.stream(k, keys.STREAM_INIT), th))
    states0 = init(run_keys, thetas)
    steps_keys = jax.vmap(lambda k: keys.stream(k, keys.STREAM_STEPS))(run_keys)
    step = batch_step(model)

    def body(s: Any, month: jax.Array) -> tuple[Any, Any]:
        month_keys = jax.vmap(keys.month_key, in_axes=(0, None))(steps_keys, month)
        s = step(month_keys, s, thetas)
        return s, (s if trace else None)

    final, monthly = jax.lax.scan(body, states0, jnp.arange(model.n_months, dtype=jnp.int32))
    return thetas, states0, final, monthly


class Runner:
    """Compiles a model once per (chunk size, number of points) and streams chunks.

    Args:
        model: the model to run.
        chunk_size: runs per compiled chunk (rounded up to a multiple of the device count).
    """

    def __init__(self, model: Model, chunk_size: int = 4096) -> None:
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
        self._chunk_fns: dict[int, Any] = {}
        self._trace_fns: dict[str, Any] = {}

    @property
    def n_devices(self) -> int:
        """Devices the chunk is spread over."""
        return int(self.mesh.devices.size)

    def _chunk_fn(self, n_points: int) -> Any:
        if n_points in self._chunk_fns:
            return self._chunk_fns[n_points]
        model = self.model
        specs = model.outcome_specs

        def chunk(
            seed: jax.Array,
            tables: PriorTable,
            g: jax.Array,
            n_runs: jax.Array,
            point_offset: jax.Array,
        ) -> dict[str, jax.Array]:
            total = n_runs * n_points
            valid = g < total
            gg = jnp.where(valid, g, 0)
            point = gg // n_runs
            run = gg % n_runs
            rows = jax.tree.map(lambda x: x[point], tables)
            # Keys use the point's index in the whole sweep (offset + index in the table).
            thetas, _, final, _ = simulate_batch(model, seed, rows, point + point_offset, run)
            # Materialised before the reduction, so that how XLA fuses the tallies (which
            # differs with the number of points) cannot change an outcome's last bits.
            outs = jax.lax.optimization_barrier(jax.vmap(model.outcomes)(final, thetas))
            return reduce_chunk(specs, outs, point, valid, n_points, model.n_months)

        fn = jax.jit(
            chunk,
            in_shardings=(
                replicated(self.mesh),
                replicated(self.mesh),
                runs_sharding(self.mesh),
                replicated(self.mesh),
                replicated(self.mesh),
            ),
            out_shardings=replicated(self.mesh),
        )
        self._chunk_fns[n_points] = fn
        return fn

    def compiled_count(self) -> int:
        """Number of programs compiled so far for chunks (for recompilation checks)."""
        return sum(int(f._cache_size()) for f in self._chunk_fns.values())

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
        fn = self._chunk_fn(n_points)
        total = n_points * n_runs
        n_chunks = -(-total // self.chunk_size)
        acc = Accumulator(
            tallies=empty_tallies(self.model.outcome_specs, n_points, self.model.n_months, np),
            n_points=n_points,
            n_runs=n_runs,
        )
        seed_arr = jnp.asarray(np.uint32(seed))
        n_runs_arr = jnp.asarray(np.int32(n_runs))
        offset_arr = jnp.asarray(np.int32(point_offset))
        dev_tables = jax.device_put(tables, replicated(self.mesh))
        sharding = runs_sharding(self.mesh)
        t0 = time.perf_counter()
        first = 0.0
        for c in range(start_chunk, n_chunks):
            g = np.arange(c * self.chunk_size, (c + 1) * self.chunk_size, dtype=np.int32)
            tc = time.perf_counter()
            out = fn(seed_arr, dev_tables, jax.device_put(g, sharding), n_runs_arr, offset_arr)
            add_into(acc.tallies, out)
            dt = time.perf_counter() - tc
            if c == start_chunk:
                first = dt
            elif c == start_chunk + 1:
                acc.compile_s = max(first - dt, 0.0)
            acc.chunks += 1
            if progress is not None:
                progress(min((c + 1) * self.chunk_size, total), total, time.perf_counter() - t0)
        if acc.chunks == 1:
            acc.compile_s = first
        acc.wall_s = time.perf_counter() - t0
        return acc

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
        thetas, s0, final, monthly = simulate_batch(self.model, seed, rows, p, r, trace=True)
        return thetas, s0, monthly, jax.vmap(self.model.outcomes)(final, thetas)
