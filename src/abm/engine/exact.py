"""Reductions whose result does not depend on how many runs share a batch.

XLA may vectorise a reduction differently for different batch shapes, which changes
the order of floating-point additions and so the last bits of a sum. A run's result
must not depend on its batch (chunk-size invariance), so sums inside a run use a fixed
pairwise tree of elementwise additions, which XLA does not reorder. The tree pads the
summed axis with zeros to a power of two once, then halves it; on this CPU that is also
several times faster than XLA's own reduction over a middle axis under ``vmap``.

The same holds for exponentials and logarithms: XLA's own compute them by one routine in
a vectorised loop and another in a loop's scalar remainder, and which elements fall in
which depends on how the compiler fuses and tiles the program (and so on the batch).
:func:`exp`, :func:`log` and :func:`sigmoid` use only IEEE arithmetic (additions,
multiplications, one division, bit manipulations), which every code path computes the
same way, at about float32's accuracy (a few units in the last place).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

#: Cody and Waite's split of ln 2: the high part has 16 significant bits, so ``n * hi``
#: is exact for the exponents float32 reaches.
_LN2_HI = np.float32(0.693145751953125)
_LN2_LO = np.float32(1.428606765330187e-06)
_LOG2E = np.float32(1.4426950408889634)
#: Taylor coefficients of e^r, 1/k! for k = 7 .. 0 (|r| <= ln 2 / 2: error below 6e-9).
_EXP_COEF = tuple(np.float32(1.0 / float(np.prod(np.arange(1, k + 1)))) for k in range(7, -1, -1))
_SQRT2 = np.float32(1.4142135623730951)


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


def exp(x: jax.Array) -> jax.Array:
    """``e^x`` in IEEE arithmetic alone (the same bits on every code path).

    ``x`` is clipped to ``[-87.3, 88.0]`` (float32's normal range: below it the result is
    ``e^-87.3``, about 1.2e-38, not 0). ``e^x = 2^n e^r`` with ``n`` the nearest integer
    to ``x / ln 2`` and ``r = x - n ln 2`` (Cody and Waite's two-part ``ln 2``), ``e^r``
    by its Taylor polynomial of degree 7, ``2^n`` written into the exponent's bits.

    Args:
        x: float32 array.

    Returns:
        float32 array of ``x``'s shape.
    """
    x = jnp.clip(jnp.asarray(x, jnp.float32), np.float32(-87.3), np.float32(88.0))
    n = jnp.floor(x * _LOG2E + np.float32(0.5))
    r = (x - n * _LN2_HI) - n * _LN2_LO
    poly = jnp.full_like(r, _EXP_COEF[0])
    for c in _EXP_COEF[1:]:
        poly = poly * r + c
    scale = jax.lax.bitcast_convert_type((n.astype(jnp.int32) + 127) << 23, jnp.float32)
    return poly * scale


def log(x: jax.Array) -> jax.Array:
    """Natural logarithm in IEEE arithmetic alone (the same bits on every code path).

    ``x = 2^e m`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` (from the float's bits), ``ln m =
    2 atanh(s)``, ``s = (m - 1) / (m + 1)``, by its series to ``s^9`` (``|s| <= 0.172``:
    error below 1e-9), plus ``e ln 2``. ``x`` at or below 1.2e-38 (float32's smallest
    normal) is taken as that.

    Args:
        x: float32 array (positive).

    Returns:
        float32 array of ``x``'s shape.
    """
    x = jnp.maximum(jnp.asarray(x, jnp.float32), np.float32(1.1754944e-38))
    bits = jax.lax.bitcast_convert_type(x, jnp.int32)
    e = ((bits >> 23) & 0xFF) - 127
    m = jax.lax.bitcast_convert_type((bits & 0x007FFFFF) | 0x3F800000, jnp.float32)
    big = m > _SQRT2
    m = jnp.where(big, m * np.float32(0.5), m)
    e = jnp.where(big, e + 1, e).astype(jnp.float32)
    s = (m - np.float32(1.0)) / (m + np.float32(1.0))
    z = s * s
    poly: jax.Array = jnp.full_like(z, np.float32(2.0 / 9.0))
    for k in (7, 5, 3):
        poly = poly * z + np.float32(2.0 / k)
    poly = (poly * z + np.float32(2.0)) * s
    return e * _LN2_HI + (e * _LN2_LO + poly)


def sigmoid(x: jax.Array) -> jax.Array:
    """``1 / (1 + e^-x)`` with :func:`exp` (the same bits on every code path)."""
    return np.float32(1.0) / (np.float32(1.0) + exp(-jnp.asarray(x, jnp.float32)))


def fixed_cumsum(x: jax.Array) -> jax.Array:
    """Cumulative sum over the last (short) axis, each prefix by :func:`fixed_sum`.

    ``out[..., k] = sum_{j <= k} x[..., j]`` through a lower-triangular mask, so the bits
    do not depend on the batch (XLA's own ``cumsum`` may scan differently by shape).
    Costs ``n^2`` additions: meant for a handful of competing options.
    """
    n = x.shape[-1]
    mask = jnp.tril(jnp.ones((n, n), x.dtype))  # [k, j]: j <= k
    mask = mask.reshape((1,) * (x.ndim - 1) + (n, n))  # explicit ranks (no promotion)
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


__all__ = ["exp", "fixed_cumsum", "fixed_softmax", "fixed_sum", "log", "sigmoid"]
