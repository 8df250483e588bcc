"""The fixed-order sum, the exact exp and log, and the fusion boundary: exact values,
whatever the shape."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.engine import exact
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


# ---------------------------------------------------------------- exp, log, sigmoid
def test_exp_log_and_sigmoid_are_accurate():
    """Against float64 NumPy over float32's working range: e^x within 2e-7 relative,
    ln x within 2e-7 relative (where |ln x| > 0.1) and 1e-7 absolute near 1."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-80.0, 80.0, 100_000).astype(np.float32)
    got = np.asarray(jax.jit(exact.exp)(x), np.float64)
    assert np.max(np.abs(got / np.exp(x.astype(np.float64)) - 1.0)) < 2e-7
    y = np.exp(rng.uniform(-80.0, 80.0, 100_000)).astype(np.float32)
    want = np.log(y.astype(np.float64))
    got = np.asarray(jax.jit(exact.log)(y), np.float64)
    far = np.abs(want) > 0.1
    assert np.max(np.abs(got - want)[far] / np.abs(want[far])) < 2e-7
    near = rng.uniform(0.5, 2.0, 100_000).astype(np.float32)
    got = np.asarray(jax.jit(exact.log)(near), np.float64)
    assert np.max(np.abs(got - np.log(near.astype(np.float64)))) < 1e-7
    s = np.asarray(jax.jit(exact.sigmoid)(x[:1000]), np.float64)
    want_s = 1.0 / (1.0 + np.exp(-x[:1000].astype(np.float64)))
    assert np.max(np.abs(s - want_s)) < 2e-7
    # The ends: clipped, finite, never zero or infinite.
    ends = np.asarray(exact.exp(jnp.asarray([-1e4, -87.3, 88.0, 1e4], jnp.float32)))
    assert np.all(np.isfinite(ends)) and np.all(ends > 0)


def test_exp_and_log_give_the_same_bits_in_any_batch():
    """XLA's own exp and log give other bits in a loop's scalar remainder (batches of 3
    against one of 1,008 elements); these do not."""
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.uniform(-20.0, 20.0, 1008).astype(np.float32))
    pos = jnp.abs(x) + 0.1
    for fn, arg in ((exact.exp, x), (exact.log, pos), (exact.sigmoid, x)):
        f = jax.jit(fn)
        whole = np.asarray(f(arg))
        threes = np.concatenate([np.asarray(f(arg[i : i + 3])) for i in range(0, 1008, 3)])
        np.testing.assert_array_equal(whole, threes)
