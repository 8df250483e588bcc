"""A nested design: K worlds (parameter draws) x R replicates (chance inside a world).

A *world* is one parameter vector ``theta_k`` (float32 ``[n_params]``) drawn from a
scenario's effective priors (:func:`draw_worlds`). In world ``k`` both scenarios pin
(kind ``fixed``) every parameter whose prior is the same in A and B (the mechanisms) to
``theta_k`` and keep their own prior where A and B differ (levers, stance differences):
:func:`world_tables`. :func:`run_nested` runs each world's table ``R`` times with
:meth:`abm.engine.runner.Runner.run` (point ``k``, run ``r``: key ``run_key(seed, k,
r)``, the same in A and B, so world ``k``'s replicate ``r`` is the same chance in both)
and reduces the integer tallies into per-world statistics of every headline outcome
cell (:class:`abm.analysis.worlds.WorldStats`), which :mod:`abm.analysis.worlds`
decomposes.

World keys: ``world_key(seed, k) = fold_in(fold_in(key(seed), WORLD_POINT), k)`` with
``WORLD_POINT = 2**32 - 1``. Run keys fold a point index below ``2**31`` (the runner
refuses points x runs >= ``2**31``) into the root key, so a world key is never a run
key; world ``k`` draws its priors from the key's ``STREAM_PRIORS`` and its posterior
row from ``STREAM_POSTERIOR``, as a run does.
"""

from __future__ import annotations

import logging
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.analysis.worlds import NestedStats, WorldStats
from abm.engine import keys
from abm.engine.priors import PRIOR_KINDS, PriorTable, sample
from abm.engine.runner import Progress, Runner
from abm.outcomes import CategoryOutcome, EventOutcome, OutcomeSpec
from abm.tallies import quantity_sum

log = logging.getLogger(__name__)

#: The point index folded into the root key for world keys (never a run's point).
WORLD_POINT = 2**32 - 1

_FIELDS = ("kind", "a", "b", "c", "low", "high")


def shared_mask(table_a: PriorTable, table_b: PriorTable | None) -> np.ndarray:
    """Parameters whose prior rows are identical in A and B, bool ``[n_params]``.

    Without B every parameter counts as shared (one scenario: all of it is the world).
    """
    n = table_a.n_params
    if table_b is None:
        return np.ones(n, bool)
    if table_b.n_params != n:
        raise ValueError(f"tables have {n} and {table_b.n_params} parameters")
    same = np.ones(n, bool)
    for f in _FIELDS:
        same &= np.asarray(getattr(table_a, f)) == np.asarray(getattr(table_b, f))
    return same


def _pin(table: PriorTable, shared: np.ndarray, thetas: np.ndarray) -> PriorTable:
    """``[K, n]`` table: ``table``'s rows, the shared parameters fixed at ``thetas``."""
    k = thetas.shape[0]
    rep = {f: np.repeat(np.asarray(getattr(table, f))[None], k, axis=0) for f in _FIELDS}
    rep["kind"] = np.where(shared[None], np.int32(PRIOR_KINDS["fixed"]), rep["kind"]).astype(
        np.int32
    )
    rep["a"] = np.where(shared[None], thetas, rep["a"]).astype(np.float32)
    return PriorTable(**rep)


def world_tables(
    table_a: PriorTable, table_b: PriorTable | None, thetas: np.ndarray
) -> tuple[PriorTable, PriorTable | None]:
    """Each scenario's table of ``K`` worlds.

    Args:
        table_a: A's single-point table ``[n_params]``.
        table_b: B's, or None.
        thetas: float32 ``[K, n_params]``, the worlds' parameter vectors.

    Returns:
        ``(A's, B's)`` tables ``[K, n_params]``: in row ``k`` every parameter whose prior
        row is identical in A and B is ``fixed`` at ``thetas[k]``; the others keep the
        scenario's own prior. B's is None without B.
    """
    th = np.asarray(thetas, np.float32)
    if th.ndim != 2 or th.shape[1] != table_a.n_params:
        raise ValueError(f"thetas must be [K, {table_a.n_params}], got {th.shape}")
    shared = shared_mask(table_a, table_b)
    ta = _pin(table_a, shared, th)
    return ta, None if table_b is None else _pin(table_b, shared, th)


def world_key(seed: jax.Array | int, k: jax.Array | int) -> jax.Array:
    """Key of world ``k`` under ``seed`` (see the module docstring)."""
    return keys.run_key(seed, WORLD_POINT, k)


def draw_worlds(scenario: Any, n_worlds: int, seed: int) -> np.ndarray:
    """``K`` parameter vectors from a scenario's effective priors.

    Args:
        scenario: a :class:`abm.config.Scenario` (its :meth:`prior_table` and
            :meth:`posterior_values`: with a posterior, world ``k`` takes row
            ``randint(0, K_post)`` of it from its key's posterior stream, so the
            calibrated correlations are kept).
        n_worlds: ``K >= 1``.
        seed: the seed (uint32 range).

    Returns:
        float32 ``[K, n_params]``, each inside its parameter's range.
    """
    if n_worlds < 1:
        raise ValueError(f"n_worlds must be >= 1, got {n_worlds}")
    table = jax.tree.map(jnp.asarray, scenario.prior_table())
    post = scenario.posterior_values()
    posterior = None if post is None else jnp.asarray(post, jnp.float32)

    def one(k: jax.Array) -> jax.Array:
        key = world_key(jnp.uint32(seed), k)
        draw = None
        if posterior is not None:
            pick = jax.random.randint(
                keys.stream(key, keys.STREAM_POSTERIOR), (), 0, posterior.shape[0]
            )
            draw = posterior[pick]
        return sample(keys.stream(key, keys.STREAM_PRIORS), table, draw)

    ks = jnp.arange(n_worlds, dtype=jnp.uint32)
    return np.asarray(jax.device_get(jax.jit(jax.vmap(one))(ks)), np.float32)


def _cell_label(spec: Any, index: tuple[int, ...]) -> str:
    return " ".join(spec.coords[d][i] for d, i in enumerate(index))


def _binned_var(hist: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Variance of the piecewise-uniform density of each histogram ``[..., n_bins]``.

    Each bin's runs are spread uniformly over the bin: the variance is that of the bin
    midpoints plus the mean of ``width**2 / 12``. Runs outside the edges sit in the end
    bins, so a tail beyond them is understated.
    """
    h = hist.astype(np.float64)
    n = np.maximum(h.sum(axis=-1), 1.0)
    mid = 0.5 * (edges[1:] + edges[:-1])
    width2 = (edges[1:] - edges[:-1]) ** 2 / 12.0
    mean = (h @ mid) / n
    second = (h @ (mid**2 + width2)) / n
    return np.maximum(second - mean**2, 0.0)


def world_stats(
    specs: tuple[OutcomeSpec, ...], tallies: dict[str, np.ndarray], name: str
) -> WorldStats:
    """Per-world statistics of the headline outcome cells from a runner's tallies.

    Events: the probability ``p_k`` (runs in which it happened), within-world variance
    ``p_k (1 - p_k) n / (n - 1)``. Categories: each category's share, likewise.
    Quantities: the exact mean from the fixed-point sums; the within-world variance from
    the histogram, the variance of the piecewise-uniform density over the bins
    (:func:`_binned_var`) times ``n / (n - 1)``.

    Args:
        specs: the model's outcome specs (the ``headline`` ones are used).
        tallies: int64 tallies with a leading world axis ``[K, ...]``.
        name: the scenario's name.
    """
    cells: list[tuple[str, str, str]] = []
    means: list[np.ndarray] = []
    withins: list[np.ndarray] = []
    ns: list[np.ndarray] = []
    n_runs = tallies["n_runs"].astype(np.float64)

    def add(cell: tuple[str, str, str], m: np.ndarray, v: np.ndarray, n: np.ndarray) -> None:
        bessel = np.where(n > 1, n / np.maximum(n - 1, 1), 0.0)
        cells.append(cell)
        means.append(np.where(n > 0, m, np.nan))
        withins.append(v * bessel)
        ns.append(n.astype(np.int64))

    for s in specs:
        if not s.headline:
            continue
        if isinstance(s, EventOutcome):
            never = tallies[f"{s.name}/month_hist"][:, -1].astype(np.float64)
            p = 1.0 - never / np.maximum(n_runs, 1)
            add((s.name, "", "probability"), p, p * (1 - p), n_runs)
        elif isinstance(s, CategoryOutcome):
            counts = tallies[f"{s.name}/counts"].astype(np.float64)
            for i, cat in enumerate(s.categories):
                p = counts[:, i] / np.maximum(n_runs, 1)
                add((s.name, cat, "share"), p, p * (1 - p), n_runs)
        else:
            n = tallies[f"{s.name}/n"].astype(np.float64)
            mean = quantity_sum(tallies, s.name, s.scale) / np.maximum(n, 1)
            var = _binned_var(tallies[f"{s.name}/hist"], np.asarray(s.edges, np.float64))
            for index in np.ndindex(*s.shape):
                sel = (slice(None), *index)
                add((s.name, _cell_label(s, index), "mean"), mean[sel], var[sel], n[sel])
    return WorldStats(
        scenario=name,
        cells=tuple(cells),
        mean=np.stack(means, axis=1),
        within=np.stack(withins, axis=1),
        n=np.stack(ns, axis=1),
    )


def _posterior_for(table: PriorTable, sc: Any) -> np.ndarray | None:
    """The scenario's posterior if a parameter of ``table`` still reads it, else None."""
    post = sc.posterior_values()
    uses = np.any(np.asarray(table.kind) == PRIOR_KINDS["posterior"])
    return None if post is None or not uses else np.asarray(post, np.float32)


def run_nested(
    sa: Any,
    sb: Any | None,
    n_worlds: int,
    replicates: int,
    seed: int,
    chunk_size: int = 1024,
    progress: Progress | None = None,
) -> NestedStats:
    """Run ``K`` worlds x ``R`` replicates of A (and of B, with the same keys).

    Args:
        sa: scenario A (:class:`abm.config.Scenario`); the worlds are drawn from its
            effective priors.
        sb: scenario B on the same model and calendar, or None.
        n_worlds: ``K``.
        replicates: ``R``, runs per world.
        seed: the seed of the worlds and of the runs.
        chunk_size: runs per compiled chunk (memory is set by it, not by ``K R``).
        progress: called after each chunk with (runs done, runs total, seconds).

    Returns:
        The :class:`~abm.analysis.worlds.NestedStats`.
    """
    if replicates < 1:
        raise ValueError(f"replicates must be >= 1, got {replicates}")
    if sb is not None and _model_of(sa) != _model_of(sb):
        raise ValueError(f"{sa.name} and {sb.name} run different models or calendars")
    model = sa.model()
    table_a = sa.prior_table()
    table_b = None if sb is None else sb.prior_table()
    thetas = draw_worlds(sa, n_worlds, seed)
    ta, tb = world_tables(table_a, table_b, thetas)
    mechanism = shared_mask(table_a, table_b)
    chunk = min(chunk_size, n_worlds * replicates)
    runners: list[tuple[np.ndarray | None, Runner]] = []

    def runner(post: np.ndarray | None) -> Runner:
        for p, r in runners:  # one compiled program where both scenarios can share it
            if (p is None and post is None) or (
                p is not None and post is not None and np.array_equal(p, post)
            ):
                return r
        r = Runner(model, chunk_size=chunk, posterior=post)
        runners.append((post, r))
        return r

    out: list[WorldStats] = []
    for sc, table in ((sa, ta), (sb, tb)):
        if sc is None or table is None:
            continue
        log.info("%s: %d worlds x %d replicates, seed %d", sc.name, n_worlds, replicates, seed)
        acc = runner(_posterior_for(table, sc)).run(seed, table, replicates, progress)
        out.append(world_stats(model.outcome_specs, acc.tallies, sc.name))
    names = tuple(p.name for p in _catalogue(sa))
    return NestedStats(
        a=out[0],
        b=out[1] if len(out) > 1 else None,
        thetas=thetas,
        names=names,
        mechanism=mechanism,
        seed=int(seed),
        replicates=int(replicates),
    )


def _model_of(sc: Any) -> tuple[Any, ...]:
    """What decides a scenario's model: its name, calendar and exogenous streams."""
    return (sc.model_name, sc.calendar, getattr(sc, "exogenous", None))


def _catalogue(sc: Any) -> list[Any]:
    from abm.models import registry

    return list(registry.catalogue(sc.model_name))


__all__ = [
    "WORLD_POINT",
    "draw_worlds",
    "run_nested",
    "shared_mask",
    "world_key",
    "world_stats",
    "world_tables",
]
