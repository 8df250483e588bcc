"""The sweep's prior tables: the scenario's table with each point's parameters pinned.

:func:`point_tables` resolves nothing per point: it repeats the scenario's single-point
:class:`~abm.engine.priors.PriorTable` along a leading point axis and overwrites the
varied parameters' columns with fixed priors at the points' values, which is what
``load_scenario(..., overrides={NAME: VALUE})`` gives for each point (a lever's prior is
already fixed at its value; ``--set`` pins a mechanism parameter; a base name pins every
member but the SPD's reference logit terms). :func:`point_scenario` takes that slow path
for one point, to trace or replay it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from abm.config.names import catalogue
from abm.config.scenario import Scenario, load_scenario
from abm.engine.priors import PRIOR_KINDS, PriorTable
from abm.sweep.config import Sweep, Vary
from abm.sweep.design import points


@cache
def _column() -> dict[str, int]:
    return {p.name: i for i, p in enumerate(catalogue())}


def columns(vary: Vary) -> np.ndarray:
    """The catalogue (``theta``) indices of the parameters a varied name pins."""
    col = _column()
    return np.array([col[name] for name in vary.full_names], dtype=np.intp)


def pin(base: PriorTable, vary: Sequence[Vary], values: np.ndarray) -> PriorTable:
    """Repeat a single-point table over points and pin the varied parameters.

    Args:
        base: a table without a point axis (``[n_params]``).
        vary: the varied dimensions.
        values: ``[n_points, n_dims]``, each point's values in the order of ``vary``.

    Returns:
        A table with a leading point axis ``[n_points, n_params]`` (numpy arrays).
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1, len(vary))
    n = values.shape[0]

    def repeat(x: Any) -> np.ndarray:
        return np.repeat(np.asarray(x)[None, :], n, axis=0)

    kind, a, b, c = (repeat(x) for x in (base.kind, base.a, base.b, base.c))
    for d, v in enumerate(vary):
        idx = columns(v)
        kind[:, idx] = PRIOR_KINDS["fixed"]
        a[:, idx] = values[:, d, None].astype(np.float32)
        b[:, idx] = 0.0
        c[:, idx] = 0.0
    return PriorTable(kind=kind, a=a, b=b, c=c, low=repeat(base.low), high=repeat(base.high))


def assignments(sweep: Sweep, values: np.ndarray | None = None) -> list[dict[str, float]]:
    """Each point's varied names and values, as the sweep names them."""
    pts = sweep.points() if values is None else values
    return [dict(zip(sweep.names, map(float, row), strict=True)) for row in pts]


def point_tables(sweep: Sweep) -> tuple[PriorTable, list[dict[str, float]]]:
    """The stacked table of every point and the points' assignments.

    Args:
        sweep: a loaded sweep.

    Returns:
        The :class:`PriorTable` ``[n_points, n_params]`` (catalogue order), and for each
        point the varied names -> values.
    """
    pts = points(sweep)
    return pin(sweep.scenario.prior_table(), sweep.vary, pts), assignments(sweep, pts)


def point_overrides(sweep: Sweep, point: int) -> dict[str, str]:
    """The ``--set`` overrides that give one point (values as exact ``repr`` text)."""
    pts = points(sweep)
    if not 0 <= point < len(pts):
        raise IndexError(f"point {point} outside [0, {len(pts)})")
    return {name: repr(float(x)) for name, x in zip(sweep.names, pts[point], strict=True)}


def point_scenario(sweep: Sweep, point: int) -> Scenario:
    """One point's scenario, resolved by :func:`load_scenario` with its overrides."""
    return load_scenario(
        sweep.scenario_path, overrides=point_overrides(sweep, point), stance=sweep.stance
    )


__all__ = [
    "assignments",
    "columns",
    "pin",
    "point_overrides",
    "point_scenario",
    "point_tables",
]
