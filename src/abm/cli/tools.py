"""``abm bench``, ``abm info``, ``abm report`` and ``abm validate``.

``report`` and ``validate`` import only :mod:`abm.cube` and :mod:`abm.analysis` (inside
the command): reporting on or scoring a stored cube needs neither the engine nor JAX
(``validate`` without ``--targets`` asks the calibration package for the model's targets).
"""

from __future__ import annotations

import argparse
import os
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from abm.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Where a chunk file's bytes are decoded: an error raised there is a corrupt chunk.
DECODERS = ("/zarr/codecs/", "/zarr/core/codec_pipeline", "numcodecs/", "/numcodecs/")


def bench(args: argparse.Namespace) -> int:
    """``abm bench``: measured throughput, peers and roofline (see :mod:`abm.bench`).

    A ``--config`` is loaded here first: a bad one is refused in one line (exit 2)
    instead of failing inside the bench's worker processes.
    """
    from abm.bench import cli_main

    if args.config:
        from abm.config import load_scenario

        load_scenario(args.config)
    return cli_main(args)


def info(args: argparse.Namespace) -> int:
    """``abm info``: versions, JAX backend and devices, results folder, one per line."""
    import abm.api as api

    for k, v in api.info().items():
        print(f"{k:16s} {v}")
    return 0


def report(args: argparse.Namespace) -> int:
    """``abm report CUBE [--out FILE] [--overwrite]``: write the cube's HTML report.

    An existing file is replaced only with ``--overwrite``, and a directory never
    (:func:`abm.outputs.check_file_target`). Prints the report's path.
    """
    from abm.analysis.html import write_report
    from abm.analysis.report.read import default_report_path
    from abm.locks import StoreLock
    from abm.outputs import check_file_target

    if not Path(args.cube).exists():  # refused by write_report; no lock file made
        print(write_report(args.cube, args.out))
        return 0
    target = args.out if args.out is not None else default_report_path(args.cube)
    option = "--out" if args.out is not None else "the report"
    check_file_target(target, args.overwrite, option)
    with StoreLock(target):  # the lock every writer of the path takes (abm.locks)
        check_file_target(target, args.overwrite, option)
        try:
            print(write_report(args.cube, target))
        except Exception as exc:
            if not corrupt_chunk(exc):
                raise
            raise InputError(
                f"{args.cube}: cannot read its data: a chunk file is corrupt "
                f"({type(exc).__name__}: {' '.join(str(exc).split())[:120]}); the cube is "
                "damaged: write it again (no report written)"
            ) from exc
    return 0


def corrupt_chunk(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while Zarr decoded a chunk file's bytes (a corrupt chunk).

    The integrity check of :func:`abm.open_cube` lists a cube's files but never reads
    them, so garbage in a chunk file shows only when its data is read.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    return any(any(d in f.filename for d in DECODERS) for f in frames)


def validate(args: argparse.Namespace) -> int:
    """``abm validate CUBE [--targets FILE] [--point N] [--csv FILE] [--plot FILE.png]``.

    Scores the cube (one point of a sweep) against the targets
    (:func:`abm.analysis.validate`) and prints the per-group table and the overall line;
    ``--csv`` writes the per-target table, ``--plot`` the PIT histogram. Both are written
    atomically and an existing file is replaced only with ``--overwrite``.
    """
    from abm.analysis.targets import model_targets, read_targets
    from abm.analysis.validation import pit_histogram
    from abm.analysis.validation import validate as score
    from abm.cube.store import open_cube
    from abm.outputs import check_file_target, write_text

    outs = [(p, o) for p, o in ((args.csv, "--csv"), (args.plot, "--plot")) if p is not None]
    if args.csv and args.plot and os.path.abspath(args.csv) == os.path.abspath(args.plot):
        raise InputError(f"--csv and --plot name the same file {args.csv}; name two files")
    for path, option in outs:
        check_file_target(path, args.overwrite, option)
    cube = open_cube(args.cube, lazy=True, grid=False)
    if args.targets is not None:
        targets = read_targets(args.targets)
    else:
        model = str(cube.attrs.get("model", ""))
        found = model_targets(model) if model else None
        if not found:
            raise InputError(
                f"{args.cube}: no default targets for the cube's model {model or '(unknown)'!r}; "
                "pass --targets FILE (a CSV: target,historical,outcome,cell,scale,group,split,"
                "kind,obs_sd,source)"
            )
        targets = found
    try:
        result = score(cube, targets, point=args.point)
    except Exception as exc:
        if not corrupt_chunk(exc):
            raise
        raise InputError(
            f"{args.cube}: cannot read its data: a chunk file is corrupt "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:120]}); the cube is damaged"
        ) from exc
    where = f" (point {result.point})" if result.point is not None else ""
    print(f"{args.cube}{where}: {len(targets)} targets")
    print(result.to_markdown(), end="")
    o = result.overall()
    print(
        f"overall: {int(o['count'])} targets scored; coverage 50 % {o['coverage50']:.3f}, "
        f"90 % {o['coverage90']:.3f}; mean relative interval score {o['is_rel']:.3g}; "
        f"mean relative CRPS {o['crps_rel']:.3g}; median relative 90 % width "
        f"{o['rel_width90']:.3g}"
    )
    if args.csv is not None:
        text = result.per_target.to_csv(index=False, lineterminator="\n")
        print(f"wrote {write_text(args.csv, text, args.overwrite, '--csv')}")
    if args.plot is not None:
        fig = pit_histogram(result)
        print(f"wrote {write_png(fig, args.plot, args.overwrite, '--plot')}")
    return 0


def write_png(fig: Figure, path: str | os.PathLike[str], overwrite: bool, option: str) -> Path:
    """Save a figure as PNG atomically under the path's lock (a hidden sibling, renamed).

    Raises:
        InputError: as :func:`abm.outputs.check_file_target`, or if it cannot be written.
    """
    from abm.outputs import write_file

    return write_file(
        path,
        lambda tmp: fig.savefig(tmp, format="png", dpi=96, bbox_inches="tight"),
        overwrite,
        option,
    )


__all__ = ["bench", "corrupt_chunk", "info", "report", "validate", "write_png"]
