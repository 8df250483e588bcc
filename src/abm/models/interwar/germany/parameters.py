"""The Germany slice's parameter catalogue (``data/germany_parameters.yaml``).

See :mod:`abm.models.interwar.parameters` for the format. The SPD's logit terms are
pinned at 0 as the reference of the party logits. Calibrated parameters take their
prior from ``data/germany_calibration.yaml`` when it exists.
"""

from __future__ import annotations

from abm.engine.priors import Prior
from abm.models.interwar.parameters import (
    GERMANY_CALIBRATION,
    GERMANY_FILE,
    ParamDef,
    data_text,
    germany_catalogue,
    member_key,
    read_priors,
)

CATALOGUE_FILE = GERMANY_FILE
CALIBRATION_FILE = GERMANY_CALIBRATION
REFERENCE_PARTY = "SPD"


def party_key(party: str) -> str:
    """Name suffix of a party (``Zentrum/BVP`` -> ``Zentrum_BVP``)."""
    return member_key(party)


def catalogue() -> tuple[ParamDef, ...]:
    """Every parameter of the slice, in a fixed order (the slice's own ``theta`` order)."""
    return germany_catalogue()


def calibrated_priors() -> dict[str, Prior]:
    """Priors written by the calibration, by parameter name (empty if not calibrated)."""
    return read_priors(CALIBRATION_FILE)


def by_name() -> dict[str, ParamDef]:
    """The catalogue as a dict."""
    return {p.name: p for p in catalogue()}


__all__ = [
    "CALIBRATION_FILE",
    "CATALOGUE_FILE",
    "REFERENCE_PARTY",
    "ParamDef",
    "by_name",
    "calibrated_priors",
    "catalogue",
    "data_text",
    "party_key",
]
