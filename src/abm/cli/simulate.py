"""``abm run``, ``abm compare`` and ``abm trace``: simulate scenarios, print summaries."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from abm.errors import InputError


class ProgressLine:
    """Progress on stderr: runs done, rate, ETA (redrawn in place on a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, done: int, total: int, seconds: float) -> None:
        """Report ``done`` of ``total`` runs after ``seconds``."""
        now = time.monotonic()
        if done < total and now - self.last < (0.5 if self.tty else 10.0):
            return
        self.last = now
        rate = done / seconds if seconds > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else float("nan")
        msg = (
            f"{self.label}: {done:,}/{total:,} runs ({100 * done / total:.0f}%), "
            f"{rate:,.0f} runs/s, ETA {eta:,.0f} s"
        )
        if self.tty:
            sys.stderr.write("\r" + msg + ("\n" if done >= total else ""))
        else:
            sys.stderr.write(msg + "\n")
        sys.stderr.flush()


#: What ``--netcdf`` writes, for the messages.
NETCDF = "netCDF file of a cube"


def stance_text(stance: object) -> str:
    """`` (stance skeptic)`` for a run under a stance, else nothing."""
    return f" (stance {stance})" if stance and stance != "none" else ""


def with_exogenous(overrides: list[str], mode: str | None) -> list[str]:
    """The ``--set`` items with ``--exogenous MODE`` as ``exogenous=MODE`` (both scenarios)."""
    return overrides if mode is None else [*overrides, f"exogenous={mode}"]


def output_error(option: str, path: str, exc: OSError) -> InputError:
    """The input error for a file named by ``option`` that cannot be written."""
    return InputError(f"{option} {path}: cannot write: {exc.strerror or exc}")


def run(args: argparse.Namespace) -> int:
    """``abm run CONFIG``: simulate, write the cube, print the summary."""
    import abm.api as api
    from abm.config import load_scenario
    from abm.cube import export_netcdf
    from abm.outputs import check_file_target, is_abm_netcdf
    from abm.report import format_summary

    if args.netcdf:  # refused before simulating, not after
        check_file_target(args.netcdf, args.overwrite, "--netcdf", is_abm_netcdf, NETCDF)
    ds = api.run(
        args.config,
        runs=args.runs,
        seed=args.seed,
        chunk_size=args.chunk_size,
        out=args.out,
        overrides=with_exogenous(args.overrides, args.exogenous),
        overwrite=args.overwrite,
        progress=None if args.quiet else ProgressLine(Path(args.config).stem),
        stance=args.stance,
        posterior=args.posterior,
    )
    if args.netcdf:
        try:
            export_netcdf(ds, args.netcdf, overwrite=args.overwrite)
        except OSError as exc:
            raise output_error("--netcdf", args.netcdf, exc) from exc
    specs = load_scenario(args.config, args.overrides, args.stance).model().outcome_specs
    print(
        f"{ds.attrs['scenario']}{stance_text(ds.attrs.get('stance'))}: "
        f"{int(ds['n_runs'])} runs, seed {ds.attrs['seed']}, {ds.attrs['wall_time_s']} s"
    )
    print(format_summary(specs, ds))
    return 0


def compare(args: argparse.Namespace) -> int:
    """``abm compare A B``: paired runs, print (and optionally write) the differences."""
    import abm.api as api
    from abm.outputs import check_file_target, write_text
    from abm.report import format_comparison, given_columns, given_line

    if args.csv:  # refused before simulating, not after
        check_file_target(args.csv, args.overwrite, "--csv")
    cmp = api.compare(
        args.config_a,
        args.config_b,
        runs=args.runs,
        seed=args.seed,
        chunk_size=args.chunk_size,
        out_dir=args.out_dir,
        overrides=with_exogenous(args.overrides, args.exogenous),
        overwrite=args.overwrite,
        progress=None if args.quiet else ProgressLine("paired"),
        overrides_a=args.overrides_a,
        overrides_b=args.overrides_b,
        stance=args.stance,
        posterior=args.posterior,
        given=args.given,
    )
    na, nb = cmp.a.attrs["scenario"], cmp.b.attrs["scenario"]
    print(
        f"{na} vs {nb}{stance_text(cmp.a.attrs.get('stance'))}: {cmp.total} "
        f"paired runs (common random numbers), seed {cmp.a.attrs['seed']}"
    )
    if cmp.given:
        print(given_line(cmp.given, na, cmp.kept, cmp.total))
    print(format_comparison(cmp.table, na, nb))
    if args.csv:
        import csv
        import io

        fh = io.StringIO()
        # Quantity rows also carry the 5 % and 95 % quantiles of A and B.
        fields = list(dict.fromkeys(k for row in cmp.table for k in row))
        fields += list(given_columns(cmp.given, cmp.kept, cmp.total))
        w = csv.DictWriter(fh, fieldnames=fields, restval="")
        w.writeheader()
        # With --given, every row also states the conditioning (given, given_kept, ...).
        extra = given_columns(cmp.given, cmp.kept, cmp.total)
        w.writerows({**row, **extra} for row in cmp.table)
        write_text(args.csv, fh.getvalue(), args.overwrite, "--csv")  # atomic, locked
    return 0


def trace(args: argparse.Namespace) -> int:
    """``abm trace CONFIG --run N``: replay one run, print its chronicle."""
    from abm.config import load_scenario
    from abm.replay import trace as replay

    sc = load_scenario(args.config, args.overrides, args.stance, args.posterior)
    seed = args.seed if args.seed is not None else sc.run_defaults["seed"]
    tr = replay(
        sc, seed=seed, run=args.run, point=args.point, out=args.out, overwrite=args.overwrite
    )
    print(f"{sc.name}{stance_text(sc.stance)}: seed {seed}, point {args.point}, run {args.run}")
    for month, text in tr.chronicle:
        print(f"{month}  {text}")
    return 0


__all__ = [
    "ProgressLine",
    "compare",
    "output_error",
    "run",
    "stance_text",
    "trace",
    "with_exogenous",
]
