"""Leader presets (``configs/presets/leaders.yaml``) and the ``levers`` blocks they share.

A presets file maps each leader to a ``description`` and a ``levers`` mapping of lever
name to value. A scenario names its leader; the preset's levers override the
catalogue's defaults and are overridden in turn by the scenario's own ``levers``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abm.config.errors import Loc, did_you_mean, names_text
from abm.config.values import check_keys, number, read_mapping, string
from abm.models.interwar.germany.parameters import ParamDef, catalogue

#: Names of scenarios and leaders.
IDENTIFIER = re.compile(r"^[A-Za-z0-9_-]+$")
PRESET_KEYS = ("description", "levers")


def levers_by_name() -> dict[str, ParamDef]:
    """The catalogue's levers, in catalogue order."""
    return {p.name: p for p in catalogue() if p.kind == "lever"}


def mechanisms_by_name() -> dict[str, ParamDef]:
    """The catalogue's mechanism parameters, in catalogue order."""
    return {p.name: p for p in catalogue() if p.kind == "mechanism"}


def identifier(value: Any, loc: Loc) -> str:
    """A simple name (letters, digits, ``_`` and ``-``)."""
    allowed = "a name of letters, digits, '_' and '-'"
    text = string(value, loc, allowed)
    if not IDENTIFIER.match(text):
        raise loc.error(text, "not a simple name", allowed)
    return text


def parse_levers(value: Any, loc: Loc) -> dict[str, float]:
    """A ``levers`` block: lever name -> value inside the lever's range.

    Args:
        value: the block as read (None for an empty block).
        loc: where the block sits (``levers`` or ``stalin.levers``).

    Returns:
        The levers it sets, in the order given.
    """
    if value is None:
        return {}
    levers, mechanisms = levers_by_name(), mechanisms_by_name()
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", "a mapping of lever name to number")
    out: dict[str, float] = {}
    for name, x in value.items():
        where = loc.child(name)
        if name in mechanisms:
            raise where.error(
                name,
                "is a mechanism parameter, not a lever",
                names_text(levers, "levers"),
                "set it under 'parameters:' in a scenario",
            )
        if name not in levers:
            raise where.error(
                name,
                "unknown lever",
                names_text(levers, "levers"),
                did_you_mean(name, levers, mechanisms),
            )
        out[name] = number(x, where, levers[name])
    return out


@dataclass(frozen=True)
class Preset:
    """The levers a leader sets.

    Attributes:
        name: the leader (``stalin``).
        description: what the preset stands for.
        levers: lever name -> value.
    """

    name: str
    description: str
    levers: dict[str, float]


def load_presets(path: Path) -> dict[str, Preset]:
    """Read and check a presets file.

    Args:
        path: the presets YAML file.

    Returns:
        Leader name -> :class:`Preset`, in file order.
    """
    shown = str(path)
    raw = read_mapping(path, shown, "a YAML file of leader presets {name: {description, levers}}")
    top = Loc(shown)
    out: dict[str, Preset] = {}
    for name, entry in raw.items():
        loc = top.child(name)
        identifier(name, loc)
        if not isinstance(entry, Mapping):
            raise loc.error(entry, "not a mapping", "{description: ..., levers: {...}}")
        check_keys(entry, loc, PRESET_KEYS, "preset key")
        description = string(entry.get("description", ""), loc.child("description"))
        levers = parse_levers(entry.get("levers"), loc.child("levers"))
        out[name] = Preset(name, description, levers)
    return out
