"""Submodels of the Soviet month's NumPy reference: ODD 7.14-7.17 (float32, loops).

Peasant blocs (collectivisation, herds, harvest, procurement, food, people), terror and
the army, industry and GDP, China. Each updates its part of the state dict in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.models.interwar.soviet import constants as K

from .soviet_base import (
    DEPRESSION_YEARS,
    EXPORT_REFERENCE,
    EXPORT_TRADE_REFERENCE,
    HERD_WEIGHT,
    TRADE_REFERENCE,
    F,
    Tables,
    clip,
    month_of,
    record,
    total,
)


# ---------------------------------------------------------------- 7.14 peasant blocs
def peasants(
    b: dict, led: dict, th: dict, v: np.ndarray, sh: dict, t: int, drive: bool, mu: Any, tb: Tables
) -> np.float32:
    """Collectivisation, herds, harvest and procurement, food, people (in place).

    Returns the month's national procurement shortfall (0 outside August).
    """
    p = th
    year, cal_month = int(tb.years[t]), int(tb.months[t])
    yi = year - tb.first_year
    H = cal_month == K.HARVEST_MONTH
    m_t = (K.HARVEST_MONTH - cal_month) % 12 or 12  # 12 in August .. 1 in July
    y_dec = F(year + (cal_month - 1) / 12.0) - F(1928.0)
    D = F(1.0) if drive else F(0.0)
    P = v[K.P_COLLECTIVISATION] * D
    cK, tau, trade = v[K.P_COMPETENCE], v[K.P_TARGETED], v[K.P_TRADE]
    W, W_r = sh["weather"][yi], sh["regional"][yi]
    n_r = len(tb.area)
    Q, seed, net, plan, wgt = (np.zeros(n_r, F) for _ in range(5))
    for r in range(n_r):
        c_old, n = b["collectivised"][r], tb.nomad[r]
        dc = p["collectivisation_rate"] * P * (F(1.0) - c_old) / F(12.0)
        b["collectivised"][r] = c_old + dc
        U = b["upheaval"][r] + (dc * F(12.0) - b["upheaval"][r]) / F(12.0)
        b["upheaval"][r] = U
        loss = (
            p["livestock_slaughter"] * P * (F(1.0) - cK) * (F(1.0) - c_old)
            + p["sedentarisation_loss"] * P * tau * n
        )
        h = b["livestock"][r]
        h = h * np.exp(-loss / F(12.0)) + p["herd_regrowth"] * h * (F(1.0) - h) / F(12.0)
        h = b["livestock"][r] = clip(h, 0.01, 1.5)
        sd_w, sd_r = p["weather_sd"], p["regional_weather_sd"]
        luck = np.exp(sd_w * W + sd_r * W_r[r] - F(0.5) * (sd_w**2 + sd_r**2))
        trend = tb.area[r] * p["grain_yield"] * (F(1.0) + p["yield_trend"] * max(y_dec, F(0.0)))
        Q[r] = (
            trend
            * luck
            * (F(1.0) - clip(p["disruption_loss"] * U * (F(1.0) - cK), 0.0, 0.9))
            * (F(1.0) - p["draught_effect"] * clip(F(1.0) - h, 0.0, 1.0) * (F(1.0) - mu))
        )
        seed[r] = p["seed_share"] * Q[r]
        net[r] = Q[r] - seed[r]
        plan[r] = (F(1.0) - cK) * trend * (F(1.0) + p["plan_optimism"]) + cK * Q[r]
        wgt[r] = plan[r] * (F(1.0) + p["target_boost"] * tau * D * tb.targeted[r])
    share = p["procurement_nep"] + p["procurement_drive"] * P
    reserve = p["reserve_floor"] + cK * (p["subsistence_reserve"] - p["reserve_floor"])
    sum_plan, sum_wgt = total(plan), max(total(wgt), F(1e-9))  # code: the 1e-9 guard
    quota, proc = np.zeros(n_r, F), np.zeros(n_r, F)
    for r in range(n_r):
        quota[r] = share * sum_plan * wgt[r] / sum_wgt
        if drive:
            cap = (F(1.0) - reserve) * (net[r] + b["stock"][r])
        else:
            cap = p["procurement_nep"] * Q[r]
        proc[r] = min(quota[r], cap)
        if H:
            b["stock"][r] = b["stock"][r] + (net[r] - proc[r])
    shortfall = F(0.0)
    if H:
        shortfall = clip(F(1.0) - total(proc) / max(total(quota), F(1e-9)), 0.0, 1.0)
    exports = total(proc) * p["export_share"] * trade / EXPORT_TRADE_REFERENCE

    eaten, lost, deaths, fled, births = (np.zeros(n_r, F) for _ in range(5))

    def lethal(x: np.float32) -> np.float32:
        th_f = p["famine_threshold"]
        return clip((x - th_f) / (F(1.0) - th_f), 0.0, 1.0) ** p["famine_exponent"]

    for r in range(n_r):
        pop, h, n, stock = b["population"][r], b["livestock"][r], tb.nomad[r], b["stock"][r]
        need = (
            pop
            * (F(1.0) - n)
            * (p["grain_need"] * (F(1.0) - p["other_food"] * h) + p["fodder_need"] * h)
            / F(12.0)
        )
        eaten[r] = min(need, stock / F(m_t))
        s_g = clip(F(1.0) - eaten[r] / max(need, F(1e-9)), 0.0, 1.0)  # code: the guard
        s_h = clip(F(1.0) - h / p["nomad_herd_need"], 0.0, 1.0)
        short = (F(1.0) - n) * s_g + n * s_h
        b["shortage"][r] = short
        lost[r] = stock * (F(1.0) - np.exp(-p["stock_loss"] / F(12.0)))
        b["stock"][r] = stock - eaten[r] - lost[r]
        rate = (F(1.0) - n) * lethal(s_g) + n * lethal(s_h)
        deaths[r] = pop * min(p["famine_mortality"] * rate / F(12.0), F(0.5))
        fled[r] = pop * p["flight_rate"] * short / F(12.0)
        births[r] = pop * p["natural_growth"] / F(12.0)
        b["population"][r] = pop + births[r] - deaths[r] - fled[r]

    led["eaten"] = led["eaten"] + total(eaten)
    led["stock_lost"] = led["stock_lost"] + total(lost)
    led["births"] = led["births"] + total(births)
    led["deaths"] = led["deaths"] + total(deaths)
    led["fled"] = led["fled"] + total(fled)
    if K.FAMINE_YEARS[0] <= year <= K.FAMINE_YEARS[1]:
        for g in range(len(K.FAMINE_GROUPS)):
            led["famine_deaths"][g] += total(tb.famine_mask[g] * deaths)
    if H:
        led["harvested"] = led["harvested"] + total(Q)
        led["seed"] = led["seed"] + total(seed)
        led["procured"] = led["procured"] + total(proc)
        led["harvest"][yi] += total(Q)
        led["procurement"][yi] += total(proc)
        led["exports"][yi] += exports
        # code: the herd is weighted by the population at the end of the month.
        led["herd"][yi] += total(b["livestock"] * b["population"]) / total(b["population"])
        led["shortfall"] = shortfall
    return shortfall


# ---------------------------------------------------------------- 7.16 terror and the army
# The terror wave, officers, the army and its command: :mod:`soviet_succession`.


# ---------------------------------------------------------------- 7.15 industry and GDP
def industry(
    ind: dict,
    th: dict,
    v: np.ndarray,
    led: dict,
    plan: bool,
    thr: Any,
    terror: Any,
    sh: dict,
    t: int,
    tb: Tables,
) -> None:
    """NEP restoration or the plans' investment, construction, steel (in place)."""
    p = th
    year = int(tb.years[t])
    yi = year - tb.first_year
    k = F(ind["capacity"])
    restore = p["nep_recovery"] * k * (F(1.0) - k / p["nep_ceiling"]) / F(12.0)
    depression = DEPRESSION_YEARS[0] <= year <= DEPRESSION_YEARS[1]
    tot = p["depression_terms_of_trade"] if depression else F(1.0)
    # X_{y-1}; code: in the first calendar year, that year's own record.
    earn = min(led["exports"][max(yi - 1, 0)] / EXPORT_REFERENCE * tot, F(1.5))
    eff = (F(1.0) + p["trade_transfer"] * (v[K.P_TRADE] - TRADE_REFERENCE)) * (
        F(1.0) - p["export_dependence"] * (F(1.0) - earn)
    )
    idle = clip(p["purge_output_loss"] * terror, 0.0, 1.0)
    inv = (
        p["plan_investment"]
        * v[K.P_INDUSTRIALISATION]
        * max(eff, F(0.0))
        * (F(1.0) - p["defence_shift"] * thr)
        * (F(1.0) - idle)
        * k
        / F(12.0)
    )
    p1, p2 = ind["pipeline"]
    flow1, flow2 = p1 / (F(6.0) * p["construction_lag"]), p2 / (F(6.0) * p["construction_lag"])
    if plan:
        cap = k + flow2 - p["depreciation"] * k / F(12.0)
        ind["pipeline"] = np.array([p1 + (inv - flow1), p2 + (flow1 - flow2)], F)
    else:
        cap = k + restore
    ind["capacity"] = F(cap)
    out = cap * (F(1.0) - idle) * np.exp(p["steel_noise_sd"] * sh["steel"][yi]) / F(12.0)
    ind["steel"][yi] += out


def gdp(steel: Any, harvest: Any, herd: Any, th: dict) -> np.float32:
    """``369.7 (a_G A + (1 - a_G) (max(steel, 0.001) / 4.251)^eta_G)``, bn 2011 int$."""
    a_g = th["gdp_agri_share"]
    agri = (
        harvest
        / (F(K.GRAIN_AREA_1928) * th["grain_yield"])
        * (F(1.0) - HERD_WEIGHT * (F(1.0) - herd))
    )
    rel = max(F(steel), F(1e-3)) / F(K.STEEL_1928)
    return F(K.GDP_1928) * (a_g * agri + (F(1.0) - a_g) * rel ** th["gdp_industry_elasticity"])


# ---------------------------------------------------------------- 7.17 China
def china(ch: dict, th: dict, v: np.ndarray, u: Any, t: int, tb: Tables, trace: Any) -> None:
    """CCP growth, the KMT's purge and the records (in place)."""
    p, tf = th, F(t)
    at = month_of(th, "kmt_purge_date", tb)
    purge = record(trace, "kmt_purge_month", tf, at, tf >= at and tf - F(1) < at)
    iota, x = v[K.P_CCP_INDEPENDENCE], v[K.P_EXPORT]
    if ch["purged"]:
        rate = p["ccp_growth_after"]
    else:
        rate = (
            p["ccp_growth_inside"]
            * (F(1.0) - iota + iota * p["ccp_growth_apart"])
            * (F(1.0) + p["comintern_export_effect"] * x)
        )
    members = ch["members"] * np.exp(rate)
    if purge:
        ch["record"][0] = members
        if record(trace, "kmt_massacre", u, p["kmt_purge_prob"], u < p["kmt_purge_prob"]):
            survive = (F(1.0) - iota) * p["ccp_survival_inside"] + iota * p["ccp_survival_apart"]
            members = members * survive
            ch["massacre_month"] = np.int32(t)
        ch["purged"] = np.array(True)
    ch["members"] = F(members)
    for i, label in enumerate(K.CCP_MONTHS):
        if t == tb.index_of(label):
            ch["record"][1 + i] = members
