"""The Germany slice's chronicle of one run: elections, cabinets, regimes, the left."""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany import constants as K


def chronicle(states: Any, initial: Any, calendar: Calendar) -> list[tuple[str, str]]:
    """Events of one run, ``(YYYY-MM, text)``, from its monthly states (leading month axis)."""
    cal = calendar
    po, po0 = states.polity, initial.polity
    regime = np.concatenate([[po0.regime], po.regime])
    uf = np.concatenate([[po0.united_front], po.united_front])
    early = np.concatenate([[po0.early_election], po.early_election])
    out: list[tuple[str, str]] = []
    unemployed = states.economy.unemployed
    for t in range(cal.n_months):
        lab = cal.label(t)
        held_now = np.flatnonzero(po.election_month[t] == t)
        for k in held_now:
            shares = po.shares[t][k]
            order = np.argsort(-shares)
            text = ", ".join(f"{K.PARTIES[j]} {100 * shares[j]:.1f}%" for j in order)
            if early[t] == t:
                tag = " (early, after a dissolution)"
            elif lab in K.ELECTION_SLOTS:
                tag = ""
            else:
                tag = " (end of the four-year term)"
            turnout = f"; turnout {100 * po.turnout[t][k]:.1f}%"
            out.append((lab, f"Reichstag election{tag}: {text}{turnout}"))
        if early[t + 1] >= 0 and early[t] < 0:
            out.append(
                (lab, f"Reichstag dissolved; election called for {cal.label(int(early[t + 1]))}")
            )
        if uf[t + 1] and not uf[t]:
            out.append((lab, "KPD and SPD form a united front"))
        if regime[t + 1] != regime[t]:
            out.append((lab, regime_text(int(regime[t]), int(regime[t + 1]))))
        if cal.months[t] == 12 and cal.years[t] <= 1936:
            year_mask = cal.years == cal.years[t]
            out.append(
                (
                    lab,
                    f"{cal.years[t]}: registered unemployed in Germany "
                    f"{unemployed[year_mask].mean():.2f} M (annual average)",
                )
            )
    return out


def regime_text(old: int, new: int) -> str:
    """What a change of regime code means, in words."""
    if new == K.PRESIDENTIAL:
        return "cabinet falls; the president appoints a presidential cabinet (Article 48)"
    if new == K.PARLIAMENTARY:
        return (
            "return to parliamentary government"
            if old == K.PRESIDENTIAL
            else "parliamentary cabinet"
        )
    if new == K.NAZI:
        return "the NSDAP leader is appointed Reich Chancellor" + (
            " after the right wins the civil war" if old == K.CIVIL_WAR else ""
        )
    if new == K.AUTHORITARIAN:
        return "conservative-military dictatorship" + (
            " after the right wins the civil war" if old == K.CIVIL_WAR else " without the NSDAP"
        )
    if new == K.LEFT:
        return "the united left wins the civil war; left government"
    if new == K.CIVIL_WAR:
        return "civil war between the united left and the right"
    return f"regime {K.REGIMES[old]} -> {K.REGIMES[new]}"
