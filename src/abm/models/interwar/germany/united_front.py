"""The united front: its formation from the KPD's line and the SPD's willingness.

The KPD's line is the Comintern's, set month by month by whoever rules the USSR (the
Soviet slice's ``Influence.comintern_line``); the SPD leadership's willingness is the
German factor ``united_front_uptake``, the same under every Soviet leader. Equations in
``docs/ODD.md`` ("Submodels: government").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

#: Months for the rank and file of the two parties to learn to act together once the
#: leaderships agree (joint committees, common lists in the unions); assumption.
BUILD_MONTHS = 6.0
#: Strength below which a formed front has broken up; assumption.
BREAK_STRENGTH = 0.05


def readiness(line: jax.Array, spd: jax.Array) -> jax.Array:
    """The leaderships' joint readiness, 0..1: ``line * spd``."""
    return line * spd


def nazi_threat(nsdap: jax.Array) -> jax.Array:
    """The Nazi threat that drives the left together: ``clip((n - 0.05) / 0.25, 0, 1.5)``."""
    return jnp.clip((nsdap - 0.05) / 0.25, 0.0, 1.5)


def update(
    united_front: jax.Array,
    strength: jax.Array,
    ready: jax.Array,
    local: jax.Array,
    threat: jax.Array,
    rate: jax.Array,
    constitutional: jax.Array,
    u: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """One month of the united front.

    It forms with monthly hazard ``rate * ready * threat`` while the constitution holds;
    its strength moves towards ``ready`` (without a front: ``local``, the joint action
    of local branches against the leaderships' lines) with time constant
    :data:`BUILD_MONTHS`, so a front the KPD's line later abandons fades, and it breaks up
    when its strength falls below :data:`BREAK_STRENGTH`.

    Returns:
        ``(united_front, strength)``: bool, float32 0..1.
    """
    forms = constitutional & ~united_front & (u < 1.0 - jnp.exp(-rate * ready * threat))
    uf = united_front | forms
    target = jnp.where(uf, jnp.maximum(ready, local), local)
    s = strength + (target - strength) / BUILD_MONTHS
    s = jnp.where(forms, jnp.maximum(s, 2.0 * BREAK_STRENGTH), s)
    return uf & (s >= BREAK_STRENGTH), jnp.clip(s, 0.0, 1.0)
