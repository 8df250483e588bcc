"""The simulation calendar: month index <-> (year, month)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

_YM = re.compile(r"^(\d{4})-(\d{2})$")


def parse_year_month(text: str) -> tuple[int, int]:
    """``"1924-01"`` -> ``(1924, 1)``; raises ValueError on anything else."""
    m = _YM.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a YYYY-MM month")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class Calendar:
    """Monthly calendar of a simulation.

    Attributes:
        start_year: year of month index 0.
        start_month: calendar month (1-12) of month index 0.
        n_months: number of simulated months (steps).
    """

    start_year: int = 1924
    start_month: int = 1
    n_months: int = 156

    @classmethod
    def from_strings(cls, start: str, end: str) -> Calendar:
        """Calendar from inclusive ``YYYY-MM`` bounds."""
        y0, m0 = parse_year_month(start)
        y1, m1 = parse_year_month(end)
        n = (y1 - y0) * 12 + (m1 - m0) + 1
        if n < 1:
            raise ValueError(f"end {end} is before start {start}")
        return cls(y0, m0, n)

    def index(self, year: int, month: int) -> int:
        """Month index of ``year-month`` (may fall outside ``[0, n_months)``)."""
        return (year - self.start_year) * 12 + (month - self.start_month)

    def index_of(self, text: str) -> int:
        """Month index of a ``YYYY-MM`` string."""
        return self.index(*parse_year_month(text))

    def index_of_decimal_year(self, year: Any) -> Any:
        """Fractional month index of a decimal year (1929.75 = start of October 1929).

        ``year`` may be a float or an array (NumPy or JAX); the result is of its kind.
        """
        return (year - self.start_year) * 12.0 - (self.start_month - 1)

    @property
    def years(self) -> np.ndarray:
        """Int ``[n_months]``: the calendar year of each month index."""
        m = np.arange(self.n_months) + self.start_month - 1
        return self.start_year + m // 12

    @property
    def months(self) -> np.ndarray:
        """Int ``[n_months]``: the calendar month (1-12) of each month index."""
        return (np.arange(self.n_months) + self.start_month - 1) % 12 + 1

    @property
    def year_labels(self) -> tuple[int, ...]:
        """Every calendar year the simulation touches."""
        return tuple(range(int(self.years[0]), int(self.years[-1]) + 1))

    def label(self, index: int) -> str:
        """``YYYY-MM`` of a month index."""
        m = index + self.start_month - 1
        return f"{self.start_year + m // 12:04d}-{m % 12 + 1:02d}"

    @property
    def end_label(self) -> str:
        """``YYYY-MM`` of the last simulated month."""
        return self.label(self.n_months - 1)
