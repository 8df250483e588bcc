"""Names, constants and attribute helpers of the result cube schema.

The variable names below are a public interface (reports, merges and the CLI read them):

* ``n_runs``: runs behind each point.
* event ``E``: ``E_prob``, ``E_se``, ``E_count``, ``E_by_year``, ``E_by_year_count``.
* category ``C``: ``C_share``, ``C_se``, ``C_count`` over a dimension named ``C``.
* quantity ``Q``: ``Q_mean``, ``Q_quantiles``, ``Q_n``, ``Q_hist`` (over ``Q_bin``) and
  ``Q_sum_fixed`` (attr ``scale``).

Every variable of an outcome carries the attrs ``kind``, ``units``, ``long_name``,
``description``, ``outcome`` (the outcome's name) and ``headline`` (1 for a headline
outcome, shown first in reports, else 0); a quantity's variables also carry
``dim_labels`` (human labels of its own dimensions joined by ``|``) when the spec has
them. The dataset attr ``headline_outcomes`` lists the headline outcomes' names,
comma-separated, in spec order.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from abm.errors import InputError

#: Value of the dataset attribute ``schema`` of every cube.
SCHEMA_NAME = "abm-cube"

#: Version of the cube layout; :func:`abm.cube.open_cube` refuses any other.
SCHEMA_VERSION = 1

#: Probabilities of the ``quantile`` dimension of every ``Q_quantiles``.
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)

#: Name of the sweep-point dimension.
POINT_DIM = "point"

#: Name of the quantile dimension.
QUANTILE_DIM = "quantile"

#: Name of the calendar-year dimension (its coordinates are ints).
YEAR_DIM = "year"

#: Dataset attribute listing the headline outcomes, comma-separated, in spec order.
HEADLINE_ATTR = "headline_outcomes"

#: Dataset attributes that the schema owns (provenance may not override them).
RESERVED_ATTRS = ("schema", "schema_version")

AttrValue = str | int | float


class CubeError(InputError):
    """A cube cannot be built, written or read (the message says which and why)."""


def var_attrs(kind: str, units: str, long_name: str, description: str) -> dict[str, AttrValue]:
    """The attributes every cube variable carries.

    Args:
        kind: ``event``, ``category``, ``quantity`` or ``meta``.
        units: physical unit; ``"1"`` for probabilities, shares and counts.
        long_name: short human-readable name.
        description: one line, from the outcome spec.

    Returns:
        The attribute mapping.
    """
    return {"kind": kind, "units": units, "long_name": long_name, "description": description}


def clean_attr(key: str, value: object) -> AttrValue:
    """A provenance value as a plain ``str``, ``int`` or ``float``.

    Numpy scalars become Python scalars and booleans become 0 or 1, so that every value
    survives both Zarr (JSON) and netCDF attributes.

    Args:
        key: attribute name, for the error message.
        value: the value to check.

    Returns:
        The serialisable value.

    Raises:
        CubeError: if the value is not a string or a real number.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str | int | float):
        return value
    raise CubeError(
        f"provenance attribute {key!r} must be str, int or float, got {type(value).__name__}"
    )


def dataset_attrs(provenance: Mapping[str, object]) -> dict[str, AttrValue]:
    """Dataset attributes: the schema marker and version, then the provenance.

    Args:
        provenance: caller-supplied attributes (config text and hash, seed, versions...).

    Returns:
        The attribute mapping.

    Raises:
        CubeError: if a provenance key is reserved or a value is not serialisable.
    """
    out: dict[str, AttrValue] = {"schema": SCHEMA_NAME, "schema_version": SCHEMA_VERSION}
    for key, value in provenance.items():
        if key in RESERVED_ATTRS:
            raise CubeError(f"provenance may not set the reserved attribute {key!r}")
        out[str(key)] = clean_attr(key, value)
    return out


def check_schema(attrs: Mapping[str, object], where: str) -> None:
    """Raise unless ``attrs`` mark a cube of this package's schema version.

    Args:
        attrs: dataset attributes.
        where: the path (or other name) of the cube, for messages.

    Raises:
        CubeError: if the schema marker is missing or different, or the version differs.
    """
    schema = attrs.get("schema")
    if schema != SCHEMA_NAME:
        raise CubeError(f"{where} is not an abm cube (schema {schema!r}, expected {SCHEMA_NAME!r})")
    version = attrs.get("schema_version")
    if version != SCHEMA_VERSION:
        raise CubeError(
            f"{where} has cube schema version {version!r}; this abm reads version "
            f"{SCHEMA_VERSION} only"
        )
