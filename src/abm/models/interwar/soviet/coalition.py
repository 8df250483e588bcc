"""Coalitions in the Central Committee: who joins whom in a showdown, who dares attack.

Pure functions on ``[F]`` and ``[F, F]`` arrays (equations in ``docs/ODD.md``, "Soviet
succession"). A faction's *strength* in a showdown is its share of Central Committee
power plus ``force_weight`` times its mean share of the army and the secret police,
normalised over the active factions. In a showdown of attacker ``i`` against target
``j`` every other active faction ``k`` sides with ``i`` with probability

``p_k = sigmoid(policy_affinity * (D_kj - D_ki) + bandwagon * (x_i - x_j))``

(``D``: mean absolute distance of two factions' policy vectors, ``x``: strength): by
policy closeness and by who is expected to win. ``i``'s expected share of the Central
Committee is ``side_i = x_i + sum_k p_k x_k``; the majority wins with probability
``sigmoid(contest_sharpness * (2 side_i - 1))``. A faction attacks the target it finds
both strong and distant (``argmax_j x_j (ATTACK_DISTANCE + D_ij)``), with monthly hazard
``contest_rate * clip((chance - attack_confidence) / (1 - attack_confidence), 0, 1)``:
any faction can attack when it judges it can win.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_cumsum, fixed_sum
from abm.models.interwar.soviet import constants as K

#: Resource columns of ``Leadership.resources`` (each a share over active factions).
APPARATUS, ARMY, POLICE, BASE = range(4)
RESOURCES = ("apparatus", "army", "police", "base")
N_RESOURCES = len(RESOURCES)
#: Weight of sheer strength, against policy distance, in the choice of a target. Assumption.
ATTACK_DISTANCE = 0.5
#: The levers of the 1920s debates on which factions judged each other's closeness: the
#: tempo of industrialisation, the peasantry, world revolution against socialism in one
#: country, concessions and trade (indices into ``K.POLICY_LEVERS``). The terror, the
#: famine's levers and China were not platforms of 1924-29.
DEBATE_LEVERS = (K.P_INDUSTRIALISATION, K.P_COLLECTIVISATION, K.P_EXPORT, K.P_TRADE)


def normalise(x: jax.Array, active: jax.Array) -> jax.Array:
    """Shares over the active factions along axis 0 (``[F]`` or ``[F, R]``)."""
    mask = active.reshape(active.shape + (1,) * (x.ndim - 1))
    x = jnp.where(mask, jnp.maximum(x, 0.0), 0.0)
    total = jnp.maximum(fixed_sum(x, axis=0), 1e-12)
    return x / total[None]


def distances(policies: jax.Array) -> jax.Array:
    """Mean absolute distance between factions' platforms, float32 ``[F, F]``.

    Args:
        policies: float32 ``[F, N_POLICY]``, each faction's levers (0..1); the distance
            is taken over :data:`DEBATE_LEVERS`.
    """
    v = policies[:, jnp.asarray(DEBATE_LEVERS)]
    return fixed_sum(jnp.abs(v[:, None, :] - v[None, :, :]), axis=-1) / v.shape[-1]


def strength(
    power: jax.Array, resources: jax.Array, active: jax.Array, force_weight: jax.Array
) -> jax.Array:
    """Showdown strength, float32 ``[F]`` summing to 1 over the active factions."""
    force = 0.5 * (resources[:, ARMY] + resources[:, POLICE])
    return normalise(power + force_weight * force, active)


def sides(
    x: jax.Array,
    active: jax.Array,
    dist: jax.Array,
    attacker: jax.Array,
    target: jax.Array,
    affinity: jax.Array,
    bandwagon: jax.Array,
) -> jax.Array:
    """The attacker's expected share of the Central Committee against ``target``, 0..1.

    Args:
        x: float32 ``[F]`` strengths (sum 1 over active).
        active: bool ``[F]``.
        dist: float32 ``[F, F]`` policy distances.
        attacker: int32, the attacking faction.
        target: int32, the faction attacked.
        affinity: ``policy_affinity``.
        bandwagon: ``bandwagon``.
    """
    idx = jnp.arange(x.shape[0])
    third = active & (idx != attacker) & (idx != target)
    lean = affinity * (dist[:, target] - dist[:, attacker]) + bandwagon * (x[attacker] - x[target])
    p = jax.nn.sigmoid(lean)
    return x[attacker] + fixed_sum(jnp.where(third, p * x, 0.0))


def showdowns(
    x: jax.Array,
    active: jax.Array,
    dist: jax.Array,
    affinity: jax.Array,
    bandwagon: jax.Array,
    sharpness: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """Every active faction's target and its chance of winning against it.

    The uncommitted "others" (no leader of their own) neither attack nor are attacked:
    they are the swing vote.

    Returns:
        ``(target, chance)``: int32 ``[F]`` and float32 ``[F]`` (0 where no target).
    """
    n = x.shape[0]
    idx = jnp.arange(n)
    score = x[None, :] * (ATTACK_DISTANCE + dist)
    named = active & (idx != K.OTHERS)
    ok = named[None, :] & (idx[None, :] != idx[:, None])
    target = jnp.argmax(jnp.where(ok, score, -1.0), axis=1).astype(jnp.int32)
    side = jax.vmap(lambda i, j: sides(x, active, dist, i, j, affinity, bandwagon))(idx, target)
    has = named & (fixed_sum(named.astype(jnp.int32)) > 1)
    chance = jnp.where(has, jax.nn.sigmoid(sharpness * (2.0 * side - 1.0)), 0.0)
    return target, chance


def attack_hazards(chance: jax.Array, rate: jax.Array, confidence: jax.Array) -> jax.Array:
    """Monthly probability that each faction attacks, float32 ``[F]``."""
    eager = jnp.clip((chance - confidence) / jnp.maximum(1.0 - confidence, 1e-6), 0.0, 1.0)
    return rate * eager


def pick(hazards: jax.Array, u: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One draw picks at most one event among competing small hazards.

    ``u`` below the cumulative hazard's ``k``-th step picks ``k`` (the hazards should sum
    to at most 1; beyond it nothing more is picked).

    Returns:
        ``(happens, which)``: bool and int32.
    """
    cum = fixed_cumsum(hazards)
    which = jnp.argmax(u < cum).astype(jnp.int32)
    return u < cum[-1], which


def transfer(
    x: jax.Array,
    loser: jax.Array,
    winner: jax.Array,
    stake: jax.Array,
    take: float,
    happens: jax.Array,
    active: jax.Array,
) -> jax.Array:
    """The loser gives up ``stake`` of ``x`` (``[F]`` or ``[F, R]``), renormalised.

    ``take`` of it goes to the winner, the rest to the other actives in proportion.
    """
    n = x.shape[0]
    idx = jnp.arange(n)
    shape = (n,) + (1,) * (x.ndim - 1)
    is_loser = ((idx == loser) & happens).reshape(shape)
    is_winner = ((idx == winner) & happens).reshape(shape)
    others = (active & (idx != loser) & (idx != winner)).reshape(shape)
    lost = (stake * x[loser])[None]
    rest = jnp.where(others, x, 0.0)
    rest_sum = fixed_sum(rest, axis=0)[None]
    to_rest = jnp.where(rest_sum > 0, (1.0 - take) * lost, 0.0)
    gain = jnp.where(is_winner, lost - to_rest, 0.0) + jnp.where(
        happens, rest / jnp.maximum(rest_sum, 1e-12) * to_rest, 0.0
    )
    return normalise(x - jnp.where(is_loser, lost, 0.0) + gain, active)
