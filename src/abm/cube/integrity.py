"""What a stored cube must contain, checked cheaply when it is opened.

Every store written by this package carries an integrity record, the dataset attribute
:data:`RECORD_ATTR` (a JSON string), and :func:`verify` checks it by reading small
metadata files and listing chunk files, never the data:

* A cube (:func:`abm.cube.write_cube`, layout ``cube``): its arrays and the number of
  chunk files of each, recorded by :func:`seal` once the data is written and before the
  store is renamed into place (the record is written last). A missing array directory,
  a missing ``zarr.json`` or fewer chunk files than recorded is refused.
* A sweep store (:mod:`abm.sweep.store`, layout ``sweep``): its arrays are fixed by the
  template (the record names them when the template starts; the arrays not written by
  batches get their chunk counts when it ends). Batches write every chunk of their region
  (empty ones too), so each chunk of a point marked done in ``points_done`` must exist.
  A store whose template was cut off is refused.

A directory named like the temporary or set-aside sibling of an atomic write
(``.NAME.tmp-<32 hex>``, ``.NAME.old-<32 hex>``) is a leftover of an interrupted write and
never opens as a cube.

Stores written before this record existed (no :data:`RECORD_ATTR`) are accepted with a
logged warning that they cannot be verified, so older results keep opening.

Unfinished sweep points: :func:`mask_unfinished` turns every variable on ``point`` into
missing values where ``points_done`` is False (NaN for floats; integer variables become
float64 with NaN, exact up to 2**53, only when some point is unfinished) and sets the
attributes ``points_done_count`` and ``n_points``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from itertools import product
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from abm.cube.schema import POINT_DIM, SCHEMA_NAME, CubeError

log = logging.getLogger(__name__)

#: Dataset attribute holding the integrity record (a JSON string).
RECORD_ATTR = "abm_integrity"
#: Version of the record's layout.
RECORD_VERSION = 1
#: The per-point completion flags of a sweep store (:mod:`abm.sweep.store`).
DONE_VAR = "points_done"
#: The sweep-template attribute that is True while the template is written.
TEMPLATE_ATTR = "template_incomplete"
#: Attributes :func:`mask_unfinished` sets on a cube with ``points_done``.
DONE_COUNT_ATTR = "points_done_count"
N_POINTS_ATTR = "n_points"

_LEFTOVER = re.compile(r"^\..+\.(tmp|old)-[0-9a-f]{32}$")
_META = "zarr.json"


def is_leftover(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is named like the hidden sibling of an interrupted atomic write."""
    return bool(_LEFTOVER.match(Path(path).name))


def leftovers(path: str | os.PathLike[str]) -> list[Path]:
    """Hidden siblings of ``path`` left by interrupted writes (``.NAME.tmp-<uuid>``...)."""
    path = Path(path)
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return []
    prefix = f".{path.name}."
    return sorted(e for e in entries if e.name.startswith(prefix) and is_leftover(e))


def report_leftovers(path: str | os.PathLike[str]) -> list[Path]:
    """Log a warning naming the leftovers of interrupted writes of ``path``.

    They are reported, not deleted: a ``.old-`` copy may be the only copy of a cube whose
    replacement was interrupted, and a ``.tmp-`` one may belong to a write in progress.
    :func:`verify` refuses to open either as a cube.

    Returns:
        The leftovers found.
    """
    found = leftovers(path)
    if found:
        log.warning(
            "%s: %d leftover(s) of interrupted writes beside it, not cubes (delete them once "
            "no write is running; a .old- one may hold the previous cube): %s",
            path,
            len(found),
            ", ".join(str(f) for f in found),
        )
    return found


def _arrays(store: Path) -> list[str]:
    """Names of the arrays at the store's root (directories with a ``zarr.json``)."""
    return sorted(e.name for e in store.iterdir() if e.is_dir() and (e / _META).is_file())


def _chunk_files(array: Path) -> set[str]:
    """Chunk files of one array, relative to its directory (``c/0/1``); not ``zarr.json``."""
    out: set[str] = set()
    for root, _, files in os.walk(array):
        rel = os.path.relpath(root, array)
        for f in files:
            key = f if rel == "." else f"{rel}/{f}"
            if key != _META:
                out.add(key.replace(os.sep, "/"))
    return out


def _dump(record: Mapping[str, Any]) -> str:
    return json.dumps(dict(record), sort_keys=True, separators=(",", ":"))


def cube_record(store: str | os.PathLike[str]) -> str:
    """The record of a written cube: its arrays and each one's chunk-file count."""
    store = Path(store)
    counts = {name: len(_chunk_files(store / name)) for name in _arrays(store)}
    return _dump({"version": RECORD_VERSION, "layout": "cube", "arrays": counts})


def sweep_record(
    batched: Iterable[str], fixed: Iterable[str], counts: Mapping[str, int] | None = None
) -> str:
    """The record of a sweep store.

    Args:
        batched: arrays that batches write by region of ``point`` (``points_done`` too).
        fixed: arrays written by the template only (coordinates).
        counts: chunk-file counts of ``fixed`` once the template is written (None while
            it is being written).
    """
    return _dump(
        {
            "version": RECORD_VERSION,
            "layout": "sweep",
            "batched": sorted(batched),
            "fixed": sorted(fixed),
            "arrays": dict(counts) if counts is not None else None,
        }
    )


def fixed_counts(store: str | os.PathLike[str], fixed: Iterable[str]) -> dict[str, int]:
    """Chunk-file counts of a sweep store's template-only arrays."""
    store = Path(store)
    return {name: len(_chunk_files(store / name)) for name in fixed}


def seal(store: str | os.PathLike[str]) -> None:
    """Write a finished cube's integrity record into its group metadata (last).

    Call once every array is written, before the store is renamed into place.
    """
    import zarr

    store = Path(store)
    record = cube_record(store)
    group = zarr.open_group(store, mode="r+", zarr_format=3)
    group.attrs.update({RECORD_ATTR: record})


def _root_attrs(path: Path) -> dict[str, Any]:
    meta_path = path / _META
    if not meta_path.is_file():
        raise CubeError(
            f"{path} is not an abm cube: its metadata {meta_path} is missing (not a Zarr store)"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CubeError(
            f"{path} is not a readable cube: its metadata {meta_path} is corrupt ({exc})"
        ) from exc
    attrs = meta.get("attributes") if isinstance(meta, dict) else None
    if not isinstance(attrs, dict):
        raise CubeError(f"{path} is not a readable cube: {meta_path} holds no group attributes")
    return attrs


def _parse(path: Path, text: object) -> dict[str, Any]:
    try:
        record = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        record = None
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
        raise CubeError(f"{path}: its integrity record ({RECORD_ATTR}) is unreadable: {text!r:.80}")
    return record


def verify(path: str | os.PathLike[str]) -> np.ndarray | None:
    """Refuse a store that lacks what its integrity record says it holds.

    Cheap: reads the root and per-array ``zarr.json`` and ``points_done`` (one bool per
    point), and lists chunk files; no data is read.

    Args:
        path: the store directory (it exists).

    Returns:
        A sweep store's ``points_done`` flags ``[n_points]`` as read here (for
        :func:`mask_unfinished`), or None.

    Raises:
        CubeError: naming what is missing (arrays, chunk files, the template, metadata),
            or when ``path`` is a leftover of an interrupted write.
    """
    path = Path(path)
    if is_leftover(path):
        raise CubeError(
            f"{path} is not a cube: it is the leftover of an interrupted write (a hidden "
            "temporary or set-aside copy); delete it"
        )
    attrs = _root_attrs(path)
    if RECORD_ATTR not in attrs:
        if attrs.get(TEMPLATE_ATTR) is True:
            raise _cut_template(path)
        if attrs.get("schema") != SCHEMA_NAME:
            return None  # not an abm cube: the schema check names it
        log.warning(
            "%s has no integrity record (written before abm recorded one): opened unverified",
            path,
        )
        return None
    record = _parse(path, attrs[RECORD_ATTR])
    if record.get("layout") == "sweep":
        if attrs.get(TEMPLATE_ATTR) is not False or record.get("arrays") is None:
            raise _cut_template(path)
        return _verify_sweep(path, record)
    _verify_counts(path, record.get("arrays") or {})
    return None


def _cut_template(path: Path) -> CubeError:
    return CubeError(
        f"{path} is an incomplete sweep store: its template was cut off as the sweep "
        "started (no point is done); run the sweep again to resume it"
    )


def _missing_arrays(path: Path, names: Iterable[str]) -> list[str]:
    return [n for n in names if not (path / n / _META).is_file()]


def _verify_counts(path: Path, counts: Mapping[str, int]) -> None:
    missing = _missing_arrays(path, counts)
    if missing:
        raise CubeError(
            f"{path} is incomplete: variable(s) {', '.join(missing)} are missing "
            f"(no {'/'.join(('NAME', _META))})"
        )
    short = []
    for name, want in counts.items():
        have = len(_chunk_files(path / name))
        if have < int(want):
            short.append(f"{name} ({int(want) - have} of its {int(want)} chunk files)")
    if short:
        raise CubeError(f"{path} is incomplete: chunk files are missing: {'; '.join(short)}")


def _chunk_key(meta: Mapping[str, Any], index: tuple[int, ...]) -> str | None:
    """A chunk's file key under its array, or None for an unknown key encoding."""
    enc = meta.get("chunk_key_encoding") or {}
    sep = str((enc.get("configuration") or {}).get("separator", "/"))
    if enc.get("name", "default") == "default":
        return sep.join(["c", *map(str, index)])
    if enc.get("name") == "v2":
        return sep.join(map(str, index)) if index else "0"
    return None


def _done_flags(path: Path) -> np.ndarray:
    import zarr

    try:
        arr = zarr.open_array(path / DONE_VAR, mode="r", zarr_format=3)
        return np.asarray(arr[...], dtype=bool).reshape(-1)
    except Exception as exc:  # the metadata exists (checked before): corrupt
        raise CubeError(f"{path}: its {DONE_VAR} flags are unreadable ({exc})") from exc


def _verify_sweep(path: Path, record: Mapping[str, Any]) -> np.ndarray | None:
    batched = [str(n) for n in record.get("batched") or []]
    fixed_names = [str(n) for n in record.get("fixed") or []]
    missing = _missing_arrays(path, [*batched, *fixed_names])
    if missing:
        raise CubeError(
            f"{path} is incomplete: variable(s) {', '.join(missing)} of the sweep's "
            f"template are missing (no NAME/{_META})"
        )
    _verify_counts(path, record.get("arrays") or {})
    if DONE_VAR not in batched:
        return None
    done = _done_flags(path)
    short = []
    for name in batched:
        lost = _missing_chunks(path / name, done)
        if lost:
            short.append(f"{name} ({len(lost)} chunk files of done points, e.g. {lost[0]})")
    if short:
        raise CubeError(
            f"{path} is incomplete: chunk files of points marked done are missing: "
            f"{'; '.join(short)}"
        )
    return done


def _missing_chunks(array: Path, done: np.ndarray) -> list[str]:
    """Chunk keys of ``array`` that hold a done point but have no file."""
    try:
        meta = json.loads((array / _META).read_text(encoding="utf-8"))
        dims = list(meta["dimension_names"])
        shape = [int(n) for n in meta["shape"]]
        chunks = [int(n) for n in meta["chunk_grid"]["configuration"]["chunk_shape"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CubeError(f"{array}/{_META} is corrupt ({exc})") from exc
    if POINT_DIM not in dims:
        return []
    axis = dims.index(POINT_DIM)
    step = chunks[axis]
    grid = [range(-(-n // c)) if c else range(1) for n, c in zip(shape, chunks, strict=True)]
    wanted = [i for i in grid[axis] if done[i * step : (i + 1) * step].any()]
    if not wanted:
        return []
    base = str(array)
    lost: list[str] = []
    for index in product(*(wanted if k == axis else g for k, g in enumerate(grid))):
        key = _chunk_key(meta, tuple(index))
        if key is not None and not os.path.isfile(f"{base}/{key}"):
            lost.append(key)
    return lost


def mask_unfinished(
    ds: xr.Dataset, where: str = "the cube", flags: np.ndarray | None = None
) -> xr.Dataset:
    """Unfinished sweep points as missing values, and the count of those done.

    Logs one warning when some point is not done.

    Args:
        ds: a cube (lazy or in memory); one without ``points_done`` is returned as is.
        where: the cube's path (or name), for the warning.
        flags: ``points_done`` as :func:`verify` read it (read from ``ds`` if None or
            of another size); reading it again through dask costs more than the rest.

    Returns:
        The cube with attributes ``points_done_count`` and ``n_points``; where some point
        is not done, every data variable on ``point`` (but ``points_done``) is NaN there
        (integer variables read as float64). Lazy arrays stay lazy.
    """
    if DONE_VAR not in ds.variables or POINT_DIM not in ds[DONE_VAR].dims:
        return ds
    if flags is None or flags.shape != ds[DONE_VAR].shape:
        flags = np.asarray(ds[DONE_VAR].values, dtype=bool)
    n_done, n = int(flags.sum()), int(flags.size)
    ds = ds.assign_attrs({DONE_COUNT_ATTR: n_done, N_POINTS_ATTR: n})
    if n_done == n:
        return ds
    log.warning(
        "%s: %d of %d sweep points are not done (points_done False): they read as NaN",
        where,
        n - n_done,
        n,
    )
    keeps: dict[tuple[Any, ...], da.Array] = {}  # the flags as dask arrays, by chunks
    masked = {
        name: xr.Variable(var.dims, _masked(var, flags, keeps), var.attrs)
        for name, var in ds.data_vars.items()
        if name != DONE_VAR and POINT_DIM in var.dims
    }
    return ds.assign(masked)


def _masked(var: xr.DataArray, done: np.ndarray, keeps: dict[tuple[Any, ...], da.Array]) -> Any:
    """``var``'s data with NaN where ``done`` (``[n_points]``) is False.

    A dask array stays lazy (one blockwise ``where`` against the flags chunked like its
    ``point`` axis); anything else is read into memory. Integers and booleans become
    float64.
    """
    axis = var.dims.index(POINT_DIM)
    dtype = var.dtype if var.dtype.kind in "fc" else np.dtype(np.float64)
    shape = [1] * var.ndim
    shape[axis] = done.size
    data = var.data
    if isinstance(data, da.Array):
        chunks = tuple(c if k == axis else (1,) for k, c in enumerate(data.chunks))
        if chunks not in keeps:
            keeps[chunks] = da.from_array(done.reshape(shape), chunks=chunks)
        return da.where(keeps[chunks], data.astype(dtype), np.nan)
    return np.where(done.reshape(shape), np.asarray(var.values), np.nan).astype(dtype)


__all__ = [
    "DONE_COUNT_ATTR",
    "N_POINTS_ATTR",
    "RECORD_ATTR",
    "RECORD_VERSION",
    "cube_record",
    "fixed_counts",
    "is_leftover",
    "leftovers",
    "mask_unfinished",
    "report_leftovers",
    "seal",
    "sweep_record",
    "verify",
]
