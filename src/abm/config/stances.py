"""Stances (``configs/stances/*.yaml``): named sets of mechanism priors.

A stance is a reading of the history (the optimist's, the skeptic's) written as priors::

    stance: skeptic
    description: "..."
    parameters:        # mechanism priors only, as in a scenario's `parameters:` block
      policy_divergence: {kind: uniform, low: 0.0, high: 0.4}

Any scenario can be run under any stance. Mechanism priors resolve as catalogue prior <-
stance <- the scenario's ``parameters`` <- ``--set``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm.config.errors import Loc, did_you_mean, names_text
from abm.config.names import Layer, parse_parameters
from abm.config.presets import identifier
from abm.config.values import check_keys, read_mapping, string
from abm.engine.priors import Prior

STANCE_KEYS = ("stance", "description", "parameters")
#: Folder of named stances, relative to the scenario file's folder.
STANCES_DIR = "../stances"
#: The stance name that means none (the catalogue's priors), e.g. to drop a default.
NO_STANCE = "none"
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Stance:
    """A named set of mechanism priors.

    Attributes:
        name: the stance's name (``skeptic``).
        description: the reading of the history it stands for.
        path: the stance file.
        priors: full parameter name -> prior.
        locs: where each prior was given.
    """

    name: str
    description: str
    path: str
    priors: dict[str, Prior]
    locs: dict[str, Loc] = field(default_factory=dict, compare=False)


def stances_dir(scenario_file: Path) -> Path:
    """The folder of named stances for a scenario file (``<scenario dir>/../stances``)."""
    return Path(os.path.normpath(scenario_file.parent / STANCES_DIR))


def available(folder: Path) -> list[str]:
    """The named stances in a folder (file stems), sorted."""
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix == ".yaml" and p.is_file())


def _allowed(folder: Path) -> str:
    names = [NO_STANCE, *available(folder)]
    return f"a stance name ({names_text(names, 'stances')}, from {folder}) or a .yaml path"


def stance_file(spec: Any, scenario_file: Path, loc: Loc, relative_to: Path | None) -> Path | None:
    """The file a stance name or path stands for (None for ``none``).

    Args:
        spec: a name (``skeptic``: ``<scenario dir>/../stances/skeptic.yaml``), ``none``,
            or a path ending in ``.yaml``.
        scenario_file: the scenario file the stance is combined with.
        loc: where the stance was given (``stance`` in a scenario, ``--stance``).
        relative_to: folder a relative path is taken from (None: as given, i.e. the
            working directory).

    Raises:
        ConfigError: for an unknown name or a missing file, listing the stances there are.
    """
    folder = stances_dir(scenario_file)
    text = string(spec, loc, _allowed(folder))
    if text == NO_STANCE:
        return None
    if text.endswith(SUFFIXES):
        path = Path(text)
        if relative_to is not None and not path.is_absolute():
            path = Path(os.path.normpath(relative_to / path))
        if not path.is_file():
            raise loc.error(text, f"stance file {path} not found", _allowed(folder))
        return path
    identifier(text, loc)
    path = folder / f"{text}.yaml"
    if not path.is_file():
        raise loc.error(
            text,
            "unknown stance",
            _allowed(folder),
            did_you_mean(text, [NO_STANCE, *available(folder)]),
        )
    return path


def load_stance(path: Path, expect: str | None = None) -> Stance:
    """Read and check a stance file.

    Args:
        path: the stance YAML file.
        expect: the name it was asked for by (its ``stance:`` must match), if any.

    Returns:
        The :class:`Stance`.
    """
    shown = str(path)
    raw = read_mapping(path, shown, "a stance YAML file {stance, description, parameters}")
    top = Loc(shown)
    check_keys(raw, top, STANCE_KEYS, "stance key")
    if "stance" not in raw:
        raise top.child("stance").error(None, "missing required key", "stance: <name>")
    name = identifier(raw["stance"], top.child("stance"))
    if expect is not None and name != expect:
        raise top.child("stance").error(
            name, f"the file is asked for as {expect!r} but names another stance", repr(expect)
        )
    description = string(raw.get("description", ""), top.child("description"))
    priors: Layer[Prior] = parse_parameters(
        raw.get("parameters"),
        top.child("parameters"),
        lever_hint="a stance sets mechanism priors only; set levers in a scenario's 'levers:'",
    )
    return Stance(name, description, shown, priors.values, priors.locs)


def resolve_stance(
    spec: Any, scenario_file: Path, loc: Loc, relative_to: Path | None
) -> Stance | None:
    """The stance a name or path stands for, read and checked (None for ``none``)."""
    path = stance_file(spec, scenario_file, loc, relative_to)
    if path is None:
        return None
    by_name = not str(spec).endswith(SUFFIXES)
    return load_stance(path, str(spec) if by_name else None)
