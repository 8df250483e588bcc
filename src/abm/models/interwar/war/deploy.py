"""Who fights whom, replacements, and where each power's divisions go (one run).

:func:`relations` (at war, friends), :func:`reinforce` (towards the historical field
strength), :func:`fronts` and :func:`choose_attacks` (where a power defends and
attacks), and :func:`allocate` (integer quotas and one ``searchsorted``); the month
(:mod:`.month`) calls them in that order.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine import exact
from abm.models.interwar.war.tables import Tables
from abm.models.interwar.war.types import WarState


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
