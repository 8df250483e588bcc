"""Reading a cube for the report, the design it was swept over, and writing the file.

Sweep-store names are those of :mod:`abm.sweep.store`, repeated here: importing the
sweep package loads the simulation engine (JAX), which a report does not need.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import yaml

from abm.cube.schema import POINT_DIM
from abm.cube.store import open_cube

#: The per-point completion flags of a sweep store (:mod:`abm.sweep.store`).
DONE_VAR = "points_done"

#: The writer lock file of a sweep store (:mod:`abm.sweep.store`).
LOCK_NAME = ".abm-sweep.lock"

#: Variable suffixes the report reads (the histograms and exact tallies are left unread).
READ_SUFFIXES = ("_prob", "_se", "_count", "_by_year", "_quantiles", "_mean", "_share")


#: Variable suffixes read too for a single scenario's cube (its validation section).
SINGLE_SUFFIXES = ("_hist",)


def _is_read(name: str, single: bool = False) -> bool:
    if single and name.endswith(SINGLE_SUFFIXES):
        return True
    return name in ("n_runs", DONE_VAR) or name.endswith(READ_SUFFIXES)


def load_cube(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read the parts of a stored cube the report uses into memory.

    The exact tallies (``Q_sum_fixed``) are not read, nor a sweep's histograms
    (``Q_hist``, the bulk of a cube), so a large sweep's report needs little memory; a
    single scenario's (one point's) histograms are read for its validation section.

    Args:
        path: the cube's Zarr directory (a single-scenario cube or a sweep store).

    Returns:
        The cube with its probabilities, errors, yearly shares, quantiles, means, shares,
        run counts and ``points_done``, loaded.

    Raises:
        CubeError: if ``path`` does not exist or is not an abm cube.
    """
    with warnings.catch_warnings():
        # A sweep being written holds its lock file, which Zarr does not recognise.
        warnings.filterwarnings("ignore", message=f".*{re.escape(LOCK_NAME)}.*")
        ds = open_cube(path, lazy=True)
        n_points = ds.sizes.get(POINT_DIM, 1)
        levers = [d for d in str(ds.attrs.get("varied", "")).split(",") if d and d in ds.dims]
        single = n_points == 1 and not levers
        keep = [str(k) for k in ds.data_vars if _is_read(str(k), single)]
        return ds[keep].load()


def config(cube: xr.Dataset) -> dict[str, Any]:
    """The cube's resolved config (attribute ``config``), parsed; empty if absent or bad."""
    text = cube.attrs.get("config")
    if not isinstance(text, str):
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def done_flags(cube: xr.Dataset) -> np.ndarray:
    """``points_done`` as bool ``[n_points]`` (all True when the cube has no flags)."""
    if DONE_VAR in cube.variables:
        return np.asarray(cube[DONE_VAR].values, dtype=bool).reshape(-1)
    return np.ones(cube.sizes[POINT_DIM], dtype=bool)


def design_kind(cube: xr.Dataset) -> str | None:
    """The sweep design's kind (``grid``, ``lhs``, ``sobol``, ``list``), if the cube says."""
    design = config(cube).get("design")
    if isinstance(design, Mapping) and "kind" in design:
        return str(design["kind"])
    kind = cube.attrs.get("design")
    return str(kind) if kind is not None else None


def design_text(cube: xr.Dataset) -> str:
    """The design in a few words, e.g. ``grid; points_per_dim a=11, b=11``."""
    design = config(cube).get("design")
    if not isinstance(design, Mapping):
        return design_kind(cube) or "unknown"
    parts = [str(design.get("kind", "unknown"))]
    for k, v in design.items():
        if k in ("kind", "points"):
            continue
        value = ", ".join(f"{a}={b}" for a, b in v.items()) if isinstance(v, Mapping) else v
        parts.append(f"{k} {value}")
    return "; ".join(parts)


def default_report_path(cube_path: str | os.PathLike[str]) -> Path:
    """Where ``abm report`` writes by default: beside the cube, ``<name>.html``.

    ``results/otl.zarr`` gives ``results/otl.html``; a cube directory without the
    ``.zarr`` suffix, ``results/otl``, gives ``results/otl.html`` too.
    """
    path = Path(os.path.abspath(cube_path))
    stem = path.stem if path.suffix == ".zarr" else path.name
    return path.parent / f"{stem}.html"


def write_text_atomic(text: str, out: str | os.PathLike[str]) -> Path:
    """Write ``text`` (UTF-8) to ``out`` atomically: a temporary sibling, then a rename.

    A reader never sees a half-written file; on failure the temporary file is removed and
    an existing ``out`` is left as it was. Missing parent folders are created.
    """
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


__all__ = [
    "DONE_VAR",
    "LOCK_NAME",
    "config",
    "default_report_path",
    "design_kind",
    "design_text",
    "done_flags",
    "load_cube",
    "write_text_atomic",
]
