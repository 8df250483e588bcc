"""What the war kernel's peer implementations share: inputs, the fit's numbers, summaries.

The peers (:mod:`numpy_war`, :mod:`mesa_war`) re-implement the workload of
``benchmarks/war_combat_step.py`` (abm's side: :mod:`abm.bench.war`, on
:mod:`abm.models.interwar.war.combat`) in their own idioms. They share only inputs, never
model code:

* the workload's sizes and seeds (``abm.bench.war.WarScenario``: ``U`` divisions, ``K``
  sectors, ``months`` months of :data:`WEEKS` weeks, the mode), the divisions' sides and
  sectors and the sectors' conditions (``war_layout``) and each run's initial men
  (``initial_men``);
* the fitted kernel's numbers (``war_combat.yaml``, read by
  ``abm.models.interwar.war.combat.kernel()``) as NumPy arrays (:func:`kernel_numbers`);
  each peer writes the kernel's arithmetic itself;
* the outcome format (:data:`OUTCOMES`) and per-run statistics of it
  (:func:`run_statistics`), so that the three implementations are compared on the same
  numbers (``tests/test_war_peers.py``).

The rules, per run and week (``docs/combat_kernel.md``): a division is alive if it starts
with more than 500 men (``ALIVE_MEN`` thousand; fixed for the run); men engaged per
sector and side are the alive divisions' men there (a division in sector ``K`` is in
reserve); a sector with both sides engaged is one engagement, with ``a`` and ``d``
thousand men (each at least 1 man) and

* ``ratio = ln a - ln d``, ``size = (ln a + ln d) / 2 + ln(1000 / size_unit)``;
* linear predictors ``eta_j = b_j0 + b_j1 ratio + b_j2 size + b_j3 ln T + sum_c b_jc x_c``
  for ``j`` = attacker's and defender's ln daily casualty rate and the logit of the
  attacker's win, ``x_c`` the sector's conditions, ``T`` = 7 days;
* residuals from two standard normals ``z0, z1``: ``e_a = s_a z0``, ``e_d = s_d (rho z0
  + sqrt(1 - rho^2) z1)``; surviving shares ``exp(-exp(eta_a + e_a) T)`` and
  ``exp(-exp(eta_d + e_d) T)``; the attacker wins if a uniform is below
  ``1 / (1 + exp(-eta_w))``;
* each division in the sector keeps its side's share (``monthly`` mode: the month's four
  weeks fought on the sectors' totals, the divisions updated with the product of the
  shares once a month; the same result).

Per-run outcome format (``simulate(...)`` of every implementation returns this dict;
``R`` runs)::

    men            float [R, U]  thousand men of each division after the months
    attacker_wins  int   [R, K]  weeks in which the sector's attacker won
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.bench.war import (
    ALIVE_MEN,
    OUTCOMES,
    WEEKS,
    WarLayout,
    WarScenario,
    agent_steps,
    initial_men,
    war_layout,
)
from abm.models.interwar.war.combat import ATTACKER, CONDITIONS, DEFENDER, kernel
from abm.models.interwar.war.combat_fit import STEP_DAYS

__all__ = [
    "ALIVE_MEN",
    "ATTACKER",
    "CONDITIONS",
    "DEFENDER",
    "OUTCOMES",
    "STEP_DAYS",
    "WEEKS",
    "KernelNumbers",
    "WarLayout",
    "WarScenario",
    "agent_steps",
    "initial_men",
    "kernel_numbers",
    "quick_look",
    "run_statistics",
    "war_layout",
]

#: The kernel's three linear predictors, rows of :attr:`KernelNumbers.coef`.
RATE_ATTACKER, RATE_DEFENDER, WIN = range(3)


@dataclass(frozen=True)
class KernelNumbers:
    """The fitted kernel as plain numbers (float64).

    Attributes:
        coef: ``[3, 4 + len(CONDITIONS)]``: the attacker's and the defender's ln daily
            casualty rate and the win's logit (rows), over intercept, ln force ratio,
            size, ln days and the conditions (columns, ``combat_fit.COLUMNS``).
        residual_sd: the attacker's and the defender's residual sd of the ln rates.
        residual_corr: their correlation ``rho``.
        size_unit: persons of the size covariate's unit.
        days: days of combat a week (``combat_fit.STEP_DAYS``).
    """

    coef: np.ndarray
    residual_sd: tuple[float, float]
    residual_corr: float
    size_unit: float
    days: float = STEP_DAYS

    def with_rate_factor(self, row: int, factor: float) -> KernelNumbers:
        """The same kernel with one row's intercept shifted by ``ln factor``.

        For the tests' deliberately wrong peers: ``row`` :data:`RATE_ATTACKER` and
        ``factor`` 2 doubles the attacker's casualty rate; :data:`WIN` multiplies the
        attacker's odds of winning.
        """
        coef = self.coef.copy()
        coef[row, 0] += math.log(factor)
        return KernelNumbers(coef, self.residual_sd, self.residual_corr, self.size_unit, self.days)


def kernel_numbers() -> KernelNumbers:
    """abm's stored fit (``combat.kernel()``) as :class:`KernelNumbers`."""
    k = kernel()
    return KernelNumbers(
        coef=np.array([k.attacker, k.defender, k.win], np.float64),
        residual_sd=(float(k.residual_sd[0]), float(k.residual_sd[1])),
        residual_corr=float(k.residual_corr),
        size_unit=float(k.size_unit),
    )


def run_statistics(
    out: dict[str, np.ndarray], men0: np.ndarray, layout: WarLayout, n_sectors: int
) -> dict[str, np.ndarray]:
    """Per-run statistics of the outcomes, float64 ``[R]`` each.

    Keys: ``survival/<side>`` (men left over men at the start, the side's alive
    divisions in the line); ``wins`` (the attacker's wins over all sectors and weeks);
    and for each sector ``k`` contested in every run (both sides have alive divisions
    there) ``wins/<k>`` (the attacker's wins there) and ``survival/<side>/<k>`` (the
    share of the side's men there that survived). ``<side>`` is ``attacker`` or
    ``defender``.
    """
    men0 = np.asarray(men0, np.float64)
    men = np.asarray(out["men"], np.float64)
    wins = np.asarray(out["attacker_wins"], np.float64)
    alive = men0 > ALIVE_MEN
    names = ((ATTACKER, "attacker"), (DEFENDER, "defender"))
    line = {
        side: alive & (layout.side == side)[None, :] & (layout.sector < n_sectors)[None, :]
        for side, _ in names
    }
    res: dict[str, np.ndarray] = {"wins": wins.sum(axis=1)}
    for side, name in names:
        res[f"survival/{name}"] = (men * line[side]).sum(axis=1) / (men0 * line[side]).sum(axis=1)
    for k in range(n_sectors):
        here = {side: line[side] & (layout.sector == k)[None, :] for side, _ in names}
        start = {side: (men0 * here[side]).sum(axis=1) for side, _ in names}
        if not all(np.all(start[side] > 0) for side, _ in names):
            continue  # one side absent in some run: never engaged there
        res[f"wins/{k}"] = wins[:, k]
        for side, name in names:
            res[f"survival/{name}/{k}"] = (men * here[side]).sum(axis=1) / start[side]
    return res


def quick_look(simulate: Any, default_runs: int, argv: list[str]) -> str:
    """A peer's ``__main__``: time ``simulate(scenario, men0, seed)`` once.

    ``argv``: ``[runs [mode]]`` (defaults ``default_runs``, ``monthly``). Returns the
    line to print: runs, mode, seconds and division-weeks per second.
    """
    import time

    runs = int(argv[0]) if argv else default_runs
    mode = argv[1] if len(argv) > 1 else "monthly"
    sc = WarScenario(mode=mode)
    m0 = initial_men(sc, runs)
    t0 = time.perf_counter()
    simulate(sc, m0, 0)
    dt = time.perf_counter() - t0
    return f"{runs} runs, {mode}: {dt:.2f} s, {agent_steps(sc, m0) / dt:.3g} division-weeks/s"
