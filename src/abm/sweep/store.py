"""One Zarr v3 store per sweep, written batch by batch, resumable, with a writer lock.

Layout: the full cube of every point is written first as a template (zero tallies,
``points_done`` all False), chunked along ``point`` in chunks of ``batch_points`` so that
two batches never share a chunk. Each finished batch is then written into its region of
the ``point`` dimension (``to_zarr(region=..., mode="r+")``) and only afterwards its
``points_done`` flags are set, in a separate write: a point whose flag is False is
unfinished, never silently zero (:func:`abm.cube.open_cube` reads it as NaN). Region
writes write every chunk, empty ones too, and the template records the store's arrays
(:mod:`abm.cube.integrity`), so that a missing chunk of a done point is found on opening.

A store is identified by the sweep's :meth:`~abm.sweep.config.Sweep.config_hash`, the
runs per point and the batch size (attributes ``config_hash``, ``runs_per_point`` and
``batch_points``); a resumed sweep must match all three.

Writers: :class:`SweepLock` is the lock of :mod:`abm.locks` that every writer of the
path takes (``.OUT.lock`` beside the store, held with ``flock``: released by the
operating system when its holder dies, so a dead writer's lock never blocks): a second
writer is refused while the first lives.

Ownership: :func:`create` starts a store with one atomic rename of a directory whose group
metadata already marks it as an abm sweep's (``schema``, ``store_uid``,
``template_incomplete``), so a store cut off at any moment is recognised as abm's
(:mod:`abm.outputs`); :func:`remove` deletes only such a store.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr
import zarr

from abm.cube import integrity
from abm.cube.schema import POINT_DIM
from abm.errors import InputError
from abm.locks import LockedError, StoreLock
from abm.outputs import store_kind

log = logging.getLogger(__name__)

#: The lock file's name inside the store, as older versions wrote it (now beside it:
#: :func:`abm.locks.lock_path`); a leftover one is ignored.
LOCK_NAME = ".abm-sweep.lock"
#: The per-point completion flags.
DONE_VAR = "points_done"
#: True while the template is being written (an interrupted start).
TEMPLATE_ATTR = "template_incomplete"
#: Attributes that identify a sweep store (a resumed sweep must match them).
IDENTITY_ATTRS = ("config_hash", "runs_per_point", "batch_points")


class SweepError(InputError, ValueError):
    """A sweep store that cannot be written: another writer, or another sweep's store."""


class SweepLockedError(SweepError, LockedError):
    """The sweep's store is being written by another process (the message names it)."""


class SweepLock(StoreLock):
    """The writer lock of a sweep store (a context manager): :class:`abm.locks.StoreLock`.

    The lock file is ``.NAME.lock`` beside the store (not inside it), the same file that
    :func:`abm.cube.write_cube` and every other writer of the path take.

    Args:
        out: the store directory (its parent is created if missing).
    """

    error = SweepLockedError

    def __init__(self, out: str | os.PathLike[str]) -> None:
        super().__init__(out, what="sweep")
        self.out = Path(out)


@contextmanager
def quiet_lock() -> Iterator[None]:
    """Silence Zarr's warning that the lock file is no part of the hierarchy."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=f".*{LOCK_NAME}.*not recognized")
        yield


def is_store(out: Path) -> bool:
    """Whether ``out`` holds a Zarr store (a ``zarr.json`` at its root)."""
    return (out / "zarr.json").is_file()


def read_state(out: Path) -> tuple[dict[str, Any], np.ndarray]:
    """A store's attributes and its ``points_done`` flags."""
    group = zarr.open_group(out, mode="r", zarr_format=3)
    attrs = dict(group.attrs)
    arr = group[DONE_VAR]
    if not isinstance(arr, zarr.Array):
        raise SweepError(f"{out}/{DONE_VAR} is not an array")
    done = np.asarray(arr[...], dtype=bool)
    return attrs, done


def check_identity(out: Path, attrs: Mapping[str, Any], want: Mapping[str, Any]) -> None:
    """Refuse a store written for another sweep (hash, runs per point or batch size).

    Raises:
        SweepError: naming every attribute that differs.
    """
    diffs = [
        f"{k} {attrs.get(k)!r} (this sweep: {want[k]!r})"
        for k in IDENTITY_ATTRS
        if attrs.get(k) != want[k]
    ]
    if diffs:
        raise SweepError(
            f"{out} holds another sweep's results: {'; '.join(diffs)}; pass --overwrite "
            "(overwrite=True) to replace it, or write to another path"
        )


def clear(out: Path) -> None:
    """Delete everything in ``out``, its group metadata (``zarr.json``) last.

    Cut off midway, what is left is still marked as abm's, and its template as unfinished
    (:func:`template_written` is False without ``points_done``).
    """
    entries = sorted(out.iterdir(), key=lambda e: e.name == "zarr.json")
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def remove(out: Path) -> None:
    """Delete the store ``out`` (one of abm's, checked by the caller): renamed aside first.

    Renamed to a hidden sibling ``.NAME.old-<uuid>`` in one step, then deleted; where it
    cannot be renamed (a mount point) it is cleared in place by :func:`clear`.
    """
    aside = out.parent / f".{out.name}.old-{uuid.uuid4().hex}"
    try:
        os.rename(out, aside)
    except OSError:
        clear(out)
        return
    shutil.rmtree(aside, ignore_errors=True)


def create(out: Path, attrs: Mapping[str, Any]) -> None:
    """Start a new store at ``out`` (absent or an empty directory), marked as abm's.

    Its group metadata, with ``attrs`` (the sweep's marks: ``schema``, ``store_uid``,
    ``template_incomplete``...), is written into a hidden sibling that is then renamed to
    ``out`` in one step: ``out`` is never a store without the marks.

    Args:
        out: the store directory.
        attrs: the group's attributes.
    """
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex}"
    out.parent.mkdir(parents=True, exist_ok=True)
    zarr.open_group(tmp, mode="w", zarr_format=3, attributes=dict(attrs))
    try:
        os.rename(tmp, out)  # replaces an empty directory
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if out.is_dir() and not any(out.iterdir()):  # a mount point, say: write in place
            zarr.open_group(out, mode="w", zarr_format=3, attributes=dict(attrs))
            return
        raise


def kind(out: Path) -> str | None:
    """What abm store ``out`` is (:func:`abm.outputs.store_kind`): sweep, cube, trace, None."""
    return store_kind(out)


def _plain(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy(deep=False)
    out.encoding = {}
    for var in out.variables.values():
        var.encoding = {}
    return out


def write_template(
    out: Path,
    template: xr.Dataset,
    batch_points: int,
    n_points: int | None = None,
    point_coords: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Write the full-size template with ``points_done`` all False.

    Every variable on the ``point`` dimension is chunked ``batch_points`` points at a time
    (whole along its other dimensions), so that batches never share a chunk.

    Args:
        out: the store directory.
        template: a cube of placeholder values; with ``n_points``, a cube of one point
            whose variables are widened lazily (dask zeros, written chunk by chunk): the
            sweep's whole cube is never held in memory.
        batch_points: points per batch (the chunk along ``point``).
        n_points: the sweep's points (default: the template's).
        point_coords: the sweep's coordinates along ``point`` (``[n_points]`` each).
    """
    ds = _plain(template)
    if n_points is not None:
        ds = _widen(ds, n_points, batch_points, point_coords or {})
    n_points = ds.sizes[POINT_DIM]
    ds[DONE_VAR] = xr.DataArray(np.zeros(n_points, dtype=bool), dims=(POINT_DIM,))
    ds[DONE_VAR].attrs = {
        "long_name": "points whose results are written",
        "description": "False: the point's values are placeholders, not results",
    }
    encoding: dict[str, dict[str, Any]] = {}
    for name, var in ds.variables.items():
        if POINT_DIM in var.dims:
            chunks = tuple(
                min(batch_points, n) if d == POINT_DIM else n
                for d, n in zip(var.dims, var.shape, strict=True)
            )
            encoding[str(name)] = {"chunks": chunks}
    # Written with the group's metadata, first; cleared once every array is written. A
    # sweep killed in between leaves a store that resumes by writing its template again.
    # The integrity record (abm.cube.integrity) names the arrays now and gets the chunk
    # counts of the arrays batches never write at the end, in the same attribute update.
    batched = [str(n) for n, v in ds.data_vars.items() if POINT_DIM in v.dims]
    fixed = [str(n) for n in ds.variables if str(n) not in batched]
    ds.attrs[TEMPLATE_ATTR] = True
    ds.attrs[integrity.RECORD_ATTR] = integrity.sweep_record(batched, fixed)
    ds.to_zarr(out, mode="a", zarr_format=3, consolidated=False, encoding=encoding)
    counts = integrity.fixed_counts(out, fixed)
    record = integrity.sweep_record(batched, fixed, counts)
    update_attrs(out, {TEMPLATE_ATTR: False, integrity.RECORD_ATTR: record})


def template_written(out: Path) -> bool:
    """Whether the store's template was written to the end (see :func:`write_template`).

    A store whose group metadata cannot be read, or is still marked incomplete, is not.
    """
    try:
        group = zarr.open_group(out, mode="r", zarr_format=3)
    except Exception:  # no group metadata yet, or cut off while written
        return False
    return group.attrs.get(TEMPLATE_ATTR) is not True and DONE_VAR in group


def _widen(
    one: xr.Dataset, n_points: int, batch_points: int, point_coords: Mapping[str, np.ndarray]
) -> xr.Dataset:
    """A one-point cube widened to ``n_points``: lazy zeros, the given coordinates."""
    coords: dict[str, Any] = {POINT_DIM: np.arange(n_points, dtype=np.int64)}
    for coord, values in point_coords.items():
        coords[coord] = (POINT_DIM, np.asarray(values), one[coord].attrs)
    data: dict[str, Any] = {}
    for name, var in one.data_vars.items():
        if POINT_DIM not in var.dims:
            data[str(name)] = var
            continue
        dims = list(zip(var.dims, var.shape, strict=True))
        shape = tuple(n_points if d == POINT_DIM else n for d, n in dims)
        chunks = tuple(batch_points if d == POINT_DIM else n for d, n in dims)
        data[str(name)] = xr.DataArray(
            da.zeros(shape, dtype=var.dtype, chunks=chunks), dims=var.dims, attrs=var.attrs
        )
    other = {k: v for k, v in one.coords.items() if POINT_DIM not in v.dims}
    out = xr.Dataset(data, coords={**coords, **other}, attrs=one.attrs)
    out[POINT_DIM].attrs = one[POINT_DIM].attrs
    return out


def write_region(out: Path, batch: xr.Dataset, start: int) -> None:
    """Write one batch's results into its region, then mark its points done.

    Args:
        out: the store.
        batch: the batch's cube (``point`` dimension of the batch's size); its coordinates
            are already in the store and are not written again.
        start: the batch's first global point index.
    """
    k = batch.sizes[POINT_DIM]
    region = {POINT_DIM: slice(start, start + k)}
    data = _plain(batch).drop_vars(list(batch.coords))
    data = data.drop_vars([n for n, v in data.data_vars.items() if POINT_DIM not in v.dims])
    data.attrs = {}
    # Every chunk of the region is written, empty ones too: abm.cube.integrity checks
    # that each chunk of a done point exists.
    data.to_zarr(
        out, mode="r+", region=region, zarr_format=3, consolidated=False, write_empty_chunks=True
    )
    flags = xr.Dataset({DONE_VAR: ((POINT_DIM,), np.ones(k, dtype=bool))})
    flags.to_zarr(
        out, mode="r+", region=region, zarr_format=3, consolidated=False, write_empty_chunks=True
    )


def update_attrs(out: Path, attrs: Mapping[str, Any]) -> None:
    """Update the store's dataset attributes in place."""
    group = zarr.open_group(out, mode="r+", zarr_format=3)
    group.attrs.update(dict(attrs))


__all__ = [
    "DONE_VAR",
    "IDENTITY_ATTRS",
    "LOCK_NAME",
    "TEMPLATE_ATTR",
    "SweepError",
    "SweepLock",
    "SweepLockedError",
    "check_identity",
    "clear",
    "create",
    "is_store",
    "kind",
    "quiet_lock",
    "read_state",
    "remove",
    "template_written",
    "update_attrs",
    "write_region",
    "write_template",
]
