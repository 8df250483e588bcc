"""The war slice's chronicle of one run: the wars' course, sector by sector."""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.models.calendar import Calendar
from abm.models.interwar.war import powers as PW
from abm.models.interwar.war.sectors import sector_table


def chronicle(states: Any, initial: Any, calendar: Calendar, tables: Any) -> list[tuple[str, str]]:
    """Events of one run, ``(YYYY-MM, text)``, from its monthly states (leading month axis).

    ``states[t]`` is the state after month ``t``; ``tables`` the slice's
    :class:`~abm.models.interwar.war.month.Tables`. Told: each power's first month of
    war, each sector that changes hands (who takes it from whom), each armistice with
    the men of the power's divisions disbanded, the Soviet-German war's start, and each
    December the armies' men in the field and dead so far.
    """
    s = states
    lab = calendar.label
    pw = PW.power_table()
    sec = sector_table()
    names = tuple(sec.names)
    people = {c: n for c, n in zip(pw.codes, pw.names, strict=True)}
    out: list[tuple[str, str]] = []
    holder0 = np.asarray(initial.holder)
    months = len(s.month)
    mobilised = np.asarray(s.mobilised).sum(axis=1)
    if not (mobilised > 0).any():
        return []
    start = int(np.argmax(mobilised > 0))  # the slice's first month of war
    fighting: np.ndarray = np.asarray(np.asarray(tables.at_war).any(axis=2))  # [T, P]
    for p, code in enumerate(pw.codes):
        at = np.flatnonzero(fighting[start:, p]) + start
        if at.size:
            since = (
                " (since before)" if at[0] == start and start > 0 and fighting[start - 1, p] else ""
            )
            out.append((lab(int(at[0])), f"{people[code]} is at war{since}"))
    sg = int(s.soviet_german_month[-1])
    if sg >= 0:
        out.append((lab(sg), "the USSR and Germany are at war"))
    before = holder0
    for t in range(months):
        now = np.asarray(s.holder[t])
        for k in np.flatnonzero(now != before):
            out.append(
                (
                    lab(t),
                    f"{people[pw.codes[now[k]]]} takes {names[k]} from "
                    f"{people[pw.codes[before[k]]]}",
                )
            )
        before = now
    last = np.asarray(s.surrendered[-1])
    for q in np.flatnonzero(last >= 0):
        p = int(q)
        t = int(last[p])
        gone = float(s.disbanded[t][p] - (s.disbanded[t - 1][p] if t > 0 else 0.0))
        out.append(
            (
                lab(t),
                f"{people[pw.codes[p]]} asks for an armistice; {gone:,.0f} thousand men of its "
                "divisions are disbanded",
            )
        )
    for t in range(months):
        if calendar.months[t] == 12 and np.asarray(s.alive[t]).any():
            owner = np.asarray(tables.slot_owner)
            men = np.bincount(owner, np.where(s.alive[t], s.men[t], 0.0), len(pw.codes))
            top = np.argsort(-men)[:4]
            field = ", ".join(f"{pw.codes[p]} {men[p]:,.0f}" for p in top if men[p] > 0)
            dead = ", ".join(
                f"{pw.codes[p]} {s.dead[t][p]:,.0f}" for p in np.argsort(-s.dead[t])[:4]
            )
            out.append((lab(t), f"the war: thousand men in the field {field}; dead so far {dead}"))
    out.sort(key=lambda e: e[0])
    return out
