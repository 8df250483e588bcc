"""Submodels of the Soviet month's NumPy reference: ODD 7.14-7.17 (float32, loops).

Peasant blocs (collectivisation, herds, harvest, procurement, food, people), terror and
the army, industry and GDP, China. Each updates its part of the state dict in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.models.interwar.soviet import constants as K

from .soviet_base import (
    CAMPAIGN_MONTHS,
    DEPRESSION_YEARS,
    EXPORT_REFERENCE,
    EXPORT_TRADE_REFERENCE,
    HERD_WEIGHT,
    HUNGER_MONTHS,
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
    b: dict,
    g: dict,
    led: dict,
    th: dict,
    v: np.ndarray,
    sh: dict,
    t: int,
    drive: bool,
    mu: Any,
    urban: np.float32,
    army: np.float32,
    recruits: np.float32,
    tb: Tables,
) -> np.float32:
    """Collectivisation, herds, harvest, campaign, market, state pool, people, responses.

    Updates the blocs ``b``, the grain economy ``g`` and the ledger ``led`` in place.
    Returns the month's national procurement shortfall (0 outside August).
    """
    p = th
    one = F(1.0)
    year, cal_month = int(tb.years[t]), int(tb.months[t])
    yi = year - tb.first_year
    cy = max(yi - (1 if cal_month < K.HARVEST_MONTH else 0), 0)
    H = cal_month == K.HARVEST_MONTH
    m_t = (K.HARVEST_MONTH - cal_month) % 12 or 12  # 12 in August .. 1 in July
    since = (cal_month - K.HARVEST_MONTH) % 12  # 0 in August
    y_dec = F(year + (cal_month - 1) / 12.0) - F(1928.0)
    D = one if drive else F(0.0)
    P = v[K.P_COLLECTIVISATION] * D
    cK, tau, trade = v[K.P_COMPETENCE], v[K.P_TARGETED], v[K.P_TRADE]
    relief, alarm = F(g["relief"]), F(g["alarm"])
    g_relief0 = relief
    ended = int(g["ration_phase"]) == 2
    W, W_r = sh["weather"][yi], sh["regional"][yi]
    n_r = len(tb.area)
    Q, seed, net, plan, wgt = (np.zeros(n_r, F) for _ in range(5))
    trends = np.zeros(n_r, F)
    for r in range(n_r):
        c_old, n = b["collectivised"][r], tb.nomad[r]
        dc = p["collectivisation_rate"] * P * (one - c_old) / F(12.0)
        b["collectivised"][r] = c_old + dc
        U = b["upheaval"][r] + (dc * F(12.0) - b["upheaval"][r]) / F(24.0)  # UPHEAVAL_MONTHS
        b["upheaval"][r] = U
        loss = (
            p["livestock_slaughter"] * P * (one - cK) * (one - c_old)
            + p["sedentarisation_loss"] * P * tau * (one - relief) * n
        )
        h = b["livestock"][r]
        h = h * np.exp(-loss / F(12.0)) + p["herd_regrowth"] * h * (one - h) / F(12.0)
        h = b["livestock"][r] = clip(h, 0.01, 1.5)
        sd_w, sd_r = p["weather_sd"], p["regional_weather_sd"]
        luck = np.exp(sd_w * W + sd_r * W_r[r] - F(0.5) * (sd_w**2 + sd_r**2))
        trend = tb.area[r] * p["grain_yield"] * (one + p["yield_trend"] * max(y_dec, F(0.0)))
        Q[r] = (
            trend
            * luck
            * (one - clip(p["disruption_loss"] * U * (one - cK), 0.0, 0.9))
            * (one - p["draught_effect"] * clip(one - h, 0.0, 1.0) * (one - mu))
            * (one - p["hunger_loss"] * b["hunger"][r])
        )
        seed[r] = p["seed_share"] * Q[r]
        net[r] = Q[r] - seed[r]
        trends[r] = trend
    # The plan is anchored on last year's harvest (national), at least the trend.
    best = F(led["harvest"][max(yi - 1, 0)])
    anchor = max(best / max(total(trends), F(1e-9)), one)
    for r in range(n_r):
        plan[r] = (one - cK) * trends[r] * anchor * (one + p["plan_optimism"]) + cK * Q[r]
        wgt[r] = plan[r] * (one + p["target_boost"] * tau * D * tb.targeted[r])
    share = p["procurement_nep"] + p["procurement_drive"] * P
    reserve = p["reserve_floor"] + cK * (p["subsistence_reserve"] - p["reserve_floor"])
    sum_plan, sum_wgt = total(plan), max(total(wgt), F(1e-9))  # code: the 1e-9 guard
    # The plan asks at least for the towns' and the army's year beyond the state's pool.
    towns_year = urban * p["urban_ration"] + army * F(1e-3) * p["army_ration"]
    asked_total = max(share * sum_plan, towns_year + F(g["villages_year"]) - F(g["pool"]))
    asked_total = asked_total * (one - p["quota_cut"] * relief)  # relief lowers the plan
    quota, due = np.zeros(n_r, F), np.zeros(n_r, F)
    for r in range(n_r):
        quota[r] = asked_total * wgt[r] / sum_wgt
        if H:
            if drive:
                cap = (one - reserve) * (net[r] + b["stock"][r])
            else:
                cap = p["procurement_nep"] * Q[r]
            due[r] = min(quota[r], cap)
            b["stock"][r] = b["stock"][r] + net[r]
        else:
            due[r] = b["quota"][r]
    total_quota = total(quota)
    shortfall = F(0.0)
    if H:
        shortfall = clip(one - total(due) / max(total_quota, F(1e-9)), 0.0, 1.0)
    # The export commitment (ODD: from the plan, beyond a year of the towns' need).
    if H:
        surplus = max(total_quota - towns_year - F(g["villages_year"]), F(0.0))
        g["exports_due"] = surplus * p["export_share"] * trade / EXPORT_TRADE_REFERENCE
    # The campaign's tranches.
    campaign = since < CAMPAIGN_MONTHS
    left = F(max(CAMPAIGN_MONTHS - since, 1))
    proc = np.zeros(n_r, F)
    for r in range(n_r):
        tranche = due[r] / left if campaign else F(0.0)
        cut = p["quota_cut"] * relief * tb.targeted[r]
        proc[r] = min(tranche * (one - cut), b["stock"][r])
        b["stock"][r] = b["stock"][r] - proc[r]
        b["quota"][r] = due[r] - tranche
    ship = F(g["exports_due"]) / left if campaign else F(0.0)
    g["exports_due"] = F(g["exports_due"]) - ship
    halt = max(relief, clip(p["response_gain"] * alarm, 0.0, 1.0))
    ship = ship * (one - p["export_halt"] * halt)

    # Food: own stock rationed to the harvest, the market, the state pool.
    need, lost, own, gap, offer = (np.zeros(n_r, F) for _ in range(5))
    for r in range(n_r):
        pop, h, n = b["population"][r], b["livestock"][r], tb.nomad[r]
        head = (one - n) * (
            p["grain_need"] * (one - p["other_food"] * h) + p["fodder_need"] * h
        ) + n * p["grain_need"] * clip(one - h / p["nomad_herd_need"], 0.0, 1.0)
        need[r] = pop * head / F(12.0)
        lost[r] = b["stock"][r] * (one - np.exp(-p["stock_loss"] / F(12.0)))
        b["stock"][r] = b["stock"][r] - lost[r]
        kolkhoz = p["market_nep"] if ended else p["kolkhoz_market"] * relief
        c_new = b["collectivised"][r]
        open_r = p["market_nep"] * (one - c_new) + kolkhoz * c_new
        ration = b["stock"][r] / F(m_t)
        own[r] = min(need[r], ration)
        gap[r] = need[r] - own[r]
        offer[r] = open_r * max(ration - need[r], F(0.0))
    demand, supply = total(gap), total(offer)
    traded = min(demand, supply)
    bought, asked = np.zeros(n_r, F), np.zeros(n_r, F)
    for r in range(n_r):
        bought[r] = gap[r] * traded / max(demand, F(1e-9))
        sold = offer[r] * traded / max(supply, F(1e-9))
        b["stock"][r] = b["stock"][r] - own[r] - sold
        access = one - tb.targeted[r] * tau * D * (one - relief)
        asked[r] = (gap[r] - bought[r]) * access
    # The state pool: towns and army, villages by access, exports beyond the need to the
    # harvest, losses.
    towns = towns_year / F(12.0)
    pool = F(g["pool"]) + total(proc)
    to_towns = min(towns, pool)
    rest = pool - to_towns
    v_demand = total(asked)
    # ODD 7.14: the villages' allotment of the state's balance to the harvest (what the
    # pool holds after the towns' month and still expects, less the towns' later months).
    expected = total(
        [b["quota"][r] * (one - p["quota_cut"] * relief * tb.targeted[r]) for r in range(n_r)]
    )
    allot = max(rest + expected - towns * (F(m_t) - one), F(0.0)) / F(m_t)
    fed = min(v_demand, allot, rest)
    villages = np.array([a * fed / max(v_demand, F(1e-9)) for a in asked], F)
    rest = max(rest - total(villages), F(0.0))
    v_year = F(g["villages_year"])
    keep = (towns + max(v_demand, v_year / F(12.0))) * (F(m_t) - one)
    shipped = min(ship, max(rest - keep, F(0.0)))
    rest = rest - shipped
    pool_lost = rest * (one - np.exp(-p["pool_loss"] / F(12.0)))
    g["pool"] = rest - pool_lost
    g["villages_year"] = v_year + total(villages) - v_year / F(12.0)

    eaten, deaths, fled, births, short = (np.zeros(n_r, F) for _ in range(5))
    pop_old = b["population"].copy()
    # Industry's recruits still to leave the villages, as a share of the rural population
    # (at most a tenth in a month).
    pop_total = max(total(pop_old), F(1e-9))
    leaving = min(max(recruits - F(g["recruited"]), F(0.0)) / pop_total, F(0.1))
    moved = np.zeros(n_r, F)

    def lethal(x: np.float32) -> np.float32:
        th_f = p["famine_threshold"]
        return clip((x - th_f) / (one - th_f), 0.0, 1.0) ** p["famine_exponent"]

    for r in range(n_r):
        pop = b["population"][r]
        eaten[r] = own[r] + bought[r] + villages[r]
        short[r] = clip(one - eaten[r] / max(need[r], F(1e-9)), 0.0, 1.0)  # code: the guard
        b["shortage"][r] = short[r]
        b["hunger"][r] = b["hunger"][r] + (short[r] - b["hunger"][r]) / HUNGER_MONTHS
        deaths[r] = pop * min(p["famine_mortality"] * lethal(short[r]) / F(12.0), F(0.5))
        births[r] = pop * p["natural_growth"] / F(12.0)
        moved[r] = pop * leaving
        fled[r] = pop * p["flight_rate"] * short[r] / F(12.0) + moved[r]
        b["population"][r] = pop + births[r] - deaths[r] - fled[r]

    # Responses: reports, relief, rationing.
    month_deaths = total(deaths)
    rate = F(12.0) * month_deaths / max(total(pop_old), F(1e-9))
    alarm = alarm + (rate - alarm) / max(p["report_lag"], one)
    resp = cK + (one - cK) * (one - tau)
    relief = min(relief + p["response_gain"] * resp * alarm / F(12.0), one) * np.exp(
        -p["relief_decay"] / F(12.0)
    )
    g["alarm"], g["relief"] = F(alarm), F(relief)
    phase = int(g["ration_phase"])
    if phase == 0 and drive:
        phase = 1
    elif phase == 1 and g["pool"] >= p["ration_end_cover"] * towns_year:
        phase = 2
    g["ration_phase"] = np.int32(phase)

    led["eaten"] = led["eaten"] + total(eaten)
    led["stock_lost"] = led["stock_lost"] + total(lost)
    led["births"] = led["births"] + total(births)
    led["deaths"] = led["deaths"] + month_deaths
    led["fled"] = led["fled"] + total(fled)
    g["recruited"] = F(g["recruited"]) + total(moved)
    led["procured"] = led["procured"] + total(proc)
    led["procurement"][cy] += total(proc)
    led["exports"][yi] += shipped
    led["to_towns"] = led["to_towns"] + to_towns
    led["to_villages"] = led["to_villages"] + total(villages)
    led["exported"] = led["exported"] + shipped
    led["pool_lost"] = led["pool_lost"] + pool_lost
    led["deaths_by_year"][yi] += month_deaths
    if K.FAMINE_YEARS[0] <= year <= K.FAMINE_YEARS[1]:
        for gi in range(len(K.FAMINE_GROUPS)):
            led["famine_deaths"][gi] += total(tb.famine_mask[gi] * deaths)
        led["region_deaths"] += deaths
    if H:
        led["harvested"] = led["harvested"] + total(Q)
        led["seed"] = led["seed"] + total(seed)
        led["harvest"][yi] += total(Q)
        # code: the herd is weighted by the population at the end of the month.
        led["herd"][yi] += total(b["livestock"] * b["population"]) / total(b["population"])
        led["shortfall"] = shortfall
        cut_quota = [
            quota[r] * (one - p["quota_cut"] * g_relief0 * tb.targeted[r]) for r in range(n_r)
        ]
        led["quota"][yi] += total(cut_quota)
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
