"""The Spain slice under the slice contract (:mod:`abm.engine.slices`).

The February 1936 election, the July rising and the civil war (:mod:`.month`), with the
Republic's parties and militias and the rising's army and movements as its agents.
Imports, through the port ``soviet``, the factions' weights in the Soviet policy in
force (which weigh this slice's per-faction levers ``popular_front_line``,
``left_repression`` and ``spain_aid``; without the port Stalin's rule) and, through
``germany``, when a Nazi government took power (superseding ``spain_nazi_year``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.slices import CoverageTarget, Port, SliceDef, mark_headline
from abm.models.calendar import Calendar
from abm.models.catalogue import ParamDef, load_catalogue
from abm.models.interwar.checked_targets import checked_targets
from abm.models.interwar.germany.signals import GermanySignals
from abm.models.interwar.soviet.constants import FACTIONS as SOVIET_FACTIONS
from abm.models.interwar.soviet.signals import Influence
from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain import front as FR
from abm.models.interwar.spain import month as M
from abm.models.interwar.spain import sectors as SE
from abm.models.interwar.spain import units as UN
from abm.models.interwar.spain.chronicle import chronicle
from abm.models.interwar.spain.types import SpainSignals, SpainState
from abm.models.interwar.theta import ThetaReader, stalin_alone
from abm.models.interwar.war.combat import kernel
from abm.outcomes import EventOutcome, OutcomeSpec, QuantityOutcome

NAME = "spain"
FILE = "spain_parameters.yaml"
PACKAGE = "abm.models.interwar"
HEADLINE = ("spanish_civil_war", "spanish_civil_war_winner", "spanish_civil_war_deaths")
#: Per-faction levers of the Soviet leadership read by this slice.
LEVERS = ("popular_front_line", "left_repression", "spain_aid")
#: Edges of the deaths histograms, persons.
DEATH_EDGES = (0.0, 1e3, 3e3, 1e4, 2e4, 5e4, 1e5, 2e5, 3e5, 5e5, 1e6, 3e6)
#: Edges of the foreign troops histograms, thousand persons.
TROOP_EDGES = (0.0, 1.0, 3.0, 10.0, 20.0, 40.0, 80.0, 150.0, 300.0, 1000.0)


def catalogue() -> tuple[ParamDef, ...]:
    """The slice's parameters, in file order (no calibration file yet)."""
    return load_catalogue(
        FILE,
        "spain_calibration.yaml",
        {"faction": SOVIET_FACTIONS},
        package=PACKAGE,
        slice_name=NAME,
    )


OUTCOMES: tuple[OutcomeSpec, ...] = (
    EventOutcome(
        "spanish_civil_war", "the Spanish Civil War breaks out (our timeline: 17-18 July 1936)"
    ),
    QuantityOutcome(
        "spanish_civil_war_winner",
        dims=(),
        coords=(),
        unit="winner (0 none, 1 republic, 2 nationalist)",
        edges=(-0.5, 0.5, 1.5, 2.5),
        scale=1.0,
        description="who won the civil war by the calendar's end: the histogram's three bins "
        "are none (no war, or not over), republic, nationalist (our timeline: nationalist, "
        "1 April 1939)",
    ),
    EventOutcome(
        "spanish_civil_war_end", "the Spanish Civil War ends (our timeline: 1 April 1939)"
    ),
    QuantityOutcome(
        "spanish_civil_war_deaths",
        dims=("spain_deaths",),
        coords=(("total", "repression_nationalist", "repression_republican"),),
        unit="persons",
        edges=DEATH_EDGES,
        scale=1.0,
        description="the war's dead: in battle and in both rearguards (total), killed in "
        "the Nationalist and in the Republican rearguard (0 without the war)",
        dim_labels=("deaths",),
    ),
    QuantityOutcome(
        "spain_foreign_troops",
        dims=("donor",),
        coords=(F.DONORS,),
        unit="thousand persons",
        edges=TROOP_EDGES,
        scale=1000.0,
        description="foreign troops sent over the war, per donor (0 without the war)",
        dim_labels=("donor",),
    ),
    EventOutcome(
        "spain_popular_front",
        "a Popular Front contests the Spanish election (our timeline: February 1936)",
    ),
    QuantityOutcome(
        "spain_left_vote_share",
        dims=(),
        coords=(),
        unit="share of votes",
        edges=tuple(x / 20 for x in range(0, 21)),
        scale=1e4,
        description="the left's share of the votes at the February 1936 election (our "
        "timeline: the Popular Front, 47.03 %)",
    ),
    QuantityOutcome(
        "spain_left_seats",
        dims=(),
        coords=(),
        unit="seats of 473",
        edges=tuple(float(x) for x in range(0, 481, 40)),
        scale=10.0,
        description="the left's seats at the February 1936 election (our timeline: the "
        "Popular Front, 263 at the first count)",
    ),
    EventOutcome(
        "spain_may_days",
        "the Republic's factions fight each other (our timeline: Barcelona, 3-8 May 1937)",
    ),
)


def targets(calendar: Any) -> list[CoverageTarget]:
    """The figures the slice answers (fitted on ``interwar_international``, bar held-out rows)."""
    del calendar
    return checked_targets(
        [
            ("ESP_1936_PF_share", "spain_left_vote_share", (), 0.01),
            ("ESP_1936_PF_seats", "spain_left_seats", (), 1.0),
            ("ESP_CW_deaths_total", "spanish_civil_war_deaths", (0,), 1.0),
            ("ESP_CW_repression_nationalist", "spanish_civil_war_deaths", (1,), 1.0),
            ("ESP_CW_repression_republican", "spanish_civil_war_deaths", (2,), 1.0),
            ("ESP_CW_troops_italy", "spain_foreign_troops", (F.ITALY,), 1e-3),
            ("ESP_CW_troops_germany", "spain_foreign_troops", (F.GERMANY,), 1e-3),
            ("ESP_CW_troops_ussr", "spain_foreign_troops", (F.USSR,), 1e-3),
            ("ESP_CW_international_brigades", "spain_foreign_troops", (F.BRIGADES,), 1e-3),
        ],
        [
            ("ESP_CW_start", "spanish_civil_war"),
            ("ESP_CW_end", "spanish_civil_war_end"),
            ("EV_ESP_may_days", "spain_may_days"),
        ],
    )


class SpainSlice(ThetaReader):
    """The Spain slice over a calendar, indexing ``theta`` in the composed order.

    Args:
        calendar: the simulation calendar.
        params: the composed catalogue (the order of ``theta``).
    """

    name = NAME
    state_type = SpainState
    #: The factions and the unit slots (brigades and the donors' contingents).
    n_agents = len(F.FACTIONS) + UN.N_UNITS

    def __init__(self, calendar: Calendar, params: tuple[Any, ...]) -> None:
        super().__init__(calendar, params, LEVERS)
        self.outcome_specs = mark_headline(OUTCOMES, HEADLINE)
        self.tables = F.faction_data()
        self.kernel = kernel()
        #: float32 ``[T]``: 1 in the calendar's Decembers, Januaries and Februaries.
        self.winter = np.array([m in (12, 1, 2) for m in calendar.months], np.float32)
        self.dim_sizes: dict[str, int] = {
            "spain_faction": len(F.FACTIONS),
            "donor": len(F.DONORS),
            "war_side": len(F.WAR_SIDES),
            "spain_decision": len(F.DECISIONS),
            "spain_toll": 2,
            "spain_engagement": 2,
            "spain_sector": SE.N_SECTORS,
            "spain_unit": UN.N_UNITS,
            "spain_week": FR.WEEKS,
        }
        self.dim_coords: dict[str, tuple[Any, ...]] = {
            "spain_faction": F.FACTIONS,
            "donor": F.DONORS,
            "war_side": F.WAR_SIDES,
            "spain_decision": F.DECISIONS,
            "spain_toll": ("battle", "rearguard"),
            "spain_engagement": ("republic_offensive", "nationalist_offensive"),
            "spain_sector": SE.sector_data().names,
            "spain_unit": tuple(range(UN.N_UNITS)),
            "spain_week": tuple(range(1, FR.WEEKS + 1)),
        }

    def init(self, key: jax.Array, theta: jax.Array) -> SpainState:
        """Spain before the 1936 election."""
        del key, theta
        never = jnp.int32(-1)
        return SpainState(
            month=jnp.int32(0),
            popular_front_month=never,
            left_vote=jnp.float32(0.0),
            left_seats=jnp.float32(0.0),
            rising_month=never,
            war_month=never,
            end_month=never,
            winner=jnp.int32(F.NO_WINNER),
            held=jnp.float32(0.0),
            strength=jnp.zeros(len(F.FACTIONS), jnp.float32),
            cohesion=jnp.float32(0.0),
            may_days_month=never,
            foreign=jnp.zeros(len(F.DONORS), jnp.float32),
            battle_dead=jnp.zeros(len(F.WAR_SIDES), jnp.float32),
            repression=jnp.zeros(len(F.WAR_SIDES), jnp.float32),
            month_dead=jnp.zeros((2, len(F.WAR_SIDES)), jnp.float32),
            control=jnp.zeros(SE.N_SECTORS, jnp.float32),
            unit_men=jnp.zeros(UN.N_UNITS, jnp.float32),
            unit_owner=jnp.asarray(UN.unit_data().owner),
            unit_sector=jnp.full(UN.N_UNITS, SE.N_SECTORS, jnp.int32),
            unit_alive=jnp.zeros(UN.N_UNITS, bool),
            front_men=jnp.zeros((2, SE.N_SECTORS), jnp.float32),
            attacker=jnp.full(SE.N_SECTORS, 2, jnp.int32),
        )

    def publish(self, state: SpainState, theta: jax.Array) -> SpainSignals:
        """Whether the war is on, its winner so far, the Soviet personnel sent."""
        del theta
        return SpainSignals(
            at_war=((state.war_month >= 0) & (state.winner == F.NO_WINNER)).astype(jnp.float32),
            winner=state.winner,
            soviet_aid=state.foreign[F.USSR],
        )

    def inputs(self, state: SpainState, theta: jax.Array, imports: Mapping[str, Any]) -> M.Inputs:
        """This month's inputs from the ports (or the slice's own levers without them)."""
        soviet = imports.get("soviet")
        if soviet is not None:
            weights = soviet.policy_weights
        else:
            weights = stalin_alone()
        lever = lambda n: self.lever(theta, weights, n)  # noqa: E731
        germany = imports.get("germany")
        if germany is not None:
            nazi_month = germany.nazi_month
        else:
            nazi_month = jnp.ceil(self.month_index(theta, "spain_nazi_year")).astype(jnp.int32)
        t = state.month
        return M.Inputs(
            front_line=lever("popular_front_line"),
            repression=lever("left_repression"),
            aid=lever("spain_aid"),
            nazi=(nazi_month >= 0) & (t >= nazi_month),
            election_month=self.month_index(theta, "spain_election_year"),
            rising_month=self.month_index(theta, "spain_rising_year"),
            winter=jnp.asarray(self.winter)[jnp.minimum(t, len(self.winter) - 1)],
        )

    def active_batch(self, states: SpainState, thetas: jax.Array) -> jax.Array:
        """Whether any run of the batch has reached its election month (scalar bool).

        Before it, :meth:`advance` only counts the month (:meth:`idle`), so the engine
        skips the slice's month for the whole batch (about 150 of the 210 months).
        """
        first = jax.vmap(lambda th: self.month_index(th, "spain_election_year"))(thetas)
        return jnp.any(states.month >= first)

    def idle(self, state: SpainState) -> SpainState:
        """What :meth:`advance` returns before the election: the month counted, no more."""
        return dataclasses.replace(state, month=state.month + 1)

    def advance(
        self, key: jax.Array, state: SpainState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> SpainState:
        """One month of one run, on the slice's own month key."""
        params = {n: self.p(theta, n) for n in M.PARAMS}
        draws = M.draw_month(key)
        return M.advance(
            state, self.tables, self.kernel, self.inputs(state, theta, imports), params, draws
        )

    def chronicle(self, states: Any, initial: Any) -> list[tuple[str, str]]:
        """Events of one run, ``(YYYY-MM, text)``, from its monthly states (NumPy)."""
        return chronicle(states, initial, self.calendar)

    def outcomes(
        self, state: SpainState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes."""
        del theta, imports
        # The totals and the last month's dead (state.month_dead), added here once.
        repression = state.repression + state.month_dead[1]
        battle = state.battle_dead + state.month_dead[0]
        total = (battle[0] + battle[1]) + (repression[0] + repression[1])
        return {
            "spanish_civil_war": state.war_month,
            "spanish_civil_war_winner": state.winner.astype(jnp.float32),
            "spanish_civil_war_end": state.end_month,
            "spanish_civil_war_deaths": jnp.stack([total, repression[1], repression[0]]),
            "spain_foreign_troops": state.foreign,
            "spain_popular_front": state.popular_front_month,
            "spain_left_vote_share": state.left_vote,
            "spain_left_seats": state.left_seats,
            "spain_may_days": state.may_days_month,
        }


def _build(calendar: Calendar, params: tuple[Any, ...]) -> SpainSlice:
    return SpainSlice(calendar, params)


SLICE = SliceDef(
    name=NAME,
    catalogue=catalogue,
    signal_type=SpainSignals,
    ports={
        "soviet": Port(
            Influence,
            doc="the Soviet factions' weights in the policy in force",
        ),
        "germany": Port(
            GermanySignals,
            supersedes=("spain_nazi_year",),
            doc="when a Nazi government took power (Germany's aid to the rising)",
        ),
    },
    build=_build,
    catalogue_file=FILE,
    targets=targets,
    doc="spain: the 1936 election, the rising, the civil war, foreign aid, repression",
)

__all__ = ["HEADLINE", "SLICE", "SpainSlice", "targets"]
