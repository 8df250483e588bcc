"""The slice's parameter catalogue (``data/germany_parameters.yaml``) and calibration.

Each parameter is a scalar with a kind (``lever`` or ``mechanism``), an allowed range, a
unit, a default prior and a justification. Entries with ``per: party`` expand to one
parameter per party (``crisis_loading.NSDAP``); the SPD's is pinned at 0 as the
reference of the party logits. Calibrated parameters take their prior from
``data/germany_calibration.yaml`` when it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from abm.engine.priors import Prior
from abm.models.interwar.germany.constants import PARTIES

CATALOGUE_FILE = "germany_parameters.yaml"
CALIBRATION_FILE = "germany_calibration.yaml"
REFERENCE_PARTY = "SPD"


@dataclass(frozen=True)
class ParamDef:
    """One scalar parameter.

    Attributes:
        name: full name (``crisis_loading.NSDAP``).
        kind: ``lever`` or ``mechanism``.
        low: lowest allowed value.
        high: highest allowed value.
        unit: unit of the value.
        prior: default prior (a lever's default is a fixed prior).
        why: one-line justification or source.
        calibrated: whether ``abm calibrate`` sets its prior.
    """

    name: str
    kind: str
    low: float
    high: float
    unit: str
    prior: Prior
    why: str
    calibrated: bool = False


def party_key(party: str) -> str:
    """Name suffix of a party (``Zentrum/BVP`` -> ``Zentrum_BVP``)."""
    return party.replace("/", "_")


def data_text(name: str) -> str | None:
    """Text of a file in the package's data folder, or None if it does not exist."""
    path = resources.files("abm.models.interwar").joinpath("data", name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _prior(entry: dict[str, Any], where: str) -> Prior:
    if "default" in entry:
        return Prior.fixed(float(entry["default"]))
    spec = dict(entry["prior"])
    kind = spec.pop("kind")
    try:
        return Prior(kind, {k: float(v) for k, v in spec.items()})
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


@cache
def catalogue() -> tuple[ParamDef, ...]:
    """Every parameter of the slice, in a fixed order (the engine's ``theta`` order)."""
    raw = yaml.safe_load(data_text(CATALOGUE_FILE) or "")
    calibration = calibrated_priors()
    out: list[ParamDef] = []
    for base, entry in raw.items():
        names = (
            [(f"{base}.{party_key(p)}", p) for p in PARTIES]
            if entry.get("per") == "party"
            else [(base, None)]
        )
        for name, party in names:
            prior = _prior(entry, f"{CATALOGUE_FILE}: {base}")
            calibrated = bool(entry.get("calibrated", False))
            if party == REFERENCE_PARTY:
                prior, calibrated = Prior.fixed(0.0), False
            elif calibrated and name in calibration:
                prior = calibration[name]
            out.append(
                ParamDef(
                    name=name,
                    kind=str(entry["kind"]),
                    low=float(entry["range"][0]),
                    high=float(entry["range"][1]),
                    unit=str(entry["unit"]),
                    prior=prior,
                    why=str(entry["why"]),
                    calibrated=calibrated,
                )
            )
    return tuple(out)


@cache
def calibrated_priors() -> dict[str, Prior]:
    """Priors written by the calibration, by parameter name (empty if not calibrated)."""
    text = data_text(CALIBRATION_FILE)
    if not text:
        return {}
    raw = yaml.safe_load(text) or {}
    out = {}
    for name, spec in (raw.get("priors") or {}).items():
        spec = dict(spec)
        out[name] = Prior(spec.pop("kind"), {k: float(v) for k, v in spec.items()})
    return out


def by_name() -> dict[str, ParamDef]:
    """The catalogue as a dict."""
    return {p.name: p for p in catalogue()}
