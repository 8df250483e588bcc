"""The Soviet slice's chronicle of one run: succession, harvests, famine, terror, China."""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.models.interwar.calendar import Calendar
from abm.models.interwar.soviet import constants as K


def chronicle(states: Any, initial: Any, calendar: Calendar) -> list[tuple[str, str]]:
    """Events of one run, ``(YYYY-MM, text)``, from its monthly states (leading month axis)."""
    cal = calendar
    lead, lead0 = states.leadership, initial.leadership
    active = np.concatenate([[lead0.active], lead.active])
    ruler = np.concatenate([[lead0.ruler], lead.ruler])
    intensity = np.concatenate([[initial.security.intensity], states.security.intensity])
    purged = np.concatenate([[initial.china.purged], states.china.purged])
    members = np.concatenate([[initial.china.members], states.china.members])
    famine = np.concatenate([[initial.ledger.famine_deaths[0]], states.ledger.famine_deaths[:, 0]])
    years = list(cal.year_labels)
    out: list[tuple[str, str]] = []
    for t in range(cal.n_months):
        lab = cal.label(t)
        for f in np.flatnonzero(active[t] & ~active[t + 1]):
            out.append((lab, f"{K.FACTIONS[f]}'s faction is expelled from the leadership"))
        if ruler[t + 1] >= 0 > ruler[t]:
            out.append((lab, f"{K.FACTIONS[ruler[t + 1]]} establishes personal rule"))
        if lab == K.LEADER_MONTH and ruler[t + 1] < 0:
            shares = ", ".join(
                f"{K.FACTIONS[f]} {100 * lead.power[t][f]:.0f}%"
                for f in np.argsort(-lead.power[t])
                if lead.active[t][f]
            )
            out.append((lab, f"collective leadership at the end of 1929 (power: {shares})"))
        if cal.months[t] == 8 and cal.years[t] >= 1928:
            y = years.index(int(cal.years[t]))
            led = states.ledger
            out.append(
                (
                    lab,
                    f"USSR harvest {led.harvest[t][y]:.1f} Mt; procured "
                    f"{led.procurement[t][y]:.1f} Mt, exported {led.exports[t][y]:.1f} Mt; "
                    f"kolkhozes {100 * states.blocs.collectivised[t].mean():.0f}% of households",
                )
            )
        if cal.months[t] == 12 and famine[t + 1] - famine[t - 11 if t >= 11 else 0] > 0.01:
            lost = famine[t + 1] - famine[max(t - 11, 0)]
            out.append((lab, f"{cal.years[t]}: famine deaths {lost:.2f} M in the peasant blocs"))
        if intensity[t + 1] > 0 and intensity[t] == 0:
            out.append((lab, f"the terror begins (intensity {intensity[t + 1]:.2f} of 1937-38's)"))
        if purged[t + 1] and not purged[t]:
            out.append(
                (
                    lab,
                    f"the KMT breaks with the communists: CCP {members[t]:,.0f} -> "
                    f"{members[t + 1]:,.0f} members",
                )
            )
        if lab == K.QUALITY_MONTH:
            sec = states.security
            out.append(
                (
                    lab,
                    f"Red Army {sec.army[t]:,.0f} thousand, command quality "
                    f"{sec.quality[t]:.2f}; terror executions 1936-39 {sec.executions[t]:,.0f}, "
                    f"officers discharged {sec.officers_purged[t]:,.0f}",
                )
            )
    return out
