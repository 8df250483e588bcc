"""A slow NumPy reference of one month of the Spain slice (plain floats and loops).

Written from the mechanism's description in ``docs/ODD.md`` section 7.22, not from the
JAX code: it replays a month on the same draws and the tests compare the two.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from abm.models.interwar.frontiers.theatres import kernel
from abm.models.interwar.spain import factions as F

ATTACK_WEIGHT = 0.5


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def advance(
    state: dict[str, Any], inp: dict[str, Any], p: dict[str, float], d: dict[str, Any]
) -> dict[str, Any]:
    """One month; ``state`` and the result map field names to NumPy values."""
    tab, kern = F.faction_data(), kernel()
    t = int(state["month"])
    out = {k: (np.array(v, np.float64) if np.ndim(v) else v) for k, v in state.items()}
    out = {
        k: (v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v) for k, v in out.items()
    }
    u, z = [float(x) for x in d["decision"]], float(d["vote"])

    if t == inp["election_month"]:
        front = u[0] < _sig(
            p["spain_front_intercept"] + p["spain_front_line"] * (inp["front_line"] - 0.5)
        )
        loss = 0.0 if front else p["spain_split_vote_loss"]
        left = min(max(p["spain_left_vote"] + p["spain_vote_sd"] * z - loss, 0.0), 1.0)
        right = min(max(1.0 - left - p["spain_centre_vote"], 0.0), 1.0)
        seats = F.SEATS * _sig(p["spain_seat_bonus"] * (left - loss - right) + p["spain_seat_bias"])
        if front:
            out["popular_front_month"] = t
        out["left_vote"], out["left_seats"] = left, seats

    strength = np.array(state["strength"], np.float64)
    held, cohesion = float(state["held"]), float(state["cohesion"])
    killed = [0.0, 0.0]
    if (
        t == inp["rising_month"]
        and float(state["left_seats"]) > 0
        and int(state["war_month"]) < 0
        and int(state["winner"]) == 0
    ):
        left_gov = float(state["left_seats"]) > F.SEATS / 2
        if u[1] < (p["spain_rising_left"] if left_gov else p["spain_rising_right"]):
            out["rising_month"] = t
            hold0 = min(max(p["spain_hold_mean"] + p["spain_hold_sd"] * z, 0.0), 1.0)
            if p["spain_rising_fails"] <= hold0 <= 1.0 - p["spain_rising_fails"]:
                out["war_month"] = t
                held, cohesion = hold0, p["spain_cohesion_start"]
                strength = np.array(tab.strength, np.float64)
                killed[1] += 1000.0 * p["spain_nationalist_terror"] * hold0 * F.POPULATION

    fighting = int(state["war_month"]) >= 0 and int(state["winner"]) == 0
    foreign = np.array(state["foreign"], np.float64)
    battle_dead = np.array(state["battle_dead"], np.float64)
    new_held, clash = held, False
    if fighting:
        months = float(t - int(state["war_month"]))
        will = [
            p["spain_italy_rate"],
            p["spain_germany_rate"] * float(inp["nazi"]),
            p["spain_ussr_rate"] * inp["aid"],
            p["spain_brigades_rate"] * inp["aid"],
        ]
        foreign = foreign + np.array(will)
        sides = [list(F.REPUBLIC), list(F.NATIONALIST)]
        totals = [strength[s].sum() for s in sides]
        for k, members in enumerate(sides):
            held_k = held if k == 1 else 1.0 - held
            grow = max(p["spain_mobilisation"] * held_k * F.POPULATION - totals[k], 0.0)
            grow = grow / p["spain_mobilisation_months"]
            grow += (will[2] + will[3]) if k == 0 else (will[0] + will[1])
            for f in members:
                strength[f] += grow * strength[f] / max(totals[k], 1e-6)
        totals = [strength[s].sum() for s in sides]
        gap = (foreign[0] + foreign[1] - foreign[2] - foreign[3]) / 10.0
        eff = (
            p["spain_effectiveness_start"] * math.exp(-months / p["spain_army_months"])
            + p["spain_aid_effect"] * gap
            + p["spain_cohesion_effect"] * (1.0 - cohesion)
        )
        eng = [p["spain_engaged"] * x for x in totals]
        ratio = math.log(max(eng[1], 1e-3) / max(eng[0], 1e-3))
        nat = ratio + ATTACK_WEIGHT * eff >= 0.0
        a, b, e = (eng[1], eng[0], eff) if nat else (eng[0], eng[1], -eff)
        x = [1.0, math.log(max(a, 1e-3) / max(b, 1e-3)), 0.0, e]
        z0, z1 = (float(v) for v in d["attrition"])
        rho = kern.residual_corr
        la = float(np.dot(kern.attacker, x)) + kern.residual_sd[0] * z0
        ld = float(np.dot(kern.defender, x)) + kern.residual_sd[1] * (
            rho * z0 + math.sqrt(1 - rho * rho) * z1
        )
        cas_a = a * (1 - math.exp(-math.exp(la) * p["spain_combat_days"]))
        cas_b = b * (1 - math.exp(-math.exp(ld) * p["spain_combat_days"]))
        won = u[3] < _sig(float(np.dot(kern.win, x)))
        cas = [cas_b, cas_a] if nat else [cas_a, cas_b]  # republic, nationalist
        if won:
            new_held = (
                held + p["spain_advance"] * (1 - held) if nat else held - p["spain_advance"] * held
            )
            new_held = min(max(new_held, 0.0), 1.0)
        for k, members in enumerate(sides):
            for f in members:
                strength[f] *= 1.0 - cas[k] / max(totals[k], 1e-6)
            battle_dead[k] += 1000.0 * p["spain_dead_share"] * cas[k]
        dissidents = (strength[F.POUM] + strength[F.CNT]) / max(totals[0], 1e-6)
        r = inp["repression"]
        target = p["spain_cohesion_start"] + p["spain_centralisation"] * r
        target = min(max(target - p["spain_resentment"] * r * dissidents, 0.0), 1.0)
        cohesion += (target - cohesion) / 12.0
        if int(state["may_days_month"]) < 0 and u[2] < p["spain_clash_rate"] * r:
            clash = True
            out["may_days_month"] = t
            strength[F.POUM] = 0.0
            strength[F.CNT] *= 1.0 - p["spain_clash_cnt_loss"]
            cohesion *= 1.0 - p["spain_clash_cohesion_loss"]
            killed[0] += p["spain_clash_deaths"]
        killed[1] += (
            1000.0 * p["spain_nationalist_terror"] * max(new_held - held, 0.0) * F.POPULATION
        )
        killed[0] += (
            1000.0
            * p["spain_republican_terror"]
            * (1.0 - cohesion)
            * (1.0 - new_held)
            * F.POPULATION
            * math.exp(-months / p["spain_terror_months"])
        )
        end = p["spain_end_share"]
        if new_held >= 1.0 - end or (cohesion < p["spain_collapse_cohesion"] and new_held > 0.5):
            out["winner"], out["end_month"] = F.NATIONALISTS_WON, t
        elif new_held <= end:
            out["winner"], out["end_month"] = F.REPUBLIC_WON, t
        held = new_held
    del clash
    out.update(
        month=t + 1,
        held=held,
        strength=strength,
        cohesion=cohesion,
        foreign=foreign,
        battle_dead=battle_dead,
        repression=np.array(state["repression"], np.float64) + np.array(killed),
    )
    return out
