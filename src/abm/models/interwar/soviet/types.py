"""Agent state of the Soviet slice, struct-of-arrays, one run (vmap adds runs).

Shapes: ``F`` leadership factions (5), ``R`` peasant blocs (regions, 80+), ``Y`` calendar
years, ``S`` great powers (7), ``G`` famine region groups (total, Ukraine, Kazakhstan).
Units: people in millions, grain in million tonnes (Mt), steel in Mt a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Leadership:
    """The succession struggle and who rules."""

    power: jax.Array  # float32 [F], share of Central Committee power; sums to 1
    apparatus: jax.Array  # float32 [F], share of the party apparatus; sums to 1
    active: jax.Array  # bool [F], not (yet) expelled
    ruler: jax.Array  # int32 [], faction holding personal power, -1 while collective
    personal_month: jax.Array  # int32 [], month personal rule began, -1 never
    leader_1930: jax.Array  # int32 [], soviet_leader category at the end of 1929


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class PeasantBlocs:
    """Peasant blocs: one per region."""

    population: jax.Array  # float32 [R], rural population, millions
    livestock: jax.Array  # float32 [R], herd relative to 1928 (1 = the 1928 herd per head)
    collectivised: jax.Array  # float32 [R], share of households in kolkhozes, 0..1
    upheaval: jax.Array  # float32 [R], collectivisation of the last twelve months, per year
    stock: jax.Array  # float32 [R], village grain stock, Mt
    shortage: jax.Array  # float32 [R], food shortage of the month, 0..1
    alive: jax.Array  # bool [R], capacity mask (all True)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Ledger:
    """Whole-run accounts (for the invariants and the outcomes)."""

    harvested: jax.Array  # float32 [], Mt
    seed: jax.Array  # float32 [], Mt
    procured: jax.Array  # float32 [], Mt
    eaten: jax.Array  # float32 [], Mt (food and fodder)
    stock_lost: jax.Array  # float32 [], Mt (sold on the market, spoiled)
    births: jax.Array  # float32 [], natural increase of the rural population, millions
    deaths: jax.Array  # float32 [], famine (excess) deaths, millions
    fled: jax.Array  # float32 [], left the peasant blocs for towns, millions
    famine_deaths: jax.Array  # float32 [G], excess deaths in the famine window, millions
    harvest: jax.Array  # float32 [Y], national grain harvest of each year, Mt
    procurement: jax.Array  # float32 [Y], procured grain of each year, Mt
    exports: jax.Array  # float32 [Y], grain exports of each year, Mt
    herd: jax.Array  # float32 [Y], mean herd at the harvest, relative to 1928
    shortfall: jax.Array  # float32 [], last procurement's shortfall against the quota, 0..1


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Industry:
    """Heavy industry (steel as its measure)."""

    capacity: jax.Array  # float32 [], steel capacity, Mt a year
    pipeline: jax.Array  # float32 [2], capacity in the two construction stages, Mt a year
    steel: jax.Array  # float32 [Y], steel output of each year, Mt
    gdp: jax.Array  # float32 [Y], USSR GDP of each year (set in December), bn 2011 int$


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Security:
    """Terror, the Red Army and its command."""

    army: jax.Array  # float32 [], personnel, thousands
    quality: jax.Array  # float32 [], command quality index, 0..1
    quality_1941: jax.Array  # float32 [], quality at the end of June 1941
    intensity: jax.Array  # float32 [], terror intensity fixed at the wave's start, 0..
    executions: jax.Array  # float32 [], executions in the terror window, persons
    arrests: jax.Array  # float32 [], arrests in the terror window, persons
    officers_purged: jax.Array  # float32 [], command staff discharged in the window, persons
    officers_arrested: jax.Array  # float32 [], of them arrested, persons
    to_reinstate: jax.Array  # float32 [], discharged officers still to be reinstated
    cadres_lost: jax.Array  # float32 [], share of foreign communist cadres lost
    army_record: jax.Array  # float32 [A], personnel at the record months, thousands


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class China:
    """The Chinese Communist Party and the First United Front."""

    members: jax.Array  # float32 [], CCP members
    purged: jax.Array  # bool [], the KMT's purge has come
    record: jax.Array  # float32 [M], members before the purge, then at the record months


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Shocks:
    """Random numbers of a whole run drawn at the start (standard normal)."""

    weather: jax.Array  # float32 [Y], national harvest weather of each year
    regional: jax.Array  # float32 [Y, R], regional weather of each year
    steel: jax.Array  # float32 [Y], USSR output around capacity of each year
    states: jax.Array  # float32 [S, Y], the other powers' deviation (AR(1) applied)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SovietState:
    """Whole Soviet state of one run."""

    month: jax.Array  # int32 [], index of the month about to be simulated
    leadership: Leadership
    blocs: PeasantBlocs
    ledger: Ledger
    industry: Industry
    security: Security
    china: China
    shocks: Shocks


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SovietDraws:
    """Every random number one month uses (see ``draw_month``)."""

    power: jax.Array  # float32 [F], standard normal
    events: jax.Array  # float32 [N_EVENTS], uniform on [0, 1)
