"""The war's powers and its history tables: who fights, when, with how many men.

Read from the package's data folder (sources in ``data/calibration/war_sources.md``):

- ``war_powers.csv``: the ``P`` powers (every holder of a sector in 1939 and every state
  with divisions in ``war_forces.csv``), each with its 1939 population (COW NMC ``tpop``,
  or the people of its sectors), capital sector, the fronts its armies can reach,
  whether it can collapse, its divisions' establishment and its effectiveness group;
- ``war_declarations.csv``: dated wars, peaces, alliances and annexations;
- ``war_forces.csv``: each power's men and divisions by date.

:func:`war_history` turns them into NumPy tables over a calendar: ``at_war [T, P, P]``,
``ally [T, P, P]``, ``annex [T, K]``, the dated strengths that :func:`field_men`
interpolates, and the division slots' owners and types. In
step 1 of ``docs/war_design.md`` these are the slice's exogenous inputs, as the weather's
history is the Soviet slice's under ``--exogenous history``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from abm.errors import InputError
from abm.models.calendar import Calendar, parse_year_month
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


class ForceRow(NamedTuple):
    """One row of ``war_forces.csv`` as the slice reads it."""

    state: str
    month: str
    scope: str
    counts: tuple[float, ...]
    men_field: float
    men_total: float


def _cell(text: str) -> float:
    return float(text) if text.strip() else math.nan


def force_rows() -> tuple[ForceRow, ...]:
    """The forces table's rows (the table's own checks are in ``tests/test_war_sectors``)."""
    out = []
    for row in data_rows(FORCES_FILE, PACKAGE):
        out.append(
            ForceRow(
                state=row["state"],
                month=row["date"][:7],
                scope=row["scope"],
                counts=tuple(_cell(row[k]) for k in KINDS),
                men_field=_cell(row["men_field_k"]),
                men_total=_cell(row["men_total_k"]),
            )
        )
    return tuple(out)


class WarHistory(NamedTuple):
    """The history tables over a calendar (NumPy; ``T`` months, ``P`` powers, ``K`` sectors).

    Attributes:
        start: the month index the slice starts (:data:`START`; ``T`` if after the end).
        at_war: bool ``[T, P, P]``, symmetric: at war that month (before surrenders).
        ally: bool ``[T, P, P]``, symmetric: declared allies (co-belligerents beyond
            the shared enemies the slice derives).
        annex: int32 ``[T, K]``: the power that takes the sector that month, -1 none.
        men_lo, men_hi: float32 ``[T, P]``: thousand men of the dated points of
            ``war_forces.csv`` before and after the month (flat outside them; NaN for
            a power without any): the field strength, else the division count times
            the division's men, else the total under arms (:func:`field_men`).
        men_lo_total, men_hi_total: bool ``[T, P]``: that point is a total under arms.
        men_weight: float32 ``[T, P]``: the later point's weight (linear in months).
        slot_kind: int32 ``[U]``: each slot's division type (index into :data:`KINDS`).
        slot_owner: int32 ``[U]``: each slot's power (blocks in power order).
        block_start: int32 ``[P]``: a power's first slot.
        block_size: int32 ``[P]``: its slots.
    """

    start: int
    at_war: np.ndarray
    ally: np.ndarray
    annex: np.ndarray
    men_lo: np.ndarray
    men_lo_total: np.ndarray
    men_hi: np.ndarray
    men_hi_total: np.ndarray
    men_weight: np.ndarray
    slot_kind: np.ndarray
    slot_owner: np.ndarray
    block_start: np.ndarray
    block_size: np.ndarray


def _month_index(calendar: Calendar, label: str) -> int:
    """The calendar index of ``YYYY-MM`` (negative before its start, ``>= T`` after)."""
    y, m = parse_year_month(label)
    y0, m0 = parse_year_month(calendar.label(0))
    return (y - y0) * 12 + (m - m0)


def war_history(
    calendar: Calendar,
    powers: PowerTable | None = None,
    sectors: SectorTable | None = None,
    declarations: Sequence[Declaration] | None = None,
    forces: Sequence[ForceRow] | None = None,
    capacity: int = CAPACITY,
) -> WarHistory:
    """The history tables over ``calendar`` (defaults: the package's tables)."""
    powers = powers or power_table()
    sectors = sectors or sector_table()
    if declarations is None:
        declarations = parse_declarations(data_rows(DECLARATIONS_FILE, PACKAGE), powers, sectors)
    forces = forces if forces is not None else force_rows()
    n_t, n_p, n_k = int(calendar.n_months), len(powers.codes), len(sectors.names)
    at_war = np.zeros((n_t, n_p, n_p), bool)
    ally = np.zeros((n_t, n_p, n_p), bool)
    annex = np.full((n_t, n_k), -1, np.int32)
    war_now = np.zeros((n_p, n_p), bool)
    ally_now = np.zeros((n_p, n_p), bool)
    rows = sorted(declarations, key=lambda d: d.month)
    i = 0
    for t in range(n_t):
        while i < len(rows) and _month_index(calendar, rows[i].month) <= t:
            d = rows[i]
            for b in d.b:
                if d.kind == "war":
                    war_now[d.a, b] = war_now[b, d.a] = True
                elif d.kind == "peace":
                    war_now[d.a, b] = war_now[b, d.a] = False
                elif d.kind == "ally":
                    ally_now[d.a, b] = ally_now[b, d.a] = True
                elif _month_index(calendar, d.month) == t:
                    annex[t, b] = d.a
            i += 1
        at_war[t] = war_now
        ally[t] = ally_now & ~war_now
    code = {c: p for p, c in enumerate(powers.codes)}
    points: list[dict[int, tuple[float, bool]]] = [{} for _ in range(n_p)]
    mix = np.zeros((n_p, len(KINDS)), np.float64)
    for f in forces:
        p = code.get(f.state)
        if p is None:
            continue
        whole = bool(powers.field_theatre[p]) and f.scope == f"theatre:{powers.field_theatre[p]}"
        if f.scope != "national" and not whole:
            continue
        t = _month_index(calendar, f.month)
        counts = np.nan_to_num(np.array(f.counts, np.float64))
        counted = not math.isnan(f.counts[0])  # a row whose infantry is given counts all
        if counted and not mix[p].any():
            mix[p] = counts
        if not math.isnan(f.men_field):
            points[p][t] = (f.men_field, False)
        elif counted:
            points[p].setdefault(t, (float(counts.sum() * powers.division_men[p]), False))
        elif not math.isnan(f.men_total):
            points[p].setdefault(t, (f.men_total, True))
    lo_v, lo_t, hi_v, hi_t, w = _brackets(points, n_t)
    slot_owner, slot_kind, start, size = _blocks(powers, points, mix, capacity)
    return WarHistory(
        start=min(max(_month_index(calendar, START), 0), n_t),
        at_war=at_war,
        ally=ally,
        annex=annex,
        men_lo=lo_v,
        men_lo_total=lo_t,
        men_hi=hi_v,
        men_hi_total=hi_t,
        men_weight=w,
        slot_kind=slot_kind,
        slot_owner=slot_owner,
        block_start=start,
        block_size=size,
    )


def _brackets(
    points: list[dict[int, tuple[float, bool]]], months: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each month's dated points before and after it, and the weight of the later one.

    Flat outside the first and last point; a power without points has NaN values.
    """
    n_p = len(points)
    lo_v = np.full((months, n_p), np.nan, np.float32)
    hi_v = np.full((months, n_p), np.nan, np.float32)
    lo_t = np.zeros((months, n_p), bool)
    hi_t = np.zeros((months, n_p), bool)
    w = np.zeros((months, n_p), np.float32)
    for p, pts in enumerate(points):
        if not pts:
            continue
        xs = sorted(pts)
        for t in range(months):
            before = [x for x in xs if x <= t]
            after = [x for x in xs if x >= t]
            a = before[-1] if before else xs[0]
            b = after[0] if after else xs[-1]
            lo_v[t, p], lo_t[t, p] = pts[a]
            hi_v[t, p], hi_t[t, p] = pts[b]
            w[t, p] = 0.0 if b == a else (t - a) / (b - a)
    return lo_v, lo_t, hi_v, hi_t, w


def field_men(history: WarHistory, field_share: float | Any, t: Any) -> Any:
    """Thousand men in the field at month ``t`` per power (NumPy or JAX, ``[P]``).

    A dated point that is a total under arms counts ``field_share`` of it; NaN for a
    power without points (a small state: :data:`war_minor_mobilisation` instead).
    """
    xp: Any = np if isinstance(t, (int, np.integer)) else __import__("jax.numpy").numpy
    lo = xp.asarray(history.men_lo)[t] * xp.where(
        xp.asarray(history.men_lo_total)[t], field_share, 1.0
    )
    hi = xp.asarray(history.men_hi)[t] * xp.where(
        xp.asarray(history.men_hi_total)[t], field_share, 1.0
    )
    w = xp.asarray(history.men_weight)[t]
    return (1.0 - w) * lo + w * hi


def _blocks(
    powers: PowerTable,
    points: list[dict[int, tuple[float, bool]]],
    mix: np.ndarray,
    capacity: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Slots per power, in proportion to the divisions its largest army needs.

    A power's need is its largest field strength (a total under arms at the field
    share prior's middle, 0.625; a small state 8 % of its people, the mobilisation
    prior's top) over its division's men, at least 4; the blocks are scaled to fill
    ``capacity`` (a slot may stand for more than a division). Each block's types follow
    the power's first mix of divisions by type (infantry where none is given), the
    mobile kinds first.
    """
    n_p = len(powers.codes)
    biggest = np.array(
        [
            max((v * (0.625 if tot else 1.0) for v, tot in pts.values()), default=0.0)
            for pts in points
        ],
        np.float64,
    )
    biggest = np.where(biggest <= 0, 0.08 * powers.people, biggest)
    need = np.maximum(np.ceil(biggest / powers.division_men), 4.0)
    size = np.maximum(np.floor(need * capacity / need.sum()), 4).astype(np.int32)
    size[int(np.argmax(size))] += capacity - int(size.sum())
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int32)
    owner = np.repeat(np.arange(n_p, dtype=np.int32), size)
    kind = np.zeros(capacity, np.int32)
    for p in range(n_p):
        share = mix[p] / mix[p].sum() if mix[p].sum() > 0 else np.eye(len(KINDS))[0]
        order = [2, 1, 3, 4, 0]  # armoured, motorised, cavalry, mountain, infantry
        n = np.floor(share[order] * size[p] + 0.5).astype(int)
        n[-1] = size[p] - n[:-1].sum()
        kind[start[p] : start[p] + size[p]] = np.repeat(order, np.maximum(n, 0))[: size[p]]
    return owner, kind, start, size


def neighbours(adjacency: np.ndarray) -> np.ndarray:
    """int32 ``[K, D]``: each sector's neighbours, padded with ``K`` (no sector)."""
    k = adjacency.shape[0]
    deg = int(adjacency.sum(1).max())
    out = np.full((k, deg), k, np.int32)
    for i in range(k):
        nb = np.flatnonzero(adjacency[i])
        out[i, : len(nb)] = nb
    return out


def describe(history: WarHistory, powers: PowerTable) -> dict[str, Any]:
    """A summary for messages and tests: slots per power."""
    return {c: int(n) for c, n in zip(powers.codes, history.block_size, strict=True)}


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
    "WarHistory",
    "field_men",
    "force_rows",
    "neighbours",
    "parse_declarations",
    "parse_powers",
    "power_table",
    "war_history",
]
