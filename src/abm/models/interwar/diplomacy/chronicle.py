"""The diplomacy slice's chronicle of one run: Munich, Prague, the 1939 crisis and sides."""

from __future__ import annotations

from typing import Any

from abm.models.calendar import Calendar
from abm.models.interwar.diplomacy import states as S


def chronicle(states: Any, initial: Any, calendar: Calendar) -> list[tuple[str, str]]:
    """Events of one run, ``(YYYY-MM, text)``, from its monthly states (leading month axis)."""
    del initial
    last = {k: v[-1] for k, v in states.__dict__.items()}
    lab = calendar.label
    out: list[tuple[str, str]] = []
    for key, text in (
        ("munich_month", "the West gives way over Czechoslovakia (Munich)"),
        ("prague_month", "Germany occupies what is left of Czechoslovakia"),
        ("pact_month", "the USSR and Germany make a pact"),
        ("alliance_month", "Britain, France and the USSR make an alliance against Germany"),
        ("intervention_month", "the West turns against the USSR"),
    ):
        t = int(last[key])
        if 0 <= t < calendar.n_months:
            out.append((lab(t), text))
    war = int(last["war_month"])
    if war >= 0:
        side = last["side"]
        camps = "; ".join(
            f"{S.SIDES[k]}: {', '.join(S.STATES[i] for i in range(S.N_STATES) if side[i] == k)}"
            for k in range(len(S.SIDES))
            if (side == k).any()
        )
        out.append((lab(war), f"the European war begins; sides: {camps}"))
    return out
