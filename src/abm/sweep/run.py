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
import socket
import threading
import time
import uuid
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


@dataclass(frozen=True)
class SweepPlan:
    """A sweep's store, ready for its batches (made by :func:`plan_sweep`).

    Attributes:
        out: the store directory.
        config_path: the sweep file (absolute).
        config_hash: the sweep's :meth:`~abm.sweep.config.Sweep.config_hash`.
        store_uid: a random id written with the store's template: a new store (after
            ``--overwrite`` or a deletion) has a new one, so cached batch results of an
            older store never stand in for this one's.
        runs: runs per point.
        batch_points: points per batch.
        n_points: points in the sweep.
        spans: ``(start, stop)`` global point indices of every batch.
        todo: indices of the batches with points not done when planned.
    """

    out: Path
    config_path: Path
    config_hash: str
    store_uid: str
    runs: int
    batch_points: int
    n_points: int
    spans: tuple[tuple[int, int], ...]
    todo: tuple[int, ...]

    @property
    def n_batches(self) -> int:
        """Batches in the sweep."""
        return len(self.spans)

    def describe(self, name: str, where: str = "this process") -> str:
        """One log line: points, batches (to run), runs per point, where, the store."""
        return (
            f"{name}: {self.n_points} points in {self.n_batches} batches of "
            f"{self.batch_points} ({len(self.todo)} to run), {self.runs} runs per point, "
            f"{where} -> {self.out}"
        )

    @property
    def points_todo(self) -> int:
        """Points in the batches still to run (an upper bound on the points not done)."""
        return sum(self.spans[b][1] - self.spans[b][0] for b in self.todo)


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


@dataclass
class _Compiled:
    model: Any
    runner: Runner
    table: PriorTable
    pts: np.ndarray


#: Per process: the model, runner and pinned table of the sweeps run here (a Dask worker
#: or a Prefect thread runs many batches of one sweep and compiles once).
_COMPILED: dict[tuple[str, int], _Compiled] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(sweep: Sweep) -> _Compiled:
    key = (sweep.config_hash(), sweep.chunk_size)
    with _COMPILED_LOCK:
        got = _COMPILED.get(key)
        if got is None:
            model = sweep.scenario.model()
            pts = sweep.points()
            got = _Compiled(
                model=model,
                runner=Runner(model, chunk_size=sweep.chunk_size),
                table=pin(sweep.scenario.prior_table(), sweep.vary, pts),
                pts=pts,
            )
            if len(_COMPILED) >= 4:
                _COMPILED.pop(next(iter(_COMPILED)))
            _COMPILED[key] = got
        return got


def default_batch_points(sweep: Sweep, runs: int | None = None) -> int:
    """The sweep's ``batch_points``, else about :data:`CHUNKS_PER_BATCH` chunks of runs.

    At most every point, and at most what the sweep's memory budget allows.
    """
    if sweep.batch_points is not None:
        return min(sweep.n_points, sweep.batch_points)
    r = int(runs if runs is not None else sweep.runs_per_point)
    k = -(-CHUNKS_PER_BATCH * sweep.chunk_size // r)
    return max(1, min(sweep.n_points, k, sweep.max_batch_points))


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


def plan_sweep(
    sweep: Sweep,
    out: str | os.PathLike[str],
    runs: int | None = None,
    batch_points: int | None = None,
    overwrite: bool = False,
) -> SweepPlan:
    """Make ``out`` ready for the sweep: write its template, or check the one there.

    The caller holds the store's :class:`~abm.sweep.store.SweepLock` from here until the
    last batch is written.

    Args:
        sweep: a loaded sweep.
        out: the store directory.
        runs: runs per point (default: the sweep's ``runs_per_point``).
        batch_points: points per batch (default: the store's when resuming, else
            :func:`default_batch_points`); part of the results' identity (see the module
            docstring); at most the sweep's :attr:`~abm.sweep.config.Sweep.max_batch_points`.
        overwrite: replace a store at ``out`` written for another sweep (or any other
            content) instead of refusing.

    Returns:
        The plan: batches and those still to run.

    Raises:
        SweepError: if ``out`` holds another sweep's results (a different config hash,
            runs per point or batch size) or other files, and ``overwrite`` is False; or
            if a batch would not fit the sweep's memory budget.
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
    if batch_points is not None and batch_points > sweep.max_batch_points:
        raise store.SweepError(
            f"too many points for the memory budget: batches of {batch_points} points "
            f"need more than memory_budget_mb {sweep.memory_budget_mb} of {sweep.path}; "
            f"at most {sweep.max_batch_points} points per batch"
        )
    explicit = batch_points is not None or sweep.batch_points is not None
    k = min(int(batch_points or default_batch_points(sweep, r)), n_points)
    identity: dict[str, Any] = {
        "config_hash": sweep.config_hash(),
        "runs_per_point": r,
        "batch_points": k,
    }
    if out.exists() and not out.is_dir():
        raise store.SweepError(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    with store.quiet_lock():
        if store.is_store(out) and not store.template_written(out):
            # Killed while writing its template: nothing finished, start it again.
            log.warning("%s: the sweep's template was cut off; writing it again", out)
            overwrite = True
        if store.is_store(out) and not overwrite:
            attrs, done = store.read_state(out)
            if not explicit and isinstance(attrs.get("batch_points"), int):
                k = identity["batch_points"] = attrs["batch_points"]  # resume as written
            store.check_identity(out, attrs, identity)
            uid = str(attrs.get("store_uid", ""))
        else:
            others = [e for e in out.iterdir() if e.name != store.LOCK_NAME]
            if others and not overwrite:
                raise store.SweepError(
                    f"{out} is not empty and not a sweep store; pass --overwrite "
                    "(overwrite=True) to replace it"
                )
            store.clear(out)
            uid = uuid.uuid4().hex
            _write_template(sweep, out, r, k, identity["config_hash"], uid)
            done = np.zeros(n_points, dtype=bool)
    spans = tuple(batches(n_points, k))
    todo = tuple(b for b, (s, e) in enumerate(spans) if not done[s:e].all())
    return SweepPlan(
        out=out,
        config_path=Path(sweep.path).resolve(),
        config_hash=identity["config_hash"],
        store_uid=uid,
        runs=r,
        batch_points=k,
        n_points=n_points,
        spans=spans,
        todo=todo,
    )


def _write_template(
    sweep: Sweep, out: Path, runs: int, batch_points: int, config_hash: str, uid: str
) -> None:
    c = _compiled(sweep)
    n_points = sweep.n_points
    # One point's placeholders, widened lazily by the store: never the whole cube in memory.
    acc0 = Accumulator(
        tallies=empty_tallies(c.model.outcome_specs, 1, c.model.n_months, np),
        n_points=1,
        n_runs=runs,
    )
    fields = provenance.collect(
        sweep=sweep.name,
        scenario=sweep.scenario.name,
        config_path=str(sweep.path),
        scenario_path=str(sweep.scenario_path),
        config=sweep.resolved_text(),
        config_hash=config_hash,
        store_uid=uid,
        stance=sweep.scenario.stance or NO_STANCE_ATTR,
        seed=sweep.seed,
        runs_per_point=runs,
        batch_points=batch_points,
        n_points=n_points,
        n_batches=len(batches(n_points, batch_points)),
        varied=",".join(sweep.names),
        design=sweep.design.kind,
        chunk_size=c.runner.chunk_size,
        n_devices=c.runner.n_devices,
        model=c.model.name,
        run_keys="run_key(seed, point, run)",
    )
    coords = _point_coords(sweep, c.pts)
    template = build_cube(
        acc0,
        c.model.outcome_specs,
        c.model.calendar,
        fields,
        {name: values[:1] for name, values in coords.items()},
    )
    for v in sweep.vary:  # the levers' units and ranges, for plots and readers
        template[v.name].attrs.update(
            units=v.unit, kind=v.kind, long_name=f"{v.name} (varied {v.low:g} to {v.high:g})"
        )
    store.write_template(out, template, batch_points, n_points, coords)


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
        c = _compiled(sweep)
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
    if out.exists() and not out.is_dir():
        raise store.SweepError(f"{out} exists and is not a directory")
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
    "default_batch_points",
    "finish_sweep",
    "plan_sweep",
    "run_batch",
    "run_sweep",
]
