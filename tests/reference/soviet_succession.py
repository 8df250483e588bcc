"""Reference of the Soviet succession and the terror (plain NumPy, float32, loops).

Written from ``docs/ODD.md`` ("Soviet succession", "Purges") without calling the JAX
modules: coalitions in the Central Committee, showdowns any faction may start, personal
rule and its end (death, revolt, coup), the terror wave from insecurity and propensity,
the army's growth and its command. Module constants the ODD names are restated here
(``test_reference_soviet.py`` checks that they agree with the model's).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.models.interwar.soviet import constants as K

from .soviet_base import REINSTATEMENT_MONTHS, RIVAL_CEILING, WINNER_TAKE, F, clip, record, total

#: Resource columns: apparatus, army, police, the party's base.
APP, ARMY, POLICE, BASE = range(4)
#: Uniform draws of the struggle (``events``) and of the terror wave.
EV_CONTEST, EV_CONTEST_WIN, EV_CONSOLIDATE = 0, 1, 2
EV_DEATH, EV_ATTEMPT, EV_ATTEMPT_WIN, EV_ASSASSIN, EV_TERROR = 4, 5, 6, 7, 8
N_EVENTS = 9
ATTACK_DISTANCE = F(0.5)
TERROR_ELITE = F(5.0)
DEBATE_LEVERS = (K.P_INDUSTRIALISATION, K.P_COLLECTIVISATION, K.P_EXPORT, K.P_TRADE)
BIRTH_YEAR = (F(1878.96), F(1879.84), F(1883.75), F(1888.78), None)
END_DEATH, END_REVOLT, END_COUP = 1, 2, 3
TERROR_FROM = 1934
NF, NR = K.N_FACTIONS, 4


def sigmoid(x: Any) -> np.float32:
    return F(1.0) / (F(1.0) + np.exp(-F(x)))


def first_argmax(values: list) -> int:
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


def norm1(x: np.ndarray, active: np.ndarray) -> np.ndarray:
    y = np.array([max(F(x[f]), F(0.0)) if active[f] else F(0.0) for f in range(NF)], F)
    return (y / max(total(y), F(1e-12))).astype(F)


def norm2(x: np.ndarray, active: np.ndarray) -> np.ndarray:
    return np.stack([norm1(x[:, r], active) for r in range(x.shape[1])], axis=1).astype(F)


def norm(x: np.ndarray, active: np.ndarray) -> np.ndarray:
    return norm1(x, active) if x.ndim == 1 else norm2(x, active)


def distances(th: dict) -> np.ndarray:
    """Mean absolute distance of the factions' platforms on the 1920s debates' levers."""
    lev = [K.POLICY_LEVERS[j] for j in DEBATE_LEVERS]
    v = np.array([[th[f"{name}.{f}"] for name in lev] for f in K.FACTIONS], F)
    d = np.zeros((NF, NF), F)
    for i in range(NF):
        for k in range(NF):
            d[i, k] = F(np.mean(np.abs(v[i] - v[k]), dtype=F))
    return d


def strength(s: np.ndarray, res: np.ndarray, active: np.ndarray, fw: Any) -> np.ndarray:
    x = np.array([s[f] + fw * (F(0.5) * (res[f, ARMY] + res[f, POLICE])) for f in range(NF)], F)
    return norm1(x, active)


def side(x: np.ndarray, active: np.ndarray, d: np.ndarray, i: int, j: int, th: dict) -> Any:
    """Attacker ``i``'s expected share against ``j``: its strength and the thirds' leaning."""
    lean = [
        sigmoid(th["policy_affinity"] * (d[k, j] - d[k, i]) + th["bandwagon"] * (x[i] - x[j]))
        * x[k]
        for k in range(NF)
        if active[k] and k not in (i, j)
    ]
    return x[i] + total(lean) if lean else x[i]


def pick(h: list, u: Any) -> tuple[bool, int]:
    cum, c = [], F(0.0)
    for v in h:
        c = F(c + v)
        cum.append(c)
    which = next((k for k, v in enumerate(cum) if u < v), 0)
    return bool(u < cum[-1]), which


def transfer(x, loser, winner, stake, happens, active):
    """The loser gives ``stake`` of ``x``: ``WINNER_TAKE`` to the winner, the rest pro rata."""
    x = x.astype(F).copy()
    if happens:
        lost = stake * x[loser]
        others = [f for f in range(NF) if active[f] and f not in (loser, winner)]
        rest = np.sum(np.stack([x[f] for f in others]), axis=0, dtype=F) if others else 0 * lost
        to_rest = np.where(rest > 0, (F(1.0) - WINNER_TAKE) * lost, F(0.0)).astype(F)
        safe = np.maximum(rest, F(1e-12))
        for f in others:
            x[f] = x[f] + x[f] / safe * to_rest
        x[loser] = x[loser] - lost
        x[winner] = x[winner] + (lost - to_rest)
    return norm(x, active)


def collective(s, res, act, th, shortfall, z, u, d, trace):
    """Patronage, a showdown any faction may start, policy failure, noise, expulsion,
    consolidation; returns ``(s, res, active, consolidate)``."""
    p = th
    pull = [
        (F(1.0) - p["base_weight"]) * res[f, APP] + p["base_weight"] * res[f, BASE]
        for f in range(NF)
    ]
    s = norm1(np.array([s[f] + p["apparatus_pull"] * (pull[f] - s[f]) for f in range(NF)], F), act)
    boss = first_argmax([res[f, APP] if act[f] else F(-1.0) for f in range(NF)])
    res = res.copy()
    res[boss, APP] = res[boss, APP] * (F(1.0) + p["secretariat_growth"])
    res = norm2(res, act)
    # Showdown.
    x = strength(s, res, act, p["force_weight"])
    named = [bool(act[f]) and f != K.OTHERS for f in range(NF)]
    n_named = sum(named)
    targets, chances = [], []
    for i in range(NF):
        score = [
            x[j] * (ATTACK_DISTANCE + d[i, j]) if named[j] and j != i else F(-1.0)
            for j in range(NF)
        ]
        j = first_argmax(score)
        targets.append(j)
        has = named[i] and n_named > 1
        chances.append(
            sigmoid(p["contest_sharpness"] * (F(2.0) * side(x, act, d, i, j, p) - F(1.0)))
            if has
            else F(0.0)
        )
    conf = p["attack_confidence"]
    h = [
        p["contest_rate"] * clip((c - conf) / max(F(1.0) - conf, F(1e-6)), 0.0, 1.0)
        for c in chances
    ]
    happens, attacker = pick(h, u[EV_CONTEST])
    record(trace, "contest", u[EV_CONTEST], sum(h), happens)
    wins = False
    if happens:
        c = chances[attacker]
        wins = record(trace, "attacker_wins", u[EV_CONTEST_WIN], c, u[EV_CONTEST_WIN] < c)
    loser, winner = (targets[attacker], attacker) if wins else (attacker, targets[attacker])
    s = transfer(s, loser, winner, p["contest_stake"], happens, act)
    res = transfer(res, loser, winner, p["contest_stake"], happens, act)
    # Policy failure.
    moved = p["harvest_crisis_shift"] * clip(shortfall, 0.0, 1.0) * s[K.BUKHARIN]
    rest = [f for f in range(NF) if act[f] and f != K.BUKHARIN]
    held = total([s[f] for f in rest]) if rest else F(0.0)
    s = s.copy()
    for f in rest:
        s[f] = s[f] + s[f] / max(held, F(1e-12)) * moved
    s[K.BUKHARIN] = s[K.BUKHARIN] - moved
    # Noise, expulsion.
    s = norm1(np.array([s[f] * np.exp(p["power_noise_sd"] * z[f]) for f in range(NF)], F), act)
    top = first_argmax(list(s))
    n_active = int(np.sum(act))
    act = act.copy()
    for f in range(NF):
        if act[f] and n_active > 1 and f != top:
            if record(trace, "expelled", s[f], p["expel_share"], s[f] < p["expel_share"]):
                act[f] = False
    s, res = norm1(s, act), norm2(res, act)
    # Consolidation.
    top = first_argmax(list(s))
    strongest = max(
        [s[f] for f in range(NF) if act[f] and f not in (top, K.OTHERS)], default=F(0.0)
    )
    chance = F(1.0) - np.exp(
        -(p["consolidation_rate"] * p[f"personal_rule_propensity.{K.FACTIONS[top]}"])
    )
    consolidate = (
        record(
            trace,
            "dominant",
            s[top],
            p["consolidation_threshold"],
            s[top] >= p["consolidation_threshold"],
        )
        and record(trace, "rivals_broken", strongest, RIVAL_CEILING, strongest <= RIVAL_CEILING)
        and record(trace, "consolidate", u[EV_CONSOLIDATE], chance, u[EV_CONSOLIDATE] < chance)
    )
    return s, res, act, consolidate, top


def succession(
    lead: dict, th: dict, pr: dict, z: Any, u: Any, t: int, leader_month: int, trace: Any
) -> None:
    """One month of the struggle and of personal rule (in place)."""
    p = th
    decay = np.exp(F(-1.0) / (F(12.0) * p["insecurity_memory"]))
    assassination = record(
        trace,
        "assassination",
        u[EV_ASSASSIN],
        p["assassination_rate"],
        u[EV_ASSASSIN] < p["assassination_rate"],
    )
    alarm = lead["alarm"] * decay + F(assassination)
    disaster = lead["disaster"] * decay + max(F(pr["famine"]), F(0.0))
    grievance = lead["grievance"] * decay + max(F(pr["discharged"]), F(0.0))
    ruler = int(lead["ruler"])
    ruled, r = ruler >= 0, max(ruler, 0)
    # Deaths.
    h = []
    for f in range(NF):
        b = BIRTH_YEAR[f]
        if b is None or not lead["active"][f]:
            h.append(F(0.0))
            continue
        q = clip(
            p["mortality_50"] * np.exp2((F(pr["year"]) - b - F(50.0)) / p["mortality_doubling"]),
            0.0,
            1.0,
        )
        h.append(q / F(12.0))
    dies, dead = pick(h, u[EV_DEATH])
    record(trace, "death", u[EV_DEATH], sum(h), dies)
    act = lead["active"].copy()
    if dies:
        act[dead] = False
    if not act.any():
        act = lead["active"].copy()
    s, res = norm1(lead["power"], act), norm2(lead["resources"], act)
    ruler_died = ruled and dies and dead == r
    d = distances(th)
    new_rule, ended, cause, top = False, False, 0, -1
    if not ruled:
        s, res, act, new_rule, top = collective(s, res, act, th, pr["shortfall"], z, u, d, trace)
    else:
        keep = [
            F(1.0)
            if f == r
            else F(1.0) - p["rival_decay"] * (F(1.0) + TERROR_ELITE * F(pr["terror"]))
            for f in range(NF)
        ]
        keep = [clip(k, 0.0, 1.0) for k in keep]
        s = norm1(np.array([s[f] * keep[f] for f in range(NF)], F), act)
        res = norm2(np.array([res[f] * keep[f] for f in range(NF)], F), act)
        window = F(t - int(lead["rule_start"])) < F(12.0) * p["consolidation_years"]
        hz = [F(0.0), F(0.0)]
        if window and not ruler_died:
            hz = [
                p["revolt_rate"] * (F(1.0) - s[r]) * (F(1.0) + p["disaster_weight"] * disaster),
                p["coup_rate"] * min(grievance, F(1.0)) * (F(1.0) - res[r, ARMY]),
            ]
        attempt, kind = pick(hz, u[EV_ATTEMPT])
        record(trace, "plot", u[EV_ATTEMPT], sum(hz), attempt)
        x = strength(s, res, act, p["force_weight"])
        odds = F(1.0) - F(2.0) * x[r] if kind == 0 else F(1.0) - res[r, ARMY] - res[r, POLICE]
        success = attempt and record(
            trace,
            "plot_succeeds",
            u[EV_ATTEMPT_WIN],
            sigmoid(p["contest_sharpness"] * odds),
            u[EV_ATTEMPT_WIN] < sigmoid(p["contest_sharpness"] * odds),
        )
        by = x if kind == 0 else res[:, ARMY]
        plotter = first_argmax([by[f] if act[f] and f != r else F(-1.0) for f in range(NF)])
        loser, winner = (r, plotter) if success else (plotter, r)
        s = transfer(s, loser, winner, p["contest_stake"], attempt, act)
        res = transfer(res, loser, winner, p["contest_stake"], attempt, act)
        if attempt and not success:
            alarm = alarm + F(1.0)
        ended = ruler_died or success
        cause = END_DEATH if ruler_died else (END_REVOLT if kind == 0 else END_COUP)
    if ruled:
        new_ruler = -1 if ended else ruler
    else:
        new_ruler = top if new_rule else -1
    if new_rule:
        if int(lead["personal_month"]) < 0:
            lead["personal_month"] = np.int32(t)
        lead["rule_start"] = np.int32(t)
    elif ended:
        lead["rule_start"] = np.int32(-1)
    if ended and int(lead["end_month"]) < 0:
        lead["end_cause"], lead["end_month"] = np.int32(cause), np.int32(t)
    lead["ruler"] = np.int32(new_ruler)
    lead["power"], lead["resources"], lead["active"] = s, res, act
    lead["alarm"], lead["disaster"], lead["grievance"] = F(alarm), F(disaster), F(grievance)
    if t == leader_month:
        lead["leader_1930"] = np.int32(
            K.FACTION_CATEGORY[new_ruler] if new_ruler >= 0 else K.COLLECTIVE
        )


def residual(lead: dict) -> np.float32:
    """Power outside the ruler's (or the largest) faction."""
    r = int(lead["ruler"])
    top = r if r >= 0 else first_argmax(list(lead["power"]))
    return F(1.0) - lead["power"][top]


def security(sec, th, v, lead, thr, war, u, t, tb, trace):
    """The terror wave, officers, the army and its command (in place); returns
    ``(terror, share discharged)``."""
    p, M = th, th["terror_months"]
    personal = int(lead["ruler"]) >= 0
    ins = (
        p["rival_insecurity"] * residual(lead)
        + lead["alarm"]
        + p["threat_insecurity"] * thr
        + p["famine_insecurity"] * lead["disaster"]
    )
    prop = v[K.P_PURGE] * (F(1.0) if personal else p["collective_purge_damping"])
    hazard = F(1.0) - np.exp(-(p["terror_rate"] * prop * ins * ins))
    ws = int(sec["wave_start"])
    running = ws >= 0 and F(t - ws) < M
    starts = (not running) and record(trace, "terror_wave_starts", u, hazard, u < hazard)
    if starts:
        sec["intensity"], sec["wave_start"] = F(prop * ins), np.int32(t)
        if int(tb.years[t]) >= TERROR_FROM and int(sec["first_wave"]) < 0:
            sec["first_wave"] = np.int32(t)
    elif not running:
        sec["intensity"] = F(0.0)
    now = F(sec["intensity"]) if (starts or running) else F(0.0)
    after = int(sec["wave_start"]) >= 0 and not (starts or running)
    executions = p["executions_at_full"] * now / F(12.0)
    officers = p["officer_ratio"] * sec["army"] * F(1000.0)
    share = min(p["officer_discharge_share"] * now / M, F(0.9))
    dis = share * officers
    back = sec["to_reinstate"] / REINSTATEMENT_MONTHS if after else F(0.0)
    sec["to_reinstate"] = sec["to_reinstate"] + p["reinstatement_share"] * dis - back
    gr = (p["army_growth"] * thr + p["war_expansion"] * F(war)) / F(12.0)
    q = sec["quality"]
    sec["army"] = sec["army"] * np.exp(gr)
    q = (
        q
        + (p["command_quality_base"] - q) / (F(12.0) * p["quality_recovery"])
        - p["quality_purge_loss"] * (dis - back) / max(officers, F(1.0)) * q
        - p["expansion_dilution"] * gr * q
    )
    sec["quality"] = clip(q, 0.0, 1.0)
    if K.TERROR_YEARS[0] <= int(tb.years[t]) <= K.TERROR_YEARS[1]:
        sec["executions"] = sec["executions"] + executions
        sec["arrests"] = sec["arrests"] + executions * p["arrest_ratio"]
        sec["officers_purged"] = sec["officers_purged"] + dis
        sec["officers_arrested"] = sec["officers_arrested"] + dis * p["officer_arrest_share"]
    c = sec["cadres_lost"]
    sec["cadres_lost"] = c + (F(1.0) - c) * min(p["cadre_loss_share"] * (now / M), F(1.0))
    if t == tb.index_of(K.QUALITY_MONTH):
        sec["quality_1941"] = sec["quality"]
    for i, label in enumerate(K.ARMY_MONTHS):
        if t == tb.index_of(label):
            sec["army_record"][i] = sec["army"]
    return now, share
