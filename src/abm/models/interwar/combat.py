"""A month's battle on the combat kernel fitted on CDB90 (shared by the slices that fight).

The kernel (:mod:`abm.models.interwar.frontiers.combat_fit`) gives each side's daily
casualty rate over its strength, ``exp(x b + e)`` with ``x`` = (1, ln force ratio,
prepared defence, effectiveness advantage in steps) and correlated normal residuals
``e``, and the attacker's chance of winning, ``logistic(x w)``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine import exact
from abm.models.interwar.frontiers.theatres import Kernel


def _sigmoid(x: jax.Array) -> jax.Array:
    return 1.0 / (1.0 + exact.exp(-x))


def kernel_survival(
    attacker: jax.Array,
    defender: jax.Array,
    effectiveness: jax.Array,
    noise: jax.Array,
    u: jax.Array,
    kern: Kernel,
    days: jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """A month's battle on the CDB90 kernel (hasty defence): who survives, and the win.

    Args:
        attacker: float32, thousand persons engaged by the attacker.
        defender: float32, thousand persons engaged by the defender.
        effectiveness: float32, the attacker's advantage in CDB90 steps.
        noise: float32 ``[2]`` standard normals.
        u: float32 uniform.
        kern: the fitted kernel.
        days: float32, days of combat.

    Returns:
        (the attacker's and the defender's surviving shares of the men engaged, each
        ``exp(-rate days)``; the attacker won).
    """
    ratio = exact.log(jnp.maximum(attacker, 1e-3) / jnp.maximum(defender, 1e-3))

    def linear(c: Any) -> jax.Array:
        # Element-wise in a fixed order (hasty defence: the prepared term is 0), not a
        # dot: a dot's code, and so its last bits, may change with the batch's size.
        c = [np.float32(v) for v in c]
        return (c[0] + c[1] * ratio) + c[3] * effectiveness

    sd = [np.float32(v) for v in kern.residual_sd]
    rho = np.float32(kern.residual_corr)
    e_def = sd[1] * (rho * noise[0] + np.float32(np.sqrt(1.0 - rho * rho)) * noise[1])
    r_att = exact.exp(linear(kern.attacker) + sd[0] * noise[0])
    r_def = exact.exp(linear(kern.defender) + e_def)
    return exact.exp(-r_att * days), exact.exp(-r_def * days), u < _sigmoid(linear(kern.win))


def kernel_battle(
    attacker: jax.Array,
    defender: jax.Array,
    effectiveness: jax.Array,
    noise: jax.Array,
    u: jax.Array,
    kern: Kernel,
    days: jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """A month's battle on the CDB90 kernel (hasty defence): casualties and the win.

    Arguments as :func:`kernel_survival`.

    Returns:
        (attacker's casualties, defender's casualties, both in thousand; attacker won).
    """
    s_att, s_def, won = kernel_survival(attacker, defender, effectiveness, noise, u, kern, days)
    return attacker * (1.0 - s_att), defender * (1.0 - s_def), won


__all__ = ["kernel_battle", "kernel_survival"]
