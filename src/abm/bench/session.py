"""The state of one ``abm bench`` run, and its throughput measurements.

A :class:`Bench` holds what every step of a run shares (plan, scenario, the shared
compilation cache, notes, the worker launcher, the chunk of a run count); an
:class:`Item` is one throughput measurement. :func:`plan_items` groups the items by
worker process in the order they run; :func:`measure_group` runs one group.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abm.bench.host import say
from abm.bench.launch import DeviceSetting, WorkerResult, run_worker
from abm.bench.locate import shared_cache_dir
from abm.bench.plan import BenchPlan
from abm.bench.timing import chunk_for
from abm.engine.runner import RUN_LANES


@dataclass
class Item:
    """One throughput measurement: a device setting, replicas, runs, chunk, repeats."""

    section: str
    setting: DeviceSetting
    replicas: int
    runs: int
    chunk: int
    repeats: int

    @property
    def key(self) -> tuple[str, int, int, int]:
        """What identifies the measurement: device setting, replicas, runs, chunk."""
        return (self.setting.key, self.replicas, self.runs, self.chunk)

    @property
    def program(self) -> tuple[str, int, int]:
        """What identifies its compiled program: device setting, replicas, chunk."""
        return (self.setting.key, self.replicas, self.chunk)


class Bench:
    """State of one bench run (see :func:`abm.bench.run.run_bench`)."""

    def __init__(
        self,
        plan: BenchPlan,
        config: Path,
        cache_dir: str | Path | None,
        quiet: bool,
        peers_dir: Path | None,
        work: Path,
    ) -> None:
        self.plan = plan
        self.config = config
        self.quiet = quiet
        self.peers_dir = peers_dir
        self.work = work
        self.cache = shared_cache_dir(cache_dir, work)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.notes: list[str] = []
        self.base_env = dict(os.environ)
        self.seq = 0
        self.measured: dict[tuple[str, int, int, int], dict[str, Any]] = {}
        self.n_devices: dict[str, int] = {}

    def say(self, msg: str) -> None:
        """A progress line on stderr, unless quiet."""
        say(msg, self.quiet)

    def spec(self, task: str, **kw: Any) -> dict[str, Any]:
        """A worker's spec of ``task``: scenario, seed 0, the shared cache, ``kw``."""
        return {
            "task": task,
            "config": str(self.config),
            "seed": 0,
            "cache_dir": str(self.cache),
            "quiet": self.quiet,
            **kw,
        }

    def worker(
        self, spec: dict[str, Any], setting: DeviceSetting | None, timeout_s: float | None = None
    ) -> WorkerResult:
        """Run ``spec`` in a worker on ``setting`` (None: this process's environment)."""
        self.seq += 1
        env = setting.env(self.base_env) if setting else dict(self.base_env)
        if spec["task"] in ("prewarm", "compile"):  # several at once on one accelerator
            env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        return run_worker(spec, env, self.work, f"{self.seq:03d}-{spec['task']}", timeout_s)

    # -- settings and chunks
    def chunk(
        self, runs: int, setting: DeviceSetting, main: bool = False, size: int | None = None
    ) -> int:
        """Chunk of ``runs`` runs on ``setting`` (``size`` if given), as the runner rounds it."""
        cpu = setting.platform == "cpu"
        if size is None and main:
            size = self.plan.main_chunk if cpu else self.plan.main_chunk_accel
        elif size is None:
            size = chunk_for(runs, self.plan.max_chunk if cpu else self.plan.max_chunk_accel)
        unit = RUN_LANES * self.n_devices.get(setting.key, setting.count or 1)
        return -(-size // unit) * unit


def measure_group(b: Bench, group: list[Item], raw: dict[str, Any]) -> None:
    """Measure one group of items in one worker (reusing items measured before)."""
    todo = [it for it in group if it.key not in b.measured]
    if todo:
        section = todo[0].section
        what = ", ".join(f"{it.runs:,} runs x{it.replicas} (chunk {it.chunk})" for it in todo)
        setting = todo[0].setting
        label = setting.label(b.n_devices[setting.key])
        b.say(f"{section}: {what} on {label}")
        spec = b.spec(
            "throughput",
            items=[
                {"replicas": it.replicas, "runs": it.runs, "chunk": it.chunk, "repeats": it.repeats}
                for it in todo
            ],
        )
        res = b.worker(spec, setting, timeout_s=6 * 3600)
        if not res.ok:
            b.notes.append(f"{section} not measured ({what} on {label}): {res.error}")
        else:
            desc = res.data["describe"]
            for it, r in zip(todo, res.data["items"], strict=True):
                r.update(
                    {
                        "device_setting": label,
                        "backend": desc["platform"],
                        "device_kind": desc["device_kind"],
                        "device_count": int(desc["device_count"]),
                        "process_peak_rss_mb": res.data["process"]["peak_rss_mb"],
                    }
                )
                b.measured[it.key] = r
    for it in group:
        if it.key in b.measured:
            raw[it.section].append(b.measured[it.key])


def plan_items(b: Bench, single: DeviceSetting, settings: list[DeviceSetting]) -> list[list[Item]]:
    """Throughput items grouped by worker process, in the order they run."""
    plan = b.plan
    groups: list[list[Item]] = []
    device_items = [
        Item(
            "by_devices", s, 1, plan.device_runs, b.chunk(plan.device_runs, s), plan.device_repeats
        )
        for s in settings
    ]
    placed = False
    for runs, repeats in plan.by_runs:
        groups.append([Item("by_runs", single, 1, runs, b.chunk(runs, single), repeats)])
        if runs == plan.device_runs:
            # The device series right after the same run count on one device.
            groups.extend([it] for it in device_items)
            placed = True
    if not placed:
        groups.extend([it] for it in device_items)
    agents = [
        Item(
            "by_agents",
            single,
            r,
            plan.agent_runs,
            b.chunk(plan.agent_runs, single, size=plan.agent_chunk),
            plan.agent_repeats,
        )
        for r in sorted(plan.agent_replicas)
    ]
    groups.append(agents)
    return groups
