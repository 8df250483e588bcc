"""``abm bench``, ``abm info`` and ``abm report``.

``report`` imports only :mod:`abm.cube` and :mod:`abm.analysis` (inside the command):
writing a report of a stored cube needs neither the engine nor JAX.
"""

from __future__ import annotations

import argparse


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
    """``abm report CUBE [--out FILE]``: write the cube's HTML report, print its path."""
    from abm.analysis.html import write_report

    print(write_report(args.cube, args.out))
    return 0


__all__ = ["bench", "info", "report"]
