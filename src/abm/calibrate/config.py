"""The calibration config (``configs/calibration/<model>.yaml``), checked.

Keys: ``calibration`` (the model's name), ``description``, ``scenario`` (the base
scenario, relative to the file), ``held_out`` (target ids never seen by the
calibration), ``discrepancy`` (group -> ``{relative, absolute}`` model discrepancy sd),
``observation`` (``{relative}``: the observation error where the calibration file gives
no range) and ``smc`` (the algorithm's settings, :class:`SmcSettings`). A bad value
fails with the file, the field, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from abm.errors import InputError

#: The likelihoods a config may name (``likelihood:``).
LIKELIHOODS = ("synthetic", "pooled")
#: Where the calibration configs live, relative to the repository root.
CONFIG_DIR = Path("configs") / "calibration"
TOP_KEYS = (
    "calibration",
    "description",
    "scenario",
    "held_out",
    "discrepancy",
    "observation",
    "log_scale",
    "jumps",
    "likelihood",
    "smc",
)


@dataclass(frozen=True)
class SmcSettings:
    """Settings of the tempered SMC (:mod:`abm.calibrate.smc`).

    Attributes:
        particles: parameter vectors carried (the posterior sample's size).
        replicates: runs per parameter vector for the synthetic likelihood.
        moves: random-walk Metropolis moves per tempering step.
        ess_fraction: effective sample size kept by each tempering increment (0..1).
        max_steps: tempering steps at most.
        final_moves: moves at the full likelihood after the last step.
        seed: seed of the algorithm's and the simulations' random numbers.
        chunk_size: runs per compiled chunk.
        refresh: replicates whose random numbers a move refreshes (1 to ``replicates``;
            the others are the particle's own: block pseudo-marginal; ``replicates``
            refreshes them all, plain pseudo-marginal).
        global_moves: independence moves per tempering step from a normal fitted to the
            particles (:class:`abm.calibrate.smc.GaussianJump`), before the random walks.
        inflate: that normal's sd over the particles' (>= 1).
    """

    particles: int = 512
    replicates: int = 8
    moves: int = 2
    ess_fraction: float = 0.5
    max_steps: int = 40
    final_moves: int = 2
    seed: int = 0
    chunk_size: int = 1024
    refresh: int = 1
    global_moves: int = 0
    inflate: float = 1.2


@dataclass(frozen=True)
class CalibrationConfig:
    """A checked calibration config.

    Attributes:
        name: the model's name.
        path: the file read.
        scenario: the base scenario file.
        held_out: target ids never used by the calibration.
        discrepancy: group -> (relative, absolute) model discrepancy sd.
        observation_relative: observation error sd relative to the figure, where the
            calibration file gives no range.
        smc: the algorithm's settings.
        description: what it is.
        log_scale: target groups whose likelihood is taken on the log of the figure (positive,
            right-skewed quantities: a famine of 6 M against 18 M is a factor, not a
            difference); their sds become relative.
        jumps: ``none``, or ``scenario``: each step also tries an independence move from
            the base scenario's own priors (:class:`abm.calibrate.run.ScenarioJump`).
        likelihood: ``synthetic`` (each parameter vector's own run-to-run variance in the
            Gaussian synthetic likelihood) or ``pooled`` (one chance variance per target,
            the median over a pilot of prior draws, the same for every vector: a vector
            gains nothing by being more erratic; :mod:`abm.calibrate.likelihood`).
    """

    name: str
    path: str
    scenario: Path
    held_out: tuple[str, ...]
    discrepancy: Mapping[str, tuple[float, float]]
    observation_relative: float
    smc: SmcSettings
    description: str = ""
    log_scale: tuple[str, ...] = ()
    jumps: str = "none"
    likelihood: str = "synthetic"

    def discrepancy_sd(self, group: str, historical: float) -> float:
        """The discrepancy sd of a target of ``group`` with figure ``historical``."""
        rel, absolute = self.discrepancy.get(group, (0.0, 0.0))
        return rel * abs(historical) + absolute


def _fail(path: str, field: str, value: Any, problem: str, allowed: str) -> InputError:
    return InputError(f"{path}: {field}: {problem}, got {value!r}; allowed: {allowed}")


def _number(path: str, field: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _fail(path, field, value, "not a number in range", f"a number in [{low}, {high}]")
    return float(value)


def _smc(path: str, raw: Any) -> SmcSettings:
    if raw is None:
        return SmcSettings()
    if not isinstance(raw, Mapping):
        raise _fail(path, "smc", raw, "not a mapping", "a mapping of settings")
    allowed = {f.name: f for f in fields(SmcSettings)}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise _fail(path, f"smc.{key}", key, "unknown setting", ", ".join(allowed))
        if key == "ess_fraction":
            out[key] = _number(path, f"smc.{key}", value, 0.05, 0.95)
        elif key == "inflate":
            out[key] = _number(path, f"smc.{key}", value, 1.0, 10.0)
        else:
            low = 0 if key in ("final_moves", "seed", "global_moves") else 1
            if key == "replicates":
                low = 2
            high = 2**32 - 1 if key == "seed" else 10**6
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise _fail(
                    path, f"smc.{key}", value, "not an integer in range", f"[{low}, {high}]"
                )
            out[key] = value
    settings = SmcSettings(**out)
    if settings.refresh > settings.replicates:
        raise _fail(
            path,
            "smc.refresh",
            settings.refresh,
            "more than the replicates",
            f"[1, {settings.replicates}]",
        )
    return settings


def load_config(path: str | Path) -> CalibrationConfig:
    """Read and check a calibration config."""
    p = Path(path)
    shown = str(path)
    if not p.is_file():
        raise InputError(f"{shown}: calibration config not found; allowed: a YAML file")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{shown}: not valid YAML ({exc})") from None
    if not isinstance(raw, Mapping):
        raise _fail(shown, "(top level)", raw, "not a mapping", "a mapping")
    for key in raw:
        if key not in TOP_KEYS:
            raise _fail(shown, str(key), key, "unknown key", ", ".join(TOP_KEYS))
    for key in ("calibration", "scenario"):
        if not isinstance(raw.get(key), str):
            raise _fail(shown, key, raw.get(key), "missing or not a string", "a string")
    scenario = (p.parent / raw["scenario"]).resolve()
    if not scenario.is_file():
        raise _fail(shown, "scenario", raw["scenario"], "file not found", "a scenario YAML")
    held = raw.get("held_out") or []
    if not isinstance(held, list) or not all(isinstance(h, str) for h in held):
        raise _fail(shown, "held_out", held, "not a list of target ids", "a list of strings")
    if len(set(held)) != len(held):
        raise _fail(shown, "held_out", held, "an id repeats", "each id once")
    disc: dict[str, tuple[float, float]] = {}
    for group, spec in (raw.get("discrepancy") or {}).items():
        f = f"discrepancy.{group}"
        if not isinstance(spec, Mapping) or set(spec) - {"relative", "absolute"}:
            raise _fail(shown, f, spec, "not {relative, absolute}", "{relative: x, absolute: y}")
        disc[str(group)] = (
            _number(shown, f + ".relative", spec.get("relative", 0.0), 0.0, 10.0),
            _number(shown, f + ".absolute", spec.get("absolute", 0.0), 0.0, 1e12),
        )
    obs = raw.get("observation") or {}
    if not isinstance(obs, Mapping) or set(obs) - {"relative"}:
        raise _fail(shown, "observation", obs, "not {relative}", "{relative: x}")
    logs = raw.get("log_scale") or []
    if not isinstance(logs, list) or not all(isinstance(g, str) for g in logs):
        raise _fail(shown, "log_scale", logs, "not a list of group names", "a list of strings")
    jumps = raw.get("jumps", "none")
    if jumps not in ("none", "scenario"):
        raise _fail(shown, "jumps", jumps, "unknown jump proposal", "none, scenario")
    likelihood = raw.get("likelihood", "synthetic")
    if likelihood not in LIKELIHOODS:
        raise _fail(shown, "likelihood", likelihood, "unknown likelihood", ", ".join(LIKELIHOODS))
    return CalibrationConfig(
        jumps=jumps,
        likelihood=likelihood,
        log_scale=tuple(logs),
        name=raw["calibration"],
        path=shown,
        scenario=scenario,
        held_out=tuple(held),
        discrepancy=disc,
        observation_relative=_number(
            shown, "observation.relative", obs.get("relative", 0.02), 0, 1
        ),
        smc=_smc(shown, raw.get("smc")),
        description=str(raw.get("description", "")),
    )


def find_config(model: str) -> Path | None:
    """``configs/calibration/<model>.yaml`` of this checkout (searched upwards), or None."""
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *here.parents]:
        candidate = parent / CONFIG_DIR / f"{model}.yaml"
        if candidate.is_file():
            return candidate
    return None


__all__ = [
    "CONFIG_DIR",
    "LIKELIHOODS",
    "CalibrationConfig",
    "SmcSettings",
    "find_config",
    "load_config",
]
