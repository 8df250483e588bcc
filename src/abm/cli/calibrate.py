"""``abm calibrate``: each slice's calibration in model order, then coverage.

The work is :func:`abm.calibration.calibrate` (the API); this module only maps the
command's arguments onto it.
"""

from __future__ import annotations

import argparse


def calibrate(args: argparse.Namespace) -> int:
    """``abm calibrate``: write every slice's calibrated priors, print the coverage table."""
    from abm.calibration import calibrate as run

    run(args.config, args.coverage_runs, seed=args.seed, report=args.report)
    return 0


__all__ = ["calibrate"]
