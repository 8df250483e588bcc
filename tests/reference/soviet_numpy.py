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
decision (name, left and right hand side, outcome) in ``trace``.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.regions import regions

F = np.float32
#: Restated from the ODD (7.13, 7.14, 7.15, 7.16); ``test_reference_soviet`` checks them.
WINNER_TAKE = F(0.7)
RIVAL_CEILING = F(0.1)
DRIVE_DELAY_MONTHS = F(12.0)
JAPAN_THREAT = F(0.3)
JAPAN_FROM = "1931-09"
DEPRESSION_YEARS = (1930, 1933)
EXPORT_REFERENCE = F(5.0)
EXPORT_TRADE_REFERENCE = F(0.4)
TRADE_REFERENCE = F(0.4)
HERD_WEIGHT = F(1.0 / 3.0)
TRACTOR_STEEL = F(15.0)
REINSTATEMENT_MONTHS = F(18.0)
#: The month's uniforms (``SovietDraws.events``): showdown, its winner, consolidation,
#: the KMT's massacre.
EV_CONTEST, EV_CONTEST_WIN, EV_CONSOLIDATE, EV_KMT = range(4)


@dataclass(frozen=True)
class Tables:
    """What the month needs of the calendar and the regions (NumPy)."""

    start_year: int
    start_month: int
    years: np.ndarray  # int [T], calendar year of each month index
    months: np.ndarray  # int [T], calendar month 1..12
    first_year: int  # year of the [Y] records' index 0
    index_of: Any  # "YYYY-MM" -> month index
    area: np.ndarray  # float32 [R], grain sown area, Mha
    nomad: np.ndarray  # float32 [R]
    targeted: np.ndarray  # float32 [R], 0/1
    famine_mask: np.ndarray  # float32 [G, R]


def tables_of(model: Any) -> Tables:
    """The calendar of a ``SovietModel`` and the regions table."""
    cal, reg = model.calendar, regions()
    return Tables(
        start_year=cal.start_year,
        start_month=cal.start_month,
        years=np.asarray(cal.years),
        months=np.asarray(cal.months),
        first_year=int(cal.year_labels[0]),
        index_of=cal.index_of,
        area=(reg.area_share * F(K.GRAIN_AREA_1928)).astype(F),
        nomad=reg.nomad_share.astype(F),
        targeted=reg.targeted.astype(F),
        famine_mask=reg.famine_mask.astype(F),
    )


# ---------------------------------------------------------------- conversion helpers
def to_numpy(tree: Any) -> Any:
    """A (nested) dataclass of arrays as nested dicts of NumPy arrays (dtypes kept)."""
    if dataclasses.is_dataclass(tree):
        return {f.name: to_numpy(getattr(tree, f.name)) for f in dataclasses.fields(tree)}
    return np.array(tree)


def flatten(state: dict[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    """Nested dict -> ``{"leadership.power": array, ...}``."""
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = np.asarray(value)
    return out


def total(x: Any) -> np.float32:
    """Sum in float64, rounded to float32 once."""
    return F(np.sum(np.asarray(x, np.float64)))


def clip(x: Any, lo: float, hi: float) -> np.float32:
    """A float32 scalar clipped to ``[lo, hi]``."""
    return F(min(max(F(x), F(lo)), F(hi)))


def month_of(th: dict[str, np.float32], name: str, tb: Tables) -> np.float32:
    """Fractional month index of a decimal-year parameter (1928.75 -> 57 from 1924-01)."""
    return (th[name] - F(tb.start_year)) * F(12.0) - F(tb.start_month - 1)


def _record(trace: list | None, name: str, lhs: Any, rhs: Any, outcome: bool) -> bool:
    if trace is not None:
        trace.append((name, float(lhs), float(rhs), bool(outcome)))
    return bool(outcome)


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
def security(
    sec: dict, th: dict, v: np.ndarray, personal: bool, thr: Any, t: int, tb: Tables, trace: Any
) -> np.float32:
    """The terror wave, officers, the army and its command (in place); returns ``I_t``."""
    p, tf = th, F(t)
    start, M = month_of(th, "terror_start", tb), p["terror_months"]
    starts = _record(trace, "terror_wave_starts", tf, start, tf >= start and tf - F(1) < start)
    in_wave = start <= tf < start + M
    after = tf >= start + M
    if starts:
        damping = F(1.0) if personal else p["collective_purge_damping"]
        sec["intensity"] = v[K.P_PURGE] * damping
    now = F(sec["intensity"]) if in_wave else F(0.0)
    per = now / M
    executions = p["executions_at_full"] * per
    officers = p["officer_ratio"] * sec["army"] * F(1000.0)
    dis = min(p["officer_discharge_share"] * per, F(0.9)) * officers
    back = sec["to_reinstate"] / REINSTATEMENT_MONTHS if after else F(0.0)
    sec["to_reinstate"] = sec["to_reinstate"] + p["reinstatement_share"] * dis - back
    gr = p["army_growth"] * thr / F(12.0)
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
        sec["arrests"] = sec["arrests"] + p["arrest_ratio"] * executions
        sec["officers_purged"] = sec["officers_purged"] + dis
        sec["officers_arrested"] = sec["officers_arrested"] + p["officer_arrest_share"] * dis
    c = sec["cadres_lost"]
    sec["cadres_lost"] = c + (F(1.0) - c) * min(p["cadre_loss_share"] * per, F(1.0))
    if t == tb.index_of(K.QUALITY_MONTH):
        sec["quality_1941"] = sec["quality"]
    for i, label in enumerate(K.ARMY_MONTHS):
        if t == tb.index_of(label):
            sec["army_record"][i] = sec["army"]
    return now


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
    purge = _record(trace, "kmt_purge_month", tf, at, tf >= at and tf - F(1) < at)
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
        if _record(trace, "kmt_massacre", u, p["kmt_purge_prob"], u < p["kmt_purge_prob"]):
            survive = (F(1.0) - iota) * p["ccp_survival_inside"] + iota * p["ccp_survival_apart"]
            members = members * survive
        ch["purged"] = np.array(True)
    ch["members"] = F(members)
    for i, label in enumerate(K.CCP_MONTHS):
        if t == tb.index_of(label):
            ch["record"][1 + i] = members


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
            if _record(trace, "contest", u[EV_CONTEST], rc, u[EV_CONTEST] < rc):
                side = s[boss] + p["bandwagon"] * (F(1.0) - s[boss] - s[rival])
                chance = F(1.0) / (F(1.0) + np.exp(-p["contest_sharpness"] * (side - s[rival])))
                wins = _record(
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
                if _record(trace, "expelled", s[f], p["expel_share"], s[f] < p["expel_share"]):
                    act[f] = False
        s, a = _norm(s, act), _norm(a, act)
        # 5. Consolidation into personal rule.
        top = max(idx, key=lambda f: (s[f], -f))
        rivals = [s[f] for f in idx if act[f] and f not in (top, K.OTHERS)]
        strongest = max(rivals, default=F(0.0))
        hazard = p["consolidation_rate"] * p[f"personal_rule_propensity.{K.FACTIONS[top]}"]
        chance = F(1.0) - np.exp(-hazard)
        if (
            _record(
                trace,
                "dominant",
                s[top],
                p["consolidation_threshold"],
                s[top] >= p["consolidation_threshold"],
            )
            and _record(
                trace, "rivals_broken", strongest, RIVAL_CEILING, strongest <= RIVAL_CEILING
            )
            and _record(trace, "consolidate", u[EV_CONSOLIDATE], chance, u[EV_CONSOLIDATE] < chance)
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
    plan = _record(trace, "plan", tf, plan_at, tf >= plan_at)
    drive = _record(
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
