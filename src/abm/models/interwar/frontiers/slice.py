"""The frontiers slice under the slice contract (:mod:`abm.engine.slices`).

The USSR's frontier wars of 1938-1940 (:mod:`.month`): Japanese probes at Khasan and
Khalkhin Gol, the battles there and their escalation into a Soviet-Japanese war or a
ceasefire, the entry into eastern Poland after a pact, and the Winter War with Finland,
fought with a combat kernel fitted on CDB90 (:mod:`.combat_fit`) in which the Red Army's
command quality after the purges sets its effectiveness: the model's first battlefield
anchor for ``red_army_quality_1941``.

Imports, through the port ``soviet``, the Red Army's command quality (superseding
``frontiers_soviet_quality``) and, through ``diplomacy``, the European war's month, the
pact and the alliance (superseding ``frontiers_war_year`` and ``frontiers_pact``) and,
through ``china``, the month Japan's full-scale war on China began (superseding
``frontiers_china_war_year``).
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
from abm.models.interwar.china.types import ChinaSignals
from abm.models.interwar.diplomacy.types import DiplomacySignals
from abm.models.interwar.frontiers import month as M
from abm.models.interwar.frontiers import theatres as T
from abm.models.interwar.frontiers.chronicle import chronicle
from abm.models.interwar.frontiers.types import FrontierSignals, FrontierState
from abm.models.interwar.soviet.signals import Influence
from abm.models.interwar.theta import ThetaReader
from abm.outcomes import EventOutcome, OutcomeSpec, QuantityOutcome

NAME = "frontiers"
FILE = "frontiers_parameters.yaml"
PACKAGE = "abm.models.interwar"
HEADLINE = ("winter_war", "winter_war_deaths", "japan_ussr_war")
#: Edges of the deaths histograms, persons (log-spaced, 100 to 1 million).
DEATH_EDGES = (0.0, 100.0, 300.0, 1e3, 3e3, 1e4, 3e4, 1e5, 2e5, 4e5, 1e6, 1e7)
#: Edges of the duration histograms, months.
MONTH_EDGES = (0.0, *(float(x) + 0.5 for x in range(0, M.WAR_MONTHS + 1)))


def catalogue() -> tuple[ParamDef, ...]:
    """The slice's parameters, in file order (no calibration file yet)."""
    return load_catalogue(FILE, "frontiers_calibration.yaml", {}, package=PACKAGE, slice_name=NAME)


OUTCOMES: tuple[OutcomeSpec, ...] = (
    EventOutcome("winter_war", "a Soviet-Finnish war (our timeline: 30 November 1939)"),
    QuantityOutcome(
        "winter_war_deaths",
        dims=("winter_war_side",),
        coords=(("USSR", "Finland"),),
        unit="persons",
        edges=DEATH_EDGES,
        scale=1.0,
        description="the Winter War's dead and missing, per side (0 without the war)",
        dim_labels=("side",),
    ),
    QuantityOutcome(
        "winter_war_months",
        dims=(),
        coords=(),
        unit="months",
        edges=MONTH_EDGES,
        scale=1.0,
        description="calendar months of the Winter War, its first to its last (0 without "
        "it; our timeline: November 1939 to March 1940, 5)",
    ),
    EventOutcome(
        "japan_ussr_war",
        "a border clash escalates into a Soviet-Japanese war (our timeline: never)",
    ),
    EventOutcome("khasan_clash", "fighting at Lake Khasan (our timeline: July 1938)"),
    EventOutcome("khalkhin_gol_clash", "fighting at Khalkhin Gol (our timeline: May 1939)"),
    QuantityOutcome(
        "border_clash_deaths",
        dims=("clash", "clash_side"),
        coords=(("khasan", "khalkhin_gol"), ("USSR", "Japan")),
        unit="persons",
        edges=DEATH_EDGES,
        scale=1.0,
        description="the clashes' dead and missing, per clash and side (0 without it)",
        dim_labels=("clash", "side"),
    ),
    EventOutcome(
        "soviet_invasion_poland",
        "the Red Army enters eastern Poland (our timeline: 17 September 1939)",
    ),
    EventOutcome(
        "baltic_annexation",
        "the USSR occupies the Baltic states (our timeline: 15-17 June 1940)",
    ),
    EventOutcome(
        "bessarabia_annexation",
        "the USSR takes Bessarabia from Romania (our timeline: 28 June 1940)",
    ),
)


def targets(calendar: Any) -> list[CoverageTarget]:
    """The figures the slice answers (fitted on ``interwar_international``, bar held-out rows)."""
    del calendar
    return checked_targets(
        [
            ("SUN_winter_war_dead", "winter_war_deaths", (0,), 1.0),
            ("FIN_winter_war_dead", "winter_war_deaths", (1,), 1.0),
            ("SUN_khasan_dead", "border_clash_deaths", (0, 0), 1.0),
            ("JPN_khasan_dead", "border_clash_deaths", (0, 1), 1.0),
            ("SUN_khalkhin_gol_dead", "border_clash_deaths", (1, 0), 1.0),
            ("JPN_khalkhin_gol_dead", "border_clash_deaths", (1, 1), 1.0),
            ("SUN_winter_war_months", "winter_war_months", (), 1.0),
        ],
        [
            ("EV_winter_war", "winter_war"),
            ("EV_poland_SUN", "soviet_invasion_poland"),
            ("EV_baltic_annexation", "baltic_annexation"),
            ("EV_bessarabia_annexation", "bessarabia_annexation"),
            ("EV_khasan", "khasan_clash"),
            ("EV_khalkhin_gol", "khalkhin_gol_clash"),
        ],
    )


class FrontierSlice(ThetaReader):
    """The frontiers slice over a calendar, indexing ``theta`` in the composed order.

    Args:
        calendar: the simulation calendar.
        params: the composed catalogue (the order of ``theta``).
    """

    name = NAME
    state_type = FrontierState
    n_agents = 2 * len(T.THEATRES)

    def __init__(self, calendar: Calendar, params: tuple[Any, ...]) -> None:
        super().__init__(calendar, params)
        self.outcome_specs = mark_headline(OUTCOMES, HEADLINE)
        self.tables = T.theatres()
        self.kernel = T.kernel()
        self.dim_sizes: dict[str, int] = {
            "theatre": len(T.THEATRES),
            "frontier_side": len(T.SIDES),
            "frontier_decision": len(T.DECISIONS),
            "annexation": len(T.ANNEXATIONS),
        }
        self.dim_coords: dict[str, tuple[Any, ...]] = {
            "theatre": T.THEATRES,
            "frontier_side": T.SIDES,
            "frontier_decision": T.DECISIONS,
            "annexation": T.ANNEXATIONS,
        }

    def init(self, key: jax.Array, theta: jax.Array) -> FrontierState:
        """Peace on every frontier at the calendar's first month."""
        del key, theta
        n = len(T.THEATRES)
        never = jnp.int32(-1)
        return FrontierState(
            month=jnp.int32(0),
            status=jnp.full(n, T.QUIET, jnp.int32),
            start=jnp.full(n, -1, jnp.int32),
            end=jnp.full(n, -1, jnp.int32),
            force=jnp.zeros((n, len(T.SIDES)), jnp.float32),
            dead=jnp.zeros((n, len(T.SIDES)), jnp.float32),
            casualties=jnp.zeros((n, len(T.SIDES)), jnp.float32),
            wins=jnp.zeros(n, jnp.int32),
            repulsed=jnp.zeros(n, jnp.int32),
            demand_month=never,
            poland_month=never,
            japan_war_month=never,
            annex_month=jnp.full(len(T.ANNEXATIONS), -1, jnp.int32),
        )

    def publish(self, state: FrontierState, theta: jax.Array) -> FrontierSignals:
        """Whether the Red Army is fighting, the wars' months, its dead so far."""
        del theta
        return FrontierSignals(
            fighting=jnp.any(state.status == T.FIGHTING).astype(jnp.float32),
            winter_war_month=state.start[T.FINLAND],
            japan_war_month=state.japan_war_month,
            soviet_dead=jnp.sum(state.dead[:, T.USSR]),
        )

    def inputs(
        self, state: FrontierState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> M.Inputs:
        """This month's inputs from the ports (or the slice's own parameters)."""
        soviet = imports.get("soviet")
        quality = (
            soviet.army_quality if soviet is not None else self.p(theta, "frontiers_soviet_quality")
        )
        dip = imports.get("diplomacy")
        if dip is not None:
            war_month = dip.war_month
            pact_month = dip.pact_month
            alliance = dip.alliance_month >= 0
        else:
            war_month = self.month_index(theta, "frontiers_war_year")
            pact_month = jnp.where(self.p(theta, "frontiers_pact") > 0.5, war_month, -1)
            alliance = jnp.bool_(False)
        china = imports.get("china")
        t = state.month
        return M.Inputs(
            quality=quality,
            war_month=war_month,
            pact=(pact_month >= 0) & (t >= pact_month),
            pact_month=pact_month,
            alliance=alliance & (t >= war_month),
            west_busy_month=self.month_index(theta, "frontiers_france_fall_year"),
            china_war_month=china.war_month
            if china is not None
            else self.month_index(theta, "frontiers_china_war_year"),
        )

    def advance(
        self, key: jax.Array, state: FrontierState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> FrontierState:
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
        self, state: FrontierState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes: the wars' first months (-1 never), deaths and duration."""
        del theta, imports
        fin = T.FINLAND
        began = state.start[fin] >= 0
        last = jnp.where(state.end[fin] >= 0, state.end[fin], state.month - 1)
        return {
            "winter_war": state.start[fin],
            "winter_war_deaths": state.dead[fin],
            "winter_war_months": jnp.where(began, last - state.start[fin] + 1, 0).astype(
                jnp.float32
            ),
            "japan_ussr_war": state.japan_war_month,
            "khasan_clash": state.start[T.KHASAN],
            "khalkhin_gol_clash": state.start[T.KHALKHIN_GOL],
            "border_clash_deaths": state.dead[jnp.array(T.CLASHES)],
            "soviet_invasion_poland": state.poland_month,
            "baltic_annexation": state.annex_month[0],
            "bessarabia_annexation": state.annex_month[1],
        }


def _build(calendar: Calendar, params: tuple[Any, ...]) -> FrontierSlice:
    return FrontierSlice(calendar, params)


SLICE = SliceDef(
    name=NAME,
    catalogue=catalogue,
    signal_type=FrontierSignals,
    ports={
        "soviet": Port(
            Influence,
            supersedes=("frontiers_soviet_quality",),
            doc="the Red Army's command quality after the purges",
        ),
        "diplomacy": Port(
            DiplomacySignals,
            supersedes=("frontiers_war_year", "frontiers_pact"),
            doc="the European war's month, the pact and the alliance of the 1939 crisis",
        ),
        "china": Port(
            ChinaSignals,
            supersedes=("frontiers_china_war_year",),
            doc="the month Japan's full-scale war on China began",
        ),
    },
    build=_build,
    catalogue_file=FILE,
    targets=targets,
    doc="frontiers: the clashes with Japan, eastern Poland and the Winter War, 1938-1940",
)

__all__ = ["HEADLINE", "SLICE", "FrontierSlice", "targets"]
