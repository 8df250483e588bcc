"""Number and label formatting of the report's tables and captions."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import xarray as xr

#: Level of the normal intervals of the probabilities.
CONF_LEVEL = 0.95


def fmt(v: object, digits: int = 3) -> str:
    """A number for a table: ``digits`` significant digits, ``-`` for NaN."""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        f = float(v)
        if not math.isfinite(f):
            return "-"
        if f != 0.0 and (abs(f) >= 1e9 or abs(f) < 1e-3):
            return f"{f:.{digits}g}"
        return f"{f:,.0f}" if abs(f) >= 100 else f"{f:.{digits}g}"
    return str(v)


def prob(p: float) -> str:
    """A probability with three decimals (``-`` for NaN)."""
    return f"{p:.3f}" if math.isfinite(p) else "-"


def describe(cube: xr.Dataset, var: str) -> str:
    """A variable's description attribute, or nothing."""
    return str(cube[var].attrs.get("description", "")) if var in cube.variables else ""


def unit_label(name: str, attrs: Mapping[Hashable, Any]) -> str:
    """``name [units]``, or ``name`` when the units are unknown."""
    units = attrs.get("units")
    return f"{name} [{units}]" if units not in (None, "") else name


def scalar(da: xr.DataArray) -> float:
    """The first value of an array as a float (a 0-d array's only value)."""
    return float(np.asarray(da.values, dtype=np.float64).reshape(-1)[0])


__all__ = ["CONF_LEVEL", "describe", "fmt", "prob", "scalar", "unit_label"]
