"""Reductions whose result does not depend on how many runs share a batch.

XLA may vectorise a reduction differently for different batch shapes, which changes
the order of floating-point additions and so the last bits of a sum. A run's result
must not depend on its batch (chunk-size invariance), so sums inside a run use a fixed
pairwise tree of elementwise additions, which XLA does not reorder.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def fixed_sum(x: jax.Array, axis: int = 0) -> jax.Array:
    """Sum over ``axis`` by a fixed pairwise tree (same bits for any batch size).

    Args:
        x: array.
        axis: axis to sum over (static).

    Returns:
        ``x`` summed over ``axis``.
    """
    x = jnp.moveaxis(x, axis, 0)
    n = x.shape[0]
    if n == 0:
        return jnp.zeros(x.shape[1:], x.dtype)
    while n > 1:
        half = n // 2
        head = x[:half] + x[half : 2 * half]
        x = jnp.concatenate([head, x[2 * half :]], axis=0) if n % 2 else head
        n = x.shape[0]
    return x[0]


def fixed_softmax(logits: jax.Array) -> jax.Array:
    """Softmax over the last axis with :func:`fixed_sum` normalisation."""
    m = jax.lax.stop_gradient(jnp.max(logits, axis=-1, keepdims=True))
    e = jnp.exp(logits - m)
    return e / jnp.expand_dims(fixed_sum(e, axis=-1), -1)
