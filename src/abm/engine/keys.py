"""Random keys: one key per (seed, point, run), independent of batching.

``run_key = fold_in(fold_in(key(seed), point), run)``. Inside a run the key is split
into named streams by ``fold_in`` with fixed stream numbers, and each month of the
simulation folds the month index into the step stream, so any single run, and any
single month of it, can be replayed from ``(seed, point, run)`` alone.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

#: Stream numbers folded into a run key; fixed forever (changing one changes results).
STREAM_PRIORS = 0
STREAM_INIT = 1
STREAM_STEPS = 2


def root_key(seed: jax.Array | int) -> jax.Array:
    """Typed root key of a simulation from an integer seed (uint32 range)."""
    return jax.random.key(jnp.asarray(seed, dtype=jnp.uint32))


def run_key(seed: jax.Array | int, point: jax.Array | int, run: jax.Array | int) -> jax.Array:
    """Key of run ``run`` of sweep point ``point`` under ``seed``.

    Args:
        seed: the simulation seed.
        point: sweep-point index (0 for a single scenario).
        run: run index within the point.

    Returns:
        A typed PRNG key, scalar.
    """
    key = jax.random.fold_in(root_key(seed), jnp.asarray(point, dtype=jnp.uint32))
    return jax.random.fold_in(key, jnp.asarray(run, dtype=jnp.uint32))


def stream(key: jax.Array, number: int) -> jax.Array:
    """Named sub-stream ``number`` of a run key (see the STREAM_* constants)."""
    return jax.random.fold_in(key, number)


def month_key(steps_key: jax.Array, month: jax.Array | int) -> jax.Array:
    """Key of one month's draws, from the run's step stream and the month index."""
    return jax.random.fold_in(steps_key, jnp.asarray(month, dtype=jnp.uint32))
