"""Shared pieces of the Soviet month's NumPy reference: constants, tables, helpers.

See :mod:`soviet_numpy` (the month) and :mod:`soviet_submodels` (peasant blocs, terror,
industry, China). Constants that the ODD names are restated here, not imported from the
JAX modules; ``tests/test_reference_soviet.py`` checks that they agree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.regions import regions

F = np.float32
#: Restated from the ODD (7.13, 7.14, 7.15, 7.16); ``test_reference_soviet`` checks them.
WINNER_TAKE = F(0.7)
RIVAL_CEILING = F(0.1)
DRIVE_DELAY_MONTHS = F(12.0)
JAPAN_THREAT = F(0.3)
JAPAN_FROM = "1931-09"
DEPRESSION_YEARS = (1930, 1933)
EXPORT_REFERENCE = F(5.0)
EXPORT_TRADE_REFERENCE = F(0.4)
CAMPAIGN_MONTHS = 6
HUNGER_MONTHS = F(4.0)
URBAN_1924 = F(23.2)
TRADE_REFERENCE = F(0.4)
HERD_WEIGHT = F(1.0 / 3.0)
TRACTOR_STEEL = F(15.0)
REINSTATEMENT_MONTHS = F(18.0)
#: The month's uniforms (``SovietDraws.events``): showdown, its winner, consolidation,
#: the KMT's massacre.
EV_CONTEST, EV_CONTEST_WIN, EV_CONSOLIDATE, EV_KMT = range(4)


@dataclass(frozen=True)
class Tables:
    """What the month needs of the calendar and the regions (NumPy)."""

    start_year: int
    start_month: int
    years: np.ndarray  # int [T], calendar year of each month index
    months: np.ndarray  # int [T], calendar month 1..12
    first_year: int  # year of the [Y] records' index 0
    index_of: Any  # "YYYY-MM" -> month index
    area: np.ndarray  # float32 [R], grain sown area, Mha
    nomad: np.ndarray  # float32 [R]
    targeted: np.ndarray  # float32 [R], 0/1
    famine_mask: np.ndarray  # float32 [G, R]


def tables_of(model: Any) -> Tables:
    """The calendar of a ``SovietModel`` and the regions table."""
    cal, reg = model.calendar, regions()
    return Tables(
        start_year=cal.start_year,
        start_month=cal.start_month,
        years=np.asarray(cal.years),
        months=np.asarray(cal.months),
        first_year=int(cal.year_labels[0]),
        index_of=cal.index_of,
        area=(reg.area_share * F(K.GRAIN_AREA_1928)).astype(F),
        nomad=reg.nomad_share.astype(F),
        targeted=reg.targeted.astype(F),
        famine_mask=reg.famine_mask.astype(F),
    )


# ---------------------------------------------------------------- conversion helpers
def to_numpy(tree: Any) -> Any:
    """A (nested) dataclass of arrays as nested dicts of NumPy arrays (dtypes kept)."""
    if dataclasses.is_dataclass(tree):
        return {f.name: to_numpy(getattr(tree, f.name)) for f in dataclasses.fields(tree)}
    return np.array(tree)


def flatten(state: dict[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    """Nested dict -> ``{"leadership.power": array, ...}``."""
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = np.asarray(value)
    return out


def total(x: Any) -> np.float32:
    """Sum in float64, rounded to float32 once."""
    return F(np.sum(np.asarray(x, np.float64)))


def clip(x: Any, lo: float, hi: float) -> np.float32:
    """A float32 scalar clipped to ``[lo, hi]``."""
    return F(min(max(F(x), F(lo)), F(hi)))


def month_of(th: dict[str, np.float32], name: str, tb: Tables) -> np.float32:
    """Fractional month index of a decimal-year parameter (1928.75 -> 57 from 1924-01)."""
    return (th[name] - F(tb.start_year)) * F(12.0) - F(tb.start_month - 1)


def record(trace: list | None, name: str, lhs: Any, rhs: Any, outcome: bool) -> bool:
    """Append ``(name, lhs, rhs, outcome)`` to ``trace`` (if a list); return ``outcome``."""
    if trace is not None:
        trace.append((name, float(lhs), float(rhs), bool(outcome)))
    return bool(outcome)
