"""The great powers' recorded steel and GDP paths (COW NMC v6.0, Maddison 2020).

Other powers than the USSR follow their recorded paths with a stochastic deviation
(until the diplomacy and war slices make them respond); Germany's steel also loses its
rearmament share where the run has no Nazi regime. Sources and licences: ``data/README.md``.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from abm.models.catalogue import data_rows
from abm.models.interwar.soviet.constants import COW_CODES, MADDISON_CODES

COW_FILE = "cow_nmc_v6_major_1920_1946.csv"
MADDISON_FILE = "maddison_mpd2020_major_1913_1950.csv"


def _table(
    file: str,
    code_col: str,
    value_col: str,
    codes: tuple[str, ...],
    scale: float,
    years: tuple[int, ...],
) -> np.ndarray:
    values: dict[tuple[str, int], float] = {}
    for row in data_rows(file):
        if row[value_col]:
            values[(row[code_col], int(row["year"]))] = float(row[value_col]) * scale
    out = np.full((len(codes), len(years)), np.nan, np.float32)
    for i, c in enumerate(codes):
        for j, y in enumerate(years):
            if (c, y) in values:
                out[i, j] = values[(c, y)]
    return out


@cache
def steel_history(years: tuple[int, ...]) -> np.ndarray:
    """Recorded crude steel output, Mt, float32 ``[S, len(years)]`` (NaN where none)."""
    return _table(COW_FILE, "stateabb", "irst", COW_CODES, 1e-3, years)


@cache
def gdp_history(years: tuple[int, ...]) -> np.ndarray:
    """Recorded GDP, billion 2011 int$, float32 ``[S, len(years)]`` (NaN where none)."""
    return _table(MADDISON_FILE, "countrycode", "gdp_bn_2011usd", MADDISON_CODES, 1.0, years)
