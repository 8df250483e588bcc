"""Scenarios: a YAML file naming a leader preset, lever values and priors, resolved.

Levers resolve as catalogue default <- leader preset <- the scenario's ``levers`` <-
``--set`` overrides; mechanism priors as catalogue prior <- the scenario's
``parameters`` <- ``--set`` overrides (a number pins the parameter). Everything is
checked before anything is traced: a bad value raises one
:class:`~abm.config.errors.ConfigError` and nothing is half-built.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from abm.config.errors import ConfigError, Loc, did_you_mean, names_text
from abm.config.presets import (
    identifier,
    levers_by_name,
    load_presets,
    mechanisms_by_name,
    parse_levers,
)
from abm.config.values import (
    calendar,
    check_keys,
    number_text,
    prior,
    read_mapping,
    run_defaults,
    string,
)
from abm.engine.priors import Prior, PriorTable
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany.model import GermanyModel
from abm.models.interwar.germany.parameters import (
    CATALOGUE_FILE,
    REFERENCE_PARTY,
    catalogue,
    party_key,
)

TOP_KEYS = (
    "scenario",
    "description",
    "leader",
    "presets",
    "calendar",
    "levers",
    "parameters",
    "run",
)
REQUIRED_KEYS = ("scenario", "leader")
#: Presets file used when a scenario names none, relative to the scenario file.
DEFAULT_PRESETS = "../presets/leaders.yaml"
#: The override that switches the leader preset.
LEADER_OVERRIDE = "leader"
COMMAND_LINE = "command line"


@dataclass(frozen=True)
class Scenario:
    """A scenario with every lever and prior resolved.

    Attributes:
        name: the scenario's name (``otl``).
        description: what it stands for.
        leader: the leader preset used.
        path: the scenario's YAML file.
        calendar: the simulation calendar.
        levers: every lever's value, in catalogue order.
        priors: every catalogue parameter's prior, in catalogue order (levers pinned).
        run_defaults: ``runs``, ``seed`` and ``chunk_size`` for the command line.
        overrides: the ``--set`` overrides applied, name -> value as given.
    """

    name: str
    description: str
    leader: str
    path: str
    calendar: Calendar
    levers: dict[str, float]
    priors: dict[str, Prior]
    run_defaults: dict[str, int]
    overrides: dict[str, str]

    def model(self) -> GermanyModel:
        """The Germany model over this scenario's calendar."""
        return GermanyModel(self.calendar)

    def prior_table(self) -> PriorTable:
        """The priors as a single-point :class:`PriorTable`, in catalogue order."""
        params = catalogue()
        return PriorTable.build(
            [self.priors[p.name] for p in params], [(p.low, p.high) for p in params]
        )

    def resolved_text(self) -> str:
        """Canonical YAML of everything that decides the runs, keys sorted."""
        data = {
            "model": GermanyModel.name,
            "scenario": self.name,
            "leader": self.leader,
            "calendar": {"start": self.calendar.label(0), "end": self.calendar.end_label},
            "levers": {k: float(v) for k, v in self.levers.items()},
            "priors": {k: p.to_dict() for k, p in self.priors.items()},
        }
        return yaml.safe_dump(data, sort_keys=True, default_flow_style=False)

    def config_hash(self) -> str:
        """SHA-256 (hex) of :meth:`resolved_text`."""
        return hashlib.sha256(self.resolved_text().encode("utf-8")).hexdigest()


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    """``["a=1", "b=2"]`` -> ``{"a": "1", "b": "2"}``; malformed or repeated items are refused."""
    loc = Loc(COMMAND_LINE, "--set")
    out: dict[str, str] = {}
    for item in [items] if isinstance(items, str) else items:
        if not isinstance(item, str) or "=" not in item:
            raise loc.error(item, "not NAME=VALUE", "NAME=VALUE, e.g. united_front_uptake=0.5")
        name, value = (part.strip() for part in item.split("=", 1))
        if not name or not value:
            raise loc.error(item, "empty name or value", "NAME=VALUE, both non-empty")
        if name in out:
            raise loc.error(item, f"{name} is set twice", "each name at most once")
        out[name] = value
    return out


def _reference_names() -> set[str]:
    suffix = f".{party_key(REFERENCE_PARTY)}"
    return {p.name for p in catalogue() if "." in p.name and p.name.endswith(suffix)}


def _check_reference(name: str, pinned: Prior, value: Any, loc: Loc) -> None:
    if name in _reference_names() and pinned != Prior.fixed(0.0):
        raise loc.error(
            value,
            f"{name} is the reference of the party logits ({REFERENCE_PARTY}), pinned at 0",
            "0, or leave it out",
        )


def parse_parameters(value: Any, loc: Loc) -> dict[str, Prior]:
    """A ``parameters`` block: mechanism name -> number (pins it) or prior mapping."""
    if value is None:
        return {}
    levers, mechanisms = levers_by_name(), mechanisms_by_name()
    allowed = names_text(mechanisms, "mechanism parameters", CATALOGUE_FILE)
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", "a mapping of parameter name to prior")
    out: dict[str, Prior] = {}
    for name, spec in value.items():
        where = loc.child(name)
        if name in levers:
            raise where.error(
                name, "is a lever, not a mechanism parameter", allowed, "set it under 'levers:'"
            )
        if name not in mechanisms:
            raise where.error(
                name, "unknown parameter", allowed, did_you_mean(name, mechanisms, levers)
            )
        out[name] = prior(spec, where, mechanisms[name])
        _check_reference(name, out[name], spec, where)
    return out


def _as_overrides(overrides: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(overrides, Mapping):
        loc = Loc(COMMAND_LINE, "--set")
        for name in overrides:
            if not isinstance(name, str) or not name:
                raise loc.error(name, "override name is not a non-empty string", "NAME=VALUE")
        return {name: str(value) for name, value in overrides.items()}
    return parse_overrides(overrides)


def _presets_path(raw: Mapping[Any, Any], file: Path, loc: Loc) -> Path:
    allowed = f"a presets YAML file, relative to the scenario file (default {DEFAULT_PRESETS})"
    text = string(raw.get("presets", DEFAULT_PRESETS), loc, allowed)
    path = Path(os.path.normpath(file.parent / text))
    if not path.is_file():
        raise loc.error(text, f"presets file {path} not found", allowed)
    return path


def load_scenario(path: str | Path, overrides: Mapping[str, str] | Sequence[str] = ()) -> Scenario:
    """Read, check and resolve a scenario file.

    Args:
        path: the scenario's YAML file.
        overrides: ``--set`` overrides, as ``NAME=VALUE`` strings or a mapping. NAME is a
            lever, a mechanism parameter (a number pins it) or ``leader``.

    Returns:
        The resolved :class:`Scenario`.

    Raises:
        ConfigError: naming the file, the field, the value and what is allowed.
    """
    sets = _as_overrides(overrides)
    file, shown = Path(path), str(path)
    raw = read_mapping(file, shown, "a scenario YAML file")
    top = Loc(shown)
    check_keys(raw, top, TOP_KEYS, "top-level key")
    for key in REQUIRED_KEYS:
        if key not in raw:
            raise top.child(key).error(None, "missing required key", f"{key}: <name>")
    name = identifier(raw["scenario"], top.child("scenario"))
    description = string(raw.get("description", ""), top.child("description"))
    leader = identifier(raw["leader"], top.child("leader"))
    cal = calendar(raw.get("calendar"), top.child("calendar"))
    run = run_defaults(raw.get("run"), top.child("run"))
    own_levers = parse_levers(raw.get("levers"), top.child("levers"))
    own_priors = parse_parameters(raw.get("parameters"), top.child("parameters"))
    presets_path = _presets_path(raw, file, top.child("presets"))
    presets = load_presets(presets_path)

    levers, mechanisms = levers_by_name(), mechanisms_by_name()
    leader_loc = top.child("leader")
    set_levers: dict[str, float] = {}
    set_priors: dict[str, Prior] = {}
    for key, text in sets.items():
        loc = Loc(shown, f"--set {key}")
        if key == LEADER_OVERRIDE:
            leader, leader_loc = identifier(text, loc), loc
        elif key in levers:
            set_levers[key] = number_text(text, loc, levers[key])
        elif key in mechanisms:
            set_priors[key] = Prior.fixed(number_text(text, loc, mechanisms[key]))
            _check_reference(key, set_priors[key], text, loc)
        else:
            allowed = "leader, or " + names_text(
                [*levers, *mechanisms], "catalogue parameters", CATALOGUE_FILE
            )
            hint = did_you_mean(key, [LEADER_OVERRIDE, *levers, *mechanisms])
            raise loc.error(key, "unknown override name", allowed, hint)
    if leader not in presets:
        raise leader_loc.error(
            leader,
            f"unknown leader (no preset in {presets_path})",
            names_text(presets, "leaders"),
            did_you_mean(leader, presets),
        )

    values = {n: p.prior.args["value"] for n, p in levers.items()}
    sources = {n: Loc(CATALOGUE_FILE, n) for n in levers}
    for layer, where in (
        (presets[leader].levers, lambda n: Loc(str(presets_path), f"{leader}.levers.{n}")),
        (own_levers, lambda n: top.child("levers").child(n)),
        (set_levers, lambda n: Loc(shown, f"--set {n}")),
    ):
        for n, v in layer.items():
            values[n], sources[n] = v, where(n)
    _check_third_period(values, sources)
    priors = {
        p.name: Prior.fixed(values[p.name])
        if p.kind == "lever"
        else set_priors.get(p.name, own_priors.get(p.name, p.prior))
        for p in catalogue()
    }
    return Scenario(
        name=name,
        description=description,
        leader=leader,
        path=shown,
        calendar=cal,
        levers=values,
        priors=priors,
        run_defaults=run,
        overrides=dict(sets),
    )


def _check_third_period(values: Mapping[str, float], sources: Mapping[str, Loc]) -> None:
    start, end = values["third_period_start"], values["third_period_end"]
    if end < start:
        where = sources["third_period_end"]
        raise where.error(
            end,
            "third_period_end is before third_period_start",
            f">= {start:g} (third_period_start, from {sources['third_period_start'].path})",
        )


__all__ = ["ConfigError", "Scenario", "load_scenario", "parse_overrides"]
