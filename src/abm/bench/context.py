"""What a bench worker loads: the scenario, its models and prior tables, its devices.

A worker (:mod:`abm.bench.measure`) builds one :class:`WorkerContext` from its spec; each
task takes the whole model (``scenario.model()``) or the scenario's Germany-only view
(:mod:`abm.bench.germany`) from it, by replicas. :func:`describe_devices` and
:func:`device_peak_mb` report the devices JAX sees.
"""

from __future__ import annotations

from typing import Any

from abm.bench.host import say

#: What a program runs: the scenario's whole model, or its Germany-only view.
WHOLE, GERMANY = "whole", "germany"


class WorkerContext:
    """What every task loads: the scenario, its prior tables, models by replicas."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from abm.config import load_scenario
        from abm.engine.priors import PriorTable

        self.spec = spec
        self.quiet = bool(spec.get("quiet"))
        self.seed = int(spec.get("seed", 0))
        self.scenario = load_scenario(spec["config"])
        self.tables = PriorTable.stack([self.scenario.prior_table()])
        self._models: dict[int, Any] = {}
        self._views: dict[int, Any] = {}

    def model(self, replicas: int = 1) -> Any:
        """The scenario's whole model with ``replicas`` sub-constituencies per constituency."""
        if replicas not in self._models:
            from abm.models.registry import build_model

            sc = self.scenario
            self._models[replicas] = (
                sc.model()
                if replicas == 1
                else build_model(sc.model_name, sc.calendar, {"germany": {"replicas": replicas}})
            )
        return self._models[replicas]

    def germany(self, replicas: int = 1) -> Any:
        """The scenario's Germany-only view (:class:`abm.bench.germany.GermanyView`)."""
        if replicas not in self._views:
            from abm.bench.germany import germany_view

            self._views[replicas] = germany_view(self.scenario, replicas)
        return self._views[replicas]

    def program(self, which: str = WHOLE, replicas: int = 1) -> tuple[Any, Any]:
        """``(model, tables)`` of the whole model or of the Germany-only view."""
        if which == GERMANY:
            view = self.germany(replicas)
            return view.model, view.tables()
        if which != WHOLE:
            raise ValueError(f"unknown model {which!r} (whole or germany)")
        return self.model(replicas), self.tables

    def say(self, msg: str) -> None:
        """A progress line on stderr, unless the spec says ``quiet``."""
        say(msg, self.quiet)


def describe_devices() -> dict[str, Any]:
    """:func:`abm.engine.devices.describe` with JAX's ``device_count`` and ``platform``."""
    import jax

    from abm.engine.devices import describe

    d: dict[str, Any] = dict(describe())
    devs = jax.devices()
    d["device_count"] = len(devs)
    d["platform"] = devs[0].platform if devs else "none"
    return d


def device_peak_mb(devices: list[Any] | None = None) -> float | None:
    """Peak accelerator memory over the devices in MB, where the backend reports it."""
    import jax

    peaks = []
    for d in jax.devices() if devices is None else devices:
        try:
            stats = d.memory_stats()
        except Exception:  # CPU and some plugins do not implement it
            stats = None
        if stats and "peak_bytes_in_use" in stats:
            peaks.append(stats["peak_bytes_in_use"])
    return max(peaks) / 1e6 if peaks else None
