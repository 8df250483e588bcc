"""Reductions whose result does not depend on how many runs share a batch.

XLA may vectorise a reduction differently for different batch shapes, which changes
the order of floating-point additions and so the last bits of a sum. A run's result
must not depend on its batch (chunk-size invariance), so sums inside a run use a fixed
pairwise tree of elementwise additions, which XLA does not reorder. The tree pads the
summed axis with zeros to a power of two once, then halves it; on this CPU that is also
several times faster than XLA's own reduction over a middle axis under ``vmap``.
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
    axis = axis % x.ndim
    n = x.shape[axis]
    if n == 0:
        return jnp.zeros(x.shape[:axis] + x.shape[axis + 1 :], x.dtype)
    width = 1 << (n - 1).bit_length()
    if width != n:
        # The first level of the tree over ``x`` padded with zeros to ``width``, without
        # writing the padded copy: ``x[i] + x[i + half]`` where both exist, ``x[i]`` alone
        # (as ``x[i] + 0``) where the partner is padding.
        width //= 2
        paired = jax.lax.slice_in_dim(x, 0, n - width, axis=axis) + jax.lax.slice_in_dim(
            x, width, n, axis=axis
        )
        x = jnp.concatenate([paired, jax.lax.slice_in_dim(x, n - width, width, axis=axis)], axis)
    while width > 1:
        width //= 2
        x = jax.lax.slice_in_dim(x, 0, width, axis=axis) + jax.lax.slice_in_dim(
            x, width, 2 * width, axis=axis
        )
    # The barrier keeps the simplifier from folding the sum's tail into its readers (a
    # whole model month 10-25 % faster, abm.engine.fusion).
    return jax.lax.optimization_barrier(jnp.squeeze(x, axis))


def fixed_cumsum(x: jax.Array) -> jax.Array:
    """Cumulative sum over the last (short) axis, each prefix by :func:`fixed_sum`.

    ``out[..., k] = sum_{j <= k} x[..., j]`` through a lower-triangular mask, so the bits
    do not depend on the batch (XLA's own ``cumsum`` may scan differently by shape).
    Costs ``n^2`` additions: meant for a handful of competing options.
    """
    n = x.shape[-1]
    mask = jnp.tril(jnp.ones((n, n), x.dtype))  # [k, j]: j <= k
    return fixed_sum(mask * jnp.expand_dims(x, -2), axis=-1)


def fixed_softmax(logits: jax.Array) -> jax.Array:
    """Softmax over the last axis with :func:`fixed_sum` normalisation.

    The logits are shifted by their maximum over *all* axes (one constant, so each row's
    softmax is unchanged) rather than row by row: cheaper, and safe while a row's logits
    lie within about 80 of the overall maximum, which the parameter ranges guarantee.
    """
    m = jax.lax.stop_gradient(jnp.max(logits))
    e = jnp.exp(logits - m)
    return e / jnp.expand_dims(fixed_sum(e, axis=-1), -1)
