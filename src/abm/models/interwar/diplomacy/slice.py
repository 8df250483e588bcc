"""The diplomacy slice under the slice contract (:mod:`abm.engine.slices`).

Sixteen states as agents (``states.STATES``): capabilities, threat perceptions, Munich,
the 1939 crisis and the sides of September 1939 (:mod:`.month`). Imports, through the
port ``germany``, when a Nazi government took power (superseding the slice's own
``diplomacy_nazi_year``) and, through ``soviet``, the Red Army's size, the Comintern's
activism abroad and the weights of the factions' policies in force (superseding
``diplomacy_comintern_export``; without the port Stalin's levers rule). Publishes
:class:`~abm.models.interwar.diplomacy.types.DiplomacySignals` for the slices to come
(the war). Its chance (which side a state's leaders prefer beyond the propensities, the
Western cabinets' and the Kremlin's choices) is drawn once at ``init``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from abm.engine.slices import CoverageTarget, Port, SliceDef, mark_headline
from abm.models.calendar import Calendar
from abm.models.catalogue import ParamDef, load_catalogue
from abm.models.interwar.checked_targets import checked_targets
from abm.models.interwar.diplomacy import month as M
from abm.models.interwar.diplomacy import states as S
from abm.models.interwar.diplomacy.chronicle import chronicle
from abm.models.interwar.diplomacy.types import DiplomacySignals, DiplomacyState
from abm.models.interwar.germany.signals import GermanySignals
from abm.models.interwar.soviet.constants import FACTIONS
from abm.models.interwar.soviet.signals import Influence
from abm.models.interwar.theta import ThetaReader, stalin_alone
from abm.outcomes import EventOutcome, OutcomeSpec, QuantityOutcome

NAME = "diplomacy"
FILE = "diplomacy_parameters.yaml"
PACKAGE = "abm.models.interwar"
#: Headline outcomes of the slice (shown first in reports).
HEADLINE = ("soviet_german_pact", "anti_fascist_alliance", "alignment_1939")
#: The Soviet options at the crisis, and the three chances drawn at init.
SOVIET_OPTIONS = ("pact", "alliance", "isolation")
DECISIONS = ("munich", "west_offer", "west_turns")


def catalogue() -> tuple[ParamDef, ...]:
    """The slice's parameters, in file order (no calibration file yet)."""
    return load_catalogue(
        FILE,
        "diplomacy_calibration.yaml",
        {"faction": FACTIONS},
        package=PACKAGE,
        slice_name=NAME,
    )


OUTCOMES: tuple[OutcomeSpec, ...] = (
    EventOutcome(
        "soviet_german_pact",
        "the USSR and Germany make a pact at the 1939 crisis (our timeline: 23 August 1939)",
    ),
    EventOutcome(
        "anti_fascist_alliance",
        "Britain, France and the USSR make an alliance against Germany at the 1939 crisis",
    ),
    EventOutcome(
        "western_intervention_vs_ussr",
        "the West turns against the USSR rather than Germany at the 1939 crisis",
    ),
    EventOutcome(
        "munich_appeasement",
        "the West gives way over Czechoslovakia (our timeline: Munich, 30 September 1938)",
    ),
    QuantityOutcome(
        "alignment_1939",
        dims=("country",),
        coords=(S.STATES,),
        unit="side (0 axis, 1 allied, 2 soviet, 3 neutral)",
        edges=(-0.5, 0.5, 1.5, 2.5, 3.5),
        scale=1.0,
        description="the side each state takes at the 1939 crisis: the histogram's four "
        "bins are axis, allied, soviet, neutral (neutral everywhere without a Nazi Germany)",
        dim_labels=("country",),
    ),
)


def targets(calendar: Any) -> list[CoverageTarget]:
    """What the slice answers (fitted on ``interwar_international``, bar held-out rows).

    The pact's and Munich's months, and each state's side of September 1939 as a
    category target (``ALIGN_1939_<state>``, group ``alignment``: the landscape-theory
    test of Axelrod and Bennett, who put 15 of 17 European states on their side). The
    prior of ``neutrality_value`` and Poland's place as the crisis's object were chosen
    looking at these sides, so they are in-sample checks.
    """
    del calendar
    dated = checked_targets(
        events=[("EV_MRP", "soviet_german_pact"), ("EV_munich", "munich_appeasement")]
    )
    sides = [
        CoverageTarget(
            tid,
            float(code),
            "alignment_1939",
            (S.STATES.index(state),),
            fitted=False,
            kind="category",
            source=f"{state}: {source} (diplomacy_states.csv)",
        )
        for tid, state, code, source in S.alignment_targets()
    ]
    return dated + sides


class DiplomacySlice(ThetaReader):
    """The diplomacy slice over a calendar, indexing ``theta`` in the composed order.

    Args:
        calendar: the simulation calendar.
        params: the composed catalogue (the order of ``theta``).
    """

    name = NAME
    state_type = DiplomacyState
    n_agents = S.N_STATES

    def __init__(self, calendar: Calendar, params: tuple[Any, ...]) -> None:
        super().__init__(calendar, params, ("pact_willingness", "collective_security"))
        self.outcome_specs = mark_headline(OUTCOMES, HEADLINE)
        self.tables = M.tables()
        self.dim_sizes: dict[str, int] = {
            "country": S.N_STATES,
            "other_country": S.N_STATES,
            "side": len(S.SIDES),
            "soviet_option": len(SOVIET_OPTIONS),
            "decision": len(DECISIONS),
        }
        self.dim_coords: dict[str, tuple[Any, ...]] = {
            "country": S.STATES,
            "other_country": S.STATES,
            "side": S.SIDES,
            "soviet_option": SOVIET_OPTIONS,
            "decision": DECISIONS,
        }

    def init(self, key: jax.Array, theta: jax.Array) -> DiplomacyState:
        """State at the calendar's first month, with the run's chance drawn once."""
        del theta
        k_side, k_choice, k_chance = jax.random.split(key, 3)
        never = jnp.int32(-1)
        return DiplomacyState(
            month=jnp.int32(0),
            capability=jnp.zeros(S.N_STATES, jnp.float32),
            threat=jnp.zeros((S.N_STATES, S.N_STATES), jnp.float32),
            side=jnp.full(S.N_STATES, -1, jnp.int32),
            munich_month=never,
            prague_month=never,
            war_month=never,
            pact_month=never,
            alliance_month=never,
            intervention_month=never,
            side_noise=jax.random.gumbel(k_side, (S.N_STATES, len(S.SIDES)), jnp.float32),
            choice_noise=jax.random.gumbel(k_choice, (len(SOVIET_OPTIONS),), jnp.float32),
            chance=jax.random.uniform(k_chance, (len(DECISIONS),), jnp.float32),
        )

    def publish(self, state: DiplomacyState, theta: jax.Array) -> DiplomacySignals:
        """The USSR's largest perceived threat and the crisis's decisions so far."""
        del theta
        return DiplomacySignals(
            ussr_threat=jnp.max(state.threat[S.USSR]),
            war_month=state.war_month,
            pact_month=state.pact_month,
            alliance_month=state.alliance_month,
            intervention_month=state.intervention_month,
        )

    def inputs(
        self, state: DiplomacyState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> M.Inputs:
        """This month's inputs from the ports (or the slice's own levers without them)."""
        t = state.month
        germany = imports.get("germany")
        if germany is not None:
            nazi_month = germany.nazi_month
        else:
            nazi_month = jnp.ceil(self.month_index(theta, "diplomacy_nazi_year")).astype(jnp.int32)
        cal = self.calendar
        year = cal.start_year + (cal.start_month - 1 + t) // 12
        year_index = jnp.clip(year - S.FIRST_YEAR, 0, S.LAST_YEAR - S.FIRST_YEAR)
        soviet = imports.get("soviet")
        if soviet is not None:
            recorded = jnp.asarray(self.tables.army)[year_index]
            army_ratio = soviet.army / recorded
            export = soviet.comintern_export
            weights = soviet.policy_weights
        else:
            army_ratio = jnp.float32(1.0)
            export = self.p(theta, "diplomacy_comintern_export")
            weights = stalin_alone()
        lever = lambda n: self.lever(theta, weights, n)  # noqa: E731
        return M.Inputs(
            nazi=(nazi_month >= 0) & (t >= nazi_month),
            army_ratio=army_ratio,
            comintern_export=export,
            pact_willingness=lever("pact_willingness"),
            collective_security=lever("collective_security"),
            year_index=year_index.astype(jnp.int32),
            munich_month=self.month_index(theta, "munich_year"),
            crisis_month=self.month_index(theta, "crisis_year"),
        )

    def advance(
        self,
        key: jax.Array,
        state: DiplomacyState,
        theta: jax.Array,
        imports: Mapping[str, Any],
    ) -> DiplomacyState:
        """One month of one run (no draws: the chance is in the state)."""
        del key
        params = {n: self.p(theta, n) for n in M.PARAMS}
        return M.advance(state, self.tables, self.inputs(state, theta, imports), params)

    def chronicle(self, states: Any, initial: Any) -> list[tuple[str, str]]:
        """Events of one run, ``(YYYY-MM, text)``, from its monthly states (NumPy)."""
        return chronicle(states, initial, self.calendar)

    def outcomes(
        self, state: DiplomacyState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes: the crisis's events (month, -1 never) and the sides."""
        del theta, imports
        side = jnp.where(state.side < 0, S.NEUTRAL, state.side)
        return {
            "soviet_german_pact": state.pact_month,
            "anti_fascist_alliance": state.alliance_month,
            "western_intervention_vs_ussr": state.intervention_month,
            "munich_appeasement": state.munich_month,
            "alignment_1939": side.astype(jnp.float32),
        }


def _build(calendar: Calendar, params: tuple[Any, ...]) -> DiplomacySlice:
    return DiplomacySlice(calendar, params)


SLICE = SliceDef(
    name=NAME,
    catalogue=catalogue,
    signal_type=DiplomacySignals,
    ports={
        "germany": Port(
            GermanySignals,
            supersedes=("diplomacy_nazi_year",),
            doc="when a Nazi government took power: Germany's regime and rearmament",
        ),
        "soviet": Port(
            Influence,
            supersedes=("diplomacy_comintern_export",),
            doc="the Red Army, the Comintern's activism abroad, the factions' weights",
        ),
    },
    build=_build,
    catalogue_file=FILE,
    targets=targets,
    doc="diplomacy: sixteen states, threat perception, Munich, the 1939 choice and sides",
)

__all__ = ["HEADLINE", "SLICE", "DiplomacySlice", "targets"]
