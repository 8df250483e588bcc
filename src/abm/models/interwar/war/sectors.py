"""The war's front sectors: the fixed map the war slice's divisions fight over.

``K`` sectors on eleven fronts (package data ``war_sectors.csv``; every figure's source
in ``data/calibration/war_sectors_sources.md``, the judgement columns stated as such
there): each with its front, its belt of depth from the front line of September 1939,
its owner then (a COW state abbreviation), terrain, forest and marsh, the road and rail
network's capacity, its fortification line, frontage, people (1939) and its land
neighbours (plus the few sea crossings that mattered: Denmark-Norway, Sicily-Tunisia,
Messina, Otranto, Kerch). The map is read once, checked, and held as NumPy arrays; the
slice turns them into constants of its compiled program (``docs/war_design.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

import numpy as np

from abm.errors import InputError
from abm.models.catalogue import data_rows

PACKAGE = "abm.models.interwar"
FILE = "war_sectors.csv"
#: The fronts, in the table's order of first appearance.
FRONTS = (
    "poland",
    "west",
    "scandinavia",
    "balkans",
    "soviet_west",
    "finland",
    "north_africa",
    "italy",
    "germany",
    "china",
    "soviet_far_east",
)
#: The columns the table must have.
COLUMNS = (
    "sector",
    "front",
    "name",
    "depth",
    "owner_1939",
    "terrain_rugged",
    "forest_marsh",
    "infrastructure",
    "fortification",
    "fort_name",
    "width_km",
    "people_k",
    "neighbours",
    "source",
)


class SectorTable(NamedTuple):
    """The sectors' fixed data (NumPy), one entry per row of the table.

    Attributes:
        names: ``K`` sector ids.
        front: int32 ``[K]``, index into :data:`FRONTS`.
        depth: int32 ``[K]``, belt of depth from the front line of September 1939.
        owner_1939: ``K`` COW state abbreviations, the holder on 1 September 1939.
        rugged: float32 ``[K]``, 1 where mountains or hills dominate (the combat
            kernel's rugged-terrain covariate).
        forest_marsh: float32 ``[K]``, share of forest or marsh, 0..1.
        infrastructure: float32 ``[K]``, road and rail capacity, 0..1 (Belgium 1).
        fortification: float32 ``[K]``, 0 none, 0.5 field belts, 1 a permanent line.
        width_km: float32 ``[K]``, frontage, km.
        people: float32 ``[K]``, thousand persons, 1939.
        adjacency: bool ``[K, K]``, neighbours (symmetric, no self-links).
    """

    names: tuple[str, ...]
    front: np.ndarray
    depth: np.ndarray
    owner_1939: tuple[str, ...]
    rugged: np.ndarray
    forest_marsh: np.ndarray
    infrastructure: np.ndarray
    fortification: np.ndarray
    width_km: np.ndarray
    people: np.ndarray
    adjacency: np.ndarray


def _bad(where: str, row: int, field: str, value: object, allowed: str) -> InputError:
    return InputError(f"{where}, row {row}, field {field!r}: {value!r} is not allowed; {allowed}")


def _number(
    where: str, row: int, rec: dict[str, str], field: str, lo: float, hi: float | None
) -> float:
    text = rec[field]
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value >= lo and (hi is None or value <= hi)):
        span = f"a number in [{lo}, {hi}]" if hi is not None else f"a number >= {lo}"
        raise _bad(where, row, field, text, f"allowed: {span}")
    return value


def parse_sectors(rows: Sequence[dict[str, str]], where: str = FILE) -> SectorTable:
    """The checked :class:`SectorTable` of the table's rows.

    Raises:
        InputError: a missing column, a repeated or unknown id, a front not in
            :data:`FRONTS`, a value out of its range, or a neighbour listed one way only
            (the message names the file, the row (the header is row 1), the field and
            the value).
    """
    if not rows:
        raise InputError(f"{where}: no sectors")
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        raise InputError(f"{where}: the header lacks {', '.join(missing)}")
    names = tuple(r["sector"] for r in rows)
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise _bad(where, i + 2, "sector", name, "allowed: an id not used by an earlier row")
    front, depth, numbers = [], [], []
    for i, r in enumerate(rows, start=2):
        if r["front"] not in FRONTS:
            raise _bad(where, i, "front", r["front"], f"allowed: {', '.join(FRONTS)}")
        front.append(FRONTS.index(r["front"]))
        depth.append(int(_number(where, i, r, "depth", 0, 10)))
        numbers.append(
            [
                _number(where, i, r, "terrain_rugged", 0, 1),
                _number(where, i, r, "forest_marsh", 0, 1),
                _number(where, i, r, "infrastructure", 0, 1),
                _number(where, i, r, "fortification", 0, 1),
                _number(where, i, r, "width_km", 1, None),
                _number(where, i, r, "people_k", 0, None),
            ]
        )
    adj = np.zeros((len(rows), len(rows)), bool)
    for i, r in enumerate(rows):
        for n in filter(None, (x.strip() for x in r["neighbours"].split(";"))):
            if n not in names or n == names[i]:
                raise _bad(where, i + 2, "neighbours", n, "allowed: another sector's id")
            adj[i, names.index(n)] = True
    one_way = np.argwhere(adj & ~adj.T)
    if len(one_way):
        a, b = (int(x) for x in one_way[0])
        raise _bad(
            where,
            b + 2,
            "neighbours",
            rows[b]["neighbours"],
            f"allowed: a list that names {names[a]!r}, which lists {names[b]!r}",
        )
    v = np.asarray(numbers, np.float32)
    return SectorTable(
        names=names,
        front=np.asarray(front, np.int32),
        depth=np.asarray(depth, np.int32),
        owner_1939=tuple(r["owner_1939"] for r in rows),
        rugged=v[:, 0],
        forest_marsh=v[:, 1],
        infrastructure=v[:, 2],
        fortification=v[:, 3],
        width_km=v[:, 4],
        people=v[:, 5],
        adjacency=adj,
    )


@cache
def sector_table() -> SectorTable:
    """The package's sectors (``war_sectors.csv``), checked."""
    return parse_sectors(data_rows(FILE, PACKAGE), f"{PACKAGE} data file {FILE}")


def components(adjacency: np.ndarray, members: np.ndarray | None = None) -> np.ndarray:
    """Connected components of the sectors' graph (NumPy; for checks and set-up).

    Args:
        adjacency: bool ``[K, K]``.
        members: bool ``[K]``, the sectors to consider (default all); the others get -1.

    Returns:
        int32 ``[K]``: a component label per sector, labelled 0, 1, ... in order of
        their first sector.
    """
    k = adjacency.shape[0]
    keep = np.ones(k, bool) if members is None else np.asarray(members, bool)
    sub = adjacency & keep[:, None] & keep[None, :]
    label = np.full(k, -1, np.int32)
    n = 0
    for start in range(k):
        if not keep[start] or label[start] >= 0:
            continue
        reach = np.zeros(k, bool)
        reach[start] = True
        while True:
            grown = reach | sub[reach].any(axis=0)
            if np.array_equal(grown, reach):
                break
            reach = grown
        label[reach] = n
        n += 1
    return label


__all__ = ["COLUMNS", "FRONTS", "SectorTable", "components", "parse_sectors", "sector_table"]
