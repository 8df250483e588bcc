"""``abm bench``, ``abm info`` and ``abm report``.

``report`` imports only :mod:`abm.cube` and :mod:`abm.analysis` (inside the command):
writing a report of a stored cube needs neither the engine nor JAX.
"""

from __future__ import annotations

import argparse
import traceback
from pathlib import Path

from abm.errors import InputError

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


__all__ = ["bench", "corrupt_chunk", "info", "report"]
