"""The ``abm`` command: run, compare, trace, calibrate, info.

Every command validates its input before simulating; bad input exits with status 2 and a
message naming the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("abm")

EXIT_BAD_INPUT = 2


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


STANCE_HELP = (
    "stance: a name from configs/stances/ (beside the scenarios: optimistic, skeptic), "
    "a .yaml path, or 'none'; default: the scenario's own stance, if any"
)


def _stance(p: argparse.ArgumentParser, help_text: str = STANCE_HELP) -> None:
    p.add_argument("--stance", metavar="NAME_OR_PATH", default=None, help=help_text)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", type=int, help="Monte Carlo runs (default: the config's run.runs)")
    p.add_argument("--seed", type=int, help="seed (default: the config's run.seed)")
    p.add_argument("--chunk-size", type=int, help="runs per compiled chunk")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="pin a lever or parameter; a per-faction or per-party NAME sets every member, "
        "NAME.MEMBER one (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    ap = argparse.ArgumentParser(
        prog="abm", description="Agent-based Monte Carlo forecasts of the interwar years."
    )
    ap.add_argument(
        "--devices",
        type=int,
        default=None,
        help="number of CPU devices to expose to JAX (default: $ABM_CPU_DEVICES or 1)",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    ap.add_argument("-q", "--quiet", action="store_true", help="warnings only, no progress")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="simulate a scenario and write its cube")
    r.add_argument("config", help="scenario YAML, e.g. configs/scenarios/otl.yaml")
    _common(r)
    _stance(r)
    r.add_argument("--out", help="cube path (Zarr), e.g. results/otl.zarr")
    r.add_argument("--overwrite", action="store_true", help="replace an existing cube at --out")
    r.add_argument("--netcdf", help="also export the cube as netCDF to this path")

    c = sub.add_parser(
        "compare", help="two scenarios with common random numbers, paired differences"
    )
    c.add_argument("config_a")
    c.add_argument("config_b")
    _common(c)
    _stance(c, STANCE_HELP + " (applies to both scenarios)")
    c.add_argument(
        "--set-a",
        dest="overrides_a",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="pin for scenario A only",
    )
    c.add_argument(
        "--set-b",
        dest="overrides_b",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="pin for scenario B only",
    )
    c.add_argument("--out-dir", help="write both cubes here as NAME.zarr")
    c.add_argument("--overwrite", action="store_true")
    c.add_argument("--csv", help="also write the comparison table as CSV")

    t = sub.add_parser("trace", help="replay one run exactly and print its chronicle")
    t.add_argument("config")
    t.add_argument("--seed", type=int, default=None)
    t.add_argument("--run", type=int, required=True)
    t.add_argument("--point", type=int, default=0)
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    _stance(t)
    t.add_argument("--out", help="write the per-month state as a Zarr cube")
    t.add_argument("--overwrite", action="store_true")

    k = sub.add_parser(
        "calibrate", help="re-fit the otl baseline (both slices) and report coverage"
    )
    k.add_argument(
        "--config",
        default="configs/scenarios/otl.yaml",
        help="the baseline scenario (default configs/scenarios/otl.yaml)",
    )
    k.add_argument(
        "--coverage-runs",
        type=int,
        default=1000,
        help="runs for the 90%% coverage report (0: skip)",
    )
    k.add_argument("--seed", type=int, default=0)
    k.add_argument("--report", help="write the coverage table (Markdown) here")

    w = sub.add_parser("sweep", help="run a sweep into one resumable Zarr cube (batches of points)")
    w.add_argument("config", help="sweep YAML, e.g. configs/sweeps/purge_x_united_front.yaml")
    w.add_argument("--out", required=True, help="cube path (Zarr); an unfinished one resumes")
    w.add_argument("--runs", type=int, help="runs per point (default: the sweep's)")
    w.add_argument(
        "--batch-points",
        type=int,
        help="points per batch (default: about 8 chunks of runs); part of the results' "
        "identity: a resumed sweep must use the same",
    )
    w.add_argument(
        "--overwrite", action="store_true", help="replace a cube of another sweep at --out"
    )
    w.add_argument(
        "--dask-address",
        metavar="ADDR",
        help="run the batches on the Dask cluster at ADDR (tcp://HOST:PORT) through the "
        "Prefect flow and Prefect's Dask task runner",
    )
    w.add_argument(
        "--prefect",
        action="store_true",
        help="run as the Prefect flow abm-sweep (cached, retried tasks; artifacts) in this "
        "process; implied by --dask-address",
    )

    v = sub.add_parser(
        "serve",
        help="serve the scheduled sweeps of configs/service.yaml to a Prefect server",
    )
    v.add_argument(
        "service",
        nargs="?",
        default="configs/service.yaml",
        help="the service file (default: configs/service.yaml)",
    )
    v.add_argument(
        "--check",
        action="store_true",
        help="check the file and list the deployments; serve nothing",
    )

    sub.add_parser("info", help="versions, JAX backend and devices, results folder")

    b = sub.add_parser("bench", help="measured performance: throughput, peers, roofline")
    b.add_argument("--quick", action="store_true", help="smaller sizes (about two minutes)")
    b.add_argument("--json", help="write every figure as JSON here")
    b.add_argument("--plots", help="PNG folder (default: next to --json, or results/bench)")
    b.add_argument("--config", help="scenario YAML (default: configs/scenarios/otl.yaml)")
    b.add_argument("--runs-scale", type=float, default=None, help=argparse.SUPPRESS)

    rp = sub.add_parser(
        "report", help="write a self-contained HTML report of a cube (plots embedded)"
    )
    rp.add_argument("cube", help="cube path (Zarr): a scenario's cube or a sweep store")
    rp.add_argument(
        "--out", help="HTML file (default: beside the cube, results/otl.zarr -> results/otl.html)"
    )
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``abm`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else (logging.WARNING if args.quiet else logging.INFO),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("jax", "httpx", "httpcore", "distributed", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Prefect's temporary server (no PREFECT_API_URL) takes 15-20 s to start here; its
    # default 20 s timeout fails on a loaded machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from abm.engine.devices import configure_cpu_devices, enable_compilation_cache

    configure_cpu_devices(args.devices)
    enable_compilation_cache()
    from abm.config import ConfigError
    from abm.cube import CubeError

    try:
        return _dispatch(args)
    except (ConfigError, CubeError, FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"abm: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _stance_text(stance: object) -> str:
    """`` (stance skeptic)`` for a run under a stance, else nothing."""
    return f" (stance {stance})" if stance and stance != "none" else ""


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "bench":
        from abm.bench import cli_main

        return cli_main(args)
    if args.command == "report":
        return _report(args)
    import abm.api as api

    progress = None if args.quiet else ProgressLine
    if args.command == "run":
        from abm.cube import export_netcdf
        from abm.report import format_summary

        ds = api.run(
            args.config,
            runs=args.runs,
            seed=args.seed,
            chunk_size=args.chunk_size,
            out=args.out,
            overrides=args.overrides,
            overwrite=args.overwrite,
            progress=progress and progress(Path(args.config).stem),
            stance=args.stance,
        )
        if args.netcdf:
            export_netcdf(ds, args.netcdf)
        from abm.config import load_scenario

        specs = load_scenario(args.config, args.overrides, args.stance).model().outcome_specs
        print(
            f"{ds.attrs['scenario']}{_stance_text(ds.attrs.get('stance'))}: "
            f"{int(ds['n_runs'])} runs, seed {ds.attrs['seed']}, {ds.attrs['wall_time_s']} s"
        )
        print(format_summary(specs, ds))
        return 0
    if args.command == "compare":
        from abm.report import format_comparison

        cmp = api.compare(
            args.config_a,
            args.config_b,
            runs=args.runs,
            seed=args.seed,
            chunk_size=args.chunk_size,
            out_dir=args.out_dir,
            overrides=args.overrides,
            overwrite=args.overwrite,
            progress=progress and progress("paired"),
            overrides_a=args.overrides_a,
            overrides_b=args.overrides_b,
            stance=args.stance,
        )
        na, nb = cmp.a.attrs["scenario"], cmp.b.attrs["scenario"]
        print(
            f"{na} vs {nb}{_stance_text(cmp.a.attrs.get('stance'))}: {int(cmp.a['n_runs'])} "
            f"paired runs (common random numbers), seed {cmp.a.attrs['seed']}"
        )
        print(format_comparison(cmp.table, na, nb))
        if args.csv:
            import csv

            with open(args.csv, "w", newline="", encoding="utf-8") as fh:
                # Quantity rows also carry the 5 % and 95 % quantiles of A and B.
                fields = list(dict.fromkeys(k for row in cmp.table for k in row))
                w = csv.DictWriter(fh, fieldnames=fields, restval="")
                w.writeheader()
                w.writerows(cmp.table)
        return 0
    if args.command == "trace":
        from abm.config import load_scenario
        from abm.replay import trace

        sc = load_scenario(args.config, args.overrides, args.stance)
        seed = args.seed if args.seed is not None else sc.run_defaults["seed"]
        tr = trace(
            sc, seed=seed, run=args.run, point=args.point, out=args.out, overwrite=args.overwrite
        )
        print(
            f"{sc.name}{_stance_text(sc.stance)}: seed {seed}, point {args.point}, run {args.run}"
        )
        for month, text in tr.chronicle:
            print(f"{month}  {text}")
        return 0
    if args.command == "calibrate":
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
            rows = coverage.coverage(
                sc.model(), sc.prior_table(), args.coverage_runs, seed=args.seed
            )
            text = coverage.coverage_markdown(rows, args.coverage_runs, args.seed)
            print(text)
            if args.report:
                Path(args.report).write_text(text + "\n", encoding="utf-8")
        return 0
    if args.command == "serve":
        return _serve(args)
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "info":
        for k, v in api.info().items():
            print(f"{k:16s} {v}")
        return 0
    raise AssertionError(args.command)


def _sweep(args: argparse.Namespace) -> int:
    from abm.sweep import load_sweep
    from abm.sweep.run import BatchDone, run_sweep

    sweep = load_sweep(args.config)
    if args.prefect or args.dask_address:
        from abm.service.flow import sweep_flow

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


def _serve(args: argparse.Namespace) -> int:
    from abm.service.serve import ServiceError, load_service, serve

    scheduled = load_service(args.service)
    for s in scheduled:
        print(
            f"abm-sweep/{s.name}: {s.sweep.name} -> {s.out}, cron '{s.cron}' {s.timezone}"
            + (f", Dask {s.dask_address}" if s.dask_address else "")
        )
    if args.check:
        return 0
    try:
        serve(scheduled)
    except ServiceError as exc:
        print(f"abm serve: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _report(args: argparse.Namespace) -> int:
    """``abm report CUBE [--out FILE]``: write the cube's HTML report, print its path."""
    from abm.analysis.html import write_report

    print(write_report(args.cube, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
