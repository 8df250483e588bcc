"""Fusion boundaries for the CPU compiler: values unchanged, only where they are computed.

XLA fuses cheap element-wise producers into each consumer and recomputes them there. A
run's scalar that comes out of a chain (the policy in force, gathered over the factions'
levers) and is broadcast over a ``[R]`` region array is recomputed in every fusion that
reads it, and a per-region intermediate read by many later fusions (the month's harvest,
read by the quota, the stock, the ledger and the sums of each) is recomputed in each:
the Soviet peasant month grew several times slower this way as its chain of sums grew.
``lax.optimization_barrier`` does not help on the CPU (it is expanded before fusion).

:func:`materialise` passes values through a ``while`` loop of one trip (a float counter,
the same in every run, so under ``vmap`` there is no per-run predicate to reduce over the
batch or the devices). Whether the compiler keeps such a loop depends on the program:
XLA may work out the single trip and inline it (it does in small programs, and one
Soviet month of 4 runs compiled alone has 3 loops in all), but in the model's chunk
program it keeps them (18 loops in twelve scanned months of 1,024 runs, against 6
without), and there the Soviet month is about 2.5 times faster (benchmarks/README.md).
It is a measured speed-up, not a guarantee; where a loop is inlined the values are
fused as before. The cost is one pass over the values and a loop of one trip. What moves
is where values are computed, not how: introducing it changed some results in their
last bits (the fused arithmetic differs, relative 2e-5 at most), and results stay
bit-identical over chunk sizes and devices (tests).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import jax
import jax.numpy as jnp

T = TypeVar("T")

#: A trip count :func:`materialise`'s loop never reaches (it runs once).
_NEVER = 1e30


def _fields(x: Any) -> tuple[list[str], tuple[Any, ...]] | None:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        names = [f.name for f in dataclasses.fields(x)]
        return names, tuple(getattr(x, n) for n in names)
    return None


def materialise(x: T) -> T:
    """``x`` (an array, a tuple of arrays, or a frozen dataclass of arrays), materialised.

    Args:
        x: the values; a dataclass that is not a registered pytree has its fields passed
            one by one.

    Returns:
        the same values, of the same type, computed once before anything that reads them.
    """
    split = _fields(x)
    values: Any = split[1] if split is not None else x

    def cond(c: tuple[jax.Array, Any]) -> jax.Array:
        return c[0] < 0.5

    def body(c: tuple[jax.Array, Any]) -> tuple[jax.Array, Any]:
        i = c[0]
        # Reads the values through the counter so that the loop cannot be hoisted away.
        live = jax.tree.map(lambda v: jnp.where(i > _NEVER, jnp.zeros_like(v), v), values)
        return i + 1.0, live

    init = (jnp.float32(0.0), jax.tree.map(jnp.zeros_like, values))
    _, out = jax.lax.while_loop(cond, body, init)
    if split is not None:
        return dataclasses.replace(x, **dict(zip(split[0], out, strict=True)))  # type: ignore[type-var]
    result: Any = out
    return result
