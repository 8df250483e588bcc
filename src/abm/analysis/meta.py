"""What a cube says about its own outcomes: the headline ones and human labels of dims.

A cube names its headline outcomes in the dataset attribute ``headline_outcomes``
(comma-separated outcome names, most important first) and labels each variable with
``outcome`` (its outcome's name), ``headline`` (0 or 1) and, for quantities,
``dim_labels`` (``|``-joined human labels of the quantity's own dimensions, those other
than ``point``, ``quantile`` and its histogram bins). Reports, plots and service
artifacts read these instead of naming a model's outcomes; cubes written before the
attributes existed fall back to every event in cube order and to the dimension names.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from abm.cube.schema import POINT_DIM, QUANTILE_DIM

#: The dataset attribute listing the headline outcomes (comma-separated, in order).
HEADLINE_ATTR = "headline_outcomes"

#: The per-variable attribute with ``|``-joined labels of a quantity's own dimensions.
DIM_LABELS_ATTR = "dim_labels"

#: Variable suffixes of a quantity, most likely to carry its attributes first.
QUANTITY_SUFFIXES = ("_quantiles", "_mean", "_n", "_hist", "_sum_fixed")


def _split(text: object, sep: str) -> list[str]:
    return [s.strip() for s in str(text).split(sep) if s.strip()]


def ordered_events(ds: xr.Dataset) -> list[str]:
    """Every event of the cube (an ``E_prob`` of kind ``event``), in the cube's order."""
    return [
        str(k)[: -len("_prob")]
        for k, v in ds.data_vars.items()
        if str(k).endswith("_prob") and v.attrs.get("kind", "event") == "event"
    ]


def ordered_quantities(ds: xr.Dataset) -> list[str]:
    """Every quantity of the cube (a ``Q_quantiles``), in the cube's order."""
    return [str(k)[: -len("_quantiles")] for k in ds.data_vars if str(k).endswith("_quantiles")]


def headline_outcomes(ds: xr.Dataset) -> list[str]:
    """The cube's headline outcome names, most important first.

    Read from the dataset attribute ``headline_outcomes``; when it is absent, from the
    variables flagged ``headline`` = 1 (their ``outcome`` attribute, in cube order);
    when none is flagged either, every event in cube order. An attribute present but
    empty means the cube has no headline outcome (an empty list).

    Args:
        ds: a result cube (single scenario or sweep).

    Returns:
        Outcome names (events, categories or quantities), without duplicates.
    """
    if HEADLINE_ATTR in ds.attrs:
        names = _split(ds.attrs[HEADLINE_ATTR], ",")
    else:
        names = [
            str(v.attrs.get("outcome") or k)
            for k, v in ds.data_vars.items()
            if str(v.attrs.get("headline", 0)).strip() in ("1", "True", "true")
        ]
        if not names:
            names = ordered_events(ds)
    return list(dict.fromkeys(names))


def headline_events(ds: xr.Dataset) -> list[str]:
    """The headline outcomes that are events of the cube, in headline order."""
    events = set(ordered_events(ds))
    return [n for n in headline_outcomes(ds) if n in events]


def headline_quantities(ds: xr.Dataset) -> list[str]:
    """The headline outcomes that are quantities of the cube, in headline order."""
    quantities = set(ordered_quantities(ds))
    return [n for n in headline_outcomes(ds) if n in quantities]


def headline_first(names: Sequence[str], headline: Sequence[str]) -> list[str]:
    """``names`` with those in ``headline`` first (in that order), the rest as given."""
    head = [n for n in headline if n in names]
    return head + [n for n in names if n not in head]


def events_headline_first(ds: xr.Dataset) -> list[str]:
    """Every event of the cube: the headline ones first, then the others in cube order."""
    return headline_first(ordered_events(ds), headline_events(ds))


def own_dims(ds: xr.Dataset, var: str) -> list[str]:
    """A variable's own dimensions: those other than ``point``, ``quantile`` and bins."""
    outcome = str(ds[var].attrs.get("outcome") or _outcome_of(var))
    skip = (POINT_DIM, QUANTILE_DIM, f"{outcome}_bin")
    return [str(d) for d in ds[var].dims if d not in skip]


def _outcome_of(var: str) -> str:
    for suffix in QUANTITY_SUFFIXES:
        if var.endswith(suffix):
            return var[: -len(suffix)]
    return var


def dim_label(ds: xr.Dataset, var: str, dim: str) -> str:
    """A human label of one of a variable's dimensions.

    The label comes from the variable's ``dim_labels`` attribute (or that of another
    variable of the same quantity), matched to its own dimensions in order; else from
    the dimension coordinate's ``long_name``; else it is the dimension's name.

    Args:
        ds: a result cube.
        var: a variable of the cube, e.g. ``"Q_quantiles"``.
        dim: one of its dimensions, e.g. ``"year"``.

    Returns:
        The label, e.g. ``"calendar year"`` (without units).
    """
    if var in ds.data_vars and dim in ds[var].dims:
        outcome = str(ds[var].attrs.get("outcome") or _outcome_of(var))
        for name in (var, *(outcome + s for s in QUANTITY_SUFFIXES)):
            if name not in ds.data_vars or DIM_LABELS_ATTR not in ds[name].attrs:
                continue
            dims = own_dims(ds, name)
            labels = str(ds[name].attrs[DIM_LABELS_ATTR]).split("|")
            if len(labels) == len(dims) and dim in dims and labels[dims.index(dim)].strip():
                return labels[dims.index(dim)].strip()
    if dim in ds.coords and ds[dim].attrs.get("long_name"):
        return str(ds[dim].attrs["long_name"])
    return dim


def varied_levers(ds: xr.Dataset) -> list[str]:
    """The sweep's varied levers: attribute ``varied``, else every coordinate on ``point``.

    Levers named by ``varied`` are kept when they are coordinates on ``point`` or
    dimensions of their own (a full-factorial sweep opened with one dimension per lever).
    """
    on_point = [str(k) for k, c in ds.coords.items() if c.dims == (POINT_DIM,) and k != POINT_DIM]
    varied = _split(ds.attrs.get("varied", ""), ",")
    if not varied:
        return on_point
    return [n for n in varied if n in on_point or n in ds.dims]


def as_points(ds: xr.Dataset) -> xr.Dataset:
    """A sweep cube over ``point`` (lever values as coordinates on it), however it came.

    A cube opened with one dimension per varied lever (a full-factorial design) is
    stacked back into ``point``, numbered 0..n-1 with the levers' values as coordinates,
    the last lever varying fastest; a cube over ``point`` already, or a single-scenario
    cube, is returned as is.

    Args:
        ds: a result cube.

    Returns:
        The cube, its lever dimensions (if any) replaced by ``point``.
    """
    if POINT_DIM in ds.dims:
        return ds
    dims = [n for n in varied_levers(ds) if n in ds.dims]
    if not dims:
        return ds
    out = ds.stack({POINT_DIM: dims}).reset_index(POINT_DIM)
    out = out.drop_vars(POINT_DIM, errors="ignore")
    return out.assign_coords({POINT_DIM: np.arange(out.sizes[POINT_DIM])})


__all__ = [
    "DIM_LABELS_ATTR",
    "HEADLINE_ATTR",
    "as_points",
    "dim_label",
    "events_headline_first",
    "headline_events",
    "headline_first",
    "headline_outcomes",
    "headline_quantities",
    "ordered_events",
    "ordered_quantities",
    "own_dims",
    "varied_levers",
]
