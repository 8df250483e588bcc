"""A slow NumPy reference of one month of the China slice (plain floats).

Written from the mechanism's description in ``docs/ODD.md`` section 7.23 (and the
month's docstring), not from the JAX code: it replays a month on the same draws and the
tests compare the two.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from abm.models.interwar.frontiers.theatres import kernel

KMT, MIL, CCP, JAPAN = range(4)
BEFORE, SOVIETS, MARCH, NORTHWEST = range(4)


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def battle(
    att: float, dfn: float, eff: float, z: Any, u: float, days: float
) -> tuple[float, float, bool]:
    """The CDB90 kernel's month of battle: (attacker's, defender's casualties, won)."""
    kern = kernel()
    x = [1.0, math.log(max(att, 1e-3) / max(dfn, 1e-3)), 0.0, eff]
    z0, z1 = float(z[0]), float(z[1])
    rho = kern.residual_corr
    la = float(np.dot(kern.attacker, x)) + kern.residual_sd[0] * z0
    ld = float(np.dot(kern.defender, x)) + kern.residual_sd[1] * (
        rho * z0 + math.sqrt(1 - rho * rho) * z1
    )
    return (
        att * (1 - math.exp(-math.exp(la) * days)),
        dfn * (1 - math.exp(-math.exp(ld) * days)),
        u < _sig(float(np.dot(kern.win, x))),
    )


def advance(
    state: dict[str, Any], inp: dict[str, Any], p: dict[str, float], d: dict[str, Any]
) -> dict[str, Any]:
    """One month; ``state`` and the result map field names to NumPy values."""
    q = {k[len("china_") :]: v for k, v in p.items()}
    t = int(state["month"])
    u = [float(x) for x in d["decision"]]
    z = np.asarray(d["attrition"], np.float64)
    s = [float(x) for x in state["strength"]]
    phase = phase0 = int(state["ccp_phase"])
    out = {k: (np.array(v, np.float64) if np.ndim(v) else v) for k, v in state.items()}

    ccp = s[CCP]
    purge = int(state["purge_month"])
    if purge < 0 and inp["purged"]:
        purge = t
    if phase == BEFORE and purge >= 0 and t - purge >= q["soviet_delay"]:
        ccp, phase = inp["members"] * q["army_per_member"] / 1000.0, SOVIETS
    ccp_start = ccp

    gov = s[KMT] + s[MIL]
    share = s[KMT] / max(gov, 1e-6)
    share += q["unification"] * (1 - share)
    gov += (max(inp["china_men"] - ccp, 0.0) - gov) / q["replace_months"]
    kmt, mil = gov * share, gov * (1 - share)

    manchuria = int(state["manchuria_month"])
    if manchuria < 0 and t >= inp["manchuria_month"] and u[0] < q["manchuria_hazard"] * share:
        manchuria = t
    since = t - manchuria
    m_on = manchuria >= 0 and since < q["manchuria_months"]
    m_over = int(state["manchuria_month"]) >= 0 and since >= q["manchuria_months"]
    front0 = 1.0 if int(state["front_month"]) >= 0 else 0.0
    war = int(state["war_month"])
    if war < 0 and m_over and u[1] < q["war_hazard"] * (1 + q["war_front_effect"] * front0):
        war = t
    at_war = war >= 0

    if at_war:
        target, months = q["japan_commit"] * inp["japan_men"], q["war_buildup"]
    else:
        target, months = (q["manchuria_force"] if manchuria >= 0 else 0.0), 1.0
    japan = s[JAPAN] + (target - s[JAPAN]) / months

    pressure = min(float(state["occupied"]) / q["manchuria_share"], 3.0)
    front = int(state["front_month"])
    if (
        front < 0
        and (phase == NORTHWEST or (at_war and phase > 0))
        and u[2] < q["front_hazard"] * inp["front_line"] * pressure
    ):
        front = t
    united = 1.0 if front >= 0 else 0.0

    days = q["combat_days"]
    civil_cas = np.array(state["civil_cas"], np.float64)
    learning = float(state["kmt_learning"])
    campaign = (
        phase in (SOVIETS, NORTHWEST)
        and front < 0
        and t >= inp["campaign_month"]
        and u[3] < q["campaign_hazard"]
    )
    breakout = False
    if campaign:
        a, b, won = battle(
            q["engaged"] * q["campaign_share"] * kmt,
            ccp,
            learning - q["ccp_edge"],
            z[0],
            u[5],
            days,
        )
        kmt, ccp = kmt - a, ccp - b
        civil_cas += np.array([a, b])
        learning += q["kmt_learning"]
        noose = min(learning / max(q["ccp_edge"], 0.1), 1.0)
        breakout = won and phase == SOVIETS and u[4] < q["breakout_prob"] * noose
    march = t if breakout else int(state["march_month"])

    manchuria_cas = np.array(state["manchuria_cas"], np.float64)
    occupied = float(state["occupied"])
    if m_on:
        a, b, _ = battle(
            q["engaged"] * japan, q["engaged"] * mil, q["japan_edge"], z[1], u[6], days
        )
        japan, mil = japan - a, mil - b
        manchuria_cas += np.array([b, a])
        taken = q["manchuria_share"] * min(max((since + 1) / q["manchuria_months"], 0.0), 1.0)
        occupied = max(occupied, taken)

    war_cas = np.array(state["war_cas"], np.float64)
    aid = float(state["aid"])
    if at_war:
        eff = q["japan_edge"] - q["front_effect"] * united - q["aid_effect"] * inp["aid"]
        a, b, won = battle(q["engaged"] * japan, q["engaged"] * (kmt + mil), eff, z[2], u[7], days)
        part = kmt / max(kmt + mil, 1e-6)
        japan, kmt, mil = japan - a, kmt - b * part, mil - b * (1 - part)
        war_cas += np.array([b, a])
        if won:
            occupied += q["war_advance"] * max(q["occupation_limit"] - occupied, 0.0)
        aid += inp["aid"]

    rate = 0.0
    if phase == SOVIETS:
        rate += q["soviet_growth"] * (1 - ccp / q["soviet_ceiling"])
    if phase == NORTHWEST:
        rate += q["northwest_growth"]
    if at_war and phase != BEFORE:
        rate += (
            q["war_ccp_growth"]
            * min(occupied / q["occupation_limit"], 1.0)
            * (1 - ccp / q["war_ceiling"])
        )
    if phase == MARCH:
        civil_cas[1] += ccp * q["march_loss"]
        ccp *= 1 - q["march_loss"]
    else:
        ccp *= 1 + rate
    ccp = max(ccp, 0.0)
    if breakout:
        phase = MARCH
    elif phase == MARCH and t - int(state["march_month"]) + 1 >= q["march_months"]:
        phase = NORTHWEST
    growth = 1.0
    if phase0 != BEFORE:
        growth = max(ccp, 1e-6) / max(ccp_start, 1e-6)
        growth *= (1 + q["party_drift"]) if at_war else 1.0

    record = np.asarray(inp["record"], bool)
    out.update(
        month=t + 1,
        purge_month=purge,
        strength=np.clip([kmt, mil, ccp, japan], 0.0, None),
        ccp_phase=phase,
        ccp_growth=growth,
        kmt_learning=learning,
        campaign_months=int(state["campaign_months"]) + int(campaign),
        march_month=march,
        manchuria_month=manchuria,
        front_month=front,
        war_month=war,
        occupied=occupied,
        aid=aid,
        manchuria_cas=manchuria_cas,
        war_cas=war_cas,
        civil_cas=civil_cas,
        ccp_army=np.where(record, ccp, np.asarray(state["ccp_army"], np.float64)),
    )
    return out
