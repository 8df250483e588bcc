"""Separate world from luck: variance decomposition and first-order Sobol indices.

A nested design (:mod:`abm.engine.nested`) runs ``K`` *worlds* (one parameter vector
``theta_k`` of the mechanisms each) times ``R`` *replicates* (the chance inside one
world: the runs' random streams, and the priors the two scenarios do not share). Per
headline outcome cell it yields, per world, the world mean ``m_k`` (a probability, a
category share or a quantity's mean), the unbiased within-world variance ``w_k`` of one
run's value and the runs ``n_k`` behind them (:class:`WorldStats`).

Estimators (one outcome cell):

* within-world variance ``W = mean_k w_k`` (the chance inside one world);
* between-world variance ``B = max(var_k(m_k) - mean_k(w_k / n_k), 0)``: the variance of
  the world means (``ddof=1``) less the part that the finite ``R`` adds to it
  (one-way random-effects ANOVA), floored at 0;
* total ``T = B + W``; the world's share ``B / T`` ("mechanisms") and chance's
  ``W / T``, with a percentile bootstrap interval over worlds.

For the difference B - A, ``d_k = m_k(B) - m_k(A)`` per world (both scenarios' replicate
``r`` of world ``k`` use the same random numbers), its mean with a bootstrap interval,
and :func:`first_order_indices` of ``d`` over the mechanism parameters.

This module imports no JAX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Bootstrap resamples of the intervals.
N_BOOT = 1000
#: Bootstrap resamples of the Sobol indices' intervals (per parameter and cell).
N_BOOT_SOBOL = 200
#: Permutation repetitions of :func:`noise_floor`.
N_NULL = 200
#: Rows of the Sobol table shown per cell.
TOP = 15


@dataclass(frozen=True)
class WorldStats:
    """Per-world statistics of one scenario's headline outcome cells.

    Attributes:
        scenario: the scenario's name.
        cells: ``(outcome, cell, statistic)`` per cell, ``C`` of them; statistic is
            ``probability`` (events), ``share`` (categories) or ``mean`` (quantities).
        mean: float64 ``[K, C]``, the world means ``m_k`` (NaN where ``n_k = 0``).
        within: float64 ``[K, C]``, the unbiased within-world variance ``w_k`` of one
            run's value (for quantities from the histogram, see
            :func:`abm.engine.nested.world_stats`).
        n: int64 ``[K, C]``, the runs behind each world's figures.
    """

    scenario: str
    cells: tuple[tuple[str, str, str], ...]
    mean: np.ndarray
    within: np.ndarray
    n: np.ndarray


@dataclass(frozen=True)
class NestedStats:
    """The result of a nested run: both scenarios' world statistics and the worlds.

    Attributes:
        a: scenario A's statistics.
        b: scenario B's, or None for one scenario.
        thetas: float32 ``[K, n_params]``, each world's parameter vector.
        names: ``n_params`` parameter names.
        mechanism: bool ``[n_params]``, the parameters pinned to ``theta_k`` in world
            ``k`` (prior shared by A and B).
        seed: the seed of the worlds and the runs.
        replicates: ``R``, runs per world.
    """

    a: WorldStats
    b: WorldStats | None
    thetas: np.ndarray
    names: tuple[str, ...]
    mechanism: np.ndarray
    seed: int
    replicates: int

    @property
    def worlds(self) -> int:
        """``K``, the number of worlds."""
        return int(self.thetas.shape[0])


def _components(m: np.ndarray, w: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``(between, within)`` of worlds on the leading axis: ``m, w, n [..., K]`` -> ``[..., 2]``."""
    noise = np.mean(w / np.maximum(n, 1), axis=-1)
    k = m.shape[-1]
    var_m = np.var(m, axis=-1, ddof=1) if k > 1 else np.zeros(m.shape[:-1])
    between = np.maximum(var_m - noise, 0.0)
    return np.stack([between, np.mean(w, axis=-1)], axis=-1)


def _share(comp: np.ndarray) -> np.ndarray:
    """World share ``B / (B + W)`` (NaN where the total is 0)."""
    total = comp[..., 0] + comp[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, comp[..., 0] / np.where(total > 0, total, 1.0), np.nan)


def _boot_idx(k: int, n_boot: int, seed: int) -> np.ndarray:
    """Resampled world indices, int ``[n_boot, k]`` (a fixed generator: reproducible)."""
    return np.random.default_rng(seed).integers(0, k, size=(n_boot, k))


def decompose(stats: WorldStats, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Variance decomposition of every cell into world ("mechanisms") and chance.

    Args:
        stats: one scenario's per-world statistics (``K >= 2`` worlds).
        n_boot: bootstrap resamples of the worlds for the share's interval.
        seed: the bootstrap's seed.

    Returns:
        One row per cell: ``scenario, outcome, cell, statistic, mean`` (over worlds),
        ``total_var, between_var, within_var`` (variances of one run's value, in the
        outcome's unit squared), ``world_share, world_lo, world_hi`` (the share of the
        total due to the world, 95 % percentile bootstrap interval over worlds) and
        ``chance_share`` (``1 - world_share``). Worlds with no valid run are left out.
    """
    rows = []
    idx = _boot_idx(stats.mean.shape[0], n_boot, seed)
    for c, (outcome, cell, stat) in enumerate(stats.cells):
        ok = stats.n[:, c] > 0
        m, w, n = stats.mean[ok, c], stats.within[ok, c], stats.n[ok, c]
        between, within = _components(m, w, n)
        share = float(_share(np.array([between, within])))
        lo = hi = float("nan")
        if m.size > 1:
            bi = idx[:, : m.size] % m.size
            boot = _share(_components(m[bi], w[bi], n[bi]))
            boot = boot[np.isfinite(boot)]
            if boot.size:
                lo, hi = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
        rows.append(
            {
                "scenario": stats.scenario,
                "outcome": outcome,
                "cell": cell,
                "statistic": stat,
                "mean": float(np.mean(m)) if m.size else float("nan"),
                "total_var": float(between + within),
                "between_var": float(between),
                "within_var": float(within),
                "world_share": share,
                "world_lo": lo,
                "world_hi": hi,
                "chance_share": 1.0 - share,
            }
        )
    return pd.DataFrame(rows)


def world_differences(a: WorldStats, b: WorldStats) -> np.ndarray:
    """``d [K, C]``: per world and cell, B's world mean less A's."""
    if a.cells != b.cells or a.mean.shape != b.mean.shape:
        raise ValueError("A and B must have the same worlds and cells")
    return np.asarray(b.mean - a.mean, np.float64)


def difference_table(
    a: WorldStats, b: WorldStats, n_boot: int = N_BOOT, seed: int = 0
) -> pd.DataFrame:
    """The difference B - A per cell, over worlds.

    Returns:
        One row per cell: ``outcome, cell, statistic, mean_a, mean_b, diff`` (the mean
        of ``d_k``), ``diff_lo, diff_hi`` (95 % percentile bootstrap interval over
        worlds), ``diff_sd`` (the spread of ``d_k`` across worlds), ``worlds_positive``
        (the share of worlds with ``d_k > 0``) and ``noise_share_max``: an upper bound
        on the share of ``var_k(d_k)`` that the finite ``R`` adds, ``mean_k((w_A + w_B)
        / n) / var_k(d_k)``, valid when A's and B's runs of a replicate are not
        negatively correlated (common random numbers make them positively correlated).
    """
    d = world_differences(a, b)
    idx = _boot_idx(d.shape[0], n_boot, seed)
    rows = []
    for c, (outcome, cell, stat) in enumerate(a.cells):
        ok = (a.n[:, c] > 0) & (b.n[:, c] > 0)
        dc = d[ok, c]
        lo = hi = sd = noise = float("nan")
        if dc.size > 1:
            bi = idx[:, : dc.size] % dc.size
            lo, hi = (float(v) for v in np.percentile(dc[bi].mean(axis=1), [2.5, 97.5]))
            sd = float(np.std(dc, ddof=1))
            nv = np.mean((a.within[ok, c] + b.within[ok, c]) / np.maximum(a.n[ok, c], 1))
            noise = float(nv / sd**2) if sd > 0 else float("nan")
        rows.append(
            {
                "outcome": outcome,
                "cell": cell,
                "statistic": stat,
                "mean_a": float(np.mean(a.mean[ok, c])) if dc.size else float("nan"),
                "mean_b": float(np.mean(b.mean[ok, c])) if dc.size else float("nan"),
                "diff": float(np.mean(dc)) if dc.size else float("nan"),
                "diff_lo": lo,
                "diff_hi": hi,
                "diff_sd": sd,
                "worlds_positive": float(np.mean(dc > 0)) if dc.size else float("nan"),
                "noise_share_max": noise,
            }
        )
    return pd.DataFrame(rows)


def _first_order(x: np.ndarray, y: np.ndarray, n_bins: int) -> np.ndarray:
    """Given-data first-order index of ``y`` on ``x``, rows of ``[..., K]`` at once.

    Sort by ``x``, cut into ``n_bins`` equal-count bins, and take the between-bin sum
    of squares less its expected value under no effect, ``(M - 1)`` times the pooled
    within-bin variance (the ANOVA bias correction), over the total sum of squares.
    """
    order = np.argsort(x, axis=-1, kind="stable")
    return _sorted_index(np.take_along_axis(y, order, axis=-1), n_bins)


def _sorted_index(ys: np.ndarray, n_bins: int) -> np.ndarray:
    """:func:`_first_order` of ``ys [..., K]`` already sorted by the parameter."""
    k = ys.shape[-1]
    bins = np.minimum((np.arange(k) * n_bins) // k, n_bins - 1)  # equal counts
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    onehot = (bins[:, None] == np.arange(n_bins)[None, :]).astype(np.float64)  # [K, M]
    sums = ys @ onehot
    means = sums / counts
    grand = ys.mean(axis=-1, keepdims=True)
    ss_total = np.sum((ys - grand) ** 2, axis=-1)
    ss_between = np.sum(counts * (means - grand) ** 2, axis=-1)
    ss_within = ss_total - ss_between
    pooled = ss_within / max(k - n_bins, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (ss_between - (n_bins - 1) * pooled) / ss_total
    return np.where(ss_total > 0, s, np.nan)


def noise_floor(
    y: np.ndarray, n_params: int, n_bins: int, seed: int = 0, reps: int = N_NULL, q: float = 0.95
) -> float:
    """The largest first-order index that ``n_params`` irrelevant parameters reach.

    The binned estimator sees a parameter only through the order of its values, so under
    "``y`` does not depend on it" every parameter's index has one distribution: that of
    the estimator on a random permutation of ``y``. The floor is the ``q`` quantile of
    the largest of ``n_params`` such indices (``reps`` repetitions): in a table of
    ``n_params`` parameters that do not matter, the top one stays below it with
    probability ``q``. Independent parameters are assumed (correlated ones lower the
    largest, so the floor is then conservative).

    Args:
        y: float ``[K]``, the output per world.
        n_params: parameters in the table.
        n_bins: bins of the estimator.
        seed: the permutations' seed.
        reps: repetitions.
        q: the quantile.

    Returns:
        The floor (NaN without variance in ``y``).
    """
    k = y.size
    if n_params < 1 or not np.ptp(y) > 0:
        return float("nan")
    rng = np.random.default_rng(seed + 1)
    top = np.empty(reps)
    for i in range(reps):
        ys = rng.permuted(np.broadcast_to(y, (n_params, k)), axis=1)  # y in a random order
        top[i] = np.nanmax(_sorted_index(ys, n_bins))
    return float(np.quantile(top, q))


def first_order_indices(
    thetas: np.ndarray,
    d: np.ndarray,
    names: Sequence[str],
    n_boot: int = N_BOOT_SOBOL,
    seed: int = 0,
) -> pd.DataFrame:
    """First-order Sobol indices ``S_j = Var(E[d | theta_j]) / Var(d)`` from given data.

    The estimator needs no special design: the worlds' parameter draws and their ``d``
    suffice. For each parameter, sort the worlds by ``theta_j``, cut them into about
    ``sqrt(K)`` equal-count bins, and take the between-bin variance of ``d`` with the
    small-sample (ANOVA) bias correction over the total variance (see
    :func:`_first_order`); a 95 % percentile bootstrap interval over worlds, shifted by
    the bootstrap's bias estimate (resampling repeats worlds, which the binned estimator
    reads as signal). Estimates
    can fall slightly below 0 or the sum above 1 by sampling error.

    With independent parameters (the priors) the indices are shares of ``Var(d)`` and
    sum to at most 1. With a correlated posterior they are first-order indices of
    correlated inputs: ``S_j`` also carries what ``theta_j`` says about the parameters
    correlated with it, so they are not a partition of the variance and may sum past 1.
    ``Var(d)`` includes the replicate noise of ``d_k``, which lowers every index.

    Args:
        thetas: float ``[K, n]``, the worlds' values of the parameters.
        d: float ``[K]``, the difference per world (NaN worlds are dropped).
        names: ``n`` parameter names.
        n_boot: bootstrap resamples.
        seed: the bootstrap's seed.

    Returns:
        One row per parameter that varies across worlds, largest index first:
        ``parameter, S1, S1_lo, S1_hi`` and ``noise_floor`` (:func:`noise_floor`, the
        same in every row): an index below it is indistinguishable from none.
    """
    x_all = np.asarray(thetas, np.float64)
    y = np.asarray(d, np.float64)
    ok = np.isfinite(y)
    x_all, y = x_all[ok], y[ok]
    k = y.size
    cols = [j for j in range(x_all.shape[1]) if k > 3 and np.ptp(x_all[:, j]) > 0]
    if not cols or not np.ptp(y) > 0:
        return pd.DataFrame(columns=["parameter", "S1", "S1_lo", "S1_hi", "noise_floor"])
    n_bins = max(2, round(np.sqrt(k)))
    idx = _boot_idx(k, n_boot, seed)
    floor = noise_floor(y, len(cols), n_bins, seed)
    rows = []
    for j in cols:
        x = x_all[:, j]
        s = float(_first_order(x, y, n_bins))
        boot = _first_order(x[idx], y[idx], n_bins)
        boot = boot[np.isfinite(boot)]
        lo = hi = np.nan
        if boot.size:
            # Resampling repeats worlds, which biases the binned estimator upwards: the
            # percentile interval is shifted back by the bootstrap's bias estimate.
            bias = float(np.mean(boot)) - s
            lo, hi = np.percentile(boot, [2.5, 97.5]) - bias
        rows.append(
            {
                "parameter": names[j],
                "S1": s,
                "S1_lo": float(lo),
                "S1_hi": float(hi),
                "noise_floor": floor,
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values("S1", ascending=False, kind="stable").reset_index(drop=True)


def sobol_table(nested: NestedStats, n_boot: int = N_BOOT_SOBOL, seed: int = 0) -> pd.DataFrame:
    """:func:`first_order_indices` of every cell's ``d`` over the mechanism parameters.

    Returns:
        ``outcome, cell, statistic, parameter, S1, S1_lo, S1_hi, noise_floor``, each
        cell's rows
        sorted by ``S1``, largest first; empty without scenario B.
    """
    if nested.b is None:
        return pd.DataFrame()
    d = world_differences(nested.a, nested.b)
    mech = np.flatnonzero(nested.mechanism)
    names = [nested.names[j] for j in mech]
    parts = []
    for c, (outcome, cell, stat) in enumerate(nested.a.cells):
        t = first_order_indices(nested.thetas[:, mech], d[:, c], names, n_boot, seed)
        t.insert(0, "statistic", stat)
        t.insert(0, "cell", cell)
        t.insert(0, "outcome", outcome)
        parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


__all__ = [
    "NestedStats",
    "WorldStats",
    "decompose",
    "difference_table",
    "first_order_indices",
    "noise_floor",
    "sobol_table",
    "world_differences",
]
