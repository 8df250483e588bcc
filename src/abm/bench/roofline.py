"""Where abm's chunk sits on this machine's roofline.

The roofline of a machine bounds the FLOP rate of a program of arithmetic intensity
``I`` (FLOPs per byte moved to or from memory) by ``min(peak_flops, I * bandwidth)``.
Here both ceilings are measured, not taken from a data sheet: the attainable float32
FLOP rate is that of a large jitted matrix product (:func:`measure_peak_flops`), the
attainable memory bandwidth that of large array copies (:func:`measure_bandwidth`).

The FLOPs and bytes of one compiled chunk come from XLA's cost analysis
(:func:`cost_of`), which needs two corrections for a month loop:

* the body of a ``scan`` (an XLA ``while`` loop) may be counted once rather than once
  per month: :func:`toy_scan_check` and :func:`model_scan_check` find out which, by
  comparing the FLOPs of the same program with twice the trip count;
* a ``lax.switch`` (an XLA ``conditional``) is counted at its costliest branch, which
  in the interwar model (its Germany slice; the Soviet slice has none) is the election
  month's vote count that most months skip.
  :class:`MonthCosts` therefore costs one month of the chunk's batch per branch and
  counts which branch each month of the chunk takes (a census of the first chunk).

The corrected FLOPs of a chunk are then
``F - m * B_switch + sum_k n_k * B_k``: ``F`` the chunk as XLA costs it, ``B_switch``
the month body as it costs it (switch at its costliest branch), ``m`` the times ``F``
counts that body (1, or ``n_months`` where the trip count is applied), ``n_k`` the months
that take branch ``k`` and ``B_k`` the month body with branch ``k`` taken. Bytes alike.

The pieces live in their own modules and are re-exported here: the ceilings in
:mod:`abm.bench.ceilings`, cost extraction in :mod:`abm.bench.xla_cost`, the trip-count
checks in :mod:`abm.bench.scan_check` and the per-branch month costs in
:mod:`abm.bench.month_costs`; this module holds the roofline arithmetic, the corrected
chunk cost and the summary of a chunk's place on the roofline.
"""

from __future__ import annotations

from typing import Any

from abm.bench.ceilings import measure_bandwidth, measure_peak_flops
from abm.bench.month_costs import MonthCosts, SwitchRecorder
from abm.bench.scan_check import TRIP_RATIO_THRESHOLD, model_scan_check, toy_scan_check
from abm.bench.xla_cost import COST_KEYS, chunk_args, cost_of

__all__ = [
    "COST_KEYS",
    "TRIP_RATIO_THRESHOLD",
    "MonthCosts",
    "SwitchRecorder",
    "bound_kind",
    "chunk_args",
    "corrected_chunk_cost",
    "cost_of",
    "measure_bandwidth",
    "measure_peak_flops",
    "model_scan_check",
    "ridge_intensity",
    "roofline_bound",
    "roofline_fraction",
    "summarise",
    "toy_scan_check",
]


def roofline_bound(peak_flop_s: float, bandwidth_bytes_s: float, intensity: float) -> float:
    """Attainable FLOP rate of a program of arithmetic intensity ``intensity``.

    Args:
        peak_flop_s: attainable compute rate, FLOP/s.
        bandwidth_bytes_s: attainable memory bandwidth, bytes/s.
        intensity: FLOPs per byte accessed.

    Returns:
        ``min(peak_flop_s, intensity * bandwidth_bytes_s)`` in FLOP/s.
    """
    return min(peak_flop_s, intensity * bandwidth_bytes_s)


def roofline_fraction(
    achieved_flop_s: float, peak_flop_s: float, bandwidth_bytes_s: float, intensity: float
) -> float:
    """Achieved FLOP rate as a fraction of the roofline bound at its intensity."""
    return achieved_flop_s / roofline_bound(peak_flop_s, bandwidth_bytes_s, intensity)


def ridge_intensity(peak_flop_s: float, bandwidth_bytes_s: float) -> float:
    """Intensity (FLOP/byte) where the memory roof meets the compute roof."""
    return peak_flop_s / bandwidth_bytes_s


def bound_kind(peak_flop_s: float, bandwidth_bytes_s: float, intensity: float) -> str:
    """``"memory"`` left of the ridge point, ``"compute"`` right of it."""
    return "memory" if intensity < ridge_intensity(peak_flop_s, bandwidth_bytes_s) else "compute"


def corrected_chunk_cost(
    chunk: dict[str, float], months: dict[str, Any], n_months: int, multiplied: bool
) -> dict[str, float]:
    """FLOPs/bytes/transcendentals of one chunk, each month counted with its branch.

    Args:
        chunk: XLA's cost of the compiled chunk (:func:`cost_of`).
        months: :meth:`MonthCosts.costs`.
        n_months: the scan's trip count.
        multiplied: whether XLA's cost already multiplies the scan body by the trip count.

    Returns:
        Corrected ``flops``, ``bytes`` and ``transcendentals``.
    """
    m = n_months if multiplied else 1
    switch = months["switch_month"]
    census = months.get("census")
    out = {}
    for key in chunk:
        total = chunk[key] - m * switch[key]
        if census:
            costs = months["branch_costs"]
            total += sum(n * costs[k][key] for k, n in census.items() if n > 0)
        else:
            total += n_months * switch[key]
        out[key] = total
    return out


def summarise(
    chunk_cost: dict[str, float],
    chunk_s: float,
    peak_flop_s: float,
    bandwidth_bytes_s: float,
) -> dict[str, float | str]:
    """Achieved rates of one chunk and its place on the roofline.

    Args:
        chunk_cost: corrected cost of one chunk (:func:`corrected_chunk_cost`).
        chunk_s: steady seconds of that chunk.
        peak_flop_s: attainable FLOP/s.
        bandwidth_bytes_s: attainable bytes/s.

    Returns:
        ``achieved_flop_s``, ``achieved_bytes_s``, ``intensity`` (FLOP/byte),
        ``ridge_intensity``, ``bound_flop_s``, ``bound`` (memory or compute),
        ``roofline_fraction``, ``fraction_of_peak_flops``, ``fraction_of_bandwidth``.
    """
    flops, nbytes = chunk_cost["flops"], chunk_cost["bytes"]
    intensity = flops / nbytes
    achieved = flops / chunk_s
    achieved_bw = nbytes / chunk_s
    return {
        "achieved_flop_s": achieved,
        "achieved_bytes_s": achieved_bw,
        "intensity_flop_per_byte": intensity,
        "ridge_intensity_flop_per_byte": ridge_intensity(peak_flop_s, bandwidth_bytes_s),
        "bound_flop_s": roofline_bound(peak_flop_s, bandwidth_bytes_s, intensity),
        "bound": bound_kind(peak_flop_s, bandwidth_bytes_s, intensity),
        "roofline_fraction": roofline_fraction(achieved, peak_flop_s, bandwidth_bytes_s, intensity),
        "fraction_of_peak_flops": achieved / peak_flop_s,
        "fraction_of_bandwidth": achieved_bw / bandwidth_bytes_s,
    }
