"""What does the war's weekly combat step cost? (issue 15's performance budget)

Times :mod:`abm.models.interwar.war.combat` at the war slice's intended scale: ``--runs``
runs (``vmap``) x ``--divisions`` divisions x ``--sectors`` sectors, four weekly
sub-steps a month (``lax.scan``) for ``--months`` months, one ``jit``; each week draws
its residuals and wins (``jax.random``, a key folded per run and week), sums the
divisions per sector and side, fights every sector and hands the losses back. Prints
division-weeks per second and what a million runs of the war's 72 months (September
1939 to August 1945) would take at that rate, on this machine, for the combat step
alone (the war slice's other parts and the rest of the model come on top).

``--mode weekly`` sums and updates the divisions every week; ``--mode monthly`` (the
default) fights the weeks on the sectors' totals and updates the divisions once a month
(``combat_month``: the same result while divisions keep their sectors for the month).

``--peers`` times abm against its NumPy and Mesa peers instead, interleaved, as ``abm
bench`` does (:mod:`abm.bench.war_peers`): abm in chunks of ``--runs`` runs, each
implementation about ``--target`` seconds a call, ``--repeats`` rounds; agent-steps are
alive divisions x weeks.

Usage: ``python benchmarks/war_combat_step.py [--runs 256] [--repeats 3] [--mode M]
[--peers [--target S]]``.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

from abm.bench.war import MODES, WAR_MONTHS, WEEKS, WarScenario, build, initial_men


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=256)
    ap.add_argument("--divisions", type=int, default=1500)
    ap.add_argument("--sectors", type=int, default=50)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mode", choices=MODES, default="monthly")
    ap.add_argument("--peers", action="store_true", help="time abm against its peers")
    ap.add_argument("--target", type=float, default=4.0, help="seconds a call (--peers)")
    args = ap.parse_args()
    if args.peers:
        peers(args)
        return
    scenario = WarScenario(args.divisions, args.sectors, args.months, args.mode)
    chunk = build(scenario, args.runs)
    men = jnp.asarray(initial_men(scenario, args.runs))
    t0 = time.perf_counter()
    jax.block_until_ready(chunk(jax.random.key(0), men))
    compile_s = time.perf_counter() - t0
    times = []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(chunk(jax.random.key(r + 1), men))
        times.append(time.perf_counter() - t0)
    best = min(times)
    div_weeks = args.runs * args.divisions * args.months * WEEKS
    rate = div_weeks / best
    run_months = args.runs * args.months / best
    million = 1e6 * WAR_MONTHS / run_months
    print(
        f"{jax.devices()[0].device_kind}, {args.mode}: {args.runs} runs x "
        f"{args.divisions} divisions x {args.sectors} sectors x {args.months * WEEKS} weeks; "
        f"compile {compile_s:.1f} s; "
        f"runs of {', '.join(f'{t:.2f}' for t in times)} s"
    )
    print(
        f"{rate:.3g} division-weeks/s, {run_months:.0f} run-months/s; a million runs of the "
        f"war's {WAR_MONTHS} months: {million / 60:.0f} min for the combat step alone"
    )


def peers(args: argparse.Namespace) -> None:
    """abm, the NumPy peer and the Mesa peer timed interleaved; a line per implementation."""
    from pathlib import Path

    from abm.bench.context import WorkerContext
    from abm.bench.locate import default_config
    from abm.bench.plan import BenchPlan
    from abm.bench.war_peers import time_war_peers

    plan = BenchPlan(name="war", by_runs=())
    spec = {
        "config": str(default_config()),
        "peers_dir": str(Path(__file__).resolve().parent / "peers"),
        "peer_reps": args.repeats,
        "peer_target_s": args.target,
        "war": {
            "divisions": args.divisions,
            "sectors": args.sectors,
            "months": args.months,
            "mode": args.mode,
            "chunk": args.runs,
            "pilot": plan.war_peer_pilot,
            "bounds": plan.war_peer_bounds,
        },
    }
    res = time_war_peers(WorkerContext(spec), spec)
    print(f"{jax.devices()[0].device_kind}: {res['compared']}")
    for name in res["order"]:
        imp = res[name]
        ratio = res.get(f"ratio_vs_{name}")
        paired = res.get(f"paired_ratios_vs_{name}") or []
        print(
            f"  {name:5s} {imp['runs']:6d} runs, seconds "
            + ", ".join(f"{t:.2f}" for t in imp["seconds"])
            + f"; {imp['agent_steps_per_s']:.3g} division-weeks/s"
            + ("" if ratio is None else f"; abm x{ratio:.3g} (rounds: ")
            + ", ".join(f"{r:.3g}" for r in paired)
            + ("" if ratio is None else ")")
        )
    for name, err in res["errors"].items():
        print(f"  {name} not measured: {err}")


if __name__ == "__main__":
    main()
