"""Results of ``abm bench``: headline numbers, the table, the JSON and the plots.

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

Detail: ``germany_agents``, ``model``, ``by_runs``, ``by_agents``, ``by_devices``,
``peers``, ``roofline``, ``compile_s`` (and ``compile``), ``machine``, ``versions``,
``date``, ``notes``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from abm.bench import roofline

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


# ---------------------------------------------------------------- the table
def _si(x: float | None, unit: str = "") -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


def _fmt(x: float | None, spec: str = ",.0f") -> str:
    return "n/a" if x is None or not math.isfinite(x) else format(x, spec)


def _rows(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return out


def format_table(result: dict[str, Any]) -> str:
    """The results as a readable plain-text report."""
    r = result
    m = r.get("machine") or {}
    v = r.get("versions") or {}
    probe = r.get("probe") or {}
    lines = [
        f"abm bench ({r.get('mode')}): {r.get('config')}, whole model ({r.get('model')}) "
        f"{r.get('model_agents')} agents x {r.get('n_months')} months per run",
        f"  {m.get('cpu_model')} ({m.get('cpu_count')} cores), JAX {v.get('jax')} "
        f"backend {probe.get('platform')} ({probe.get('device_count')} x "
        f"{probe.get('device_kind')}), {r.get('date')}, bench wall time "
        f"{_fmt(r.get('wall_s'), '.0f')} s",
        "",
        "Headline",
    ]
    h = r.get("headline") or {}
    dev = r.get("devices") or {}
    roof = r.get("roofline") or {}
    lines += [
        f"  agent-steps/s       {_si(r.get('agent_steps_per_s'))}  ({h.get('from')})",
        f"  runs/s              {_fmt(r.get('runs_per_s'))}  on {dev.get('setting')}",
        f"  vs NumPy peer       x{_fmt(r.get('ratio_vs_numpy'), ',.3g')}  (agent-steps/s ratio, "
        f"Germany slice: {r.get('germany_agents')} agents)",
        f"  vs Mesa peer        x{_fmt(r.get('ratio_vs_mesa'), ',.4g')}  (agent-steps/s ratio, "
        "Germany slice)",
        f"  roofline fraction   {_fmt(r.get('roofline_fraction'), '.3f')}  "
        f"({roof.get('bound', 'n/a')}-bound at {_fmt(roof.get('intensity_flop_per_byte'), '.3g')}"
        " FLOP/byte)",
        f"  peak RSS            {_fmt(r.get('peak_rss_mb'))} MB  ({h.get('peak_rss_from')})",
        f"  compile             {_fmt(r.get('compile_s'), '.1f')} s",
    ]
    comp = r.get("compile")
    if comp:
        st = comp.get("stages_s") or {}
        lines += [
            "",
            f"Compile (fresh runner, chunk {comp['chunk']}, "
            f"{'real compile' if comp.get('real_compile') else 'from cache: estimate'})",
            f"  first call {comp['first_call_s']:.2f} s = trace {st.get('trace_s', 0):.2f} + "
            f"lower {st.get('lower_s', 0):.2f} + XLA {st.get('xla_compile_s', 0):.2f} s + "
            f"one chunk; steady chunk {comp['steady_chunk_s']:.2f} s; first call - steady "
            f"{comp['compile_estimate_s']:.2f} s",
        ]
    for key, title in (
        ("by_runs", "By run count"),
        ("by_devices", "By devices"),
        ("by_agents", "By agent count"),
    ):
        items = r.get(key) or []
        if not items:
            continue
        rows = [
            [
                f"{it['runs']:,}",
                str(it["replicas"]),
                f"{it['n_agents']:,}",
                it["device_setting"],
                str(it["chunk"]),
                str(it["chunks"]),
                f"{it['seconds']:.2f}",
                _fmt(it["runs_per_s"]),
                _si(it["agent_steps_per_s"]),
                f"{it['cpu_per_wall']:.2f}",
                _fmt(it["peak_rss_mb"]),
            ]
            for it in items
        ]
        lines += ["", title]
        lines += [
            "  " + s
            for s in _rows(
                [
                    "runs",
                    "replicas",
                    "agents",
                    "devices",
                    "chunk",
                    "chunks",
                    "seconds",
                    "runs/s",
                    "agent-steps/s",
                    "CPU/wall",
                    "peak RSS MB",
                ],
                rows,
            )
        ]
        if key == "by_runs" and r.get("peak_rss_growth"):
            lines.append(
                f"  peak RSS, largest / smallest over run counts: {r['peak_rss_growth']:.2f}"
                " (the chunk size, not the run count, sets the memory)"
            )
            for c, g in (r.get("peak_rss_by_chunk") or {}).items():
                lines.append(
                    f"  same chunk {c}: {_fmt(min(g['peak_rss_mb']))}-"
                    f"{_fmt(max(g['peak_rss_mb']))} MB over {min(g['runs']):,}-"
                    f"{max(g['runs']):,} runs (x{g['growth']:.2f})"
                )
    peers = r.get("peers")
    if peers:
        rows = []
        for name in peers["order"]:
            p = peers[name]
            ratio = peers.get(f"ratio_vs_{name}")
            rows.append(
                [
                    name,
                    f"{p['runs']:,}",
                    f"{sorted(p['seconds'])[len(p['seconds']) // 2]:.2f}",
                    _fmt(p["runs_per_s"], ",.1f"),
                    _si(p["agent_steps_per_s"]),
                    "-" if name == "abm" else f"x{ratio:,.3g}",
                ]
            )
        lines += [
            "",
            f"Peers (Germany slice alone, interleaved, {peers['reps']} repetitions, medians)",
        ]
        if peers.get("compared"):
            lines.append(f"  {peers['compared']}")
        lines += [
            "  " + s
            for s in _rows(["impl", "runs", "seconds", "runs/s", "agent-steps/s", "abm is"], rows)
        ]
    if roof:
        months = roof["months"]
        census = months.get("census")
        lines += [
            "",
            f"Roofline (whole model{' ' + roof['model'] if roof.get('model') else ''}, chunk "
            f"of {roof['chunk']} runs, {roof['chunk_s']:.3f} s steady)",
            f"  peak {_si(roof['peak_flop_s'], 'FLOP/s')} (float32 {roof['peak_flops']['n']}^2 "
            f"matmul); bandwidth {_si(roof['bandwidth_bytes_s'], 'B/s')} (array copies)",
            f"  chunk: {_si(roof['chunk_flops'], 'FLOP')}, {_si(roof['chunk_bytes'], 'B')} "
            f"(XLA as compiled: {_si(roof['chunk_cost_xla']['flops'], 'FLOP')}, "
            f"{_si(roof['chunk_cost_xla']['bytes'], 'B')}); intensity "
            f"{roof['intensity_flop_per_byte']:.3g} FLOP/B, ridge "
            f"{roof['ridge_intensity_flop_per_byte']:.3g} FLOP/B",
            f"  achieved {_si(roof['achieved_flop_s'], 'FLOP/s')} "
            f"({100 * roof['fraction_of_peak_flops']:.1f} % of peak), "
            f"{_si(roof['achieved_bytes_s'], 'B/s')} "
            f"({100 * roof['fraction_of_bandwidth']:.0f} % of bandwidth); bound "
            f"{_si(roof['bound_flop_s'], 'FLOP/s')} ({roof['bound']}); fraction "
            f"{roof['roofline_fraction']:.3f}",
            f"  scan body counted {roof['scan_body_counted']} by XLA's cost analysis "
            f"(FLOPs x{roof['scan_check_model']['ratio']:.2f} at twice the months): "
            + (
                "corrected to once per month"
                if roof["scan_body_counted"] == "once"
                else "no trip-count correction needed"
            ),
            "  month branches (first chunk): "
            + (
                ", ".join(f"branch {k}: {n} months" for k, n in census.items())
                if census
                else months.get("method", "n/a")
            ),
        ]
    notes = r.get("notes") or []
    if notes:
        lines += ["", "Notes"] + [f"  - {n}" for n in notes]
    return "\n".join(lines)


# ---------------------------------------------------------------- plots
def _figure(size: tuple[float, float] = (7.0, 4.5)) -> Any:
    from matplotlib.figure import Figure  # Agg canvas, no pyplot state

    return Figure(figsize=size, layout="constrained")


def write_plots(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """PNGs of throughput vs runs, throughput vs agents, devices and peers.

    Returns:
        The files written (a plot without data is skipped).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    model = f"{result.get('config')}"
    by_runs = result.get("by_runs") or []
    if by_runs:
        fig = _figure((7.0, 6.0))
        ax, ax2 = fig.subplots(2, 1, sharex=True)
        x = [it["runs"] for it in by_runs]
        ax.plot(x, [it["agent_steps_per_s"] for it in by_runs], "o-", label="agent-steps/s")
        ax.set_xscale("log")
        ax.set_ylabel("agent-steps per second")
        ax.set_ylim(bottom=0)
        ax.grid(True, which="both", alpha=0.3)
        runs_ax = ax.twinx()
        runs_ax.plot(x, [it["runs_per_s"] for it in by_runs], "s--", color="C1", label="runs/s")
        runs_ax.set_ylabel("runs per second")
        runs_ax.set_ylim(bottom=0)
        handles = ax.get_legend_handles_labels()
        h2 = runs_ax.get_legend_handles_labels()
        ax.legend(handles[0] + h2[0], handles[1] + h2[1], loc="lower right")
        ax.set_title(f"abm throughput vs run count ({by_runs[0]['device_setting']})")
        ax2.plot(
            x,
            [it["peak_rss_mb"] for it in by_runs],
            "o-",
            color="C2",
            label="peak RSS of the run's process",
        )
        ax2.set_xscale("log")
        ax2.set_xlabel("runs (log scale)")
        ax2.set_ylabel("peak RSS (MB)")
        ax2.set_ylim(bottom=0)
        ax2.grid(True, which="both", alpha=0.3)
        ax2.legend(loc="lower right")
        fig.suptitle(model, fontsize="small")
        path = out_dir / "throughput_vs_runs.png"
        fig.savefig(path, dpi=120)
        written.append(path)
    by_agents = result.get("by_agents") or []
    if by_agents:
        fig = _figure()
        ax = fig.subplots()
        x = [it["n_agents"] for it in by_agents]
        ax.plot(x, [it["agent_steps_per_s"] for it in by_agents], "o-", label="agent-steps/s")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(
            "agents per run (whole model: Germany blocs x replicas + parties + Soviet; log)"
        )
        ax.set_ylabel("agent-steps per second")
        ax.set_ylim(bottom=0)
        ax.grid(True, which="both", alpha=0.3)
        runs_ax = ax.twinx()
        runs_ax.plot(x, [it["runs_per_s"] for it in by_agents], "s--", color="C1", label="runs/s")
        runs_ax.set_ylabel("runs per second")
        runs_ax.set_ylim(bottom=0)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = runs_ax.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="lower center")
        ax.set_title(
            f"abm throughput vs agents ({by_agents[0]['runs']:,} runs, "
            f"{by_agents[0]['device_setting']})"
        )
        for it in by_agents:
            ax.annotate(
                f"x{it['replicas']}",
                (it["n_agents"], it["agent_steps_per_s"]),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize="small",
            )
        path = out_dir / "throughput_vs_agents.png"
        fig.savefig(path, dpi=120)
        written.append(path)
    by_devices = result.get("by_devices") or []
    if by_devices:
        fig = _figure()
        ax = fig.subplots()
        labels = [it["device_setting"] for it in by_devices]
        vals = [it["agent_steps_per_s"] for it in by_devices]
        bars = ax.bar(
            labels, vals, color=[f"C{i}" for i in range(len(vals))], label="agent-steps/s"
        )
        ax.bar_label(bars, labels=[_si(v_) for v_ in vals])
        ax.set_xlabel("device setting")
        ax.set_ylabel("agent-steps per second")
        ax.set_title(f"abm throughput by devices ({by_devices[0]['runs']:,} runs)")
        ax.legend(loc="lower right")
        path = out_dir / "throughput_vs_devices.png"
        fig.savefig(path, dpi=120)
        written.append(path)
    peers = result.get("peers")
    if peers:
        fig = _figure()
        ax = fig.subplots()
        names = list(peers["order"])
        vals = [peers[n]["agent_steps_per_s"] for n in names]
        colours = ["C0", "C1", "C2", "C3"][: len(names)]
        bars = ax.bar(names, vals, color=colours, label="median agent-steps/s")
        ax.set_yscale("log")
        texts = []
        for n, v_ in zip(names, vals, strict=True):
            ratio = peers.get(f"ratio_vs_{n}")
            texts.append(_si(v_) + ("" if ratio is None else f"\nabm x{ratio:,.3g}"))
        ax.bar_label(bars, labels=texts, fontsize="small")
        ax.set_ylim(top=max(vals) * 20)
        ax.set_xlabel("implementation of the Weimar Germany model (Germany slice alone)")
        ax.set_ylabel("agent-steps per second (log scale)")
        ax.set_title(f"abm vs peers (interleaved, median of {peers['reps']})")
        ax.legend(loc="upper right")
        path = out_dir / "peers.png"
        fig.savefig(path, dpi=120)
        written.append(path)
    return written
