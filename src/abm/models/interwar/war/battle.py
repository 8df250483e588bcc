"""The month's battles, the front's movement, and the powers' will and armistices (one run).

:func:`fight` (weekly engagements on the CDB90 kernel in every contested sector),
:func:`move_front`, :func:`will` and :func:`hand_over`; the month (:mod:`.month`)
calls them after the allocation.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine import exact
from abm.models.interwar.war import combat as C
from abm.models.interwar.war import powers as PW
from abm.models.interwar.war.deploy import Relations
from abm.models.interwar.war.tables import Tables

#: Weekly sub-steps of a month's combat.
WEEKS = 4


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
