"""The war's powers and its history tables: who fights, when, with how many men.

Read from the package's data folder (sources in ``data/calibration/war_sources.md``):

- ``war_powers.csv``: the ``P`` powers (every holder of a sector in 1939 and every state
  with divisions in ``war_forces.csv``), each with its 1939 population (COW NMC ``tpop``,
  or the people of its sectors), capital sector, the fronts its armies can reach,
  whether it can collapse, its divisions' establishment and its effectiveness group;
- ``war_declarations.csv``: dated wars, peaces, alliances and annexations;
- ``war_forces.csv``: each power's men and divisions by date (read in :mod:`.history`,
  which turns the three into tables over a calendar). In
step 1 of ``docs/war_design.md`` these are the slice's exogenous inputs, as the weather's
history is the Soviet slice's under ``--exogenous history``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

import numpy as np

from abm.errors import InputError
from abm.models.calendar import parse_year_month
from abm.models.catalogue import data_rows
from abm.models.interwar.war.sectors import FRONTS, SectorTable, sector_table

PACKAGE = "abm.models.interwar"
POWERS_FILE = "war_powers.csv"
DECLARATIONS_FILE = "war_declarations.csv"
FORCES_FILE = "war_forces.csv"
#: Division types, in slot order within a power's block (``war_forces.csv``'s columns).
KINDS = ("infantry", "motorised", "armoured", "cavalry", "mountain")
#: Tanks per thousand men of each kind, for the kernel's armour covariate: a German
#: panzer division of May 1940, 2,445 tanks in 10 divisions (``war_forces.csv``,
#: F-GMY-1940) of 11,792 men (``war_sources.md`` section 2), 20.7 a thousand (the Red
#: Army's tank division of 1941, 375 on 10,942, and the British armoured division of 1942,
#: 230 on 13,235, bracket it); the other kinds without tanks in this step.
TANKS_PER_THOUSAND = (0.0, 0.0, 20.7, 0.0, 0.0)
#: Kinds that move fast (the front's advance, :data:`war_mobility`).
MOBILE = (1, 2)
#: Effectiveness groups (``war_powers.csv``), each a parameter but ``other`` (the
#: reference army, 0) and ``ussr`` (from the Red Army's command quality).
EFFECTIVENESS = ("other", "germany", "west", "japan", "ussr")
#: Kinds of rows of ``war_declarations.csv``.
DECLARATION_KINDS = ("war", "peace", "ally", "annex")
#: The month the slice starts: the invasion of Poland.
START = "1939-09"
#: Division slots per run (a multiple of 128; ``docs/war_design.md``).
CAPACITY = 1536


class PowerTable(NamedTuple):
    """The powers' fixed data (NumPy).

    Attributes:
        codes: ``P`` COW abbreviations.
        names: ``P`` names for messages and the chronicle.
        people: float32 ``[P]``, thousand persons in 1939 (COW ``tpop``, else the
            people of the power's 1939 sectors).
        capital: int32 ``[P]``, the capital's sector, -1 where not on the map.
        reach: bool ``[P, K]``, the sectors on the fronts its armies can reach.
        collapses: bool ``[P]``, whether it can ask for an armistice (its heartland is
            on the map).
        division_men: float32 ``[P]``, thousand men of a new division.
        effectiveness: int32 ``[P]``, index into :data:`EFFECTIVENESS`.
        field_theatre: ``P`` names of a theatre whose field strength is the whole
            field army's where no national figure is given (``eastern_front``), or "".
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    people: np.ndarray
    capital: np.ndarray
    reach: np.ndarray
    collapses: np.ndarray
    division_men: np.ndarray
    effectiveness: np.ndarray
    field_theatre: tuple[str, ...]


def _bad(where: str, row: int, field: str, value: object, allowed: str) -> InputError:
    return InputError(f"{where}, row {row}, field {field!r}: {value!r}; {allowed}")


def _float(where: str, row: int, field: str, text: str, low: float, high: float) -> float:
    try:
        v = float(text)
    except ValueError:
        raise _bad(where, row, field, text, f"a number in [{low}, {high}]") from None
    if not (low <= v <= high) or math.isnan(v):
        raise _bad(where, row, field, text, f"a number in [{low}, {high}]")
    return v


def parse_powers(
    rows: Sequence[dict[str, str]], sectors: SectorTable, where: str = POWERS_FILE
) -> PowerTable:
    """The powers' table from its CSV rows, checked.

    Raises:
        InputError: naming the file, row, field and value of the first bad entry: an
            unknown front, sector or effectiveness group, a duplicate power, a number
            out of range, or a 1939 sector holder missing from the table.
    """
    codes: list[str] = []
    names: list[str] = []
    people: list[float] = []
    capital: list[int] = []
    reach: list[np.ndarray] = []
    collapses: list[bool] = []
    men: list[float] = []
    eff: list[int] = []
    theatre: list[str] = []
    index = {n: i for i, n in enumerate(sectors.names)}
    for r, row in enumerate(rows, start=2):
        code = row["power"].strip()
        if not code or code in codes:
            raise _bad(where, r, "power", code, "a COW abbreviation given once")
        codes.append(code)
        names.append(row["name"].strip() or code)
        own = sectors.people[np.array([o == code for o in sectors.owner_1939], bool)]
        text = row["tpop_k"].strip()
        people.append(_float(where, r, "tpop_k", text, 1.0, 1e7) if text else float(np.sum(own)))
        if people[-1] <= 0.0:
            raise _bad(where, r, "tpop_k", text, "given where the power holds no sector")
        cap = row["capital"].strip()
        if cap and cap not in index:
            raise _bad(where, r, "capital", cap, "a sector of war_sectors.csv or empty")
        capital.append(index[cap] if cap else -1)
        fronts = [f.strip() for f in row["fronts"].split(";") if f.strip()]
        for f in fronts:
            if f not in FRONTS:
                raise _bad(where, r, "fronts", f, f"one of {', '.join(FRONTS)}")
        on = np.isin(sectors.front, [FRONTS.index(f) for f in fronts])
        reach.append(on)
        flag = row["collapses"].strip()
        if flag not in ("0", "1"):
            raise _bad(where, r, "collapses", flag, "0 or 1")
        collapses.append(flag == "1")
        men.append(_float(where, r, "division_men_k", row["division_men_k"], 1.0, 40.0))
        group = row["effectiveness"].strip()
        if group not in EFFECTIVENESS:
            raise _bad(where, r, "effectiveness", group, f"one of {', '.join(EFFECTIVENESS)}")
        eff.append(EFFECTIVENESS.index(group))
        theatre.append(row["field_theatre"].strip())
    missing = sorted(set(sectors.owner_1939) - set(codes))
    if missing:
        raise InputError(f"{where}: no row for the 1939 holder(s) {', '.join(missing)}")
    return PowerTable(
        codes=tuple(codes),
        names=tuple(names),
        people=np.array(people, np.float32),
        capital=np.array(capital, np.int32),
        reach=np.array(reach, bool).reshape(len(codes), len(sectors.names)),
        collapses=np.array(collapses, bool),
        division_men=np.array(men, np.float32),
        effectiveness=np.array(eff, np.int32),
        field_theatre=tuple(theatre),
    )


@cache
def power_table() -> PowerTable:
    """The package's powers (cached)."""
    return parse_powers(data_rows(POWERS_FILE, PACKAGE), sector_table())


class Declaration(NamedTuple):
    """One row of ``war_declarations.csv``.

    From ``month`` on, ``kind`` between powers ``a`` and ``b`` (for ``annex``: ``a``
    takes the sectors listed in ``b``).
    """

    month: str
    kind: str
    a: int
    b: tuple[int, ...]


def parse_declarations(
    rows: Sequence[dict[str, str]],
    powers: PowerTable,
    sectors: SectorTable,
    where: str = DECLARATIONS_FILE,
) -> tuple[Declaration, ...]:
    """The declarations from their CSV rows, checked (months in order).

    Raises:
        InputError: naming the file, row, field and value of a bad entry.
    """
    out: list[Declaration] = []
    last = ""
    pidx = {c: i for i, c in enumerate(powers.codes)}
    sidx = {n: i for i, n in enumerate(sectors.names)}
    for r, row in enumerate(rows, start=2):
        month = row["month"].strip()
        try:
            parse_year_month(month)
        except ValueError:
            raise _bad(where, r, "month", month, "YYYY-MM") from None
        if month < last:
            raise _bad(where, r, "month", month, f"months in order (after {last})")
        last = month
        kind = row["kind"].strip()
        if kind not in DECLARATION_KINDS:
            raise _bad(where, r, "kind", kind, f"one of {', '.join(DECLARATION_KINDS)}")
        a = row["a"].strip()
        if a not in pidx:
            raise _bad(where, r, "a", a, "a power of war_powers.csv")
        if kind == "annex":
            targets = [s.strip() for s in row["b"].split(";") if s.strip()]
            bad = [s for s in targets if s not in sidx]
            if bad or not targets:
                raise _bad(where, r, "b", row["b"], "sectors of war_sectors.csv, ';'-separated")
            b = tuple(sidx[s] for s in targets)
        else:
            code = row["b"].strip()
            if code not in pidx or code == a:
                raise _bad(where, r, "b", code, "another power of war_powers.csv")
            b = (pidx[code],)
        out.append(Declaration(month, kind, pidx[a], b))
    return tuple(out)


__all__ = [
    "CAPACITY",
    "DECLARATION_KINDS",
    "EFFECTIVENESS",
    "KINDS",
    "MOBILE",
    "START",
    "TANKS_PER_THOUSAND",
    "Declaration",
    "PowerTable",
    "parse_declarations",
    "parse_powers",
    "power_table",
]
