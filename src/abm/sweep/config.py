"""Sweep configs: a scenario, the parameters to vary over their ranges, and a design.

A sweep file (``configs/sweeps/*.yaml``)::

    sweep: purge_x_united_front
    description: "..."
    scenario: ../scenarios/otl.yaml      # relative to this file
    stance: skeptic                       # optional: a name, a .yaml path (relative to
                                          # this file) or none; default: the scenario's
    vary:                                 # levers or mechanism parameters, base or full names
      purge_severity: {low: 0.0, high: 1.0}
      united_front_uptake: {low: 0.0, high: 1.0}
    design: {kind: grid, points_per_dim: 11}
    runs_per_point: 1000
    seed: 0                               # simulation seed (default 0)
    chunk_size: 4096                      # runs per compiled chunk (default 4096)
    max_points: 20000                     # guard on the design's size (default 20000)
    batch_points: 32                      # points per compiled batch (default: about 8
                                          # chunks of runs, within the memory budget)
    memory_budget_mb: 4096                # memory one batch may take, MiB (default 4096)

Designs (:mod:`abm.sweep.design`):

* ``{kind: grid, points_per_dim: K}``, or ``points_per_dim: {NAME: K, ...}`` naming every
  varied parameter: the full grid, K >= 2 values per dimension, both ends included;
* ``{kind: lhs, n: N, seed: S}``: a Latin hypercube of N points (seed default 0);
* ``{kind: sobol, n: N, seed: S, second_order: false}``: Saltelli's sample, N base
  samples (a power of 2) giving ``N * (D + 2)`` points, ``N * (2D + 2)`` with
  ``second_order: true``;
* ``{kind: list, points: [{NAME: VALUE, ...}, ...]}``: each point names every varied
  parameter, each value inside its ``vary`` range.

A varied name pins its parameters at each point exactly as ``--set NAME=VALUE`` would: a
lever takes the value, a mechanism parameter becomes fixed at it, and a base name of a
per-faction or per-party entry sets every member (the SPD's reference logit terms
excepted). The scenario is resolved once (:func:`~abm.config.scenario.load_scenario`,
with the sweep's stance); :func:`abm.sweep.tables.point_tables` pins its table per point.

Everything is checked on loading; a problem raises one
:class:`~abm.config.errors.ConfigError` naming the file, the field, the value and what is
allowed, with a suggestion for a misspelt name.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from abm.config.errors import ConfigError, Loc, did_you_mean, fmt_number, range_text
from abm.config.names import Names, allowed_names, is_reference, levers, mechanisms
from abm.config.presets import identifier
from abm.config.scenario import LEADER_OVERRIDE, Scenario, load_scenario
from abm.config.stances import SUFFIXES, stance_file
from abm.config.values import RUN_BOUNDS, check_keys, number, read_mapping, string
from abm.models.interwar.parameters import ParamDef
from abm.sweep import design as designs
from abm.sweep.budget import DEFAULT_MEMORY_BUDGET_MB, MIB, batch_bytes, max_batch_points
from abm.sweep.design import (
    DESIGN_KINDS,
    Design,
    GridDesign,
    LhsDesign,
    ListDesign,
    SobolDesign,
)

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
DESIGN_KEYS: dict[str, tuple[str, ...]] = {
    "grid": ("kind", "points_per_dim"),
    "lhs": ("kind", "n", "seed"),
    "sobol": ("kind", "n", "seed", "second_order"),
    "list": ("kind", "points"),
}
DESIGN_REQUIRED: dict[str, tuple[str, ...]] = {
    "grid": ("points_per_dim",),
    "lhs": ("n",),
    "sobol": ("n",),
    "list": ("points",),
}
DESIGN_FORMS = (
    "{kind: grid, points_per_dim: K}, {kind: lhs, n: N, seed: S}, "
    "{kind: sobol, n: N, seed: S, second_order: false} or "
    "{kind: list, points: [{NAME: VALUE, ...}, ...]}"
)
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


def integer(value: Any, loc: Loc, low: int, high: int) -> int:
    """An integer (not a bool) in ``[low, high]``."""
    allowed = f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, int):
        raise loc.error(value, f"not an integer ({type(value).__name__})", allowed)
    if not low <= value <= high:
        raise loc.error(value, "out of range", allowed)
    return int(value)


def _scenario_path(value: Any, file: Path, loc: Loc) -> Path:
    allowed = "a scenario YAML file, relative to the sweep file"
    text = string(value, loc, allowed)
    path = Path(os.path.normpath(file.parent / text))
    if not path.is_file():
        raise loc.error(text, f"scenario file {path} not found", allowed)
    return path


def _stance(value: Any, scenario_file: Path, file: Path, loc: Loc) -> str:
    """The stance argument for load_scenario, checked here so errors name the sweep file."""
    path = stance_file(value, scenario_file, loc, file.parent)
    text = str(value)
    if path is None or not text.endswith(SUFFIXES):
        return text  # a name (resolved beside the scenario, as load_scenario does) or none
    return str(path)


def _targets(name: Any, loc: Loc) -> tuple[Names, tuple[ParamDef, ...]]:
    table, mech = levers(), mechanisms()
    allowed = allowed_names([*table.entries(), *mech.entries()], "catalogue parameters")
    if name == LEADER_OVERRIDE:
        raise loc.error(
            name,
            "the leader preset is not a number and cannot be varied",
            allowed,
            "sweep each scenario (configs/scenarios/) on its own",
        )
    if not isinstance(name, str) or (name not in table and name not in mech):
        hint = did_you_mean(name, table.candidates(), mech.candidates())
        raise loc.error(name, "unknown lever or mechanism parameter", allowed, hint)
    names = table if name in table else mech
    params = names.targets(name)
    if len(params) == 1 and is_reference(params[0]):
        raise loc.error(
            name,
            f"{params[0].name} is the reference of the party logits, pinned at 0",
            allowed,
            "vary the other parties' terms",
        )
    return names, params


def _vary(value: Any, loc: Loc) -> tuple[Vary, ...]:
    form = "a non-empty mapping of parameter name to {low: L, high: H}"
    if not isinstance(value, Mapping) or not value:
        raise loc.error(value, "not a non-empty mapping", form)
    out: list[Vary] = []
    seen: dict[str, str] = {}
    for name, spec in value.items():
        where = loc.child(name)
        names, params = _targets(name, where)
        first = params[0]
        inside = f"low < high, both in {range_text(first.low, first.high, first.unit)}"
        if not isinstance(spec, Mapping):
            raise where.error(spec, "not a mapping", "{low: L, high: H} with " + inside)
        check_keys(spec, where, RANGE_KEYS, "range key")
        for key in RANGE_KEYS:
            if key not in spec:
                raise where.child(key).error(dict(spec), f"missing {key}", inside)
        bounds = {}
        for key in RANGE_KEYS:
            for p in params:
                bounds[key] = number(spec[key], where.child(key), p)
        low, high = bounds["low"], bounds["high"]
        if low >= high:
            raise where.error(dict(spec), "empty range (low >= high)", inside)
        for p in params:
            if p.name in seen:
                raise where.error(
                    name,
                    f"{p.name} is also varied by vary.{seen[p.name]}",
                    "each parameter in at most one entry (a base name varies every member)",
                )
            seen[p.name] = str(name)
        out.append(Vary(str(name), low, high, names.kind, first.unit, params))
    return tuple(out)


def _exact_names(keys: Sequence[Any], loc: Loc, vary: Sequence[Vary], form: str) -> None:
    """Refuse a mapping whose keys are not exactly the varied names."""
    wanted = [v.name for v in vary]
    for key in keys:
        if key not in wanted:
            raise loc.child(key).error(
                key,
                "not a varied parameter",
                f"{form}: {', '.join(wanted)}",
                did_you_mean(key, wanted),
            )
    missing = [n for n in wanted if n not in keys]
    if missing:
        raise loc.error(list(keys), f"misses {', '.join(missing)}", f"{form}: {', '.join(wanted)}")


def _grid(value: Mapping[Any, Any], loc: Loc, vary: Sequence[Vary]) -> GridDesign:
    where = loc.child("points_per_dim")
    per = value["points_per_dim"]
    if isinstance(per, Mapping):
        _exact_names(list(per), where, vary, "a count for every varied parameter")
        counts = tuple(integer(per[v.name], where.child(v.name), 2, MAX_INT) for v in vary)
        return GridDesign(counts)
    if isinstance(per, bool) or not isinstance(per, int):
        raise where.error(
            per,
            "neither an integer nor a mapping",
            f"an integer in [2, {MAX_INT}] (values per dimension, ends included) "
            "or a mapping of each varied name to one",
        )
    return GridDesign((integer(per, where, 2, MAX_INT),) * len(vary))


def _seed(value: Mapping[Any, Any], loc: Loc) -> int:
    low, high = RUN_BOUNDS["seed"]
    return integer(value.get("seed", DEFAULT_DESIGN_SEED), loc.child("seed"), low, high)


def _sobol(value: Mapping[Any, Any], loc: Loc, vary: Sequence[Vary]) -> SobolDesign:
    where = loc.child("n")
    n = integer(value["n"], where, 1, MAX_INT)
    if n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise where.error(
            n,
            "not a power of 2 (the Sobol' sequence balances only at powers of 2)",
            "a power of 2 (e.g. 64, 128, 256, 512)",
            f"try {below} or {below * 2}",
        )
    second = value.get("second_order", False)
    if not isinstance(second, bool):
        raise loc.child("second_order").error(second, "not a boolean", "true or false")
    if second and len(vary) < 2:
        raise loc.child("second_order").error(
            second, "second-order indices need at least 2 varied parameters", "false"
        )
    return SobolDesign(n, _seed(value, loc), second)


def _list(value: Mapping[Any, Any], loc: Loc, vary: Sequence[Vary]) -> ListDesign:
    where = loc.child("points")
    raw = value["points"]
    form = "a non-empty list of points {NAME: VALUE, ...} naming every varied parameter"
    if not isinstance(raw, list) or not raw:
        raise where.error(raw, "not a non-empty list", form)
    out: list[tuple[float, ...]] = []
    for i, item in enumerate(raw):
        at = Loc(where.path, f"{where.field}[{i}]")
        if not isinstance(item, Mapping):
            raise at.error(item, "not a mapping", form)
        _exact_names(list(item), at, vary, "a value for every varied parameter")
        row = []
        for v in vary:
            cell = at.child(v.name)
            allowed = f"[{fmt_number(v.low)}, {fmt_number(v.high)}] (vary.{v.name})"
            x = number(item[v.name], cell)
            if not v.low <= x <= v.high:
                raise cell.error(item[v.name], "outside the varied range", allowed)
            row.append(x)
        out.append(tuple(row))
    return ListDesign(tuple(out))


def _design(value: Any, loc: Loc, vary: Sequence[Vary], max_points: int) -> Design:
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", DESIGN_FORMS)
    if "kind" not in value:
        raise loc.child("kind").error(dict(value), "missing design kind", ", ".join(DESIGN_KINDS))
    kind = value["kind"]
    if not isinstance(kind, str) or kind not in DESIGN_KINDS:
        raise loc.child("kind").error(
            kind, "unknown design kind", ", ".join(DESIGN_KINDS), did_you_mean(kind, DESIGN_KINDS)
        )
    check_keys(value, loc, DESIGN_KEYS[kind], f"{kind} design key")
    for key in DESIGN_REQUIRED[kind]:
        if key not in value:
            raise loc.child(key).error(
                dict(value), f"missing {key} for a {kind} design", DESIGN_FORMS
            )
    out: Design
    if kind == "grid":
        out = _grid(value, loc, vary)
    elif kind == "lhs":
        out = LhsDesign(integer(value["n"], loc.child("n"), 1, MAX_INT), _seed(value, loc))
    elif kind == "sobol":
        out = _sobol(value, loc, vary)
    else:
        out = _list(value, loc, vary)
    n = out.n_points(len(vary))
    if n > max_points:
        how = _count_text(out, len(vary))
        raise loc.error(
            dict(value),
            f"the {kind} design makes {n} points ({how}), more than max_points {max_points}",
            f"at most {max_points} points: a smaller design, or raise max_points",
        )
    return out


def _count_text(d: Design, n_dims: int) -> str:
    if isinstance(d, GridDesign):
        return " x ".join(str(k) for k in d.counts)
    if isinstance(d, SobolDesign):
        factor = (2 * n_dims + 2) if d.second_order else (n_dims + 2)
        return f"n * {factor} = {d.n} * {factor}"
    return "as given" if isinstance(d, ListDesign) else "n"


def _check_ordered(sweep: Sweep, loc: Loc) -> None:
    """Refuse points that load_scenario would refuse (third_period_end before its start)."""
    pts: np.ndarray | None = None
    for first, second in ORDERED_LEVERS:
        cols = {f: d for d, v in enumerate(sweep.vary) for f in v.full_names}
        if first not in cols and second not in cols:
            continue
        pts = sweep.points() if pts is None else pts
        a, b = (
            pts[:, cols[n]] if n in cols else np.full(len(pts), sweep.scenario.levers[n])
            for n in (first, second)
        )
        bad = np.flatnonzero(b < a)
        if bad.size:
            i = int(bad[0])
            entry = next(v.name for v in sweep.vary if {first, second} & set(v.full_names))
            raise loc.child(entry).error(
                dict(zip(sweep.names, map(float, pts[i]), strict=True)),
                f"point {i} (the first of {bad.size}) sets {second} = {fmt_number(b[i])} "
                f"before {first} = {fmt_number(a[i])}",
                f"{second} >= {first} at every point: narrow the ranges",
            )


def load_sweep(path: str | Path) -> Sweep:
    """Read, check and resolve a sweep file.

    Args:
        path: the sweep's YAML file.

    Returns:
        The :class:`Sweep`, its scenario resolved (stance applied) and its design checked
        against ``max_points``.

    Raises:
        ConfigError: naming the file, the field, the value and what is allowed.
    """
    file, shown = Path(path), str(path)
    raw = read_mapping(file, shown, "a sweep YAML file")
    top = Loc(shown)
    check_keys(raw, top, TOP_KEYS, "top-level key")
    for key in REQUIRED_KEYS:
        if key not in raw:
            raise top.child(key).error(None, "missing required key", f"{key}: ...")
    name = identifier(raw["sweep"], top.child("sweep"))
    description = string(raw.get("description", ""), top.child("description"))
    scenario_file = _scenario_path(raw["scenario"], file, top.child("scenario"))
    stance = (
        _stance(raw["stance"], scenario_file, file, top.child("stance"))
        if "stance" in raw
        else None
    )
    vary = _vary(raw["vary"], top.child("vary"))
    max_points = integer(
        raw.get("max_points", DEFAULT_MAX_POINTS), top.child("max_points"), 1, MAX_INT
    )
    design = _design(raw["design"], top.child("design"), vary, max_points)
    n_points = design.n_points(len(vary))
    runs_loc = top.child("runs_per_point")
    runs = integer(raw["runs_per_point"], runs_loc, 1, MAX_INT)
    if n_points * runs >= MAX_TOTAL_RUNS:
        raise runs_loc.error(
            runs,
            f"{n_points} points x {runs} runs = {n_points * runs} runs, too many for the "
            "runner's int32 run index",
            f"points x runs_per_point below 2**31 (at most {(MAX_TOTAL_RUNS - 1) // n_points} "
            "runs per point here)",
        )
    seed = integer(raw.get("seed", DEFAULT_SEED), top.child("seed"), *RUN_BOUNDS["seed"])
    chunk_size = integer(
        raw.get("chunk_size", DEFAULT_CHUNK_SIZE),
        top.child("chunk_size"),
        *RUN_BOUNDS["chunk_size"],
    )
    batch_points = (
        integer(raw["batch_points"], top.child("batch_points"), 1, MAX_INT)
        if raw.get("batch_points") is not None
        else None
    )
    budget_loc = top.child("memory_budget_mb")
    budget = integer(raw.get("memory_budget_mb", DEFAULT_MEMORY_BUDGET_MB), budget_loc, 1, MAX_INT)
    scenario = load_scenario(scenario_file, stance=stance)
    model = scenario.model()
    most = max_batch_points(model, budget)
    need = batch_bytes(model, 1)
    if most < 1:
        raise budget_loc.error(
            budget,
            f"one point's batch needs about {need / MIB:,.0f} MiB, more than the budget",
            f"at least {-(-need // MIB)} MiB",
        )
    if batch_points is not None and batch_points > most:
        raise top.child("batch_points").error(
            batch_points,
            f"too many points for the memory budget: a batch of {batch_points} points "
            f"needs about {batch_points * need / MIB:,.0f} MiB ({need / MIB:,.1f} MiB a "
            f"point), more than memory_budget_mb {budget}",
            f"at most {most} points per batch, or raise memory_budget_mb",
        )
    sweep = Sweep(
        name=name,
        description=description,
        path=shown,
        scenario_path=str(scenario_file),
        stance=stance,
        scenario=scenario,
        vary=vary,
        design=design,
        runs_per_point=runs,
        seed=seed,
        chunk_size=chunk_size,
        max_points=max_points,
        batch_points=batch_points,
        memory_budget_mb=budget,
    )
    _check_ordered(sweep, top.child("vary"))
    return sweep


__all__ = ["ConfigError", "Sweep", "Vary", "load_sweep"]
