"""The argument parser of the ``abm`` command and its value checks.

Every number given on the command line is checked here, so that a value out of range is
refused by argparse (one line, exit status 2) before anything is loaded or simulated,
instead of failing deep inside the engine.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

#: Largest runs per point: the engine counts points x runs in int32.
MAX_RUNS = 2**31 - 1
#: Largest seed (seeds are uint32).
MAX_SEED = 2**32 - 1
#: Largest chunk (the exact int32 tallies; as the config's ``run.chunk_size``).
MAX_CHUNK_SIZE = 32768

STANCE_HELP = (
    "stance: a name from configs/stances/ (beside the scenarios: optimistic, skeptic), "
    "a .yaml path, or 'none'; default: the scenario's own stance, if any"
)


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer in ``[low, high]``, else an argparse error.

    Args:
        low: smallest value allowed.
        high: largest value allowed.

    Returns:
        The converter (its error names the value and the allowed range).
    """

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an integer; allowed: an integer in [{low}, {high}]"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{value} is out of range; allowed: an integer in [{low}, {high}]"
            )
        return value

    return convert


RUNS = int_in(1, MAX_RUNS)
SEED = int_in(0, MAX_SEED)
CHUNK_SIZE = int_in(1, MAX_CHUNK_SIZE)
POSITIVE = int_in(1, MAX_RUNS)
INDEX = int_in(0, MAX_RUNS)
COUNT = int_in(0, MAX_RUNS)


def _stance(p: argparse.ArgumentParser, help_text: str = STANCE_HELP) -> None:
    p.add_argument("--stance", metavar="NAME_OR_PATH", default=None, help=help_text)
    p.add_argument(
        "--posterior",
        metavar="PATH",
        default=None,
        help="run on a calibrated posterior (a .npz written by abm calibrate), 'default' "
        "(the model's own calibrated posterior) or 'none' (the priors alone); default: the "
        "scenario's posterior: key",
    )


def _exogenous(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--exogenous",
        choices=("random", "history"),
        default=None,
        help="the weather, the world economy and the other powers' paths: drawn (random) or "
        "as they came (history); default: the scenario's exogenous: key (docs/exogenous.md)",
    )


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", type=RUNS, help="Monte Carlo runs (default: the config's run.runs)")
    p.add_argument("--seed", type=SEED, help="seed (default: the config's run.seed)")
    p.add_argument("--chunk-size", type=CHUNK_SIZE, help="runs per compiled chunk")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="pin a lever or parameter; a per-faction or per-party NAME sets every member, "
        "NAME.MEMBER one (repeatable)",
    )


def _simulation_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``run``, ``compare``, ``trace`` and ``calibrate``."""
    r = sub.add_parser("run", help="simulate a scenario and write its cube")
    r.add_argument("config", help="scenario YAML, e.g. configs/scenarios/otl.yaml")
    _common(r)
    _stance(r)
    _exogenous(r)
    r.add_argument("--out", help="cube path (Zarr), e.g. results/otl.zarr")
    r.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing cube at --out and netCDF file at --netcdf (only ones abm "
        "wrote: anything else is never replaced)",
    )
    r.add_argument("--netcdf", help="also export the cube as netCDF to this path")

    c = sub.add_parser(
        "compare", help="two scenarios with common random numbers, paired differences"
    )
    c.add_argument("config_a")
    c.add_argument("config_b")
    _common(c)
    _stance(c, STANCE_HELP + " (applies to both scenarios)")
    _exogenous(c)
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
    c.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing cubes in --out-dir (only ones abm wrote) and the --csv file",
    )
    c.add_argument("--csv", help="also write the comparison table as CSV")
    c.add_argument(
        "--given",
        action="append",
        default=[],
        metavar="EXPR",
        help="keep only the paired runs whose scenario A satisfies EXPR, e.g. "
        "nazi_power_month=1932-07..1933-06 (repeatable, ANDed; docs/conditioning.md)",
    )

    t = sub.add_parser("trace", help="replay one run exactly and print its chronicle")
    t.add_argument("config")
    t.add_argument("--seed", type=SEED, default=None)
    t.add_argument("--run", type=INDEX, required=True)
    t.add_argument("--point", type=INDEX, default=0)
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    _stance(t)
    t.add_argument("--out", help="write the per-month state as a Zarr cube")
    t.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing trace or cube at --out (only one abm wrote)",
    )

    _worlds_command(sub)

    k = sub.add_parser(
        "calibrate",
        help="calibrate the whole stochastic model against history (a posterior sample, "
        "docs/calibration.md); --skeleton: the older per-slice fit of calibrated priors",
    )
    k.add_argument(
        "--config",
        default=None,
        help="the calibration config (default configs/calibration/interwar.yaml); with "
        "--skeleton the base scenario (default configs/scenarios/otl.yaml)",
    )
    k.add_argument(
        "--store",
        help="the resumable store folder (default results/calibration/<model>); an "
        "unfinished calibration there resumes",
    )
    k.add_argument(
        "--out",
        help="the posterior file (default: the model's own, which scenarios read with "
        "posterior: default)",
    )
    k.add_argument(
        "--overwrite",
        action="store_true",
        help="start the store afresh if it holds another calibration, and replace --report",
    )
    k.add_argument(
        "--report-runs",
        type=COUNT,
        default=2000,
        help="runs of each scored ensemble (prior and calibrated; 0: no scores)",
    )
    k.add_argument(
        "--sbc",
        type=COUNT,
        default=200,
        help="synthetic data sets of the method's simulation-based calibration (0: none)",
    )
    k.add_argument(
        "--prefect",
        action="store_true",
        help="run as the Prefect flow abm-calibrate, each batch of simulations a task; "
        "implied by --dask-address",
    )
    k.add_argument(
        "--dask-address",
        metavar="ADDR",
        help="run the simulation batches on the Dask cluster at ADDR (tcp://HOST:PORT) "
        "through Prefect's Dask task runner",
    )
    k.add_argument(
        "--batch-points",
        type=POSITIVE,
        default=64,
        help="parameter vectors per Prefect task (default 64); results do not depend on it",
    )
    k.add_argument(
        "--skeleton",
        action="store_true",
        help="instead: re-fit each slice's calibrated priors on its deterministic skeleton",
    )
    k.add_argument(
        "--coverage-runs",
        type=COUNT,
        default=1000,
        help="with --skeleton: runs for the 90%% coverage report (0: skip)",
    )
    k.add_argument("--seed", type=SEED, default=0, help="seed of the scored or coverage runs")
    k.add_argument("--report", help="write the scores (or the coverage table) here (Markdown)")


def _worlds_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``worlds``: a nested design, world vs chance (docs/worlds.md)."""
    n = sub.add_parser(
        "worlds", help="separate world from luck: K parameter draws x R replicates, Sobol"
    )
    n.add_argument("config_a", help="scenario A (the worlds are drawn from its priors)")
    n.add_argument("config_b", nargs="?", default=None, help="scenario B (optional)")
    n.add_argument("--worlds", type=int_in(2, 2**20), default=64, help="K worlds (default 64)")
    n.add_argument(
        "--replicates", type=int_in(2, 2**20), default=16, help="R runs per world (default 16)"
    )
    n.add_argument("--seed", type=SEED, help="seed (default: A's run.seed)")
    n.add_argument("--chunk-size", type=CHUNK_SIZE, help="runs per compiled chunk")
    n.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    _stance(n, STANCE_HELP + " (applies to both scenarios)")
    n.add_argument("--top", type=int_in(1, 1000), default=15, help="Sobol rows per cell")
    n.add_argument(
        "--csv", metavar="PREFIX", help="write PREFIX_{decomposition,difference,sobol}.csv"
    )
    n.add_argument("--overwrite", action="store_true", help="replace existing --csv files")


def _sweep_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``sweep`` and ``serve``."""
    w = sub.add_parser("sweep", help="run a sweep into one resumable Zarr cube (batches of points)")
    w.add_argument("config", help="sweep YAML, e.g. configs/sweeps/purge_x_united_front.yaml")
    w.add_argument("--out", required=True, help="cube path (Zarr); an unfinished one resumes")
    w.add_argument("--runs", type=RUNS, help="runs per point (default: the sweep's)")
    w.add_argument(
        "--batch-points",
        type=POSITIVE,
        help="points per batch (default: about 8 chunks of runs); part of the results' "
        "identity: a resumed sweep must use the same",
    )
    w.add_argument(
        "--overwrite",
        action="store_true",
        help="replace another sweep's store or a scenario's cube at --out (only ones abm "
        "wrote: anything else is never replaced)",
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


def _tool_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``info``, ``bench`` and ``report``."""
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
    rp.add_argument("--overwrite", action="store_true", help="replace an existing report file")

    va = sub.add_parser("validate", help="score a cube against historical targets (CRPS, PIT)")
    va.add_argument("cube", help="cube path (Zarr): a scenario's cube or a sweep store")
    va.add_argument("--targets", help="targets CSV (default: the cube's model's targets)")
    va.add_argument("--point", type=INDEX, default=None, help="sweep point to score")
    va.add_argument("--csv", help="write the per-target scores as CSV here")
    va.add_argument("--plot", help="write the PIT histogram as PNG here")
    va.add_argument("--overwrite", action="store_true", help="replace existing --csv/--plot files")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    ap = argparse.ArgumentParser(
        prog="abm", description="Agent-based Monte Carlo forecasts of the interwar years."
    )
    ap.add_argument(
        "--devices",
        type=POSITIVE,
        default=None,
        help="number of CPU devices to expose to JAX (default: $ABM_CPU_DEVICES or 1)",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    ap.add_argument("-q", "--quiet", action="store_true", help="warnings only, no progress")
    sub = ap.add_subparsers(dest="command", required=True)
    _simulation_commands(sub)
    _sweep_commands(sub)
    _tool_commands(sub)
    return ap


__all__ = ["STANCE_HELP", "build_parser", "int_in"]
