"""The Germany slice of a scenario on its own: what the peers reproduce.

A scenario runs the whole interwar model (:class:`~abm.models.interwar.model.InterwarModel`:
a Soviet slice that sets the KPD's Comintern line month by month, and the Weimar Germany
slice), with priors over the whole catalogue. The benchmark peers (``benchmarks/peers``)
re-implement the Germany slice alone, as ``docs/ODD.md`` describes it: the model of
:func:`abm.models.interwar.germany.parameters.catalogue`, whose Comintern line is one
scalar lever, ``comintern_united_front_line``, and whose KPD gets no Soviet support.

To compare like with like, :func:`germany_view` derives that Germany-only model from a
scenario: ``GermanyModel(scenario.calendar, replicas)`` over the Germany catalogue, each
Germany parameter with the scenario's prior, and ``comintern_united_front_line`` pinned
at the scenario's line for the leader preset's faction
(``comintern_united_front_line.<faction>``; the ``troika`` preset is Zinoviev's faction).
abm's side of every abm-vs-peer comparison (``abm bench``'s ratios, ``tests/test_peers``)
runs this model, and the peers sample these priors over the same calendar.

Since the Germany rebuild (issue 13) the united front forms from the KPD's line and the
SPD's willingness: the line is the one lever the Soviet slice supplies (pinned here at
the leader preset's faction's line, as above), while ``united_front_uptake``, the SPD
leadership's willingness, is a German parameter with the same prior under every leader
preset and is taken from the scenario like every other Germany parameter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from abm.engine.priors import Prior, PriorTable

if TYPE_CHECKING:
    import xarray as xr

    from abm.config import Scenario
    from abm.models.interwar.germany.model import GermanyModel

__all__ = [
    "LEADER_FACTIONS",
    "LINE_LEVER",
    "GermanyView",
    "germany_cube",
    "germany_priors",
    "germany_ranges",
    "germany_view",
    "leader_faction",
]

#: The Germany-only lever that the whole model replaces by one line per Soviet faction.
LINE_LEVER = "comintern_united_front_line"
#: Faction of each shipped leader preset, where the presets file cannot be read.
LEADER_FACTIONS = {
    "stalin": "stalin",
    "trotsky": "trotsky",
    "troika": "zinoviev",
    "zinoviev": "zinoviev",
    "bukharin": "bukharin",
}
#: Presets file of a scenario that names none (relative to the scenario file), as
#: ``abm.config.scenario`` reads it.
DEFAULT_PRESETS = "../presets/leaders.yaml"


def leader_faction(scenario: Scenario) -> str:
    """The faction of the scenario's leader preset (``troika`` -> ``zinoviev``).

    Read from the presets file the scenario names (its ``faction:``), else from the
    shipped presets' mapping :data:`LEADER_FACTIONS`.

    Raises:
        ValueError: if neither knows the leader.
    """
    leader = scenario.leader
    try:
        path = Path(scenario.path)
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        presets_file = Path(
            os.path.normpath(path.parent / str(raw.get("presets", DEFAULT_PRESETS)))
        )
        from abm.config.presets import load_presets

        presets = load_presets(presets_file)
    except Exception:  # a scenario built in memory, or a moved file: the shipped mapping
        presets = {}
    if leader in presets:
        return presets[leader].faction
    if leader in LEADER_FACTIONS:
        return LEADER_FACTIONS[leader]
    raise ValueError(f"leader preset {leader!r}: faction unknown")


def germany_ranges() -> dict[str, tuple[float, float]]:
    """Allowed ``[low, high]`` of every Germany-catalogue parameter, by name."""
    from abm.models.interwar.germany.parameters import catalogue

    return {p.name: (p.low, p.high) for p in catalogue()}


def germany_priors(scenario: Scenario) -> dict[str, Prior]:
    """Prior of every Germany-catalogue parameter, in catalogue order.

    The scenario's prior for each Germany parameter (``united_front_uptake``, the SPD's
    willingness, included: no leader preset sets it); ``comintern_united_front_line``
    pinned at the scenario's ``comintern_united_front_line.<faction>`` for the leader
    preset's faction.
    """
    from abm.models.interwar.germany.parameters import catalogue

    faction = leader_faction(scenario)
    out: dict[str, Prior] = {}
    for p in catalogue():
        if p.name == LINE_LEVER:
            out[p.name] = Prior.fixed(float(scenario.levers[f"{LINE_LEVER}.{faction}"]))
        else:
            out[p.name] = scenario.priors[p.name]
    return out


@dataclass(frozen=True)
class GermanyView:
    """The Germany slice of a scenario on its own.

    Attributes:
        scenario: the scenario it comes from.
        faction: the leader preset's faction, whose Comintern line the KPD follows.
        model: ``GermanyModel(scenario.calendar, replicas)`` over the Germany catalogue.
        priors: Germany-catalogue name -> prior, in catalogue order.
        ranges: Germany-catalogue name -> allowed ``(low, high)``.
    """

    scenario: Scenario
    faction: str
    model: GermanyModel
    priors: dict[str, Prior]
    ranges: dict[str, tuple[float, float]]

    @property
    def line(self) -> float:
        """The Comintern line (0..1) the KPD follows throughout."""
        return float(self.priors[LINE_LEVER].args["value"])

    def prior_table(self) -> PriorTable:
        """The priors as a single-point :class:`PriorTable`, in the model's theta order."""
        names = self.model.param_names
        return PriorTable.build([self.priors[n] for n in names], [self.ranges[n] for n in names])

    def tables(self) -> PriorTable:
        """:meth:`prior_table` stacked as a one-point sweep (what ``Runner.run`` takes)."""
        return PriorTable.stack([self.prior_table()])


def germany_view(scenario: Scenario, replicas: int = 1) -> GermanyView:
    """The Germany-only model of ``scenario`` (see the module docstring)."""
    from abm.models.interwar.germany.model import GermanyModel
    from abm.models.interwar.germany.parameters import catalogue

    return GermanyView(
        scenario=scenario,
        faction=leader_faction(scenario),
        model=GermanyModel(scenario.calendar, int(replicas), catalogue()),
        priors=germany_priors(scenario),
        ranges=germany_ranges(),
    )


def germany_cube(view: GermanyView, runs: int, seed: int = 0, chunk_size: int = 1024) -> xr.Dataset:
    """Simulate the Germany-only model of a view and return its cube (in memory)."""
    from abm.cube import build_cube
    from abm.engine.runner import Runner

    runner = Runner(view.model, chunk_size=min(int(chunk_size), int(runs)))
    acc = runner.run(int(seed), view.tables(), int(runs))
    provenance: dict[str, str | int | float] = {
        "scenario": view.scenario.name,
        "model": view.model.name,
        "faction": view.faction,
        "seed": int(seed),
        "runs_per_point": int(runs),
        "chunk_size": runner.chunk_size,
    }
    return build_cube(acc, view.model.outcome_specs, view.model.calendar, provenance)
