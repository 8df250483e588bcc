"""Paired runs of two scenarios with common random numbers.

Both scenarios' run ``r`` use the same key ``run_key(seed, 0, r)``: the same parameter
draws where their priors agree and the same monthly shocks. Besides each scenario's own
tallies (identical to an unpaired run of it), a chunk returns the joint counts the paired
difference needs: for events, runs where it happened in both, only in A, only in B; for
categories, the joint A x B table; for quantities, the per-run values of both (their
differences reduced on the host in float64, in a fixed order, for the comparison report
only).

Conditioned comparisons (``abm compare --given``, :mod:`abm.conditions`): the conditions
are evaluated on scenario A's outcomes of each run; a run that fails them is dropped from
both scenarios' tallies, the joint tables and the differences (the chunk reduces with
``valid & kept`` and counts the kept runs). Each set of condition structures compiles
its own program, taking the conditions' values as arguments; without conditions the
chunk is the unconditioned program, unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.conditions import Condition, holds
from abm.engine.devices import replicated, runs_sharding
from abm.engine.lanes import grouped_over
from abm.engine.priors import BetaColumns, PriorTable, beta_columns_of
from abm.engine.reducers import reduce_chunk
from abm.engine.runner import Progress, Runner, chunk_runs, run_outcomes
from abm.outcomes import CategoryOutcome, EventOutcome, QuantityOutcome
from abm.tallies import Accumulator, add_local, empty_tallies


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
        kept: paired runs that satisfy the conditions (all runs computed, without).
        total: paired runs computed.
    """

    a: Accumulator
    b: Accumulator
    joint: dict[str, np.ndarray] = field(default_factory=dict)
    diff_n: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sum: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sumsq: dict[str, np.ndarray] = field(default_factory=dict)
    kept: int = 0
    total: int = 0


class PairedRunner(Runner):
    """A :class:`Runner` that runs two single-point scenarios side by side.

    Both scenarios' runs go through one batch of :func:`~abm.engine.runner.run_outcomes`
    and the runner's chunk loop (:meth:`Runner.stream`) with the keys of an unpaired run
    of one point, so each one's tallies equal its unpaired run's, and a scenario paired
    with itself gives identical outcomes in every run.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Conditioned chunks, one per tuple of condition structures.
        self._given_fns: dict[tuple[Any, ...], Any] = {}

    def compiled_count(self) -> int:
        """Number of compiled chunk programs (unconditioned and conditioned)."""
        given = sum(int(f._cache_size()) for f in self._given_fns.values())
        return super().compiled_count() + given

    def _paired_fn(self, given: Sequence[Condition] = (), beta_columns: BetaColumns = None) -> Any:
        """The jitted paired chunk; with ``given``, one per set of condition structures.

        Without conditions: ``fn(seed, ta, tb, g, n_runs, point_offset)`` -> (A's and B's
        tallies, joint tables, per-run quantities). With conditions, the conditions'
        values (:meth:`~abm.conditions.Condition.bounds`) come last, and the result also
        carries int32 ``kept`` and ``total`` (paired runs kept, and valid, in the chunk).
        ``beta_columns``: both tables' beta columns (see :meth:`Runner.chunk_program`).
        """
        key = (tuple(c.structure for c in given), beta_columns)
        cache = self._given_fns if given else None
        if cache is not None and key in cache:
            return cache[key]
        if cache is None and (-1, beta_columns) in self._chunk_fns:
            return self._chunk_fns[(-1, beta_columns)]
        model = self.model
        specs = model.outcome_specs
        conds = tuple(given)
        posterior: Any = self.posterior  # both scenarios read the same posterior draws
        n_dev = self.n_devices

        def chunk(
            seed: jax.Array,
            ta: PriorTable,
            tb: PriorTable,
            g: jax.Array,
            n_runs: jax.Array,
            point_offset: jax.Array,
            *bounds: jax.Array,
        ) -> tuple[Any, ...]:
            point, run, slot, valid = chunk_runs(g, n_runs)
            # One batch of both scenarios' runs (A's, then B's), so that both go through
            # the same compiled code: two copies of the simulation in one program may
            # round differently. Results do not depend on the batch size (whole lanes).
            rows = jax.tree.map(lambda x, y: jnp.concatenate([x[slot], y[slot]]), ta, tb)
            key_points = jnp.tile(point + point_offset, 2)
            # Each scenario's half holds one group of runs per device (abm.engine.lanes).
            with grouped_over(2 * n_dev):
                both_outs = run_outcomes(
                    model, seed, rows, key_points, jnp.tile(run, 2), posterior, beta_columns
                )
            size = g.shape[0]
            oa = jax.tree.map(lambda v: v[:size], both_outs)
            ob = jax.tree.map(lambda v: v[size:], both_outs)
            use = valid & holds(conds, bounds, oa, jnp) if conds else valid
            w = use.astype(jnp.int32)
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
                        use.reshape(-1, *([1] * len(s.shape))), oa[s.name].shape
                    )
                    if s.masked:
                        both = both & oa[f"{s.name}/mask"] & ob[f"{s.name}/mask"]
                    # The difference is taken on the host: XLA may recompute an outcome
                    # inside a fused subtraction, giving B - A != 0 where B == A.
                    diffs[f"{s.name}/a"] = oa[s.name]
                    diffs[f"{s.name}/b"] = ob[s.name]
                    diffs[f"{s.name}/both"] = both
            ra = reduce_chunk(specs, oa, slot, use, 1, model.n_months)
            rb = reduce_chunk(specs, ob, slot, use, 1, model.n_months)
            if not conds:
                return ra, rb, joint, diffs
            counts = (use.sum(dtype=jnp.int32), valid.sum(dtype=jnp.int32))
            return ra, rb, joint, diffs, counts

        rep = replicated(self.mesh)
        shard = (rep, rep, rep, runs_sharding(self.mesh), rep, rep, *(rep for _ in conds))
        fn = jax.jit(chunk, in_shardings=shard)
        if cache is not None:
            cache[key] = fn
        else:
            self._chunk_fns[(-1, beta_columns)] = fn
        return fn

    def run_paired(
        self,
        seed: int,
        table_a: PriorTable,
        table_b: PriorTable,
        n_runs: int,
        progress: Progress | None = None,
        start_chunk: int = 0,
        point_offset: int = 0,
        given: Sequence[Condition] = (),
    ) -> PairedAccumulator:
        """Simulate ``n_runs`` paired runs of two single-point tables.

        Args:
            seed: simulation seed.
            table_a: scenario A's :class:`PriorTable` ``[n_params]`` (one point).
            table_b: scenario B's, the same shape.
            n_runs: runs of each scenario.
            progress: called after each chunk with (runs done, runs total, seconds).
            start_chunk: first chunk to compute (the others count as done elsewhere).
            point_offset: the point index of the run keys (``run_key(seed, point_offset,
                r)`` for run ``r`` of both scenarios), as :meth:`Runner.run`'s.
            given: conditions on scenario A's outcomes (:mod:`abm.conditions`, ANDed);
                runs that fail them count in neither scenario's tallies.

        Returns:
            The :class:`PairedAccumulator` (its ``kept`` and ``total`` count paired runs).
        """
        if n_runs < 1:
            raise ValueError(f"n_runs must be >= 1, got {n_runs}")
        fn = self._paired_fn(given, beta_columns_of([table_a.kind, table_b.kind]))
        specs = self.model.outcome_specs
        n_months = self.model.n_months

        def acc() -> Accumulator:
            return Accumulator(empty_tallies(specs, 1, n_months), 1, n_runs)

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
        ta = self.rows_of(PriorTable.stack([table_a]), 1)(0)
        tb = self.rows_of(PriorTable.stack([table_b]), 1)(0)
        n_arr = jnp.asarray(np.int32(n_runs))
        offset_arr = jnp.asarray(np.int32(point_offset))
        bounds = [jnp.asarray(c.bounds()) for c in given]

        def step(g0: int, g: jax.Array) -> None:
            got = jax.device_get(fn(seed_arr, ta, tb, g, n_arr, offset_arr, *bounds))
            ra, rb, joint, diffs = got[:4]
            if given:
                out.kept += int(got[4][0])
                out.total += int(got[4][1])
            add_local(out.a.tallies, ra, 0)
            add_local(out.b.tallies, rb, 0)
            for k, v in joint.items():
                out.joint[k] += np.asarray(v, np.int64)
            for s in specs:
                if isinstance(s, QuantityOutcome):
                    both = np.asarray(diffs[f"{s.name}/both"])
                    va = np.asarray(diffs[f"{s.name}/a"], np.float64)
                    vb = np.asarray(diffs[f"{s.name}/b"], np.float64)
                    d = np.where(both, vb - va, 0.0)
                    out.diff_n[s.name] += both.sum(axis=0)
                    out.diff_sum[s.name] += d.sum(axis=0)
                    out.diff_sumsq[s.name] += (d**2).sum(axis=0)

        stats = self.stream(n_runs, step, progress, start_chunk)
        for side in (out.a, out.b):
            side.chunks, side.wall_s, side.compile_s = stats.chunks, stats.wall_s, stats.compile_s
        if not given:
            out.kept = out.total = int(out.a.tallies["n_runs"][0])
        return out
