"""The whole interwar model: the Soviet slice drives the Weimar Germany slice.

Each month the Soviet leadership in power (at the start of the month) sets the KPD's
Comintern line and the support Comintern money and cadres give the KPD; the Soviet month
then runs with the threat from a Nazi Germany as it stood at the start of the month, and
the German month with the Soviet influence. Random streams: the Germany slice uses
streams 0 and 1 of the run's month key, the Soviet slice stream 2, so adding the Soviet
slice left the German draws as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.reducers import OutcomeSpec
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany.model import GermanyModel, draw_month
from abm.models.interwar.germany.types import GermanyState
from abm.models.interwar.parameters import interwar_catalogue
from abm.models.interwar.soviet import model as soviet_model
from abm.models.interwar.soviet.model import SovietModel
from abm.models.interwar.soviet.outcomes import outcome_specs
from abm.models.interwar.soviet.types import SovietState

#: Default calendar: Lenin's death to the eve of the German invasion of the USSR.
DEFAULT_CALENDAR = Calendar.from_strings("1924-01", "1941-06")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class InterwarState:
    """Whole state of one run."""

    germany: GermanyState
    soviet: SovietState


class InterwarModel:
    """The interwar model (Soviet Union and Weimar Germany), monthly.

    Args:
        calendar: the simulation calendar (1924-01 to at least 1941-06).
        replicas: the Germany slice's sub-constituencies per constituency (benchmarks).
    """

    name = "interwar"

    def __init__(self, calendar: Calendar | None = None, replicas: int = 1) -> None:
        self.calendar = calendar or DEFAULT_CALENDAR
        self.params = interwar_catalogue()
        self.param_names = tuple(p.name for p in self.params)
        self.germany = GermanyModel(self.calendar, replicas, self.params)
        self.soviet = SovietModel(self.calendar, self.params)
        self.n_months = self.calendar.n_months
        self.n_agents = self.germany.n_agents + self.soviet.n_agents
        self.outcome_specs: tuple[OutcomeSpec, ...] = (
            *self.germany.outcome_specs,
            *outcome_specs(self.soviet.harvest_years, self.soviet.full_years),
        )

    def init(self, key: jax.Array, theta: jax.Array) -> InterwarState:
        """State at the calendar's first month."""
        return InterwarState(
            germany=self.germany.init(jax.random.fold_in(key, 0), theta),
            soviet=self.soviet.init(jax.random.fold_in(key, 1), theta),
        )

    def step(self, key: jax.Array, state: InterwarState, theta: jax.Array) -> InterwarState:
        """One month of one run."""
        infl = self.soviet.influence(state.soviet, theta)
        soviet = self.soviet.advance(
            state.soviet, theta, soviet_model.draw_month(key), state.germany.polity.nazi_month
        )
        germany = self.germany.advance(
            state.germany,
            theta,
            draw_month(key, self.germany.layout.n_constituencies),
            infl.comintern_line,
            infl.kpd_support,
        )
        return InterwarState(germany=germany, soviet=soviet)

    def step_batch(
        self, keys: jax.Array, states: InterwarState, thetas: jax.Array
    ) -> InterwarState:
        """One month of a batch of runs (leading axis ``[N]``).

        See :meth:`GermanyModel.step_batch` for how elections are counted.
        """
        infl = jax.vmap(self.soviet.influence)(states.soviet, thetas)

        def soviet_month(
            key: jax.Array, s: SovietState, theta: jax.Array, nazi: jax.Array
        ) -> SovietState:
            return self.soviet.advance(s, theta, soviet_model.draw_month(key), nazi)

        soviet = jax.vmap(soviet_month)(
            keys, states.soviet, thetas, states.germany.polity.nazi_month
        )
        germany = self.germany.step_batch(
            keys, states.germany, thetas, infl.comintern_line, infl.kpd_support
        )
        return InterwarState(germany=germany, soviet=soviet)

    def outcomes(self, state: InterwarState, theta: jax.Array) -> dict[str, jax.Array]:
        """Per-run outcomes of both slices."""
        return {
            **self.germany.outcomes(state.germany, theta),
            **self.soviet.outcomes(state.soviet, theta, state.germany.polity.nazi_month),
        }
