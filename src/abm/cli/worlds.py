"""``abm worlds A [B]``: separate world from luck (a nested run, its tables)."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger("abm")

#: The CSV files of ``--csv PREFIX``: PREFIX + suffix.
CSV_SUFFIXES = ("_decomposition.csv", "_difference.csv", "_sobol.csv")


def worlds(args: argparse.Namespace) -> int:
    """Run K worlds x R replicates, print the decomposition (and difference, Sobol)."""
    import abm.api as api
    from abm.cli.simulate import ProgressLine
    from abm.outputs import check_file_target, write_text

    paths = [f"{args.csv}{s}" for s in CSV_SUFFIXES] if args.csv else []
    for p in paths:  # refused before simulating, not after
        check_file_target(p, args.overwrite, "--csv")
    rep = api.worlds(
        args.config_a,
        args.config_b,
        worlds=args.worlds,
        replicates=args.replicates,
        seed=args.seed,
        chunk_size=args.chunk_size,
        overrides=args.overrides,
        stance=args.stance,
        posterior=args.posterior,
        progress=None if args.quiet else ProgressLine("worlds"),
    )
    print(rep.markdown(top=args.top))
    if not paths:  # no --csv: the tables printed are the whole output
        return 0
    tables = (rep.decomposition, rep.difference, rep.sobol)
    for p, df in zip(paths, tables, strict=True):
        if df.empty:
            continue
        write_text(p, df.to_csv(index=False), args.overwrite, "--csv")
        log.info("wrote %s", p)
    return 0


__all__ = ["CSV_SUFFIXES", "worlds"]
