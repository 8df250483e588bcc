"""Targets a not-yet-calibrated slice declares: checked by ``abm validate``, not fitted.

Each is a row of ``data/calibration/otl_calibration_targets.csv``: a quantity (an
outcome's cell, with the outcome's unit over the row's) or a dated event (the month of
the row's date); a row the file lacks is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from abm.engine.slices import CoverageTarget


def checked_targets(
    quantities: Sequence[tuple[str, str, tuple[int, ...], float]] = (),
    events: Sequence[tuple[str, str]] = (),
) -> list[CoverageTarget]:
    """The targets, quantities first.

    Args:
        quantities: ``(target id, outcome, cell index, outcome unit / target unit)``.
        events: ``(target id, event outcome)``.
    """
    from abm.models.interwar.germany.calibration import load_targets
    from abm.models.interwar.germany.coverage import event_dates

    data = load_targets()
    out = [
        CoverageTarget(tid, data[tid].central, outcome, idx, scale, fitted=False)
        for tid, outcome, idx, scale in quantities
        if tid in data
    ]
    when = event_dates()
    out += [
        CoverageTarget(tid, when[tid], outcome, (), kind="event_date", fitted=False)
        for tid, outcome in events
        if tid in when
    ]
    return out


__all__ = ["checked_targets"]
