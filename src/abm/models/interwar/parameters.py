"""Parameter catalogues of the interwar model, read from the package's YAML files.

Each parameter is a scalar with a kind (``lever`` or ``mechanism``), an allowed range, a
unit, a default prior and a justification. An entry with ``per: party`` or
``per: faction`` expands to one parameter per member, named ``NAME.MEMBER``
(``crisis_loading.NSDAP``, ``purge_severity.trotsky``); a mapping under ``default`` or
``prior`` gives each member its own. Calibrated parameters take their prior from the
catalogue's calibration file when it exists.

Catalogues: :func:`germany_catalogue` (the Weimar slice alone) and
:func:`interwar_catalogue` (the whole model, composed by :mod:`abm.models.registry`).
"""

from __future__ import annotations

from functools import cache

import yaml

from abm.models.catalogue import (
    ParamDef,
    data_text,
    load_catalogue,
    member_key,
    read_priors,
    write_calibration,
)

GERMANY_FILE = "germany_parameters.yaml"
GERMANY_CALIBRATION = "germany_calibration.yaml"
SOVIET_FILE = "soviet_parameters.yaml"
SOVIET_CALIBRATION = "soviet_calibration.yaml"


@cache
def soviet_catalogue() -> tuple[ParamDef, ...]:
    """The Soviet slice's parameters, in file order."""
    from abm.models.interwar.soviet.constants import FACTIONS, POLICY_LEVERS

    return load_catalogue(
        SOVIET_FILE,
        SOVIET_CALIBRATION,
        {"faction": FACTIONS, "lever": POLICY_LEVERS},
        slice_name="soviet",
    )


@cache
def germany_catalogue() -> tuple[ParamDef, ...]:
    """The Germany slice's parameters, in file order (the SPD's logit terms pinned at 0)."""
    from abm.models.interwar.germany.constants import PARTIES

    raw = yaml.safe_load(data_text(GERMANY_FILE) or "")
    reference = {f"{base}.SPD": 0.0 for base, entry in raw.items() if entry.get("per") == "party"}
    return load_catalogue(
        GERMANY_FILE, GERMANY_CALIBRATION, {"party": PARTIES}, reference, slice_name="germany"
    )


def interwar_catalogue() -> tuple[ParamDef, ...]:
    """The whole model's parameters, in the engine's ``theta`` order.

    Composed by the model registry: the Germany slice's (less the Comintern line lever,
    which the Soviet leadership's line supersedes through the wiring), then the Soviet
    slice's.
    """
    from abm.models.registry import catalogue

    return catalogue("interwar")


def by_name(params: tuple[ParamDef, ...] | None = None) -> dict[str, ParamDef]:
    """A catalogue as a dict (default: the whole model's)."""
    return {p.name: p for p in (params if params is not None else interwar_catalogue())}


__all__ = [
    "GERMANY_CALIBRATION",
    "GERMANY_FILE",
    "SOVIET_CALIBRATION",
    "SOVIET_FILE",
    "ParamDef",
    "by_name",
    "data_text",
    "germany_catalogue",
    "interwar_catalogue",
    "load_catalogue",
    "member_key",
    "read_priors",
    "soviet_catalogue",
    "write_calibration",
]
