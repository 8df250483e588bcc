"""Per process: each sweep's model, runner and pinned prior table, built once.

A Dask worker or a Prefect thread runs many batches of one sweep; :func:`compiled` keeps
what they share (the model, its :class:`~abm.engine.runner.Runner` and the stacked prior
table ``[n_points, n_params]``) keyed by the sweep's config hash and chunk size, so the
sweep's program is traced and compiled once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.engine.priors import PriorTable
from abm.engine.runner import Runner
from abm.sweep.spec import Sweep
from abm.sweep.tables import pin


@dataclass
class Compiled:
    """A sweep's model, runner, pinned table and points (see the module docstring).

    Attributes:
        model: the scenario's model (``scenario.model()``).
        runner: its runner, with the sweep's chunk size.
        table: the prior table with every point's parameters pinned ``[n_points, n_params]``.
        pts: the design's points, float64 ``[n_points, n_dims]``.
    """

    model: Any
    runner: Runner
    table: PriorTable
    pts: np.ndarray


#: The sweeps compiled in this process (at most 4, the oldest dropped first).
_COMPILED: dict[tuple[str, int], Compiled] = {}
_COMPILED_LOCK = threading.Lock()


def compiled(sweep: Sweep) -> Compiled:
    """The sweep's :class:`Compiled`, built on first use in this process."""
    key = (sweep.config_hash(), sweep.chunk_size)
    with _COMPILED_LOCK:
        got = _COMPILED.get(key)
        if got is None:
            model = sweep.scenario.model()
            pts = sweep.points()
            got = Compiled(
                model=model,
                runner=Runner(
                    model,
                    chunk_size=sweep.chunk_size,
                    posterior=sweep.scenario.posterior_values(),
                ),
                table=pin(sweep.scenario.prior_table(), sweep.vary, pts),
                pts=pts,
            )
            if len(_COMPILED) >= 4:
                _COMPILED.pop(next(iter(_COMPILED)))
            _COMPILED[key] = got
        return got


__all__ = ["Compiled", "compiled"]
