"""One month of the war slice, for one run (``vmap`` adds runs).

In order (``docs/war_design.md`` section 2; step 1: declarations and men from history):

1. :func:`relations`: who is at war with whom this month (history's declarations, less
   the powers that asked for an armistice) and who fights beside whom (declared allies,
   and powers sharing an enemy while not at war with each other);
2. :func:`reinforce`: each power's men in the field move towards its historical field
   strength (``war_forces.csv``; a small state mobilises a share of its people when
   attacked): divisions are topped up to their establishment, then new ones fill the
   power's free slots (a prefix count over the free mask, no loop);
3. :func:`allocate`: each power's divisions are spread over the sectors it defends
   (held by it or a friend, facing an enemy) and attacks (held by an enemy, next to a
   friend's), in proportion to frontage times demand, by cumulative quotas and one
   ``searchsorted`` over all powers (integer persons, so the result does not depend on
   the batch);
4. :func:`fight`: each sector where attackers and defenders meet is a month of weekly
   engagements on the CDB90 kernel (:func:`abm.models.interwar.war.combat.sector_month`),
   with the sides' effectiveness and tanks per man, the surprise of a war's opening
   month, the sector's fortification, terrain and winter;
5. :func:`move_front`: won weeks (every week, where nobody defends) take the sector
   from its holder at a pace set by its infrastructure and the attacker's mobile share;
   a sector taken changes holder and the divisions in it go back to reserve;
6. :func:`collapse`: a power whose will (its 1939 people still held, less a weight if its
   capital is lost) falls below the threshold asks for an armistice: its divisions are
   disbanded and its remaining sectors pass to the enemy that took most of its people.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine import exact
from abm.models.calendar import Calendar
from abm.models.interwar.war import combat as C
from abm.models.interwar.war import powers as PW
from abm.models.interwar.war.types import WarState

#: Weekly sub-steps of a month's combat.
WEEKS = 4
#: The parameters :func:`advance` reads (the slice passes them by name).
PARAMS = (
    "war_field_share",
    "war_minor_mobilisation",
    "war_refill",
    "war_offence_weight",
    "war_reserve_share",
    "war_attack_ratio_other",
    "war_attack_ratio_germany",
    "war_attack_ratio_west",
    "war_attack_ratio_japan",
    "war_attack_ratio_ussr",
    "war_engaged",
    "war_combat_days",
    "war_effectiveness_germany",
    "war_effectiveness_west",
    "war_effectiveness_japan",
    "war_soviet_quality_offset",
    "quality_per_effectiveness",
    "war_dead_share",
    "war_opening_surprise",
    "war_advance",
    "war_mobility",
    "war_collapse_threshold",
    "war_capital_weight",
)
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
    hist = PW.war_history(calendar, pw, sec, capacity=capacity)
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
        neighbours=PW.neighbours(sec.adjacency),
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


class Draws(NamedTuple):
    """A month's draws: ``noise`` float32 ``[W, 2, K]`` normals, ``u`` ``[W, K]`` uniforms."""

    noise: jax.Array
    u: jax.Array


def draw_month(key: jax.Array, n_sectors: int) -> Draws:
    """The month's draws, per sector and week (never per division)."""
    k_noise, k_u = jax.random.split(key)
    return Draws(
        noise=jax.random.normal(k_noise, (WEEKS, 2, n_sectors), jnp.float32),
        u=jax.random.uniform(k_u, (WEEKS, n_sectors), jnp.float32),
    )


class Relations(NamedTuple):
    """This month's relations: ``war`` and ``friend`` bool ``[P, P]``, ``fighting`` ``[P]``."""

    war: jax.Array
    friend: jax.Array
    fighting: jax.Array


def relations(at_war: jax.Array, ally: jax.Array, surrendered: jax.Array) -> Relations:
    """Who fights whom, and beside whom, among the powers still in the war.

    Args:
        at_war: bool ``[P, P]``, history's wars this month.
        ally: bool ``[P, P]``, history's declared alliances.
        surrendered: int32 ``[P]``, the month each asked for an armistice, -1 never.
    """
    active = surrendered < 0
    both = active[:, None] & active[None, :]
    war = at_war & both
    common = jnp.any(war[:, None, :] & war[None, :, :], axis=2)
    n = war.shape[0]
    friend = jnp.eye(n, dtype=bool) | ((ally | common) & ~war & both)
    return Relations(war=war, friend=friend, fighting=jnp.any(war, axis=1))


def reinforce(
    state: WarState, tb: Tables, rel: Relations, p: dict[str, jax.Array]
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Replacements and new divisions towards each power's field strength.

    Returns:
        (men float32 ``[U]``, alive bool ``[U]``, sector int32 ``[U]`` (new divisions in
        reserve), men added per power float32 ``[P]``), thousand men.
    """
    t = state.month
    n_p = tb.people.shape[0]
    owner = jnp.asarray(tb.slot_owner)
    fs = p["war_field_share"]
    lo = jnp.asarray(tb.men_lo)[t] * jnp.where(jnp.asarray(tb.men_lo_total)[t], fs, 1.0)
    hi = jnp.asarray(tb.men_hi)[t] * jnp.where(jnp.asarray(tb.men_hi_total)[t], fs, 1.0)
    w = jnp.asarray(tb.men_weight)[t]
    target = (1.0 - w) * lo + w * hi
    target = jnp.where(jnp.asarray(tb.minor), p["war_minor_mobilisation"] * tb.people, target)
    target = jnp.where(rel.fighting, target, 0.0)
    men = jnp.where(state.alive, state.men, 0.0)
    now = jax.ops.segment_sum(men, owner, num_segments=n_p)
    pace = jnp.where(state.mobilised > 0.0, p["war_refill"], 1.0)
    gap = jnp.maximum(target - now, 0.0) * pace
    est = jnp.asarray(tb.slot_men)[owner]
    deficit = jnp.where(state.alive, jnp.maximum(est - men, 0.0), 0.0)
    short = jax.ops.segment_sum(deficit, owner, num_segments=n_p)
    top = jnp.minimum(gap, short)
    fill = jnp.where(short > 0.0, top / jnp.maximum(short, 1e-6), 0.0)
    men = men + deficit * fill[owner]
    rest = gap - top
    # Whole divisions in integer persons: a float quotient of an exact multiple may fall
    # just short under jit (XLA divides by a constant as a product by its reciprocal).
    rest_persons = jnp.round(rest * 1000.0).astype(jnp.int32)
    n_new = rest_persons // jnp.round(jnp.asarray(tb.slot_men) * 1000.0).astype(jnp.int32)
    free = (~state.alive).astype(jnp.int32)
    seen = jnp.cumsum(free)  # exact: integers
    start = jnp.asarray(tb.block_start)
    before = seen[start] - free[start]
    rank = seen - before[owner] - 1
    new = (free > 0) & (rank < n_new[owner])
    men = jnp.where(new, est, men)
    added = top + jax.ops.segment_sum(jnp.where(new, est, 0.0), owner, num_segments=n_p)
    sector = jnp.where(new, tb.width.shape[0], state.sector)
    return men, state.alive | new, sector, added


class Fronts(NamedTuple):
    """Where each power can fight this month, bool ``[P, K]``.

    Attributes:
        defend: sectors held by it or a friend that border its enemy's.
        attack: sectors held by its enemy that border one held by it or a friend.
    """

    defend: jax.Array
    attack: jax.Array


def fronts(holder: jax.Array, tb: Tables, rel: Relations) -> Fronts:
    """Each power's defended and attackable sectors, on the fronts it can reach."""
    enemy = rel.war[:, holder]  # [P, K]
    friendly = rel.friend[:, holder]
    pad = jnp.zeros((enemy.shape[0], 1), bool)
    nb = jnp.asarray(tb.neighbours)
    near_enemy = jnp.any(jnp.concatenate([enemy, pad], axis=1)[:, nb], axis=2)
    near_friend = jnp.any(jnp.concatenate([friendly, pad], axis=1)[:, nb], axis=2)
    reach = jnp.asarray(tb.reach) & rel.fighting[:, None]
    return Fronts(defend=friendly & near_enemy & reach, attack=enemy & near_friend & reach)


def demand(fr: Fronts, attack: jax.Array, tb: Tables, p: dict[str, jax.Array]) -> jax.Array:
    """Each power's wish for men, float32 ``[P, 2K]``: km of front, weighted.

    The sectors it attacks come first, then those it defends (:func:`columns`). A
    power defends every sector of ``fr.defend`` and puts ``war_offence_weight`` times as
    much per km on each sector of ``attack`` (the attacks it chose, within
    ``fr.attack``).
    """
    width = jnp.asarray(tb.width)[None, :]
    offence = p["war_offence_weight"] * attack.astype(jnp.float32) * width
    return jnp.concatenate([offence, fr.defend.astype(jnp.float32) * width], axis=1)


def columns(n_sectors: int) -> np.ndarray:
    """int32 ``[2K]``: the sector of each column of :func:`demand` (attacks, defences)."""
    k = np.arange(n_sectors, dtype=np.int32)
    return np.concatenate([k, k])


def men_by_sector(men: jax.Array, alive: jax.Array, sector: jax.Array, tb: Tables) -> jax.Array:
    """float32 ``[P, K]``: thousand men of each power in each sector (reserve left out)."""
    n_p, n_k = tb.people.shape[0], tb.width.shape[0]
    owner = jnp.asarray(tb.slot_owner)
    placed = alive & (sector < n_k)
    cell = owner * n_k + jnp.minimum(sector, n_k - 1)
    return jax.ops.segment_sum(jnp.where(placed, men, 0.0), cell, num_segments=n_p * n_k).reshape(
        n_p, n_k
    )


def choose_attacks(
    fr: Fronts,
    held: jax.Array,
    holder: jax.Array,
    tb: Tables,
    rel: Relations,
    p: dict[str, jax.Array],
) -> jax.Array:
    """The enemy sectors each power attacks this month, bool ``[P, K]``.

    A power attacks a sector it can attack where its men in the neighbouring sectors
    (as placed to defend) outnumber the sector's defenders, doubled behind a permanent
    line (``fortification`` 1; field belts by half as much), by at least its doctrine's
    ratio (``war_attack_ratio_<group>``: the Western Allies' methodical battle asked far
    more superiority than the German doctrine; the anchors are in the catalogue).

    Args:
        fr: :func:`fronts`.
        held: float32 ``[P, K]``, men per power and sector after the defensive
            allocation (:func:`men_by_sector`).
        holder: int32 ``[K]``.
        tb: the tables.
        rel: this month's relations.
        p: the parameters.
    """
    nb = jnp.asarray(tb.neighbours)
    pad = jnp.zeros((held.shape[0], 1), jnp.float32)
    near = exact.fixed_sum(jnp.moveaxis(jnp.concatenate([held, pad], axis=1)[:, nb], 2, 0))
    guards = exact.fixed_sum(jnp.where(rel.friend[:, holder].T, held.T, 0.0), axis=1)
    guards = jnp.maximum(guards, 1.0) * (1.0 + jnp.asarray(tb.fortification))
    ratios = jnp.stack(
        [
            p["war_attack_ratio_other"],
            p["war_attack_ratio_germany"],
            p["war_attack_ratio_west"],
            p["war_attack_ratio_japan"],
            p["war_attack_ratio_ussr"],
        ]
    )[jnp.asarray(tb.eff_group)]
    return fr.attack & (near >= ratios[:, None] * guards[None, :])


def allocate(
    men: jax.Array,
    alive: jax.Array,
    owner: jax.Array,
    want: jax.Array,
    columns: jax.Array,
    reserve: jax.Array,
    n_sectors: int,
) -> jax.Array:
    """Each division's sector (int32 ``[U]``; ``K``: in reserve).

    Each power's men (integer persons) are cut into quotas: ``reserve`` of them for its
    reserve, the rest over the columns of ``want`` in proportion to it, in column order
    (:func:`demand` puts the attacks first, so that the mobile divisions, first in each
    power's block, lead them); all powers' quotas are laid end to end in slot order (the
    slots are in blocks by power), and each division goes to the quota that holds the
    middle of its men (one ``searchsorted``, ``U log(P M)`` comparisons), that is to its
    column's sector. A power that wants nothing keeps all its men in reserve.

    Args:
        men: float32 ``[U]``, thousand.
        alive: bool ``[U]``.
        owner: int32 ``[U]``, blocks in power order.
        want: float32 ``[P, M]`` (:func:`demand`).
        columns: int32 ``[M]``, each column's sector (``0 .. K - 1``).
        reserve: float32 scalar, the share held back.
        n_sectors: ``K``.
    """
    n_p, n_m = want.shape
    persons = jnp.where(alive, jnp.round(men * 1000.0), 0.0).astype(jnp.int32)
    total = jax.ops.segment_sum(persons, owner, num_segments=n_p)  # exact: integers
    wsum = exact.fixed_sum(want, axis=1)
    share = want / jnp.maximum(wsum, 1e-6)[:, None]
    front = jnp.where(wsum > 0.0, 1.0 - reserve, 0.0)
    quota = jnp.floor(share * (front * total.astype(jnp.float32))[:, None]).astype(jnp.int32)
    kept = total - jnp.sum(quota, axis=1)  # integers: exact
    flat = jnp.concatenate([quota, kept[:, None]], axis=1).reshape(-1)
    bounds = jnp.cumsum(flat)
    middle = jnp.cumsum(persons) - (persons + 1) // 2
    idx = jnp.searchsorted(bounds, middle, side="right").astype(jnp.int32)
    power, col = idx // (n_m + 1), idx % (n_m + 1)
    sector = jnp.concatenate([jnp.asarray(columns, jnp.int32), jnp.array([n_sectors], jnp.int32)])
    return jnp.where(alive & (power == owner), sector[col], n_sectors).astype(jnp.int32)


class Battle(NamedTuple):
    """A month's battles: men after them, casualties per power, the front's inputs."""

    men: jax.Array
    casualties: jax.Array
    weeks_won: jax.Array
    attacking: jax.Array
    mobile_share: jax.Array
    attacker_men: jax.Array


def fight(
    men: jax.Array,
    alive: jax.Array,
    sector: jax.Array,
    holder: jax.Array,
    tb: Tables,
    rel: Relations,
    eff_power: jax.Array,
    opening: jax.Array,
    winter: jax.Array,
    d: Draws,
    kern: C.WarKernel,
    p: dict[str, jax.Array],
) -> Battle:
    """The month's battles in every sector where attackers meet defenders.

    Args:
        men: float32 ``[U]``, each division's men, thousand.
        alive: bool ``[U]``.
        sector: int32 ``[U]``, its sector this month (``K``: in reserve).
        holder: int32 ``[K]``.
        tb: the tables.
        rel: this month's relations.
        eff_power: float32 ``[P]``, each power's effectiveness, CDB90 steps.
        opening: bool ``[P, P]``, this month opens the war between the two powers.
        winter: float32 scalar, 1 in December to February.
        d: the month's draws.
        kern: the CDB90 kernel.
        p: the parameters.
    """
    n_p, n_k = tb.people.shape[0], holder.shape[0]
    owner = jnp.asarray(tb.slot_owner)
    placed = alive & (sector < n_k)
    where_ = jnp.minimum(sector, n_k - 1)
    side = jnp.where(rel.friend[owner, holder[where_]], C.DEFENDER, C.ATTACKER).astype(jnp.int32)
    engaged = jnp.where(placed, men * p["war_engaged"], 0.0)
    first = C.sector_strengths(engaged, side, sector, placed, n_k)
    slot = jnp.where(placed, where_ * 2 + side, 2 * n_k)
    eff_men = jax.ops.segment_sum(engaged * eff_power[owner], slot, num_segments=2 * n_k + 1)
    eff_men = eff_men[: 2 * n_k].reshape(n_k, 2).T
    mobile = jnp.isin(jnp.asarray(tb.slot_kind), jnp.asarray(PW.MOBILE))
    mob = jax.ops.segment_sum(jnp.where(mobile, engaged, 0.0), slot, num_segments=2 * n_k + 1)
    mob = mob[: 2 * n_k].reshape(n_k, 2).T
    tanks = jax.ops.segment_sum(
        engaged * jnp.asarray(tb.slot_tanks), slot, num_segments=2 * n_k + 1
    )
    tanks = tanks[: 2 * n_k].reshape(n_k, 2).T
    opens = opening[owner, holder[where_]] & (side == C.ATTACKER)
    sudden = jax.ops.segment_sum(jnp.where(opens, engaged, 0.0), slot, num_segments=2 * n_k + 1)
    sudden = sudden[: 2 * n_k].reshape(n_k, 2).T[0]
    a, dd = jnp.maximum(first[0], 1e-6), jnp.maximum(first[1], 1e-6)
    effectiveness = eff_men[0] / a - eff_men[1] / dd
    # CDB90's armour covariate: ln of tanks (+1) per man, the attacker's over the defender's.
    armour = (exact.log(tanks[0] + 1.0) - exact.log(a * 1000.0)) - (
        exact.log(tanks[1] + 1.0) - exact.log(dd * 1000.0)
    )
    zero = jnp.zeros(n_k, jnp.float32)
    cond = C.Conditions(
        prepared_defence=(jnp.asarray(tb.fortification) >= 0.5).astype(jnp.float32),
        effectiveness=effectiveness,
        training=zero,
        surprise=p["war_opening_surprise"] * sudden / a,
        air_superiority=zero,
        armour=armour,
        rugged_terrain=jnp.asarray(tb.rugged),
        wet_weather=zero,
        winter=winter * jnp.asarray(tb.winter_front),
        supply=zero,
    )
    days = p["war_combat_days"] / np.float32(WEEKS)
    kept, won, _ = C.sector_month(first, cond, d.noise, d.u, kern, days)
    loss = jnp.where(placed, engaged * (1.0 - kept[side, where_]), 0.0)
    lost = jax.ops.segment_sum(loss, owner, num_segments=n_p)
    att_pk = jax.ops.segment_sum(
        jnp.where(placed & (side == C.ATTACKER), men, 0.0),
        owner * n_k + where_,
        num_segments=n_p * n_k,
    ).reshape(n_p, n_k)
    # A sector attacked and not defended is crossed unopposed: every week is won.
    open_ = (first[0] > 0.0) & (first[1] <= 0.0)
    weeks = jnp.where(open_, np.float32(WEEKS), jnp.sum(won.astype(jnp.float32), axis=0))
    return Battle(
        men=men - loss,
        casualties=lost,
        weeks_won=weeks,
        attacking=first[0] > 0.0,
        mobile_share=mob[0] / a,
        attacker_men=att_pk,
    )


def move_front(
    holder: jax.Array, control: jax.Array, b: Battle, tb: Tables, p: dict[str, jax.Array]
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(holder, control, fallen bool ``[K]``) after the month's won weeks."""
    step = p["war_advance"] * (0.5 + jnp.asarray(tb.infrastructure))
    step = step * (1.0 + p["war_mobility"] * b.mobile_share)
    left = control - step * b.weeks_won
    fallen = b.attacking & (left <= 0.0) & (b.weeks_won > 0.0)
    taker = jnp.argmax(b.attacker_men, axis=0).astype(jnp.int32)
    holder = jnp.where(fallen, taker, holder)
    control = jnp.where(fallen, 1.0, jnp.clip(left, 0.0, 1.0))
    return holder, control, fallen


def will(holder: jax.Array, control: jax.Array, tb: Tables, rel: Relations, cw: jax.Array):
    """(will float32 ``[P]``, people lost to each holder float32 ``[P, P]``).

    A sector of a power's 1939 land counts as lost in the share its holder does not
    hold where the holder is the power or a friend, wholly where a non-friend holds it.
    """
    n_p = tb.people.shape[0]
    own = jnp.asarray(tb.owner_1939)
    people = jnp.asarray(tb.sector_people)
    same = holder == own
    kept_by_friend = rel.friend[own, holder]
    lost = people * jnp.where(same | kept_by_friend, 1.0 - control, 1.0)
    lost_p = jax.ops.segment_sum(lost, own, num_segments=n_p)
    to = jax.ops.segment_sum(
        jnp.where(same | kept_by_friend, 0.0, people), own * n_p + holder, num_segments=n_p * n_p
    ).reshape(n_p, n_p)
    cap = jnp.asarray(tb.capital)
    cap_holder = holder[jnp.maximum(cap, 0)]
    cap_lost = (cap >= 0) & ~rel.friend[jnp.arange(n_p), cap_holder]
    return 1.0 - lost_p / jnp.asarray(tb.people) - cw * cap_lost.astype(jnp.float32), to


def hand_over(
    holder: jax.Array,
    quits: jax.Array,
    lost_to: jax.Array,
    placed: jax.Array,
    tb: Tables,
    rel: Relations,
) -> jax.Array:
    """int32 ``[K]``: holders after the armistices of the powers in ``quits``.

    Each sector still held by a power that quits passes to the enemy with the most men
    in it and its neighbours (the demarcation follows the armies: Poland's east to the
    USSR, its west to Germany), or, where no enemy stands near, to the enemy that has
    taken most of the power's people.

    Args:
        holder: int32 ``[K]``.
        quits: bool ``[P]``.
        lost_to: float32 ``[P, P]``, people lost by each power to each holder.
        placed: float32 ``[P, K]``, men per power and sector (:func:`men_by_sector`).
        tb: the tables.
        rel: this month's relations (before the armistices).
    """
    nb = jnp.asarray(tb.neighbours)
    pad = jnp.zeros((placed.shape[0], 1), jnp.float32)
    near = placed + exact.fixed_sum(
        jnp.moveaxis(jnp.concatenate([placed, pad], axis=1)[:, nb], 2, 0)
    )
    enemy = rel.war[:, holder]  # [P, K]: at war with the sector's holder
    score = jnp.where(enemy, near, -1.0)
    local = jnp.argmax(score, axis=0).astype(jnp.int32)
    has_local = jnp.max(score, axis=0) > 0.0
    main = jnp.argmax(jnp.where(rel.war, lost_to, -1.0), axis=1).astype(jnp.int32)
    taker = jnp.where(has_local, local, main[holder])
    return jnp.where(quits[holder] & jnp.any(enemy, axis=0), taker, holder)


def advance(
    state: WarState,
    tb: Tables,
    kern: C.WarKernel,
    quality: jax.Array,
    p: dict[str, jax.Array],
    d: Draws,
) -> WarState:
    """One month of one run from its start (``state.month >= start``).

    Args:
        state: the start-of-month state.
        tb: :func:`build_tables`.
        kern: the CDB90 kernel.
        quality: the Red Army's command quality this month, 0..1 (the Soviet slice's).
        p: :data:`PARAMS` by name, float32 scalars.
        d: :func:`draw_month`.
    """
    t = state.month
    n_p, n_k = tb.people.shape[0], tb.width.shape[0]
    owner = jnp.asarray(tb.slot_owner)
    annex = jnp.asarray(tb.annex)[t]
    holder = jnp.where(annex >= 0, annex, state.holder)
    control = jnp.where(annex >= 0, 1.0, state.control)
    rel = relations(jnp.asarray(tb.at_war)[t], jnp.asarray(tb.ally)[t], state.surrendered)
    men, alive, sector, added = reinforce(state, tb, rel, p)
    fr = fronts(holder, tb, rel)
    none = jnp.zeros_like(fr.attack)
    cols, rs = jnp.asarray(columns(n_k)), p["war_reserve_share"]
    guarding = allocate(men, alive, owner, demand(fr, none, tb, p), cols, rs, n_k)
    attack = choose_attacks(fr, men_by_sector(men, alive, guarding, tb), holder, tb, rel, p)
    sector = allocate(men, alive, owner, demand(fr, attack, tb, p), cols, rs, n_k)
    ussr = (quality - p["war_soviet_quality_offset"]) / p["quality_per_effectiveness"]
    eff_group = jnp.stack(
        [
            jnp.float32(0.0),
            p["war_effectiveness_germany"],
            p["war_effectiveness_west"],
            p["war_effectiveness_japan"],
            ussr,
        ]
    )
    eff_power = eff_group[jnp.asarray(tb.eff_group)]
    winter = jnp.asarray(tb.winter)[t]
    opening = jnp.asarray(tb.opening)[t]
    b = fight(men, alive, sector, holder, tb, rel, eff_power, opening, winter, d, kern, p)
    holder, control, fallen = move_front(holder, control, b, tb, p)
    sector = jnp.where(fallen[jnp.minimum(sector, n_k - 1)] & (sector < n_k), n_k, sector)
    # Collapse: the will of each power still fighting.
    w, to = will(holder, control, tb, rel, p["war_capital_weight"])
    quits = (
        jnp.asarray(tb.collapses)
        & rel.fighting
        & (state.surrendered < 0)
        & (w < p["war_collapse_threshold"])
    )
    before = holder
    holder = hand_over(holder, quits, to, men_by_sector(b.men, alive, sector, tb), tb, rel)
    control = jnp.where(holder != before, 1.0, control)
    gone = alive & quits[owner]
    disbanded = jax.ops.segment_sum(jnp.where(gone, b.men, 0.0), owner, num_segments=n_p)
    men = jnp.where(gone, 0.0, b.men)
    alive = alive & ~gone
    surrendered = jnp.where(quits, t, state.surrendered)
    # Events and tallies.
    dead = p["war_dead_share"] * b.casualties
    sg_war = rel.war[tb.gmy, tb.rus]
    soviet_german = jnp.where(
        (state.soviet_german_month < 0) & sg_war, t, state.soviet_german_month
    )
    in_1941 = sg_war & (jnp.asarray(tb.year)[t] == 1941)
    losses = jnp.stack(
        [dead[tb.rus], b.casualties[tb.rus] - dead[tb.rus], dead[tb.gmy]]
    ) * in_1941.astype(jnp.float32)
    red = holder == tb.rus

    def first(old: jax.Array, now: jax.Array) -> jax.Array:
        return jnp.where((old < 0) & now, t, old)

    return dataclasses.replace(
        state,
        month=t + 1,
        men=men,
        sector=jnp.where(alive, sector, n_k),
        alive=alive,
        holder=holder,
        control=control,
        surrendered=surrendered,
        mobilised=state.mobilised + added,
        casualties=state.casualties + b.casualties,
        dead=state.dead + dead,
        disbanded=state.disbanded + disbanded,
        losses_1941=state.losses_1941 + losses,
        soviet_german_month=soviet_german,
        red_army_germany_month=first(
            state.red_army_germany_month, jnp.any(red & jnp.asarray(tb.german))
        ),
        red_army_rhine_month=first(
            state.red_army_rhine_month, jnp.any(red & jnp.asarray(tb.rhine))
        ),
        weeks_won=b.weeks_won,
    )


__all__ = [
    "PARAMS",
    "WEEKS",
    "Battle",
    "Draws",
    "Fronts",
    "Relations",
    "Tables",
    "advance",
    "allocate",
    "build_tables",
    "choose_attacks",
    "columns",
    "demand",
    "draw_month",
    "fight",
    "fronts",
    "hand_over",
    "initial_state",
    "men_by_sector",
    "move_front",
    "reinforce",
    "relations",
    "will",
]
