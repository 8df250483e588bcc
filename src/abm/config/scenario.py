"""Scenarios: a YAML file naming a leader preset, lever values and priors, resolved.

Levers resolve as (later wins)::

    catalogue default
    <- every preset's `policy`, applied to its faction (NAME.<faction>; NAME.others the mean)
    <- the chosen leader preset's `levers`
    <- the scenario's `levers`
    <- `--set` overrides

and mechanism priors as catalogue prior <- stance <- the scenario's ``parameters`` <-
``--set`` overrides (a number pins the parameter). A base name of a per-faction or
per-party entry sets every member (the SPD's reference terms excepted); a full name beats
it within a block. Everything is checked before anything is traced: a bad value raises
one :class:`~abm.config.errors.ConfigError` and nothing is half-built.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from abm.config.errors import ConfigError, Loc, did_you_mean
from abm.config.names import (
    Given,
    Layer,
    active_model,
    allowed_names,
    catalogue,
    catalogue_file,
    check_reference,
    layer,
    levers,
    mechanisms,
    parse_levers,
    parse_parameters,
)
from abm.config.presets import identifier, leaders_text, load_presets, policy_layer
from abm.config.stances import Stance, resolve_stance
from abm.config.values import calendar, check_keys, number_text, read_mapping, run_defaults, string
from abm.engine.priors import Prior, PriorTable
from abm.errors import InputError
from abm.models import registry
from abm.models.calendar import Calendar
from abm.posterior import Posterior, check_against, load_posterior, posterior_priors

if TYPE_CHECKING:
    from abm.engine.compose import ComposedModel

#: The model a scenario runs unless its ``model:`` key names another.
MODEL_NAME = registry.DEFAULT_MODEL
TOP_KEYS = (
    "scenario",
    "model",
    "description",
    "leader",
    "presets",
    "stance",
    "calendar",
    "levers",
    "parameters",
    "run",
    "posterior",
    "exogenous",
)
REQUIRED_KEYS = ("scenario", "leader")
#: Presets file used when a scenario names none, relative to the scenario file.
DEFAULT_PRESETS = "../presets/leaders.yaml"
#: The override that switches the leader preset.
LEADER_OVERRIDE = "leader"
COMMAND_LINE = "command line"
#: How the stance is recorded when there is none (cube attributes).
NO_STANCE_ATTR = "none"
#: ``exogenous:`` modes (docs/exogenous.md); the first is the default.
EXOGENOUS_MODES = ("random", "history")
#: The override that switches the exogenous mode (``--set exogenous=history``).
EXOGENOUS_OVERRIDE = "exogenous"
EXOGENOUS_TEXT = (
    "random (draw the weather, the world economy and the other powers' paths) or "
    "history (follow them as they came; docs/exogenous.md)"
)


@dataclass(frozen=True)
class Scenario:
    """A scenario with every lever and prior resolved.

    Attributes:
        name: the scenario's name (``otl``).
        description: what it stands for.
        leader: the leader preset used.
        path: the scenario's YAML file.
        calendar: the simulation calendar.
        levers: every lever's value, by full name in catalogue order.
        priors: every catalogue parameter's prior, in catalogue order (levers pinned).
        run_defaults: ``runs``, ``seed`` and ``chunk_size`` for the command line.
        overrides: the ``--set`` overrides applied, name -> value as given.
        stance: the stance's name, or None for the catalogue's priors.
        stance_path: the stance file read, or None.
        model_name: the registered model it runs.
        posterior: the calibrated sample it runs on (``posterior:``, ``--posterior``), or
            None for the priors alone.
        exogenous: ``random`` (draw the exogenous streams) or ``history`` (follow them
            as they came; ``exogenous:``, ``--exogenous``; docs/exogenous.md).
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
    stance: str | None = None
    stance_path: str | None = None
    model_name: str = MODEL_NAME
    posterior: Posterior | None = None
    exogenous: str = EXOGENOUS_MODES[0]

    def model(self) -> ComposedModel:
        """The scenario's model (from the registry) over this scenario's calendar.

        Under ``exogenous: history`` its slices follow the exogenous paths as they came
        (:mod:`abm.models.interwar.history`).
        """
        if self.exogenous == EXOGENOUS_MODES[0]:
            return registry.build_model(self.model_name, self.calendar)
        from abm.models.interwar.history import build_options

        names = tuple(d.name for d in registry.slice_defs(self.model_name))
        options = build_options(self.exogenous, names)
        return registry.build_model(self.model_name, self.calendar, options)

    def effective_priors(self) -> dict[str, Prior]:
        """The priors the runs draw from: with a posterior, its columns where unchanged.

        A parameter whose prior is the one the calibration saw reads its column of the
        posterior (:func:`abm.posterior.posterior_priors`); levers, stances, the
        scenario's ``parameters:`` and ``--set`` pins that differ apply on top.
        """
        if self.posterior is None:
            return dict(self.priors)
        return posterior_priors(self.posterior, self.priors)

    def prior_table(self) -> PriorTable:
        """The priors as a single-point :class:`PriorTable`, in catalogue order."""
        params = registry.catalogue(self.model_name)
        priors = self.effective_priors()
        return PriorTable.build([priors[p.name] for p in params], [(p.low, p.high) for p in params])

    def posterior_values(self) -> Any:
        """float32 ``[K, n]`` of the posterior for the runner, or None without one."""
        return None if self.posterior is None else self.posterior.values

    def resolved_text(self) -> str:
        """Canonical YAML of everything that decides the runs, keys sorted."""
        data = {
            "model": self.model_name,
            "scenario": self.name,
            "leader": self.leader,
            "stance": self.stance,
            "calendar": {"start": self.calendar.label(0), "end": self.calendar.end_label},
            "levers": {k: float(v) for k, v in self.levers.items()},
            "priors": {k: p.to_dict() for k, p in self.priors.items()},
        }
        if self.posterior is not None:  # absent otherwise: older hashes stay the same
            data["posterior"] = self.posterior.digest()
        if self.exogenous != EXOGENOUS_MODES[0]:  # likewise
            data["exogenous"] = self.exogenous
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


def _override_layers(
    sets: Mapping[str, str], shown: str
) -> tuple[str | None, Loc | None, Layer[float], Layer[Prior]]:
    """``--set`` items: the leader switch, lever values and pinned mechanisms."""
    table, mech = levers(), mechanisms()
    leader: str | None = None
    leader_loc: Loc | None = None
    lever_items: list[Given[float]] = []
    prior_items: list[Given[Prior]] = []
    for key, text in sets.items():
        loc = Loc(shown, f"--set {key}")
        if key == LEADER_OVERRIDE:
            leader, leader_loc = identifier(text, loc), loc
        elif key in table:
            params = table.targets(key)
            value = number_text(text, loc, params[0])
            lever_items.append(Given(params, value, loc, key in table.full))
        elif key in mech:
            params = mech.targets(key)
            pinned = Prior.fixed(number_text(text, loc, params[0]))
            check_reference(params[0], pinned, text, loc)
            prior_items.append(Given(params, pinned, loc, key in mech.full))
        else:
            allowed = "leader, or " + allowed_names(
                [*table.entries(), *mech.entries()], "catalogue parameters"
            )
            hint = did_you_mean(key, [LEADER_OVERRIDE, *table.candidates(), *mech.candidates()])
            raise loc.error(key, "unknown override name", allowed, hint)
    return leader, leader_loc, layer(lever_items), layer(prior_items)


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, str] | Sequence[str] = (),
    stance: str | Path | None = None,
    posterior: str | Path | None = None,
) -> Scenario:
    """Read, check and resolve a scenario file.

    Args:
        path: the scenario's YAML file.
        overrides: ``--set`` overrides, as ``NAME=VALUE`` strings or a mapping. NAME is a
            lever, a mechanism parameter (a number pins it), a base name of a per-faction
            or per-party entry (sets every member) or ``leader``.
        stance: a stance name (``<scenario dir>/../stances/NAME.yaml``), a path ending in
            ``.yaml`` (used as given), or ``none``; None: the scenario's ``stance:`` key,
            if any.
        posterior: a posterior file (``.npz``, as given), ``default`` (the model's
            calibrated posterior) or ``none``; None: the scenario's ``posterior:`` key,
            if any (a path there is relative to the scenario file).

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
    model = _model_name(raw.get("model", MODEL_NAME), top.child("model"))
    with active_model(model):
        sc = _resolve(raw, file, shown, top, sets, stance, model)
    post = _posterior(raw, file, shown, top, posterior, model)
    if post is None:
        return sc
    return replace(sc, posterior=post)


POSTERIOR_ALLOWED = (
    "a posterior file written by `abm calibrate` (.npz; in a scenario file relative to "
    "it), 'default' (the model's calibrated posterior) or 'none'"
)


def _posterior(
    raw: Mapping[Any, Any],
    file: Path,
    shown: str,
    top: Loc,
    given: str | Path | None,
    model: str,
) -> Posterior | None:
    """The posterior a scenario runs on: ``--posterior`` beats the ``posterior:`` key."""
    if given is not None:
        text, loc, base = str(given), Loc(shown, "--posterior"), Path.cwd()
    elif "posterior" in raw:
        loc = top.child("posterior")
        text, base = string(raw["posterior"], loc, POSTERIOR_ALLOWED), file.parent
    else:
        return None
    if text == "none":
        return None
    if text == "default":
        path = registry.posterior_path(model)
        if path is None:
            raise loc.error(text, f"model {model} has no calibrated posterior", POSTERIOR_ALLOWED)
        if not path.is_file():
            raise loc.error(
                text,
                f"model {model}'s posterior {path} does not exist (run `abm calibrate`)",
                POSTERIOR_ALLOWED,
            )
    else:
        path = Path(text) if Path(text).is_absolute() else base / text
    try:
        post = load_posterior(path)
        check_against(post, registry.catalogue(model), str(path))
    except InputError as exc:
        raise loc.error(text, str(exc), POSTERIOR_ALLOWED) from None
    return post


def _model_name(value: Any, loc: Loc) -> str:
    """The scenario's ``model:``, one of the registry's models."""
    name = identifier(value, loc)
    if name not in registry.MODELS:
        raise loc.error(
            name,
            "unknown model",
            f"one of the registered models: {', '.join(registry.MODELS)}",
            did_you_mean(name, registry.MODELS),
        )
    return name


def _resolve(
    raw: Mapping[Any, Any],
    file: Path,
    shown: str,
    top: Loc,
    sets: dict[str, str],
    stance: str | Path | None,
    model: str,
) -> Scenario:
    """The scenario from its checked top level, names checked against ``model``."""
    for key in REQUIRED_KEYS:
        if key not in raw:
            raise top.child(key).error(None, "missing required key", f"{key}: <name>")
    name = identifier(raw["scenario"], top.child("scenario"))
    description = string(raw.get("description", ""), top.child("description"))
    leader = identifier(raw["leader"], top.child("leader"))
    cal = calendar(raw.get("calendar"), top.child("calendar"))
    run = run_defaults(raw.get("run"), top.child("run"))
    exogenous, exo_loc = raw.get("exogenous", EXOGENOUS_MODES[0]), top.child("exogenous")
    if EXOGENOUS_OVERRIDE in sets:  # --set exogenous=MODE (--exogenous MODE)
        exogenous, exo_loc = sets[EXOGENOUS_OVERRIDE], Loc(shown, f"--set {EXOGENOUS_OVERRIDE}")
    if exogenous not in EXOGENOUS_MODES:
        hint = did_you_mean(str(exogenous), EXOGENOUS_MODES)
        raise exo_loc.error(exogenous, "unknown mode", EXOGENOUS_TEXT, hint)
    own_levers = parse_levers(raw.get("levers"), top.child("levers"))
    own_priors = parse_parameters(raw.get("parameters"), top.child("parameters"))
    presets_path = _presets_path(raw, file, top.child("presets"))
    presets = load_presets(presets_path)
    chosen: Stance | None
    if stance is not None:
        spec = str(stance)
        chosen = resolve_stance(spec, file, Loc(shown, "--stance"), None)
    elif "stance" in raw:
        chosen = resolve_stance(raw["stance"], file, top.child("stance"), file.parent)
    else:
        chosen = None

    set_leader, set_leader_loc, set_levers, set_priors = _override_layers(
        {k: v for k, v in sets.items() if k != EXOGENOUS_OVERRIDE}, shown
    )
    leader_loc = top.child("leader")
    if set_leader is not None and set_leader_loc is not None:
        leader, leader_loc = set_leader, set_leader_loc
    if leader not in presets:
        raise leader_loc.error(
            leader,
            f"unknown leader (no preset in {presets_path})",
            leaders_text(presets),
            did_you_mean(leader, presets),
        )

    table = levers()
    values = {n: p.prior.args["value"] for n, p in table.full.items()}
    sources = {n: Loc(catalogue_file(n), n) for n in table.full}
    lead = presets[leader]
    for lay in (
        policy_layer(presets, str(presets_path)),
        Layer(lead.levers, lead.lever_locs),
        own_levers,
        set_levers,
    ):
        values.update(lay.values)
        sources.update(lay.locs)
    _check_third_period(values, sources)
    priors: dict[str, Prior] = {}
    for p in catalogue():
        if p.kind == "lever":
            priors[p.name] = Prior.fixed(values[p.name])
            continue
        priors[p.name] = p.prior
        for lay_priors in (chosen.priors if chosen else {}, own_priors.values, set_priors.values):
            if p.name in lay_priors:
                priors[p.name] = lay_priors[p.name]
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
        stance=chosen.name if chosen else None,
        stance_path=chosen.path if chosen else None,
        model_name=model,
        exogenous=exogenous,
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
