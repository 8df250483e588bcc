"""Leader presets (``configs/presets/leaders.yaml``): each faction's policy and start.

A presets file maps each leader to::

    stalin:
      description: "..."
      faction: stalin      # whose policy vector this preset defines
      levers: {...}        # start conditions and global levers, used when this leader is chosen
      policy: {...}        # the faction's policy vector, base lever names only

It defines exactly one preset per policy faction (stalin, trotsky, zinoviev, bukharin),
each with every policy lever. Every scenario carries all four factions' policies (the
model decides who wins and applies the winner's); the chosen leader's ``levers`` set who
starts where.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm.config.errors import ConfigError, Loc, did_you_mean, names_text
from abm.config.names import Layer, levers, mechanisms, model_name, parse_levers
from abm.config.values import check_keys, number, read_mapping, string
from abm.engine.slices import PolicyPresets
from abm.models import registry
from abm.models.catalogue import ParamDef

#: Names of scenarios, leaders and stances.
IDENTIFIER = re.compile(r"^[A-Za-z0-9_-]+$")
PRESET_KEYS = ("description", "faction", "levers", "policy")
REQUIRED_PRESET_KEYS = ("faction", "policy")
_POLICY_ONLY = "is a faction's policy lever, set under its preset's 'policy:'"


def preset_spec() -> PolicyPresets:
    """The leader presets the active model takes (its slice that declares them).

    Raises:
        ConfigError: if no slice of the model takes leader presets.
    """
    for d in registry.slice_defs(model_name()):
        if d.presets is not None:
            return d.presets
    raise ConfigError(f"model {model_name()!r} has no slice that takes leader presets")


def levers_by_name() -> dict[str, ParamDef]:
    """The catalogue's levers by full name, in catalogue order."""
    return dict(levers().full)


def mechanisms_by_name() -> dict[str, ParamDef]:
    """The catalogue's mechanism parameters by full name, in catalogue order."""
    return dict(mechanisms().full)


def identifier(value: Any, loc: Loc) -> str:
    """A simple name (letters, digits, ``_`` and ``-``)."""
    allowed = "a name of letters, digits, '_' and '-'"
    text = string(value, loc, allowed)
    if not IDENTIFIER.match(text):
        raise loc.error(text, "not a simple name", allowed)
    return text


@dataclass(frozen=True)
class Preset:
    """A leader: the faction whose policy it defines, and the start it sets.

    Attributes:
        name: the leader (``troika``).
        description: what the preset stands for.
        faction: the faction whose policy vector it defines (``zinoviev``).
        levers: what it sets when chosen, by full lever name.
        policy: the faction's policy vector, base lever name -> value.
        lever_locs: where each of ``levers`` was given.
    """

    name: str
    description: str
    faction: str
    levers: dict[str, float]
    policy: dict[str, float]
    lever_locs: dict[str, Loc] = field(default_factory=dict, compare=False)


def parse_policy(value: Any, loc: Loc) -> dict[str, float]:
    """A ``policy`` block: every policy lever's base name -> value inside its range."""
    policy_levers = preset_spec().levers
    allowed = ", ".join(policy_levers)
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", f"a mapping of policy lever to number ({allowed})")
    table = levers()
    out: dict[str, float] = {}
    for name, x in value.items():
        where = loc.child(name)
        if name not in policy_levers:
            full = table.full.get(name)
            if full is not None and full.base in policy_levers:
                hint = f"a policy names base levers only: write {full.base}"
            else:
                hint = did_you_mean(name, policy_levers)
            raise where.error(name, "not a policy lever", allowed, hint)
        out[name] = number(x, where, table.bases[name][0])
    missing = [n for n in policy_levers if n not in out]
    if missing:
        raise loc.error(
            dict(value), f"policy misses {', '.join(missing)}", f"every policy lever: {allowed}"
        )
    return out


def _preset(name: Any, entry: Any, loc: Loc) -> Preset:
    identifier(name, loc)
    if not isinstance(entry, Mapping):
        raise loc.error(
            entry, "not a mapping", "{description: ..., faction: ..., levers: {...}, policy: {...}}"
        )
    check_keys(entry, loc, PRESET_KEYS, "preset key")
    for key in REQUIRED_PRESET_KEYS:
        if key not in entry:
            raise loc.child(key).error(None, "missing required key", ", ".join(PRESET_KEYS))
    description = string(entry.get("description", ""), loc.child("description"))
    spec = preset_spec()
    faction = string(entry["faction"], loc.child("faction"), ", ".join(spec.members))
    if faction not in spec.members:
        raise loc.child("faction").error(
            faction,
            f"not a {spec.member_word} with a policy of its own",
            ", ".join(spec.members),
            did_you_mean(faction, spec.members),
        )
    refuse = dict.fromkeys(spec.levers, _POLICY_ONLY)
    lever_layer = parse_levers(entry.get("levers"), loc.child("levers"), refuse=refuse)
    policy = parse_policy(entry["policy"], loc.child("policy"))
    return Preset(name, description, faction, lever_layer.values, policy, lever_layer.locs)


def load_presets(path: Path) -> dict[str, Preset]:
    """Read and check a presets file.

    Args:
        path: the presets YAML file.

    Returns:
        Leader name -> :class:`Preset`, in file order.

    Raises:
        ConfigError: for a bad preset, or unless every policy faction has exactly one.
    """
    shown = str(path)
    raw = read_mapping(
        path, shown, "a YAML file of leader presets {name: {description, faction, levers, policy}}"
    )
    top = Loc(shown)
    members = preset_spec().members
    out: dict[str, Preset] = {}
    by_faction: dict[str, str] = {}
    for name, entry in raw.items():
        preset = _preset(name, entry, top.child(name))
        if preset.faction in by_faction:
            where = top.child(name).child("faction")
            raise where.error(
                preset.faction,
                f"faction {preset.faction} already has a preset ({by_faction[preset.faction]})",
                "one preset per faction: " + ", ".join(members),
            )
        by_faction[preset.faction] = name
        out[name] = preset
    missing = [f for f in members if f not in by_faction]
    if missing:
        raise Loc(shown, "(top level)").error(
            sorted(out),
            f"no preset for the faction(s) {', '.join(missing)}",
            "exactly one preset per faction ("
            + ", ".join(members)
            + "), each with 'faction:' and a full 'policy:'",
        )
    return out


def policy_layer(presets: Mapping[str, Preset], path: str) -> Layer[float]:
    """Every faction's policy levers from its preset; the mean faction's from their mean.

    Args:
        presets: the checked presets (one per policy faction).
        path: the presets file, for the values' locations.

    Returns:
        ``NAME.<faction>`` -> value for every policy lever and faction.
    """
    out: Layer[float] = Layer()
    for preset in presets.values():
        for base, value in preset.policy.items():
            full = f"{base}.{preset.faction}"
            out.values[full] = value
            out.locs[full] = Loc(path, f"{preset.name}.policy.{base}")
    spec = preset_spec()
    for base in spec.levers:
        full = f"{base}.{spec.mean_member}"
        out.values[full] = math.fsum(p.policy[base] for p in presets.values()) / len(presets)
        out.locs[full] = Loc(path, f"(mean of the presets' policy.{base})")
    return out


def leaders_text(presets: Mapping[str, Preset]) -> str:
    """The leaders a scenario may name."""
    return names_text(presets, "leaders")
