"""The China slice under the slice contract (:mod:`abm.engine.slices`).

The CCP's army after the KMT's purge of 1927, the encirclement campaigns and the Long
March, the war over Manchuria (1931-33), the Second United Front, Japan's full-scale war
from 1937 and Soviet aid (:mod:`.month`), with the KMT's central army, the regional
militarists, the CCP's Red Army and Japan's army in China as its agents.

Imports, through the port ``soviet``, the KMT's purge and the CCP's members after it
(superseding ``china_purge_year`` and ``china_ccp_members_1927``) and the factions'
weights in the Soviet policy in force (which weigh the per-faction levers
``china_front_line`` and ``china_aid``; without the port Stalin's rule). Publishes
Japan's war month (for the frontiers slice) and the CCP's monthly membership growth factor (for
the Soviet slice, which owns ``ccp_members``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.slices import CoverageTarget, Port, SliceDef, mark_headline
from abm.models.calendar import Calendar
from abm.models.catalogue import ParamDef, load_catalogue
from abm.models.interwar.checked_targets import checked_targets
from abm.models.interwar.china import actors as A
from abm.models.interwar.china import month as M
from abm.models.interwar.china.chronicle import chronicle
from abm.models.interwar.china.types import ChinaSignals, ChinaState
from abm.models.interwar.frontiers.theatres import kernel
from abm.models.interwar.soviet.constants import FACTIONS as SOVIET_FACTIONS
from abm.models.interwar.soviet.signals import Influence
from abm.models.interwar.theta import ThetaReader, stalin_alone
from abm.outcomes import EventOutcome, OutcomeSpec, QuantityOutcome

NAME = "china"
FILE = "china_parameters.yaml"
PACKAGE = "abm.models.interwar"
HEADLINE = ("sino_japanese_war", "sino_japanese_war_deaths", "china_united_front")
#: Per-faction levers of the Soviet leadership read by this slice.
LEVERS = ("china_front_line", "china_aid")
#: Edges of the deaths histograms, persons.
DEATH_EDGES = (0.0, 1e3, 3e3, 1e4, 3e4, 1e5, 2e5, 4e5, 7e5, 1e6, 2e6, 5e6)
#: Edges of the CCP army histograms, thousand persons.
ARMY_EDGES = (0.0, 3.0, 10.0, 20.0, 40.0, 70.0, 100.0, 200.0, 300.0, 500.0, 800.0, 2000.0)


def catalogue() -> tuple[ParamDef, ...]:
    """The slice's parameters, in file order (no calibration file yet)."""
    return load_catalogue(
        FILE,
        "china_calibration.yaml",
        {"faction": SOVIET_FACTIONS},
        package=PACKAGE,
        slice_name=NAME,
    )


OUTCOMES: tuple[OutcomeSpec, ...] = (
    EventOutcome(
        "sino_japanese_war",
        "Japan's full-scale war on China begins (our timeline: Marco Polo Bridge, 7 July 1937)",
    ),
    QuantityOutcome(
        "sino_japanese_war_deaths",
        dims=("china_war_side",),
        coords=(A.WAR_SIDES,),
        unit="persons",
        edges=DEATH_EDGES,
        scale=1.0,
        description="battle deaths of Japan's full-scale war on China from its start to the "
        "calendar's end, per side (0 without the war)",
        dim_labels=("side",),
    ),
    EventOutcome(
        "manchuria_invasion",
        "Japan's army seizes Manchuria (our timeline: the Mukden incident, 18 September 1931)",
    ),
    QuantityOutcome(
        "manchuria_war_deaths",
        dims=("china_war_side",),
        coords=(A.WAR_SIDES,),
        unit="persons",
        edges=DEATH_EDGES,
        scale=1.0,
        description="battle deaths of the war over Manchuria, Shanghai and Rehe, per side "
        "(our timeline: December 1931 to May 1933)",
        dim_labels=("side",),
    ),
    QuantityOutcome(
        "chinese_civil_war_deaths",
        dims=("civil_side",),
        coords=(A.CIVIL_SIDES,),
        unit="persons",
        edges=DEATH_EDGES,
        scale=1.0,
        description="battle deaths of the KMT's campaigns against the CCP to the calendar's "
        "end, per side (our timeline: 1930-36, ended by the Second United Front)",
        dim_labels=("side",),
    ),
    EventOutcome("long_march", "the Red Army abandons its soviets (our timeline: 16 October 1934)"),
    EventOutcome(
        "china_united_front",
        "the KMT and the CCP unite against Japan (our timeline: Xi'an, 12 December 1936)",
    ),
    QuantityOutcome(
        "ccp_army",
        dims=("ccp_army_date",),
        coords=(A.CCP_ARMY_MONTHS,),
        unit="thousand persons",
        edges=ARMY_EDGES,
        scale=100.0,
        description="the CCP's men under arms before the Long March (1934-09), after it "
        "(1936-12) and in the war (1940-12)",
        dim_labels=("date",),
    ),
    QuantityOutcome(
        "china_occupied",
        dims=(),
        coords=(),
        unit="share of China's people",
        edges=tuple(x / 20 for x in range(0, 21)),
        scale=1e4,
        description="the share of China's people Japan holds at the calendar's end",
    ),
)


def targets(calendar: Any) -> list[CoverageTarget]:
    """The figures the slice answers (fitted on ``interwar_international``, bar held-out rows).

    The CCP's membership is the Soviet slice's ``ccp_members``, whose course after the
    purge this slice sets.
    """
    del calendar
    return checked_targets(
        [
            ("CCP_members_1927-12", "ccp_members", (1,), 1.0),
            ("CCP_members_1937", "ccp_members", (2,), 1.0),
            ("CCP_members_1940", "ccp_members", (3,), 1.0),
            ("CCP_army_1934", "ccp_army", (0,), 1e-3),
            ("CCP_army_1936", "ccp_army", (1,), 1e-3),
            ("CHN_JPN_1931_deaths_china", "manchuria_war_deaths", (0,), 1.0),
            ("CHN_JPN_1931_deaths_japan", "manchuria_war_deaths", (1,), 1.0),
            ("CHN_civil_war_deaths_government", "chinese_civil_war_deaths", (0,), 1.0),
            ("CHN_civil_war_deaths_communists", "chinese_civil_war_deaths", (1,), 1.0),
            ("CHN_JPN_1937_deaths_china", "sino_japanese_war_deaths", (0,), 1.0),
            ("CHN_JPN_1937_deaths_japan", "sino_japanese_war_deaths", (1,), 1.0),
        ],
        [
            ("EV_mukden", "manchuria_invasion"),
            ("EV_long_march", "long_march"),
            ("EV_xian", "china_united_front"),
            ("EV_marco_polo", "sino_japanese_war"),
        ],
    )


class ChinaSlice(ThetaReader):
    """The China slice over a calendar, indexing ``theta`` in the composed order.

    Args:
        calendar: the simulation calendar.
        params: the composed catalogue (the order of ``theta``).
    """

    name = NAME
    state_type = ChinaState
    n_agents = len(A.ACTORS)

    def __init__(self, calendar: Calendar, params: tuple[Any, ...]) -> None:
        super().__init__(calendar, params, LEVERS)
        self.outcome_specs = mark_headline(OUTCOMES, HEADLINE)
        self.kernel = kernel()
        self.men = A.men_under_arms(calendar)
        self.record_months = np.array([calendar.index_of(m) for m in A.CCP_ARMY_MONTHS], np.int32)
        self.dim_sizes: dict[str, int] = {
            "china_actor": len(A.ACTORS),
            "china_war_side": len(A.WAR_SIDES),
            "civil_side": len(A.CIVIL_SIDES),
            "china_battle": len(A.BATTLES),
            "china_decision": len(A.DECISIONS),
            "ccp_army_date": len(A.CCP_ARMY_MONTHS),
        }
        self.dim_coords: dict[str, tuple[Any, ...]] = {
            "china_actor": A.ACTORS,
            "china_war_side": A.WAR_SIDES,
            "civil_side": A.CIVIL_SIDES,
            "china_battle": A.BATTLES,
            "china_decision": A.DECISIONS,
            "ccp_army_date": A.CCP_ARMY_MONTHS,
        }

    def init(self, key: jax.Array, theta: jax.Array) -> ChinaState:
        """China at the calendar's start: the government's men split, no CCP army yet."""
        del key
        never = jnp.int32(-1)
        gov = jnp.float32(self.men.china[0])
        share = self.p(theta, "china_kmt_share_1928")
        return ChinaState(
            month=jnp.int32(0),
            strength=jnp.stack([gov * share, gov * (1.0 - share), 0.0, 0.0]).astype(jnp.float32),
            purge_month=never,
            ccp_phase=jnp.int32(A.BEFORE_PURGE),
            ccp_growth=jnp.float32(1.0),
            kmt_learning=jnp.float32(0.0),
            campaign_months=jnp.int32(0),
            march_month=never,
            manchuria_month=never,
            front_month=never,
            war_month=never,
            occupied=jnp.float32(0.0),
            aid=jnp.float32(0.0),
            manchuria_cas=jnp.zeros(len(A.WAR_SIDES), jnp.float32),
            war_cas=jnp.zeros(len(A.WAR_SIDES), jnp.float32),
            civil_cas=jnp.zeros(len(A.CIVIL_SIDES), jnp.float32),
            ccp_army=jnp.zeros(len(A.CCP_ARMY_MONTHS), jnp.float32),
        )

    def publish(self, state: ChinaState, theta: jax.Array) -> ChinaSignals:
        """Japan's war month, the CCP's last membership change, Japan's men in China."""
        del theta
        return ChinaSignals(
            war_month=state.war_month,
            ccp_growth=state.ccp_growth,
            japan_in_china=state.strength[A.JAPAN],
        )

    def inputs(self, state: ChinaState, theta: jax.Array, imports: Mapping[str, Any]) -> M.Inputs:
        """This month's inputs from the ports (or the slice's own levers without them)."""
        t = state.month
        soviet = imports.get("soviet")
        if soviet is not None:
            weights = soviet.policy_weights
            purged = soviet.ccp_purged > 0.5
            members = soviet.ccp_members
        else:
            weights = stalin_alone()
            purged = t > self.month_index(theta, "china_purge_year")
            members = self.p(theta, "china_ccp_members_1927")
        lever = lambda n: self.lever(theta, weights, n)  # noqa: E731
        return M.Inputs(
            purged=purged,
            members=members,
            front_line=lever("china_front_line"),
            aid=lever("china_aid"),
            china_men=jnp.asarray(self.men.china)[t],
            japan_men=jnp.asarray(self.men.japan)[t],
            campaign_month=self.month_index(theta, "china_campaign_year"),
            manchuria_month=self.month_index(theta, "china_manchuria_open"),
            record=t == jnp.asarray(self.record_months),
        )

    def advance(
        self, key: jax.Array, state: ChinaState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> ChinaState:
        """One month of one run, on the slice's own month key."""
        params = {n: self.p(theta, n) for n in M.PARAMS}
        draws = M.draw_month(key)
        return M.advance(state, self.kernel, self.inputs(state, theta, imports), params, draws)

    def chronicle(self, states: Any, initial: Any) -> list[tuple[str, str]]:
        """Events of one run, ``(YYYY-MM, text)``, from its monthly states (NumPy)."""
        return chronicle(states, initial, self.calendar)

    def outcomes(
        self, state: ChinaState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes (the dead: ``china_dead_share`` of the casualties)."""
        del imports
        dead = self.p(theta, "china_dead_share") * 1000.0
        return {
            "sino_japanese_war": state.war_month,
            "sino_japanese_war_deaths": dead * state.war_cas,
            "manchuria_invasion": state.manchuria_month,
            "manchuria_war_deaths": dead * state.manchuria_cas,
            "chinese_civil_war_deaths": dead * state.civil_cas,
            "long_march": state.march_month,
            "china_united_front": state.front_month,
            "ccp_army": state.ccp_army,
            "china_occupied": state.occupied,
        }


def _build(calendar: Calendar, params: tuple[Any, ...]) -> ChinaSlice:
    return ChinaSlice(calendar, params)


SLICE = SliceDef(
    name=NAME,
    catalogue=catalogue,
    signal_type=ChinaSignals,
    ports={
        "soviet": Port(
            Influence,
            supersedes=("china_purge_year", "china_ccp_members_1927"),
            doc="the KMT's purge and the CCP's members; the Soviet factions' policy weights",
        ),
    },
    build=_build,
    catalogue_file=FILE,
    targets=targets,
    doc="china: the CCP's army, the KMT's campaigns, Manchuria, the united front, Japan's war",
)

__all__ = ["HEADLINE", "SLICE", "ChinaSlice", "targets"]
