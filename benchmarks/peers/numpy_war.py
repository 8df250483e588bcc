"""The war's weekly combat step as hand-vectorised NumPy: every run and division at once.

A peer of abm's war combat workload (:mod:`abm.bench.war`, on
``abm.models.interwar.war.combat``; the rules in :mod:`war_common`), for performance
comparisons, written as a scientist fluent in NumPy would write it without abm: the
state is the divisions' men ``[R, U]`` (``R`` runs, ``U`` divisions) and the attacker's
wins ``[R, K]`` (``K`` sectors); men engaged per run, sector and side are one
``np.bincount`` over the flattened ``[R, U]`` array (each division's run, sector and
side give its bin; dead and reserve divisions a bin that is dropped); the engagements of
every run and sector are ``[R, K]`` array arithmetic on the kernel's numbers; the losses
go back to the divisions by one fancy-indexed gather. The only Python loops are over the
months and their weeks.

``mode="weekly"`` sums and updates the divisions every week; ``mode="monthly"`` (the
default, as abm's) sums them once a month, fights the month's weeks on the ``[R, K, 2]``
totals and updates them once. The sectors' conditions do not change, so their part of
the three linear predictors is computed once (``[3, K]``). Arithmetic is float32, as
abm's (``dtype=np.float64`` for float64 throughout).

Random numbers come from one ``numpy.random.default_rng(seed)`` stream, in abm's shapes
and distributions, week by week: standard normals ``[R, 2, K]`` (the residuals) then
uniforms ``[R, K]`` (the wins). abm uses JAX's threefry, so the results agree with abm's
statistically, not bit for bit.

Entry point: :func:`simulate` (scenario, initial men ``[R, U]``, seed) -> per-run outcome
arrays (format in :mod:`war_common`), in batches of 256 runs (:func:`simulate_batch`).
"""

from __future__ import annotations

import math

import numpy as np

try:  # imported as benchmarks.peers.numpy_war
    from . import war_common as c
except ImportError:  # run as a script or with benchmarks/peers on sys.path
    import war_common as c  # type: ignore[no-redef]


def condition_terms(layout: c.WarLayout, kn: c.KernelNumbers) -> np.ndarray:
    """The part of the three linear predictors that does not change, float64 ``[3, K]``.

    Intercept, ``b_3 ln T`` and the sectors' conditions (``coef[:, 4:] @ conditions``).
    """
    coef = kn.coef
    fixed = coef[:, 0] + coef[:, 3] * math.log(kn.days)
    return fixed[:, None] + coef[:, 4:] @ layout.conditions.astype(np.float64)


def engagement(
    strength: np.ndarray,
    base: np.ndarray,
    z: np.ndarray,
    u: np.ndarray,
    kn: c.KernelNumbers,
) -> tuple[np.ndarray, np.ndarray]:
    """A week of battle in every run and sector.

    Args:
        strength: ``[R, K, 2]`` thousand men engaged (attacker, defender).
        base: ``[3, K]`` :func:`condition_terms`.
        z: ``[R, 2, K]`` standard normals.
        u: ``[R, K]`` uniforms.
        kn: the kernel's numbers.

    Returns:
        (``[R, K, 2]`` surviving shares of the men engaged, 1 where not engaged; bool
        ``[R, K]`` the attacker won).
    """
    dtype = strength.dtype
    engaged = (strength[..., 0] > 0) & (strength[..., 1] > 0)
    ln = np.log(np.maximum(strength, 1e-3))
    ratio = ln[..., 0] - ln[..., 1]
    size = 0.5 * (ln[..., 0] + ln[..., 1]) + math.log(1000.0 / kn.size_unit)
    b = kn.coef.astype(dtype)
    base = base.astype(dtype)
    sd_a, sd_d = kn.residual_sd
    rho = kn.residual_corr
    resid_a = sd_a * z[:, 0]
    resid_d = sd_d * (rho * z[:, 0] + math.sqrt(1.0 - rho * rho) * z[:, 1])
    eta_a = base[0] + b[0, 1] * ratio + b[0, 2] * size + resid_a
    eta_d = base[1] + b[1, 1] * ratio + b[1, 2] * size + resid_d
    eta_w = base[2] + b[2, 1] * ratio + b[2, 2] * size
    keep = np.empty_like(strength)
    keep[..., 0] = np.exp(-np.exp(eta_a) * kn.days)
    keep[..., 1] = np.exp(-np.exp(eta_d) * kn.days)
    keep[~engaged] = 1.0
    won = engaged & (u < 1.0 / (1.0 + np.exp(-eta_w)))
    return keep, won


def simulate(
    scenario: c.WarScenario,
    men: np.ndarray,
    seed: int,
    kn: c.KernelNumbers | None = None,
    dtype: type = np.float32,
    batch: int = 256,
) -> dict[str, np.ndarray]:
    """Simulate the runs of ``men`` over the scenario's months, ``batch`` runs at a time.

    Batches keep the ``[batch, U]`` arrays in the CPU's caches (on the 2-core machine of
    ``benchmarks/README.md`` 128-256 runs at a time are 1.2-1.7 times faster per run
    than 1,024-4,096), as abm's chunks do; they draw from one stream in turn.

    Args:
        scenario: sizes, mode and layout seeds (``abm.bench.war.WarScenario``).
        men: ``[R, U]`` each run's divisions' initial men, thousand
            (``war_common.initial_men``).
        seed: seed of the ``numpy.random.default_rng`` stream.
        kn: the kernel's numbers (default: abm's fit, ``war_common.kernel_numbers()``).
        dtype: float type of the state and the draws.
        batch: runs simulated together.

    Returns:
        ``men`` ``[R, U]`` after the months and ``attacker_wins`` ``[R, K]``.
    """
    kn = c.kernel_numbers() if kn is None else kn
    layout = c.war_layout(scenario)
    base = condition_terms(layout, kn)
    rng = np.random.default_rng(seed)
    men = np.array(men, dtype)
    wins = np.zeros((men.shape[0], scenario.sectors), np.int32)
    for start in range(0, men.shape[0], batch):
        part = slice(start, start + batch)
        men[part], wins[part] = simulate_batch(scenario, layout, base, men[part], rng, kn)
    return {"men": men, "attacker_wins": wins}


def simulate_batch(
    scenario: c.WarScenario,
    layout: c.WarLayout,
    base: np.ndarray,
    men: np.ndarray,
    rng: np.random.Generator,
    kn: c.KernelNumbers,
) -> tuple[np.ndarray, np.ndarray]:
    """One batch of runs: ``men`` ``[B, U]`` (updated in place) -> (men, wins ``[B, K]``)."""
    dtype = men.dtype
    n_runs = men.shape[0]
    k = scenario.sectors
    # Each division's bin among its run's 2K + 1: sector-major, side-minor; the last bin
    # collects the dead and the reserve and is dropped.
    in_line = (men > c.ALIVE_MEN) & (layout.sector < k)[None, :]
    own = np.where(in_line, layout.sector * 2 + layout.side, 2 * k)
    bins = (own + (2 * k + 1) * np.arange(n_runs)[:, None]).ravel()
    n_bins = n_runs * (2 * k + 1)
    # Each division's place in the [B, K + 1, 2] shares (the reserve column stays 1).
    place = np.minimum(layout.sector, k), layout.side
    wins = np.zeros((n_runs, k), np.int32)

    def strengths() -> np.ndarray:
        total = np.bincount(bins, weights=men.ravel(), minlength=n_bins)
        return total.reshape(n_runs, 2 * k + 1)[:, : 2 * k].reshape(n_runs, k, 2).astype(dtype)

    def week(strength: np.ndarray) -> np.ndarray:
        z = rng.standard_normal((n_runs, 2, k), dtype)
        u = rng.random((n_runs, k), dtype)
        keep, won = engagement(strength, base, z, u, kn)
        np.add(wins, won, out=wins)
        return keep

    kept = np.ones((n_runs, k + 1, 2), dtype)
    for _month in range(scenario.months):
        if scenario.mode == "weekly":
            for _week in range(c.WEEKS):
                kept[:, :k] = week(strengths())
                men *= kept[:, place[0], place[1]]
        else:
            first = strengths()
            kept[:, :k] = 1.0
            for _week in range(c.WEEKS):
                kept[:, :k] *= week(first * kept[:, :k])
            men *= kept[:, place[0], place[1]]
    return men, wins


if __name__ == "__main__":  # pragma: no cover - a quick look
    import sys

    print(c.quick_look(simulate, 256, sys.argv[1:]))
