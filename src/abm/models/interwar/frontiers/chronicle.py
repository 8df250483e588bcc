"""The frontiers slice's chronicle of one run: the clashes, Poland, the Winter War."""

from __future__ import annotations

from typing import Any

from abm.models.calendar import Calendar
from abm.models.interwar.frontiers import theatres as T

#: How the chronicle names each theatre and its opponent.
PLACES = {
    T.KHASAN: ("at Lake Khasan", "Japan's", "Japanese"),
    T.KHALKHIN_GOL: ("at Khalkhin Gol", "Japan's", "Japanese"),
    T.FINLAND: ("in Finland (the Winter War)", "Finland's", "Finnish"),
}


def chronicle(states: Any, initial: Any, calendar: Calendar) -> list[tuple[str, str]]:
    """Events of one run, ``(YYYY-MM, text)``, from its monthly states (leading month axis).

    ``states`` holds the state after each month (NumPy), ``initial`` the one before the
    first; the wars' months are read from the last state.
    """
    del initial
    last = {k: v[-1] for k, v in states.__dict__.items()}
    out: list[tuple[str, str]] = []
    tab = T.theatres()
    lab = calendar.label
    if last["demand_month"] >= 0:
        out.append(
            (lab(int(last["demand_month"])), "the USSR demands bases and territory of Finland")
        )
    if last["poland_month"] >= 0:
        out.append((lab(int(last["poland_month"])), "the Red Army enters eastern Poland"))
    for i, (where, whose, adjective) in PLACES.items():
        start, end = int(last["start"][i]), int(last["end"][i])
        if start < 0:
            continue
        out.append(
            (
                lab(start),
                f"fighting begins {where}: {tab.soviet_force[i]:,.0f} thousand of the Red Army "
                f"against {whose} {tab.opponent_force[i]:,.0f} thousand",
            )
        )
        if i == T.FINLAND:
            # A month at war without casualties is one of regrouping after a repulse.
            last_month = end if end >= 0 else len(states.casualties) - 1
            for m in range(start + 1, last_month + 1):
                if states.casualties[m][i][0] == states.casualties[m - 1][i][0]:
                    out.append((lab(m), "the Red Army, repulsed, regroups in Finland"))
        if end >= 0:
            dead = states.dead[end][i]
            wins = int(states.wins[end][i])
            out.append(
                (
                    lab(end),
                    f"fighting ends {where} after {end - start + 1} month(s): {dead[0]:,.0f} "
                    f"Soviet and {dead[1]:,.0f} {adjective} dead and missing; the Red Army "
                    f"won {wins} of the months' battles",
                )
            )
    if last["japan_war_month"] >= 0:
        out.append((lab(int(last["japan_war_month"])), "Japan turns a clash into war on the USSR"))
    for k, what in enumerate(("the Baltic states", "Bessarabia")):
        if last["annex_month"][k] >= 0:
            out.append((lab(int(last["annex_month"][k])), f"the USSR annexes {what}"))
    return out
