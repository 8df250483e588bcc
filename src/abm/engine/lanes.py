"""Run lanes and run groups: how a chunk's runs are laid out (no JAX here).

Chunks hold a multiple of :data:`RUN_LANES` runs per device. XLA flattens elementwise
loops and may compute the SIMD body and the scalar tail of a loop with different
floating-point contractions; with whole 16-run lanes (the widest SIMD unit on these
machines holds 16 float32) every run goes through the same code whatever the chunk
size, which keeps results bit-identical across chunk sizes and devices.

A chunk spread over ``D`` devices holds ``D`` contiguous groups of runs, one per
device. A model that gathers a few runs of its batch to work on them alone (the Germany
slice's vote count in months when only some runs vote) gathers within each group
(:func:`run_groups`), so the gathered work stays on the device that holds the runs and
is split between the devices instead of repeated on each. The runner says how many
groups its chunk program has while it traces it (:func:`grouped_over`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

#: Runs per lane; chunks hold whole lanes per device.
RUN_LANES = 16

_GROUPS: contextvars.ContextVar[int] = contextvars.ContextVar("abm_run_groups", default=1)


@contextmanager
def grouped_over(n_groups: int) -> Iterator[None]:
    """While tracing a chunk spread over ``n_groups`` devices: its batches are grouped."""
    if n_groups < 1:
        raise ValueError(f"n_groups must be >= 1, got {n_groups}")
    token = _GROUPS.set(int(n_groups))
    try:
        yield
    finally:
        _GROUPS.reset(token)


def run_groups(n_runs: int) -> int:
    """Contiguous groups of a batch of ``n_runs`` runs, one per device (static).

    The number of devices the chunk being traced is spread over, where every group
    holds whole lanes; otherwise (a batch of another size, or outside a runner) 1.
    """
    g = _GROUPS.get()
    return g if g > 1 and n_runs % (g * RUN_LANES) == 0 else 1


__all__ = ["RUN_LANES", "grouped_over", "run_groups"]
