"""A sweep store's template: the whole cube's layout, attributes and coordinates.

Written once when a store starts (:func:`abm.sweep.plan.plan_sweep`): one point's
placeholder cube, widened lazily to every point by :func:`abm.sweep.store.write_template`,
with the provenance attributes, the levers' values as coordinates on ``point`` (their
units, kind and range as attributes) and, for a grid design, the attribute
:data:`abm.cube.grid.GRID_ATTR` by which :func:`abm.cube.open_cube` gives the cube one
dimension per lever.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from abm import provenance
from abm.config.scenario import NO_STANCE_ATTR
from abm.cube import build_cube
from abm.cube.grid import GRID_ATTR, grid_text
from abm.engine.reducers import empty_tallies
from abm.engine.runner import Accumulator
from abm.sweep import store
from abm.sweep.compiled import compiled
from abm.sweep.design import GridDesign
from abm.sweep.spec import Sweep


def point_coords(sweep: Sweep, pts: np.ndarray) -> dict[str, np.ndarray]:
    """Each varied name's values over the points, ``[n_points]`` each (``pts``' columns)."""
    return {name: pts[:, d] for d, name in enumerate(sweep.names)}


def write_template(
    sweep: Sweep, out: Path, runs: int, batch_points: int, config_hash: str, uid: str
) -> None:
    """Write the sweep's template into the store ``out``.

    ``out`` was just started by :func:`abm.sweep.store.create`: its group already marks
    it as abm's, its template unfinished.

    Args:
        sweep: the loaded sweep.
        out: the store directory.
        runs: runs per point.
        batch_points: points per batch (the store's chunk along ``point``).
        config_hash: the sweep's config hash (attribute ``config_hash``).
        uid: the new store's ``store_uid``.
    """
    c = compiled(sweep)
    n_points = sweep.n_points
    # One point's placeholders, widened lazily by the store: never the whole cube in memory.
    acc0 = Accumulator(
        tallies=empty_tallies(c.model.outcome_specs, 1, c.model.n_months, np),
        n_points=1,
        n_runs=runs,
    )
    grid: dict[str, str] = {}
    if isinstance(sweep.design, GridDesign):
        grid[GRID_ATTR] = grid_text(sweep.names, sweep.design.counts)
    fields = provenance.collect(
        sweep=sweep.name,
        scenario=sweep.scenario.name,
        config_path=str(sweep.path),
        scenario_path=str(sweep.scenario_path),
        config=sweep.resolved_text(),
        config_hash=config_hash,
        store_uid=uid,
        stance=sweep.scenario.stance or NO_STANCE_ATTR,
        seed=sweep.seed,
        runs_per_point=runs,
        batch_points=batch_points,
        n_points=n_points,
        n_batches=-(-n_points // batch_points),
        varied=",".join(sweep.names),
        design=sweep.design.kind,
        **grid,
        chunk_size=c.runner.chunk_size,
        n_devices=c.runner.n_devices,
        model=c.model.name,
        run_keys="run_key(seed, point, run)",
    )
    coords = point_coords(sweep, c.pts)
    template = build_cube(
        acc0,
        c.model.outcome_specs,
        c.model.calendar,
        fields,
        {name: values[:1] for name, values in coords.items()},
    )
    for v in sweep.vary:  # the levers' units and ranges, for plots and readers
        template[v.name].attrs.update(
            units=v.unit, kind=v.kind, long_name=f"{v.name} (varied {v.low:g} to {v.high:g})"
        )
    store.write_template(out, template, batch_points, n_points, coords)


__all__ = ["point_coords", "write_template"]
