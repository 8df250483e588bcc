"""``abm bench``: measured performance of abm against its peers and the hardware.

On a scenario (``configs/scenarios/otl.yaml`` by default) the bench measures, each JAX
measurement in a subprocess of its own (:mod:`abm.bench.measure`):

1. the compile time of a fresh runner apart from its steady chunks;
2. throughput (runs/s, agent-steps/s) and peak resident memory by run count, one
   process per count;
3. throughput by agent count (``replicas`` of the Germany slice's voter blocs);
4. throughput by devices (1 and 2 CPU devices; every GPU on a GPU machine);
5. abm against the NumPy and Mesa peers (``benchmarks/peers``), timed interleaved: on
   the Germany slice, and on the war's weekly combat step (:mod:`abm.bench.war`,
   :mod:`abm.bench.war_peers`: divisions on sectors, agent-steps = alive division-weeks);
6. the fraction of this machine's roofline that a chunk reaches
   (:mod:`abm.bench.roofline`).

1-4 and 6 run the whole model (``scenario.model()``: the interwar model, Soviet and
Germany slices, ``model.n_agents`` agents a run). The peers re-implement the Germany
slice alone, so 5 compares like with like: abm runs the scenario's Germany-only view
(:mod:`abm.bench.germany`: ``GermanyModel`` over the scenario's calendar and priors, the
Comintern line of the leader preset's faction), the peers the same model. The war's
peers re-implement the workload of ``benchmarks/war_combat_step.py`` on the war slice's
CDB90 combat kernel, which abm runs as one jitted chunk of runs.

Every program is compiled once, before any throughput is timed, into a persistent
compilation cache (abm's, ``$ABM_JAX_CACHE`` or ``~/.cache/abm/jax``), one compiling
process per core, so the measuring processes only load them. The compile that is timed
runs first and alone (XLA's compile uses more than one core), in an empty cache (a real
compile). :func:`run_bench` runs
a :class:`BenchPlan` and returns the results; :mod:`abm.bench.report` prints, saves and
plots them; :func:`cli_main` is ``abm bench``.

Where things are: the plans in :mod:`abm.bench.plan`; paths in :mod:`abm.bench.locate`;
the run in :mod:`abm.bench.run` (its state and throughput items in
:mod:`abm.bench.session`, the compiles in :mod:`abm.bench.compiles`); the workers in
:mod:`abm.bench.measure` (launched by :mod:`abm.bench.launch`, their tasks in
:mod:`abm.bench.tasks`, :mod:`abm.bench.peer_timing` and :mod:`abm.bench.war_peers`);
the results in :mod:`abm.bench.report`, :mod:`abm.bench.table` and
:mod:`abm.bench.plots`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abm.bench.locate import (
    DEFAULT_CONFIG,
    DEFAULT_RESULTS,
    PEERS_DIR,
    default_config,
    find_peers,
    shared_cache_dir,
)
from abm.bench.plan import BenchPlan, full_plan, quick_plan, scale_plan, tiny_plan
from abm.bench.run import run_bench

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_RESULTS",
    "PEERS_DIR",
    "BenchPlan",
    "cli_main",
    "default_config",
    "find_peers",
    "full_plan",
    "quick_plan",
    "run_bench",
    "scale_plan",
    "shared_cache_dir",
    "tiny_plan",
]


def cli_main(args: Any) -> int:
    """``abm bench``: run the bench, print the table, write the JSON and the plots."""
    from abm.bench import report

    plan = quick_plan() if args.quick else full_plan()
    scale = getattr(args, "runs_scale", None)
    if scale:
        plan = scale_plan(plan, float(scale))
    result = run_bench(plan, config=args.config, quiet=bool(getattr(args, "quiet", False)))
    print(report.format_table(result))
    json_path = Path(args.json) if args.json else None
    plots = Path(args.plots) if args.plots else (json_path.parent if json_path else DEFAULT_RESULTS)
    if json_path is not None:
        report.write_json(result, json_path)
        print(f"wrote {json_path}")
    for p in report.write_plots(result, plots):
        print(f"wrote {p}")
    return 0
