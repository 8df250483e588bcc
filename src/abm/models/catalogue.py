"""Parameter catalogues of slices, read from YAML files in their package's ``data`` folder.

Each parameter is a scalar with a kind (``lever`` or ``mechanism``), an allowed range, a
unit, a default prior and a justification. An entry with ``per: <group>`` expands to one
parameter per member, named ``NAME.MEMBER`` (``crisis_loading.NSDAP``,
``purge_severity.trotsky``); a mapping under ``default`` or ``prior`` gives each member
its own. Calibrated parameters take their prior from the slice's calibration file when
it exists. Each entry records the slice that defines it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from abm.csv_rows import strict_rows
from abm.engine.priors import Prior

#: The package whose data folder a catalogue is read from unless told otherwise.
DEFAULT_PACKAGE = "abm.models.interwar"


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
        base: the entry's name (``crisis_loading``); equals ``name`` unless expanded.
        member: the party or faction of an expanded entry, else None.
        slice: the slice that defines it (set by the slice's catalogue).
        reference: pinned by its slice as the reference category of a logit model (a base
            name does not set it, and only 0 is accepted).
        file_prior: the prior the catalogue file itself states, before any calibration
            file replaced it (the prior of the whole-model calibration, which must not
            see the same data twice); None: the same as ``prior``.
    """

    name: str
    kind: str
    low: float
    high: float
    unit: str
    prior: Prior
    why: str
    calibrated: bool = False
    base: str = ""
    member: str | None = None
    slice: str = ""
    reference: bool = False
    file_prior: Prior | None = None

    @property
    def uncalibrated_prior(self) -> Prior:
        """The catalogue file's own prior (``file_prior``, else ``prior``)."""
        return self.file_prior if self.file_prior is not None else self.prior


def member_key(member: str) -> str:
    """Name suffix of a member (``Zentrum/BVP`` -> ``Zentrum_BVP``)."""
    return member.replace("/", "_")


def data_text(name: str, package: str = DEFAULT_PACKAGE) -> str | None:
    """Text of a file in a package's ``data`` folder, or None if it does not exist."""
    path = resources.files(package).joinpath("data", name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def data_rows(name: str, package: str = DEFAULT_PACKAGE) -> list[dict[str, str]]:
    """Rows of a CSV file in a package's ``data`` folder (header names as keys).

    Raises:
        FileNotFoundError: the file is not in the package (a broken install).
        InputError: a row with more or fewer fields than the header.
    """
    text = data_text(name, package)
    if text is None:
        raise FileNotFoundError(f"package data file {name} is missing from {package}")
    return strict_rows(io.StringIO(text), f"{package} data file {name}")


def _one_prior(spec: Any, where: str) -> Prior:
    spec = dict(spec)
    kind = spec.pop("kind")
    try:
        return Prior(kind, {k: float(v) for k, v in spec.items()})
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _prior(entry: dict[str, Any], member: str | None, where: str) -> Prior:
    if "default" in entry:
        value = entry["default"]
        if isinstance(value, dict):
            value = value[member]
        return Prior.fixed(float(value))
    spec = entry["prior"]
    if "kind" not in spec:
        spec = spec[member]
    return _one_prior(spec, where)


def data_path(name: str, package: str = DEFAULT_PACKAGE) -> Path:
    """The path of a file in a package's ``data`` folder (it need not exist)."""
    return Path(str(resources.files(package).joinpath("data", name)))


def write_calibration(
    content: dict[str, Any],
    file: str,
    write_to: Path | None = None,
    package: str = DEFAULT_PACKAGE,
) -> None:
    """Write a calibration file atomically (default: the package's ``data/<file>``)."""
    path = write_to or Path(str(resources.files(package).joinpath("data", file)))
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    tmp.replace(path)


def read_priors(file: str, package: str = DEFAULT_PACKAGE) -> dict[str, Prior]:
    """Priors written by a calibration, by parameter name (empty if not calibrated)."""
    text = data_text(file, package)
    if not text:
        return {}
    raw = yaml.safe_load(text) or {}
    return {
        name: _one_prior(spec, f"{file}: {name}")
        for name, spec in (raw.get("priors") or {}).items()
    }


def load_catalogue(
    file: str,
    calibration_file: str,
    members: dict[str, tuple[str, ...]],
    pinned: dict[str, float] | None = None,
    package: str = DEFAULT_PACKAGE,
    slice_name: str = "",
) -> tuple[ParamDef, ...]:
    """Read one catalogue file and expand its ``per:`` entries.

    Args:
        file: catalogue YAML in the package's data folder.
        calibration_file: the calibration YAML whose priors replace calibrated entries'.
        members: ``per:`` value -> member names (``{"party": PARTIES}``).
        pinned: expanded names pinned at a value whatever the file says (a reference
            category of a logit model).
        package: the package whose ``data`` folder holds both files.
        slice_name: the slice the parameters belong to.

    Returns:
        The parameters in file order, expanded entries member by member.
    """
    raw = yaml.safe_load(data_text(file, package) or "")
    calibration = read_priors(calibration_file, package)
    pinned = pinned or {}
    out: list[ParamDef] = []
    owner = slice_name
    for base, entry in raw.items():
        per = entry.get("per")
        names = [(f"{base}.{member_key(m)}", m) for m in members[per]] if per else [(base, None)]
        for name, member in names:
            prior = _prior(entry, member, f"{file}: {base}")
            own = prior
            calibrated = bool(entry.get("calibrated", False))
            reference = name in pinned
            if reference:
                prior, calibrated = Prior.fixed(pinned[name]), False
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
                    base=base,
                    member=None if member is None else member_key(member),
                    slice=owner,
                    reference=reference,
                    file_prior=own if own != prior else None,
                )
            )
    return tuple(out)
