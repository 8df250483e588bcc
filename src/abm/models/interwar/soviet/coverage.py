"""The Soviet slice's calibration entry and coverage targets (``abm calibrate``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from abm.engine.slices import CoverageTarget
from abm.models.interwar.germany.calibration import load_targets
from abm.models.interwar.germany.coverage import event_dates
from abm.models.interwar.soviet import calibration
from abm.models.interwar.soviet import constants as SK
from abm.models.interwar.soviet.calibration import TARGET_SCALE, TARGETS

#: Soviet targets checked but not fitted: id -> (outcome, index, target unit / outcome unit).
VALIDATION: dict[str, tuple[str, tuple[int, ...], float]] = {
    # Fitted by the whole-model calibration, no longer by the skeleton (issue 13: the
    # famine, the terror and the officers follow the stochastic succession and pool).
    "SUN_famine_deaths_1930_33": ("famine_deaths", (0,), 1.0),
    "SUN_terror_executed_1937_38": ("terror_executions", (), 1.0),
    "RKKA_purge_dismissed_1937_38": ("officers_purged", (), 1.0),
    "SUN_terror_arrested_1937_38": ("terror_arrests", (), 1.0),
    "RKKA_purge_arrested_1937_38": ("officers_arrested", (), 1.0),
    "SUN_grain_export_1930": ("grain_exports", (SK.HARVEST_YEARS.index(1930),), 1.0),
    "RKKA_strength_1941-06-22": ("red_army_strength", (1,), 1e-3),
    **{
        f"{code}_steel_1938": ("steel_output", (i, 1938 - 1924), 1.0)
        for i, code in enumerate(("RUS", "GMY", "UKG", "FRN", "ITA", "JPN", "USA"))
        if code != "RUS"
    },
    **{
        f"{code}_gdp_1938": ("gdp", (i, 1938 - 1924), 1.0)
        for i, code in enumerate(("SUN", "DEU", "GBR", "FRA", "ITA", "JPN", "USA"))
        if code != "SUN"
    },
}


def calibrate(base: Callable[[], Any]) -> list[str]:
    """Fit the slice's calibrated priors on the base scenario's; lines for the report."""
    sc = base()
    content = calibration.calibrate(sc.priors, sc.calendar)
    lines = [f"Soviet slice: wrote calibrated priors for {len(content['priors'])} parameters"]
    for row in content["fit"]["targets"]:
        lines.append(
            f"  {row['target']:32s} {row['historical']:>12g} skeleton {row['skeleton']:>12g}"
        )
    return lines


def targets(calendar: Any) -> list[CoverageTarget]:
    """The fitted Soviet targets, then the validation ones (checked, not fitted)."""
    del calendar
    data = load_targets()
    out = [
        CoverageTarget(tid, data[tid].central, name, idx, TARGET_SCALE.get(tid, 1.0))
        for tid, (name, idx, _) in TARGETS.items()
    ]
    out += [
        CoverageTarget(tid, data[tid].central, name, idx, unit, fitted=False)
        for tid, (name, idx, unit) in VALIDATION.items()
        if tid in data
    ]
    when = event_dates()
    for tid, name in (
        ("EV_stalin_personal_rule", "personal_dictatorship"),
        ("EV_shanghai_massacre", "kmt_massacre"),
    ):
        out.append(CoverageTarget(tid, when[tid], name, (), kind="event_date"))
    return out
