"""The war's history over a calendar: declarations, forces and division slots as tables.

:func:`war_history` turns ``war_declarations.csv`` and ``war_forces.csv`` (with the
powers of :mod:`.powers`) into NumPy tables over a calendar: ``at_war [T, P, P]``,
``ally [T, P, P]``, ``annex [T, K]``, the dated strengths that :func:`field_men`
interpolates, and the division slots' owners and types. In step 1 of
``docs/war_design.md`` these are the slice's exogenous inputs, as the weather's history
is the Soviet slice's under ``--exogenous history``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from abm.models.calendar import Calendar, parse_year_month
from abm.models.catalogue import data_rows
from abm.models.interwar.war.powers import (
    CAPACITY,
    DECLARATIONS_FILE,
    FORCES_FILE,
    KINDS,
    PACKAGE,
    START,
    Declaration,
    PowerTable,
    parse_declarations,
    power_table,
)
from abm.models.interwar.war.sectors import SectorTable, sector_table


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


def field_men(history: WarHistory, field_share: float, t: int) -> np.ndarray:
    """Thousand men in the field at month ``t`` per power (NumPy ``[P]``).

    A dated point that is a total under arms counts ``field_share`` of it; NaN for a
    power without points (a small state: ``war_minor_mobilisation`` instead). The
    jitted month computes the same from :class:`~.tables.Tables`
    (:func:`~.deploy.reinforce`).
    """
    lo = history.men_lo[t] * np.where(history.men_lo_total[t], field_share, 1.0)
    hi = history.men_hi[t] * np.where(history.men_hi_total[t], field_share, 1.0)
    w = history.men_weight[t]
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


__all__ = [
    "ForceRow",
    "WarHistory",
    "field_men",
    "force_rows",
    "neighbours",
    "war_history",
]
