"""A slow NumPy reference of one month of the diplomacy slice (loops over states).

Written from the slice's description (``docs/ODD.md``, the diplomacy section), not by
translating its JAX code: every state's capability, each pair's propensity and threat,
Munich, the crisis's decisions and the sides chosen state by state.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from abm.models.interwar.diplomacy import states as S
from abm.models.interwar.diplomacy.month import ROUNDS


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def advance(state: dict[str, Any], tab: Any, inp: dict[str, Any], p: dict[str, float]) -> dict:
    """One month; ``state`` and the result are dicts of NumPy values (one run)."""
    n = S.N_STATES
    t = int(state["month"])
    nazi = bool(inp["nazi"])
    yi = int(inp["year_index"])
    cap = np.array([float(tab.capability[i, yi]) for i in range(n)])
    if not nazi:
        base = float(tab.capability[S.GERMANY, 1932 - S.FIRST_YEAR])
        cap[S.GERMANY] -= p["rearmament_capability"] * max(cap[S.GERMANY] - base, 0.0)
    cap[S.USSR] *= 1.0 + (inp["army_ratio"] - 1.0) / 6.0

    regime = [int(r) for r in tab.regime]
    regime[S.GERMANY] = S.FASCIST if nazi else S.DEMOCRACY
    prop = np.zeros((n, n))
    near = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            near[i, j] = math.exp(-float(tab.distance[i, j]) / p["distance_scale"])
            if i == j:
                continue
            v = (
                p["weight_ideology"] * float(S.AFFINITY[regime[i], regime[j]])
                - p["weight_dispute"] * float(tab.dispute[i, j])
                - p["weight_war"] * float(tab.war[i, j])
                + p["weight_treaty"] * float(tab.treaty[i, j])
            )
            for a, b in ((i, j), (j, i)):
                if b == S.USSR and regime[a] != S.COMMUNIST:
                    from_lever = float(S.ANTICOMMUNISM_FROM_LEVER[regime[a]])
                    fear = from_lever * p["western_anticommunism"] + (1.0 - from_lever)
                    v -= p["comintern_hostility"] * inp["comintern_export"] * fear
            prop[i, j] = v
    threat = np.array(state["threat"], np.float64)
    for i in range(n):
        for j in range(n):
            target = cap[j] * near[i, j] * max(-prop[i, j], 0.0)
            threat[i, j] += (target - threat[i, j]) / p["threat_months"]

    wac = p["western_anticommunism"]
    chance = state["chance"]
    munich, prague = int(state["munich_month"]), int(state["prague_month"])
    if nazi and t == inp["munich_month"] and munich < 0:
        x = (
            p["appeasement_intercept"]
            + p["appeasement_anticommunism"] * (wac - 0.5)
            - p["appeasement_partner"] * (inp["collective_security"] - 0.5)
        )
        if chance[0] < _sigmoid(x):
            munich, prague = t, t + S.PRAGUE_DELAY_MONTHS

    side = np.array(state["side"], np.int64)
    pact, alliance, turned = (
        int(state[k]) for k in ("pact_month", "alliance_month", "intervention_month")
    )
    war = int(state["war_month"])
    if t == inp["crisis_month"] and side[0] < 0:
        if not nazi:
            side[:] = S.NEUTRAL
        else:
            war = t
            west = (S.UK, S.FRANCE)
            f_u = sum(threat[w, S.USSR] for w in west) / 2
            f_g = sum(threat[w, S.GERMANY] for w in west) / 2
            balance = (f_u - f_g) / max(f_u + f_g, 1e-9)
            turn = chance[2] < _sigmoid(
                p["intervention_intercept"]
                + p["intervention_threat"] * balance
                + p["intervention_activism"] * wac * inp["comintern_export"]
            )
            offer = (not turn) and chance[1] < _sigmoid(
                p["west_offer_intercept"]
                - p["west_offer_anticommunism"] * wac * (1.0 + inp["comintern_export"])
            )
            u = [
                p["pact_weight"] * inp["pact_willingness"] + p["pact_gain"],
                p["alliance_weight"] * inp["collective_security"] - p["alliance_distrust"] * wac
                if offer
                else -1e9,
                0.0,
            ]
            u = [a + b for a, b in zip(u, state["choice_noise"], strict=True)]
            choice = int(np.argmax(u))
            if choice == 0:
                pact = t
            if choice == 1:
                alliance = t
            if turn:
                turned = t
            occupied = prague >= 0 and t >= prague
            fixed = {
                S.USSR: S.ALLIED if choice == 1 else S.SOVIET,
                S.GERMANY: S.AXIS,
                S.UK: S.ALLIED,
                S.FRANCE: S.ALLIED,
            }
            if not turn:
                fixed[S.POLAND] = S.ALLIED
            if occupied:
                fixed[S.CZECHOSLOVAKIA] = S.AXIS
            now = [fixed.get(i, S.NEUTRAL) for i in range(n)]
            for _ in range(ROUNDS):
                nxt = list(now)
                for i in range(n):
                    if i in fixed:
                        continue
                    scores = []
                    for k in range(len(S.SIDES)):
                        if k == S.NEUTRAL:
                            pull = p["neutrality_value"]
                        else:
                            pull = sum(
                                cap[j] * near[i, j] * prop[i, j] for j in range(n) if now[j] == k
                            )
                        if k == S.ALLIED and not turn:
                            pull += p["guarantee_pull"] * float(tab.dispute[i, S.GERMANY])
                        scores.append(pull + p["alignment_noise"] * state["side_noise"][i][k])
                    nxt[i] = int(np.argmax(scores))
                now = nxt
            side = np.array(now, np.int64)
    return {
        "month": t + 1,
        "capability": cap,
        "threat": threat,
        "side": side,
        "munich_month": munich,
        "prague_month": prague,
        "war_month": war,
        "pact_month": pact,
        "alliance_month": alliance,
        "intervention_month": turned,
    }
