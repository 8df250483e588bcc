"""Peasant blocs: collectivisation, herds, harvest, procurement, food and famine.

Per region ``r`` and month (equations in ``docs/ODD.md``, "Collectivisation and famine"):

* *Collectivisation* (from the Great Turn): ``dc = collectivisation_rate * pace * (1 - c) / 12``;
  ``upheaval`` is its twelve-month moving rate.
* *Herds*: slaughter ``livestock_slaughter * pace * (1 - competence) * (1 - c)``, forced
  settlement of nomads ``sedentarisation_loss * pace * targeted * (1 - relief) * nomad_share``,
  regrowth ``herd_regrowth * (1 - herd)``, all per year.
* *Harvest* (in ``HARVEST_MONTH``): area x yield with the year's national and regional
  weather, less the upheaval without competence, the lost draught power (as far as
  tractors have not replaced it, :func:`.industry.mechanisation`) and
  ``hunger_loss * hunger``, the villages' hunger of the last months (a four-month moving
  mean of the shortage: starving peasants and horses sow and weed less).
* *Quota*: ``procurement_nep + procurement_drive * pace`` times the *planned* harvest
  (inflated by ``plan_optimism`` as far as competence is lacking), at least the towns',
  the army's and the fed villages' year beyond the state pool, shared out in the
  drive with ``target_boost`` on singled-out regions; due is the quota up to a cap (under
  the NEP the NEP share of what was reaped; in the drive all but the reserve). The export
  commitment is fixed from the quota. Both are collected and shipped in even tranches
  over :data:`.grain.CAMPAIGN_MONTHS`, each cut by the relief in force.
* *Food* (:mod:`.grain`): own stock rationed to the next harvest, the market, the state
  pool (towns and army first, the villages within their allotment of the state's balance
  to the harvest). Nomads need grain as far as their herd falls short of
  ``nomad_herd_need``. The shortage beyond ``famine_threshold`` drives excess deaths
  ``famine_mortality * ((shortage - threshold) / (1 - threshold)) ** famine_exponent``
  and flight ``flight_rate * shortage`` (per year). Industry's recruits
  (:func:`.grain.recruits`) leave the villages pro rata as the towns take them in.
* *Responses* (:mod:`.policy_response`): reports, relief, rationing.

Grain balance (per run): village harvested + stock0 + to_villages = seed + procured + eaten
+ stock lost + stock; pool0 + procured = to_towns + to_villages + exported + pool lost + pool.
People: rural population + those who fled = initial + births - famine deaths.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_sum
from abm.engine.fusion import materialise
from abm.models.interwar.soviet import grain, policy_response
from abm.models.interwar.soviet.grain import CAMPAIGN_MONTHS
from abm.models.interwar.soviet.types import Grain, Ledger, PeasantBlocs

#: Export earnings reference: the grain exports of 1930-31, about 5 Mt a year
#: (``SUN_grain_export_1930``, Wheatcroft & Davies 1994).
EXPORT_REFERENCE = 5.0
#: Trade openness at which ``export_share`` is stated (Stalin's preset).
EXPORT_TRADE_REFERENCE = 0.4
#: Memory of the villages' hunger that weakens the next harvest, months (spring sowing to
#: the harvest). Assumption.
HUNGER_MONTHS = 4.0
#: Memory of the collectivisation's upheaval in the harvest, months: the chaos of the new
#: kolkhozes (lost skills, unsown and unharvested fields, the 1930 retreat and the second
#: drive of 1931) weighed on the harvests of 1931 and 1932 more than on the 1930 harvest,
#: largely sown by individual peasants (Davies 1980, "The Socialist Offensive"; Davies &
#: Wheatcroft 2004, ch. 1-4). Assumption on the length.
UPHEAVAL_MONTHS = 24.0


@dataclass(frozen=True)
class FarmParams:
    """Scalars of the peasant month (float32, drawn per run)."""

    grain_yield: jax.Array
    yield_trend: jax.Array
    weather_sd: jax.Array
    regional_weather_sd: jax.Array
    collectivisation_rate: jax.Array
    disruption_loss: jax.Array
    livestock_slaughter: jax.Array
    herd_regrowth: jax.Array
    draught_effect: jax.Array
    sedentarisation_loss: jax.Array
    seed_share: jax.Array
    procurement_nep: jax.Array
    procurement_drive: jax.Array
    plan_optimism: jax.Array
    subsistence_reserve: jax.Array
    reserve_floor: jax.Array
    target_boost: jax.Array
    export_share: jax.Array
    fodder_need: jax.Array
    stock_loss: jax.Array
    grain_need: jax.Array
    other_food: jax.Array
    famine_mortality: jax.Array
    famine_exponent: jax.Array
    famine_threshold: jax.Array
    flight_rate: jax.Array
    nomad_herd_need: jax.Array
    natural_growth: jax.Array
    urban_ration: jax.Array
    army_ration: jax.Array
    pool_loss: jax.Array
    market_nep: jax.Array
    kolkhoz_market: jax.Array
    quota_cut: jax.Array
    export_halt: jax.Array
    hunger_loss: jax.Array


@dataclass(frozen=True)
class Calendar:
    """What the peasant month needs to know of the date (traced scalars)."""

    year_index: jax.Array  # int32, index into the [Y] records
    years_since_1928: jax.Array  # float32
    months_to_harvest: jax.Array  # int32, 1..12, months until the next harvest incl. this
    months_since_harvest: jax.Array  # int32, 0..11, 0 in the harvest month
    crop_year_index: jax.Array  # int32, index of the last harvest's year (clamped at 0)
    harvest: jax.Array  # bool, the harvest is brought in this month
    drive: jax.Array  # bool, the collectivisation drive is under way
    famine_window: jax.Array  # bool, deaths count in famine_deaths


@dataclass(frozen=True)
class Land:
    """Constant per-region data (float32 ``[R]`` each), from :mod:`.regions`."""

    area: jax.Array  # grain sown area, million ha
    nomad: jax.Array  # share of nomads
    targeted: jax.Array  # 0/1
    famine_mask: jax.Array  # float32 [G, R]


@dataclass(frozen=True)
class FarmPolicy:
    """The policy in force that the peasant month uses (float32 scalars)."""

    pace: jax.Array
    competence: jax.Array
    targeted: jax.Array
    trade: jax.Array
    mechanisation: jax.Array  # share of lost draught power tractors replace, 0..1
    urban: jax.Array  # town population to feed, millions
    army: jax.Array  # Red Army personnel, thousands
    recruits: jax.Array  # industry's recruits from the villages so far, millions


def month(
    b: PeasantBlocs,
    g: Grain,
    ledger: Ledger,
    weather: jax.Array,
    regional: jax.Array,
    c: Calendar,
    land: Land,
    pol: FarmPolicy,
    f: FarmParams,
    r: policy_response.ResponseParams,
) -> tuple[PeasantBlocs, Grain, Ledger]:
    """One month of the peasant blocs and the national grain economy.

    Args:
        b: blocs at the start of the month.
        g: the state pool and the responses in force.
        ledger: the run's accounts.
        weather: this year's national weather draw (standard normal).
        regional: this year's regional draws, float32 ``[R]``.
        c: the date.
        land: per-region constants.
        pol: the policy in force and the towns and army to feed.
        f: parameters.
        r: the responses' parameters.
    """
    # The run's scalars are materialised first: XLA would otherwise recompute the policy
    # in force (a chain over the factions' levers) inside every per-region fusion.
    pol, c = materialise(pol), materialise(c)
    f, r = materialise(f), materialise(r)
    drive = c.drive.astype(jnp.float32)
    pace, comp = pol.pace * drive, pol.competence
    relief = g.relief
    ended = g.ration_phase == policy_response.ENDED

    # Collectivisation and its upheaval.
    dc = f.collectivisation_rate * pace * (1.0 - b.collectivised) / 12.0
    coll = b.collectivised + dc
    upheaval = b.upheaval + (dc * 12.0 - b.upheaval) / UPHEAVAL_MONTHS

    # Herds: slaughter before entering the kolkhoz, forced settlement (ended by relief),
    # regrowth.
    herd = b.livestock
    loss = (
        f.livestock_slaughter * pace * (1.0 - comp) * (1.0 - b.collectivised)
        + f.sedentarisation_loss * pace * pol.targeted * (1.0 - relief) * land.nomad
    )
    herd = herd * jnp.exp(-loss / 12.0) + f.herd_regrowth * herd * (1.0 - herd) / 12.0
    herd = jnp.clip(herd, 0.01, 1.5)
    coll, upheaval, herd = materialise((coll, upheaval, herd))

    # The harvest and the campaign's quota (set in the harvest month).
    sd2 = f.weather_sd**2 + f.regional_weather_sd**2
    luck = jnp.exp(f.weather_sd * weather + f.regional_weather_sd * regional - 0.5 * sd2)
    trend = land.area * f.grain_yield * (1.0 + f.yield_trend * jnp.maximum(c.years_since_1928, 0.0))
    harvest = (
        trend
        * luck
        * (1.0 - jnp.clip(f.disruption_loss * upheaval * (1.0 - comp), 0.0, 0.9))
        * (1.0 - f.draught_effect * jnp.clip(1.0 - herd, 0.0, 1.0) * (1.0 - pol.mechanisation))
        * (1.0 - f.hunger_loss * b.hunger)
    )
    trend, harvest = materialise((trend, harvest))
    seed = f.seed_share * harvest
    net = harvest - seed
    # The plan's expectation is anchored on last year's harvest where it beat the trend (the
    # 1930 record raised the targets of 1931), inflated by ``plan_optimism`` as far as
    # competence is lacking; a competent plan sets the quota on the harvest actually reaped.
    recent = ledger.harvest[jnp.maximum(c.year_index - 1, 0)]
    anchor = jnp.maximum(recent / jnp.maximum(fixed_sum(trend), 1e-9), 1.0)
    planned = (1.0 - comp) * trend * anchor * (1.0 + f.plan_optimism) + comp * harvest
    share = f.procurement_nep + f.procurement_drive * pace
    weights = planned * (1.0 + f.target_boost * pol.targeted * drive * land.targeted)
    # The plan asks at least for the towns', the army's and the fed villages' year beyond
    # the state's stocks.
    towns_year = pol.urban * f.urban_ration + pol.army * 1e-3 * f.army_ration
    # Relief lowers the plan itself (the fixed delivery quotas of the law of 19 January 1933
    # replaced the contracting plans everywhere, Davies & Wheatcroft 2004, ch. 7-8).
    asked = jnp.maximum(share * fixed_sum(planned), towns_year + g.villages_year - g.pool) * (
        1.0 - f.quota_cut * relief
    )
    quota = materialise(asked * weights / jnp.maximum(fixed_sum(weights), 1e-9))
    reserve = f.reserve_floor + comp * (f.subsistence_reserve - f.reserve_floor)
    # In the drive the state takes what the cap allows; under the NEP peasants sell at
    # most the NEP share of what they actually reaped (the 1927-28 "grain strike").
    cap = jnp.where(c.drive, (1.0 - reserve) * (net + b.stock), f.procurement_nep * harvest)
    on_harvest = c.harvest
    hf = on_harvest.astype(jnp.float32)
    stock = b.stock + hf * net
    due = materialise(jnp.where(on_harvest, jnp.minimum(quota, cap), b.quota))
    total_quota = fixed_sum(quota)
    shortfall = jnp.where(
        on_harvest,
        jnp.clip(1.0 - fixed_sum(due) / jnp.maximum(total_quota, 1e-9), 0.0, 1.0),
        0.0,
    )
    shortfall_now = jnp.where(on_harvest, shortfall, ledger.shortfall)
    # The export commitment, fixed from the plan ahead of the harvest: a share of what the
    # quota leaves after a year of the towns' and the villages' need. The pool carried over
    # from the last crop year is the state's reserve against the next failure, not
    # committed abroad (assumption).
    surplus = jnp.maximum(total_quota - towns_year - g.villages_year, 0.0)
    committed = surplus * f.export_share * pol.trade / EXPORT_TRADE_REFERENCE
    exports_due = jnp.where(on_harvest, committed, g.exports_due)

    # The campaign: an even tranche of what is still due, cut by the relief in force.
    campaign = c.months_since_harvest < CAMPAIGN_MONTHS
    left = jnp.maximum(CAMPAIGN_MONTHS - c.months_since_harvest, 1).astype(jnp.float32)
    tranche = jnp.where(campaign, due / left, 0.0)
    # Relief cuts the quotas of the singled-out regions (Ukraine's three cuts of autumn 1932).
    cut = f.quota_cut * relief * land.targeted
    procured = jnp.minimum(tranche * (1.0 - cut), stock)
    procured, stock = materialise((procured, stock - procured))
    due = due - tranche
    total_procured = fixed_sum(procured)
    ship = jnp.where(campaign, exports_due / left, 0.0)
    exports_due = exports_due - ship
    # Exports halt with the relief and, whatever the policy, with the reports of hunger
    # themselves (the export plans cut from the spring of 1932).
    halt = jnp.maximum(relief, jnp.clip(r.response_gain * g.alarm, 0.0, 1.0))
    ship = ship * (1.0 - f.export_halt * halt)

    # Food: own stock, the market, the state pool.
    pop = b.population
    need_head = (1.0 - land.nomad) * (
        f.grain_need * (1.0 - f.other_food * herd) + f.fodder_need * herd
    ) + land.nomad * f.grain_need * jnp.clip(1.0 - herd / f.nomad_herd_need, 0.0, 1.0)
    need = pop * need_head / 12.0
    lost = stock * (1.0 - jnp.exp(-f.stock_loss / 12.0))
    need, lost, stock = materialise((need, lost, stock - lost))
    # Individual peasants sell on the market; the kolkhozes only once it is legalised
    # (by the relief), or everyone once rationing has ended.
    kolkhoz = jnp.where(ended, f.market_nep, f.kolkhoz_market * relief)
    open_ = f.market_nep * (1.0 - coll) + kolkhoz * coll
    mk = materialise(grain.market(stock, need, c.months_to_harvest, open_))
    stock = stock - mk.own - mk.sold
    # The state meets the villages' gap, except in the singled-out regions as far as the
    # policy targets them and no relief restores their access.
    access = 1.0 - land.targeted * pol.targeted * drive * (1.0 - relief)
    sup = grain.supply(
        g.pool + total_procured,
        towns_year / 12.0,
        mk.gap,
        access,
        ship,
        f.pool_loss,
        c.months_to_harvest.astype(jnp.float32),
        g.villages_year,
        fixed_sum(due * (1.0 - cut)),
    )
    eaten = mk.own + mk.bought + sup.villages
    shortage = jnp.clip(1.0 - eaten / jnp.maximum(need, 1e-9), 0.0, 1.0)
    eaten, shortage = materialise((eaten, shortage))
    # The hunger of the months before the harvest (sowing, weeding) cuts the next one.
    hunger = b.hunger + (shortage - b.hunger) / HUNGER_MONTHS

    # People: deaths where the shortage goes beyond what people survive by eating less.
    over = jnp.clip((shortage - f.famine_threshold) / (1.0 - f.famine_threshold), 0.0, 1.0)
    deaths = pop * jnp.minimum(f.famine_mortality * over**f.famine_exponent / 12.0, 0.5)
    births = pop * f.natural_growth / 12.0
    # Industry's recruits leave the villages (pro rata) as the towns take them in: the town
    # population that :func:`.grain.urban_population` feeds is no longer fed in the village.
    moving = jnp.maximum(pol.recruits - g.recruited, 0.0)
    recruited = pop * jnp.minimum(moving / jnp.maximum(fixed_sum(pop), 1e-9), 0.1)
    fled = pop * f.flight_rate * shortage / 12.0 + recruited
    new_pop = pop + births - deaths - fled
    deaths, births, fled, new_pop = materialise((deaths, births, fled, new_pop))

    # The leadership hears of the deaths; rationing begins and ends.
    month_deaths = fixed_sum(deaths)
    national = 12.0 * month_deaths / jnp.maximum(fixed_sum(pop), 1e-9)
    alarm, relief = policy_response.respond(g.alarm, relief, national, comp, pol.targeted, r)
    phase = policy_response.ration_phase(
        g.ration_phase, c.drive, sup.pool, towns_year, r.ration_end_cover
    )

    yi, cy = c.year_index, c.crop_year_index
    in_window = c.famine_window.astype(jnp.float32)
    new_b = PeasantBlocs(
        population=new_pop,
        livestock=herd,
        collectivised=coll,
        upheaval=upheaval,
        stock=stock,
        shortage=shortage,
        hunger=hunger,
        quota=due,
        alive=b.alive,
    )
    fed = fixed_sum(sup.villages)
    new_g = Grain(
        pool=sup.pool,
        villages_year=g.villages_year + fed - g.villages_year / 12.0,
        exports_due=exports_due,
        recruited=g.recruited + fixed_sum(recruited),
        alarm=alarm,
        relief=relief,
        ration_phase=phase,
    )
    new_l = Ledger(
        harvested=ledger.harvested + hf * fixed_sum(harvest),
        seed=ledger.seed + hf * fixed_sum(seed),
        procured=ledger.procured + total_procured,
        eaten=ledger.eaten + fixed_sum(eaten),
        stock_lost=ledger.stock_lost + fixed_sum(lost),
        births=ledger.births + fixed_sum(births),
        deaths=ledger.deaths + month_deaths,
        fled=ledger.fled + fixed_sum(fled),
        famine_deaths=ledger.famine_deaths
        + in_window * fixed_sum(land.famine_mask * deaths[None, :], axis=-1),
        harvest=ledger.harvest.at[yi].add(hf * fixed_sum(harvest)),
        procurement=ledger.procurement.at[cy].add(total_procured),
        exports=ledger.exports.at[yi].add(sup.exports),
        herd=ledger.herd.at[yi].add(hf * fixed_sum(herd * new_pop) / fixed_sum(new_pop)),
        shortfall=shortfall_now,
        to_towns=ledger.to_towns + sup.towns,
        to_villages=ledger.to_villages + fed,
        exported=ledger.exported + sup.exports,
        pool_lost=ledger.pool_lost + sup.lost,
        quota=ledger.quota.at[yi].add(
            hf * fixed_sum(quota * (1.0 - f.quota_cut * g.relief * land.targeted))
        ),
        deaths_by_year=ledger.deaths_by_year.at[yi].add(month_deaths),
        region_deaths=ledger.region_deaths + in_window * deaths,
    )
    return new_b, new_g, new_l


def initial_stock(area: jax.Array, f: FarmParams) -> jax.Array:
    """Village stock in January 1924, Mt ``[R]``.

    What is left of the 1923 harvest for the seven months to August.
    """
    return area * f.grain_yield * (1.0 - f.seed_share - f.procurement_nep) * 7.0 / 12.0


def initial_pool(urban: jax.Array, f: FarmParams) -> jax.Array:
    """State pool in January 1924, Mt: the towns' ration for the seven months to August.

    Assumption (the state's stocks carried the towns to the new harvest).
    """
    return urban * f.urban_ration * 7.0 / 12.0
