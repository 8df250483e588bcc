"""The Spanish front's month: offensives, reserves and battles on the war's CDB90 kernel.

Shapes: ``U`` unit slots per run (:mod:`.units`), ``K`` sectors (:mod:`.sectors`),
``W`` = :data:`WEEKS` weekly combat steps a month. Men are thousand persons. Each month
(:func:`abm.models.interwar.spain.month.advance`):

1. each side picks the contested sector of its offensive, with probability in proportion
   to the people to take per defender there last month (:func:`choose_offensives`);
2. it sends ``concentration`` of its units (by slot order, the foreign contingents first)
   there, ``response`` to meet the other side's offensive, and spreads the rest evenly
   over every contested sector (:func:`allocate`);
3. it attacks if its log force ratio there plus half its effectiveness advantage
   (:data:`ATTACK_WEIGHT`) reaches ``attack_threshold`` (where both attack in one sector,
   the higher score attacks);
4. at most two engagements, one in each side's offensive sector, fight four weeks on the
   kernel fitted on CDB90's 1939-45 engagements
   (:func:`abm.models.interwar.war.combat.sector_month`), ``engaged`` of each unit's men
   in the battle, ``combat_days`` days a month (:func:`fight`);
5. each week the attacker wins takes ``sector_advance`` of the sector's people (up to all
   the defender holds there; :func:`advance_control`); the sectors' fronts then close and open
   (:func:`abm.models.interwar.spain.sectors.open_fronts`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine import exact
from abm.engine.exact import fixed_cumsum, fixed_sum
from abm.models.interwar.spain.sectors import N_SECTORS, SectorData, Zones
from abm.models.interwar.spain.units import side_men
from abm.models.interwar.war import combat as C

#: Weekly combat steps a month (``combat_days`` are spread over them).
WEEKS = 4
#: Weight of the effectiveness advantage against the log force ratio in an attack's
#: decision: a CDB90 step counts as much as a force ratio of e^0.5.
ATTACK_WEIGHT = 0.5


def choose_offensives(
    control: jax.Array, reach: jax.Array, men_at: jax.Array, u: jax.Array, sec: SectorData
) -> jax.Array:
    """Each side's offensive sector (int32 ``[2]``, Republic first; ``K`` if none).

    A contested sector the side reaches (:func:`~abm.models.interwar.spain.sectors.zones`)
    with probability in proportion to ``people to take / (1 + the defender's men
    there)`` (both thousand): the softmax of the log of that weight, the distribution a
    Gumbel-max choice over it has, drawn from one uniform per side by the inverse of the
    cumulative weights.

    Args:
        control: float32 ``[K]``.
        reach: bool ``[2, K]``, the contested sectors each side's units can reach.
        men_at: float32 ``[2, K]``, thousand men per side and sector as the month's
            decisions are taken: the units (after the month's arrivals and call-ups) in
            the sectors they fought in last month.
        u: float32 ``[2]`` uniforms.
        sec: :func:`~abm.models.interwar.spain.sectors.sector_data`.
    """
    pop = jnp.asarray(sec.population)
    stake = jnp.stack([control * pop, (1.0 - control) * pop])
    weight = jnp.where(reach, stake / (men_at[::-1] + 1.0), 0.0)
    cum = fixed_cumsum(weight)
    below = cum <= u[:, None] * cum[:, -1:]
    pick = jnp.minimum(jnp.sum(below.astype(jnp.int32), axis=1), N_SECTORS - 1)
    # Never a sector out of reach (a zero weight at the top of the cumulative sum).
    last = N_SECTORS - 1 - jnp.argmax(reach[:, ::-1], axis=1).astype(jnp.int32)
    ok = jnp.take_along_axis(reach, pick[:, None], axis=1)[:, 0]
    pick = jnp.where(ok, pick, jnp.minimum(pick, last))
    return jnp.where(jnp.any(reach, axis=1), pick, N_SECTORS).astype(jnp.int32)


def _position(side: jax.Array, units: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Each side's ``units`` ``[U]`` in slot order: (mask ``[2, U]``, ``(rank + 0.5) / n``)."""
    mine = units[None, :] & (side[None, :] == jnp.arange(2)[:, None])
    rank = jnp.cumsum(mine.astype(jnp.int32), axis=1) - 1
    n = jnp.maximum(jnp.sum(mine.astype(jnp.int32), axis=1, keepdims=True), 1)
    return mine, (rank.astype(jnp.float32) + 0.5) / n.astype(jnp.float32)


def place_in_pockets(side: jax.Array, alive: jax.Array, zones: Zones) -> jax.Array:
    """The war's first month: each side's units cut off in its pockets (int32 ``[U]``).

    A side's last units in slot order, as many as its share of people in its pockets
    among the people it holds in contestable sectors, go to its pockets in proportion
    to the people there (the inverse of the cumulative shares); ``K`` for the others.
    """
    held = jnp.where(zones.pocket | zones.reach, zones.people, 0.0)
    pocket_people = jnp.where(zones.pocket, zones.people, 0.0)
    cut = fixed_sum(pocket_people, axis=1)
    share = cut / jnp.maximum(fixed_sum(held, axis=1), 1e-6)
    mine, x = _position(side, alive)
    start = 1.0 - share[:, None]
    y = (x - start) / jnp.maximum(share[:, None], 1e-6)
    cum = fixed_cumsum(pocket_people) / jnp.maximum(cut[:, None], 1e-6)
    pick = jnp.sum((cum[:, None, :] <= y[:, :, None]).astype(jnp.int32), axis=2)
    pick = jnp.minimum(pick, N_SECTORS - 1)
    sector = jnp.where(mine & (x >= start) & (cut[:, None] > 0.0), pick, N_SECTORS)
    return jnp.min(sector, axis=0).astype(jnp.int32)


def allocate(
    side: jax.Array,
    alive: jax.Array,
    reach: jax.Array,
    offensive: jax.Array,
    concentration: jax.Array,
    response: jax.Array,
    pinned: jax.Array,
) -> jax.Array:
    """Each unit's sector (int32 ``[U]``; ``K``: none, no front or no side).

    A unit cut off in a pocket (``pinned``) stays there. A side's other alive units in
    slot order (its foreign contingent first): the first ``concentration`` of them go to
    its offensive sector, the next ``response`` to the sector of the other side's
    offensive where the side reaches it (its reserves meeting the attack; to its own
    offensive where the two are the same), the others in turn to each contested sector
    it reaches by equal shares.

    Args:
        side: int32 ``[U]``, each unit's war side (2: an empty slot).
        alive: bool ``[U]``.
        reach: bool ``[2, K]``, the contested sectors each side reaches.
        offensive: int32 ``[2]``, each side's offensive sector (Republic first).
        concentration: share of a side's units sent to its offensive (scalar).
        response: share sent to meet the other side's (scalar).
        pinned: int32 ``[U]``, the pocket a unit is cut off in, ``K`` for none.
    """
    mine, x = _position(side, alive & (pinned >= N_SECTORS))
    n_front = jnp.sum(reach.astype(jnp.int32), axis=1)
    other = offensive[::-1]
    conc = jnp.where(offensive < N_SECTORS, concentration, 0.0)
    met = jnp.take_along_axis(reach, jnp.minimum(other, N_SECTORS - 1)[:, None], axis=1)[:, 0]
    resp = jnp.where((other < N_SECTORS) & met, response, 0.0)
    used = jnp.minimum(conc + resp, 0.95)[:, None]
    share = (x - used) / (1.0 - used)
    j = jnp.floor(share * n_front[:, None].astype(jnp.float32)).astype(jnp.int32)
    j = jnp.clip(j, 0, jnp.maximum(n_front[:, None] - 1, 0))
    # The j-th sector a side reaches, from its list in the table's order.
    order = jnp.cumsum(reach.astype(jnp.int32), axis=1) - 1
    listed = (
        jnp.zeros((2, N_SECTORS + 1), jnp.int32)
        .at[jnp.arange(2)[:, None], jnp.where(reach, order, N_SECTORS)]
        .set(jnp.broadcast_to(jnp.arange(N_SECTORS, dtype=jnp.int32), (2, N_SECTORS)))
    )
    spread = jnp.take_along_axis(listed, j, axis=1)
    sector = jnp.where(
        x < conc[:, None],
        offensive[:, None],
        jnp.where(x < used, other[:, None], spread),
    )
    sector = jnp.where(mine & (n_front[:, None] > 0), sector, N_SECTORS)
    free = jnp.min(sector, axis=0)
    return jnp.where(alive & (pinned < N_SECTORS), pinned, free).astype(jnp.int32)


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
    nat_score = ratio + np.float32(ATTACK_WEIGHT) * eff
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


def advance_control(
    control: jax.Array, attacker: jax.Array, weeks_won: jax.Array, step: jax.Array
) -> jax.Array:
    """Control after the weeks won: each takes ``step`` of the sector's people.

    ``control`` moves by ``step x weeks_won`` towards the attacker, up to the whole
    sector: a front line that advances at a pace set by the sector's size, so that a
    sector falls in ``1 / step`` weeks won (the last of it as fast as the first).
    """
    gain = step * weeks_won
    nat = jnp.minimum(control + gain, 1.0)
    rep = jnp.maximum(control - gain, 0.0)
    return jnp.where(attacker == 1, nat, jnp.where(attacker == 0, rep, control))
