"""The Weimar Germany slice under the slice contract (:mod:`abm.engine.slices`).

Publishes :class:`GermanySignals` (when the NSDAP took power); imports, through the port
``comintern``, the Soviet leadership's :class:`~abm.models.interwar.soviet.slice.Influence`
(the KPD's line and Comintern support), which supersedes the slice's own
``comintern_united_front_line`` lever when wired.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax

from abm.engine.slices import Port, SliceDef, mark_headline
from abm.models.catalogue import data_path
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany import coverage, economy
from abm.models.interwar.germany.chronicle import chronicle
from abm.models.interwar.germany.model import GermanyModel, draw_month
from abm.models.interwar.germany.signals import GermanySignals
from abm.models.interwar.germany.types import GermanyState
from abm.models.interwar.parameters import (
    GERMANY_CALIBRATION,
    GERMANY_FILE,
    ParamDef,
    germany_catalogue,
)
from abm.models.interwar.soviet.signals import Influence

NAME = "germany"
#: Headline outcomes of the slice (shown first in reports).
HEADLINE = ("nazi_power", "german_civil_war")


class GermanySlice:
    """The Germany slice over a calendar, indexing ``theta`` in the composed order.

    Args:
        calendar: the simulation calendar (must reach December 1936).
        params: the composed catalogue (the order of ``theta``).
        replicas: sub-constituencies per constituency (capacity scaling for benchmarks;
            1 is the historical map of 35 constituencies and 210 voter blocs).
        exogenous: ``random`` or ``history`` (German unemployment as it came,
            :func:`.economy.unemployment_history`).
    """

    name = NAME
    state_type = GermanyState

    def __init__(
        self,
        calendar: Calendar,
        params: tuple[ParamDef, ...],
        replicas: int = 1,
        exogenous: str = "random",
    ) -> None:
        self.model = GermanyModel(calendar, replicas, params)
        self.model.unemployment_history = economy.unemployment_history(calendar, exogenous)
        m = self.model
        self.calendar = calendar
        self.n_agents = m.n_agents
        self.outcome_specs = mark_headline(m.outcome_specs, HEADLINE)
        self.dim_sizes: dict[str, int] = {
            "bloc": m.layout.n_blocs,
            "party": K.N_PARTIES,
            "constituency": m.layout.n_constituencies,
            "ballot": K.MAX_BALLOTS,
            "year": len(calendar.year_labels),
        }
        self.dim_coords: dict[str, tuple[Any, ...]] = {
            "party": tuple(K.PARTIES),
            "year": tuple(int(y) for y in calendar.year_labels),
        }
        if replicas == 1:  # the historical map's names (replicas split them)
            self.dim_coords["constituency"] = tuple(c[0] for c in K.CONSTITUENCIES)

    def init(self, key: jax.Array, theta: jax.Array) -> GermanyState:
        """State at the calendar's first month."""
        return self.model.init(key, theta)

    def publish(self, state: GermanyState, theta: jax.Array) -> GermanySignals:
        """When the NSDAP took power (-1 not yet)."""
        return GermanySignals(nazi_month=state.polity.nazi_month)

    @staticmethod
    def _line(imports: Mapping[str, Any]) -> tuple[jax.Array | None, jax.Array | None]:
        infl = imports.get("comintern")
        return (None, None) if infl is None else (infl.comintern_line, infl.kpd_support)

    def advance(
        self, key: jax.Array, state: GermanyState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> GermanyState:
        """One month of one run (draws from ``key``, the slice's month key)."""
        line, support = self._line(imports)
        draws = draw_month(key, self.model.layout.n_constituencies)
        return self.model.advance(state, theta, draws, line, support)

    def advance_batch(
        self, keys: jax.Array, states: GermanyState, thetas: jax.Array, imports: Mapping[str, Any]
    ) -> GermanyState:
        """One month of a batch: the vote count only where runs vote (``step_batch``)."""
        line, support = self._line(imports)
        return self.model.step_batch(keys, states, thetas, line, support)

    def chronicle(self, states: Any, initial: Any) -> list[tuple[str, str]]:
        """Events of one run, ``(YYYY-MM, text)``, from its monthly states (NumPy)."""
        return chronicle(states, initial, self.calendar)

    def outcomes(
        self, state: GermanyState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes of the slice."""
        del imports
        return self.model.outcomes(state, theta)


def _build(
    calendar: Calendar, params: tuple[Any, ...], replicas: int = 1, exogenous: str = "random"
) -> GermanySlice:
    return GermanySlice(calendar, params, replicas, exogenous)


SLICE = SliceDef(
    name=NAME,
    catalogue=germany_catalogue,
    signal_type=GermanySignals,
    ports={
        "comintern": Port(
            Influence,
            supersedes=("comintern_united_front_line",),
            doc="the KPD's line and Comintern support, from the Soviet leadership in power",
        )
    },
    build=_build,
    calibrate=coverage.calibrate,
    calibration_file=data_path(GERMANY_CALIBRATION),
    targets=coverage.targets,
    catalogue_file=GERMANY_FILE,
    doc="Weimar Germany 1924-1936: voter blocs, parties, economy, cabinets, elites, the left",
)

__all__ = ["HEADLINE", "SLICE", "GermanySignals", "GermanySlice"]
