"""The sixteen states of the diplomacy slice and their fixed data.

Read from the package's ``data/diplomacy_states.csv`` (regimes, capitals, census
populations where the COW file has no row, the alignments of September 1939 with their
sources) and ``data/diplomacy_pairs.csv`` (territorial disputes, wars since 1914 and
treaties signed before 1936, each with its note), and the COW National Material
Capabilities index (``cinc``) from ``cow_nmc_v6_major_1920_1946.csv``. Sources and
licences: ``data/README.md``. This module imports no JAX.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from abm.models.catalogue import data_rows

STATES_FILE = "diplomacy_states.csv"
PAIRS_FILE = "diplomacy_pairs.csv"
COW_FILE = "cow_nmc_v6_major_1920_1946.csv"

#: The states, in the order of every ``[S]`` array.
STATES = (
    "USSR",
    "Germany",
    "UK",
    "France",
    "Italy",
    "Japan",
    "USA",
    "Poland",
    "China",
    "Spain",
    "Czechoslovakia",
    "Romania",
    "Finland",
    "Baltic states",
    "Hungary",
    "Yugoslavia",
)
N_STATES = len(STATES)
USSR, GERMANY, UK, FRANCE = 0, 1, 2, 3
POLAND = STATES.index("Poland")
CZECHOSLOVAKIA = STATES.index("Czechoslovakia")
#: The states whose side is set by the crisis itself: the poles of the coalitions, and
#: the state the crisis is about (Germany's demands on Danzig and the Corridor, refused
#: by Beck's speech to the Sejm of 5 May 1939): Poland fights Germany with the West
#: while the West stands by it.
POLES = (USSR, GERMANY, UK, FRANCE, POLAND)

#: Sides of ``alignment_1939``, in category order.
SIDES = ("axis", "allied", "soviet", "neutral")
AXIS, ALLIED, SOVIET, NEUTRAL = range(4)

#: Regime types and the affinity of each pair of types (the ideology component of the
#: landscape propensity, -1 .. 1): like regimes attract; communism and fascism repel
#: most; the democracies and the authoritarian right neither attract nor repel.
REGIMES = ("democracy", "fascist", "authoritarian", "communist")
DEMOCRACY, FASCIST, AUTHORITARIAN, COMMUNIST = range(4)
AFFINITY = np.array(
    [
        [1.0, -0.5, 0.0, -0.5],
        [-0.5, 1.0, 0.5, -1.0],
        [0.0, 0.5, 0.5, -0.5],
        [-0.5, -1.0, -0.5, 1.0],
    ],
    np.float32,
)
#: How much each regime type's hostility to the USSR the Comintern's activism raises:
#: the democracies' through ``western_anticommunism`` (the lever), the others in full.
ANTICOMMUNISM_FROM_LEVER = np.array([1.0, 0.0, 0.0, 0.0], np.float32)

#: Years of the capability table.
FIRST_YEAR, LAST_YEAR = 1920, 1946
#: The COW row whose capability per head stands in for states the file lacks
#: (Romania, Yugoslavia, the Baltic states): Poland, a neighbour of each at a similar
#: level of development (a stated assumption; the COW release has their rows).
PROXY = "POL"
#: Poland's population, millions, at the 1931 census (Glowny Urzad Statystyczny, Drugi
#: Powszechny Spis Ludnosci 9 XII 1931: 32,107,000).
PROXY_POPULATION_M = 32.107
#: Months from the Munich Agreement (30 September 1938) to Germany's occupation of
#: Prague (15 March 1939).
PRAGUE_DELAY_MONTHS = 6


@dataclass(frozen=True)
class StateData:
    """The fixed data, NumPy.

    Attributes:
        regime: int32 ``[S]`` regime type in 1936 (Germany's is the Nazi regime's;
            the slice uses Weimar's democracy before a Nazi government).
        distance: float32 ``[S, S]`` great-circle distance between capitals, km.
        dispute, war, treaty: float32 ``[S, S]`` symmetric 0/1 (diplomacy_pairs.csv).
        capability: float32 ``[S, Y]`` COW capability index by year, 1920-1946.
        army: float32 ``[Y]`` the Red Army's recorded personnel by year, thousands (COW).
        alignment: int32 ``[S]`` the side each state took in September 1939.
    """

    regime: np.ndarray
    distance: np.ndarray
    dispute: np.ndarray
    war: np.ndarray
    treaty: np.ndarray
    capability: np.ndarray
    army: np.ndarray
    alignment: np.ndarray


def _rows(file: str) -> list[dict[str, str]]:
    return data_rows(file)


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * 6371.0 * math.asin(math.sqrt(h))


@cache
def state_data() -> StateData:
    """The states' fixed data (checked: every state once, every pair known)."""
    rows = _rows(STATES_FILE)
    names = tuple(r["state"] for r in rows)
    if names != STATES:
        raise ValueError(f"{STATES_FILE}: states {names} != {STATES}")
    regime = np.array([REGIMES.index(r["regime"]) for r in rows], np.int32)
    alignment = np.array([SIDES.index(r["alignment_1939"]) for r in rows], np.int32)
    dist = np.zeros((N_STATES, N_STATES), np.float32)
    for i, a in enumerate(rows):
        for j, b in enumerate(rows):
            dist[i, j] = _distance_km(
                float(a["lat"]), float(a["lon"]), float(b["lat"]), float(b["lon"])
            )
    mats = {k: np.zeros((N_STATES, N_STATES), np.float32) for k in ("dispute", "war", "treaty")}
    for r in _rows(PAIRS_FILE):
        i, j = STATES.index(r["a"]), STATES.index(r["b"])
        for k, m in mats.items():
            m[i, j] = m[j, i] = float(r[k])
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    cinc: dict[tuple[str, int], float] = {}
    milper: dict[int, float] = {}
    for r in _rows(COW_FILE):
        cinc[(r["stateabb"], int(r["year"]))] = float(r["cinc"])
        if r["stateabb"] == "RUS" and r["milper"]:
            milper[int(r["year"])] = float(r["milper"])

    def path(code: str) -> np.ndarray:
        """A COW state's index by year.

        A year without a row (a state occupied in the war) repeats the nearest earlier
        year's (the first year's before any).
        """
        got = [cinc.get((code, y), np.nan) for y in years]
        out = np.array(got, np.float64)
        seen = np.flatnonzero(np.isfinite(out))
        for k in range(len(out)):
            if not np.isfinite(out[k]):
                before = seen[seen < k]
                out[k] = out[before[-1]] if len(before) else out[seen[0]]
        return out

    cap = np.zeros((N_STATES, len(years)), np.float32)
    for i, r in enumerate(rows):
        if any((r["cow"], y) in cinc for y in years):
            cap[i] = path(r["cow"])
        else:  # Poland's capability per head times the state's census population
            cap[i] = path(PROXY) * float(r["population_m"]) / PROXY_POPULATION_M
    army = np.array([milper.get(y, np.nan) for y in years], np.float64)
    known = np.isfinite(army)
    army = np.interp(np.arange(len(army)), np.flatnonzero(known), army[known]).astype(np.float32)
    return StateData(
        regime, dist, mats["dispute"], mats["war"], mats["treaty"], cap, army, alignment
    )


def alignment_targets() -> list[tuple[str, str, int, str]]:
    """Each state's side of September 1939: ``(target id, state, side code, source)``.

    The target ids are ``ALIGN_1939_<state>`` (spaces as underscores); the sides and
    their sources are the states table's ``alignment_1939`` and ``alignment_source``.
    """
    return [
        (
            "ALIGN_1939_" + r["state"].replace(" ", "_"),
            r["state"],
            SIDES.index(r["alignment_1939"]),
            r["alignment_source"],
        )
        for r in _rows(STATES_FILE)
    ]


__all__ = [
    "AFFINITY",
    "ALLIED",
    "AXIS",
    "NEUTRAL",
    "SIDES",
    "SOVIET",
    "STATES",
    "StateData",
    "alignment_targets",
    "state_data",
]
