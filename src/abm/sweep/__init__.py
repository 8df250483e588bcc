"""Sweeps: a scenario run over a design of points in some levers' or parameters' ranges.

A sweep file (``configs/sweeps/*.yaml``) names a scenario, the parameters to vary with
their ranges, a design (grid, Latin hypercube, Sobol'/Saltelli, or a list of points) and
the runs per point. :func:`load_sweep` checks it all and resolves the scenario once;
:func:`points` gives the design's points; :func:`point_tables` the stacked prior table
``[n_points, n_params]`` with each point's parameters pinned as ``--set`` would;
:func:`run_sweep` runs it into a resumable store. A grid sweep's cube opens on one
dimension per lever (:func:`to_grid`; :func:`to_points` goes back to ``point``).
"""

from abm.cube.grid import to_grid, to_points
from abm.sweep.config import Sweep, Vary, load_sweep
from abm.sweep.design import (
    Design,
    GridDesign,
    LhsDesign,
    ListDesign,
    SobolDesign,
    latin_hypercube,
    names,
    points,
)
from abm.sweep.run import BatchDone, default_batch_points, run_sweep
from abm.sweep.store import SweepError, SweepLock
from abm.sweep.tables import point_overrides, point_scenario, point_tables

__all__ = [
    "BatchDone",
    "Design",
    "GridDesign",
    "LhsDesign",
    "ListDesign",
    "SobolDesign",
    "Sweep",
    "SweepError",
    "SweepLock",
    "Vary",
    "default_batch_points",
    "latin_hypercube",
    "load_sweep",
    "names",
    "point_overrides",
    "point_scenario",
    "point_tables",
    "points",
    "run_sweep",
    "to_grid",
    "to_points",
]
