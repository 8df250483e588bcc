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

import numpy as np

from abm.models.interwar.soviet import constants as K

from . import soviet_succession as succ
from .soviet_base import (
    CAMPAIGN_MONTHS,
    DEPRESSION_YEARS,
    DRIVE_DELAY_MONTHS,
    EV_CONSOLIDATE,
    EV_CONTEST,
    EV_CONTEST_WIN,
    EV_KMT,
    EXPORT_REFERENCE,
    EXPORT_TRADE_REFERENCE,
    HERD_WEIGHT,
    HUNGER_MONTHS,
    JAPAN_FROM,
    JAPAN_THREAT,
    REINSTATEMENT_MONTHS,
    RIVAL_CEILING,
    TRACTOR_STEEL,
    TRADE_REFERENCE,
    URBAN_1924,
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
from .soviet_submodels import china, gdp, industry, peasants

__all__ = [
    "CAMPAIGN_MONTHS",
    "DEPRESSION_YEARS",
    "DRIVE_DELAY_MONTHS",
    "EV_CONSOLIDATE",
    "EV_CONTEST",
    "EV_CONTEST_WIN",
    "EV_KMT",
    "EXPORT_REFERENCE",
    "EXPORT_TRADE_REFERENCE",
    "HERD_WEIGHT",
    "HUNGER_MONTHS",
    "JAPAN_FROM",
    "JAPAN_THREAT",
    "REINSTATEMENT_MONTHS",
    "RIVAL_CEILING",
    "TRACTOR_STEEL",
    "TRADE_REFERENCE",
    "URBAN_1924",
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
    """``v_j = V_stalin,j + delta_j * (sum_f w_f V_f,j - V_stalin,j)``, float32 ``[N_POLICY]``."""
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
        delta = th[f"policy_divergence.{K.POLICY_LEVERS[j]}"]
        v[j] = V[K.STALIN, j] + delta * (mix - V[K.STALIN, j])
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
# The struggle, personal rule and its end, the terror: :mod:`soviet_succession`.


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
    # The towns to feed (ODD 7.14): natural increase and industry's recruits.
    years = F(tb.years[t] + (tb.months[t] - 1) / 12.0) - F(1924.0)
    urban = URBAN_1924 * np.exp(th["urban_growth"] * years) + th["urban_per_steel"] * max(
        F(state["industry"]["capacity"]) - F(K.STEEL_1924), F(0.0)
    )
    army = F(state["security"]["army"])
    recruits = th["urban_per_steel"] * max(
        F(state["industry"]["capacity"]) - F(K.STEEL_1924), F(0.0)
    )
    shortfall = peasants(
        s["blocs"], s["grain"], s["ledger"], th, v, sh, t, drive, mu, urban, army, recruits, tb
    )
    war = nazi_month >= 0 and tf >= month_of(th, "europe_war_start", tb)
    u = draws["events"]
    terror, discharged = succ.security(
        s["security"], th, v, state["leadership"], thr, war, u[succ.EV_TERROR], t, tb, trace
    )
    industry(s["industry"], th, v, s["ledger"], plan, thr, terror, sh, t, tb)
    if int(tb.months[t]) == 12:
        yi = int(tb.years[t]) - tb.first_year
        led = s["ledger"]
        s["industry"]["gdp"][yi] = gdp(
            s["industry"]["steel"][yi], led["harvest"][yi], led["herd"][yi], th
        )
    china(s["china"], th, v, draws["events"][EV_KMT], t, tb, trace)
    pressures = {
        "shortfall": shortfall,
        "famine": F(s["ledger"]["deaths"] - state["ledger"]["deaths"]),
        "discharged": discharged,
        "terror": terror,
        "year": F(tb.years[t] + (tb.months[t] - 1) / 12.0),
    }
    succ.succession(
        s["leadership"], th, pressures, draws["power"], u, t, tb.index_of(K.LEADER_MONTH), trace
    )
    s["month"] = np.int32(t + 1)
    return s
