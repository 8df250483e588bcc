"""The war slice's constant inputs over a calendar (:class:`Tables`) and its first state.

Built once per calendar from the package's tables (``war_sectors.csv``,
``war_powers.csv``, ``war_declarations.csv``, ``war_forces.csv``) and closed over by the
jitted month (:mod:`.month`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from abm.models.calendar import Calendar
from abm.models.interwar.war import history as HI
from abm.models.interwar.war import powers as PW
from abm.models.interwar.war.types import WarState

#: Fronts where winter (December to February) slows combat (the kernel's winter column).
WINTER_FRONTS = ("poland", "west", "scandinavia", "balkans", "soviet_west", "finland", "germany")
#: Sectors on the Rhine (``red_army_reaches_rhine``).
RHINE = ("rhineland_westwall", "ruhr_westphalia")


class Tables(NamedTuple):
    """The month's constant inputs (NumPy, closed over by the jitted month).

    Attributes: ``T`` months, ``P`` powers, ``K`` sectors, ``U`` slots, ``D`` the most
    neighbours of a sector.
        at_war, ally: bool ``[T, P, P]`` (:class:`~.powers.WarHistory`).
        opening: bool ``[T, P, P]``, the first month of a war between the two (at war
            that month and not the month before; at the calendar's start, at war).
        annex: int32 ``[T, K]``.
        men_lo, men_lo_total, men_hi, men_hi_total, men_weight: ``[T, P]`` dated strengths.
        year: int32 ``[T]``, each month's calendar year.
        winter: float32 ``[T]``, 1 in December to February.
        slot_owner, slot_kind: int32 ``[U]``.
        slot_tanks: float32 ``[U]``, tanks per thousand men of the slot's kind
            (:data:`~.powers.TANKS_PER_THOUSAND`).
        block_start: int32 ``[P]``.
        slot_men: float32 ``[P]``, thousand men of a new division (its establishment
            times the divisions a slot stands for).
        minor: bool ``[P]``, no dated strength: mobilises a share of its people.
        people: float32 ``[P]``, thousand persons in 1939.
        capital: int32 ``[P]``, -1 none.
        collapses: bool ``[P]``.
        eff_group: int32 ``[P]``, index into :data:`~.powers.EFFECTIVENESS`.
        reach: bool ``[P, K]``.
        owner_1939: int32 ``[K]``.
        sector_people: float32 ``[K]``, thousand.
        width: float32 ``[K]``, km.
        infrastructure, fortification, rugged: float32 ``[K]``.
        winter_front: float32 ``[K]``, 1 on a front with a winter.
        neighbours: int32 ``[K, D]``, padded with ``K``.
        german: bool ``[K]``, German in 1939.
        rhine: bool ``[K]``.
        gmy, rus, ukg, frn: the powers' indices.
    """

    at_war: np.ndarray
    ally: np.ndarray
    opening: np.ndarray
    annex: np.ndarray
    men_lo: np.ndarray
    men_lo_total: np.ndarray
    men_hi: np.ndarray
    men_hi_total: np.ndarray
    men_weight: np.ndarray
    year: np.ndarray
    winter: np.ndarray
    slot_owner: np.ndarray
    slot_kind: np.ndarray
    slot_tanks: np.ndarray
    block_start: np.ndarray
    slot_men: np.ndarray
    minor: np.ndarray
    people: np.ndarray
    capital: np.ndarray
    collapses: np.ndarray
    eff_group: np.ndarray
    reach: np.ndarray
    owner_1939: np.ndarray
    sector_people: np.ndarray
    width: np.ndarray
    infrastructure: np.ndarray
    fortification: np.ndarray
    rugged: np.ndarray
    winter_front: np.ndarray
    neighbours: np.ndarray
    german: np.ndarray
    rhine: np.ndarray
    gmy: int
    rus: int
    ukg: int
    frn: int


def build_tables(calendar: Calendar, capacity: int = PW.CAPACITY) -> Tables:
    """The tables over a calendar, from the package's data."""
    from abm.models.interwar.war.sectors import FRONTS, sector_table

    sec = sector_table()
    pw = PW.power_table()
    hist = HI.war_history(calendar, pw, sec, capacity=capacity)
    code = {c: i for i, c in enumerate(pw.codes)}
    months = tuple(int(m) for m in calendar.months)
    years = np.asarray(calendar.years, np.int32)
    minor = np.isnan(hist.men_lo).all(axis=0)
    # A slot stands for more than one division where the block is short of the need.
    need = np.ones(len(pw.codes), np.float32)
    for p in range(len(pw.codes)):
        most = np.nanmax(
            np.where(hist.men_lo_total[:, p], 0.625, 1.0) * np.nan_to_num(hist.men_lo[:, p])
        )
        if minor[p]:
            most = 0.08 * float(pw.people[p])
        need[p] = max(1.0, most / float(pw.division_men[p]) / float(hist.block_size[p]))
    winter_fronts = [FRONTS.index(f) for f in WINTER_FRONTS]
    before = np.concatenate([np.zeros_like(hist.at_war[:1]), hist.at_war[:-1]])
    return Tables(
        at_war=hist.at_war,
        ally=hist.ally,
        opening=hist.at_war & ~before,
        annex=hist.annex,
        men_lo=np.nan_to_num(hist.men_lo),
        men_lo_total=hist.men_lo_total,
        men_hi=np.nan_to_num(hist.men_hi),
        men_hi_total=hist.men_hi_total,
        men_weight=hist.men_weight,
        year=years,
        winter=np.array([m in (12, 1, 2) for m in months], np.float32),
        slot_owner=hist.slot_owner,
        slot_kind=hist.slot_kind,
        slot_tanks=np.asarray(PW.TANKS_PER_THOUSAND, np.float32)[hist.slot_kind],
        block_start=hist.block_start,
        slot_men=(pw.division_men * need).astype(np.float32),
        minor=minor,
        people=pw.people,
        capital=pw.capital,
        collapses=pw.collapses,
        eff_group=pw.effectiveness,
        reach=pw.reach,
        owner_1939=np.array([code[o] for o in sec.owner_1939], np.int32),
        sector_people=sec.people.astype(np.float32),
        width=sec.width_km.astype(np.float32),
        infrastructure=sec.infrastructure.astype(np.float32),
        fortification=sec.fortification.astype(np.float32),
        rugged=sec.rugged.astype(np.float32),
        winter_front=np.isin(sec.front, winter_fronts).astype(np.float32),
        neighbours=HI.neighbours(sec.adjacency),
        german=np.array([o == "GMY" for o in sec.owner_1939], bool),
        rhine=np.array([n in RHINE for n in sec.names], bool),
        gmy=code["GMY"],
        rus=code["RUS"],
        ukg=code["UKG"],
        frn=code["FRN"],
    )


def initial_state(tb: Tables) -> WarState:
    """The map of September 1939 with no division yet (they mobilise in the first month)."""
    n_u, n_k, n_p = len(tb.slot_owner), len(tb.width), len(tb.people)
    never = jnp.int32(-1)
    return WarState(
        month=jnp.int32(0),
        men=jnp.zeros(n_u, jnp.float32),
        sector=jnp.full(n_u, n_k, jnp.int32),
        alive=jnp.zeros(n_u, bool),
        holder=jnp.asarray(tb.owner_1939, jnp.int32),
        control=jnp.ones(n_k, jnp.float32),
        surrendered=jnp.full(n_p, -1, jnp.int32),
        mobilised=jnp.zeros(n_p, jnp.float32),
        casualties=jnp.zeros(n_p, jnp.float32),
        dead=jnp.zeros(n_p, jnp.float32),
        disbanded=jnp.zeros(n_p, jnp.float32),
        losses_1941=jnp.zeros(3, jnp.float32),
        soviet_german_month=never,
        red_army_germany_month=never,
        red_army_rhine_month=never,
        weeks_won=jnp.zeros(n_k, jnp.float32),
    )
