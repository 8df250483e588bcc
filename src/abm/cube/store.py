"""Atomic Zarr v3 storage of cubes, reading them back, and netCDF export.

A cube is written in full into a hidden temporary sibling of its final path and only
then renamed into place, so a crash never leaves a half-written cube under the final
name, and an existing cube is replaced only once its successor is complete.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import xarray as xr

from abm.cube import integrity
from abm.cube.schema import CubeError, check_schema
from abm.locks import StoreLock
from abm.outputs import RULE, check_file_target, foreign_reason, is_abm_netcdf


def _plain(ds: xr.Dataset) -> xr.Dataset:
    """A shallow copy without backend encodings (chunking, compressors of a source store).

    Encodings read from one backend are not always valid for another (a Zarr v3
    compressor means nothing to netCDF), and cubes are small, so every write starts
    from the defaults.
    """
    out = ds.copy(deep=False)
    out.encoding = {}
    for var in out.variables.values():
        var.encoding = {}
    return out


def _object_strings(ds: xr.Dataset) -> xr.Dataset:
    """Label coordinates read back as numpy ``StringDType``, turned into object arrays.

    Cubes are built with object-dtype labels; reading them back the same way keeps a
    read cube interchangeable with a built one (concatenation, comparison, pandas).
    """
    fix = {
        name: ds[name].copy(data=ds[name].values.astype(object))
        for name in ds.coords
        if ds[name].dtype.kind == "T"
    }
    return ds.assign_coords(fix) if fix else ds


def _remove(path: Path) -> None:
    """Delete a file or directory tree if it exists (best effort)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _sibling(path: Path, tag: str) -> Path:
    """A unique hidden sibling of ``path``: ``.{name}.{tag}-{uuid}``."""
    return path.parent / f".{path.name}.{tag}-{uuid.uuid4().hex}"


def _refuse_existing(path: Path) -> CubeError:
    return CubeError(
        f"{path} already exists; pass overwrite=True (--overwrite on the command line) "
        "to replace it"
    )


def _refuse_foreign(path: Path) -> None:
    """Refuse ``path`` if it exists and is not abm's to replace (:mod:`abm.outputs`)."""
    why = foreign_reason(path)
    if why is not None:
        raise CubeError(f"{path} exists and is {why}; abm never replaces it: {RULE}")


def write_cube(ds: xr.Dataset, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Write a cube as a Zarr v3 store, atomically.

    The store is written into a temporary sibling directory and renamed into place. With
    ``overwrite`` an existing cube is first renamed aside, and deleted once the new one
    is in place. On any failure the temporary directory is removed, nothing is left under
    ``path`` that was not there before, and an existing cube is left intact.

    Args:
        ds: the cube (in memory or lazily opened, even from ``path`` itself).
        path: final store directory; missing parents are created.
        overwrite: replace an existing store at ``path``.

    Returns:
        The final path.

    Raises:
        CubeError: if ``path`` exists and ``overwrite`` is False, or exists and is not
            abm's to replace (:mod:`abm.outputs`: a cube, trace or sweep store of abm's,
            or an empty directory).
        LockedError: if another process writes ``path`` (:mod:`abm.locks`).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise _refuse_existing(path)
    _refuse_foreign(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    integrity.report_leftovers(path)
    tmp = _sibling(path, "tmp")
    old: Path | None = None
    lock = StoreLock(path)  # the lock every writer of path honours (abm.locks)
    lock.acquire()
    try:
        _refuse_foreign(path)  # what is there now, under the lock
        _plain(ds).to_zarr(tmp, zarr_format=3, consolidated=False, mode="w")
        integrity.seal(tmp)  # the integrity record, written last (abm.cube.integrity)
        if path.exists():
            if not overwrite:
                raise _refuse_existing(path)
            old = _sibling(path, "old")
            os.rename(path, old)
            try:
                os.rename(tmp, path)
            except BaseException:
                os.rename(old, path)
                raise
        else:
            try:
                os.rename(tmp, path)
            except OSError as exc:  # created meanwhile by a concurrent writer
                if path.exists():
                    raise _refuse_existing(path) from exc
                raise
    except BaseException:
        _remove(tmp)
        lock.release()
        raise
    if old is not None:
        _remove(old)
    lock.release()
    return path


def open_cube(path: str | os.PathLike[str], lazy: bool = True, grid: bool = True) -> xr.Dataset:
    """Open a cube written by :func:`write_cube` (or a sweep store).

    Args:
        path: the store directory.
        lazy: open with dask arrays in the stored chunks; False loads it into memory.
        grid: a grid sweep's store on one dimension per varied lever instead of ``point``
            (:func:`abm.cube.grid.to_grid`); False keeps the stored ``point`` layout.

    Returns:
        The cube.

    Raises:
        CubeError: if ``path`` does not exist, is not a Zarr store of an abm cube, or has
            another schema version.
    """
    path = Path(path)
    if not path.exists():
        raise CubeError(f"no cube at {path}: the path does not exist")
    flags = integrity.verify(path)  # cheap: metadata, chunk listings (abm.cube.integrity)
    try:
        ds = xr.open_zarr(path, consolidated=False, chunks={} if lazy else None)
    except Exception as exc:
        raise CubeError(
            f"{path} is not an abm cube (schema unreadable: not a Zarr store: {exc})"
        ) from exc
    try:
        check_schema(ds.attrs, str(path))
    except CubeError:
        ds.close()
        raise
    ds = _object_strings(ds)
    ds.attrs.pop(integrity.RECORD_ATTR, None)  # describes the store, not the data
    ds = integrity.mask_unfinished(ds, str(path), flags)
    if grid:
        from abm.cube.grid import to_grid

        ds = to_grid(ds)
    return ds.load() if not lazy else ds


def export_netcdf(
    ds_or_path: xr.Dataset | str | os.PathLike[str],
    path: str | os.PathLike[str],
    overwrite: bool = False,
) -> Path:
    """Export a cube to a netCDF-4 file (h5netcdf engine), atomically, under its lock.

    Args:
        ds_or_path: the cube, or the path of a stored cube.
        path: output file; missing parents are created.
        overwrite: replace an existing netCDF file of an abm cube (never another file).

    Returns:
        The output path.

    Raises:
        CubeError: if ``ds_or_path`` is a path that is not a readable cube.
        InputError: if ``path`` exists and ``overwrite`` is False, or it is a directory
            or a file abm did not write (:func:`abm.outputs.check_file_target`).
    """
    path = Path(path)
    check_file_target(path, overwrite, "--netcdf", is_abm_netcdf, "netCDF file of a cube")
    ds = ds_or_path if isinstance(ds_or_path, xr.Dataset) else open_cube(ds_or_path, lazy=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    with StoreLock(path):
        check_file_target(path, overwrite, "--netcdf", is_abm_netcdf, "netCDF file of a cube")
        tmp = _sibling(path, "tmp")
        try:
            _plain(ds).to_netcdf(tmp, engine="h5netcdf")
            os.replace(tmp, path)
        except BaseException:
            _remove(tmp)
            raise
    return path
