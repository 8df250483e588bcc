"""abm's war combat step against its peers (``benchmarks/peers``), timed interleaved.

The workload is :mod:`abm.bench.war` (``benchmarks/war_combat_step.py``): ``U`` divisions
on ``K`` sectors a run, four weekly battles a month on the CDB90 kernel for ``months``
months, in ``weekly`` or ``monthly`` mode. abm runs it as one jitted chunk of runs
(compiled before timing), the NumPy peer (``benchmarks/peers/numpy_war.py``) vectorised
over runs and divisions, the Mesa peer (``mesa_war.py``) with divisions as agents, one
model a run. :func:`time_war_peers` fixes each one's run count (given, or about
``peer_target_s`` seconds a call from pilot calls; abm's a whole number of chunks), then
times abm, NumPy and Mesa in turn, ``peer_reps`` times, on the same initial men (drawn
before timing), and reports median agent-steps/s and abm's ratios over each peer.

Agent-steps are alive divisions times weeks simulated (``abm.bench.war.agent_steps``),
whichever mode touches the divisions; the sectors are not counted as agents.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

from abm.bench.context import WorkerContext
from abm.bench.peer_timing import medians, pilot_runs, ratios, run_interleaved

#: Peer modules of the war kernel, by name, under ``benchmarks/peers``.
PEER_MODULES = {"numpy": "numpy_war", "mesa": "mesa_war"}


def load_war_peers(peers_dir: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The war peer modules found under ``peers_dir`` (``.../benchmarks/peers``), by name."""
    found: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not peers_dir:
        return found, {name: "benchmarks/peers not found" for name in PEER_MODULES}
    root = str(Path(peers_dir).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    for name, module in PEER_MODULES.items():
        try:
            found[name] = importlib.import_module(f"benchmarks.peers.{module}")
        except Exception as exc:  # a missing peer or its library: skip it, say why
            errors[name] = f"{type(exc).__name__}: {exc}"
    return found, errors


def war_scenario(spec: dict[str, Any]) -> Any:
    """The workload of a spec's ``war`` entry (``divisions``, ``sectors``, ``months``, ``mode``)."""
    from abm.bench.war import WarScenario

    w = spec.get("war") or {}
    return WarScenario(
        divisions=int(w.get("divisions", 1500)),
        sectors=int(w.get("sectors", 50)),
        months=int(w.get("months", 12)),
        mode=str(w.get("mode", "monthly")),
    )


def time_war_peers(ctx: WorkerContext, spec: dict[str, Any]) -> dict[str, Any]:
    """Time abm's war combat step and its peers interleaved, on the same workload.

    Spec keys: ``war`` (``divisions``, ``sectors``, ``months``, ``mode``; ``chunk``: abm's
    runs a compiled call; ``runs``: fixed run counts by implementation; ``pilot`` and
    ``bounds``: the peers' pilot run counts and ``(min, max)`` run counts),
    ``peers_dir``, ``peer_reps``, ``peer_target_s`` (None: the fixed counts).
    """
    import jax

    from abm.bench import war

    w = spec.get("war") or {}
    scenario = war_scenario(spec)
    chunk = int(w.get("chunk", 256))
    fixed = dict(w.get("runs") or {})
    target = spec.get("peer_target_s")
    mods, errors = load_war_peers(spec.get("peers_dir"))
    ctx.say(
        f"war peers: {scenario.divisions} divisions x {scenario.sectors} sectors x "
        f"{scenario.weeks} weeks a run ({scenario.mode}), abm chunks of {chunk} runs"
    )
    men_by_runs: dict[int, np.ndarray] = {}

    def men(n: int) -> np.ndarray:
        if n not in men_by_runs:
            men_by_runs[n] = war.initial_men(scenario, n)
        return men_by_runs[n]

    compiled = war.build(scenario, chunk)
    jax.block_until_ready(compiled(jax.random.key(0), jax.numpy.asarray(men(chunk))))

    def run_abm(n: int, seed: int) -> None:
        war.simulate(scenario, men(n), seed, chunk=chunk, fn=compiled)

    impls: dict[str, dict[str, Any]] = {"abm": {"fn": run_abm, "runs": fixed.get("abm")}}
    for name, mod in mods.items():
        impls[name] = {
            "fn": (lambda n, seed, _m=mod: _m.simulate(scenario, men(n), seed)),
            "runs": fixed.get(name),
        }
    if target:
        pilot = {"abm": chunk, **(w.get("pilot") or {})}
        bounds = {"abm": (chunk, 1_000_000), **(w.get("bounds") or {})}
        for name, imp in impls.items():
            lo, hi = bounds.get(name, (1, 1_000_000))
            start = int(pilot.get(name, 1))
            runs, n, seconds = pilot_runs(imp["fn"], target, start, (lo, hi))
            if name == "abm":  # whole chunks
                runs = max(1, round(runs / chunk)) * chunk
            imp["runs"] = runs
            ctx.say(f"war peers: {name} pilot {n} runs in {seconds:.2f} s -> {runs} runs")
    men_by_runs.clear()  # the pilots' men; the timed runs' are drawn before timing
    for imp in impls.values():
        imp["runs"] = int(imp["runs"] or 1)
        men(imp["runs"])
    res = run_interleaved(ctx, impls, spec, errors)
    res |= {
        "compared": (
            f"the war's weekly combat step (benchmarks/war_combat_step.py, {scenario.mode}): "
            f"{scenario.divisions} divisions on {scenario.sectors} sectors a run, four weekly "
            f"battles a month on the CDB90 kernel for {scenario.months} months; agent-steps "
            "= alive divisions x weeks"
        ),
        "divisions": scenario.divisions,
        "sectors": scenario.sectors,
        "months": scenario.months,
        "mode": scenario.mode,
        "abm_chunk": chunk,
    }
    for name, imp in impls.items():
        res[name] = {
            "runs": imp["runs"],
            "n_agents": scenario.divisions,
            "n_weeks": scenario.weeks,
            **medians(imp["runs"], war.agent_steps(scenario, men(imp["runs"])), imp["seconds"]),
        }
    res.update(ratios(res, list(mods)))
    return res
