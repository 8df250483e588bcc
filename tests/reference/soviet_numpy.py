"""Slow, obvious reference of ONE MONTH of the Soviet slice (plain NumPy, float32).

Written from the equations of ``docs/ODD.md`` sections 7.13-7.17 (succession and the
policy in force, collectivisation and famine, industry and GDP, terror and the army,
China), and from the code only where the ODD is silent (marked "code:" below). It does
not call the JAX modules: it takes the calendar from the model object, the regions
table from :mod:`abm.models.interwar.soviet.regions`, structure (faction order, dates,
1924/1928 anchors) from :mod:`~abm.models.interwar.soviet.constants`, and restates the
few module constants the ODD names (``JAPAN_THREAT``, ``WINNER_TAKE``, ...); the tests
check that those agree with the modules.

Arithmetic is float32 like the model's, scalar by scalar with explicit loops over
regions and factions; sums over regions are taken in float64 and rounded once (the
model sums by a fixed pairwise tree: the two differ in the last bits only).

States are nested dicts of NumPy arrays with the field names of ``SovietState``
(:func:`to_numpy`); :func:`flatten` gives the ``"leadership.power"`` keys of
:func:`abm.engine.slices.leaf_values`. :func:`month` optionally records every discrete
decision (name, left and right hand side, outcome) in ``trace``. The submodels are in
:mod:`soviet_submodels`, the shared helpers in :mod:`soviet_base`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from abm.models.interwar.soviet import constants as K

from .soviet_base import (
    DEPRESSION_YEARS,
    DRIVE_DELAY_MONTHS,
    EV_CONSOLIDATE,
    EV_CONTEST,
    EV_CONTEST_WIN,
    EV_KMT,
    EXPORT_REFERENCE,
    EXPORT_TRADE_REFERENCE,
    HERD_WEIGHT,
    JAPAN_FROM,
    JAPAN_THREAT,
    REINSTATEMENT_MONTHS,
    RIVAL_CEILING,
    TRACTOR_STEEL,
    TRADE_REFERENCE,
    WINNER_TAKE,
    F,
    Tables,
    clip,
    flatten,
    month_of,
    record,
    tables_of,
    to_numpy,
    total,
)
from .soviet_submodels import china, gdp, industry, peasants, security

__all__ = [
    "DEPRESSION_YEARS",
    "DRIVE_DELAY_MONTHS",
    "EV_CONSOLIDATE",
    "EV_CONTEST",
    "EV_CONTEST_WIN",
    "EV_KMT",
    "EXPORT_REFERENCE",
    "EXPORT_TRADE_REFERENCE",
    "HERD_WEIGHT",
    "JAPAN_FROM",
    "JAPAN_THREAT",
    "REINSTATEMENT_MONTHS",
    "RIVAL_CEILING",
    "TRACTOR_STEEL",
    "TRADE_REFERENCE",
    "WINNER_TAKE",
    "Tables",
    "flatten",
    "month",
    "month_of",
    "policy_in_force",
    "tables_of",
    "threat",
    "to_numpy",
]


# ---------------------------------------------------------------- 7.13 policy in force
def policy_in_force(lead: dict, th: dict[str, np.float32]) -> np.ndarray:
    """``v = V_stalin + delta * (sum_f w_f V_f - V_stalin)``, float32 ``[N_POLICY]``."""
    V = np.array([[th[f"{lev}.{f}"] for lev in K.POLICY_LEVERS] for f in K.FACTIONS], F)  # [F, P]
    ruler = int(lead["ruler"])
    w = np.zeros(K.N_FACTIONS, F)
    if ruler >= 0:
        w[ruler] = 1.0
    else:
        c = th["power_concentration"]
        for f in range(K.N_FACTIONS):
            w[f] = lead["power"][f] ** c if lead["active"][f] else F(0.0)
        w = (w / max(total(w), F(1e-12))).astype(F)
    v = np.zeros(K.N_POLICY, F)
    for j in range(K.N_POLICY):
        mix = total([w[f] * V[f, j] for f in range(K.N_FACTIONS)])
        v[j] = V[K.STALIN, j] + th["policy_divergence"] * (mix - V[K.STALIN, j])
    return v


# ---------------------------------------------------------------- 7.16 threat
def threat(th: dict, t: int, nazi_month: int, tb: Tables) -> np.float32:
    """``clip(0.3 [t >= 1931-09] + 0.7 clip((t - t_N) / (12 R_T), 0, 1), 0, 1)``."""
    nazi = F(0.0)
    if nazi_month >= 0:
        nazi = clip(F(t - nazi_month) / (F(12.0) * th["threat_ramp"]), 0.0, 1.0)
    japan = JAPAN_THREAT if t >= tb.index_of(JAPAN_FROM) else F(0.0)
    return clip(japan + (F(1.0) - JAPAN_THREAT) * nazi, 0.0, 1.0)


# ---------------------------------------------------------------- 7.13 succession
def _norm(x: np.ndarray, active: np.ndarray) -> np.ndarray:
    y = np.array([max(F(x[f]), F(0.0)) if active[f] else F(0.0) for f in range(len(x))], F)
    return (y / max(total(y), F(1e-12))).astype(F)


def _showdown(x: np.ndarray, q: Any, loser: int, winner: int, active: np.ndarray) -> np.ndarray:
    """The loser gives up ``q`` of ``x``: 70 % to the winner, 30 % to the other actives."""
    x = x.copy()
    stake = q * x[loser]
    others = [f for f in range(K.N_FACTIONS) if active[f] and f not in (loser, winner)]
    rest = total([x[f] for f in others])
    to_rest = (F(1.0) - WINNER_TAKE) * stake if rest > 0 else F(0.0)
    x[loser] = x[loser] - stake
    x[winner] = x[winner] + (stake - to_rest)
    for f in others:
        x[f] = x[f] + x[f] / rest * to_rest
    return x


def succession(
    lead: dict, th: dict, shortfall: Any, z: Any, u: Any, t: int, tb: Tables, trace: Any
) -> None:
    """Patronage, showdown, policy failure, noise and expulsion, consolidation (in place)."""
    p, idx = th, range(K.N_FACTIONS)
    ruled = int(lead["ruler"]) >= 0
    if not ruled:
        s, a, act = lead["power"].copy(), lead["apparatus"].copy(), lead["active"].copy()
        # 1. Patronage (the Secretariat: the largest apparatus before its growth).
        s = _norm(s + p["apparatus_pull"] * (a - s), act)
        boss = max((f for f in idx if act[f]), key=lambda f: (a[f], -f))
        a[boss] = a[boss] * (F(1.0) + p["secretariat_growth"])
        a = _norm(a, act)
        # 2. Showdown against the strongest other active faction.
        cands = [f for f in idx if act[f] and f != boss]
        if cands:
            rival = max(cands, key=lambda f: (s[f], -f))
            rc = p["contest_rate"]
            if record(trace, "contest", u[EV_CONTEST], rc, u[EV_CONTEST] < rc):
                side = s[boss] + p["bandwagon"] * (F(1.0) - s[boss] - s[rival])
                chance = F(1.0) / (F(1.0) + np.exp(-p["contest_sharpness"] * (side - s[rival])))
                wins = record(
                    trace, "boss_wins", u[EV_CONTEST_WIN], chance, u[EV_CONTEST_WIN] < chance
                )
                loser, winner = (rival, boss) if wins else (boss, rival)
                s = _norm(_showdown(s, p["contest_stake"], loser, winner, act), act)
                a = _norm(_showdown(a, p["contest_stake"], loser, winner, act), act)
        # 3. Policy failure: the shortfall moves power from the Right to the others.
        moved = p["harvest_crisis_shift"] * clip(shortfall, 0.0, 1.0) * s[K.BUKHARIN]
        rest = [f for f in idx if act[f] and f != K.BUKHARIN]
        held = total([s[f] for f in rest])
        for f in rest:
            s[f] = s[f] + s[f] / max(held, F(1e-12)) * moved
        s[K.BUKHARIN] = s[K.BUKHARIN] - moved
        # 4. Noise, then expulsion of the weak (never the largest, never the last).
        s = _norm(np.array([s[f] * np.exp(p["power_noise_sd"] * z[f]) for f in idx], F), act)
        top = max(idx, key=lambda f: (s[f], -f))
        n_active = int(np.sum(act))
        for f in idx:
            if act[f] and n_active > 1 and f != top:
                if record(trace, "expelled", s[f], p["expel_share"], s[f] < p["expel_share"]):
                    act[f] = False
        s, a = _norm(s, act), _norm(a, act)
        # 5. Consolidation into personal rule.
        top = max(idx, key=lambda f: (s[f], -f))
        rivals = [s[f] for f in idx if act[f] and f not in (top, K.OTHERS)]
        strongest = max(rivals, default=F(0.0))
        hazard = p["consolidation_rate"] * p[f"personal_rule_propensity.{K.FACTIONS[top]}"]
        chance = F(1.0) - np.exp(-hazard)
        if (
            record(
                trace,
                "dominant",
                s[top],
                p["consolidation_threshold"],
                s[top] >= p["consolidation_threshold"],
            )
            and record(trace, "rivals_broken", strongest, RIVAL_CEILING, strongest <= RIVAL_CEILING)
            and record(trace, "consolidate", u[EV_CONSOLIDATE], chance, u[EV_CONSOLIDATE] < chance)
        ):
            lead["ruler"], lead["personal_month"] = np.int32(top), np.int32(t)
        lead["power"], lead["apparatus"], lead["active"] = s, a, act
    if t == tb.index_of(K.LEADER_MONTH):
        r = int(lead["ruler"])
        lead["leader_1930"] = np.int32(K.FACTION_CATEGORY[r] if r >= 0 else K.COLLECTIVE)


# ---------------------------------------------------------------- the month
def month(
    state: dict,
    th: dict[str, np.float32],
    draws: dict,
    nazi_month: int,
    tb: Tables,
    trace: list | None = None,
) -> dict:
    """One Soviet month (ODD section 3, step 2): returns the new state (input untouched).

    Args:
        state: :func:`to_numpy` of a ``SovietState``.
        th: parameter name -> float32 value.
        draws: ``{"power": float32 [F], "events": float32 [4]}``.
        nazi_month: month the NSDAP took power at the start of this month (-1 not yet).
        tb: :func:`tables_of` the model.
        trace: if a list, receives ``(decision, lhs, rhs, outcome)`` of every decision.
    """
    s = copy.deepcopy(state)
    t = int(state["month"])
    tf = F(t)
    v = policy_in_force(state["leadership"], th)
    plan_at = month_of(th, "plan_start", tb)
    plan = record(trace, "plan", tf, plan_at, tf >= plan_at)
    drive = record(
        trace, "drive", tf, plan_at + DRIVE_DELAY_MONTHS, tf >= plan_at + DRIVE_DELAY_MONTHS
    )
    thr = threat(th, t, int(nazi_month), tb)
    sh = state["shocks"]
    mu = clip((F(state["industry"]["capacity"]) - F(K.STEEL_1928)) / TRACTOR_STEEL, 0.0, 1.0)
    shortfall = peasants(s["blocs"], s["ledger"], th, v, sh, t, drive, mu, tb)
    personal = int(state["leadership"]["ruler"]) >= 0
    terror = security(s["security"], th, v, personal, thr, t, tb, trace)
    industry(s["industry"], th, v, s["ledger"], plan, thr, terror, sh, t, tb)
    if int(tb.months[t]) == 12:
        yi = int(tb.years[t]) - tb.first_year
        led = s["ledger"]
        s["industry"]["gdp"][yi] = gdp(
            s["industry"]["steel"][yi], led["harvest"][yi], led["herd"][yi], th
        )
    china(s["china"], th, v, draws["events"][EV_KMT], t, tb, trace)
    succession(s["leadership"], th, shortfall, draws["power"], draws["events"], t, tb, trace)
    s["month"] = np.int32(t + 1)
    return s
