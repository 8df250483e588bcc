"""The model registry: each model is a list of slices and the wiring between them.

A scenario names its model (``model: interwar``, the default). Config validation,
presets, replay, calibration and coverage work from the model's slices: their
catalogues, state metadata and outcome specs (:mod:`abm.engine.slices`).

Adding a slice is one new folder (a package whose ``slice`` module defines ``SLICE``, a
:class:`~abm.engine.slices.SliceDef`) plus one wiring entry here: its module path in a
model's ``slices`` and its imports in ``wiring`` (see ``docs/adding_a_slice.md``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from abm.engine.compose import ComposedModel, Wire, compose, composed_catalogue
from abm.engine.slices import SliceDef
from abm.errors import InputError
from abm.models.calendar import Calendar


@dataclass(frozen=True)
class ModelEntry:
    """One registered model.

    Attributes:
        name: the name scenarios use (``interwar``).
        slices: module paths of the slices, each defining ``SLICE``; their order is the
            order of parameters and outcomes.
        wiring: the imports between slices.
        calendar: default ``(start, end)`` months, ``YYYY-MM``.
        doc: one line.
        posterior: the model's calibrated posterior (written by ``abm calibrate``),
            relative to the ``abm`` package; what a scenario's ``posterior: default``
            reads. None: the model has none.
    """

    name: str
    slices: tuple[str, ...]
    wiring: tuple[Wire, ...]
    calendar: tuple[str, str]
    doc: str = ""
    posterior: str | None = None


#: The international model's slices (issue 14), which the war model and the contract
#: tests' model extend.
INTERNATIONAL_SLICES = (
    "abm.models.interwar.germany.slice",
    "abm.models.interwar.soviet.slice",
    "abm.models.interwar.diplomacy.slice",
    "abm.models.interwar.frontiers.slice",
    "abm.models.interwar.spain.slice",
    "abm.models.interwar.china.slice",
)
#: Their wiring.
INTERNATIONAL_WIRING = (
    Wire(reader="germany", port="comintern", source="soviet"),
    Wire(reader="soviet", port="germany", source="germany"),
    Wire(reader="diplomacy", port="germany", source="germany"),
    Wire(reader="diplomacy", port="soviet", source="soviet"),
    Wire(reader="frontiers", port="soviet", source="soviet"),
    Wire(reader="frontiers", port="diplomacy", source="diplomacy"),
    Wire(reader="spain", port="soviet", source="soviet"),
    Wire(reader="spain", port="germany", source="germany"),
    Wire(reader="china", port="soviet", source="soviet"),
    Wire(reader="soviet", port="china", source="china"),
    Wire(reader="frontiers", port="china", source="china"),
)

MODELS: dict[str, ModelEntry] = {
    "interwar": ModelEntry(
        name="interwar",
        slices=("abm.models.interwar.germany.slice", "abm.models.interwar.soviet.slice"),
        wiring=(
            Wire(reader="germany", port="comintern", source="soviet"),
            Wire(reader="soviet", port="germany", source="germany"),
        ),
        calendar=("1924-01", "1941-06"),
        doc="the Soviet Union and Weimar Germany, 1924-1941",
        posterior="models/interwar/data/posterior.npz",
    ),
    "interwar_international": ModelEntry(
        name="interwar_international",
        slices=INTERNATIONAL_SLICES,
        wiring=INTERNATIONAL_WIRING,
        calendar=("1924-01", "1941-06"),
        doc="the interwar model plus the international slices: diplomacy (sixteen states, "
        "Munich, the 1939 choice), the frontier wars (Japan, Poland, Finland) and Spain "
        "(the 1936 election, the rising, the civil war) and China (the CCP after 1927, "
        "the KMT's campaigns, Manchuria, the united front, Japan's war); issue 14",
        # Recalibrated on 2026-12-07 (night) on the model of 9bb4980
        # (`abm calibrate --config configs/calibration/interwar_international.yaml`).
        posterior="models/interwar/data/posterior_international.npz",
    ),
    "interwar_war": ModelEntry(
        name="interwar_war",
        slices=(
            *INTERNATIONAL_SLICES,
            "abm.models.interwar.war.slice",
        ),
        wiring=(
            *INTERNATIONAL_WIRING,
            Wire(reader="war", port="soviet", source="soviet"),
        ),
        calendar=("1924-01", "1945-12"),
        doc="the international model plus the war slice to December 1945: divisions on 81 "
        "front sectors, the CDB90 kernel; declarations and men in the field from history "
        "(issue 15, step 1 of docs/war_design.md)",
    ),
    "interwar_example": ModelEntry(
        name="interwar_example",
        slices=(
            *INTERNATIONAL_SLICES,
            "abm.models.interwar.war.slice",
            "abm.models.example.slice",
        ),
        wiring=(
            *INTERNATIONAL_WIRING,
            Wire(reader="war", port="soviet", source="soviet"),
            Wire(reader="example", port="germany", source="germany"),
        ),
        calendar=("1924-01", "1941-06"),
        doc="every slice (the contract tests' model): the interwar model, diplomacy, the "
        "frontier wars, Spain, China, the war (from September 1939 to the calendar's end) and the "
        "example slice (emigres; docs/adding_a_slice.md)",
    ),
}

#: The model a scenario runs unless it names another.
DEFAULT_MODEL = "interwar"


def posterior_path(name: str) -> Path | None:
    """The file of model ``name``'s calibrated posterior, or None if it has none."""
    rel = entry(name).posterior
    return None if rel is None else Path(__file__).resolve().parents[1] / rel


def entry(name: str) -> ModelEntry:
    """The registered model ``name``.

    Raises:
        InputError: if no model has that name (the message lists them).
    """
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; registered models: {', '.join(MODELS)}")
    return MODELS[name]


@cache
def _load(module: str) -> SliceDef:
    mod = importlib.import_module(module)
    sdef = getattr(mod, "SLICE", None)
    if not isinstance(sdef, SliceDef):
        raise TypeError(f"{module} must define SLICE, an abm.engine.slices.SliceDef")
    return sdef


def slice_defs(name: str = DEFAULT_MODEL) -> tuple[SliceDef, ...]:
    """The slice definitions of a model, in order."""
    return tuple(_load(m) for m in entry(name).slices)


def default_calendar(name: str = DEFAULT_MODEL) -> Calendar:
    """The model's default calendar."""
    start, end = entry(name).calendar
    return Calendar.from_strings(start, end)


def build_model(
    name: str = DEFAULT_MODEL,
    calendar: Calendar | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> ComposedModel:
    """The model ``name`` composed over ``calendar`` (default: the entry's).

    ``options``: slice name -> build options (``{"germany": {"replicas": 4}}`` scales
    the Germany slice's voter blocs for benchmarks).
    """
    e = entry(name)
    cal = calendar or default_calendar(name)
    return compose(e.name, slice_defs(name), e.wiring, cal, options)


@cache
def catalogue(name: str = DEFAULT_MODEL) -> tuple[Any, ...]:
    """The model's parameters in ``theta`` order (without building the slices)."""
    return composed_catalogue(slice_defs(name), entry(name).wiring)[0]


@cache
def param_owner(name: str = DEFAULT_MODEL) -> dict[str, SliceDef]:
    """Parameter name (and base name) -> the slice that defines it."""
    defs = {d.name: d for d in slice_defs(name)}
    _, owner = composed_catalogue(tuple(defs.values()), entry(name).wiring)
    out: dict[str, SliceDef] = {}
    for p in catalogue(name):
        out[p.name] = defs[owner[p.name]]
        out.setdefault(p.base, defs[owner[p.name]])
    return out
