"""One month of the example slice: the draws, then a pure function of state and draws.

Keeping the draws apart from the update lets a NumPy reference
(``tests/test_example_slice.py``) replay the month on the same draws.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_sum
from abm.models.example.types import EmigreState

#: Share of the people at risk gone that counts as a wave of emigration.
WAVE_SHARE = 0.1


def draw_month(key: jax.Array, n_groups: int) -> jax.Array:
    """The month's draws: float32 ``[n_groups]`` uniforms, one per group."""
    return jax.random.uniform(key, (n_groups,), jnp.float32)


def advance(
    state: EmigreState,
    hazard_base: jax.Array,
    hazard_nazi: jax.Array,
    nazi_month: jax.Array,
    u: jax.Array,
) -> EmigreState:
    """One month of one run.

    Args:
        state: the state at the start of the month.
        hazard_base: float32, monthly share leaving (1/month) before a Nazi government.
        hazard_nazi: float32, extra monthly share leaving under one (1/month).
        nazi_month: int32, first month of a Nazi government, -1 not (yet).
        u: float32 ``[G]`` uniforms from :func:`draw_month`.

    Returns:
        The state at the start of the next month.
    """
    nazi = (nazi_month >= 0) & (state.month >= nazi_month)
    hazard = hazard_base + jnp.where(nazi, hazard_nazi, jnp.float32(0.0))
    leaving = state.stayed * jnp.clip(2.0 * hazard * u, 0.0, 1.0)
    emigrated = state.emigrated + leaving
    total = fixed_sum(state.stayed + state.emigrated)
    wave = (state.wave_month < 0) & (fixed_sum(emigrated) >= WAVE_SHARE * total)
    return EmigreState(
        month=state.month + 1,
        stayed=state.stayed - leaving,
        emigrated=emigrated,
        wave_month=jnp.where(wave, state.month, state.wave_month),
    )
