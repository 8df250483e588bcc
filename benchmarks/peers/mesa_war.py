"""The war's weekly combat step in Mesa 3: divisions and sectors as agents, one run a model.

A peer of abm's war combat workload (:mod:`abm.bench.war`, on
``abm.models.interwar.war.combat``; the rules in :mod:`war_common`), for performance
comparisons, written as Mesa's own examples are: :class:`Division` and :class:`Sector`
are ``mesa.Agent`` subclasses, created with ``create_agents``; the model
(:class:`WarModel`, a ``mesa.Model``, one a run) calls them through the ``AgentSet`` API
(``do``) once per step, a month; and draws every random number from its own explicitly
seeded generator (``self.rng``, a NumPy ``Generator``). Arithmetic is Python floats
(``math``), one agent at a time.

A month: each sector forgets its men engaged, every division reports its men to its
sector (``Division.report``: alive and in the line), each sector fights the month's four
weeks (``Sector.fight``, a week's draws at a time: two standard normals and a uniform a
sector, ``[2, K]`` and ``[K]`` from ``self.rng``) and every division keeps its sector's
share (``Division.step``). In ``mode="monthly"`` (the default, as abm's) the weeks are
fought on the month's first totals and the divisions touched once a month; in
``mode="weekly"`` the divisions report and take their losses every week. Results agree
with abm statistically (different random streams), not bit for bit; with the same seed
a run equals the NumPy peer's float64 run of one division array (``tests``).

Entry point: :func:`simulate` (scenario, initial men ``[R, U]``, seed) -> per-run outcome
arrays (format in :mod:`war_common`), a plain loop over runs, each with its own seed.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

try:  # imported as benchmarks.peers.mesa_war
    from . import war_common as c
except ImportError:  # run as a script or with benchmarks/peers on sys.path
    import war_common as c  # type: ignore[no-redef]


class Division(mesa.Agent):
    """A division: its side in its sector, its sector and its men.

    Attributes:
        side: ``war_common.ATTACKER`` or ``DEFENDER``.
        sector: index of its sector (``K``: in reserve, it fights nowhere).
        men: thousand men.
        alive: it started with more than ``ALIVE_MEN`` thousand men.
    """

    def __init__(self, model: WarModel, side: int, sector: int, men: float):
        super().__init__(model)
        self.side = side
        self.sector = sector
        self.men = men
        self.alive = men > c.ALIVE_MEN

    def report(self) -> None:
        """Add its men to its sector's men engaged, if alive and in the line."""
        if self.alive and self.sector < self.model.n_sectors:
            self.model.sectors[self.sector].engaged[self.side] += self.men

    def step(self) -> None:
        """Keep its sector's and side's surviving share since the last report."""
        if self.sector < self.model.n_sectors:
            self.men *= self.model.sectors[self.sector].kept[self.side]


class Sector(mesa.Agent):
    """A contested sector: its conditions, men engaged, the share kept, the attacker's wins.

    Attributes:
        index: ``0 .. K - 1``.
        base: the three linear predictors' fixed part (intercept, ``ln T`` and the
            conditions): attacker's and defender's ln daily rate, the win's logit.
        engaged: thousand men engaged by the attacker and the defender at the report.
        kept: the shares of those men that survived since.
        wins: weeks the attacker won.
    """

    def __init__(self, model: WarModel, index: int, conditions: list[float]):
        super().__init__(model)
        kn = model.kernel
        self.index = index
        self.base = [
            row[0]
            + row[3] * math.log(kn.days)
            + sum(b * x for b, x in zip(row[4:], conditions, strict=True))
            for row in kn.coef.tolist()
        ]
        self.engaged = [0.0, 0.0]
        self.kept = [1.0, 1.0]
        self.wins = 0

    def forget(self) -> None:
        """Before the divisions report: no men engaged, nothing lost yet."""
        self.engaged = [0.0, 0.0]
        self.kept = [1.0, 1.0]

    def fight(self) -> None:
        """One week's engagement on the men still there, if both sides are present."""
        m, kn = self.model, self.model.kernel
        attacker = self.engaged[0] * self.kept[0]
        defender = self.engaged[1] * self.kept[1]
        if attacker <= 0.0 or defender <= 0.0:
            return
        z0, z1 = m.noise[0, self.index], m.noise[1, self.index]
        la, ld = math.log(max(attacker, 1e-3)), math.log(max(defender, 1e-3))
        ratio = la - ld
        size = 0.5 * (la + ld) + math.log(1000.0 / kn.size_unit)
        ca, cd, cw = m.coef
        sd_a, sd_d = kn.residual_sd
        rho = kn.residual_corr
        eta_a = self.base[0] + ca[1] * ratio + ca[2] * size + sd_a * z0
        eta_d = (
            self.base[1]
            + cd[1] * ratio
            + cd[2] * size
            + sd_d * (rho * z0 + math.sqrt(1.0 - rho * rho) * z1)
        )
        eta_w = self.base[2] + cw[1] * ratio + cw[2] * size
        self.kept[0] *= math.exp(-math.exp(eta_a) * kn.days)
        self.kept[1] *= math.exp(-math.exp(eta_d) * kn.days)
        if m.uniform[self.index] < 1.0 / (1.0 + math.exp(-eta_w)):
            self.wins += 1


class WarModel(mesa.Model):
    """One run of the war's combat: a step is a month of four weekly battles.

    Args:
        scenario: sizes, mode and layout seeds (``abm.bench.war.WarScenario``).
        men: ``[U]`` the divisions' initial men, thousand.
        seed: seed of ``self.rng``.
        kernel: the kernel's numbers (default: abm's fit).
        layout: the sides, sectors and conditions (default: ``war_layout(scenario)``).
    """

    def __init__(
        self,
        scenario: c.WarScenario,
        men: np.ndarray,
        seed: int | None = None,
        kernel: c.KernelNumbers | None = None,
        layout: c.WarLayout | None = None,
    ):
        super().__init__(seed=seed)
        layout = c.war_layout(scenario) if layout is None else layout
        self.kernel = c.kernel_numbers() if kernel is None else kernel
        self.coef = self.kernel.coef.tolist()
        self.scenario = scenario
        self.n_sectors = scenario.sectors
        self.month = 0
        self.sector_set = Sector.create_agents(
            self, self.n_sectors, list(range(self.n_sectors)), layout.conditions.T.tolist()
        )
        self.sectors = list(self.sector_set)  # by index
        self.divisions = Division.create_agents(
            self, len(men), layout.side.tolist(), layout.sector.tolist(), list(map(float, men))
        )
        self.noise = np.zeros((2, self.n_sectors))
        self.uniform = np.zeros(self.n_sectors)

    def draw_week(self) -> None:
        """The week's draws: standard normals ``[2, K]``, then uniforms ``[K]``."""
        self.noise = self.rng.standard_normal((2, self.n_sectors))
        self.uniform = self.rng.random(self.n_sectors)

    def step(self) -> None:
        """One month: four weeks of battle in every sector."""
        sectors = self.sector_set
        if self.scenario.mode == "weekly":
            for _ in range(c.WEEKS):
                sectors.do("forget")
                self.divisions.do("report")
                self.draw_week()
                sectors.do("fight")
                self.divisions.do("step")
        else:
            sectors.do("forget")
            self.divisions.do("report")
            for _ in range(c.WEEKS):
                self.draw_week()
                sectors.do("fight")
            self.divisions.do("step")
        self.month += 1
        if self.month >= self.scenario.months:
            self.running = False

    def outcomes(self) -> dict[str, np.ndarray]:
        """This run's outcomes: the divisions' men ``[U]``, the attacker's wins ``[K]``."""
        return {
            "men": np.array([d.men for d in self.divisions]),
            "attacker_wins": np.array([s.wins for s in self.sectors], np.int32),
        }


def simulate(
    scenario: c.WarScenario,
    men: np.ndarray,
    seed: int,
    kernel: c.KernelNumbers | None = None,
) -> dict[str, np.ndarray]:
    """Simulate the runs of ``men`` ``[R, U]``, one :class:`WarModel` after another.

    Run ``r`` is seeded with the ``r``-th word of ``numpy.random.SeedSequence(seed)``.

    Returns:
        ``men`` ``[R, U]`` after the months and ``attacker_wins`` ``[R, K]``.
    """
    layout = c.war_layout(scenario)
    kernel = c.kernel_numbers() if kernel is None else kernel
    seeds = np.random.SeedSequence(seed).generate_state(len(men), np.uint64)
    runs = []
    for run_men, run_seed in zip(np.asarray(men), seeds, strict=True):
        model = WarModel(scenario, run_men, seed=int(run_seed), kernel=kernel, layout=layout)
        model.run_model()
        runs.append(model.outcomes())
    return {key: np.stack([r[key] for r in runs]) for key in c.OUTCOMES}


if __name__ == "__main__":  # pragma: no cover - a quick look
    import sys

    print(c.quick_look(simulate, 4, sys.argv[1:]))
