"""A slow NumPy reference of one month of the frontiers slice (loops over theatres).

Written from the mechanism's description in ``docs/ODD.md`` section 7.21, not from the
JAX code: it replays a month on the same draws and the tests compare the two.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from abm.models.interwar.frontiers import theatres as T

CLASH_MONTHS = 4
WAR_MONTHS = 12
DEMAND_DELAY = 2


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def advance(
    state: dict[str, Any],
    inp: dict[str, Any],
    p: dict[str, float],
    draws: dict[str, np.ndarray],
) -> dict[str, Any]:
    """One month; ``state`` and the result map field names to NumPy values."""
    tab, kern = T.theatres(), T.kernel()
    n = len(T.THEATRES)
    t = int(state["month"])
    q = float(inp["quality"])
    status = [int(s) for s in state["status"]]
    start = [int(s) for s in state["start"]]
    end = [int(s) for s in state["end"]]
    force = np.array(state["force"], np.float64)
    dead = np.array(state["dead"], np.float64)
    cas_total = np.array(state["casualties"], np.float64)
    wins = [int(w) for w in state["wins"]]
    q_opp = [p["japanese_army_quality"], p["japanese_army_quality"], p["finnish_army_quality"]]

    # Japanese probes, once the war in China has begun.
    china = inp["china_war_month"] >= 0 and t >= inp["china_war_month"]
    began = [False] * n
    for c in T.CLASHES:
        hazard = p["probe_rate"] * math.exp(p["probe_weakness"] * (q_opp[c] - q))
        if china and status[c] == T.QUIET and draws["probe"][c] < hazard:
            began[c] = True

    # Finland: demand, refusal.
    demand_month = int(state["demand_month"])
    if inp["war_month"] >= 0 and t == inp["war_month"] + DEMAND_DELAY and demand_month < 0:
        if inp["pact"]:
            pd = p["finland_demand_pact"]
        elif inp["alliance"]:
            pd = p["finland_demand_allied"]
        else:
            pd = p["finland_demand_alone"]
        if draws["decision"][0] < pd:
            demand_month = t
    old_demand = int(state["demand_month"])
    if (
        old_demand >= 0
        and t == old_demand + 1
        and draws["decision"][1] < p["finland_refuses"]
        and status[T.FINLAND] == T.QUIET
    ):
        began[T.FINLAND] = True
    initial = [(float(tab.soviet_force[i]), float(tab.opponent_force[i])) for i in range(n)]
    for i in range(n):
        if began[i]:
            status[i], start[i] = T.FIGHTING, t
            force[i] = initial[i]

    # Battles; in Finland, after a repulsed offensive, perhaps a month of regrouping.
    won = [False] * n
    repulsed = [0] * n
    sd_a, sd_d = float(kern.residual_sd[0]), float(kern.residual_sd[1])
    rho = kern.residual_corr
    for i in range(n):
        if status[i] != T.FIGHTING:
            continue
        grow = math.exp(p["winter_war_reinforcement"]) if i == T.FINLAND else 1.0
        if (
            i == T.FINLAND
            and int(state["repulsed"][i]) == 1
            and draws["regroup"] < p["winter_war_regroup"]
        ):
            force[i, 0] *= grow  # reinforced, no offensive
            continue
        e = (q - q_opp[i]) / p["quality_per_effectiveness"]
        ratio = math.log(max(force[i, 0], 1e-3) / max(force[i, 1], 1e-3))
        x = [1.0, ratio, float(tab.prepared[i]), e]
        z0, z1 = float(draws["attrition"][i, 0]), float(draws["attrition"][i, 1])
        la = sum(a * b for a, b in zip(kern.attacker, x, strict=True)) + sd_a * z0
        ld = sum(a * b for a, b in zip(kern.defender, x, strict=True)) + sd_d * (
            rho * z0 + math.sqrt(1 - rho * rho) * z1
        )
        cas = [
            force[i, 0] * (1 - math.exp(-math.exp(la) * p["combat_days"])),
            force[i, 1] * (1 - math.exp(-math.exp(ld) * p["combat_days"])),
        ]
        won[i] = draws["battle"][i] < _sigmoid(sum(a * b for a, b in zip(kern.win, x, strict=True)))
        shares = (p["dead_share_ussr"], p["dead_share_opponent"])
        for s in range(2):
            cas_total[i, s] += 1000.0 * cas[s]
            dead[i, s] += 1000.0 * cas[s] * shares[s]
            force[i, s] -= cas[s]
        force[i, 0] *= grow
        wins[i] += int(won[i])
        repulsed[i] = int(not won[i])

    # Endings.
    japan_war = int(state["japan_war_month"])
    escalated = False
    for i in range(n):
        if status[i] != T.FIGHTING:
            continue
        months = t - start[i] + 1
        over = False
        if i in T.CLASHES:
            p_esc = _sigmoid(p["escalation_intercept"] + p["escalation_weakness"] * (q_opp[i] - q))
            if won[i]:
                over = True
            elif draws["decision"][2] < p_esc and int(state["japan_war_month"]) < 0:
                over, escalated = True, True
            elif months >= CLASH_MONTHS:
                over = True
        else:
            gives = (
                wins[i] >= p["finland_peace_wins"]
                or cas_total[i, 1] >= 1000.0 * p["finland_loss_tolerance"] * initial[i][1]
            )
            settles = dead[i, 0] >= 1000.0 * p["soviet_loss_tolerance"]
            over = gives or settles or months >= WAR_MONTHS
        if over:
            status[i], end[i] = T.OVER, t
    if escalated:
        japan_war = t
    poland = int(state["poland_month"])
    if inp["pact_month"] >= 0 and t == inp["pact_month"] + 1:
        poland = t
    annex = np.array(state["annex_month"]).copy()
    busy = inp["west_busy_month"]
    if inp["war_month"] >= 0 and busy >= inp["war_month"] and t == busy:
        if inp["pact"]:
            chance = p["annex_pact"]
        else:
            chance = 0.0 if inp["alliance"] else p["annex_alone"]
        for k in range(len(annex)):
            if annex[k] < 0 and float(draws["annex"][k]) < chance:
                annex[k] = t
    return {
        "month": t + 1,
        "status": np.array(status),
        "start": np.array(start),
        "end": np.array(end),
        "force": force,
        "dead": dead,
        "casualties": cas_total,
        "wins": np.array(wins),
        "repulsed": np.array(repulsed),
        "demand_month": demand_month,
        "poland_month": poland,
        "japan_war_month": japan_war,
        "annex_month": annex,
    }
