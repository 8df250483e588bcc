"""The war's weekly combat step: divisions -> sector battles on the CDB90 kernel -> losses.

One sub-step (a week, :data:`~abm.models.interwar.war.combat_fit.STEP_DAYS`) of the war
slice's combat, for one run (``vmap`` it over runs). Each contested sector is one
engagement between the divisions of its attacking side and those of its defending side:

1. :func:`sector_strengths`: men engaged per sector and side, one segment sum over the
   divisions (no gathers of variable size, no loop over divisions or sectors);
2. :func:`engagement_week`: each engaged sector's daily casualty rates and the
   attacker's chance to win from the kernel fitted on CDB90 (``war_combat.yaml``,
   :mod:`.combat_fit`; ``docs/combat_kernel.md``), with the fit's correlated residuals;
3. :func:`apply_losses`: each division keeps the surviving share of its sector and side.

:func:`combat_month` runs a month's four weeks on the sectors' totals and touches the
divisions once (the same result while divisions keep their sectors within the month).

The linear predictors are written element-wise in a fixed order (no dot): the last bits
of a dot may change with the batch's size (``docs/adding_a_slice.md``).
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import yaml

from abm.engine import exact
from abm.models.interwar.war import combat_fit

#: Sides of an engagement: the sector's attacker and its defender.
ATTACKER, DEFENDER = 0, 1
#: The kernel's columns after intercept, force ratio, size and duration: the engagement's
#: conditions, in the attacker's view (:data:`combat_fit.COLUMNS`).
CONDITIONS = combat_fit.COLUMNS[4:]


class Conditions(NamedTuple):
    """An engagement's conditions, each float32 broadcastable to the sectors ``[K]``.

    Attributes (CDB90's codes, the attacker's view; ``docs/combat_kernel.md``):
        prepared_defence: 1 where the defender is in a prepared or fortified defence.
        effectiveness: the attacker's combat effectiveness advantage, CDB90 steps (-2..2).
        training: the attacker's training advantage (-1..1).
        surprise: the attacker's surprise (-3..3).
        air_superiority: the attacker's air superiority (-1..1).
        armour: ln of the attacker's tanks per man over the defender's (tanks + 1).
        rugged_terrain: 1 in rugged terrain.
        wet_weather: 1 in wet weather.
        winter: 1 in winter.
        supply: the attacker's logistic advantage (-1..1).
    """

    prepared_defence: jax.Array
    effectiveness: jax.Array
    training: jax.Array
    surprise: jax.Array
    air_superiority: jax.Array
    armour: jax.Array
    rugged_terrain: jax.Array
    wet_weather: jax.Array
    winter: jax.Array
    supply: jax.Array


class WarKernel(NamedTuple):
    """The stored fit (``war_combat.yaml``), float32 scalars per column.

    Attributes:
        attacker, defender: ``len(COLUMNS)`` coefficients of the ln daily casualty
            rates (over strength).
        win: ``len(COLUMNS)`` coefficients of the logit of P(attacker wins).
        residual_sd: (attacker, defender) residual sd of the ln rates.
        residual_corr: their correlation.
        size_unit: persons of the size covariate's unit.
    """

    attacker: tuple[float, ...]
    defender: tuple[float, ...]
    win: tuple[float, ...]
    residual_sd: tuple[float, float]
    residual_corr: float
    size_unit: float


@cache
def kernel() -> WarKernel:
    """The kernel stored by ``python -m abm.models.interwar.war.combat_fit --write``."""
    with open(combat_fit.FIT_FILE, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    if tuple(raw["columns"]) != combat_fit.COLUMNS:
        raise ValueError(
            f"{combat_fit.FIT_FILE.name}: columns {raw['columns']}, expected "
            f"{list(combat_fit.COLUMNS)}; rerun the fit with --write"
        )
    sd = raw["residual_sd"]
    return WarKernel(
        attacker=tuple(float(v) for v in raw["attacker"]),
        defender=tuple(float(v) for v in raw["defender"]),
        win=tuple(float(v) for v in raw["win"]),
        residual_sd=(float(sd[0]), float(sd[1])),
        residual_corr=float(raw["residual_corr"]),
        size_unit=float(raw["size_unit"]),
    )


def sector_strengths(
    men: jax.Array, side: jax.Array, sector: jax.Array, alive: jax.Array, n_sectors: int
) -> jax.Array:
    """Men engaged per sector and side.

    Args:
        men: float32 ``[U]``, each division's men, thousand.
        side: int32 ``[U]``, :data:`ATTACKER` or :data:`DEFENDER` in its sector.
        sector: int32 ``[U]``, its sector, ``0 .. n_sectors - 1`` (a division in
            reserve carries ``n_sectors``: it fights nowhere).
        alive: bool ``[U]``.
        n_sectors: ``K``.

    Returns:
        float32 ``[2, K]``: thousand men engaged, attacker's row first.
    """
    slot = jnp.where(alive & (sector < n_sectors), sector * 2 + side, 2 * n_sectors)
    total = jax.ops.segment_sum(jnp.where(alive, men, 0.0), slot, num_segments=2 * n_sectors + 1)
    return total[: 2 * n_sectors].reshape(n_sectors, 2).T


def engagement_week(
    attacker: jax.Array,
    defender: jax.Array,
    cond: Conditions,
    noise: jax.Array,
    u: jax.Array,
    kern: WarKernel,
    days: float | jax.Array = combat_fit.STEP_DAYS,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """A week of battle in every sector on the CDB90 kernel.

    Args:
        attacker: float32 ``[K]``, thousand men engaged by the sector's attacker.
        defender: float32 ``[K]``, thousand men engaged by its defender.
        cond: the sectors' :class:`Conditions`.
        noise: float32 ``[2, K]`` standard normals (the residuals' draws).
        u: float32 ``[K]`` uniforms (the win's draw).
        kern: :func:`kernel`.
        days: days of combat in the step (the kernel's duration covariate too): a
            Python float, or a float32 scalar array (a parameter).

    Returns:
        (attacker's and defender's surviving shares of the men engaged, ``exp(-rate
        days)``, each float32 ``[K]``; the attacker won, bool ``[K]``; the sector was
        engaged, bool ``[K]``: both sides there). Where not engaged the shares are 1 and
        nobody wins.
    """
    engaged = (attacker > 0.0) & (defender > 0.0)
    a = jnp.maximum(attacker, 1e-3)
    d = jnp.maximum(defender, 1e-3)
    ratio = exact.log(a) - exact.log(d)
    thousand_over_unit = np.float32(math.log(1000.0 / kern.size_unit))
    size = np.float32(0.5) * (exact.log(a) + exact.log(d)) + thousand_over_unit
    if isinstance(days, (int, float)):
        log_days: jax.Array | np.float32 = np.float32(math.log(days))
        step: jax.Array | np.float32 = np.float32(days)
    else:
        log_days = exact.log(jnp.asarray(days, jnp.float32))
        step = jnp.asarray(days, jnp.float32)
    extra = [jnp.asarray(getattr(cond, name), jnp.float32) for name in CONDITIONS]

    def linear(coef: tuple[float, ...]) -> jax.Array:
        c = [np.float32(v) for v in coef]
        out = (c[0] + c[1] * ratio) + c[2] * size
        out = out + c[3] * log_days
        for k, x in enumerate(extra):
            out = out + c[4 + k] * x
        return out

    sd_a, sd_d = (np.float32(v) for v in kern.residual_sd)
    rho = np.float32(kern.residual_corr)
    e_a = sd_a * noise[0]
    e_d = sd_d * (rho * noise[0] + np.float32(math.sqrt(1.0 - kern.residual_corr**2)) * noise[1])
    rate_a = exact.exp(linear(kern.attacker) + e_a)
    rate_d = exact.exp(linear(kern.defender) + e_d)
    p_win = 1.0 / (1.0 + exact.exp(-linear(kern.win)))
    keep_a = jnp.where(engaged, exact.exp(-rate_a * step), 1.0)
    keep_d = jnp.where(engaged, exact.exp(-rate_d * step), 1.0)
    return keep_a, keep_d, engaged & (u < p_win), engaged


def apply_losses(
    men: jax.Array, side: jax.Array, sector: jax.Array, survival: jax.Array
) -> jax.Array:
    """Each division keeps its sector's and side's surviving share.

    Args:
        men: float32 ``[U]``, thousand.
        side: int32 ``[U]`` as in :func:`sector_strengths`.
        sector: int32 ``[U]`` as there (``sector == K``: in reserve, untouched).
        survival: float32 ``[2, K]``, the surviving shares (attacker's row first).

    Returns:
        float32 ``[U]``, thousand men after the week.
    """
    n_sectors = survival.shape[1]
    padded = jnp.concatenate([survival, jnp.ones((2, 1), survival.dtype)], axis=1)
    return men * padded[side, jnp.minimum(sector, n_sectors)]


def combat_month(
    men: jax.Array,
    side: jax.Array,
    sector: jax.Array,
    alive: jax.Array,
    cond: Conditions,
    noise: jax.Array,
    u: jax.Array,
    kern: WarKernel,
    days: float | jax.Array = combat_fit.STEP_DAYS,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """A month of weekly battles, the weeks fought on the sectors' totals alone.

    Exactly the same as four rounds of :func:`sector_strengths`, :func:`engagement_week`
    and :func:`apply_losses` while no division changes sector or side within the month:
    every division of a sector and side keeps the same share each week, so the sector's
    total after ``w`` weeks is its first total times the product of the shares, and a
    division's men after the month are its men times the month's product. The divisions
    are summed and updated once a month (``[U]`` work), the weeks touch only ``[2, K]``.

    Args:
        men: float32 ``[U]``, thousand, as in :func:`sector_strengths`.
        side: int32 ``[U]``, as there.
        sector: int32 ``[U]``, as there.
        alive: bool ``[U]``, as there.
        cond: the sectors' :class:`Conditions` for the month.
        noise: float32 ``[W, 2, K]`` standard normals, a week each.
        u: float32 ``[W, K]`` uniforms, a week each.
        kern: :func:`kernel`.
        days: days of combat in each week (as :func:`engagement_week`'s).

    Returns:
        (float32 ``[U]`` men after the month; bool ``[W, K]`` the attacker won that week;
        bool ``[W, K]`` the sector was engaged that week).
    """
    n_sectors = noise.shape[2]
    first = sector_strengths(men, side, sector, alive, n_sectors)
    kept, won, engaged = sector_month(first, cond, noise, u, kern, days)
    return apply_losses(men, side, sector, kept), won, engaged


def sector_month(
    first: jax.Array,
    cond: Conditions,
    noise: jax.Array,
    u: jax.Array,
    kern: WarKernel,
    days: float | jax.Array = combat_fit.STEP_DAYS,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """A month's weeks on the sectors' totals alone (:func:`combat_month`'s core).

    Args:
        first: float32 ``[2, K]``, thousand men engaged per sector as the month begins,
            the attacker's row first.
        cond: as :func:`combat_month`'s.
        noise: as there.
        u: as there.
        kern: as there.
        days: as there.

    Returns:
        (float32 ``[2, K]`` the month's surviving shares, the product of the weeks'; bool
        ``[W, K]`` the attacker won that week; bool ``[W, K]`` the sector was engaged).
    """

    def week(kept: jax.Array, draws: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, tuple]:
        now = first * kept
        keep_a, keep_d, won, engaged = engagement_week(now[0], now[1], cond, *draws, kern, days)
        return kept * jnp.stack([keep_a, keep_d]), (won, engaged)

    kept, (won, engaged) = jax.lax.scan(week, jnp.ones_like(first), (noise, u))
    return kept, won, engaged


__all__ = [
    "ATTACKER",
    "CONDITIONS",
    "DEFENDER",
    "Conditions",
    "WarKernel",
    "apply_losses",
    "combat_month",
    "engagement_week",
    "kernel",
    "sector_month",
    "sector_strengths",
]
