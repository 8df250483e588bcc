"""Agent state of the Soviet slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``F`` leadership factions (5), ``R`` peasant blocs (regions, 80+), ``Y`` calendar
years, ``S`` great powers (7), ``G`` famine region groups (total, Ukraine, Kazakhstan).
Units: people in millions, grain in million tonnes (Mt), steel in Mt a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Leadership:
    """The succession struggle and who rules."""

    power: jax.Array = leaf(
        ("faction",), "float32", doc="share of Central Committee power; sums to 1"
    )
    resources: jax.Array = leaf(
        ("faction", "resource"),
        "float32",
        doc="shares of the apparatus, the army, the secret police and the party's base",
    )
    active: jax.Array = leaf(("faction",), "bool", doc="not (yet) expelled, leader alive")
    ruler: jax.Array = leaf((), "int32", doc="faction holding personal power, -1 while collective")
    personal_month: jax.Array = leaf((), "int32", doc="month personal rule first began, -1 never")
    rule_start: jax.Array = leaf((), "int32", doc="month the present personal rule began, -1")
    end_cause: jax.Array = leaf(
        (), "int32", doc="how the first personal rule ended: 0 not, 1 death, 2 revolt, 3 coup"
    )
    end_month: jax.Array = leaf((), "int32", doc="month the first personal rule ended, -1 never")
    alarm: jax.Array = leaf(
        (), "float32", doc="the leadership's alarm: failed plots, assassinations (decaying)"
    )
    disaster: jax.Array = leaf((), "float32", doc="remembered famine deaths, millions (decaying)")
    grievance: jax.Array = leaf(
        (), "float32", doc="the army's remembered share of officers discharged (decaying)"
    )
    leader_1930: jax.Array = leaf((), "int32", doc="soviet_leader category at the end of 1929")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class PeasantBlocs:
    """Peasant blocs: one per region."""

    population: jax.Array = leaf(("region",), "float32", doc="rural population, millions")
    livestock: jax.Array = leaf(
        ("region",), "float32", doc="herd relative to 1928 (1 = the 1928 herd per head)"
    )
    collectivised: jax.Array = leaf(
        ("region",), "float32", doc="share of households in kolkhozes, 0..1"
    )
    upheaval: jax.Array = leaf(
        ("region",), "float32", doc="collectivisation of the last twelve months, per year"
    )
    stock: jax.Array = leaf(("region",), "float32", doc="village grain stock, Mt")
    shortage: jax.Array = leaf(("region",), "float32", doc="food shortage of the month, 0..1")
    quota: jax.Array = leaf(
        ("region",), "float32", doc="grain still to be delivered in this procurement campaign, Mt"
    )
    hunger: jax.Array = leaf(
        ("region",), "float32", doc="food shortage of the last months (moving mean), 0..1"
    )
    alive: jax.Array = leaf(("region",), "bool", doc="capacity mask (all True)")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Ledger:
    """Whole-run accounts (for the invariants and the outcomes)."""

    harvested: jax.Array = leaf((), "float32", doc="Mt")
    seed: jax.Array = leaf((), "float32", doc="Mt")
    procured: jax.Array = leaf((), "float32", doc="Mt")
    eaten: jax.Array = leaf((), "float32", doc="Mt (food and fodder)")
    stock_lost: jax.Array = leaf((), "float32", doc="Mt (sold on the market, spoiled)")
    births: jax.Array = leaf(
        (), "float32", doc="natural increase of the rural population, millions"
    )
    deaths: jax.Array = leaf((), "float32", doc="famine (excess) deaths, millions")
    fled: jax.Array = leaf((), "float32", doc="left the peasant blocs for towns, millions")
    famine_deaths: jax.Array = leaf(
        ("region_group",), "float32", doc="excess deaths in the famine window, millions"
    )
    harvest: jax.Array = leaf(("year",), "float32", doc="national grain harvest of each year, Mt")
    procurement: jax.Array = leaf(("year",), "float32", doc="procured grain of each year, Mt")
    exports: jax.Array = leaf(("year",), "float32", doc="grain exports of each year, Mt")
    herd: jax.Array = leaf(("year",), "float32", doc="mean herd at the harvest, relative to 1928")
    shortfall: jax.Array = leaf(
        (), "float32", doc="last procurement's shortfall against the quota, 0..1"
    )
    to_towns: jax.Array = leaf((), "float32", doc="state pool to towns and the army, Mt")
    to_villages: jax.Array = leaf((), "float32", doc="state pool to deficit villages, Mt")
    exported: jax.Array = leaf((), "float32", doc="state pool exported, Mt")
    pool_lost: jax.Array = leaf((), "float32", doc="state pool lost and used otherwise, Mt")
    quota: jax.Array = leaf(("year",), "float32", doc="procurement quota of each harvest, Mt")
    deaths_by_year: jax.Array = leaf(
        ("year",), "float32", doc="excess deaths of each calendar year, millions"
    )
    region_deaths: jax.Array = leaf(
        ("region",), "float32", doc="excess deaths in the famine window by region, millions"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Grain:
    """The national grain economy: the state pool and the policy's responses."""

    pool: jax.Array = leaf((), "float32", doc="state grain pool, Mt")
    villages_year: jax.Array = leaf(
        (), "float32", doc="the pool's supply to villages over the last year (moving sum), Mt"
    )
    exports_due: jax.Array = leaf(
        (), "float32", doc="export commitment of the crop year still to ship, Mt"
    )
    recruited: jax.Array = leaf(
        (), "float32", doc="industry's recruits drawn from the villages so far, millions"
    )
    alarm: jax.Array = leaf(
        (), "float32", doc="famine deaths reported to the leadership (smoothed rate), per year"
    )
    relief: jax.Array = leaf(
        (), "float32", doc="the policy's response to famine in force (quota cut, relief), 0..1"
    )
    ration_phase: jax.Array = leaf(
        (), "int32", doc="bread rationing in the towns: 0 not yet, 1 in force, 2 ended"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Industry:
    """Heavy industry (steel as its measure)."""

    capacity: jax.Array = leaf((), "float32", doc="steel capacity, Mt a year")
    pipeline: jax.Array = leaf(
        ("construction_stage",), "float32", doc="capacity in the two construction stages, Mt a year"
    )
    steel: jax.Array = leaf(("year",), "float32", doc="steel output of each year, Mt")
    gdp: jax.Array = leaf(
        ("year",), "float32", doc="USSR GDP of each year (set in December), bn 2011 int$"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Security:
    """Terror, the Red Army and its command."""

    army: jax.Array = leaf((), "float32", doc="personnel, thousands")
    quality: jax.Array = leaf((), "float32", doc="command quality index, 0..1")
    quality_1941: jax.Array = leaf((), "float32", doc="quality at the end of June 1941")
    intensity: jax.Array = leaf(
        (), "float32", doc="intensity of the wave under way (fixed at its start), 0 none"
    )
    wave_start: jax.Array = leaf((), "int32", doc="month the last terror wave began, -1 none")
    first_wave: jax.Array = leaf((), "int32", doc="month the first wave from 1934 began, -1 none")
    executions: jax.Array = leaf((), "float32", doc="executions in the terror window, persons")
    arrests: jax.Array = leaf((), "float32", doc="arrests in the terror window, persons")
    officers_purged: jax.Array = leaf(
        (), "float32", doc="command staff discharged in the window, persons"
    )
    officers_arrested: jax.Array = leaf((), "float32", doc="of them arrested, persons")
    to_reinstate: jax.Array = leaf((), "float32", doc="discharged officers still to be reinstated")
    cadres_lost: jax.Array = leaf((), "float32", doc="share of foreign communist cadres lost")
    army_record: jax.Array = leaf(
        ("army_date",), "float32", doc="personnel at the record months, thousands"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class China:
    """The Chinese Communist Party and the First United Front."""

    members: jax.Array = leaf((), "float32", doc="CCP members")
    purged: jax.Array = leaf((), "bool", doc="the KMT's purge has come")
    record: jax.Array = leaf(
        ("ccp_date",), "float32", doc="members before the purge, then at the record months"
    )
    massacre_month: jax.Array = leaf(
        (), "int32", doc="month the KMT's break came as a massacre (April 1927), -1 never"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Shocks:
    """Random numbers of a whole run drawn at the start (standard normal)."""

    weather: jax.Array = leaf(("year",), "float32", doc="national harvest weather of each year")
    regional: jax.Array = leaf(("year", "region"), "float32", doc="regional weather of each year")
    steel: jax.Array = leaf(("year",), "float32", doc="USSR output around capacity of each year")
    states: jax.Array = leaf(
        ("state", "year"), "float32", doc="the other powers' deviation (AR(1) applied)"
    )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SovietState:
    """Whole Soviet state of one run."""

    leadership: Leadership
    blocs: PeasantBlocs
    ledger: Ledger
    industry: Industry
    security: Security
    china: China
    grain: Grain
    shocks: Shocks
    month: jax.Array = leaf((), "int32", doc="index of the month about to be simulated")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SovietDraws:
    """Every random number one month uses (see ``draw_month``)."""

    power: jax.Array  # float32 [F], standard normal
    events: jax.Array  # float32 [N_EVENTS], uniform on [0, 1)
