"""The China slice's actors, dimensions and yearly men under arms (COW NMC v6).

China's and Japan's military personnel by year come from the COW National Material
Capabilities v6 (``cow_nmc_v6_major_1920_1946.csv``, package data, ``milper`` in
thousands): China 1,700 a year from 1924 to 1936, 2,000 in 1937, 900 in 1938 and 2,584
in 1941; Japan about 300 in the 1920s, 370 in 1938, 957 in 1939-40 and 3,075 in 1941.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np

from abm.models.calendar import Calendar
from abm.models.catalogue import data_rows

PACKAGE = "abm.models.interwar"
COW_FILE = "cow_nmc_v6_major_1920_1946.csv"
#: The actors, in the order of the ``china_actor`` dimension.
ACTORS = ("kmt", "militarists", "ccp", "japan")
KMT, MILITARISTS, CCP, JAPAN = range(4)
#: The sides of Japan's wars on China (``china_war_side``).
WAR_SIDES = ("china", "japan")
#: The sides of the KMT-CCP war (``civil_side``).
CIVIL_SIDES = ("government", "communists")
#: The month's battles (``china_battle``): a campaign against the soviets, the war over
#: Manchuria, the full-scale war.
BATTLES = ("campaign", "manchuria", "war")
CAMPAIGN, MANCHURIA, WAR = range(3)
#: The month's decisions drawn as uniforms (``china_decision``).
DECISIONS = (
    "manchuria",
    "war",
    "front",
    "campaign",
    "breakout",
    "campaign_win",
    "manchuria_win",
    "war_win",
)
#: The CCP's phases.
BEFORE_PURGE, SOVIETS, MARCH, NORTHWEST = range(4)
#: Months at which the CCP's men are recorded (``ccp_army_date``): before the Long
#: March, after it, and in the war.
CCP_ARMY_MONTHS = ("1934-09", "1936-12", "1940-12")


class MenUnderArms(NamedTuple):
    """Men under arms by calendar month (float32 ``[T]``, thousand persons).

    Attributes:
        china: China's (COW ``milper`` of the month's year).
        japan: Japan's.
    """

    china: np.ndarray
    japan: np.ndarray


@cache
def _milper() -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {"CHN": {}, "JPN": {}}
    for r in data_rows(COW_FILE, PACKAGE):
        if r["stateabb"] in out and float(r["milper"]) >= 0:
            out[r["stateabb"]][int(r["year"])] = float(r["milper"])
    return out


def men_under_arms(calendar: Calendar) -> MenUnderArms:
    """China's and Japan's men under arms for each month of ``calendar``.

    A year outside the data takes the nearest year's figure.
    """
    data = _milper()

    def series(code: str) -> np.ndarray:
        years = np.array(sorted(data[code]))
        values = np.array([data[code][int(y)] for y in years], np.float32)
        at = np.clip(calendar.years, years[0], years[-1])
        return values[np.searchsorted(years, at)]

    return MenUnderArms(series("CHN"), series("JPN"))


__all__ = [
    "ACTORS",
    "BATTLES",
    "CCP_ARMY_MONTHS",
    "CIVIL_SIDES",
    "DECISIONS",
    "WAR_SIDES",
    "MenUnderArms",
    "men_under_arms",
]
