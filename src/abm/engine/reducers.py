"""Streaming, exact reductions of per-run outcomes into per-point tallies, on the device.

Every tally is an integer array updated by scatter-add, so the result is independent of
the order in which runs arrive, of the chunk size and of the number of devices. A chunk's
tallies are int32 on the device and are added into int64 accumulators on the host. The
tallies' layout and the host side (:class:`~abm.tallies.Accumulator`, sums, quantiles)
live in :mod:`abm.tallies`, the outcome specs in :mod:`abm.outcomes` (both without JAX);
they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.outcomes import CategoryOutcome, EventOutcome, OutcomeSpec, QuantityOutcome
from abm.tallies import (
    MAX_CHUNK,
    Accumulator,
    add_local,
    quantiles_from_hist,
    quantity_sum,
    tally_shapes,
)
from abm.tallies import empty_tallies as _host_tallies

__all__ = [
    "MAX_CHUNK",
    "Accumulator",
    "CategoryOutcome",
    "EventOutcome",
    "OutcomeSpec",
    "QuantityOutcome",
    "add_into",
    "add_local",
    "empty_tallies",
    "quantiles_from_hist",
    "quantity_sum",
    "reduce_chunk",
]


def empty_tallies(
    specs: Sequence[OutcomeSpec], n_points: int, n_months: int, xp: object = jnp
) -> dict[str, Any]:
    """Zero tallies for ``n_points`` points: int32 on the device, or int64 with ``xp=np``."""
    if xp is np:
        return _host_tallies(specs, n_points, n_months)
    return {
        k: jnp.zeros((n_points, *shape), jnp.int32)
        for k, shape in tally_shapes(specs, n_months).items()
    }


def reduce_chunk(
    specs: tuple[OutcomeSpec, ...],
    outcomes: Mapping[str, jax.Array],
    point: jax.Array,
    valid: jax.Array,
    n_points: int,
    n_months: int,
) -> dict[str, jax.Array]:
    """Tally a chunk of per-run outcomes by sweep point, on the device.

    Args:
        specs: the model's outcome specs.
        outcomes: per-run values, leading axis ``[chunk]``; quantity ``Q`` under ``Q`` and
            its mask under ``Q/mask``.
        point: int32 ``[chunk]``, the point slot of each run, in ``[0, n_points)`` (the
            runner passes a run's point minus the chunk's first point).
        valid: bool ``[chunk]``, False for padding runs (their ``point`` must still be a
            valid slot; they count nowhere).
        n_points: number of point slots (static).
        n_months: number of simulated months (static).

    Returns:
        int32 tallies, as :func:`empty_tallies`.
    """
    w = valid.astype(jnp.int32)
    t = empty_tallies(specs, n_points, n_months)
    t["n_runs"] = t["n_runs"].at[point].add(w)
    for s in specs:
        if isinstance(s, EventOutcome):
            month = outcomes[s.name]
            idx = jnp.where(month < 0, n_months, jnp.clip(month, 0, n_months - 1))
            key = f"{s.name}/month_hist"
            t[key] = t[key].at[point, idx].add(w)
        elif isinstance(s, CategoryOutcome):
            key = f"{s.name}/counts"
            t[key] = t[key].at[point, outcomes[s.name]].add(w)
        else:
            _tally_quantity(s, outcomes, point, w, t)
    return t


def _tally_quantity(
    s: QuantityOutcome,
    outcomes: Mapping[str, jax.Array],
    point: jax.Array,
    w: jax.Array,
    t: dict[str, jax.Array],
) -> None:
    value = outcomes[s.name].astype(jnp.float32)  # [chunk, *shape]
    extra = (1,) * len(s.shape)
    weight = jnp.broadcast_to(w.reshape(-1, *extra), value.shape)
    if s.masked:
        weight = weight * outcomes[f"{s.name}/mask"].astype(jnp.int32)
    value = jnp.where(jnp.isfinite(value), value, 0.0)
    q = jnp.clip(jnp.round(value * s.scale), -(2.0**31 - 2**8), 2.0**31 - 2**8).astype(jnp.int32)
    hi = jnp.right_shift(q, 16)
    lo = jnp.bitwise_and(q, 0xFFFF)
    edges = jnp.asarray(s.edges, jnp.float32)
    b = jnp.clip(jnp.searchsorted(edges, value, side="right") - 1, 0, s.n_bins - 1)
    n_dims = len(s.shape)
    grids = jnp.meshgrid(*[jnp.arange(n) for n in s.shape], indexing="ij")
    pidx = jnp.broadcast_to(point.reshape(-1, *extra), value.shape)
    gidx = tuple(jnp.broadcast_to(g, value.shape) for g in grids)
    t[f"{s.name}/n"] = t[f"{s.name}/n"].at[(pidx, *gidx)].add(weight)
    t[f"{s.name}/sum_hi"] = t[f"{s.name}/sum_hi"].at[(pidx, *gidx)].add(hi * weight)
    t[f"{s.name}/sum_lo"] = t[f"{s.name}/sum_lo"].at[(pidx, *gidx)].add(lo * weight)
    t[f"{s.name}/hist"] = t[f"{s.name}/hist"].at[(pidx, *gidx, b)].add(weight)
    del n_dims


def add_into(total: dict[str, np.ndarray], chunk: Mapping[str, jax.Array]) -> None:
    """Add a chunk's int32 tallies into int64 host accumulators, in place."""
    add_local(total, jax.device_get(dict(chunk)), 0)
