"""The Spanish front's units: brigade-sized slots with an alive mask, their owners and call-ups.

``U`` = :data:`N_UNITS` unit slots per run. The units are the Republic's columns and
mixed brigades and the Nationalists' columns and brigades, each owned by a faction
(:data:`~abm.models.interwar.spain.factions.FACTIONS`), and one contingent per foreign
donor (slots ``0 .. 3``: the Italian CTV, the Condor Legion, the Soviet personnel, the
International Brigades). Men are thousand persons.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.exact import fixed_cumsum, fixed_sum
from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain.sectors import N_SECTORS

#: Unit slots per run: the four donors' contingents, then the factions' brigades.
N_UNITS = 384
#: Slots of the foreign contingents, one per donor (:data:`F.DONORS`).
N_DONOR_SLOTS = len(F.DONORS)
#: A brigade's men on formation, thousand: the Popular Army's mixed brigade of four
#: battalions (October 1936), about 3,500 men on establishment; judged, and taken for
#: the Nationalists' brigades too.
BRIGADE = 3.5
#: Below this many thousand men a unit is gone (its slot is free again).
MIN_MEN = 0.1
#: Side of each donor's contingent: Italy and Germany with the rising.
DONOR_SIDE = (1, 1, 0, 0)


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
