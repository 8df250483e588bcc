"""Planning a sweep's store: batch sizes, batches, and the store's template or identity.

:func:`plan_sweep` writes a new store's template (:mod:`abm.sweep.template`) or checks
that the store there belongs to this sweep (config hash, runs per point, batch size) and
lists the batches still to run. See :mod:`abm.sweep.run` for how points are batched and
keyed.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from abm import outputs
from abm.cube.schema import SCHEMA_NAME, SCHEMA_VERSION
from abm.sweep import store
from abm.sweep.design import LEGACY_LHS_METHOD, LhsDesign
from abm.sweep.spec import Sweep
from abm.sweep.template import write_template

log = logging.getLogger(__name__)

#: A batch holds about this many chunks of runs by default.
CHUNKS_PER_BATCH = 8


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


def legacy_lhs_hint(sweep: Sweep, attrs: Mapping[str, Any]) -> str:
    """What to do when a store's Latin hypercube came from the older generator.

    Stores written before :class:`~abm.sweep.design.LhsDesign` had a ``method`` record a
    design without one (the hand-written generator, ``method: strata``); resumed with
    SciPy's points they are refused by their config hash. This names the fix.

    Returns:
        The hint (starting with ``"; "``), or ``""`` when it does not apply.
    """
    if not isinstance(sweep.design, LhsDesign) or sweep.design.method == LEGACY_LHS_METHOD:
        return ""
    try:
        config = yaml.safe_load(str(attrs.get("config", "")))
    except yaml.YAMLError:
        return ""
    design = config.get("design") if isinstance(config, dict) else None
    if not isinstance(design, dict) or design.get("kind") != "lhs" or "method" in design:
        return ""
    return (
        f"; its Latin hypercube was drawn by the older generator: add `method: "
        f"{LEGACY_LHS_METHOD}` to the design of {sweep.path} to resume it"
    )


def _check_store(
    out: Path, sweep: Sweep, attrs: Mapping[str, Any], want: Mapping[str, Any]
) -> None:
    try:
        store.check_identity(out, attrs, want)
    except store.SweepError as err:
        hint = legacy_lhs_hint(sweep, attrs)
        if hint:
            raise store.SweepError(f"{err}{hint}") from err
        raise


def _size_text(out: Path) -> str:
    """The size of the files under ``out``, as ``12.3 MB`` (for the progress lines)."""
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.1f} kB"


def _marks(config_hash: str, uid: str) -> dict[str, Any]:
    """The group attributes of a new store's first write: abm's sweep, template unfinished."""
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        store.TEMPLATE_ATTR: True,
        "config_hash": config_hash,
        "store_uid": uid,
    }


def _existing(out: Path, overwrite: bool) -> str | None:
    """What is at ``out``, refused unless it may be resumed or replaced.

    Returns:
        None (absent or empty), ``"sweep"`` (an abm sweep store: resumed, or replaced
        with ``overwrite``) or ``"cube"``/``"trace"`` (an abm store that is not a sweep's,
        replaced with ``overwrite``).

    Raises:
        SweepError: if ``out`` holds anything abm did not write (with ``overwrite`` or
            not), or a cube or trace and ``overwrite`` is False.
    """
    if not out.exists():
        return None
    why = outputs.foreign_reason(out)
    if why is not None:
        raise store.SweepError(
            f"--out {out} exists and is {why}; abm never replaces it: {outputs.RULE}"
        )
    kind = store.kind(out)
    if kind in ("cube", "trace") and not overwrite:
        raise store.SweepError(
            f"--out {out} holds a scenario {kind} written by abm (abm run, compare or trace), "
            "not a sweep store; pass --overwrite (overwrite=True) to replace it, or write to "
            "another path"
        )
    return kind


def check_arguments(
    sweep: Sweep, out: Path, runs: int | None = None, batch_points: int | None = None
) -> int:
    """Check a sweep's arguments before anything is created at or beside ``out``.

    Callers check them before taking the store's lock (whose file, beside ``out``, would
    create ``out``'s missing parents): a refused sweep leaves nothing behind.

    Returns:
        The runs per point.

    Raises:
        SweepError: if ``out`` exists and is not a directory, or a batch of
            ``batch_points`` would not fit the sweep's memory budget.
        InputError: if ``out``'s name is too long for the file system.
        ValueError: if ``runs`` or ``batch_points`` is below 1, or points x runs reach
            2**31.
    """
    outputs.check_name(out, "--out")
    r = int(runs if runs is not None else sweep.runs_per_point)
    if r < 1:
        raise ValueError(f"runs must be >= 1, got {r}")
    if sweep.n_points * r >= 2**31:
        raise ValueError(f"{sweep.n_points} points x {r} runs must stay below 2**31")
    if batch_points is not None and batch_points < 1:
        raise ValueError(f"batch_points must be >= 1, got {batch_points}")
    if batch_points is not None and batch_points > sweep.max_batch_points:
        raise store.SweepError(
            f"too many points for the memory budget: batches of {batch_points} points "
            f"need more than memory_budget_mb {sweep.memory_budget_mb} of {sweep.path}; "
            f"at most {sweep.max_batch_points} points per batch"
        )
    if out.exists() and not out.is_dir():
        raise store.SweepError(f"{out} exists and is not a directory")
    return r


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
        overwrite: replace a store of abm's at ``out`` (another sweep's, or a scenario's
            cube) instead of refusing; anything abm did not write is never replaced.

    Returns:
        The plan: batches and those still to run.

    Raises:
        SweepError: if ``out`` holds another sweep's results (a different config hash,
            runs per point or batch size) or a scenario's cube and ``overwrite`` is
            False; if it holds anything abm did not write (:mod:`abm.outputs`); or if a
            batch would not fit the sweep's memory budget.
        ValueError: if ``runs`` or ``batch_points`` is below 1.
    """
    out = Path(out)
    r = check_arguments(sweep, out, runs, batch_points)
    n_points = sweep.n_points
    explicit = batch_points is not None or sweep.batch_points is not None
    k = min(int(batch_points or default_batch_points(sweep, r)), n_points)
    identity: dict[str, Any] = {
        "config_hash": sweep.config_hash(),
        "runs_per_point": r,
        "batch_points": k,
    }
    with store.quiet_lock():
        kind = _existing(out, overwrite)
        if kind == "sweep" and not store.template_written(out):
            # Killed while writing its template: nothing finished, start it again.
            log.warning("%s: the sweep's template was cut off; writing it again", out)
        elif kind == "sweep" and not overwrite:
            attrs, done = store.read_state(out)
            if not explicit and isinstance(attrs.get("batch_points"), int):
                k = identity["batch_points"] = attrs["batch_points"]  # resume as written
            _check_store(out, sweep, attrs, identity)
            uid = str(attrs.get("store_uid", ""))
            kind = "resume"
        if kind != "resume":
            if kind is not None:
                store.remove(out)
            uid = uuid.uuid4().hex
            # The first write marks the store as abm's sweep, its template unfinished.
            store.create(out, _marks(identity["config_hash"], uid))
            log.info(
                "%s: writing the template of %d points x %d runs (batches of %d) ...",
                out,
                n_points,
                r,
                k,
            )
            t0 = time.perf_counter()
            write_template(sweep, out, r, k, identity["config_hash"], uid)
            log.info(
                "%s: template written in %.1f s (%s on disk)",
                out,
                time.perf_counter() - t0,
                _size_text(out),
            )
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


__all__ = [
    "CHUNKS_PER_BATCH",
    "SweepPlan",
    "batches",
    "check_arguments",
    "default_batch_points",
    "legacy_lhs_hint",
    "plan_sweep",
]
