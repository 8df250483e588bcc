"""The memory a batch of sweep points needs, against the sweep's memory budget.

A batch's tallies live on the device (int32) while it runs, come back to the host
(int64) and are turned into the batch's cube (float64 summaries beside the counts)
before its region is written: about :data:`BATCH_COPIES` host-sized copies of one
point's tallies per point in the batch. The whole sweep's cube is never held: its
template is written lazily and each batch writes only its region.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.engine.reducers import empty_tallies

#: Host-sized copies of a point's tallies alive per point while a batch is built.
BATCH_COPIES = 2.5
#: Default memory budget of one batch, MiB.
DEFAULT_MEMORY_BUDGET_MB = 4096
MIB = 2**20


def point_bytes(model: Any) -> int:
    """Bytes of one point's tallies on the host (int64), for ``model``'s outcomes."""
    tallies = empty_tallies(model.outcome_specs, 1, model.n_months, np)
    return int(sum(np.asarray(t).nbytes for t in tallies.values()))


def batch_bytes(model: Any, batch_points: int) -> int:
    """Estimated peak bytes of a batch of ``batch_points`` points."""
    return int(BATCH_COPIES * point_bytes(model) * batch_points)


def max_batch_points(model: Any, memory_budget_mb: int) -> int:
    """The most points a batch may hold within ``memory_budget_mb`` MiB (0: not one)."""
    return int(memory_budget_mb * MIB // max(1, batch_bytes(model, 1)))


__all__ = [
    "BATCH_COPIES",
    "DEFAULT_MEMORY_BUDGET_MB",
    "batch_bytes",
    "max_batch_points",
    "point_bytes",
]
