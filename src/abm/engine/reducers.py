"""Streaming, exact reductions of per-run outcomes into per-point tallies.

Every tally is an integer array updated by scatter-add, so the result is independent of
the order in which runs arrive, of the chunk size and of the number of devices. A chunk's
tallies are int32 on the device and are added into int64 accumulators on the host.

Outcome kinds (``ARCHITECTURE.md``):

* :class:`EventOutcome`: per run, the month index of the event's first occurrence, or
  -1. Tally: a histogram over months, with a last bin for "never".
* :class:`CategoryOutcome`: per run, a category code. Tally: counts per category.
* :class:`QuantityOutcome`: per run, a float array over the outcome's own dimensions,
  with an optional validity mask (for example an election that was not held). Tallies:
  the number of valid runs, an exact fixed-point sum (value times ``scale``, rounded,
  split into 16-bit halves so that int32 never overflows for chunks up to
  :data:`MAX_CHUNK` runs), and a histogram over fixed bin edges for the quantiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

#: Largest number of runs reduced in one device chunk (keeps int32 tallies exact).
MAX_CHUNK = 32768


@dataclass(frozen=True)
class EventOutcome:
    """An event: did it happen, and in which month first.

    Attributes:
        name: catalogue name.
        description: one line for attrs and tables.
    """

    name: str
    description: str


@dataclass(frozen=True)
class CategoryOutcome:
    """One of a fixed set of categories.

    Attributes:
        name: catalogue name.
        categories: category labels, indexed by code.
        description: one line for attrs and tables.
    """

    name: str
    categories: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class QuantityOutcome:
    """A number per run over the outcome's own dimensions.

    Attributes:
        name: catalogue name.
        dims: names of the outcome's own dimensions, in array order.
        coords: labels of each dimension, one tuple per entry of ``dims``.
        unit: physical unit of the values.
        edges: float histogram bin edges (values outside fall in the end bins).
        scale: fixed-point scale; the sum is exact to ``1/scale`` units per run.
        masked: whether the per-run value comes with a validity mask.
        description: one line for attrs and tables.
    """

    name: str
    dims: tuple[str, ...]
    coords: tuple[tuple[str, ...], ...]
    unit: str
    edges: tuple[float, ...]
    scale: float
    description: str
    masked: bool = False
    shape: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(len(c) for c in self.coords))
        if len(self.dims) != len(self.coords):
            raise ValueError(f"{self.name}: dims and coords differ in length")
        if len(self.edges) < 2 or any(np.diff(self.edges) <= 0):
            raise ValueError(f"{self.name}: edges must be increasing, at least two")

    @property
    def n_bins(self) -> int:
        """Number of histogram bins."""
        return len(self.edges) - 1


OutcomeSpec = EventOutcome | CategoryOutcome | QuantityOutcome


def empty_tallies(
    specs: tuple[OutcomeSpec, ...], n_points: int, n_months: int, xp: object = jnp
) -> dict[str, Any]:
    """Zero tallies for ``n_points`` points (int32 on device, or int64 with numpy)."""
    mod = np if xp is np else jnp
    dtype = np.int64 if xp is np else jnp.int32
    out: dict[str, Any] = {"n_runs": mod.zeros((n_points,), dtype)}
    for s in specs:
        if isinstance(s, EventOutcome):
            out[f"{s.name}/month_hist"] = mod.zeros((n_points, n_months + 1), dtype)
        elif isinstance(s, CategoryOutcome):
            out[f"{s.name}/counts"] = mod.zeros((n_points, len(s.categories)), dtype)
        else:
            out[f"{s.name}/n"] = mod.zeros((n_points, *s.shape), dtype)
            out[f"{s.name}/sum_hi"] = mod.zeros((n_points, *s.shape), dtype)
            out[f"{s.name}/sum_lo"] = mod.zeros((n_points, *s.shape), dtype)
            out[f"{s.name}/hist"] = mod.zeros((n_points, *s.shape, s.n_bins), dtype)
    return out


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
        point: int32 ``[chunk]``, the sweep point of each run.
        valid: bool ``[chunk]``, False for padding runs.
        n_points: number of sweep points (static).
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
    host = jax.device_get(dict(chunk))
    for k, v in host.items():
        total[k] += np.asarray(v, dtype=np.int64)


def quantity_sum(total: Mapping[str, np.ndarray], name: str, scale: float) -> np.ndarray:
    """Exact sum of a quantity's values (in its unit), from the fixed-point halves."""
    fixed = total[f"{name}/sum_hi"].astype(np.int64) * 65536 + total[f"{name}/sum_lo"]
    return fixed.astype(np.float64) / scale


def quantiles_from_hist(hist: np.ndarray, edges: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Quantiles from histograms by linear interpolation inside the bin.

    Args:
        hist: int ``[..., n_bins]`` counts.
        edges: float ``[n_bins + 1]`` bin edges.
        qs: float ``[n_q]`` probabilities in [0, 1].

    Returns:
        float64 ``[..., n_q]``; NaN where the histogram is empty.
    """
    cum = np.cumsum(hist, axis=-1).astype(np.float64)
    n = cum[..., -1:]
    out = np.full((*hist.shape[:-1], len(qs)), np.nan)
    flat_cum = cum.reshape(-1, cum.shape[-1])
    flat_out = out.reshape(-1, len(qs))
    flat_n = n.reshape(-1)
    for i in range(flat_cum.shape[0]):  # cube cells, not runs: small
        if flat_n[i] <= 0:
            continue
        target = qs * flat_n[i]
        j = np.searchsorted(flat_cum[i], target, side="left")
        j = np.clip(j, 0, len(edges) - 2)
        prev = np.where(j > 0, flat_cum[i][j - 1], 0.0)
        in_bin = flat_cum[i][j] - prev
        frac = np.where(in_bin > 0, (target - prev) / np.maximum(in_bin, 1), 0.5)
        flat_out[i] = edges[j] + np.clip(frac, 0, 1) * (edges[j + 1] - edges[j])
    return out
