"""One batch of a sweep: simulate its points and write them into the store's region.

:func:`run_batch` is idempotent and safe in any process that sees the store (a Dask
worker): batches write disjoint chunks. :func:`finish_sweep` stamps a store whose points
are all done.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np

from abm import provenance
from abm.cube import build_cube
from abm.engine.priors import PriorTable
from abm.engine.runner import Accumulator
from abm.sweep import store
from abm.sweep.compiled import compiled
from abm.sweep.plan import batches
from abm.sweep.spec import Sweep


@dataclass(frozen=True)
class BatchResult:
    """What one batch did (small: Prefect persists it as the task's cached result).

    Attributes:
        batch: the batch's index.
        start: its first global point index.
        stop: one past its last.
        runs: runs simulated (0 when the batch was already done in the store).
        wall_s: seconds simulating and writing.
        compile_s: seconds of that spent compiling.
        skipped: True when the store already held the batch.
        worker: ``host:pid`` of the process that ran it (a Dask worker, or this one).
    """

    batch: int
    start: int
    stop: int
    runs: int
    wall_s: float
    compile_s: float
    skipped: bool
    worker: str = ""

    @property
    def runs_per_s(self) -> float:
        """Runs per second of this batch (0 when skipped)."""
        return self.runs / self.wall_s if self.wall_s > 0 else 0.0


def _slice_table(table: PriorTable, start: int, stop: int, size: int) -> PriorTable:
    """Rows ``start:stop``, padded to ``size`` rows with copies of the last one."""
    idx = np.minimum(np.arange(start, start + size), stop - 1)
    return jax.tree.map(lambda x: np.asarray(x)[idx], table)


def _take(acc: Accumulator, k: int) -> Accumulator:
    """The first ``k`` points of an accumulator."""
    return Accumulator(
        tallies={name: t[:k] for name, t in acc.tallies.items()},
        n_points=k,
        n_runs=acc.n_runs,
        wall_s=acc.wall_s,
        compile_s=acc.compile_s,
        chunks=acc.chunks,
    )


def run_batch(
    sweep: Sweep, out: str | os.PathLike[str], batch: int, runs: int, batch_points: int
) -> BatchResult:
    """Simulate batch ``batch`` of the sweep and write it into its region of ``out``.

    Idempotent: a batch whose points are all done in the store is skipped. Safe to run
    in any process that sees ``out`` (a Dask worker): batches write disjoint chunks.

    Args:
        sweep: the loaded sweep (its config hash must match the store's).
        out: the store, planned by :func:`plan_sweep`.
        batch: the batch's index.
        runs: runs per point (the plan's).
        batch_points: points per batch (the plan's).

    Raises:
        SweepError: if the store is not this sweep's (identity differs) or ``batch`` is
            out of range.
    """
    out = Path(out)
    spans = batches(sweep.n_points, batch_points)
    if not 0 <= batch < len(spans):
        raise store.SweepError(f"batch {batch} out of range: {out} has {len(spans)} batches")
    s, e = spans[batch]
    t0 = time.perf_counter()
    with store.quiet_lock():
        attrs, done = store.read_state(out)
        store.check_identity(
            out,
            attrs,
            {
                "config_hash": sweep.config_hash(),
                "runs_per_point": runs,
                "batch_points": batch_points,
            },
        )
        if done[s:e].all():
            return BatchResult(
                batch, s, e, 0, time.perf_counter() - t0, 0.0, skipped=True, worker=_worker()
            )
        c = compiled(sweep)
        acc = c.runner.run(
            sweep.seed, _slice_table(c.table, s, e, batch_points), runs, point_offset=s
        )
        acc = _take(acc, e - s)
        # points={}: keep the point dimension even for a batch of one point.
        cube = build_cube(acc, c.model.outcome_specs, c.model.calendar, {}, points={})
        store.write_region(out, cube, s)
    return BatchResult(
        batch,
        s,
        e,
        (e - s) * runs,
        time.perf_counter() - t0,
        float(acc.compile_s),
        skipped=False,
        worker=_worker(),
    )


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def finish_sweep(out: str | os.PathLike[str], wall_s: float) -> bool:
    """Stamp a store whose points are all done (``wall_time_s``, ``finished``).

    Returns:
        Whether every point is done.
    """
    out = Path(out)
    with store.quiet_lock():
        _, done = store.read_state(out)
        if not done.all():
            return False
        store.update_attrs(
            out, {"wall_time_s": round(float(wall_s), 3), "finished": provenance.now_utc()}
        )
    return True


__all__ = ["BatchResult", "finish_sweep", "run_batch"]
