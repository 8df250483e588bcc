"""Paired runs of two scenarios with common random numbers.

Both scenarios' run ``r`` use the same key ``run_key(seed, 0, r)``: the same parameter
draws where their priors agree and the same monthly shocks. Besides each scenario's own
tallies (identical to an unpaired run of it), a chunk returns the joint counts the paired
difference needs: for events, runs where it happened in both, only in A, only in B; for
categories, the joint A x B table; for quantities, the per-run differences (reduced on
the host in float64, in a fixed order, for the comparison report only).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.devices import replicated, runs_sharding
from abm.engine.priors import PriorTable
from abm.engine.reducers import (
    CategoryOutcome,
    EventOutcome,
    QuantityOutcome,
    add_into,
    empty_tallies,
    reduce_chunk,
)
from abm.engine.runner import Accumulator, Progress, Runner, simulate_batch


@dataclass
class PairedAccumulator:
    """Tallies of A and B, plus joint statistics of their paired difference.

    Attributes:
        a: tallies of scenario A.
        b: tallies of scenario B.
        joint: event ``E`` -> int64 ``[2, 2]`` counts indexed (happened in A, in B);
            category ``C`` -> int64 ``[n_cat, n_cat]``.
        diff_n: quantity ``Q`` -> int64 count of runs valid in both, per cell.
        diff_sum: quantity ``Q`` -> float64 sum of ``B - A``.
        diff_sumsq: quantity ``Q`` -> float64 sum of ``(B - A)^2``.
    """

    a: Accumulator
    b: Accumulator
    joint: dict[str, np.ndarray] = field(default_factory=dict)
    diff_n: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sum: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sumsq: dict[str, np.ndarray] = field(default_factory=dict)


class PairedRunner(Runner):
    """A :class:`Runner` that runs two single-point scenarios side by side."""

    def _paired_fn(self) -> Any:
        if -1 in self._chunk_fns:
            return self._chunk_fns[-1]
        model = self.model
        specs = model.outcome_specs

        def chunk(
            seed: jax.Array, ta: PriorTable, tb: PriorTable, g: jax.Array, n_runs: jax.Array
        ) -> tuple[Any, ...]:
            valid = g < n_runs
            run = jnp.where(valid, g, 0)
            point = jnp.zeros_like(run)

            def outcomes(table: PriorTable) -> Any:
                rows = jax.tree.map(lambda x: jnp.broadcast_to(x, (run.shape[0], *x.shape)), table)
                thetas, _, final, _ = simulate_batch(model, seed, rows, point, run)
                return jax.vmap(model.outcomes)(final, thetas)

            oa = outcomes(ta)
            ob = outcomes(tb)
            w = valid.astype(jnp.int32)
            joint: dict[str, jax.Array] = {}
            diffs: dict[str, jax.Array] = {}
            for s in specs:
                if isinstance(s, EventOutcome):
                    ha = (oa[s.name] >= 0).astype(jnp.int32)
                    hb = (ob[s.name] >= 0).astype(jnp.int32)
                    joint[s.name] = jnp.zeros((2, 2), jnp.int32).at[ha, hb].add(w)
                elif isinstance(s, CategoryOutcome):
                    n = len(s.categories)
                    joint[s.name] = jnp.zeros((n, n), jnp.int32).at[oa[s.name], ob[s.name]].add(w)
                elif isinstance(s, QuantityOutcome):
                    both = jnp.broadcast_to(
                        valid.reshape(-1, *([1] * len(s.shape))), oa[s.name].shape
                    )
                    if s.masked:
                        both = both & oa[f"{s.name}/mask"] & ob[f"{s.name}/mask"]
                    diffs[s.name] = jnp.where(both, ob[s.name] - oa[s.name], 0.0)
                    diffs[f"{s.name}/both"] = both
            ra = reduce_chunk(specs, oa, point, valid, 1, model.n_months)
            rb = reduce_chunk(specs, ob, point, valid, 1, model.n_months)
            return ra, rb, joint, diffs

        rep = replicated(self.mesh)
        fn = jax.jit(
            chunk,
            in_shardings=(rep, rep, rep, runs_sharding(self.mesh), rep),
        )
        self._chunk_fns[-1] = fn
        return fn

    def run_paired(
        self,
        seed: int,
        table_a: PriorTable,
        table_b: PriorTable,
        n_runs: int,
        progress: Progress | None = None,
    ) -> PairedAccumulator:
        """Simulate ``n_runs`` paired runs of two single-point tables."""
        fn = self._paired_fn()
        specs = self.model.outcome_specs
        n_months = self.model.n_months

        def acc() -> Accumulator:
            return Accumulator(empty_tallies(specs, 1, n_months, np), 1, n_runs)

        out = PairedAccumulator(a=acc(), b=acc())
        for s in specs:
            if isinstance(s, EventOutcome):
                out.joint[s.name] = np.zeros((2, 2), np.int64)
            elif isinstance(s, CategoryOutcome):
                n = len(s.categories)
                out.joint[s.name] = np.zeros((n, n), np.int64)
            elif isinstance(s, QuantityOutcome):
                out.diff_n[s.name] = np.zeros(s.shape, np.int64)
                out.diff_sum[s.name] = np.zeros(s.shape, np.float64)
                out.diff_sumsq[s.name] = np.zeros(s.shape, np.float64)
        seed_arr = jnp.asarray(np.uint32(seed))
        ta = jax.device_put(table_a, replicated(self.mesh))
        tb = jax.device_put(table_b, replicated(self.mesh))
        n_arr = jnp.asarray(np.int32(n_runs))
        n_chunks = -(-n_runs // self.chunk_size)
        t0 = time.perf_counter()
        for c in range(n_chunks):
            g = np.arange(c * self.chunk_size, (c + 1) * self.chunk_size, dtype=np.int32)
            ra, rb, joint, diffs = fn(
                seed_arr, ta, tb, jax.device_put(g, runs_sharding(self.mesh)), n_arr
            )
            add_into(out.a.tallies, ra)
            add_into(out.b.tallies, rb)
            joint, diffs = jax.device_get((joint, diffs))
            for k, v in joint.items():
                out.joint[k] += np.asarray(v, np.int64)
            for s in specs:
                if isinstance(s, QuantityOutcome):
                    d = np.asarray(diffs[s.name], np.float64)
                    both = np.asarray(diffs[f"{s.name}/both"])
                    out.diff_n[s.name] += both.sum(axis=0)
                    out.diff_sum[s.name] += d.sum(axis=0)
                    out.diff_sumsq[s.name] += (d**2).sum(axis=0)
            if progress is not None:
                progress(min((c + 1) * self.chunk_size, n_runs), n_runs, time.perf_counter() - t0)
        wall = time.perf_counter() - t0
        out.a.wall_s = out.b.wall_s = wall
        out.a.chunks = out.b.chunks = n_chunks
        return out
