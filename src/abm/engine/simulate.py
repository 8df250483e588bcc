"""A batch of runs to its end, and a chunk's runs and outcomes (pure, traced functions).

``simulate_batch`` samples each run's parameters, initialises and scans the model's
batched month over the calendar; ``chunk_runs`` maps a chunk's global run indices to
points, runs and point slots; ``run_outcomes`` and ``chunk_outcomes`` give the per-run
outcomes the reducers tally. :mod:`abm.engine.runner` compiles and streams them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from abm.engine import keys
from abm.engine.model import Model
from abm.engine.priors import BetaColumns, PriorTable, sample


def batch_step(model: Model) -> Callable[[jax.Array, Any, jax.Array], Any]:
    """The model's month over a batch of runs: its ``step_batch``, else ``vmap(step)``.

    A model may provide ``step_batch(keys, states, thetas)`` to skip work that no run of
    the batch needs this month (``lax.cond`` on a batch-wide predicate); a run's result
    must not depend on the other runs of the batch.
    """
    step_batch = getattr(model, "step_batch", None)
    return step_batch if step_batch is not None else jax.vmap(getattr(model, "step"))  # noqa: B009


def draw_thetas(
    run_keys: jax.Array,
    rows: PriorTable,
    posterior: jax.Array | None = None,
    beta_columns: BetaColumns = None,
) -> jax.Array:
    """Each run's parameters: its row of the table drawn with its own key.

    Args:
        run_keys: typed keys ``[N]`` (:func:`abm.engine.keys.run_key`).
        rows: :class:`PriorTable` ``[N, n_params]``.
        posterior: float32 ``[K, n_columns]`` or None (see :func:`simulate_batch`).
        beta_columns: static, the columns any row may draw from a beta prior
            (:func:`abm.engine.priors.beta_columns_of`), or None for all; the values
            do not depend on it (:func:`abm.engine.priors.sample`).

    Returns:
        float32 ``[N, n_params]``.
    """
    if posterior is None:
        return jax.vmap(
            lambda k, row: sample(keys.stream(k, keys.STREAM_PRIORS), row, None, beta_columns)
        )(run_keys, rows)
    post = jnp.asarray(posterior, jnp.float32)

    def draw(k: jax.Array, row: PriorTable) -> jax.Array:
        pick = jax.random.randint(keys.stream(k, keys.STREAM_POSTERIOR), (), 0, post.shape[0])
        return sample(keys.stream(k, keys.STREAM_PRIORS), row, post[pick], beta_columns)

    return jax.vmap(draw)(run_keys, rows)


def simulate_batch(
    model: Model,
    seed: jax.Array,
    rows: PriorTable,
    points: jax.Array,
    runs: jax.Array,
    trace: bool = False,
    posterior: jax.Array | None = None,
    beta_columns: BetaColumns = None,
) -> tuple[jax.Array, Any, Any, Any]:
    """Runs of a batch to their end: ``scan`` over months of a ``vmap``-ed month.

    Args:
        model: the model.
        seed: uint32 scalar.
        rows: :class:`PriorTable` with a leading batch axis ``[N, n_params]``.
        points: int32 ``[N]`` sweep-point index of each run.
        runs: int32 ``[N]`` run index of each run.
        trace: also return every month's state.
        posterior: float32 ``[K, n_columns]``, a calibrated sample of parameter vectors
            (:mod:`abm.posterior`), or None. Each run takes row ``randint(0, K)`` of it
            from its own key's posterior stream (so both scenarios of a paired run take
            the same row, and the row does not depend on the chunking), and the table's
            parameters of kind ``posterior`` read their column of that row.
        beta_columns: static, the columns any row may draw from a beta prior, or None
            (see :func:`draw_thetas`).

    Returns:
        ``(thetas, initial_states, final_states, monthly)``: thetas float32
        ``[N, n_params]``; states with a leading ``[N]`` axis; ``monthly`` is None, or the
        state after each month with leading axes ``[n_months, N]``.
    """
    run_keys = jax.vmap(keys.run_key, in_axes=(None, 0, 0))(seed, points, runs)
    thetas = draw_thetas(run_keys, rows, posterior, beta_columns)
    # Opaque to the compiler: with one sweep point every pinned parameter is the same in
    # every run, and XLA would otherwise simplify on that (broadcast constants), which
    # changes the last bits of some results against a program with several points.
    thetas = jax.lax.optimization_barrier(thetas)
    init = jax.vmap(lambda k, th: model.init(keys.stream(k, keys.STREAM_INIT), th))
    states0 = init(run_keys, thetas)
    steps_keys = jax.vmap(lambda k: keys.stream(k, keys.STREAM_STEPS))(run_keys)
    step = batch_step(model)

    def body(s: Any, month: jax.Array) -> tuple[Any, Any]:
        month_keys = jax.vmap(keys.month_key, in_axes=(0, None))(steps_keys, month)
        s = step(month_keys, s, thetas)
        return s, (s if trace else None)

    final, monthly = jax.lax.scan(body, states0, jnp.arange(model.n_months, dtype=jnp.int32))
    return thetas, states0, final, monthly


def chunk_runs(g: jax.Array, n_runs: jax.Array) -> tuple[jax.Array, ...]:
    """Each run of a chunk: its point, run index, local point slot, and validity.

    Args:
        g: int32 ``[chunk]`` global run indices in the table (``point * n_runs + run``);
            -1 marks padding. ``g[0]`` is a real run.
        n_runs: int32 scalar, runs per point.

    Returns:
        ``(point, run, slot, valid)``, each ``[chunk]``: the point in the table (0 for
        padding), the run, the slot ``point - first`` with ``first = g[0] // n_runs``
        (0 for padding), and False for padding.
    """
    valid = g >= 0
    gg = jnp.where(valid, g, 0)
    point = gg // n_runs
    run = gg % n_runs
    slot = jnp.where(valid, point - g[0] // n_runs, 0)
    return point, run, slot, valid


def run_outcomes(
    model: Model,
    seed: jax.Array,
    rows: PriorTable,
    points: jax.Array,
    runs: jax.Array,
    posterior: jax.Array | None = None,
    beta_columns: BetaColumns = None,
) -> dict[str, jax.Array]:
    """Per-run outcomes of a batch of runs, materialised (see :func:`simulate_batch`).

    Args:
        model: the model.
        seed: uint32 scalar.
        rows: :class:`PriorTable` ``[N, n_params]``, each run's row.
        points: int32 ``[N]``, each run's point index in the whole sweep (its key).
        runs: int32 ``[N]``, each run's index.
        posterior: the posterior sample or None (see :func:`simulate_batch`).
        beta_columns: static, see :func:`draw_thetas`.

    Returns:
        The outcomes, leading axis ``[N]``.
    """
    thetas, _, final, _ = simulate_batch(
        model, seed, rows, points, runs, posterior=posterior, beta_columns=beta_columns
    )
    # Materialised before the reduction, so that how XLA fuses the tallies (which
    # differs with the number of point slots) cannot change an outcome's last bits.
    return jax.lax.optimization_barrier(jax.vmap(model.outcomes)(final, thetas))


def chunk_outcomes(
    model: Model,
    seed: jax.Array,
    rows: PriorTable,
    g: jax.Array,
    n_runs: jax.Array,
    point_offset: jax.Array,
    posterior: jax.Array | None = None,
    beta_columns: BetaColumns = None,
) -> tuple[dict[str, jax.Array], jax.Array, jax.Array]:
    """Per-run outcomes of a chunk, with each run's local point slot.

    Args:
        model: the model.
        seed: uint32 scalar.
        rows: :class:`PriorTable` ``[k, n_params]``: rows ``first, first + 1, ...`` of
            the run's table, where ``first = g[0] // n_runs`` (rows past the table's end
            may hold anything: no valid run reads them).
        g: int32 ``[chunk]`` global run indices, as :func:`chunk_runs`.
        n_runs: int32 scalar, runs per point.
        point_offset: int32 scalar, index in the whole sweep of the table's first point;
            or int32 ``[n_points]``, each point's own key number (run keys
            ``run_key(seed, point_offset[point], run)``: a caller that chooses every
            run's random numbers, as the calibration's block sampler does).
        posterior: the posterior sample or None (see :func:`simulate_batch`).
        beta_columns: static, see :func:`draw_thetas`.

    Returns:
        ``(outcomes, slot, valid)``: the outcomes (leading axis ``[chunk]``,
        materialised), and the slot and validity of each run (see :func:`chunk_runs`).
    """
    point, run, slot, valid = chunk_runs(g, n_runs)
    per_run = jax.tree.map(lambda x: x[slot], rows)
    # Keys use the point's index in the whole sweep (offset + index in the table), or
    # the point's own key number when the caller gives one per point.
    key_point = point_offset[point] if point_offset.ndim == 1 else point + point_offset
    outs = run_outcomes(model, seed, per_run, key_point, run, posterior, beta_columns)
    return outs, slot, valid
