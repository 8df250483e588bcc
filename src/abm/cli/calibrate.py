"""``abm calibrate``: re-fit the otl baseline's Germany and Soviet slices, report coverage.

Moved as it was from the single-module CLI; it names the interwar model's slices and
catalogues, and is to become a loop over the model's slices in the API.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from abm.cli.simulate import output_error


def calibrate(args: argparse.Namespace) -> int:
    """``abm calibrate``: write calibrated priors of both slices, print the coverage table."""
    from abm.config import load_scenario
    from abm.config.names import names
    from abm.models.interwar import coverage, parameters
    from abm.models.interwar.germany import calibration as germany_calibration
    from abm.models.interwar.soviet import calibration as soviet_calibration

    def reread() -> None:
        # The catalogues read the calibration files once: read the new priors.
        for cached in (
            parameters.germany_catalogue,
            parameters.soviet_catalogue,
            parameters.interwar_catalogue,
            names,
        ):
            cached.cache_clear()

    content = germany_calibration.calibrate()
    print(f"Germany slice: wrote calibrated priors for {len(content['priors'])} parameters")
    reread()
    base = load_scenario(args.config)
    content = soviet_calibration.calibrate(base.priors, base.calendar)
    print(f"Soviet slice: wrote calibrated priors for {len(content['priors'])} parameters")
    for row in content["fit"]["targets"]:
        print(f"  {row['target']:32s} {row['historical']:>12g} skeleton {row['skeleton']:>12g}")
    reread()
    if args.coverage_runs > 0:
        sc = load_scenario(args.config)
        rows = coverage.coverage(sc.model(), sc.prior_table(), args.coverage_runs, seed=args.seed)
        text = coverage.coverage_markdown(rows, args.coverage_runs, args.seed)
        print(text)
        if args.report:
            try:
                Path(args.report).write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                raise output_error("--report", args.report, exc) from exc
    return 0


__all__ = ["calibrate"]
