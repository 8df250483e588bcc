"""The China slice's chronicle of one run: the soviets, Manchuria, the front, the war."""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.models.calendar import Calendar
from abm.models.interwar.china import actors as A


def chronicle(states: Any, initial: Any, calendar: Calendar) -> list[tuple[str, str]]:
    """Events of one run, ``(YYYY-MM, text)``, from its monthly states (leading month axis)."""
    del initial
    s = states
    last = {k: v[-1] for k, v in s.__dict__.items()}
    lab = calendar.label
    out: list[tuple[str, str]] = []
    soviets = np.flatnonzero(s.ccp_phase >= A.SOVIETS)
    if soviets.size:
        t = int(soviets[0])
        out.append(
            (
                lab(t),
                f"China: the CCP's Red Army takes to the countryside, "
                f"{1000 * s.strength[t][A.CCP]:,.0f} men",
            )
        )
    fought = np.flatnonzero(np.diff(np.concatenate([[0], s.campaign_months])) > 0)
    if fought.size:
        out.append(
            (lab(int(fought[0])), "the KMT's first encirclement campaign against the soviets")
        )
    march = int(last["march_month"])
    if march >= 0:
        out.append(
            (
                lab(march),
                f"the Red Army breaks out of its soviets: the Long March, "
                f"{1000 * s.strength[march][A.CCP]:,.0f} men",
            )
        )
    manchuria = int(last["manchuria_month"])
    if manchuria >= 0:
        out.append((lab(manchuria), "Japan's army strikes in Manchuria"))
    front = int(last["front_month"])
    if front >= 0:
        out.append((lab(front), "the KMT and the CCP unite against Japan"))
    war = int(last["war_month"])
    if war >= 0:
        out.append((lab(war), "Japan's full-scale war on China begins"))
        for t in range(war + 1, len(s.occupied)):
            if calendar.months[t] == 12:
                cas = 1000 * s.war_cas[t]
                out.append(
                    (
                        lab(t),
                        f"China: Japan holds {100 * s.occupied[t]:.0f}% of the people; "
                        f"{cas[0]:,.0f} Chinese and {cas[1]:,.0f} Japanese battle casualties; "
                        f"the CCP's armies {1000 * s.strength[t][A.CCP]:,.0f} men",
                    )
                )
    return out
