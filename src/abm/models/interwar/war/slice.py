"""The war slice under the slice contract (:mod:`abm.engine.slices`): 1939-1945.

Army divisions (1,536 slots per run, in blocks per power) on the 81 front sectors of
``war_sectors.csv``, fighting month by month on the CDB90 kernel (:mod:`.month`). Step 1
of ``docs/war_design.md``: the declarations of war and each power's men in the field are
history's (``war_declarations.csv``, ``war_forces.csv``); where the front moves, who
takes which sector, the losses, and which powers collapse are the model's. Imports,
through the port ``soviet``, the Red Army's command quality after the purges
(superseding ``war_soviet_quality``). Idle before September 1939.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.slices import Port, SliceDef, mark_headline
from abm.errors import InputError
from abm.models.calendar import Calendar
from abm.models.catalogue import ParamDef, load_catalogue
from abm.models.interwar.soviet.signals import Influence
from abm.models.interwar.theta import ThetaReader
from abm.models.interwar.war import history as HI
from abm.models.interwar.war import month as M
from abm.models.interwar.war import powers as PW
from abm.models.interwar.war.chronicle import chronicle
from abm.models.interwar.war.combat import kernel
from abm.models.interwar.war.sectors import sector_table
from abm.models.interwar.war.types import WarSignals, WarState
from abm.outcomes import EventOutcome, OutcomeSpec, QuantityOutcome

NAME = "war"
FILE = "war_parameters.yaml"
PACKAGE = "abm.models.interwar"
HEADLINE = ("soviet_german_war", "france_falls", "germany_defeat", "war_military_deaths")
#: Edges of the deaths histograms, persons.
DEATH_EDGES = (0.0, 1e3, 1e4, 3e4, 1e5, 3e5, 1e6, 2e6, 3e6, 5e6, 8e6, 12e6, 2e7)
#: Edges of the dates' histograms, decimal years.
DATE_EDGES = tuple(1939.0 + 0.5 * i for i in range(14))
#: Cells of ``war_losses_1941``.
LOSSES_1941 = ("USSR_irrecoverable", "USSR_sanitary", "Germany_dead_missing")


def catalogue() -> tuple[ParamDef, ...]:
    """The slice's parameters, in file order (no calibration file yet)."""
    return load_catalogue(FILE, "war_calibration.yaml", {}, package=PACKAGE, slice_name=NAME)


def _date(name: str, power: str, ours: str) -> QuantityOutcome:
    """When ``power`` asked for an armistice, a decimal year where it did."""
    return QuantityOutcome(
        name,
        dims=(),
        coords=(),
        unit="decimal year",
        edges=DATE_EDGES,
        scale=1e3,
        masked=True,
        description=f"when {power} asked for an armistice, where it did (our timeline: {ours})",
    )


def outcome_specs(powers: tuple[str, ...]) -> tuple[OutcomeSpec, ...]:
    """The slice's outcomes (issue 15's public names; step 1's subset)."""
    return (
        EventOutcome(
            "general_war", "Germany at war with Britain or France (our timeline: September 1939)"
        ),
        EventOutcome(
            "soviet_german_war", "the USSR and Germany at war (our timeline: 22 June 1941)"
        ),
        EventOutcome("france_falls", "France asks for an armistice (our timeline: 17 June 1940)"),
        EventOutcome(
            "germany_defeat", "Germany asks for an armistice (our timeline: 7-8 May 1945)"
        ),
        EventOutcome(
            "red_army_in_germany",
            "the Red Army takes a sector that was German in 1939 (our timeline: East Prussia, "
            "October 1944 to January 1945)",
        ),
        EventOutcome(
            "red_army_reaches_rhine",
            "the Red Army takes a sector on the Rhine (our timeline: never)",
        ),
        _date("france_fall_date", "France", "1940.46"),
        _date("germany_defeat_date", "Germany", "1945.35"),
        QuantityOutcome(
            "war_military_deaths",
            dims=("war_power",),
            coords=(powers,),
            unit="persons",
            edges=DEATH_EDGES,
            scale=1.0,
            description="dead and missing in battle per power, from September 1939 to the "
            "calendar's end (the kernel's casualties times war_dead_share; step 1: no deaths "
            "outside battle, no prisoners' deaths)",
            dim_labels=("power",),
        ),
        QuantityOutcome(
            "war_losses_1941",
            dims=("war_loss",),
            coords=(LOSSES_1941,),
            unit="persons",
            edges=DEATH_EDGES,
            scale=1.0,
            description="the Soviet-German war from its start to December 1941: Soviet dead "
            "and missing, Soviet wounded, German dead and missing (all fronts; step 1: no "
            "prisoners taken in encirclements)",
            dim_labels=("loss",),
        ),
    )


class WarSlice(ThetaReader):
    """The war slice over a calendar, indexing ``theta`` in the composed order.

    Args:
        calendar: the simulation calendar.
        params: the composed catalogue (the order of ``theta``).
        capacity: division slots per run (a multiple of 128).
    """

    name = NAME
    state_type = WarState

    def __init__(
        self, calendar: Calendar, params: tuple[Any, ...], capacity: int = PW.CAPACITY
    ) -> None:
        super().__init__(calendar, params)
        missing = [n for n in M.PARAMS if n not in self.index]
        if missing:
            raise InputError(
                f"the war slice needs the parameter(s) {', '.join(missing)}; compose it with "
                "the frontiers slice (quality_per_effectiveness) as the model interwar_war does"
            )
        self.tables = M.build_tables(calendar, capacity)
        self.kernel = kernel()
        self.powers = PW.power_table()
        self.start = HI.war_history(calendar, capacity=capacity).start
        sec = sector_table()
        self.n_agents = int(capacity)
        self.outcome_specs = mark_headline(outcome_specs(self.powers.codes), HEADLINE)
        self.dim_sizes: dict[str, int] = {
            "war_division": int(capacity),
            "war_sector": len(sec.names),
            "war_power": len(self.powers.codes),
            "war_loss": len(LOSSES_1941),
        }
        self.dim_coords: dict[str, tuple[Any, ...]] = {
            "war_division": tuple(range(int(capacity))),
            "war_sector": sec.names,
            "war_power": self.powers.codes,
            "war_loss": LOSSES_1941,
        }
        self._france = self.powers.codes.index("FRN")
        self._germany = self.powers.codes.index("GMY")
        at_war = self.tables.at_war
        g, u, f = self.tables.gmy, self.tables.ukg, self.tables.frn
        general = np.flatnonzero(at_war[:, g, u] | at_war[:, g, f])
        #: The general war's month (history's declarations in step 1), -1 none.
        self._general = int(max(general[0], self.start)) if len(general) else -1

    def init(self, key: jax.Array, theta: jax.Array) -> WarState:
        """The map of September 1939, no divisions yet (they mobilise at the start)."""
        del key, theta
        return M.initial_state(self.tables)

    def publish(self, state: WarState, theta: jax.Array) -> WarSignals:
        """Whether the Soviet-German war is on; the share of its people the USSR holds."""
        del theta
        rus = self.tables.rus
        own = jnp.asarray(self.tables.owner_1939)
        people = jnp.asarray(self.tables.sector_people)
        lost = jnp.sum(jnp.where((own == rus) & (state.holder != rus), people, 0.0))
        on = (state.soviet_german_month >= 0) & (state.surrendered[rus] < 0)
        on = on & (state.surrendered[self._germany] < 0)
        return WarSignals(
            soviet_german_war=on.astype(jnp.float32),
            soviet_people_held=1.0 - lost / self.tables.people[rus],
        )

    def active_batch(self, states: WarState, thetas: jax.Array) -> jax.Array:
        """Whether any run of the batch has reached September 1939 (scalar bool)."""
        del thetas
        return jnp.any(states.month >= self.start)

    def idle(self, state: WarState) -> WarState:
        """What :meth:`advance` returns before September 1939: the month counted."""
        return dataclasses.replace(state, month=state.month + 1)

    def advance(
        self, key: jax.Array, state: WarState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> WarState:
        """One month of one run, on the slice's own month key."""
        soviet = imports.get("soviet")
        quality = soviet.army_quality if soviet is not None else self.p(theta, "war_soviet_quality")
        params = {n: self.p(theta, n) for n in M.PARAMS}
        draws = M.draw_month(key, self.dim_sizes["war_sector"])
        moved = M.advance(state, self.tables, self.kernel, quality, params, draws)
        before = state.month < self.start
        return jax.tree.map(lambda a, b: jnp.where(before, a, b), self.idle(state), moved)

    def chronicle(self, states: Any, initial: Any) -> list[tuple[str, str]]:
        """Events of one run, ``(YYYY-MM, text)``, from its monthly states (NumPy)."""
        return chronicle(states, initial, self.calendar, self.tables)

    def outcomes(
        self, state: WarState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes (event months, -1 never; deaths in persons)."""
        del theta, imports
        general_war = jnp.where(
            (self._general >= 0) & (state.month > self._general), self._general, -1
        ).astype(jnp.int32)
        fall = state.surrendered[self._france]
        defeat = state.surrendered[self._germany]
        year0, month0 = (int(x) for x in self.calendar.label(0).split("-")[:2])

        def decimal(m: jax.Array) -> jax.Array:
            return (year0 + (month0 - 0.5) / 12.0 + m.astype(jnp.float32) / 12.0).astype(
                jnp.float32
            )

        return {
            "general_war": general_war,
            "soviet_german_war": state.soviet_german_month,
            "france_falls": fall,
            "germany_defeat": defeat,
            "red_army_in_germany": state.red_army_germany_month,
            "red_army_reaches_rhine": state.red_army_rhine_month,
            "france_fall_date": decimal(fall),
            "france_fall_date/mask": fall >= 0,
            "germany_defeat_date": decimal(defeat),
            "germany_defeat_date/mask": defeat >= 0,
            "war_military_deaths": state.dead * 1000.0,
            "war_losses_1941": state.losses_1941 * 1000.0,
        }


def _build(calendar: Calendar, params: tuple[Any, ...], capacity: int = PW.CAPACITY) -> WarSlice:
    return WarSlice(calendar, params, capacity)


SLICE = SliceDef(
    name=NAME,
    catalogue=catalogue,
    signal_type=WarSignals,
    ports={
        "soviet": Port(
            Influence,
            supersedes=("war_soviet_quality",),
            doc="the Red Army's command quality after the purges (its effectiveness)",
        ),
    },
    build=_build,
    catalogue_file=FILE,
    doc="war: divisions on 81 front sectors, 1939-1945, on the CDB90 kernel (issue 15, step 1)",
)

__all__ = ["HEADLINE", "LOSSES_1941", "SLICE", "WarSlice", "outcome_specs"]
