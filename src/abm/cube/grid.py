"""A grid sweep's cube on one dimension per varied lever, and back to ``point``.

A sweep store is always written over ``point`` (batches write regions of points; see
:mod:`abm.sweep.store`). A full-factorial (``grid``) sweep's store records its levers and
their sizes in the attribute :data:`GRID_ATTR` (``"purge_severity:11,united_front_uptake:11"``),
and :func:`abm.cube.open_cube` reshapes it with :func:`to_grid`: every variable on
``point`` ``[n_points, ...]`` becomes ``[n_lever_1, ..., n_lever_D, ...]`` (the levers in
the sweep's ``vary`` order, each lever's values ascending), lazily when the cube is opened
with dask. The grid's points are in C order (the first lever slowest), so a grid
variable's flat order is the point order. Other designs keep ``point``. Unfinished points
are missing values (NaN, masked by :func:`abm.cube.integrity.mask_unfinished` before the
reshape) with ``points_done`` False, now over the lever dimensions.
:func:`to_points` gives a grid cube its ``point`` layout back.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from abm.cube.schema import POINT_DIM

#: The store attribute naming a grid sweep's levers and sizes: ``"NAME:K,NAME:K"``.
GRID_ATTR = "grid_dims"


def grid_text(names: Sequence[str], counts: Sequence[int]) -> str:
    """The :data:`GRID_ATTR` value of a grid over ``names`` with ``counts`` values each."""
    return ",".join(f"{n}:{int(k)}" for n, k in zip(names, counts, strict=True))


def grid_dims(attrs: Mapping[Hashable, Any]) -> list[tuple[str, int | None]] | None:
    """A cube's grid levers and their sizes, or None when it is not a grid sweep.

    Read from :data:`GRID_ATTR`; a grid store written before that attribute (``design``
    ``grid`` and ``varied`` only) gives its levers with sizes None (taken from the data).
    """
    text = attrs.get(GRID_ATTR)
    if isinstance(text, str) and text:
        out: list[tuple[str, int | None]] = []
        for part in text.split(","):
            name, _, size = part.rpartition(":")
            out.append((name, int(size)))
        return out
    varied = attrs.get("varied")
    if attrs.get("design") == "grid" and isinstance(varied, str) and varied:
        return [(name, None) for name in varied.split(",")]
    return None


def _grid_levers(ds: xr.Dataset) -> list[str] | None:
    """The levers to unstack ``point`` into, or None to keep ``point``."""
    dims = grid_dims(ds.attrs)
    if not dims or POINT_DIM not in ds.dims:
        return None
    names = [n for n, _ in dims]
    if any(n not in ds.coords or ds[n].dims != (POINT_DIM,) for n in names):
        return None
    sizes = [int(np.unique(ds[n].values).size) for n in names]
    if any(k is not None and k != s for (_, k), s in zip(dims, sizes, strict=True)):
        return None
    if math.prod(sizes) != ds.sizes[POINT_DIM]:
        return None
    return names


def is_grid(ds: xr.Dataset) -> bool:
    """Whether ``ds`` is a grid sweep's cube over ``point`` that :func:`to_grid` reshapes."""
    return _grid_levers(ds) is not None


def to_grid(ds: xr.Dataset) -> xr.Dataset:
    """A grid sweep's cube over one dimension per lever instead of ``point``.

    Args:
        ds: a cube (lazy or in memory). A grid sweep's cube over ``point`` (see the
            module docstring) is reshaped; any other cube, or one already on its lever
            dimensions, is returned unchanged.

    Returns:
        The cube with each ``point`` variable ``[n_points, ...]`` as
        ``[n_lever_1, ..., n_lever_D, ...]``; the levers are index coordinates (their
        attributes kept) and the ``point`` numbers are dropped (a cell's point number is
        its flat C-order index). Dask arrays stay lazy.
    """
    names = _grid_levers(ds)
    if names is None:
        return ds
    fast = _reshaped(ds, names)
    if fast is not None:
        return fast
    drop = [POINT_DIM] if POINT_DIM in ds.coords else []
    levels: Sequence[Hashable] = names
    index: dict[Hashable, Hashable | Sequence[Hashable]] = {POINT_DIM: levels}
    out = ds.drop_vars(drop).set_index(index).unstack(POINT_DIM)
    for n in names:
        out[n].attrs = dict(ds[n].attrs)
    return out.transpose(*names, ...)


def _reshaped(ds: xr.Dataset, names: list[str]) -> xr.Dataset | None:
    """:func:`to_grid` by reshaping each array (a view in memory, lazy with dask).

    Only when the points are the C-order product of the levers' sorted values (as a grid
    design writes them); None otherwise, for the general ``unstack``.
    """
    axes = [np.unique(np.asarray(ds[n].values)) for n in names]
    mesh = np.meshgrid(*axes, indexing="ij")
    for n, m in zip(names, mesh, strict=True):
        if not np.array_equal(np.asarray(ds[n].values), m.reshape(-1)):
            return None
    shape = tuple(a.size for a in axes)

    def grid_var(var: xr.Variable) -> xr.Variable:
        if POINT_DIM not in var.dims:
            return var
        v = var.transpose(POINT_DIM, ...)
        return xr.Variable((*names, *v.dims[1:]), v.data.reshape(shape + v.shape[1:]), v.attrs)

    skip = {POINT_DIM, *names}
    coords: dict[Hashable, Any] = {
        n: xr.Variable((n,), a, dict(ds[n].attrs)) for n, a in zip(names, axes, strict=True)
    }
    for k, c in ds.coords.items():
        if k not in skip:
            coords[k] = grid_var(c.variable)
    data = {k: grid_var(v.variable) for k, v in ds.data_vars.items()}
    return xr.Dataset(data, coords=coords, attrs=ds.attrs)


def to_points(ds: xr.Dataset) -> xr.Dataset:
    """A grid sweep's cube back over ``point`` (the store's layout), levers as coordinates.

    Args:
        ds: a cube from :func:`to_grid`; any cube without all its grid levers as
            dimensions (a ``point`` cube, a single scenario) is returned unchanged.

    Returns:
        The cube over ``point`` ``[0, n_points)`` in C order of the levers (the store's
        order), each lever a coordinate on ``point``.
    """
    dims = grid_dims(ds.attrs)
    if not dims or POINT_DIM in ds.dims or any(n not in ds.dims for n, _ in dims):
        return ds
    names = [n for n, _ in dims]
    stacked = ds.stack({POINT_DIM: names}).transpose(POINT_DIM, ...)
    out = stacked.drop_vars([POINT_DIM, *names])
    n_points = stacked.sizes[POINT_DIM]
    coords: dict[Hashable, Any] = {POINT_DIM: np.arange(n_points, dtype=np.int64)}
    for n in names:
        coords[n] = (POINT_DIM, np.asarray(stacked[n].values), dict(ds[n].attrs))
    return out.assign_coords(coords)


__all__ = ["GRID_ATTR", "grid_dims", "grid_text", "is_grid", "to_grid", "to_points"]
