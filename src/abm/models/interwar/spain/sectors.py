"""The Spanish front's ten sectors: their people, the July 1936 map, and where fronts run.

``K`` = :data:`N_SECTORS` sectors (package data ``spain_sectors.csv``: nine mainland
fronts and the islands). A sector's ``control`` is the share of its people the
Nationalists hold; a sector is fought over while both sides hold some of it
(:func:`contested`); a side holding less than :data:`SNAP` of it loses it, and a sector
one side holds entirely opens (a foothold of :data:`FOOTHOLD`) when the other side's
attack in a neighbour brings it to :data:`OPEN_AT` there (:func:`open_fronts`).

A side's main zone is the connected group (over land neighbours) of the sectors where it
holds at least :data:`LINK` of the people with the most of its people; the sectors it can
reach are the contested ones in or next to the main zone, and the others where it holds
anyone are its pockets, cut off by land (:func:`zones`): the Republic's north from the
first days of the war (Asturias, Santander and the Basque provinces, reached only by
sea, and lost in 1937).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.exact import fixed_sum
from abm.models.catalogue import data_rows

PACKAGE = "abm.models.interwar"
#: A side holding less than this share of a sector's people has lost the sector.
SNAP = 0.01
#: The share of a sector a side takes when the front opens into it.
FOOTHOLD = 0.02
#: The front opens into a sector when the other side's attack in a neighbour brings it
#: to this share there.
OPEN_AT = 0.9
#: A side's sectors link its zone where it holds at least this share of the people
#: (judged: a quarter holds a corridor; the Nationalists' Extremadura of August 1936
#: joined their north and south at about 0.4).
LINK = 0.25


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
    rows = data_rows("spain_sectors.csv", PACKAGE)
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


class Zones(NamedTuple):
    """Each side's main zone, the sectors it reaches from there, and its pockets.

    Attributes:
        reach: bool ``[2, K]`` (Republic first), contested sectors in or next to the
            side's main zone: where its units outside pockets go.
        pocket: bool ``[2, K]``, the side's sectors outside its main zone (cut off).
        people: float32 ``[2, K]``, thousand persons the side holds in each sector.
    """

    reach: jax.Array
    pocket: jax.Array
    people: jax.Array


def zones(control: jax.Array, sec: SectorData) -> Zones:
    """Each side's main zone, reach and pockets from ``control`` ``[K]``.

    A side links the contested or held sectors where it holds at least :data:`LINK` of
    the people; its main zone is the connected group of them with the most of its people
    (the first such group in the table's order on a tie), found by propagating the
    smallest sector index over neighbours ``K - 1`` times. A side that links no sector
    (it holds less than :data:`LINK` everywhere) reaches every contested sector and has
    no pockets.
    """
    can = jnp.asarray(sec.contestable)
    adj = jnp.asarray(sec.adjacency)
    pop = jnp.asarray(sec.population)
    share = jnp.stack([1.0 - control, control])
    people = share * pop[None, :]
    links = can[None, :] & (share >= LINK)
    k = jnp.arange(N_SECTORS, dtype=jnp.int32)
    label = jnp.where(links, k[None, :], N_SECTORS)
    for _ in range(N_SECTORS - 1):
        near = jnp.min(jnp.where(adj[None, :, :], label[:, None, :], N_SECTORS), axis=2)
        label = jnp.where(links, jnp.minimum(label, near), N_SECTORS)
    in_group = label[:, None, :] == k[None, :, None]  # [side, group, sector]
    group_people = fixed_sum(jnp.where(in_group, people[:, None, :], 0.0), axis=2)
    main = jnp.argmax(group_people, axis=1).astype(jnp.int32)
    in_main = links & (label == main[:, None])
    near_main = jnp.any(adj[None, :, :] & in_main[:, None, :], axis=2)
    front = contested(control, sec)
    linked = jnp.any(links, axis=1, keepdims=True)
    reach = front[None, :] & (in_main | near_main | ~linked)
    pocket = can[None, :] & (share > 0.0) & ~(in_main | near_main) & linked
    return Zones(reach=reach, pocket=pocket, people=people)
