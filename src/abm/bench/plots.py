"""The PNG plots of ``abm bench``: throughput by runs, agents and devices; abm vs peers.

Two peer plots: the Germany slice's (``peers.png``) and the war combat step's
(``war_peers.png``).

:func:`write_plots` draws each plot the results have data for (Matplotlib's Agg canvas,
no pyplot state) and writes it under the plots folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from abm.bench.table import si


def _figure(size: tuple[float, float] = (7.0, 4.5)) -> Any:
    from matplotlib.figure import Figure  # Agg canvas, no pyplot state

    return Figure(figsize=size, layout="constrained")


def _rates(ax: Any, x: list[float], items: list[dict[str, Any]], loc: str, **xscale: Any) -> None:
    """Agent-steps/s over ``x`` on ``ax`` (log x axis), runs/s on a twin axis; one legend.

    Args:
        ax: the Matplotlib axes.
        x: the x values, one per item.
        items: measurements with ``agent_steps_per_s`` and ``runs_per_s``.
        loc: where the legend goes.
        **xscale: options of the log x scale (``base=2``).
    """
    ax.plot(x, [it["agent_steps_per_s"] for it in items], "o-", label="agent-steps/s")
    ax.set_xscale("log", **xscale)
    ax.set_ylabel("agent-steps per second")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    runs_ax = ax.twinx()
    runs_ax.plot(x, [it["runs_per_s"] for it in items], "s--", color="C1", label="runs/s")
    runs_ax.set_ylabel("runs per second")
    runs_ax.set_ylim(bottom=0)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = runs_ax.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc=loc)


def _by_runs(result: dict[str, Any]) -> Any:
    """Throughput and peak RSS against the run count (None: no run-count series)."""
    by_runs = result.get("by_runs") or []
    if not by_runs:
        return None
    fig = _figure((7.0, 6.0))
    ax, ax2 = fig.subplots(2, 1, sharex=True)
    x = [it["runs"] for it in by_runs]
    _rates(ax, x, by_runs, "lower right")
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
    fig.suptitle(f"{result.get('config')}", fontsize="small")
    return fig


def _by_agents(result: dict[str, Any]) -> Any:
    """Throughput against the agents per run (None: no agent-count series)."""
    by_agents = result.get("by_agents") or []
    if not by_agents:
        return None
    fig = _figure()
    ax = fig.subplots()
    x = [it["n_agents"] for it in by_agents]
    _rates(ax, x, by_agents, "lower center", base=2)
    ax.set_xlabel("agents per run (whole model: Germany blocs x replicas + parties + Soviet; log)")
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
    return fig


def _by_devices(result: dict[str, Any]) -> Any:
    """Throughput by device setting (None: no device series)."""
    by_devices = result.get("by_devices") or []
    if not by_devices:
        return None
    fig = _figure()
    ax = fig.subplots()
    labels = [it["device_setting"] for it in by_devices]
    vals = [it["agent_steps_per_s"] for it in by_devices]
    bars = ax.bar(labels, vals, color=[f"C{i}" for i in range(len(vals))], label="agent-steps/s")
    ax.bar_label(bars, labels=[si(v_) for v_ in vals])
    ax.set_xlabel("device setting")
    ax.set_ylabel("agent-steps per second")
    ax.set_title(f"abm throughput by devices ({by_devices[0]['runs']:,} runs)")
    ax.legend(loc="lower right")
    return fig


def _peer_bars(peers: dict[str, Any] | None, what: str) -> Any:
    """Median agent-steps/s of abm and each peer, log scale (None: peers not measured).

    Args:
        peers: the results' ``peers`` or ``war_peers``.
        what: the x axis's label: what the implementations implement.
    """
    if not peers:
        return None
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
        texts.append(si(v_) + ("" if ratio is None else f"\nabm x{ratio:,.3g}"))
    ax.bar_label(bars, labels=texts, fontsize="small")
    ax.set_ylim(top=max(vals) * 20)
    ax.set_xlabel(what)
    ax.set_ylabel("agent-steps per second (log scale)")
    ax.set_title(f"abm vs peers (interleaved, median of {peers['reps']})")
    ax.legend(loc="upper right")
    return fig


def _peers(result: dict[str, Any]) -> Any:
    """The Germany slice's peers beside abm (None: not measured)."""
    return _peer_bars(
        result.get("peers"), "implementation of the Weimar Germany model (Germany slice alone)"
    )


def _war_peers(result: dict[str, Any]) -> Any:
    """The war combat step's peers beside abm (None: not measured)."""
    war = result.get("war_peers")
    return _peer_bars(
        war,
        "implementation of the war's weekly combat step"
        + (
            f" ({war['divisions']} divisions, {war['mode']}; agent-steps: division-weeks)"
            if war
            else ""
        ),
    )


#: Each plot's file name (without ``.png``) and how it is drawn, in the order written.
PLOTS: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("throughput_vs_runs", _by_runs),
    ("throughput_vs_agents", _by_agents),
    ("throughput_vs_devices", _by_devices),
    ("peers", _peers),
    ("war_peers", _war_peers),
)


def write_plots(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """PNGs of throughput vs runs, throughput vs agents, devices, peers and war peers.

    Returns:
        The files written (a plot without data is skipped).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in PLOTS:
        fig = draw(result)
        if fig is None:
            continue
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=120)
        written.append(path)
    return written
