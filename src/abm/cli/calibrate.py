"""``abm calibrate``: the whole-model calibration, or ``--skeleton`` the per-slice fit.

The work is :func:`abm.calibrate.command.run_command` (the whole model: a posterior
sample and its scores) or :func:`abm.calibration.calibrate` (``--skeleton``: each slice's
calibrated priors on its deterministic skeleton, then coverage); this module only maps
the command's arguments onto them.
"""

from __future__ import annotations

import argparse
import shlex
import sys

DEFAULT_SKELETON_SCENARIO = "configs/scenarios/otl.yaml"


def calibrate(args: argparse.Namespace) -> int:
    """``abm calibrate``."""
    if args.skeleton:
        from abm.calibration import calibrate as run

        config = args.config or DEFAULT_SKELETON_SCENARIO
        run(config, args.coverage_runs, seed=args.seed, report=args.report)
        return 0
    from abm.calibrate.command import run_command

    return run_command(
        config=args.config,
        store=args.store,
        out=args.out,
        overwrite=args.overwrite,
        report=args.report,
        report_runs=args.report_runs,
        seed=args.seed,
        sbc_datasets=args.sbc,
        command="abm " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        prefect=args.prefect,
        dask_address=args.dask_address,
        batch_points=args.batch_points,
    )


__all__ = ["calibrate"]
