"""What does the war's weekly combat step cost? (issue 15's performance budget)

Times :mod:`abm.models.interwar.war.combat` at the war slice's intended scale: ``--runs``
runs (``vmap``) x ``--divisions`` divisions x ``--sectors`` sectors, four weekly
sub-steps a month (``lax.scan``) for ``--months`` months, one ``jit``; each week draws
its residuals and wins (``jax.random``, a key folded per run and week), sums the
divisions per sector and side, fights every sector and hands the losses back. Prints
division-weeks per second and what a million runs of the war's 72 months (September
1939 to August 1945) would take at that rate, on this machine, for the combat step
alone (the war slice's other parts and the rest of the model come on top).

``--mode weekly`` sums and updates the divisions every week; ``--mode monthly`` (the
default) fights the weeks on the sectors' totals and updates the divisions once a month
(``combat_month``: the same result while divisions keep their sectors for the month).

Usage: ``python benchmarks/war_combat_step.py [--runs 256] [--repeats 3] [--mode M]``.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from abm.models.interwar.war import combat as C

WAR_MONTHS = 72
WEEKS = 4


def build(runs: int, divisions: int, sectors: int, months: int, mode: str):  # type: ignore[no-untyped-def]
    """The jitted chunk: ``(key, men [runs, U]) -> (men after, attacker wins per sector)``.

    ``mode``: ``weekly`` sums and updates the divisions every week; ``monthly`` fights the
    weeks on the sectors' totals and touches the divisions once a month
    (:func:`~abm.models.interwar.war.combat.combat_month`, the same result).
    """
    kern = C.kernel()
    rng = np.random.default_rng(0)
    side = jnp.asarray(rng.integers(0, 2, divisions), jnp.int32)
    sector = jnp.asarray(rng.integers(0, sectors + 1, divisions), jnp.int32)
    cond = C.Conditions(
        *(jnp.asarray(rng.uniform(-1, 1, sectors), jnp.float32) for _ in C.CONDITIONS)
    )

    def one_run(key: jax.Array, men: jax.Array) -> tuple[jax.Array, jax.Array]:
        alive = men > 0.5

        def week(carry, t):  # type: ignore[no-untyped-def]
            men, wins = carry
            k = jax.random.fold_in(key, t)
            k1, k2 = jax.random.split(k)
            noise = jax.random.normal(k1, (2, sectors), jnp.float32)
            u = jax.random.uniform(k2, (sectors,), jnp.float32)
            s = C.sector_strengths(men, side, sector, alive, sectors)
            keep_a, keep_d, won, _ = C.engagement_week(s[0], s[1], cond, noise, u, kern)
            men = C.apply_losses(men, side, sector, jnp.stack([keep_a, keep_d]))
            return (men, wins + won.astype(jnp.int32)), None

        def month(carry, t):  # type: ignore[no-untyped-def]
            men, wins = carry
            k1, k2 = jax.random.split(jax.random.fold_in(key, t))
            noise = jax.random.normal(k1, (WEEKS, 2, sectors), jnp.float32)
            u = jax.random.uniform(k2, (WEEKS, sectors), jnp.float32)
            men, won, _ = C.combat_month(men, side, sector, alive, cond, noise, u, kern)
            return (men, wins + won.sum(axis=0, dtype=jnp.int32)), None

        init = (men, jnp.zeros(sectors, jnp.int32))
        if mode == "weekly":
            (men, wins), _ = jax.lax.scan(week, init, jnp.arange(months * WEEKS))
        else:
            (men, wins), _ = jax.lax.scan(month, init, jnp.arange(months))
        return men, wins

    @jax.jit
    def chunk(key: jax.Array, men: jax.Array) -> tuple[jax.Array, jax.Array]:
        keys = jax.vmap(lambda r: jax.random.fold_in(key, r))(jnp.arange(runs))
        return jax.vmap(one_run)(keys, men)

    return chunk


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=256)
    ap.add_argument("--divisions", type=int, default=1500)
    ap.add_argument("--sectors", type=int, default=50)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mode", choices=("weekly", "monthly"), default="monthly")
    args = ap.parse_args()
    chunk = build(args.runs, args.divisions, args.sectors, args.months, args.mode)
    men = jnp.asarray(
        np.random.default_rng(1).uniform(2, 18, (args.runs, args.divisions)), jnp.float32
    )
    t0 = time.perf_counter()
    jax.block_until_ready(chunk(jax.random.key(0), men))
    compile_s = time.perf_counter() - t0
    times = []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(chunk(jax.random.key(r + 1), men))
        times.append(time.perf_counter() - t0)
    best = min(times)
    div_weeks = args.runs * args.divisions * args.months * WEEKS
    rate = div_weeks / best
    run_months = args.runs * args.months / best
    million = 1e6 * WAR_MONTHS / run_months
    print(
        f"{jax.devices()[0].device_kind}, {args.mode}: {args.runs} runs x "
        f"{args.divisions} divisions x {args.sectors} sectors x {args.months * WEEKS} weeks; "
        f"compile {compile_s:.1f} s; "
        f"runs of {', '.join(f'{t:.2f}' for t in times)} s"
    )
    print(
        f"{rate:.3g} division-weeks/s, {run_months:.0f} run-months/s; a million runs of the "
        f"war's {WAR_MONTHS} months: {million / 60:.0f} min for the combat step alone"
    )


if __name__ == "__main__":
    main()
