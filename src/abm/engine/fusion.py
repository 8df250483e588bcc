"""Fusion boundaries for the CPU compiler: values unchanged, only where they are computed.

XLA fuses cheap element-wise producers into each consumer and recomputes them there. A
run's scalar that comes out of a chain (the policy in force, gathered over the factions'
levers) and is broadcast over a ``[R]`` region array is recomputed in every fusion that
reads it, and a per-region intermediate read by many later fusions (the month's harvest,
read by the quota, the stock, the ledger and the sums of each) is recomputed in each:
the Soviet peasant month grew several times slower this way as its chain of sums grew.
``lax.optimization_barrier`` does not help on the CPU (it is expanded before fusion).

:func:`materialise` passes values through a ``while`` loop of one trip whose trip count
the compiler cannot know (it starts from :func:`opaque_zero`): the values are written to
memory once and read from there. The cost is one pass over the values and a loop of one
trip. The numbers are the same bits either way: nothing is recomputed differently, only
once.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import jax
import jax.numpy as jnp

T = TypeVar("T")

#: Trip counter bound of :func:`materialise` that is never reached (the loop runs once).
_NEVER = 1 << 30


def opaque_zero(month: jax.Array) -> jax.Array:
    """An int32 zero the compiler cannot prove to be zero.

    Args:
        month: a non-negative int32 that comes from the scan's carried state (the month
            counter), not from a constant.

    Returns:
        ``min(month, 0)``: 0 at run time.
    """
    return jnp.minimum(month.astype(jnp.int32), 0)


def _fields(x: Any) -> tuple[list[str], tuple[Any, ...]] | None:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        names = [f.name for f in dataclasses.fields(x)]
        return names, tuple(getattr(x, n) for n in names)
    return None


def materialise(x: T, zero: jax.Array) -> T:
    """``x`` (an array, a tuple of arrays, or a frozen dataclass of arrays), materialised.

    Args:
        x: the values; a dataclass that is not a registered pytree has its fields passed
            one by one.
        zero: :func:`opaque_zero` (int32 scalar, 0 at run time).

    Returns:
        the same values, of the same type, computed once before anything that reads them.
    """
    split = _fields(x)
    values: Any = split[1] if split is not None else x

    def cond(c: tuple[jax.Array, Any]) -> jax.Array:
        return c[0] < 1

    def body(c: tuple[jax.Array, Any]) -> tuple[jax.Array, Any]:
        i = c[0]
        # Reads the values through the counter so that the loop cannot be hoisted away.
        live = jax.tree.map(lambda v: jnp.where(i > _NEVER, jnp.zeros_like(v), v), values)
        return i + 1, live

    init = (zero, jax.tree.map(jnp.zeros_like, values))
    _, out = jax.lax.while_loop(cond, body, init)
    if split is not None:
        return dataclasses.replace(x, **dict(zip(split[0], out, strict=True)))  # type: ignore[type-var]
    result: Any = out
    return result
