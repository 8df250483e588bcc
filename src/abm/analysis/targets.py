"""Historical targets a cube is scored against (``abm validate``), and their CSV file.

A target names one number of history (a vote share, a harvest, the month an event
happened) and where the cube holds the model's answer to it: an outcome, the cell of
that outcome's own dimensions, and the factor between the cube's unit and the target's.

The CSV file has the header ``target,historical,outcome,cell,scale,group,split,kind,
obs_sd,source``; ``cell`` is ``dim=label;dim=label`` (empty for a scalar outcome or an
event). This module imports neither JAX nor xarray.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from abm.errors import InputError

#: The columns of a targets CSV file, in order.
COLUMNS: tuple[str, ...] = (
    "target",
    "historical",
    "outcome",
    "cell",
    "scale",
    "group",
    "split",
    "kind",
    "obs_sd",
    "source",
)
#: Columns a row must fill (the others have defaults).
REQUIRED: tuple[str, ...] = ("target", "historical", "outcome")
#: Allowed values of ``split``.
SPLITS: tuple[str, ...] = ("calibration", "held_out")
#: Allowed values of ``kind``.
KINDS: tuple[str, ...] = ("quantity", "event_date", "category")


@dataclass(frozen=True)
class ValidationTarget:
    """One historical figure and where a cube answers it.

    Attributes:
        target: the target's id, e.g. ``DEU_RT_1932J_NSDAP``.
        historical: the historical figure, in the target's unit. For ``kind ==
            "event_date"`` a decimal year, ``year + (month - 0.5) / 12`` of the month the
            event first happened (mid-month); for ``kind == "category"`` the code of the
            historical category (the value whose histogram bin holds it).
        outcome: the outcome's name in the cube (a quantity ``Q`` with ``Q_hist``, or an
            event ``E`` with ``E_by_year_count``).
        cell: the outcome's own dimensions -> coordinate label (as a string), e.g.
            ``(("election", "1932-07"), ("party", "NSDAP"))``; empty for a scalar
            outcome or an event.
        scale: the cube's value divided by the target's (cube value / ``scale`` is in
            the target's unit), e.g. ``100`` for a cube in percent and a target as a
            fraction, ``1e-3`` for a cube in thousands and a target in units; > 0.
        group: the target's group for the summaries (reichstag, unemployment, grain,
            steel, gdp, famine, terror, army, china, events, world, other).
        split: ``calibration`` (seen by the calibration) or ``held_out`` (never).
        kind: ``quantity``, ``event_date`` or ``category`` (a quantity outcome whose
            values are category codes, one histogram bin each, scored as a forecast of
            categories).
        obs_sd: observation error sd in the target's unit (used by the calibration; the
            scores here ignore it).
        source: where the figure comes from.
    """

    target: str
    historical: float
    outcome: str
    cell: tuple[tuple[str, str], ...] = ()
    scale: float = 1.0
    group: str = "other"
    split: str = "calibration"
    kind: str = "quantity"
    obs_sd: float = 0.0
    source: str = ""


def format_cell(cell: Sequence[tuple[str, str]]) -> str:
    """A cell as the CSV writes it: ``dim=label;dim=label`` (empty for none)."""
    return ";".join(f"{d}={lab}" for d, lab in cell)


def _bad(path: str, row: int, column: str, value: str, allowed: str) -> InputError:
    return InputError(
        f"targets file {path}, row {row}, field {column!r}: {value!r} is not allowed; "
        f"allowed: {allowed}"
    )


def _float(path: str, row: int, column: str, text: str, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    ok = math.isfinite(value) and (value > 0 if positive else True)
    if not ok:
        allowed = "a finite number > 0" if positive else "a finite number"
        raise _bad(path, row, column, text, allowed)
    return value


def _cell(path: str, row: int, text: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        dim, sep, label = part.partition("=")
        if not sep or not dim.strip() or not label.strip():
            raise _bad(path, row, "cell", text, "'dim=label;dim=label' or empty")
        if dim.strip() in (d for d, _ in out):
            raise _bad(path, row, "cell", text, "each dimension once")
        out.append((dim.strip(), label.strip()))
    return tuple(out)


def _row(path: str, row: int, rec: dict[str, str]) -> ValidationTarget:
    def get(col: str, default: str = "") -> str:
        return (rec.get(col) or "").strip() or default

    for col in REQUIRED:
        if not get(col):
            raise _bad(path, row, col, "", "a non-empty value (the column is required)")
    split, kind = get("split", "calibration"), get("kind", "quantity")
    if split not in SPLITS:
        raise _bad(path, row, "split", split, " or ".join(SPLITS))
    if kind not in KINDS:
        raise _bad(path, row, "kind", kind, " or ".join(KINDS))
    obs_sd = _float(path, row, "obs_sd", get("obs_sd", "0"))
    if obs_sd < 0:
        raise _bad(path, row, "obs_sd", get("obs_sd"), "a finite number >= 0")
    cell = _cell(path, row, get("cell"))
    if kind == "event_date" and cell:
        raise _bad(path, row, "cell", get("cell"), "empty for an event_date target")
    return ValidationTarget(
        target=get("target"),
        historical=_float(path, row, "historical", get("historical")),
        outcome=get("outcome"),
        cell=cell,
        scale=_float(path, row, "scale", get("scale", "1"), positive=True),
        group=get("group", "other"),
        split=split,
        kind=kind,
        obs_sd=obs_sd,
        source=get("source"),
    )


def read_targets(path: str | os.PathLike[str]) -> list[ValidationTarget]:
    """Read a targets CSV file (header :data:`COLUMNS`; see the module doc).

    Args:
        path: the CSV file.

    Returns:
        The targets, in file order.

    Raises:
        InputError: if the file cannot be read, lacks a required column, or a row has a
            bad value or a repeated target id (the message names the file, the row, the
            field, the value and what is allowed). Rows are numbered from 2 (the header
            is row 1).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"targets file {p}: cannot read it: {reason}") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"targets file {p}: the header lacks {', '.join(missing)}; allowed columns: "
            f"{','.join(COLUMNS)} ({', '.join(REQUIRED)} required)"
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InputError(
            f"targets file {p}: unknown column {unknown[0]!r}; allowed columns: {','.join(COLUMNS)}"
        )
    out: list[ValidationTarget] = []
    seen: set[str] = set()
    for i, rec in enumerate(reader, start=2):
        extra = rec.get(None)
        if extra is not None:
            raise InputError(
                f"targets file {p}, row {i}: {len(header) + len(extra)} fields where the "
                f"header has {len(header)}; quote a value that holds a comma"
            )
        rec = {str(k).strip(): v for k, v in rec.items() if k is not None}
        if not any((v or "").strip() for v in rec.values()):
            continue
        t = _row(str(p), i, rec)
        if t.target in seen:
            raise _bad(str(p), i, "target", t.target, "an id not used by an earlier row")
        seen.add(t.target)
        out.append(t)
    if not out:
        raise InputError(f"targets file {p}: no target rows; allowed: at least one row")
    return out


def targets_csv(targets: Iterable[ValidationTarget]) -> str:
    """The CSV text of targets (header :data:`COLUMNS`), as :func:`write_targets` writes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for t in targets:
        w.writerow(
            [
                t.target,
                repr(float(t.historical)),
                t.outcome,
                format_cell(t.cell),
                repr(float(t.scale)),
                t.group,
                t.split,
                t.kind,
                repr(float(t.obs_sd)),
                t.source,
            ]
        )
    return buf.getvalue()


def write_targets(
    targets: Iterable[ValidationTarget],
    path: str | os.PathLike[str],
    overwrite: bool = False,
) -> Path:
    """Write targets as a CSV file (atomically; an existing file only with ``overwrite``).

    Args:
        targets: the targets.
        path: the CSV file.
        overwrite: replace an existing regular file.

    Returns:
        The path written.

    Raises:
        InputError: if ``path`` exists (without ``overwrite``), is not a regular file, or
            cannot be written.
    """
    from abm.outputs import write_text

    return write_text(path, targets_csv(targets), overwrite, "targets file")


def model_targets(model_name: str) -> list[ValidationTarget] | None:
    """The default targets of a model (``abm.calibrate.targets.default_targets``), if any.

    Imported only when called. Returns None when that function is not available (the
    calibration package is absent) or the model has no targets (an empty list, or an
    :class:`~abm.errors.InputError`, ``LookupError`` or ``ValueError`` for a model it does
    not know).
    """
    try:
        from abm.calibrate.targets import default_targets  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        found = list(default_targets(model_name))
    except (InputError, LookupError, ValueError):
        return None
    return found or None


__all__ = [
    "COLUMNS",
    "KINDS",
    "SPLITS",
    "ValidationTarget",
    "format_cell",
    "model_targets",
    "read_targets",
    "targets_csv",
    "write_targets",
]
