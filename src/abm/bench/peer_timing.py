"""abm against its peers (``benchmarks/peers``), timed interleaved on one scenario.

The peers re-implement the Germany slice alone, so abm's side runs the scenario's
Germany-only view (:mod:`abm.bench.germany`) over the same calendar. :func:`time_peers`
fixes each implementation's run count (given, or about ``peer_target_s`` seconds a call
from pilot calls), then times abm, NumPy and Mesa in turn, ``peer_reps`` times, and
reports median agent-steps/s and abm's ratios over each peer. Its steps (:func:`pilot_runs`,
:func:`interleave`, :func:`medians`, :func:`ratios`) serve the war kernel's peers too
(:mod:`abm.bench.war_peers`).
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from abm.bench.context import WorkerContext
from abm.bench.timing import time_calls


def load_peers(peers_dir: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The peer modules found under ``peers_dir`` (``.../benchmarks/peers``), by name."""
    import importlib

    found: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not peers_dir:
        return found, {"numpy": "benchmarks/peers not found", "mesa": "benchmarks/peers not found"}
    root = str(Path(peers_dir).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    for name in ("numpy", "mesa"):
        try:
            found[name] = importlib.import_module(f"benchmarks.peers.{name}_germany")
        except Exception as exc:  # a missing peer or its library: skip it, say why
            errors[name] = f"{type(exc).__name__}: {exc}"
    return found, errors


def peer_months(mod: Any, config: str) -> int:
    """Months a peer module simulates for ``config`` (its scenario's calendar)."""
    common = getattr(mod, "c", None)
    if common is not None and hasattr(common, "n_months"):
        return int(common.n_months(config))
    return int(mod.N_MONTHS)


def run_interleaved(
    ctx: WorkerContext, impls: dict[str, dict[str, Any]], spec: dict[str, Any], errors: Any
) -> dict[str, Any]:
    """Time ``impls`` in turn, ``spec["peer_reps"]`` rounds (:func:`interleave`).

    Returns the result's common keys: ``order`` (the implementations' order in a round),
    ``reps`` and the peers' loading ``errors``.
    """
    reps = int(spec.get("peer_reps", 3))
    order = list(impls)
    interleave(ctx, impls, reps)
    return {"order": order, "reps": reps, "errors": errors}


def time_peers(ctx: WorkerContext, spec: dict[str, Any], chunk_size: int) -> dict[str, Any]:
    """Time abm's Germany-only view and the peers interleaved, on the same scenario."""
    from abm.engine.runner import Runner

    mods, errors = load_peers(spec.get("peers_dir"))
    config = spec["config"]
    fixed = dict(spec.get("peer_runs") or {})
    target = spec.get("peer_target_s")
    view = ctx.germany(1)
    tables = view.tables()
    runner = Runner(view.model, chunk_size=chunk_size)
    chunk = runner.chunk_size
    n_agents, n_months = int(view.model.n_agents), int(view.model.n_months)
    ctx.say(
        f"peers: abm's Germany slice alone ({n_agents} agents x {n_months} months, the "
        f"{view.faction} faction's Comintern line {view.line:g}), chunk {chunk}"
    )
    runner.run(ctx.seed, tables, chunk)  # warm (compile or cache load)
    chunk_s = min(time_calls(lambda: runner.run(ctx.seed, tables, chunk), 2))

    def run_abm(n: int, seed: int) -> None:
        runner.run(seed, tables, n)

    impls: dict[str, dict[str, Any]] = {
        "abm": {"fn": run_abm, "agents": n_agents, "months": n_months, "runs": fixed.get("abm")}
    }
    for name, mod in mods.items():
        months = peer_months(mod, config)
        if months != n_months:
            raise RuntimeError(f"{name} peer simulates {months} months, abm {n_months}")
        impls[name] = {
            "fn": (lambda n, seed, _m=mod: _m.simulate(config, n, seed)),
            "agents": int(mod.N_AGENTS),
            "months": months,
            "runs": fixed.get(name),
        }
    # Run counts: fixed, or about ``target`` seconds per call from pilot calls.
    if target:
        for name, imp in impls.items():
            if name == "abm":
                imp["runs"] = max(1, round(target * chunk / chunk_s / chunk)) * chunk
                continue
            lo, hi = (spec.get("peer_bounds") or {}).get(name, (1, 1_000_000))
            start = int((spec.get("peer_pilot") or {}).get(name, 1))
            imp["runs"], n, seconds = pilot_runs(imp["fn"], target, start, (lo, hi))
            ctx.say(f"peers: {name} pilot {n} runs in {seconds:.2f} s -> {imp['runs']} runs")
    res = run_interleaved(ctx, impls, spec, errors)
    res |= {
        "model": view.model.name,
        "compared": (
            "the Germany slice alone: abm's GermanyModel over the scenario's calendar and "
            "Germany-catalogue priors, the KPD on the Comintern line of the leader preset's "
            f"faction ({view.faction}: {view.line:g}), against the peers' same model"
        ),
        "faction": view.faction,
        "comintern_line": view.line,
        "abm_chunk": chunk,
    }
    for name, imp in impls.items():
        steps = imp["runs"] * imp["months"] * imp["agents"]
        res[name] = {
            "runs": imp["runs"],
            "n_agents": imp["agents"],
            "n_months": imp["months"],
            **medians(imp["runs"], steps, imp["seconds"]),
        }
    res.update(ratios(res, list(mods)))
    return res


def pilot_runs(
    fn: Callable[[int, int], Any], target: float, start: int, bounds: tuple[int, int]
) -> tuple[int, int, float]:
    """Runs for about ``target`` seconds a call of ``fn(runs, seed)``, from pilot calls.

    The pilot grows from ``start`` runs until a call takes a quarter of the target (or
    reaches the upper bound); the pilot's rate sets the count, clipped to ``bounds``.

    Returns:
        (runs, the last pilot's runs, its seconds).
    """
    lo, hi = bounds
    n = int(start)
    while True:
        t0 = time.perf_counter()
        fn(n, 10_000 + n)
        seconds = time.perf_counter() - t0
        if seconds >= 0.25 * target or n >= hi:
            break
        n = min(hi, n * max(2, math.ceil(0.3 * target / max(seconds, 1e-6))))
    return int(min(max(round(target * n / seconds), lo), hi)), n, seconds


def interleave(ctx: WorkerContext, impls: dict[str, dict[str, Any]], reps: int) -> None:
    """Time each implementation's ``fn(runs, seed)`` in turn, ``reps`` rounds.

    The same runs (``ctx.seed``) each round; each call's wall seconds are appended to
    the implementation's ``seconds`` (``runs`` None: one run).
    """
    for imp in impls.values():
        imp["runs"] = int(imp["runs"] or 1)
        imp["seconds"] = []
    order = list(impls)
    ctx.say(
        "peers: "
        + ", ".join(f"{n} {impls[n]['runs']} runs" for n in order)
        + f"; {reps} interleaved repetitions"
    )
    for rep in range(reps):
        for name in order:
            imp = impls[name]
            t0 = time.perf_counter()
            imp["fn"](imp["runs"], ctx.seed)  # the same runs each repetition
            imp["seconds"].append(time.perf_counter() - t0)
        ctx.say(
            f"  repetition {rep + 1}/{reps}: "
            + ", ".join(f"{n} {impls[n]['seconds'][-1]:.2f} s" for n in order)
        )


def medians(runs: int, steps: float, seconds: list[float]) -> dict[str, Any]:
    """An implementation's timings: ``steps`` agent-steps and ``runs`` runs a call."""
    rates = [steps / s for s in seconds]
    return {
        "seconds": seconds,
        "agent_steps_per_s_reps": rates,
        "agent_steps_per_s": statistics.median(rates),
        "runs_per_s": statistics.median(runs / s for s in seconds),
    }


def ratios(res: dict[str, Any], peers: list[str]) -> dict[str, Any]:
    """The ratios of abm's median agent-steps/s over each peer's, and of each repetition."""
    out: dict[str, Any] = {}
    for name in peers:
        out[f"ratio_vs_{name}"] = res["abm"]["agent_steps_per_s"] / res[name]["agent_steps_per_s"]
        out[f"paired_ratios_vs_{name}"] = [
            a / b
            for a, b in zip(
                res["abm"]["agent_steps_per_s_reps"],
                res[name]["agent_steps_per_s_reps"],
                strict=True,
            )
        ]
    return out
