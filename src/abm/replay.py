"""Replay one run exactly, with its chronicle and its month-by-month state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from abm import provenance
from abm.config import Scenario, load_scenario
from abm.cube.store import write_cube
from abm.engine.runner import Runner
from abm.engine.slices import leaf_values, state_leaves
from abm.locks import check_unlocked
from abm.outputs import check_store_target


@dataclass
class Trace:
    """One replayed run.

    Attributes:
        scenario: the scenario.
        seed: seed.
        point: sweep-point index.
        run: run index.
        theta: float ``[n_params]`` the run's parameter draw.
        outcomes: per-run outcomes exactly as the reducers count them.
        chronicle: ``(YYYY-MM, text)`` events in order.
        states: per-month state (dimension ``month``) as a Dataset.
    """

    scenario: Scenario
    seed: int
    point: int
    run: int
    theta: np.ndarray
    outcomes: dict[str, np.ndarray]
    chronicle: list[tuple[str, str]]
    states: xr.Dataset


def states_dataset(states: Any, model: Any) -> xr.Dataset:
    """Every state leaf of every slice with a leading ``month`` dimension, labelled.

    Leaves are named by slice and path (``germany__polity__regime``,
    ``soviet__blocs__population``); their dimensions and coordinates come from the
    slices' state metadata (:func:`abm.engine.slices.leaf`) and ``dim_coords``.
    """
    cal = model.calendar
    labels = lambda xs: np.array(list(xs), dtype=object)  # noqa: E731 - zarr v3 strings
    coords: dict[str, Any] = {"month": labels(cal.label(i) for i in range(model.n_months))}
    data = {}
    for name, sl in model.slices.items():
        values = leaf_values(states[name])
        for spec in state_leaves(sl.state_type):
            arr = np.asarray(values[spec.path])
            dims = ["month"]
            for dim in spec.dims:
                dims.append(dim if dim not in dims else f"{dim}_2")
            data[f"{name}__{spec.path.replace('.', '__')}"] = (dims, arr)
            for dim in spec.dims:
                labs = sl.dim_coords.get(dim)
                if labs is not None and dim not in coords:
                    all_int = all(isinstance(x, int) for x in labs)
                    coords[dim] = np.array(labs) if all_int else labels(labs)
    used = {d for v in data.values() for d in v[0]}
    return xr.Dataset(data, coords={k: v for k, v in coords.items() if k in used})


def chronicle(states: Any, initial: Any, model: Any) -> list[tuple[str, str]]:
    """Events of a run, month by month, from every slice that tells its chronicle."""
    events: list[tuple[str, str]] = []
    for name, sl in model.slices.items():
        tell = getattr(sl, "chronicle", None)
        if tell is not None:
            events += tell(states[name], initial[name])
    order = {lab: i for i, lab in enumerate(model.calendar.label(t) for t in range(model.n_months))}
    return sorted(events, key=lambda e: order[e[0]])


def trace(
    config: str | Path | Scenario,
    seed: int,
    run: int,
    point: int = 0,
    overrides: Mapping[str, str] | Sequence[str] = (),
    out: str | Path | None = None,
    overwrite: bool = False,
) -> Trace:
    """Replay run ``run`` of point ``point`` under ``seed`` exactly, with its trace.

    Args:
        config: scenario path or Scenario.
        seed: the seed of the original simulation.
        run: run index.
        point: sweep-point index (0 for a single scenario).
        overrides: ``NAME=VALUE`` pins, as in the original simulation.
        out: if given, write the per-month state there as a Zarr cube.
        overwrite: replace an existing trace or cube at ``out`` (only a store abm wrote:
            :mod:`abm.outputs`).

    Raises:
        InputError: if ``out`` exists and ``overwrite`` is False, is not abm's to
            replace, or another process writes it (checked before replaying).
    """
    sc = config if isinstance(config, Scenario) else load_scenario(config, overrides)
    if out is not None:  # refused before replaying, not after (write_cube checks again)
        check_store_target(out, overwrite, "--out")
        check_unlocked(out)
    model = sc.model()
    runner = Runner(model, chunk_size=1, posterior=sc.posterior_values())
    theta, s0, states, outcomes = runner.trace(seed, sc.prior_table(), point, run)
    ds = states_dataset(states, model)
    ds = ds.assign_coords(parameter=np.array(list(model.param_names), dtype=object))
    ds["theta"] = ("parameter", np.asarray(theta))
    ds.attrs.update(
        provenance.collect(
            schema="abm-trace",
            scenario=sc.name,
            config=sc.resolved_text(),
            config_hash=sc.config_hash(),
            seed=seed,
            point=point,
            run=run,
        )
    )
    if out is not None:
        write_cube(ds, out, overwrite=overwrite)
    return Trace(
        scenario=sc,
        seed=seed,
        point=point,
        run=run,
        theta=np.asarray(theta),
        outcomes={k: np.asarray(v) for k, v in outcomes.items()},
        chronicle=chronicle(states, s0, model),
        states=ds,
    )
