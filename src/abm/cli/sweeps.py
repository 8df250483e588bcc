"""``abm sweep`` and ``abm serve``: sweeps into resumable stores, scheduled sweeps."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from abm.errors import InputError

#: Points x runs of one sweep must stay below this (the engine's int32 run index).
MAX_POINT_RUNS = 2**31


def sweep(args: argparse.Namespace) -> int:
    """``abm sweep CONFIG --out STORE``: run (or resume) a sweep, print a summary."""
    from abm.sweep import load_sweep
    from abm.sweep.run import BatchDone, run_sweep

    sweep = load_sweep(args.config)
    if args.runs is not None and sweep.n_points * args.runs >= MAX_POINT_RUNS:
        most = (MAX_POINT_RUNS - 1) // sweep.n_points
        raise InputError(
            f"--runs {args.runs}: {sweep.n_points} points of {args.config} x {args.runs} runs "
            f"are too many; allowed: points x runs below 2**31 (at most {most} runs per point)"
        )
    from abm.sweep.plan import check_arguments

    # Refused before the flow starts (and before anything is created at --out).
    check_arguments(sweep, Path(args.out), args.runs, args.batch_points)
    if args.prefect or args.dask_address:
        from abm.service.flow import check_scheduler, sweep_flow

        _check_prefect_api()
        if args.dask_address:
            check_scheduler(args.dask_address)

        t0 = time.perf_counter()
        summary = sweep_flow(
            config=str(args.config),
            out=str(args.out),
            runs=args.runs,
            batch_points=args.batch_points,
            overwrite=args.overwrite,
            dask_address=args.dask_address,
        )
        print(
            f"{sweep.name}: {summary['points_done']} points done, {summary['runs']:,} runs "
            f"simulated ({summary['batches_cached']} batch(es) cached), "
            f"{time.perf_counter() - t0:.1f} s -> {summary['out']}"
        )
        return 0

    def report(p: BatchDone) -> None:
        sys.stderr.write(
            f"{sweep.name}: {p.points_done:,}/{p.n_points:,} points "
            f"({100 * p.points_done / p.n_points:.0f}%), batch {p.batch + 1}/{p.n_batches}, "
            f"{p.runs_per_s:,.0f} runs/s\n"
        )
        sys.stderr.flush()

    t0 = time.perf_counter()
    ds = run_sweep(
        sweep,
        args.out,
        runs=args.runs,
        batch_points=args.batch_points,
        progress=None if args.quiet else report,
        overwrite=args.overwrite,
    )
    print(
        f"{sweep.name}: {ds.attrs['n_points']} points x {ds.attrs['runs_per_point']} runs, "
        f"seed {ds.attrs['seed']}, batches of {ds.attrs['batch_points']}, "
        f"{time.perf_counter() - t0:.1f} s -> {args.out}"
    )
    return 0


def _check_prefect_api() -> None:
    """Check that a Prefect server answers at ``PREFECT_API_URL``, if it is set.

    Unset, Prefect starts a temporary server in this process: nothing to check.
    """
    from prefect.settings import PREFECT_API_URL

    from abm.service.serve import check_api

    url = PREFECT_API_URL.value()
    if url:
        check_api(str(url))


def serve(args: argparse.Namespace) -> int:
    """``abm serve [SERVICE] [--check]``: list the deployments, then serve them."""
    from abm.service.serve import ServiceError, load_service
    from abm.service.serve import serve as serve_all

    scheduled = load_service(args.service)
    for s in scheduled:
        print(
            f"abm-sweep/{s.name}: {s.sweep.name} -> {s.out}, cron '{s.cron}' {s.timezone}"
            + (f", Dask {s.dask_address}" if s.dask_address else "")
        )
    if args.check:
        return 0
    try:
        serve_all(scheduled)
    except ServiceError as exc:
        # The message already names the command: no "abm: error:" in front.
        print(f"abm serve: {exc}", file=sys.stderr)
        return 2
    return 0


__all__ = ["serve", "sweep"]
