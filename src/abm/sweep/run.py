"""Run a sweep batch by batch into one resumable Zarr store.

The sweep's points are cut into consecutive batches of ``batch_points`` points; each
batch is simulated by one compiled program (:class:`~abm.engine.runner.Runner`, its
points vmapped inside each chunk), built into a cube and written into its region of the
store (:mod:`abm.sweep.store`).

Random keys and batching. Run ``r`` of sweep point ``p`` has the key
``fold_in(fold_in(key(seed), p), r)`` (:mod:`abm.engine.keys`), with ``p`` the point's
index in the whole sweep (the runner's ``point_offset``): results do not depend on how
the points are cut into batches, and a point's runs are those of the same point in any
other sweep of the same seed. ``batch_points`` still belongs to the store's identity
(attribute ``batch_points``, checked on resume), because the store is chunked by batch.

Every batch, the last one included, runs with ``batch_points`` points (the last one is
padded with copies of its last point, whose results are dropped), so a sweep compiles one
program.

Modules: :mod:`abm.sweep.plan` (batch sizes, the store's template or identity),
:mod:`abm.sweep.batch` (one batch; finishing), :mod:`abm.sweep.template`,
:mod:`abm.sweep.compiled`; this one runs them in order and re-exports their names. The
cube it returns, like :func:`abm.cube.open_cube`, has a grid sweep on one dimension per
lever (:mod:`abm.cube.grid`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from abm.cube import open_cube
from abm.sweep import store
from abm.sweep.batch import BatchResult, finish_sweep, run_batch
from abm.sweep.plan import (
    CHUNKS_PER_BATCH,
    SweepPlan,
    batches,
    check_arguments,
    default_batch_points,
    plan_sweep,
)
from abm.sweep.spec import Sweep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchDone:
    """Progress after a batch is written and marked done.

    Attributes:
        batch: the batch's index.
        n_batches: batches in the sweep.
        points_done: points done in the store (resumed ones included).
        n_points: points in the sweep.
        runs_done: runs simulated by this call so far.
        seconds: seconds since this call started simulating.
    """

    batch: int
    n_batches: int
    points_done: int
    n_points: int
    runs_done: int
    seconds: float

    @property
    def runs_per_s(self) -> float:
        """Runs simulated per second by this call."""
        return self.runs_done / self.seconds if self.seconds > 0 else 0.0


SweepProgress = Callable[[BatchDone], None]


def run_sweep(
    sweep: Sweep,
    out: str | os.PathLike[str],
    runs: int | None = None,
    batch_points: int | None = None,
    progress: SweepProgress | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Simulate a sweep into the Zarr store ``out``, resuming a store left unfinished.

    The same steps as the Prefect flow (:mod:`abm.service.flow`), in this process:
    :func:`plan_sweep`, :func:`run_batch` for each batch still to run,
    :func:`finish_sweep`, all under the store's lock.

    Args:
        sweep: a loaded sweep.
        out: the store directory.
        runs: runs per point (default: the sweep's ``runs_per_point``).
        batch_points: points per batch (default: the store's when resuming, else
            :func:`default_batch_points`); part of the results' identity (see the module
            docstring); at most the sweep's :attr:`~abm.sweep.config.Sweep.max_batch_points`.
        progress: called after each batch is written and marked done.
        overwrite: replace a store at ``out`` written for another sweep (or any other
            content) instead of refusing.

    Returns:
        The finished cube, read back from ``out`` (with ``points_done``).

    Raises:
        SweepError: if another writer holds ``out``, or ``out`` holds another sweep's
            results (a different config hash, runs per point or batch size) and
            ``overwrite`` is False.
        ValueError: if ``runs`` or ``batch_points`` is below 1.
    """
    out = Path(out)
    check_arguments(sweep, out, runs, batch_points)  # before the lock: nothing created
    with store.SweepLock(out):
        plan = plan_sweep(sweep, out, runs, batch_points, overwrite)
        log.info("%s", plan.describe(sweep.name))
        n_done = plan.n_points - plan.points_todo
        runs_done = 0
        t0 = time.perf_counter()
        for b in plan.todo:
            res = run_batch(sweep, out, b, plan.runs, plan.batch_points)
            n_done += res.stop - res.start
            runs_done += res.runs
            if progress is not None:
                progress(
                    BatchDone(
                        b,
                        plan.n_batches,
                        n_done,
                        plan.n_points,
                        runs_done,
                        time.perf_counter() - t0,
                    )
                )
        if plan.todo:
            finish_sweep(out, time.perf_counter() - t0)
        with store.quiet_lock():
            ds = open_cube(out, lazy=False)
    return ds


__all__ = [
    "CHUNKS_PER_BATCH",
    "BatchDone",
    "BatchResult",
    "SweepPlan",
    "SweepProgress",
    "batches",
    "check_arguments",
    "default_batch_points",
    "finish_sweep",
    "plan_sweep",
    "run_batch",
    "run_sweep",
]
