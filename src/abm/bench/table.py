"""The plain-text report of ``abm bench``: headline, compile, series, peers, roofline.

The peers come twice: the Germany slice's (``peers``) and the war combat step's
(``war_peers``), each a row per implementation.

:func:`format_table` turns the results (:func:`abm.bench.report.assemble`) into the
table ``abm bench`` prints; :func:`si` writes a number with an SI prefix (the plots use
it too).
"""

from __future__ import annotations

import math
from typing import Any


def si(x: float | None, unit: str = "") -> str:
    """``x`` to three significant digits with an SI prefix (``1.23 MFLOP/s``); n/a if None."""
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


def _peer_rows(peers: dict[str, Any]) -> list[str]:
    """What was compared and a row per implementation: runs, seconds, rates, ratio."""
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
                si(p["agent_steps_per_s"]),
                "-" if name == "abm" else f"x{ratio:,.3g}",
            ]
        )
    out = [f"  {peers['compared']}"] if peers.get("compared") else []
    header = ["impl", "runs", "seconds", "runs/s", "agent-steps/s", "abm is"]
    return out + ["  " + s for s in _rows(header, rows)]


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
    war = r.get("war_peers") or {}
    lines += [
        f"  agent-steps/s       {si(r.get('agent_steps_per_s'))}  ({h.get('from')})",
        f"  runs/s              {_fmt(r.get('runs_per_s'))}  on {dev.get('setting')}",
        f"  vs NumPy peer       x{_fmt(r.get('ratio_vs_numpy'), ',.3g')}  (agent-steps/s ratio, "
        f"Germany slice: {r.get('germany_agents')} agents)",
        f"  vs Mesa peer        x{_fmt(r.get('ratio_vs_mesa'), ',.4g')}  (agent-steps/s ratio, "
        "Germany slice)",
        f"  war vs NumPy peer   x{_fmt(war.get('ratio_vs_numpy'), ',.3g')}  (agent-steps/s ratio, "
        f"war combat step: {war.get('divisions', 'n/a')} divisions, alive division-weeks)",
        f"  war vs Mesa peer    x{_fmt(war.get('ratio_vs_mesa'), ',.4g')}  (agent-steps/s ratio, "
        "war combat step)",
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
                si(it["agent_steps_per_s"]),
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
        lines += [
            "",
            f"Peers (Germany slice alone, interleaved, {peers['reps']} repetitions, medians)",
            *_peer_rows(peers),
        ]
    if war:
        lines += [
            "",
            f"War kernel peers ({war['divisions']} divisions x {war['sectors']} sectors x "
            f"{war['months']} months a run, {war['mode']}, interleaved, {war['reps']} "
            "repetitions, medians)",
            *_peer_rows(war),
        ]
    if roof:
        months = roof["months"]
        census = months.get("census")
        lines += [
            "",
            f"Roofline (whole model{' ' + roof['model'] if roof.get('model') else ''}, chunk "
            f"of {roof['chunk']} runs, {roof['chunk_s']:.3f} s steady)",
            f"  peak {si(roof['peak_flop_s'], 'FLOP/s')} (float32 {roof['peak_flops']['n']}^2 "
            f"matmul); bandwidth {si(roof['bandwidth_bytes_s'], 'B/s')} (array copies)",
            f"  chunk: {si(roof['chunk_flops'], 'FLOP')}, {si(roof['chunk_bytes'], 'B')} "
            f"(XLA as compiled: {si(roof['chunk_cost_xla']['flops'], 'FLOP')}, "
            f"{si(roof['chunk_cost_xla']['bytes'], 'B')}); intensity "
            f"{roof['intensity_flop_per_byte']:.3g} FLOP/B, ridge "
            f"{roof['ridge_intensity_flop_per_byte']:.3g} FLOP/B",
            f"  achieved {si(roof['achieved_flop_s'], 'FLOP/s')} "
            f"({100 * roof['fraction_of_peak_flops']:.1f} % of peak), "
            f"{si(roof['achieved_bytes_s'], 'B/s')} "
            f"({100 * roof['fraction_of_bandwidth']:.0f} % of bandwidth); bound "
            f"{si(roof['bound_flop_s'], 'FLOP/s')} ({roof['bound']}); fraction "
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
