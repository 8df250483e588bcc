"""Runs of the full model at given parameter vectors, reduced to the targets' values.

A batch of ``N`` parameter vectors is a table of ``N`` points in which every calibrated
parameter is pinned (kind ``fixed``) and everything else is the base scenario's; each
point runs ``R`` replicates through the engine's chunk loop (:class:`Runner.stream
<abm.engine.runner.Runner>`), and each run is reduced on the device to the targets'
values (float32 ``[n_targets]``: a quantity cell in the target's unit, NaN where the
outcome's mask says the cell did not happen; an event's first month as a decimal year,
:data:`NEVER_AFTER` years past the calendar's end if it never happened). Only those
values leave the device: memory is set by the chunk.

Every run's random numbers are chosen by the caller: replicate ``r`` of vector ``i`` runs
with the engine's key ``run_key(seed, points[i, r], 0)``. The calibration numbers its
simulations (every fresh run gets a new number, a resumed calibration repeats them), and
its block sampler reruns a particle's proposal on the particle's own numbers for all
replicates but the refreshed ones (:mod:`abm.calibrate.smc`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.calibrate.targets import Target
from abm.engine.priors import PRIOR_KINDS, PriorTable, beta_columns_of
from abm.engine.runner import Progress, Runner, point_slots

#: An event that never happened counts as this many years after the calendar's end.
NEVER_AFTER = 2.0


class TargetSimulator:
    """Simulates parameter vectors and returns the targets' values per run.

    Args:
        model: the composed model (``Scenario.model()``).
        base: the base scenario's single-point :class:`PriorTable`.
        columns: int ``[d]``, the calibrated parameters' columns in the table.
        targets: the targets to extract, in order.
        chunk_size: runs per compiled chunk.
    """

    def __init__(
        self,
        model: Any,
        base: PriorTable,
        columns: Sequence[int],
        targets: Sequence[Target],
        chunk_size: int = 1024,
    ) -> None:
        self.model = model
        self.runner = Runner(model, chunk_size=chunk_size)
        self.base = jax.tree.map(np.asarray, base)
        self.columns = np.asarray(columns, np.int64)
        self.targets = tuple(targets)
        cal = model.calendar
        self.start = cal.start_year + (cal.start_month - 1) / 12.0
        self.never = self.start + cal.n_months / 12.0 + NEVER_AFTER

    @property
    def n_targets(self) -> int:
        """Targets per run."""
        return len(self.targets)

    def tables(self, theta: np.ndarray) -> PriorTable:
        """``N`` points: the base table with the calibrated columns pinned to ``theta``.

        Args:
            theta: float ``[N, d]`` parameter values.
        """
        n = theta.shape[0]
        tile = lambda x: np.repeat(np.asarray(x)[None], n, axis=0)  # noqa: E731
        t = jax.tree.map(tile, self.base)
        t.kind[:, self.columns] = PRIOR_KINDS["fixed"]
        t.a[:, self.columns] = theta.astype(np.float32)
        return t

    def _values(self, outs: dict[str, jax.Array]) -> jax.Array:
        cols = []
        for t in self.targets:
            v = outs[t.public.outcome]
            if t.public.kind == "event_date":
                month = v.astype(jnp.float32)
                x = jnp.where(v >= 0, self.start + (month + 0.5) / 12.0, self.never)
            else:
                at = (slice(None), *t.index)
                x = v[at].astype(jnp.float32) / t.public.scale
                mask = outs.get(f"{t.public.outcome}/mask")
                if mask is not None:
                    x = jnp.where(mask[at], x, jnp.nan)
            cols.append(x.astype(jnp.float32))
        return jnp.stack(cols, axis=1)

    def _fn(self, slots: int, beta_columns: tuple[int, ...]) -> Any:
        return self.runner.chunk_program(
            ("targets", slots),
            lambda outs, slot, valid: (self._values(outs), valid),
            beta_columns,
        )

    def __call__(
        self,
        theta: np.ndarray,
        points: np.ndarray,
        seed: int,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """The targets' values of the runs of each parameter vector.

        Args:
            theta: float ``[N, d]`` parameter values (inside their ranges).
            points: int ``[N, R]``, each run's simulation number (its random numbers:
                ``run_key(seed, points[i, r], 0)``), in ``[0, 2**31)``.
            seed: the simulations' seed.
            progress: called after each chunk with (runs done, runs total, seconds).

        Returns:
            float64 ``[N, R, n_targets]``.
        """
        points = np.asarray(points)
        n, replicates = int(theta.shape[0]), int(points.shape[1])
        if points.shape[0] != n:
            raise ValueError(f"points must be [{n}, R], got {points.shape}")
        total = n * replicates
        if points.size and (points.min() < 0 or points.max() >= 2**31):
            raise ValueError("simulation numbers must lie in [0, 2**31)")
        # One point per run: the vector's row repeated R times, keyed by its number.
        slots = point_slots(self.runner.chunk_size, 1, total)
        tables = self.tables(np.repeat(theta, replicates, axis=0))
        fn = self._fn(slots, beta_columns_of(tables.kind))
        rows = self.runner.rows_of(tables, slots)
        out = np.full((total, self.n_targets), np.nan, np.float64)
        seed_arr = jnp.asarray(np.uint32(seed))
        one = jnp.asarray(np.int32(1))
        keys = jnp.asarray(points.reshape(-1).astype(np.int32))

        def step(g0: int, g: jax.Array) -> None:
            vals, valid = jax.device_get(fn(seed_arr, rows(g0), g, one, keys))
            idx = np.asarray(jax.device_get(g))
            ok = np.asarray(valid)
            out[idx[ok]] = np.asarray(vals, np.float64)[ok]

        self.runner.stream(total, step, progress)
        return out.reshape(n, replicates, self.n_targets)


__all__ = ["NEVER_AFTER", "TargetSimulator"]
