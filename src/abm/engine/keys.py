"""Random keys: one key per (seed, point, run), independent of batching.

``run_key = fold_in(fold_in(key(seed), point), run)``. Inside a run the key is split
into named streams by ``fold_in`` with fixed stream numbers, and each month of the
simulation folds the month index into the step stream, so any single run, and any
single month of it, can be replayed from ``(seed, point, run)`` alone.
"""

from __future__ import annotations

import zlib

import jax
import jax.numpy as jnp

#: Stream numbers folded into a run key; fixed forever (changing one changes results).
STREAM_PRIORS = 0
STREAM_INIT = 1
STREAM_STEPS = 2
#: Picks the run's row of a posterior sample (:mod:`abm.posterior`), when there is one.
STREAM_POSTERIOR = 3


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


#: Streams of the slices that predate the slice contract, pinned so that their results
#: stay bit-identical: ``(init stream, month stream)``. A month stream of None hands the
#: slice the run's month key itself (the Germany slice folds 0 and 1 into it for its
#: regular and election draws, which is why 0 and 1 are reserved below).
PINNED_SLICE_STREAMS: dict[str, tuple[int, int | None]] = {"germany": (0, None), "soviet": (1, 2)}
#: Stream numbers taken by the pinned slices (init or month, or folded inside).
RESERVED_SLICE_STREAMS = frozenset({0, 1, 2})


def slice_streams(name: str) -> tuple[int, int | None]:
    """``(init stream, month stream)`` of a slice, derived from its name (the one place).

    A slice's init key is ``fold_in(init_key, init)`` and its month key
    ``fold_in(month_key, month)``. New slices get ``crc32("abm.slice." + name)`` (31
    bits) for both, so a slice's draws never depend on which other slices are composed
    with it; the composition refuses two slices with the same number.
    """
    if name in PINNED_SLICE_STREAMS:
        return PINNED_SLICE_STREAMS[name]
    number = zlib.crc32(f"abm.slice.{name}".encode()) & 0x7FFFFFFF
    if number in RESERVED_SLICE_STREAMS:
        number |= 0x40000000
    return number, number


def slice_init_key(init_key: jax.Array, name: str) -> jax.Array:
    """The init key of slice ``name`` from the run's init stream."""
    return jax.random.fold_in(init_key, slice_streams(name)[0])


def slice_month_key(month: jax.Array, name: str) -> jax.Array:
    """The month key of slice ``name`` from the run's month key."""
    number = slice_streams(name)[1]
    return month if number is None else jax.random.fold_in(month, number)
