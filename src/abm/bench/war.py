"""The war's weekly combat step as a benchmark workload: abm's side and its inputs.

The workload (issue 15's performance budget, ``benchmarks/war_combat_step.py``) is
:mod:`abm.models.interwar.war.combat` at the war slice's intended scale: ``R`` runs of
``U`` divisions on ``K`` sectors, four weekly battles a month for ``months`` months. Each
division has a side (the attacker or the defender of its sector), a sector (``K``: in
reserve, it fights nowhere) and men (thousand); a division is alive if it starts with more
than 500 men (the alive mask is fixed for the run). Each week every sector with both sides
present is one engagement on the CDB90 kernel (``war_combat.yaml``) under the sector's
:class:`~abm.models.interwar.war.combat.Conditions`: its casualty rates with the fit's
correlated residuals (two standard normals a sector) and the attacker's win (one uniform
a sector); each division keeps the surviving share of its sector and side.

``mode`` says how often the divisions are touched: ``weekly`` sums and updates them every
week; ``monthly`` (the default) sums them once a month, fights the month's weeks on the
sectors' totals and updates them once (``combat_month``: the same result, since no division
changes sector or side).

What the workload shares with its peers (``benchmarks/peers/numpy_war.py``,
``mesa_war.py``) is inputs only, as :mod:`abm.bench.germany` is for the Germany peers:
the sizes (:class:`WarScenario`), the divisions' sides and sectors and the sectors'
conditions (:func:`war_layout`, seeded), the divisions' initial men (:func:`initial_men`,
seeded) and the outcome format (:data:`OUTCOMES`); each implementation draws its own
random numbers in the same distributions. abm's side is :func:`build` (one ``jit`` of a
chunk of runs) and :func:`simulate`.

Agent-steps are counted honestly: alive divisions times weeks simulated
(:func:`agent_steps`), whichever mode touches them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from abm.models.interwar.war import combat as C

__all__ = [
    "ALIVE_MEN",
    "MODES",
    "OUTCOMES",
    "WAR_MONTHS",
    "WEEKS",
    "WarLayout",
    "WarScenario",
    "agent_steps",
    "build",
    "initial_men",
    "simulate",
    "war_layout",
]

#: Months of the war, September 1939 to August 1945.
WAR_MONTHS = 72
#: Weekly sub-steps a month (``combat_fit.STEP_DAYS`` = 7 days each).
WEEKS = 4
#: How often the divisions are summed and updated: every week, or once a month.
MODES = ("weekly", "monthly")
#: A division is alive if it starts with more than this many thousand men.
ALIVE_MEN = 0.5
#: Per-run outcomes every implementation returns (``simulate(...)``, ``R`` runs)::
#:
#:     men            float32 [R, U]  thousand men of each division after the months
#:     attacker_wins  int32   [R, K]  weeks in which the sector's attacker won
OUTCOMES = ("men", "attacker_wins")


@dataclass(frozen=True)
class WarScenario:
    """The workload's sizes and seeds (runs are chosen per call).

    Attributes:
        divisions: ``U``, divisions a run.
        sectors: ``K``, contested sectors.
        months: months simulated, :data:`WEEKS` weeks each.
        mode: one of :data:`MODES`.
        layout_seed: seed of the sides, sectors and conditions (:func:`war_layout`).
        men_seed: seed of the initial men (:func:`initial_men`).
    """

    divisions: int = 1500
    sectors: int = 50
    months: int = 12
    mode: str = "monthly"
    layout_seed: int = 0
    men_seed: int = 1

    def __post_init__(self) -> None:
        for name in ("divisions", "sectors", "months"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"WarScenario.{name}: {getattr(self, name)!r}, at least 1")
        if self.mode not in MODES:
            raise ValueError(f"WarScenario.mode: {self.mode!r}, one of {MODES}")

    @property
    def weeks(self) -> int:
        """Weeks simulated: ``months * WEEKS``."""
        return self.months * WEEKS


@dataclass(frozen=True)
class WarLayout:
    """The divisions' places and the sectors' conditions, the same in every run.

    Attributes:
        side: int32 ``[U]``, ``combat.ATTACKER`` or ``combat.DEFENDER`` in its sector.
        sector: int32 ``[U]``, ``0 .. K - 1``, or ``K``: in reserve.
        conditions: float32 ``[len(combat.CONDITIONS), K]``, each sector's conditions in
            the order of ``combat.CONDITIONS`` (uniform on ``[-1, 1]``).
    """

    side: np.ndarray
    sector: np.ndarray
    conditions: np.ndarray

    def conditions_jax(self) -> C.Conditions:
        """The conditions as the kernel takes them (float32 ``[K]`` each)."""
        return C.Conditions(*(jnp.asarray(row, jnp.float32) for row in self.conditions))


def war_layout(scenario: WarScenario) -> WarLayout:
    """Sides, sectors (about one division in ``K + 1`` in reserve) and conditions.

    Drawn from ``numpy.random.default_rng(layout_seed)`` in that order, as the benchmark
    script always has.
    """
    rng = np.random.default_rng(scenario.layout_seed)
    u, k = scenario.divisions, scenario.sectors
    side = rng.integers(0, 2, u).astype(np.int32)
    sector = rng.integers(0, k + 1, u).astype(np.int32)
    cond = np.stack([rng.uniform(-1, 1, k) for _ in C.CONDITIONS]).astype(np.float32)
    return WarLayout(side=side, sector=sector, conditions=cond)


def initial_men(scenario: WarScenario, runs: int) -> np.ndarray:
    """Each run's divisions' men, float32 ``[runs, U]``, thousand (uniform 2..18).

    Row ``r`` is the same whatever ``runs`` is (one row-major draw from
    ``numpy.random.default_rng(men_seed)``), so implementations that run different run
    counts start their common runs alike.
    """
    rng = np.random.default_rng(scenario.men_seed)
    return rng.uniform(2, 18, (int(runs), scenario.divisions)).astype(np.float32)


def agent_steps(scenario: WarScenario, men: np.ndarray) -> int:
    """Alive divisions times weeks: the agent-steps of simulating ``men`` ``[R, U]``."""
    return int(np.count_nonzero(np.asarray(men) > ALIVE_MEN)) * scenario.weeks


def build(scenario: WarScenario, runs: int) -> Callable[[jax.Array, jax.Array], tuple]:
    """The jitted chunk: ``(key, men [runs, U]) -> (men after, attacker wins [runs, K])``.

    Each run's key is ``fold_in(key, r)``; each week's (``weekly``) or month's
    (``monthly``) draws come from ``fold_in(run key, t)``: standard normals ``[2, K]``
    and uniforms ``[K]`` a week.
    """
    kern = C.kernel()
    lay = war_layout(scenario)
    side, sector = jnp.asarray(lay.side), jnp.asarray(lay.sector)
    cond = lay.conditions_jax()
    sectors, months, mode = scenario.sectors, scenario.months, scenario.mode

    def one_run(key: jax.Array, men: jax.Array) -> tuple[jax.Array, jax.Array]:
        alive = men > ALIVE_MEN

        def week(carry: tuple[jax.Array, jax.Array], t: jax.Array) -> tuple[tuple, None]:
            men, wins = carry
            k1, k2 = jax.random.split(jax.random.fold_in(key, t))
            noise = jax.random.normal(k1, (2, sectors), jnp.float32)
            u = jax.random.uniform(k2, (sectors,), jnp.float32)
            s = C.sector_strengths(men, side, sector, alive, sectors)
            keep_a, keep_d, won, _ = C.engagement_week(s[0], s[1], cond, noise, u, kern)
            men = C.apply_losses(men, side, sector, jnp.stack([keep_a, keep_d]))
            return (men, wins + won.astype(jnp.int32)), None

        def month(carry: tuple[jax.Array, jax.Array], t: jax.Array) -> tuple[tuple, None]:
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


def simulate(
    scenario: WarScenario,
    men: np.ndarray,
    seed: int,
    chunk: int = 256,
    fn: Callable[[jax.Array, jax.Array], tuple] | None = None,
) -> dict[str, np.ndarray]:
    """The workload on abm: the runs of ``men`` in chunks of ``chunk`` runs (the last one padded).

    Args:
        scenario: the workload.
        men: float32 ``[R, U]``, the runs' initial men, thousand (:func:`initial_men`).
        seed: chunk ``i`` runs with ``fold_in(jax.random.key(seed), i)``.
        chunk: runs per compiled call.
        fn: ``build(scenario, chunk)``, to reuse a compiled chunk (built if None).

    Returns:
        :data:`OUTCOMES` as NumPy arrays.
    """
    men = np.asarray(men, np.float32)
    n = men.shape[0]
    step = build(scenario, chunk) if fn is None else fn
    base = jax.random.key(int(seed))
    outs: list[tuple[jax.Array, jax.Array]] = []
    for i, start in enumerate(range(0, n, chunk)):
        part = men[start : start + chunk]
        if part.shape[0] < chunk:  # zero men: dead divisions, trimmed below
            part = np.concatenate(
                [part, np.zeros((chunk - part.shape[0], men.shape[1]), part.dtype)]
            )
        outs.append(step(jax.random.fold_in(base, i), jnp.asarray(part)))
    after = np.concatenate([np.asarray(m) for m, _ in outs])[:n]
    wins = np.concatenate([np.asarray(w) for _, w in outs])[:n]
    return {"men": after, "attacker_wins": wins}
