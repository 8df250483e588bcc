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
* ``{kind: lhs, n: N, seed: S, method: M}``: a Latin hypercube of N points (seed default
  0); ``method: qmc`` (default, :class:`scipy.stats.qmc.LatinHypercube`) or ``strata``
  (the hand-written generator of the stores written before; see
  :class:`~abm.sweep.design.LhsDesign`);
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

Modules: :mod:`abm.sweep.spec` (:class:`Sweep`, :class:`Vary`, defaults),
:mod:`abm.sweep.design_parse` (the ``design`` block); this one reads the file, checks the
scenario, stance, ``vary`` block and guards, and re-exports the others' names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from abm.config.errors import ConfigError, Loc, did_you_mean, fmt_number, range_text
from abm.config.names import Names, allowed_names, is_reference, levers, mechanisms
from abm.config.presets import identifier
from abm.config.scenario import LEADER_OVERRIDE, load_scenario
from abm.config.stances import SUFFIXES, stance_file
from abm.config.values import RUN_BOUNDS, check_keys, number, read_mapping, string
from abm.models.interwar.parameters import ParamDef
from abm.sweep.budget import DEFAULT_MEMORY_BUDGET_MB, MIB, batch_bytes, max_batch_points
from abm.sweep.design_parse import (
    DESIGN_FORMS,
    DESIGN_KEYS,
    DESIGN_REQUIRED,
    integer,
    parse_design,
)
from abm.sweep.spec import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_DESIGN_SEED,
    DEFAULT_MAX_POINTS,
    DEFAULT_SEED,
    MAX_INT,
    MAX_TOTAL_RUNS,
    ORDERED_LEVERS,
    RANGE_KEYS,
    REQUIRED_KEYS,
    TOP_KEYS,
    Sweep,
    Vary,
)


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
    design = parse_design(raw["design"], top.child("design"), vary, max_points)
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
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // MIB  # this machine
    if "memory_budget_mb" in raw and budget > physical:
        raise budget_loc.error(
            budget, f"more than this machine's memory ({physical:,} MiB)", f"[1, {physical}]"
        )
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


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_DESIGN_SEED",
    "DEFAULT_MAX_POINTS",
    "DEFAULT_MEMORY_BUDGET_MB",
    "DEFAULT_SEED",
    "DESIGN_FORMS",
    "DESIGN_KEYS",
    "DESIGN_REQUIRED",
    "MAX_INT",
    "MAX_TOTAL_RUNS",
    "ORDERED_LEVERS",
    "RANGE_KEYS",
    "REQUIRED_KEYS",
    "TOP_KEYS",
    "ConfigError",
    "Sweep",
    "Vary",
    "integer",
    "load_sweep",
]
