"""Results of ``abm bench``: the headline numbers and the JSON (table and plots re-exported).

Headline keys of the JSON (all numbers, None where not measured):

* ``agent_steps_per_s``, ``runs_per_s``: the whole model (``scenario.model()``, the
  interwar model: Soviet and Germany slices, ``model_agents`` agents) on the best device
  setting, the best of the run-count and device series;
* ``ratio_vs_numpy``, ``ratio_vs_mesa``: abm's agent-steps/s over each peer's, medians
  of interleaved repetitions on the Germany slice alone (abm's Germany-only view of the
  scenario, :mod:`abm.bench.germany`, ``germany_agents`` agents; the peers implement
  that model only);
* ``roofline_fraction``: achieved FLOP/s of a chunk of the whole model over the roofline
  bound at its arithmetic intensity (:mod:`abm.bench.roofline`);
* ``peak_rss_mb``: peak resident memory of the process of the largest run count;
* ``devices``: the headline's device setting; ``model_agents``: agents per run of the
  whole model.

The war kernel's peers (issue 15): ``war_peers`` holds ``ratio_vs_numpy`` and
``ratio_vs_mesa`` of the war's weekly combat step (:mod:`abm.bench.war`: ``divisions``
divisions on ``sectors`` sectors a run, four weekly battles a month for ``months`` months,
in ``mode``), abm's agent-steps/s over each peer's (agent-steps: alive divisions x weeks),
medians of interleaved repetitions, with each implementation's runs and timings (the
same layout as ``peers``); None where not measured.

Detail: ``germany_agents``, ``model``, ``by_runs``, ``by_agents``, ``by_devices``,
``peers``, ``war_peers``, ``roofline``, ``compile_s`` (and ``compile``), ``machine``,
``versions``, ``date``, ``notes``.

:func:`assemble` turns the workers' raw results into the result dict and
:func:`write_json` writes it; the table is :func:`abm.bench.table.format_table` and the
plots :func:`abm.bench.plots.write_plots`, both importable from here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from abm.bench import roofline
from abm.bench.plots import write_plots
from abm.bench.table import format_table

__all__ = ["HEADLINE_KEYS", "assemble", "format_table", "write_json", "write_plots"]

HEADLINE_KEYS = (
    "agent_steps_per_s",
    "runs_per_s",
    "ratio_vs_mesa",
    "ratio_vs_numpy",
    "roofline_fraction",
    "peak_rss_mb",
    "devices",
    "model_agents",
)


# ---------------------------------------------------------------- assembling
def _roofline(raw: dict[str, Any]) -> dict[str, Any] | None:
    costs, timing = raw.get("roofline_costs"), raw.get("roofline_timing")
    if not costs or not timing:
        return None
    peak = timing["peak_flops"]["flop_s"]
    bw = timing["bandwidth"]["bytes_s"]
    summary = roofline.summarise(costs["chunk_cost"], timing["chunk_s"], peak, bw)
    return {
        **summary,
        "model": costs.get("model"),
        "peak_flop_s": peak,
        "bandwidth_bytes_s": bw,
        "chunk": costs["chunk"],
        "chunk_s": timing["chunk_s"],
        "chunk_flops": costs["chunk_cost"]["flops"],
        "chunk_bytes": costs["chunk_cost"]["bytes"],
        "chunk_transcendentals": costs["chunk_cost"]["transcendentals"],
        "chunk_cost_xla": costs["chunk_cost_xla"],
        "scan_body_counted": costs["scan_body_counted"],
        "scan_check_model": costs["model_scan_check"],
        "scan_check_toy": costs["toy_scan_check"],
        "months": costs["months"],
        "peak_flops": timing["peak_flops"],
        "bandwidth": timing["bandwidth"],
        "caveats": [
            "FLOPs and bytes are XLA's cost analysis of the compiled programs: bytes count "
            "the operands and results of every fused kernel, whether caches or memory serve "
            "them, so the intensity is a lower bound and a fraction near 1 says the chunk "
            "moves data about as fast as large array copies do",
            "the scan body is corrected to once per month (see scan_body_counted) and each "
            "month is costed with the lax.switch branch it takes in the first chunk (XLA "
            "alone costs a conditional at its costliest branch, the vote count)",
            "peak FLOP/s and bandwidth are measured on this machine in the same run (dense "
            "matrix product; array copies), not data-sheet figures",
        ],
    }


def assemble(raw: dict[str, Any]) -> dict[str, Any]:
    """The bench's raw worker results -> the result dict, headline keys first."""
    full = [r for r in raw.get("by_runs", []) + raw.get("by_devices", []) if r["replicas"] == 1]
    best = max(full, key=lambda r: r["agent_steps_per_s"]) if full else None
    by_runs = raw.get("by_runs", [])
    largest = max(by_runs, key=lambda r: r["runs"]) if by_runs else None
    peers = raw.get("peers") or {}
    war_peers = raw.get("war_peers") or None
    roof = _roofline(raw)
    comp = raw.get("compile") or {}
    model_agents = best["n_agents"] if best else (by_runs[0]["n_agents"] if by_runs else None)
    rss = [r["peak_rss_mb"] for r in by_runs]
    by_chunk: dict[int, list[dict[str, Any]]] = {}
    for r in by_runs:
        by_chunk.setdefault(r["chunk"], []).append(r)
    rss_by_chunk = {
        str(c): {
            "runs": [r["runs"] for r in rs],
            "peak_rss_mb": [r["peak_rss_mb"] for r in rs],
            "growth": max(r["peak_rss_mb"] for r in rs) / min(r["peak_rss_mb"] for r in rs),
        }
        for c, rs in by_chunk.items()
        if len(rs) > 1
    }
    result: dict[str, Any] = {
        "agent_steps_per_s": best["agent_steps_per_s"] if best else None,
        "runs_per_s": best["runs_per_s"] if best else None,
        "ratio_vs_mesa": peers.get("ratio_vs_mesa"),
        "ratio_vs_numpy": peers.get("ratio_vs_numpy"),
        "roofline_fraction": roof["roofline_fraction"] if roof else None,
        "peak_rss_mb": largest["peak_rss_mb"] if largest else None,
        "devices": (
            {
                "setting": best["device_setting"],
                "backend": best["backend"],
                "kind": best["device_kind"],
                "count": best["device_count"],
            }
            if best
            else None
        ),
        "model_agents": model_agents,
        "headline": {
            "from": (
                f"{best['runs']:,} runs, chunk {best['chunk']}, {best['device_setting']}"
                if best
                else None
            ),
            "peak_rss_from": f"{largest['runs']:,} runs" if largest else None,
            "ratios_from": (
                "median agent-steps/s of interleaved repetitions, Germany slice alone "
                "(abm's Germany-only view of the scenario vs the peers)"
            ),
            "war_ratios_from": (
                "median agent-steps/s (alive divisions x weeks) of interleaved repetitions, "
                "the war's weekly combat step (war_peers)"
            ),
        },
        "model": (best or {}).get("model") or (raw.get("roofline_timing") or {}).get("model"),
        "germany_agents": (peers.get("abm") or {}).get("n_agents"),
        "n_months": best["n_months"] if best else None,
        "compile_s": comp.get("compile_s"),
        "compile": comp or None,
        "by_runs": by_runs,
        "peak_rss_growth": (max(rss) / min(rss)) if rss else None,
        "peak_rss_by_chunk": rss_by_chunk,
        "by_agents": raw.get("by_agents", []),
        "by_devices": raw.get("by_devices", []),
        "peers": peers or None,
        "war_peers": war_peers,
        "roofline": roof,
    }
    for key in (
        "mode",
        "config",
        "machine",
        "versions",
        "date",
        "wall_s",
        "probe",
        "plan",
        "cache_dir",
        "notes",
    ):
        result[key] = raw.get(key)
    if roof is None:
        result["notes"] = [*result["notes"], "roofline fraction not measured"]
    return result


def write_json(result: dict[str, Any], path: Path) -> None:
    """Write the results as JSON (non-finite numbers as null)."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean(result), indent=2) + "\n", encoding="utf-8")
