"""The fixed-order sum and the fusion boundary: exact values, whatever the shape."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.engine.exact import fixed_sum
from abm.engine.fusion import materialise


def _padded_tree(x: np.ndarray) -> np.ndarray:
    """The documented order: pad the last axis with zeros to a power of two, then add
    halves pairwise, in float32."""
    n = x.shape[-1]
    width = 1 << (n - 1).bit_length()
    y = np.concatenate([x, np.zeros((*x.shape[:-1], width - n), np.float32)], axis=-1)
    while y.shape[-1] > 1:
        h = y.shape[-1] // 2
        y = (y[..., :h] + y[..., h:]).astype(np.float32)
    return y[..., 0]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 31, 33, 95, 96, 128, 129])
def test_fixed_sum_is_the_padded_pairwise_tree_on_either_axis(n: int) -> None:
    rng = np.random.default_rng(n)
    # Magnitudes spread over six decades, so that another order gives other bits.
    x = (rng.standard_normal((7, n)) * 10 ** rng.uniform(-3, 3, (7, n))).astype(np.float32)
    want = _padded_tree(x)
    assert np.array_equal(np.asarray(fixed_sum(jnp.asarray(x), axis=1)), want)
    assert np.array_equal(np.asarray(fixed_sum(jnp.asarray(x.T), axis=0)), want)
    # The same bits inside a jitted, vmapped program (the model's use).
    got = jax.jit(jax.vmap(fixed_sum))(jnp.asarray(x))
    assert np.array_equal(np.asarray(got), want)


@dataclass(frozen=True)
class _Pair:
    a: jax.Array
    b: jax.Array


def test_materialise_returns_the_same_values_and_type_under_jit_and_vmap() -> None:
    x = jnp.asarray([[1.5, -2.0, np.inf], [np.nan, 0.0, 3.0]], jnp.float32)

    @jax.jit
    def f(x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        pair = _Pair(a=x, b=jnp.arange(2, dtype=jnp.int32))
        one = jax.vmap(materialise)(x)
        y, z = materialise((x * 2.0, x + 1.0))
        p = materialise(pair)
        assert isinstance(p, _Pair)
        return one, y - z, p.a + p.b[:, None].astype(jnp.float32)

    one, diff, s = f(x)
    np.testing.assert_array_equal(np.asarray(one), np.asarray(x))
    np.testing.assert_array_equal(np.asarray(diff), np.asarray(x * 2.0 - (x + 1.0)))
    np.testing.assert_array_equal(np.asarray(s), np.asarray(x) + np.arange(2)[:, None])
