"""The sweep's resolved form: its varied dimensions and the checked sweep, with defaults.

:class:`Vary` is one varied lever or mechanism parameter over its range, :class:`Sweep`
the whole sweep with its scenario resolved (made by :func:`abm.sweep.config.load_sweep`);
its :meth:`Sweep.config_hash` identifies a sweep store's results.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from abm.config.scenario import Scenario
from abm.models.interwar.parameters import ParamDef
from abm.sweep import design as designs
from abm.sweep.budget import DEFAULT_MEMORY_BUDGET_MB, max_batch_points
from abm.sweep.design import Design

TOP_KEYS = (
    "sweep",
    "description",
    "scenario",
    "stance",
    "vary",
    "design",
    "runs_per_point",
    "seed",
    "chunk_size",
    "max_points",
    "batch_points",
    "memory_budget_mb",
)
REQUIRED_KEYS = ("sweep", "scenario", "vary", "design", "runs_per_point")
#: Default guard on the number of points a design may make.
DEFAULT_MAX_POINTS = 20000
#: Default runs per compiled chunk.
DEFAULT_CHUNK_SIZE = 4096
#: Default simulation seed.
DEFAULT_SEED = 0
#: Default seed of the random designs (lhs, sobol).
DEFAULT_DESIGN_SEED = 0
#: The runner numbers runs ``point * runs_per_point + run`` in int32: the product must
#: stay below this.
MAX_TOTAL_RUNS = 2**31
#: Largest integer accepted where only a lower bound matters.
MAX_INT = 2**31 - 1
RANGE_KEYS = ("low", "high")
#: Levers that load_scenario requires in order (the second not before the first).
ORDERED_LEVERS = (("third_period_start", "third_period_end"),)


@dataclass(frozen=True)
class Vary:
    """One varied dimension: a lever or mechanism parameter over a range.

    Attributes:
        name: the name as the sweep gives it (a full name or a base name).
        low: lower end of the range (inclusive).
        high: upper end of the range (inclusive).
        kind: ``lever`` or ``mechanism``.
        unit: the parameter's unit.
        params: the catalogue parameters it pins (every member for a base name, the
            SPD's reference logit terms excepted), in catalogue order.
    """

    name: str
    low: float
    high: float
    kind: str
    unit: str
    params: tuple[ParamDef, ...]

    @property
    def full_names(self) -> tuple[str, ...]:
        """The full names of the parameters it pins."""
        return tuple(p.name for p in self.params)

    def to_dict(self) -> dict[str, Any]:
        """Plain form for the resolved sweep."""
        return {"name": self.name, "low": float(self.low), "high": float(self.high)}


@dataclass(frozen=True)
class Sweep:
    """A sweep with its scenario resolved and its design checked.

    Attributes:
        name: the sweep's name.
        description: what it asks.
        path: the sweep file, as given.
        scenario_path: the scenario file (resolved relative to the sweep file).
        stance: the stance argument given to :func:`load_scenario` (a name, a path or
            ``none``), or None for the scenario's own.
        scenario: the scenario, resolved once (no overrides).
        vary: the varied dimensions, in file order (the columns of the points).
        design: the design.
        runs_per_point: Monte Carlo runs at each point.
        seed: simulation seed.
        chunk_size: runs per compiled chunk (points x runs are flattened into chunks).
        max_points: the guard the design was checked against.
        batch_points: points per batch, or None for the default
            (:func:`abm.sweep.run.default_batch_points`).
        memory_budget_mb: the memory one batch may take, MiB (:mod:`abm.sweep.budget`).
    """

    name: str
    description: str
    path: str
    scenario_path: str
    stance: str | None
    scenario: Scenario
    vary: tuple[Vary, ...]
    design: Design
    runs_per_point: int
    seed: int
    chunk_size: int
    max_points: int = DEFAULT_MAX_POINTS
    batch_points: int | None = None
    memory_budget_mb: int = DEFAULT_MEMORY_BUDGET_MB

    @property
    def max_batch_points(self) -> int:
        """The most points a batch may hold within :attr:`memory_budget_mb`."""
        return max_batch_points(self.scenario.model(), self.memory_budget_mb)

    @property
    def names(self) -> tuple[str, ...]:
        """The varied names, in file order."""
        return tuple(v.name for v in self.vary)

    @property
    def n_dims(self) -> int:
        """Number of varied dimensions."""
        return len(self.vary)

    @property
    def n_points(self) -> int:
        """Number of points the design makes."""
        return self.design.n_points(self.n_dims)

    @property
    def n_runs(self) -> int:
        """Runs in all: points x runs per point."""
        return self.n_points * self.runs_per_point

    def points(self) -> np.ndarray:
        """The design's points, float64 ``[n_points, n_dims]`` (:func:`design.points`)."""
        return designs.points(self)

    def resolved_text(self) -> str:
        """Canonical YAML of everything that decides the sweep's runs, keys sorted.

        The resolved scenario (its :meth:`~abm.config.scenario.Scenario.resolved_text`,
        stance included), the varied ranges in order, the design with its defaults, the
        number of points and a SHA-256 of the points themselves (so that a change of a
        sampling library shows), runs per point, seed and chunk size. The description,
        the file paths, ``max_points`` and ``memory_budget_mb`` (guards) and
        ``batch_points`` (checked on its own when a store resumes) are left out.
        """
        data = {
            "sweep": self.name,
            "scenario": yaml.safe_load(self.scenario.resolved_text()),
            "vary": [v.to_dict() for v in self.vary],
            "design": self.design.to_dict(self.names),
            "n_points": self.n_points,
            "points_sha256": designs.points_digest(self.points()),
            "runs_per_point": self.runs_per_point,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
        }
        return yaml.safe_dump(data, sort_keys=True, default_flow_style=False)

    def config_hash(self) -> str:
        """SHA-256 (hex) of :meth:`resolved_text`."""
        return hashlib.sha256(self.resolved_text().encode("utf-8")).hexdigest()


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_DESIGN_SEED",
    "DEFAULT_MAX_POINTS",
    "DEFAULT_SEED",
    "MAX_INT",
    "MAX_TOTAL_RUNS",
    "ORDERED_LEVERS",
    "RANGE_KEYS",
    "REQUIRED_KEYS",
    "TOP_KEYS",
    "Sweep",
    "Vary",
]
