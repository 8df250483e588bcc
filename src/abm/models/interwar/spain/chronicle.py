"""The Spain slice's chronicle of one run: the election, the rising, the war's course."""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.models.calendar import Calendar
from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain import sectors as SE


def chronicle(states: Any, initial: Any, calendar: Calendar) -> list[tuple[str, str]]:
    """Events of one run, ``(YYYY-MM, text)``, from its monthly states (leading month axis)."""
    del initial
    s = states
    last = {k: v[-1] for k, v in s.__dict__.items()}
    lab = calendar.label
    out: list[tuple[str, str]] = []
    voted = np.flatnonzero(s.left_seats > 0)
    if voted.size:
        t = int(voted[0])
        front = "a Popular Front" if last["popular_front_month"] >= 0 else "a divided left"
        out.append(
            (
                lab(t),
                f"Spain votes: {front} polls {100 * s.left_vote[t]:.1f}% and wins "
                f"{s.left_seats[t]:.0f} of 473 seats",
            )
        )
    rising, war, end = (int(last[k]) for k in ("rising_month", "war_month", "end_month"))
    if rising >= 0 and war < 0:
        out.append((lab(rising), "the army rises and is crushed, or wins outright: no civil war"))
    if war >= 0:
        out.append(
            (
                lab(war),
                f"the army rises: civil war, the rising holding {100 * s.held[war]:.0f}% of "
                "the people",
            )
        )
        stop = end if end >= 0 else len(s.held) - 1
        # The totals so far: those before the month and the month's own dead.
        battle = s.battle_dead + s.month_dead[:, 0]
        rear = s.repression + s.month_dead[:, 1]
        for t in range(war + 1, stop + 1):
            if calendar.months[t] == 12:
                out.append(
                    (
                        lab(t),
                        f"Spain: the Nationalists hold {100 * s.held[t]:.0f}% of the people; "
                        f"{battle[t].sum():,.0f} dead in battle, "
                        f"{rear[t][1]:,.0f} and {rear[t][0]:,.0f} killed in "
                        "the Nationalist and Republican rearguards so far",
                    )
                )
        out.extend(_sectors(s.control, war, stop, lab))
    if last["may_days_month"] >= 0:
        out.append((lab(int(last["may_days_month"])), "the Republic's factions fight each other"))
    if end >= 0:
        who = F.WINNERS[int(last["winner"])]
        foreign = ", ".join(f"{d} {s.foreign[end][i]:,.1f}" for i, d in enumerate(F.DONORS))
        out.append(
            (
                lab(end),
                f"the civil war ends: the {who} side wins (foreign troops sent, thousand: "
                f"{foreign})",
            )
        )
    return out


def _sectors(control: np.ndarray, war: int, stop: int, lab: Any) -> list[tuple[str, str]]:
    """The months a sector of the front fell entirely to one side (control ``[T, K]``)."""
    names = SE.sector_data().names
    out: list[tuple[str, str]] = []
    for t in range(war + 1, stop + 1):
        for k, name in enumerate(names):
            before, now = control[t - 1][k], control[t][k]
            if now >= 1.0 > before:
                out.append((lab(t), f"Spain: the Nationalists take the last of {name}"))
            elif now <= 0.0 < before:
                out.append((lab(t), f"Spain: the Republic retakes all of {name}"))
    return out
