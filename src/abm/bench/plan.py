"""What ``abm bench`` measures, and how big: :class:`BenchPlan` and the shipped plans.

:func:`full_plan` (tens of minutes), :func:`quick_plan` (minutes, ``abm bench --quick``)
and :func:`tiny_plan` (tests only); :func:`scale_plan` multiplies a plan's run counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from abm.engine.runner import RUN_LANES


@dataclass(frozen=True)
class BenchPlan:
    """What a bench measures, and how big.

    Attributes:
        name: ``quick``, ``full`` or anything else (tests).
        by_runs: ``(runs, repeats)`` per run count, each in its own process.
        agent_replicas: model replicas for the agent-count series.
        agent_runs: runs per replica setting.
        agent_chunk: chunk of the agent-count series (None: by ``agent_runs``).
        agent_repeats: repeats per replica setting (median reported).
        cpu_device_counts: CPU device counts of the device series.
        device_runs: runs per device setting.
        device_repeats: repeats per device setting.
        max_chunk: largest chunk on the CPU; ``max_chunk_accel`` on an accelerator.
        main_chunk: chunk of the compile, peer and roofline measurements on the CPU;
            ``main_chunk_accel`` on an accelerator.
        compile_steady_chunks: steady single chunks after the first call (0: the steady
            chunk is taken from the run-count series).
        fresh_compile: time the compile in an empty compilation cache (a real compile).
        peer_reps: interleaved repetitions of abm, NumPy, Mesa.
        peer_target_s: seconds per implementation and repetition (run counts from a
            pilot); None: the fixed counts of ``peer_runs``.
        peer_runs: fixed run counts by implementation (``abm``, ``numpy``, ``mesa``).
        peer_pilot: pilot run counts of the peers.
        peer_bounds: ``(min, max)`` run counts of the peers.
        war_divisions: divisions a run of the war kernel's peer comparison
            (:mod:`abm.bench.war`; timed with ``peer_reps`` and ``peer_target_s``).
        war_sectors: its sectors.
        war_months: its months (four weeks each).
        war_mode: ``monthly`` (the weeks on the sectors' totals) or ``weekly``.
        war_chunk: abm's runs a compiled call of the war kernel.
        war_peer_runs: fixed war run counts by implementation (with ``peer_target_s``
            None).
        war_peer_pilot: pilot war run counts of the peers.
        war_peer_bounds: ``(min, max)`` war run counts of the peers.
        chunk_reps: steady calls of one chunk for the roofline.
        dot_n: matrix size of the peak-FLOP measurement.
        copy_mb: array size (MiB) of the bandwidth measurement.
        roofline_reps: timed calls of each ceiling measurement.
        compile_jobs: parallel compile processes (None: up to 4, one per core).
    """

    name: str
    by_runs: tuple[tuple[int, int], ...]
    agent_replicas: tuple[int, ...] = (1, 2, 4, 8)
    agent_runs: int = 4096
    agent_chunk: int | None = None
    agent_repeats: int = 3
    cpu_device_counts: tuple[int, ...] = (1, 2)
    device_runs: int = 100_000
    device_repeats: int = 1
    max_chunk: int = 4096
    max_chunk_accel: int = 16384
    main_chunk: int = 4096
    main_chunk_accel: int = 16384
    compile_steady_chunks: int = 3
    fresh_compile: bool = True
    peer_reps: int = 5
    peer_target_s: float | None = 4.0
    peer_runs: dict[str, int] = field(default_factory=dict)
    peer_pilot: dict[str, int] = field(default_factory=lambda: {"numpy": 50, "mesa": 1})
    peer_bounds: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"numpy": (20, 20_000), "mesa": (1, 200)}
    )
    war_divisions: int = 1500
    war_sectors: int = 50
    war_months: int = 12
    war_mode: str = "monthly"
    war_chunk: int = 256
    war_peer_runs: dict[str, int] = field(default_factory=dict)
    war_peer_pilot: dict[str, int] = field(default_factory=lambda: {"numpy": 16, "mesa": 1})
    war_peer_bounds: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"numpy": (16, 20_000), "mesa": (1, 200)}
    )
    chunk_reps: int = 5
    dot_n: int = 4096
    copy_mb: int = 256
    roofline_reps: int = 5
    compile_jobs: int | None = None


def full_plan() -> BenchPlan:
    """Run counts 100 .. 1,000,000; replicas 1-8; 5 peer repetitions (tens of minutes)."""
    return BenchPlan(
        name="full",
        by_runs=((100, 7), (1_000, 5), (10_000, 3), (100_000, 1), (1_000_000, 1)),
    )


def quick_plan() -> BenchPlan:
    """Run counts 100 .. 10,000; fewer runs, peer repetitions and ceilings (minutes)."""
    return BenchPlan(
        name="quick",
        by_runs=((100, 5), (1_000, 3), (10_000, 1)),
        agent_runs=448,
        agent_chunk=112,
        agent_repeats=3,
        device_runs=10_000,
        device_repeats=1,
        max_chunk=1024,
        max_chunk_accel=8192,
        main_chunk=1024,
        main_chunk_accel=8192,
        compile_steady_chunks=2,
        peer_reps=2,
        peer_target_s=1.0,
        chunk_reps=3,
        dot_n=2048,
        copy_mb=128,
        roofline_reps=3,
    )


def tiny_plan() -> BenchPlan:
    """Minimal sizes, one device, peers with one or two runs: for tests only."""
    return BenchPlan(
        name="tiny",
        by_runs=((16, 1), (32, 1)),
        agent_replicas=(1,),
        agent_runs=16,
        agent_repeats=1,
        cpu_device_counts=(1,),
        device_runs=32,
        device_repeats=1,
        max_chunk=16,
        max_chunk_accel=16,
        main_chunk=16,
        main_chunk_accel=16,
        compile_steady_chunks=0,
        fresh_compile=False,
        peer_reps=1,
        peer_target_s=None,
        peer_runs={"abm": 16, "numpy": 2, "mesa": 1},
        war_divisions=60,
        war_sectors=6,
        war_months=2,
        war_chunk=16,
        war_peer_runs={"abm": 32, "numpy": 16, "mesa": 2},
        chunk_reps=1,
        dot_n=128,
        copy_mb=4,
        roofline_reps=2,
    )


def scale_plan(plan: BenchPlan, scale: float) -> BenchPlan:
    """``plan`` with every run count multiplied by ``scale`` (at least one lane)."""

    def s(n: int) -> int:
        return max(RUN_LANES, round(n * scale))

    return replace(
        plan,
        by_runs=tuple((s(r), k) for r, k in plan.by_runs),
        agent_runs=s(plan.agent_runs),
        device_runs=s(plan.device_runs),
        peer_runs={k: max(1, round(v * scale)) for k, v in plan.peer_runs.items()},
        war_peer_runs={k: max(1, round(v * scale)) for k, v in plan.war_peer_runs.items()},
    )
