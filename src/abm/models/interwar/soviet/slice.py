"""The Soviet slice under the slice contract (:mod:`abm.engine.slices`).

Publishes :class:`~abm.models.interwar.soviet.signals.Influence` (the line and support
the leadership in power sends the KPD, and the Red Army's size and command quality for a
later war slice); imports, through the port ``germany``, when the
NSDAP took power (the threat of a Nazi Germany, and German rearmament's steel). Without
that port the slice runs as if no Nazi regime ever came. Through the port ``china`` the
China slice sets the CCP's membership change after the KMT's purge (superseding
``ccp_growth_after``); the slice publishes the CCP's members and the purge to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from abm.engine.slices import PolicyPresets, Port, SliceDef, mark_headline
from abm.models.catalogue import data_path
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.china.types import ChinaSignals
from abm.models.interwar.germany.signals import GermanySignals
from abm.models.interwar.parameters import (
    SOVIET_CALIBRATION,
    SOVIET_FILE,
    ParamDef,
    soviet_catalogue,
)
from abm.models.interwar.soviet import coalition, coverage
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.chronicle import chronicle
from abm.models.interwar.soviet.model import SovietModel, draw_month
from abm.models.interwar.soviet.outcomes import outcome_specs
from abm.models.interwar.soviet.signals import Influence
from abm.models.interwar.soviet.types import SovietState

NAME = "soviet"
#: Headline outcomes of the slice (shown first in reports).
HEADLINE = ("soviet_leader", "personal_dictatorship", "famine_deaths")


class SovietSlice:
    """The Soviet slice over a calendar, indexing ``theta`` in the composed order.

    Args:
        calendar: the simulation calendar (1924-01 to at least 1941-06).
        params: the composed catalogue (the order of ``theta``).
        exogenous: ``random`` or ``history`` (:mod:`abm.models.interwar.history`).
    """

    name = NAME
    state_type = SovietState

    def __init__(
        self, calendar: Calendar, params: tuple[ParamDef, ...], exogenous: str = "random"
    ) -> None:
        self.model = m = SovietModel(calendar, params, exogenous)
        self.calendar = calendar
        self.n_agents = m.n_agents
        self.outcome_specs = mark_headline(outcome_specs(m.harvest_years, m.full_years), HEADLINE)
        self.dim_sizes: dict[str, int] = {
            "faction": K.N_FACTIONS,
            "resource": coalition.N_RESOURCES,
            "region": m.regions.n,
            "year": len(calendar.year_labels),
            "state": len(K.STATES),
            "region_group": len(K.FAMINE_GROUPS),
            "army_date": len(K.ARMY_LABELS),
            "ccp_date": len(K.CCP_LABELS),
            "construction_stage": 2,
        }
        self.dim_coords: dict[str, tuple[Any, ...]] = {
            "faction": tuple(K.FACTIONS),
            "resource": coalition.RESOURCES,
            "region": tuple(m.regions.names),
            "year": tuple(int(y) for y in calendar.year_labels),
            "state": tuple(K.STATES),
            "region_group": tuple(K.FAMINE_GROUPS),
            "army_date": tuple(K.ARMY_LABELS),
            "ccp_date": tuple(K.CCP_LABELS),
        }

    def init(self, key: jax.Array, theta: jax.Array) -> SovietState:
        """State at the calendar's first month."""
        return self.model.init(key, theta)

    def publish(self, state: SovietState, theta: jax.Array) -> Influence:
        """The line and support the leadership in power sends the KPD this month."""
        return self.model.influence(state, theta)

    @staticmethod
    def _nazi_month(imports: Mapping[str, Any]) -> jax.Array:
        signals = imports.get("germany")
        return jnp.int32(-1) if signals is None else signals.nazi_month

    def advance(
        self, key: jax.Array, state: SovietState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> SovietState:
        """One month of one run (draws from ``key``, the slice's month key)."""
        china = imports.get("china")
        return self.model.advance(
            state,
            theta,
            draw_month(key),
            self._nazi_month(imports),
            None if china is None else china.ccp_growth,
        )

    def chronicle(self, states: Any, initial: Any) -> list[tuple[str, str]]:
        """Events of one run, ``(YYYY-MM, text)``, from its monthly states (NumPy)."""
        return chronicle(states, initial, self.calendar)

    def outcomes(
        self, state: SovietState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes of the slice (German rearmament's steel needs ``germany``)."""
        return self.model.outcomes(state, theta, self._nazi_month(imports))


def _build(calendar: Calendar, params: tuple[Any, ...], exogenous: str = "random") -> SovietSlice:
    return SovietSlice(calendar, params, exogenous)


SLICE = SliceDef(
    name=NAME,
    catalogue=soviet_catalogue,
    signal_type=Influence,
    ports={
        "germany": Port(
            GermanySignals, doc="when the NSDAP took power: the threat, German rearmament"
        ),
        "china": Port(
            ChinaSignals,
            supersedes=("ccp_growth_after",),
            doc="the CCP's membership change after the purge (its army's fortunes in China)",
        ),
    },
    build=_build,
    calibrate=coverage.calibrate,
    calibration_file=data_path(SOVIET_CALIBRATION),
    targets=coverage.targets,
    catalogue_file=SOVIET_FILE,
    presets=PolicyPresets(
        members=K.POLICY_FACTIONS,
        levers=K.POLICY_LEVERS,
        mean_member=next(f for f in K.FACTIONS if f not in K.POLICY_FACTIONS),
        member_word="faction",
    ),
    doc="the USSR: succession, industry, peasant blocs and famine, terror, the Comintern",
)

__all__ = ["HEADLINE", "SLICE", "SovietSlice"]
