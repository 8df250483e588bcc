"""The Soviet slice's outcome catalogue (names from MODEL.md, plus a few it adds)."""

from __future__ import annotations

import numpy as np

from abm.engine.reducers import CategoryOutcome, EventOutcome, OutcomeSpec, QuantityOutcome
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.rule import END_CAUSES


def _edges(high: float, step: float) -> tuple[float, ...]:
    return tuple(float(x) for x in np.linspace(0.0, high, round(high / step) + 1))


def _years(years: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(str(y) for y in years)


def outcome_specs(
    harvest_years: tuple[int, ...], full_years: tuple[int, ...]
) -> tuple[OutcomeSpec, ...]:
    """Specs of the Soviet outcomes for a calendar's harvest and full years."""
    grain = _edges(150.0, 0.1)
    return (
        CategoryOutcome("soviet_leader", K.LEADER_CATEGORIES, "who holds power at the end of 1929"),
        EventOutcome("personal_dictatorship", "one Soviet leader holds personal power"),
        CategoryOutcome(
            "personal_rule_end",
            END_CAUSES,
            "how the first personal rule ended by June 1941 (none: it lasted, or never came)",
        ),
        EventOutcome("terror_wave", "a terror wave starts from 1934 (first such month)"),
        EventOutcome(
            "kmt_massacre", "the KMT breaks the First United Front by massacring Communists"
        ),
        QuantityOutcome(
            "famine_deaths",
            dims=("region_group",),
            dim_labels=("famine region group",),
            coords=(K.FAMINE_GROUPS,),
            unit="million persons",
            edges=_edges(20.0, 0.01),
            scale=1e6,
            description="excess deaths of the peasant blocs 1930-1934",
        ),
        QuantityOutcome(
            "terror_executions",
            dims=(),
            coords=(),
            unit="persons",
            edges=_edges(2e6, 1000.0),
            scale=1.0,
            description="executions in the terror 1936-1939",
        ),
        QuantityOutcome(
            "terror_arrests",
            dims=(),
            coords=(),
            unit="persons",
            edges=_edges(5e6, 2500.0),
            scale=1.0,
            description="arrests in the terror 1936-1939",
        ),
        QuantityOutcome(
            "officers_purged",
            dims=(),
            coords=(),
            unit="persons",
            edges=_edges(1.5e5, 100.0),
            scale=1.0,
            description="Red Army command staff discharged 1936-1939",
        ),
        QuantityOutcome(
            "officers_arrested",
            dims=(),
            coords=(),
            unit="persons",
            edges=_edges(6e4, 50.0),
            scale=1.0,
            description="of the discharged command staff, arrested 1936-1939",
        ),
        QuantityOutcome(
            "red_army_quality_1941",
            dims=(),
            coords=(),
            unit="index 0..1",
            edges=_edges(1.0, 0.001),
            scale=1e6,
            description="command quality of the Red Army in June 1941",
        ),
        QuantityOutcome(
            "red_army_strength",
            dims=("army_date",),
            dim_labels=("date of record",),
            coords=(K.ARMY_LABELS,),
            unit="thousand persons",
            edges=_edges(1e4, 10.0),
            scale=1e3,
            description="Red Army personnel on 1 January 1939 and in June 1941",
        ),
        QuantityOutcome(
            "comintern_cadres_lost",
            dims=(),
            coords=(),
            unit="fraction",
            edges=_edges(1.0, 0.001),
            scale=1e6,
            description="share of foreign communist cadres in the USSR lost in the terror",
        ),
        QuantityOutcome(
            "grain_harvest",
            dims=("harvest_year",),
            dim_labels=("harvest year",),
            coords=(_years(harvest_years),),
            unit="million tonnes",
            edges=grain,
            scale=1e4,
            description="USSR grain harvest",
        ),
        QuantityOutcome(
            "grain_procurement",
            dims=("harvest_year",),
            dim_labels=("harvest year",),
            coords=(_years(harvest_years),),
            unit="million tonnes",
            edges=grain,
            scale=1e4,
            description="grain procured by the state",
        ),
        QuantityOutcome(
            "grain_exports",
            dims=("harvest_year",),
            dim_labels=("harvest year",),
            coords=(_years(harvest_years),),
            unit="million tonnes",
            edges=_edges(30.0, 0.02),
            scale=1e4,
            description="USSR grain exports",
        ),
        QuantityOutcome(
            "steel_output",
            dims=("state", "output_year"),
            dim_labels=("power", "calendar year"),
            coords=(K.STATES, _years(full_years)),
            unit="million tonnes",
            edges=_edges(80.0, 0.05),
            scale=1e4,
            description="crude steel output",
        ),
        QuantityOutcome(
            "gdp",
            dims=("state", "output_year"),
            dim_labels=("power", "calendar year"),
            coords=(K.STATES, _years(full_years)),
            unit="billion 2011 international dollars",
            edges=_edges(3000.0, 1.0),
            scale=1e3,
            description="gross domestic product (Maddison Project 2020 units)",
        ),
        QuantityOutcome(
            "ccp_members",
            dims=("ccp_date",),
            dim_labels=("date of record",),
            coords=(K.CCP_LABELS,),
            unit="members",
            # 250-member bins to 500,000, then 20,000-member bins to 3 million (the war's
            # growth: 800,000 in 1940).
            edges=(*_edges(5e5, 250.0), *(float(x) for x in np.arange(5.2e5, 3.0e6 + 1, 2e4))),
            scale=1.0,
            description="CCP membership just before the KMT purge, at the end of 1927, 1937 "
            "and 1940, and in June 1941",
        ),
    )
