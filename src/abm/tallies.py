"""Host-side integer tallies of outcomes, per sweep point, and what is derived from them.

The engine reduces each chunk of runs into int32 tallies on the device
(:mod:`abm.engine.reducers`); the host adds them into the int64 tallies of an
:class:`Accumulator`. Every tally is an integer count, so the result is independent of
the order in which runs arrive, of the chunk size and of the number of devices.

Tallies of an outcome ``E``, ``C`` or ``Q`` (``P`` points, ``T`` months):

* event ``E``: ``E/month_hist`` ``[P, T + 1]``, runs by month of first occurrence, the
  last bin for "never";
* category ``C``: ``C/counts`` ``[P, n_categories]``;
* quantity ``Q``: ``Q/n`` ``[P, *shape]`` (valid runs), ``Q/sum_hi`` and ``Q/sum_lo``
  ``[P, *shape]`` (the fixed-point sum ``value * scale``, rounded, split into 16-bit
  halves so that int32 never overflows for chunks up to :data:`MAX_CHUNK` runs), and
  ``Q/hist`` ``[P, *shape, n_bins]``;
* ``n_runs`` ``[P]``.

This module imports no JAX.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from abm.outcomes import CategoryOutcome, EventOutcome, OutcomeSpec

#: Largest number of runs reduced in one device chunk (keeps int32 tallies exact).
MAX_CHUNK = 32768


@dataclass
class Accumulator:
    """Integer tallies of every outcome, per sweep point, on the host (int64).

    Attributes:
        tallies: name -> int64 array with a leading point axis.
        n_points: number of sweep points.
        n_runs: runs per point.
        wall_s: seconds spent simulating (compile included).
        compile_s: seconds of the first chunk beyond a steady chunk, an estimate of compile.
        chunks: chunks computed.
    """

    tallies: dict[str, np.ndarray]
    n_points: int
    n_runs: int
    wall_s: float = 0.0
    compile_s: float = 0.0
    chunks: int = 0


def tally_shapes(specs: Sequence[OutcomeSpec], n_months: int) -> dict[str, tuple[int, ...]]:
    """Each tally's shape for one point (without the leading point axis), in spec order."""
    out: dict[str, tuple[int, ...]] = {"n_runs": ()}
    for s in specs:
        if isinstance(s, EventOutcome):
            out[f"{s.name}/month_hist"] = (n_months + 1,)
        elif isinstance(s, CategoryOutcome):
            out[f"{s.name}/counts"] = (len(s.categories),)
        else:
            out[f"{s.name}/n"] = s.shape
            out[f"{s.name}/sum_hi"] = s.shape
            out[f"{s.name}/sum_lo"] = s.shape
            out[f"{s.name}/hist"] = (*s.shape, s.n_bins)
    return out


def empty_tallies(
    specs: Sequence[OutcomeSpec], n_points: int, n_months: int, xp: object = np
) -> dict[str, np.ndarray]:
    """Zero int64 tallies for ``n_points`` points, on the host.

    Args:
        specs: the model's outcome specs.
        n_points: number of points (leading axis of every tally).
        n_months: number of simulated months.
        xp: ignored (numpy); for signature compatibility with
            :func:`abm.engine.reducers.empty_tallies`.
    """
    del xp
    return {
        k: np.zeros((n_points, *shape), np.int64)
        for k, shape in tally_shapes(specs, n_months).items()
    }


def add_local(total: dict[str, np.ndarray], chunk: Mapping[str, np.ndarray], first: int) -> None:
    """Add a chunk's tallies of points ``first, first + 1, ...`` into ``total``, in place.

    Args:
        total: int64 host tallies ``[n_points, ...]``.
        chunk: int32 (or int64) host tallies ``[k, ...]`` of the ``k`` points from
            ``first`` on; slots past the last point (empty) are dropped.
        first: index in ``total`` of the chunk's first point.
    """
    for key, value in chunk.items():
        dst = total[key]
        m = min(value.shape[0], dst.shape[0] - first)
        # In place, converting int32 to int64 in the ufunc's buffer: no full-size copy.
        np.add(dst[first : first + m], value[:m], out=dst[first : first + m], casting="unsafe")


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


__all__ = [
    "MAX_CHUNK",
    "Accumulator",
    "add_local",
    "empty_tallies",
    "quantiles_from_hist",
    "quantity_sum",
    "tally_shapes",
]
