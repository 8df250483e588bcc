"""The Germany slice's calibration entry and coverage targets (``abm calibrate``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from abm.engine.slices import CoverageTarget, month_decimal_year
from abm.models.interwar.germany import calibration
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany.calibration import (
    RT_CODES,
    RT_PARTY,
    UNEMPLOYMENT_YEARS,
    load_targets,
    unemployment_targets,
    vote_targets,
)
from abm.models.interwar.germany.voters import election_grid


def calibrate(base: Callable[[], Any]) -> list[str]:
    """Fit the slice's calibrated priors (MAP); lines for the report."""
    del base
    content = calibration.calibrate()
    return [f"Germany slice: wrote calibrated priors for {len(content['priors'])} parameters"]


def targets(calendar: Any) -> list[CoverageTarget]:
    """Every Reichstag share of the calibration slots and the yearly unemployment."""
    data = load_targets()
    votes = vote_targets(data)
    # The outcome labels an election by its own month (voters.election_grid).
    labels = election_grid(calendar)[1]
    out = [
        CoverageTarget(
            f"DEU_RT_{RT_CODES[s]}_{p}",
            float(votes[k, j]),
            "reichstag_share",
            (labels.index(s), j),
        )
        for k, s in enumerate(K.CALIBRATION_SLOTS)
        for j, p in enumerate(RT_PARTY)
    ]
    years = list(calendar.year_labels)
    for y, h in zip(UNEMPLOYMENT_YEARS, unemployment_targets(data), strict=True):
        out.append(
            CoverageTarget(f"DEU_unemp_{y}", float(h), "german_unemployment", (years.index(y),))
        )
    when = event_dates()
    out.append(
        CoverageTarget(
            "EV_hitler_chancellor",
            when["EV_hitler_chancellor"],
            "nazi_power",
            (),
            kind="event_date",
        )
    )
    return out


def event_dates() -> dict[str, float]:
    """The dated event rows of the calibration file (``unit`` = date), as decimal years."""
    import csv

    from abm.models.interwar.germany.calibration import targets_path

    with open(targets_path(), newline="", encoding="utf-8") as fh:
        return {
            r["target_id"]: month_decimal_year(r["central"])
            for r in csv.DictReader(fh)
            if r["unit"] == "date" and r["central"][:4].isdigit()
        }
