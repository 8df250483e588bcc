"""Parameter catalogues of the interwar model, read from the package's YAML files.

Each parameter is a scalar with a kind (``lever`` or ``mechanism``), an allowed range, a
unit, a default prior and a justification. An entry with ``per: party`` or
``per: faction`` expands to one parameter per member, named ``NAME.MEMBER``
(``crisis_loading.NSDAP``, ``purge_severity.trotsky``); a mapping under ``default`` or
``prior`` gives each member its own. Calibrated parameters take their prior from the
catalogue's calibration file when it exists.

Catalogues: :func:`germany_catalogue` (the Weimar slice alone) and
:func:`interwar_catalogue` (the whole model: the Soviet slice's parameters, and the
Germany slice's except the Comintern line, which the Soviet leadership now sets).
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
#: Germany-slice levers the Soviet slice replaces in the whole model: the KPD's line now
#: follows the Soviet leadership's (``comintern_united_front_line.<faction>``).
SUPERSEDED = ("comintern_united_front_line",)


@cache
def soviet_catalogue() -> tuple[ParamDef, ...]:
    """The Soviet slice's parameters, in file order."""
    from abm.models.interwar.soviet.constants import FACTIONS

    return load_catalogue(
        SOVIET_FILE, SOVIET_CALIBRATION, {"faction": FACTIONS}, slice_name="soviet"
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


@cache
def interwar_catalogue() -> tuple[ParamDef, ...]:
    """The whole model's parameters, in the engine's ``theta`` order.

    The Germany slice's (less :data:`SUPERSEDED`), then the Soviet slice's.
    """
    germany = tuple(p for p in germany_catalogue() if p.base not in SUPERSEDED)
    return germany + soviet_catalogue()


def by_name(params: tuple[ParamDef, ...] | None = None) -> dict[str, ParamDef]:
    """A catalogue as a dict (default: the whole model's)."""
    return {p.name: p for p in (params if params is not None else interwar_catalogue())}


__all__ = [
    "GERMANY_CALIBRATION",
    "GERMANY_FILE",
    "SOVIET_CALIBRATION",
    "SOVIET_FILE",
    "SUPERSEDED",
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
