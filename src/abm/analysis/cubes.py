"""Read event probabilities out of result cubes, compare independent cubes, reshape sweeps.

A cube (see :mod:`abm.cube.build`) holds, for an event ``E``, ``E_prob`` (share of runs
in which it happened), ``E_se`` (its binomial Monte Carlo standard error
``sqrt(p (1 - p) / n)``) and ``E_by_year`` (cumulative share by the end of each
``year``), all unitless shares in [0, 1]. A sweep cube has a leading ``point`` dimension
whose lever values are coordinates on ``point``; :func:`lever_grid` turns them into
dimensions of their own (a grid sweep's cube from :func:`abm.cube.open_cube` already has
them, and :func:`lever_grid` leaves it as it is).

Unfinished sweep points (``points_done`` False) are missing values: :func:`abm.cube.open_cube`
reads them as NaN, and the helpers here mask them too in a cube that was read another way
(``xarray.open_zarr``), so a placeholder is never taken for a probability of 0.
:func:`points_done` counts them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from statistics import NormalDist
from typing import TypeVar

import xarray as xr

from abm.cube.integrity import DONE_VAR
from abm.cube.schema import POINT_DIM, YEAR_DIM

XrObj = TypeVar("XrObj", xr.DataArray, xr.Dataset)


def event_names(cube: xr.Dataset) -> list[str]:
    """Names of the events a cube holds (those with an ``E_prob`` of kind ``event``)."""
    return sorted(
        str(k)[: -len("_prob")]
        for k, v in cube.data_vars.items()
        if str(k).endswith("_prob") and v.attrs.get("kind", "event") == "event"
    )


def quantity_names(cube: xr.Dataset) -> list[str]:
    """Names of the quantities a cube holds (those with a ``Q_quantiles``)."""
    return sorted(
        str(k)[: -len("_quantiles")] for k in cube.data_vars if str(k).endswith("_quantiles")
    )


def check_event(cube: xr.Dataset, event: str, needs: Sequence[str] = ("prob", "se")) -> None:
    """Raise unless ``cube`` holds the event's variables ``E_<suffix>`` for each of ``needs``.

    Args:
        cube: a result cube.
        event: event name, e.g. ``"nazi_power"``.
        needs: variable suffixes required.

    Raises:
        ValueError: naming the known events if one is missing.
    """
    if not isinstance(cube, xr.Dataset):
        raise ValueError(f"cube must be an xarray.Dataset, got {type(cube).__name__}")
    missing = [f"{event}_{s}" for s in needs if f"{event}_{s}" not in cube.data_vars]
    if missing:
        raise ValueError(
            f"cube has no {', '.join(missing)}; its events are {event_names(cube) or 'none'}"
        )


def points_done(cube: xr.Dataset) -> tuple[int, int]:
    """``(done, total)`` points of a sweep cube; a cube without ``points_done``: all done."""
    if DONE_VAR not in cube.variables:
        n = int(cube.sizes.get(POINT_DIM, 1))
        return n, n
    flags = cube[DONE_VAR].values.astype(bool)
    return int(flags.sum()), int(flags.size)


def done_only(cube: xr.Dataset, name: str) -> xr.DataArray:
    """Variable ``name`` of ``cube``, NaN at the points not done (``points_done`` False).

    Args:
        cube: a result cube (with or without ``points_done``; point or grid layout).
        name: a data variable of the cube.

    Returns:
        The variable; where ``points_done`` is False it is NaN (integers become float64).
        Lazy arrays stay lazy; a cube without unfinished points gives the variable as is.
    """
    var = cube[name]
    if DONE_VAR not in cube.variables or name == DONE_VAR:
        return var
    flags = cube[DONE_VAR].astype(bool)
    if not set(flags.dims) <= set(var.dims) or bool(flags.all()):
        return var
    return var.where(flags)


def probability_with_error(cube: xr.Dataset, event: str) -> tuple[xr.DataArray, xr.DataArray]:
    """An event's probability and its Monte Carlo standard error.

    Args:
        cube: a result cube (single scenario: scalars; sweep: over ``point``).
        event: event name, e.g. ``"nazi_power"``.

    Returns:
        ``(prob, se)``: share of runs in which the event happened and its binomial
        standard error, both unitless in [0, 1], with the cube's point dimensions; NaN
        at unfinished sweep points.

    Raises:
        ValueError: if the cube lacks the event.
    """
    check_event(cube, event)
    return done_only(cube, f"{event}_prob"), done_only(cube, f"{event}_se")


def z_value(conf_level: float) -> float:
    """Two-sided normal quantile, e.g. 1.96 for ``conf_level`` 0.95."""
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    return NormalDist().inv_cdf(0.5 + conf_level / 2.0)


def pairwise(
    cube_a: xr.Dataset, cube_b: xr.Dataset, event: str, conf_level: float = 0.95
) -> xr.Dataset:
    """Unpaired difference of an event's probability between two independent cubes, B - A.

    The standard error ``sqrt(se_a^2 + se_b^2)`` assumes the two cubes' runs are
    independent (different seeds, or unrelated runs). Runs drawn with common random
    numbers (the same seed, as :func:`abm.api.compare` does) are positively correlated;
    for them this standard error is conservative (too wide), and the paired difference
    from :func:`abm.api.compare` (its ``table``) is the one to use.

    Args:
        cube_a: the baseline cube.
        cube_b: the other cube; sweep points must carry the same coordinates as A's.
        event: event name, e.g. ``"nazi_power"``.
        conf_level: level of the normal interval ``lo``, ``hi``.

    Returns:
        Dataset with ``a``, ``b`` (probabilities), ``diff`` (``b - a``), ``se`` (its
        standard error), ``lo`` and ``hi`` (normal interval at ``conf_level``), all
        unitless, with the cubes' point dimensions.

    Raises:
        ValueError: if a cube lacks the event, the point coordinates differ, or
            ``conf_level`` is not in (0, 1).
    """
    z = z_value(conf_level)
    pa, sa = probability_with_error(cube_a, event)
    pb, sb = probability_with_error(cube_b, event)
    try:
        pa, sa, pb, sb = xr.align(pa, sa, pb, sb, join="exact")
    except ValueError as err:
        raise ValueError(f"the two cubes' point coordinates differ: {err}") from err
    diff = pb - pa
    se = (sa**2 + sb**2) ** 0.5
    units = {"units": "1"}
    return xr.Dataset(
        {
            "a": pa.assign_attrs(long_name=f"{event}: probability in A", **units),
            "b": pb.assign_attrs(long_name=f"{event}: probability in B", **units),
            "diff": diff.assign_attrs(long_name=f"{event}: B - A", **units),
            "se": se.assign_attrs(long_name="unpaired standard error of B - A", **units),
            "lo": (diff - z * se).assign_attrs(long_name=f"{conf_level:.0%} interval, low"),
            "hi": (diff + z * se).assign_attrs(long_name=f"{conf_level:.0%} interval, high"),
        },
        attrs={"event": event, "conf_level": conf_level, "paired": 0},
    )


def event_year_shares(cube: xr.Dataset, event: str) -> xr.DataArray:
    """Share of runs in which the event first happened in each year.

    Args:
        cube: a result cube.
        event: event name.

    Returns:
        Unitless shares over ``year`` (plus the cube's point dimensions): the year-on-year
        increments of ``E_by_year``; they sum to ``E_prob``.

    Raises:
        ValueError: if the cube lacks the event's ``E_by_year``.
    """
    check_event(cube, event, needs=("by_year",))
    cum = done_only(cube, f"{event}_by_year")
    if YEAR_DIM not in cum.dims:
        raise ValueError(f"{event}_by_year has no {YEAR_DIM!r} dimension: {cum.dims}")
    prev = cum.shift({YEAR_DIM: 1}, fill_value=0.0)
    out = (cum - prev).rename(f"{event}_year_share")
    return out.assign_attrs(
        units="1",
        long_name=f"{event}: share of runs in which it first happened that year",
    )


def lever_grid(obj: XrObj, levers: Sequence[str]) -> XrObj:
    """Turn a sweep's ``point`` dimension into one dimension per lever.

    A grid sweep's cube opened by :func:`abm.cube.open_cube` is already on its lever
    dimensions: such an object is returned unchanged.

    Args:
        obj: a sweep cube or one of its variables, with a ``point`` dimension whose lever
            values are coordinates on ``point``, or already with every lever a dimension.
        levers: lever coordinate names; together they must identify each point.

    Returns:
        The same object over the lever dimensions (in the order given) instead of
        ``point``; lever combinations the sweep did not run are NaN. An object without
        ``point`` whose dimensions include every lever: ``obj`` itself.

    Raises:
        ValueError: if there is neither a ``point`` dimension nor every lever as a
            dimension, a lever is not a coordinate on ``point``, or two points share the
            same lever values.
    """
    names = list(levers)
    if not names:
        raise ValueError("levers must name at least one coordinate")
    if POINT_DIM not in obj.dims and all(n in obj.dims for n in names):
        return obj  # already on the lever dimensions (a grid sweep's opened cube)
    if POINT_DIM not in obj.dims:
        raise ValueError(f"no {POINT_DIM!r} dimension to unstack (dims: {tuple(obj.dims)})")
    bad = [n for n in names if n not in obj.coords or obj.coords[n].dims != (POINT_DIM,)]
    if bad:
        on_point = [
            str(k) for k, c in obj.coords.items() if c.dims == (POINT_DIM,) and k != POINT_DIM
        ]
        raise ValueError(f"{bad} are not coordinates on {POINT_DIM!r}; those are {on_point}")
    keys = list(zip(*(obj.coords[n].values.tolist() for n in names), strict=True))
    if len(set(keys)) != len(keys):
        raise ValueError(f"points are not unique in {names}: reduce over the other levers first")
    drop = [POINT_DIM] if POINT_DIM in obj.coords else []
    levels: Sequence[Hashable] = names
    index: dict[Hashable, Hashable | Sequence[Hashable]] = {POINT_DIM: levels}
    out = obj.drop_vars(drop).set_index(index).unstack(POINT_DIM)
    return out.transpose(*names, ...)
