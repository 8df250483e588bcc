"""The Spanish front: brigade-sized units on ten sectors, fought on the war's CDB90 kernel.

Shapes: ``U`` = :data:`N_UNITS` unit slots per run (an ``alive`` mask), ``K`` =
:data:`N_SECTORS` sectors (``spain_sectors.csv``: nine mainland fronts and the islands),
``W`` = :data:`WEEKS` weekly combat steps a month. Men are thousand persons.

The units are the Republic's columns and mixed brigades and the Nationalists' columns and
brigades, each owned by a faction (:data:`~abm.models.interwar.spain.factions.FACTIONS`),
and one contingent per foreign donor (slots ``0 .. 3``: the Italian CTV, the Condor
Legion, the Soviet personnel, the International Brigades). A sector's ``control`` is the
share of its people the Nationalists hold; a sector is fought over while both sides hold
some of it, and a sector one side holds entirely opens (a foothold of :data:`FOOTHOLD`)
when the other side's attack in a neighbour brings it to :data:`OPEN_AT` there. Each
month (:func:`abm.models.interwar.spain.month.advance`):

1. each side picks the contested sector of its offensive: the most people to take per
   defender there last month, with a Gumbel draw (a random choice among near equals);
2. it sends ``concentration`` of its units (by slot order, the foreign contingents first)
   there, ``response`` to meet the other side's offensive, and spreads the rest evenly
   over every contested sector;
3. it attacks if its log force ratio there plus half its effectiveness advantage
   (:data:`~abm.models.interwar.spain.month.ATTACK_WEIGHT`) reaches ``attack_threshold``
   (where both attack in one sector, the higher score attacks);
4. the attacked sectors fight four weeks on the kernel fitted on CDB90's 1939-45
   engagements (:func:`abm.models.interwar.war.combat.combat_month`), ``engaged`` of each
   unit's men in the battle, ``combat_days`` days a month;
5. each week the attacker wins takes ``sector_advance`` of the defender's people in the
   sector; a side holding less than :data:`SNAP` of a sector loses it.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine import exact
from abm.engine.exact import fixed_cumsum, fixed_sum
from abm.models.catalogue import data_text
from abm.models.interwar.spain import factions as F
from abm.models.interwar.war import combat as C

PACKAGE = "abm.models.interwar"
#: Unit slots per run: the four donors' contingents, then the factions' brigades.
N_UNITS = 384
#: Slots of the foreign contingents, one per donor (:data:`F.DONORS`).
N_DONOR_SLOTS = len(F.DONORS)
#: A brigade's men on formation, thousand: the Popular Army's mixed brigade of four
#: battalions (October 1936), about 3,500 men on establishment; judged, and taken for
#: the Nationalists' brigades too.
BRIGADE = 3.5
#: Weekly combat steps a month (``combat_days`` are spread over them).
WEEKS = 4
#: A side holding less than this share of a sector's people has lost the sector.
SNAP = 0.01
#: The share of a sector a side takes when the front opens into it.
FOOTHOLD = 0.02
#: The front opens into a sector when the other side's attack in a neighbour brings it
#: to this share there.
OPEN_AT = 0.9
#: Below this many thousand men a unit is gone (its slot is free again).
MIN_MEN = 0.1
#: Side of each donor's contingent: Italy and Germany with the rising.
DONOR_SIDE = (1, 1, 0, 0)


class SectorData(NamedTuple):
    """The sectors' fixed data (NumPy), rows of ``spain_sectors.csv``.

    Attributes:
        names: ``K`` sector names.
        population: float32 ``[K]``, thousand persons (1930 census).
        control_1936: float32 ``[K]``, the Nationalists' share at the end of July 1936.
        rugged: float32 ``[K]``, 1 in rugged terrain (the kernel's covariate).
        contestable: bool ``[K]``, a front can run there (not the islands).
        adjacency: bool ``[K, K]``, land neighbours (symmetric).
    """

    names: tuple[str, ...]
    population: np.ndarray
    control_1936: np.ndarray
    rugged: np.ndarray
    contestable: np.ndarray
    adjacency: np.ndarray


@cache
def sector_data() -> SectorData:
    """The sectors, checked: shares in [0, 1], neighbours named and symmetric."""
    rows = list(csv.DictReader(io.StringIO(data_text("spain_sectors.csv", PACKAGE) or "")))
    names = tuple(r["sector"] for r in rows)
    adj = np.zeros((len(rows), len(rows)), bool)
    for i, r in enumerate(rows):
        for n in filter(None, r["neighbours"].split(";")):
            if n not in names:
                raise ValueError(f"spain_sectors.csv: {r['sector']}'s neighbour {n!r} unknown")
            adj[i, names.index(n)] = True
    if not np.array_equal(adj, adj.T):
        raise ValueError("spain_sectors.csv: neighbours must be listed both ways")
    control = np.array([float(r["nationalist_1936"]) for r in rows], np.float32)
    if np.any((control < 0) | (control > 1)):
        raise ValueError("spain_sectors.csv: nationalist_1936 must lie in [0, 1]")
    return SectorData(
        names=names,
        population=np.array([float(r["population_1930"]) for r in rows], np.float32),
        control_1936=control,
        rugged=np.array([float(r["rugged"]) for r in rows], np.float32),
        contestable=np.array([r["contested"] == "1" for r in rows], bool),
        adjacency=adj,
    )


N_SECTORS = len(sector_data().names)


class UnitData(NamedTuple):
    """The units at the war's start (NumPy, ``[U]``).

    The factions' strengths of July 1936 (``spain_factions.csv``) cut into brigades of
    about :data:`BRIGADE` men.

    Attributes:
        owner: int32, faction index (``0 .. F-1``) or ``F + donor`` for the contingents.
        men: float32, thousand.
        alive: bool.
    """

    owner: np.ndarray
    men: np.ndarray
    alive: np.ndarray


@cache
def unit_data() -> UnitData:
    """The July 1936 units in slots ``N_DONOR_SLOTS ..`` (the contingents empty)."""
    tab = F.faction_data()
    n_fac = len(F.FACTIONS)
    owner = np.concatenate([n_fac + np.arange(N_DONOR_SLOTS), np.zeros(N_UNITS - N_DONOR_SLOTS)])
    men = np.zeros(N_UNITS, np.float32)
    slot = N_DONOR_SLOTS
    for f, s in enumerate(tab.strength):
        n = max(1, round(float(s) / BRIGADE))
        owner[slot : slot + n] = f
        men[slot : slot + n] = float(s) / n
        slot += n
    # Free slots belong to no one until mobilisation fills them.
    owner[slot:] = n_fac + N_DONOR_SLOTS
    return UnitData(owner.astype(np.int32), men, men > 0.0)


def owner_side() -> np.ndarray:
    """int32 ``[F + D + 1]``: each owner's war side.

    0 the Republic, 1 the Nationalists; the last entry, an empty slot's owner, counts as
    neither (2).
    """
    return np.concatenate([F.faction_data().side, np.array(DONOR_SIDE), [2]]).astype(np.int32)


def control_at_rising(held: jax.Array, sec: SectorData) -> jax.Array:
    """The sectors' control when the rising holds ``held`` of the people (scalar).

    The July 1936 map scaled so that the people held add up to ``held``: towards 0 by
    ``held / h`` below the map's own share ``h``, towards 1 by ``(1 - held) / (1 - h)``
    above it (the islands keep theirs). Returns float32 ``[K]``.
    """
    pop = sec.population.astype(np.float64)
    c0 = sec.control_1936.astype(np.float64)
    fixed = ~sec.contestable
    # Constants of the table, in NumPy: the people the islands hold for the rising, the
    # mainland's people and the map's mainland share.
    h_fixed = np.float32(np.sum(np.where(fixed, c0 * pop, 0.0)))
    pop_front = np.float32(np.sum(np.where(fixed, 0.0, pop)))
    h_map = np.float32(np.sum(np.where(fixed, 0.0, c0 * pop)) / pop_front)
    total = np.float32(np.sum(pop))
    want = jnp.clip((held * total - h_fixed) / pop_front, 0.0, 1.0)
    c0_32 = jnp.asarray(sec.control_1936)
    down = c0_32 * (want / h_map)
    up = 1.0 - (1.0 - c0_32) * ((1.0 - want) / (1.0 - h_map))
    return jnp.where(jnp.asarray(fixed), c0_32, jnp.where(want <= h_map, down, up))


def held_share(control: jax.Array, sec: SectorData) -> jax.Array:
    """Share of Spain's people the Nationalists hold (scalar) from ``control`` ``[K]``."""
    share = jnp.asarray(sec.population / sec.population.sum())
    return fixed_sum(control * share)


def open_fronts(control: jax.Array, attacker: jax.Array, sec: SectorData) -> jax.Array:
    """Close lost sectors and open the front into those behind it.

    A side holding less than :data:`SNAP` of a sector loses it entirely; a sector one side
    holds entirely opens to a foothold (:data:`FOOTHOLD`) of the other side where that
    side attacked this month in a neighbouring sector and now holds at least
    :data:`OPEN_AT` of it (its advance has reached the sector's far edge).

    Args:
        control: float32 ``[K]``, the Nationalists' shares after the month's battles.
        attacker: int32 ``[K]``, the side that attacked in each sector this month (0 the
            Republic, 1 the Nationalists, 2 none).
        sec: :func:`sector_data`.

    Returns:
        float32 ``[K]``.
    """
    can = jnp.asarray(sec.contestable)
    adj = jnp.asarray(sec.adjacency)
    nat_edge = can & (attacker == 1) & (control >= OPEN_AT)
    rep_edge = can & (attacker == 0) & (control <= 1.0 - OPEN_AT)
    c = jnp.where(can & (control < SNAP), 0.0, control)
    c = jnp.where(can & (c > 1.0 - SNAP), 1.0, c)
    nat_near = jnp.any(adj & nat_edge[None, :], axis=1)
    rep_near = jnp.any(adj & rep_edge[None, :], axis=1)
    c = jnp.where(can & (c <= 0.0) & nat_near, FOOTHOLD, c)
    return jnp.where(can & (c >= 1.0) & rep_near, 1.0 - FOOTHOLD, c)


def contested(control: jax.Array, sec: SectorData) -> jax.Array:
    """Bool ``[K]``: sectors both sides hold some of, where a front can run."""
    return jnp.asarray(sec.contestable) & (control > 0.0) & (control < 1.0)


def group_sum(values: jax.Array, group: jax.Array, n: int) -> jax.Array:
    """float32 ``[n]``: ``values`` ``[U]`` summed by ``group`` ``[U]``.

    ``group`` is int, ``0 .. n-1`` (others dropped). A segment sum: XLA's scatter adds
    the units in their order whatever the batch (checked against a sequential sum in
    ``tests/test_spain_front.py``), and costs a fifth of a one-hot tree's time here.
    """
    bucket = jnp.where((group >= 0) & (group < n), group, n)
    return jax.ops.segment_sum(values, bucket, num_segments=n + 1)[:n]


def side_men(men: jax.Array, side: jax.Array, sector: jax.Array, alive: jax.Array) -> jax.Array:
    """float32 ``[2, K]``: thousand men per war side (Republic first) and sector."""
    slot = jnp.where(alive & (side < 2) & (sector < N_SECTORS), side * N_SECTORS + sector, -1)
    return group_sum(jnp.where(alive, men, 0.0), slot, 2 * N_SECTORS).reshape(2, N_SECTORS)


def choose_offensives(
    control: jax.Array, front: jax.Array, men_at: jax.Array, u: jax.Array, sec: SectorData
) -> jax.Array:
    """Each side's offensive sector (int32 ``[2]``, Republic first; ``K`` if no front).

    A contested sector with probability in proportion to ``people to take / (1 + the
    defender's men there)`` (both thousand): the softmax of the log of that weight, the
    distribution a Gumbel-max choice over it has, drawn from one uniform per side by
    the inverse of the cumulative weights.

    Args:
        control: float32 ``[K]``.
        front: bool ``[K]``, the contested sectors.
        men_at: float32 ``[2, K]``, thousand men per side and sector as the month's
            decisions are taken: the units (after the month's arrivals and call-ups) in
            the sectors they fought in last month.
        u: float32 ``[2]`` uniforms.
        sec: :func:`sector_data`.
    """
    pop = jnp.asarray(sec.population)
    stake = jnp.stack([control * pop, (1.0 - control) * pop])
    weight = jnp.where(front[None, :], stake / (men_at[::-1] + 1.0), 0.0)
    cum = fixed_cumsum(weight)
    below = cum <= u[:, None] * cum[:, -1:]
    pick = jnp.minimum(jnp.sum(below.astype(jnp.int32), axis=1), N_SECTORS - 1)
    # Never a sector without a front (a zero weight at the top of the cumulative sum).
    last = N_SECTORS - 1 - jnp.argmax(front[::-1]).astype(jnp.int32)
    pick = jnp.where(front[pick], pick, jnp.minimum(pick, last))
    return jnp.where(jnp.any(front), pick, N_SECTORS).astype(jnp.int32)


def allocate(
    side: jax.Array,
    alive: jax.Array,
    front: jax.Array,
    offensive: jax.Array,
    concentration: jax.Array,
    response: jax.Array,
) -> jax.Array:
    """Each unit's sector (int32 ``[U]``; ``K``: none, no front or no side).

    A side's alive units in slot order (its foreign contingent first): the first
    ``concentration`` of them go to its offensive sector, the next ``response`` to the
    sector of the other side's offensive (its reserves meeting the attack; to its own
    offensive where the two are the same), the others in turn to each contested sector by
    equal shares.

    Args:
        side: int32 ``[U]``, each unit's war side (2: an empty slot).
        alive: bool ``[U]``.
        front: bool ``[K]``, the contested sectors.
        offensive: int32 ``[2]``, each side's offensive sector (Republic first).
        concentration: share of a side's units sent to its offensive (scalar).
        response: share sent to meet the other side's (scalar).
    """
    mine = alive[None, :] & (side[None, :] == jnp.arange(2)[:, None])
    rank = jnp.cumsum(mine.astype(jnp.int32), axis=1) - 1
    n = jnp.maximum(jnp.sum(mine.astype(jnp.int32), axis=1, keepdims=True), 1)
    x = (rank.astype(jnp.float32) + 0.5) / n.astype(jnp.float32)
    n_front = jnp.sum(front.astype(jnp.int32))
    used = jnp.minimum(concentration + response, 0.95)
    share = (x - used) / (1.0 - used)
    j = jnp.floor(share * n_front.astype(jnp.float32)).astype(jnp.int32)
    j = jnp.clip(j, 0, jnp.maximum(n_front - 1, 0))
    # The j-th contested sector, from the list of contested sectors in the table's order.
    order = jnp.cumsum(front.astype(jnp.int32)) - 1
    listed = (
        jnp.zeros(N_SECTORS + 1, jnp.int32)
        .at[jnp.where(front, order, N_SECTORS)]
        .set(jnp.arange(N_SECTORS, dtype=jnp.int32))
    )
    spread = listed[j]
    sector = jnp.where(
        x < concentration,
        offensive[:, None],
        jnp.where(x < used, offensive[::-1][:, None], spread.astype(jnp.int32)),
    )
    sector = jnp.where(mine & (n_front > 0), sector, N_SECTORS)
    return jnp.min(sector, axis=0).astype(jnp.int32)


class Battle(NamedTuple):
    """A month's fighting on the front.

    Attributes:
        men: float32 ``[U]`` after the battles, thousand.
        casualties: float32 ``[2]``, thousand per side (Republic first).
        attacker: int32 ``[K]``: the side attacking in each sector, 2 where none.
        weeks_won: float32 ``[K]``: weeks the attacker won.
        men_at: float32 ``[2, K]``: thousand men per side and sector before the battles.
    """

    men: jax.Array
    casualties: jax.Array
    attacker: jax.Array
    weeks_won: jax.Array
    men_at: jax.Array


def fight(
    men: jax.Array,
    side: jax.Array,
    sector: jax.Array,
    alive: jax.Array,
    offensive: jax.Array,
    eff: jax.Array,
    winter: jax.Array,
    noise: jax.Array,
    u: jax.Array,
    kern: C.WarKernel,
    p: dict[str, jax.Array],
    sec: SectorData,
) -> Battle:
    """The month's attacks and battles.

    Args:
        men: float32 ``[U]``, thousand.
        side: int32 ``[U]``, each unit's war side (2: an empty slot).
        sector: int32 ``[U]``, its sector this month (:func:`allocate`).
        alive: bool ``[U]``.
        offensive: int32 ``[2]``, each side's offensive sector (:func:`choose_offensives`).
        eff: the Nationalists' effectiveness advantage, CDB90 steps (scalar).
        winter: float32 scalar, 1 in December to February.
        noise: float32 ``[W, 2, 2]`` standard normals (week, attacker and defender,
            engagement: the Republic's offensive, then the Nationalists').
        u: float32 ``[W, 2]`` uniforms (week, engagement).
        kern: the war's kernel (:func:`abm.models.interwar.war.combat.kernel`).
        p: ``spain_attack_threshold``, ``spain_engaged``, ``spain_combat_days``.
        sec: :func:`sector_data`.
    """
    at = side_men(men, side, sector, alive)
    ratio = exact.log(jnp.maximum(at[1], 1e-3)) - exact.log(jnp.maximum(at[0], 1e-3))
    nat_score = ratio + np.float32(_ATTACK_WEIGHT) * eff
    score = jnp.stack([-nat_score, nat_score])
    k = jnp.arange(N_SECTORS)
    wants = (k[None, :] == offensive[:, None]) & (score >= p["spain_attack_threshold"])
    wants = wants & (at[::-1] > 0.0) & (at > 0.0)
    both = wants[0] & wants[1]
    attacker = jnp.where(
        both,
        jnp.where(nat_score >= 0.0, 1, 0),
        jnp.where(wants[1], 1, jnp.where(wants[0], 0, 2)),
    ).astype(jnp.int32)
    # The battles: at most two, one in each side's offensive sector (one where the two
    # are the same), each an engagement of the kernel's month on the sectors' totals.
    where_ = jnp.minimum(offensive, N_SECTORS - 1)
    slot_att = attacker[where_]  # the side attacking in each engagement (2: none)
    slot_on = (offensive < N_SECTORS) & (slot_att < 2)
    slot_on = slot_on.at[1].set(slot_on[1] & (offensive[1] != offensive[0]))
    a_side = jnp.minimum(slot_att, 1)
    share = p["spain_engaged"]
    # Men engaged per role (attacker, defender) and engagement, from the sector totals.
    first = share * jnp.stack([at[a_side, where_], at[1 - a_side, where_]])
    first = jnp.where(slot_on[None, :], first, 0.0)
    zero = jnp.zeros(2, jnp.float32)
    cond = C.Conditions(
        prepared_defence=zero,
        effectiveness=jnp.where(slot_att == 1, eff, -eff),
        training=zero,
        surprise=zero,
        air_superiority=zero,
        armour=zero,
        rugged_terrain=jnp.asarray(sec.rugged)[where_],
        wet_weather=zero,
        winter=winter + zero,
        supply=zero,
    )
    days = p["spain_combat_days"] / np.float32(WEEKS)
    kept, won, _ = C.sector_month(first, cond, noise, u, kern, days)
    # Each side's casualties: its role's losses in each engagement.
    lost = first * (1.0 - kept)  # [role, engagement]
    attacking = a_side[None, :] == jnp.arange(2)[:, None]  # [side, engagement]
    per_side = jnp.where(attacking, lost[0][None, :], lost[1][None, :])
    casualties = per_side[:, 0] + per_side[:, 1]
    # Each unit in an engagement keeps its role's share of its engaged men.
    slot = jnp.where(
        slot_on[0] & (sector == offensive[0]),
        0,
        jnp.where(slot_on[1] & (sector == offensive[1]), 1, 2),
    )
    in_battle = alive & (side < 2) & (slot < 2)
    e = jnp.minimum(slot, 1)
    role = jnp.where(side == a_side[e], 0, 1)
    unit_kept = kept[role, e]
    men_after = jnp.where(in_battle, men * (1.0 - share * (1.0 - unit_kept)), men)
    slot_weeks = jnp.where(slot_on, jnp.sum(won.astype(jnp.int32), axis=0), 0)
    weeks_won = jnp.zeros(N_SECTORS, jnp.int32).at[where_].add(slot_weeks)
    return Battle(
        men=men_after,
        casualties=casualties,
        attacker=attacker,
        weeks_won=weeks_won.astype(jnp.float32),
        men_at=at,
    )


#: Weight of the effectiveness advantage against the log force ratio in an attack's
#: decision: a CDB90 step counts as much as a force ratio of e^0.5.
_ATTACK_WEIGHT = 0.5


def advance_control(
    control: jax.Array, attacker: jax.Array, weeks_won: jax.Array, step: jax.Array
) -> jax.Array:
    """Control after the weeks won: each takes ``step`` of the defender's people there."""
    keep = (1.0 - step) ** weeks_won
    nat = 1.0 - (1.0 - control) * keep
    rep = control * keep
    return jnp.where(attacker == 1, nat, jnp.where(attacker == 0, rep, control))


def mobilise(
    men: jax.Array,
    owner: jax.Array,
    alive: jax.Array,
    growth: jax.Array,
    faction_men: jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Each side's new men: whole brigades in free slots, the rest to its units.

    Args:
        men: float32 ``[U]``, thousand.
        owner: int32 ``[U]``, faction or donor (:class:`UnitData`).
        alive: bool ``[U]``.
        growth: float32 ``[2]``, thousand new men per side (Republic first).
        faction_men: float32 ``[F]``, each faction's men, its brigades' sum (the new
            brigades' owners are drawn in proportion, by rank; the remainder joins a
            side's brigades in proportion to their men over the side's total).

    Returns:
        (men, owner, alive) ``[U]``. Men are conserved: ``sum(men')`` is ``sum(men) +
        sum(growth)`` wherever the side has a brigade or a free slot.
    """
    n_fac = len(F.FACTIONS)
    side_of = jnp.asarray(owner_side())
    side = side_of[owner]
    slot = jnp.arange(N_UNITS)
    free = ~alive & (slot >= N_DONOR_SLOTS)
    free_rank = jnp.cumsum(free) - 1
    n_free = jnp.sum(free)
    want = jnp.floor(growth / BRIGADE).astype(jnp.int32)
    n_rep = jnp.minimum(want[0], n_free)
    n_nat = jnp.minimum(want[1], n_free - n_rep)
    new_rep = free & (free_rank < n_rep)
    new_nat = free & (free_rank >= n_rep) & (free_rank < n_rep + n_nat)
    fac_side = jnp.asarray(F.faction_data().side)
    # The new brigades' owners: the side's factions in proportion to their men, by rank.
    out_owner = owner
    for s, new, rank, count in (
        (0, new_rep, free_rank, n_rep),
        (1, new_nat, free_rank - n_rep, n_nat),
    ):
        share = jnp.where(fac_side == s, faction_men, 0.0)
        whole = fixed_sum(share)
        cum = fixed_cumsum(share) / jnp.maximum(whole, 1e-6)
        x = (rank.astype(jnp.float32) + 0.5) / jnp.maximum(count, 1).astype(jnp.float32)
        pick = jnp.minimum(jnp.sum(x[:, None] >= cum[None, :], axis=1), n_fac - 1)
        fallback = jnp.argmax(fac_side == s)
        pick = jnp.where(whole > 0.0, pick, fallback)
        out_owner = jnp.where(new, pick.astype(jnp.int32), out_owner)
    made = jnp.stack([n_rep, n_nat]).astype(jnp.float32) * BRIGADE
    rest = jnp.maximum(growth - made, 0.0)
    # The rest joins the side's own brigades (not the foreign contingents) by their men
    # (the side's total from its factions' men, no sum over the units).
    own = alive & (owner < n_fac)
    side_c = jnp.minimum(side, 1)
    total = jnp.stack([fixed_sum(jnp.where(fac_side == k, faction_men, 0.0)) for k in (0, 1)])
    add = jnp.where(own, rest[side_c] * men / jnp.maximum(total[side_c], 1e-6), 0.0)
    new_any = new_rep | new_nat
    out_men = jnp.where(new_any, BRIGADE, men + add)
    return out_men, out_owner, alive | new_any


def faction_strength(men: jax.Array, owner: jax.Array, alive: jax.Array) -> jax.Array:
    """float32 ``[F + D]``: men per faction, then per donor contingent."""
    return group_sum(jnp.where(alive, men, 0.0), owner, len(F.FACTIONS) + N_DONOR_SLOTS)


__all__ = [
    "BRIGADE",
    "DONOR_SIDE",
    "FOOTHOLD",
    "MIN_MEN",
    "N_DONOR_SLOTS",
    "N_SECTORS",
    "N_UNITS",
    "OPEN_AT",
    "SNAP",
    "WEEKS",
    "Battle",
    "SectorData",
    "UnitData",
    "advance_control",
    "allocate",
    "choose_offensives",
    "contested",
    "control_at_rising",
    "faction_strength",
    "fight",
    "group_sum",
    "held_share",
    "mobilise",
    "open_fronts",
    "owner_side",
    "sector_data",
    "side_men",
    "unit_data",
]
