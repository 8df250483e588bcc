"""The report of a cube, whole: :func:`report_html` renders it, :func:`write_report` writes it."""

from __future__ import annotations

import datetime as dt
import os
from importlib import metadata
from pathlib import Path

import xarray as xr

from abm.analysis.meta import as_points, varied_levers
from abm.analysis.report.document import Doc, MetaLine, render
from abm.analysis.report.provenance import provenance, title
from abm.analysis.report.read import (
    default_report_path,
    design_text,
    done_flags,
    load_cube,
    write_text_atomic,
)
from abm.analysis.report.single import single
from abm.analysis.report.sweep import sweep
from abm.analysis.report.validation import validation
from abm.cube.schema import POINT_DIM, CubeError


def _abm_version() -> str:
    """Installed version of the ``abm`` package (read without importing the engine)."""
    try:
        return metadata.version("abm")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def report_html(cube: xr.Dataset, source: str | os.PathLike[str] | None = None) -> str:
    """Render a cube as one self-contained HTML document.

    Args:
        cube: a result cube in memory (single scenario, or a sweep over ``point`` or over
            one dimension per lever), e.g. from :func:`load_cube` or :func:`abm.api.run`.
        source: where the cube lies (shown in the header), e.g. its Zarr path.

    Returns:
        The HTML text (UTF-8 when written): inline CSS, plots as PNG data URIs, no
        script and no external resource; every text from the cube escaped.

    Raises:
        ValueError: if ``cube`` is not an xarray Dataset.
    """
    if not isinstance(cube, xr.Dataset):
        raise ValueError(f"cube must be an xarray.Dataset, got {type(cube).__name__}")
    cube = as_points(cube)
    doc = Doc()
    meta: list[MetaLine] = []
    if source is not None:
        meta.append(MetaLine("Cube: ", code=os.fspath(source)))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    meta.append(MetaLine(f"Report written {now} by abm {_abm_version()}."))
    if POINT_DIM in cube.dims:
        done = done_flags(cube)
        meta.append(
            MetaLine(
                f"Points done: {int(done.sum())} / {done.size}; varied: "
                f"{', '.join(varied_levers(cube)) or 'none'}; design: {design_text(cube)}."
            )
        )
    provenance(doc, cube)
    if POINT_DIM not in cube.dims:
        single(doc, cube)
        validation(doc, cube)
    elif cube.sizes[POINT_DIM] == 1:
        if done_flags(cube).all():
            single(doc, cube.isel({POINT_DIM: 0}))
            validation(doc, cube.isel({POINT_DIM: 0}))
        else:
            doc.note("The cube's one point is not done (points_done False): nothing to report.")
    else:
        sweep(doc, cube)
    return render(title(cube), meta, doc)


def write_report(
    cube_path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None
) -> Path:
    """Read a stored cube and write its HTML report.

    Args:
        cube_path: the cube's Zarr directory (a single-scenario cube or a sweep store,
            finished or not).
        out: the HTML file (default: :func:`default_report_path`).

    Returns:
        The path written.

    Raises:
        CubeError: if ``cube_path`` does not exist or is not an abm cube, or ``out`` lies
            inside the cube.
    """
    src = Path(cube_path)
    target = Path(out) if out is not None else default_report_path(src)
    if src.is_dir() and Path(os.path.abspath(target)).is_relative_to(os.path.abspath(src)):
        raise CubeError(f"the report {target} would be written inside the cube {src}")
    cube = load_cube(src)
    return write_text_atomic(report_html(cube, source=src), target)


__all__ = ["report_html", "write_report"]
