"""The calibration's targets: every row of the calibration file the model answers.

Each slice declares the figures its outcomes answer (:attr:`SliceDef.targets
<abm.engine.slices.SliceDef.targets>`: quantities and dated events). Here they get a
group, a split (``calibration`` or ``held_out``, from the calibration config), an
observation error (the calibration file's ``low``..``high`` read as a 90 % interval, else
the config's relative error) and a model discrepancy (the config's, by group; a dated
event's is the ``events`` group's, in years, whichever group reports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abm.analysis.targets import ValidationTarget
from abm.calibrate.config import CalibrationConfig, find_config, load_config
from abm.csv_rows import strict_rows
from abm.errors import InputError

if TYPE_CHECKING:
    from abm.engine.slices import CoverageTarget

#: z of a central 90 % interval: the file's low..high spans 2 * Z90 observation sds.
Z90 = 1.6448536269514722

#: Target-id prefixes and their groups, first match wins.
GROUPS: tuple[tuple[str, str], ...] = (
    ("DEU_RT_", "reichstag"),
    ("DEU_unemp", "unemployment"),
    ("SUN_grain", "grain"),
    ("RUS_steel", "steel"),
    ("SUN_gdp", "gdp"),
    ("SUN_famine", "famine"),
    ("SUN_terror", "terror"),
    ("RKKA_purge", "terror"),
    ("RKKA_", "army"),
    ("CCP_", "china"),
    ("CHN_", "china"),
    ("EV_mukden", "china"),
    ("EV_long_march", "china"),
    ("EV_xian", "china"),
    ("EV_marco_polo", "china"),
    ("SUN_winter_war", "frontiers"),
    ("EV_khasan", "frontiers"),
    ("EV_winter_war", "frontiers"),
    ("EV_poland_SUN", "frontiers"),
    ("EV_baltic_annexation", "frontiers"),
    ("EV_bessarabia_annexation", "frontiers"),
    ("EV_khalkhin_gol", "frontiers"),
    ("EV_MRP", "diplomacy"),
    ("EV_munich", "diplomacy"),
    ("ESP_", "spain"),
    ("EV_ESP_", "spain"),
    ("FIN_winter_war", "frontiers"),
    ("SUN_khasan", "frontiers"),
    ("JPN_khasan", "frontiers"),
    ("SUN_khalkhin_gol", "frontiers"),
    ("JPN_khalkhin_gol", "frontiers"),
    ("ALIGN_", "alignment"),
    ("EV_", "events"),
)


def group_of(target_id: str) -> str:
    """The group of a target id (``world``: the other powers' steel and GDP)."""
    for prefix, group in GROUPS:
        if target_id.startswith(prefix):
            return group
    return "world"


@dataclass(frozen=True)
class Target:
    """A target with where the model answers it and its error sds.

    Attributes:
        public: the :class:`~abm.analysis.targets.ValidationTarget` (id, figure, outcome
            cell labels, scale, group, split, kind, observation sd, source).
        index: the cell of the outcome (indices into its own dims).
        discrepancy_sd: model discrepancy sd, in the target's unit.
    """

    public: ValidationTarget
    index: tuple[int, ...]
    discrepancy_sd: float

    @property
    def id(self) -> str:
        """The target's id."""
        return self.public.target

    @property
    def sd(self) -> float:
        """Observation and discrepancy sd together (in quadrature)."""
        return float((self.public.obs_sd**2 + self.discrepancy_sd**2) ** 0.5)


def _file_rows() -> dict[str, dict[str, str]]:
    from abm.models.interwar.germany.calibration import targets_path

    path = targets_path()
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["target_id"]: r for r in strict_rows(fh, str(path))}


def _obs_sd(row: dict[str, str] | None, t: CoverageTarget, relative: float) -> float:
    """Observation sd in the target's unit."""
    from abm.engine.slices import month_decimal_year

    if row is not None and row.get("low") and row.get("high"):
        try:
            if t.kind == "event_date":
                lo, hi = month_decimal_year(row["low"]), month_decimal_year(row["high"])
            else:
                lo, hi = float(row["low"]), float(row["high"])
                central = float(row["central"])
                # The file's figures may be in another unit (percent): rescale.
                lo, hi = lo * t.historical / central, hi * t.historical / central
            if hi > lo:
                return (hi - lo) / (2 * Z90)
        except (ValueError, ZeroDivisionError):
            pass
    return 0.0 if t.kind != "quantity" else relative * abs(t.historical)


def _cell(spec: Any, index: tuple[int, ...]) -> tuple[tuple[str, str], ...]:
    dims = getattr(spec, "dims", ())
    coords = getattr(spec, "coords", ())
    return tuple(
        (str(d), str(coords[i][k])) for i, (d, k) in enumerate(zip(dims, index, strict=True))
    )


def model_targets(model_name: str, config: CalibrationConfig | None = None) -> list[Target]:
    """Every target the model's slices declare, with group, split and error sds.

    Args:
        model_name: a registered model.
        config: the calibration config (default: ``configs/calibration/<model>.yaml``
            if this checkout has one; without one nothing is held out and there is no
            discrepancy).

    Raises:
        InputError: a held-out id that no slice declares.
    """
    from abm.models import registry
    from abm.models.calendar import Calendar

    if config is None:
        found = find_config(model_name)
        config = load_config(found) if found is not None else None
    start, end = registry.entry(model_name).calendar
    model = registry.build_model(model_name, Calendar.from_strings(start, end))
    specs = {s.name: s for s in model.outcome_specs}
    rows = _file_rows()
    held = set(config.held_out) if config else set()
    relative = config.observation_relative if config else 0.02
    out: list[Target] = []
    for d in model.defs:
        for t in d.targets(model.calendar) if d.targets else []:
            group = group_of(t.target)
            row = rows.get(t.target)
            public = ValidationTarget(
                target=t.target,
                historical=float(t.historical),
                outcome=t.outcome,
                cell=_cell(specs[t.outcome], t.index) if t.kind != "event_date" else (),
                scale=float(t.scale),
                group=group,
                split="held_out" if t.target in held else "calibration",
                kind=t.kind,
                obs_sd=_obs_sd(row, t, relative),
                source=(row or {}).get("source", "") or t.source,
            )
            # A date's discrepancy is the ``events`` group's, in years, whatever the
            # slice's group: a relative sd of a decimal year would be centuries.
            disc_group = "events" if t.kind == "event_date" else group
            disc = config.discrepancy_sd(disc_group, t.historical) if config else 0.0
            out.append(Target(public, tuple(t.index), disc))
    unknown = held - {t.id for t in out}
    if unknown:
        where = config.path if config else "held_out"
        raise InputError(
            f"{where}: held_out: {sorted(unknown)} are not targets of model {model_name}; "
            "allowed: the ids its slices declare (abm validate lists them)"
        )
    return out


def targets_file(model_name: str) -> Path | None:
    """``configs/calibration/<model>_targets.csv`` beside the model's calibration config."""
    found = find_config(model_name)
    return None if found is None else found.with_name(f"{model_name}_targets.csv")


def default_targets(model_name: str) -> list[ValidationTarget]:
    """The model's targets as :class:`~abm.analysis.targets.ValidationTarget` rows.

    Read from the committed ``<model>_targets.csv`` beside the calibration config when
    there is one (no JAX needed: reports and ``abm validate`` stay light; a test keeps
    the file equal to what the slices declare, :func:`write_targets_file` rewrites it),
    else built from the model's slices.
    """
    from abm.analysis.targets import read_targets

    path = targets_file(model_name)
    if path is not None and path.is_file():
        return read_targets(path)
    return [t.public for t in model_targets(model_name)]


def write_targets_file(model_name: str) -> Path:
    """Write the model's targets (from its slices) to :func:`targets_file`."""
    from abm.analysis.targets import write_targets

    path = targets_file(model_name)
    if path is None:
        raise InputError(f"model {model_name} has no calibration config to put targets beside")
    write_targets([t.public for t in model_targets(model_name)], path, overwrite=True)
    return path


def fitted(targets: list[Target]) -> list[Target]:
    """The targets the calibration may see: never a held-out one, and not a category.

    The likelihood is Gaussian in a quantity or a date; categories are scored by ``abm
    validate`` only.
    """
    return [t for t in targets if t.public.split != "held_out" and t.public.kind != "category"]


__all__ = [
    "GROUPS",
    "Target",
    "default_targets",
    "fitted",
    "group_of",
    "model_targets",
    "targets_file",
    "write_targets_file",
]
