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
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np
import xarray as xr

from abm import provenance
from abm.config.scenario import NO_STANCE_ATTR
from abm.cube import build_cube, open_cube
from abm.engine.priors import PriorTable
from abm.engine.reducers import empty_tallies
from abm.engine.runner import Accumulator, Runner
from abm.sweep import store
from abm.sweep.config import Sweep
from abm.sweep.tables import pin

log = logging.getLogger(__name__)

#: A batch holds about this many chunks of runs by default.
CHUNKS_PER_BATCH = 8


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


def default_batch_points(sweep: Sweep, runs: int | None = None) -> int:
    """About :data:`CHUNKS_PER_BATCH` chunks of runs per batch, at most every point."""
    r = int(runs if runs is not None else sweep.runs_per_point)
    k = -(-CHUNKS_PER_BATCH * sweep.chunk_size // r)
    return max(1, min(sweep.n_points, k))


def batches(n_points: int, batch_points: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each batch: consecutive, all of ``batch_points`` but the last."""
    return [(s, min(s + batch_points, n_points)) for s in range(0, n_points, batch_points)]


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


def _point_coords(sweep: Sweep, pts: np.ndarray) -> dict[str, np.ndarray]:
    return {name: pts[:, d] for d, name in enumerate(sweep.names)}


def run_sweep(
    sweep: Sweep,
    out: str | os.PathLike[str],
    runs: int | None = None,
    batch_points: int | None = None,
    progress: SweepProgress | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Simulate a sweep into the Zarr store ``out``, resuming a store left unfinished.

    Args:
        sweep: a loaded sweep.
        out: the store directory.
        runs: runs per point (default: the sweep's ``runs_per_point``).
        batch_points: points per batch (default: the store's when resuming, else
            :func:`default_batch_points`); part of the results' identity (see the module
            docstring).
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
    r = int(runs if runs is not None else sweep.runs_per_point)
    if r < 1:
        raise ValueError(f"runs must be >= 1, got {r}")
    n_points = sweep.n_points
    if n_points * r >= 2**31:
        raise ValueError(f"{n_points} points x {r} runs must stay below 2**31")
    if batch_points is not None and batch_points < 1:
        raise ValueError(f"batch_points must be >= 1, got {batch_points}")
    k = min(int(batch_points or default_batch_points(sweep, r)), n_points)
    identity: dict[str, Any] = {
        "config_hash": sweep.config_hash(),
        "runs_per_point": r,
        "batch_points": k,
    }
    if out.exists() and not out.is_dir():
        raise store.SweepError(f"{out} exists and is not a directory")
    pts = sweep.points()
    table = pin(sweep.scenario.prior_table(), sweep.vary, pts)
    model = sweep.scenario.model()
    runner = Runner(model, chunk_size=sweep.chunk_size)
    with store.SweepLock(out), store.quiet_lock():
        if store.is_store(out) and not overwrite:
            attrs, done = store.read_state(out)
            if batch_points is None and isinstance(attrs.get("batch_points"), int):
                k = identity["batch_points"] = attrs["batch_points"]  # resume as written
            store.check_identity(out, attrs, identity)
        else:
            others = [e for e in out.iterdir() if e.name != store.LOCK_NAME]
            if others and not overwrite:
                raise store.SweepError(
                    f"{out} is not empty and not a sweep store; pass --overwrite "
                    "(overwrite=True) to replace it"
                )
            store.clear(out)
            acc0 = Accumulator(
                tallies=empty_tallies(model.outcome_specs, n_points, model.n_months, np),
                n_points=n_points,
                n_runs=r,
            )
            fields = provenance.collect(
                sweep=sweep.name,
                scenario=sweep.scenario.name,
                config_path=str(sweep.path),
                scenario_path=str(sweep.scenario_path),
                config=sweep.resolved_text(),
                config_hash=identity["config_hash"],
                stance=sweep.scenario.stance or NO_STANCE_ATTR,
                seed=sweep.seed,
                runs_per_point=r,
                batch_points=k,
                n_points=n_points,
                n_batches=len(batches(n_points, k)),
                varied=",".join(sweep.names),
                chunk_size=runner.chunk_size,
                n_devices=runner.n_devices,
                model=model.name,
                run_keys="run_key(seed, point, run)",
            )
            template = build_cube(
                acc0, model.outcome_specs, model.calendar, fields, _point_coords(sweep, pts)
            )
            store.write_template(out, template, k)
            done = np.zeros(n_points, dtype=bool)
        spans = batches(n_points, k)
        todo = [(b, s, e) for b, (s, e) in enumerate(spans) if not done[s:e].all()]
        log.info(
            "%s: %d points in %d batches of %d, %d batch(es) to run, %d runs per point",
            sweep.name,
            n_points,
            len(spans),
            k,
            len(todo),
            r,
        )
        n_done = int(done.sum())
        runs_done = 0
        t0 = time.perf_counter()
        for b, s, e in todo:
            acc = runner.run(sweep.seed, _slice_table(table, s, e, k), r, point_offset=s)
            acc = _take(acc, e - s)
            # points={}: keep the point dimension even for a batch of one point.
            cube = build_cube(acc, model.outcome_specs, model.calendar, {}, points={})
            store.write_region(out, cube, s)
            n_done += int((~done[s:e]).sum())
            done[s:e] = True
            runs_done += (e - s) * r
            if progress is not None:
                progress(
                    BatchDone(b, len(spans), n_done, n_points, runs_done, time.perf_counter() - t0)
                )
        if todo:
            store.update_attrs(
                out,
                {
                    "wall_time_s": round(time.perf_counter() - t0, 3),
                    "finished": provenance.now_utc(),
                },
            )
        ds = open_cube(out, lazy=False)
    return ds


__all__ = [
    "CHUNKS_PER_BATCH",
    "BatchDone",
    "SweepProgress",
    "batches",
    "default_batch_points",
    "run_sweep",
]
