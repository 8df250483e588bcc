"""Peasant blocs: collectivisation, herds, harvest, procurement, food and famine.

Per region ``r`` and month (equations in ``docs/ODD.md``, "Collectivisation and famine"):

* *Collectivisation* (from the Great Turn): ``dc = collectivisation_rate * pace * (1 - c) / 12``;
  ``upheaval`` is its twelve-month moving rate.
* *Herds*: slaughter ``livestock_slaughter * pace * (1 - competence) * (1 - c)``, forced
  settlement of nomads ``sedentarisation_loss * pace * targeted * nomad_share``, regrowth
  ``herd_regrowth * (1 - herd)``, all per year.
* *Harvest* (in ``HARVEST_MONTH``): area x yield with the year's national and regional
  weather, less the upheaval without competence and the lost draught power (as far as
  tractors have not replaced it, :func:`.industry.mechanisation`).
* *Procurement*: a quota of ``procurement_nep + procurement_drive * pace`` times the
  *planned* harvest (inflated by ``plan_optimism`` as far as competence is lacking),
  shared out in the drive with ``target_boost`` on singled-out regions. Under the NEP
  peasants sell at most ``procurement_nep`` of what they reaped; in the drive the state
  takes all but what must stay in the village (``reserve_floor`` up to
  ``subsistence_reserve`` with competence). The shortfall against the quota feeds the
  succession struggle.
* *Food*: villages ration their stock to the next harvest; the shortage of grain (settled
  part) or of herd (nomads), beyond ``famine_threshold``, drives excess deaths
  ``famine_mortality * ((shortage - threshold) / (1 - threshold)) ** famine_exponent``
  (settled and nomads each by their own shortage), and the bloc's mean shortage drives
  flight ``flight_rate * shortage`` (per year).

Grain balance (per run): harvested = seed + procured + eaten + stock lost + final stock.
People: rural population + those who fled = initial + births - famine deaths.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_sum
from abm.models.interwar.soviet.types import Ledger, PeasantBlocs

#: Export earnings reference: the grain exports of 1930-31, about 5 Mt a year
#: (``SUN_grain_export_1930``, Wheatcroft & Davies 1994).
EXPORT_REFERENCE = 5.0
#: Trade openness at which ``export_share`` is stated (Stalin's preset).
EXPORT_TRADE_REFERENCE = 0.4


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


@dataclass(frozen=True)
class Calendar:
    """What the peasant month needs to know of the date (traced scalars)."""

    year_index: jax.Array  # int32, index into the [Y] records
    years_since_1928: jax.Array  # float32
    months_to_harvest: jax.Array  # int32, 1..12, months until the next harvest incl. this
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


def month(
    b: PeasantBlocs,
    ledger: Ledger,
    weather: jax.Array,
    regional: jax.Array,
    c: Calendar,
    land: Land,
    pol: FarmPolicy,
    f: FarmParams,
) -> tuple[PeasantBlocs, Ledger]:
    """One month of the peasant blocs.

    Args:
        b: blocs at the start of the month.
        ledger: the run's accounts.
        weather: this year's national weather draw (standard normal).
        regional: this year's regional draws, float32 ``[R]``.
        c: the date.
        land: per-region constants.
        pol: the policy in force.
        f: parameters.
    """
    drive = c.drive.astype(jnp.float32)
    pace, comp = pol.pace * drive, pol.competence

    # Collectivisation and its upheaval.
    dc = f.collectivisation_rate * pace * (1.0 - b.collectivised) / 12.0
    coll = b.collectivised + dc
    upheaval = b.upheaval + (dc * 12.0 - b.upheaval) / 12.0

    # Herds: slaughter before entering the kolkhoz, forced settlement, regrowth.
    herd = b.livestock
    loss = (
        f.livestock_slaughter * pace * (1.0 - comp) * (1.0 - b.collectivised)
        + f.sedentarisation_loss * pace * pol.targeted * land.nomad
    )
    herd = herd * jnp.exp(-loss / 12.0) + f.herd_regrowth * herd * (1.0 - herd) / 12.0
    herd = jnp.clip(herd, 0.01, 1.5)

    # The harvest and the procurement (used only in the harvest month).
    sd2 = f.weather_sd**2 + f.regional_weather_sd**2
    luck = jnp.exp(f.weather_sd * weather + f.regional_weather_sd * regional - 0.5 * sd2)
    trend = land.area * f.grain_yield * (1.0 + f.yield_trend * jnp.maximum(c.years_since_1928, 0.0))
    harvest = (
        trend
        * luck
        * (1.0 - jnp.clip(f.disruption_loss * upheaval * (1.0 - comp), 0.0, 0.9))
        * (1.0 - f.draught_effect * jnp.clip(1.0 - herd, 0.0, 1.0) * (1.0 - pol.mechanisation))
    )
    seed = f.seed_share * harvest
    net = harvest - seed
    planned = (1.0 - comp) * trend * (1.0 + f.plan_optimism) + comp * harvest
    share = f.procurement_nep + f.procurement_drive * pace
    weights = planned * (1.0 + f.target_boost * pol.targeted * drive * land.targeted)
    quota = share * fixed_sum(planned) * weights / jnp.maximum(fixed_sum(weights), 1e-9)
    reserve = f.reserve_floor + comp * (f.subsistence_reserve - f.reserve_floor)
    # In the drive the state takes what the cap allows; under the NEP peasants sell at
    # most the NEP share of what they actually reaped (the 1927-28 "grain strike").
    cap = jnp.where(c.drive, (1.0 - reserve) * (net + b.stock), f.procurement_nep * harvest)
    procured = jnp.minimum(quota, cap)
    on_harvest = c.harvest
    hf = on_harvest.astype(jnp.float32)
    stock = b.stock + hf * (net - procured)
    total_quota = fixed_sum(quota)
    total_procured = fixed_sum(procured)
    shortfall = jnp.where(
        on_harvest, jnp.clip(1.0 - total_procured / jnp.maximum(total_quota, 1e-9), 0.0, 1.0), 0.0
    )
    exports = total_procured * f.export_share * pol.trade / EXPORT_TRADE_REFERENCE

    # Food: ration the stock to the next harvest.
    pop = b.population
    settled = pop * (1.0 - land.nomad)
    need = settled * (f.grain_need * (1.0 - f.other_food * herd) + f.fodder_need * herd) / 12.0
    ration = stock / c.months_to_harvest.astype(jnp.float32)
    eaten = jnp.minimum(need, ration)
    short_grain = jnp.clip(1.0 - eaten / jnp.maximum(need, 1e-9), 0.0, 1.0)
    short_herd = jnp.clip(1.0 - herd / f.nomad_herd_need, 0.0, 1.0)
    shortage = (1.0 - land.nomad) * short_grain + land.nomad * short_herd
    lost = stock * (1.0 - jnp.exp(-f.stock_loss / 12.0))
    stock = stock - eaten - lost

    # People.
    # Deaths where the shortage goes beyond what people survive by eating less; the
    # settled and the nomadic part of a bloc each by their own shortage.
    def lethal(x: jax.Array) -> jax.Array:
        over = jnp.clip((x - f.famine_threshold) / (1.0 - f.famine_threshold), 0.0, 1.0)
        return over**f.famine_exponent

    rate = (1.0 - land.nomad) * lethal(short_grain) + land.nomad * lethal(short_herd)
    deaths = pop * jnp.minimum(f.famine_mortality * rate / 12.0, 0.5)
    fled = pop * f.flight_rate * shortage / 12.0
    births = pop * f.natural_growth / 12.0
    pop = pop + births - deaths - fled

    yi = c.year_index
    in_window = c.famine_window.astype(jnp.float32)
    new_b = PeasantBlocs(
        population=pop,
        livestock=herd,
        collectivised=coll,
        upheaval=upheaval,
        stock=stock,
        shortage=shortage,
        alive=b.alive,
    )
    new_l = Ledger(
        harvested=ledger.harvested + hf * fixed_sum(harvest),
        seed=ledger.seed + hf * fixed_sum(seed),
        procured=ledger.procured + hf * total_procured,
        eaten=ledger.eaten + fixed_sum(eaten),
        stock_lost=ledger.stock_lost + fixed_sum(lost),
        births=ledger.births + fixed_sum(births),
        deaths=ledger.deaths + fixed_sum(deaths),
        fled=ledger.fled + fixed_sum(fled),
        famine_deaths=ledger.famine_deaths
        + in_window * fixed_sum(land.famine_mask * deaths[None, :], axis=-1),
        harvest=ledger.harvest.at[yi].add(hf * fixed_sum(harvest)),
        procurement=ledger.procurement.at[yi].add(hf * total_procured),
        exports=ledger.exports.at[yi].add(hf * exports),
        herd=ledger.herd.at[yi].add(hf * fixed_sum(herd * pop) / fixed_sum(pop)),
        shortfall=jnp.where(on_harvest, shortfall, ledger.shortfall),
    )
    return new_b, new_l


def initial_stock(area: jax.Array, f: FarmParams) -> jax.Array:
    """Village stock in January 1924, Mt ``[R]``.

    What is left of the 1923 harvest for the seven months to August.
    """
    return area * f.grain_yield * (1.0 - f.seed_share - f.procurement_nep) * 7.0 / 12.0
