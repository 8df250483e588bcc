"""The report's "Validation against history" section (a single scenario's cube).

Shown when the cube's model has default targets
(:func:`abm.analysis.targets.model_targets`, from the attribute ``model``) and the cube
holds the histograms and event-year counts they need: the per-group table of
:func:`abm.analysis.validate` and the PIT histogram. A model without targets (e.g. the
``interwar_example`` model) or a sweep gets no section and no note.
"""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr

from abm.analysis.report.document import Doc
from abm.analysis.report.fmt import fmt
from abm.analysis.targets import ValidationTarget, model_targets
from abm.analysis.validation import pit_histogram, validate

#: The per-group table's columns: (column of ``per_group``, header).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("group", "group"),
    ("split", "split"),
    ("count", "targets"),
    ("coverage50", "in 50 % interval"),
    ("coverage90", "in 90 % interval"),
    ("is_rel", "interval score / |x|"),
    ("crps_rel", "CRPS / |x|"),
    ("rel_width90", "90 % width / |x| (median)"),
)


def _answerable(cube: xr.Dataset, targets: Sequence[ValidationTarget]) -> list[ValidationTarget]:
    """The targets whose outcome the cube holds (``Q_hist`` or ``E_by_year_count``)."""
    suffix = {"quantity": "_hist", "event_date": "_by_year_count"}
    return [t for t in targets if f"{t.outcome}{suffix.get(t.kind, '')}" in cube.data_vars]


def validation(
    doc: Doc, cube: xr.Dataset, targets: Sequence[ValidationTarget] | None = None
) -> None:
    """Append the section for a single scenario's cube; nothing when there are no targets.

    Args:
        doc: the report document.
        cube: a single scenario's cube (no ``point`` dimension), histograms loaded.
        targets: the targets (default: the cube's model's, if it has any).
    """
    if targets is None:
        model = str(cube.attrs.get("model", ""))
        targets = (model_targets(model) if model else None) or []
    usable = _answerable(cube, targets)
    if not usable:
        return
    doc.section("validation", "Validation against history")
    try:
        result = validate(cube, usable)
    except Exception as exc:  # a target the cube cannot answer: say so, keep the report
        doc.note(f"The cube could not be scored against its model's targets: {exc}")
        return
    left = len(targets) - len(usable)
    doc.para(
        f"{len(usable)} historical targets scored"
        + (f" ({left} left out: the cube lacks their outcome)" if left else "")
        + "; the predictive distribution of each is the runs' histogram, uniform inside "
        "each bin (an event's date: its runs by year; never happened: at the calendar's "
        "end). Reproduce with: abm validate CUBE --csv scores.csv --plot pit.png.",
        "meta",
    )
    g = result.per_group
    doc.table(
        [h for _, h in COLUMNS],
        (
            [fmt(row[c]) if c not in ("group", "split") else row[c] for c, _ in COLUMNS]
            for _, row in g.iterrows()
        ),
        [False, False] + [True] * (len(COLUMNS) - 2),
    )
    doc.para(
        "Coverage: share of targets whose historical value lies inside the central 50 % "
        "(90 %) interval of the runs; a calibrated model covers about 0.5 (0.9). Interval "
        "score (alpha = 0.1): width of the 90 % interval plus 20 times the distance by "
        "which history falls outside it; CRPS: the continuous ranked probability score; "
        "both relative to |historical value| and lower is better. Width: sharpness. "
        "Relative figures are for quantities only (an event's date has none).",
        "meta",
    )
    doc.figure(
        pit_histogram(result),
        "PIT histogram of the historical values under the runs' distributions",
        "PIT: the share of runs below history. Flat: calibrated; U-shaped: intervals too "
        "narrow; humped: too wide; piled at one end: a bias.",
    )


__all__ = ["COLUMNS", "validation"]
