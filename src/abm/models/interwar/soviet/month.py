"""One month of the Soviet slice (a mixin of :class:`~.model.SovietModel`).

Order within a month: the policy in force (from the leadership at the start of the
month), the peasant blocs (harvest and procurement in August), industry, terror and the
army, the CCP, then the succession struggle (which hears of the month's procurement
shortfall). Deterministic given the month's draws.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.models.interwar.soviet import (
    agriculture,
    china,
    coalition,
    grain,
    industry,
    leadership,
    policy_response,
    security,
)
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.types import SovietDraws, SovietState

#: Index of the KMT's break with the communists among the month's event draws.
EV_KMT = 3
#: Index of the terror wave's start among the month's event draws (the struggle's are in
#: :mod:`.leadership`).
EV_TERROR = 8
#: The collectivisation drive ("the Great Turn", November 1929) begins this long after the
#: plan starts. Assumption from the dates.
DRIVE_DELAY_YEARS = 1.0


def params_of(cls: Any, get: Any) -> Any:
    """A parameter dataclass filled by name: ``cls(**{field: get(field)})``."""
    return cls(**{f.name: get(f.name) for f in fields(cls)})


class SovietMonth:
    """The month's update; the model provides the parameters and the calendar tables."""

    army_months: np.ndarray
    ccp_months: np.ndarray
    december: np.ndarray
    decimal_month: np.ndarray
    depression: np.ndarray
    famine_window: np.ndarray
    harvest: np.ndarray
    land: agriculture.Land
    leader_month: int
    months_to_harvest: np.ndarray
    months_since_harvest: np.ndarray
    crop_year_index: np.ndarray
    quality_month: int
    terror_window: np.ndarray
    terror_from: np.ndarray
    year_index: np.ndarray

    if TYPE_CHECKING:

        def p(self, theta: jax.Array, name: str) -> jax.Array:
            """Scalar parameter ``name``."""
            ...

        def per_faction(self, theta: jax.Array, base: str) -> jax.Array:
            """Per-faction parameter ``base``."""
            ...

        def policy(self, state: SovietState, theta: jax.Array) -> jax.Array:
            """The policy vector in force."""
            ...

        def policies(self, theta: jax.Array) -> jax.Array:
            """Every faction's policy vector."""
            ...

        def threat(self, theta: jax.Array, t: jax.Array, nazi_month: jax.Array) -> jax.Array:
            """External threat at month ``t``."""
            ...

        def _month_float(self, theta: jax.Array, name: str) -> jax.Array:
            """A date parameter as a month index."""
            ...

    def advance(
        self,
        state: SovietState,
        theta: jax.Array,
        d: SovietDraws,
        nazi_month: jax.Array,
        ccp_growth: jax.Array | None = None,
    ) -> SovietState:
        """One month of one run given its draws (deterministic).

        Args:
            state: the state at the start of the month.
            theta: parameters, float32 ``[n_params]``.
            d: the month's draws.
            nazi_month: int32, month the NSDAP took power in Germany (-1 not yet).
            ccp_growth: the CCP's membership growth factor of the month after the purge,
                from the China slice (None: ``exp(ccp_growth_after)``).
        """
        p = lambda n: self.p(theta, n)  # noqa: E731
        t = state.month
        tf = t.astype(jnp.float32)
        yi = jnp.asarray(self.year_index)[t]
        v = self.policy(state, theta)
        plan = tf >= self._month_float(theta, "plan_start")
        drive = tf >= self._month_float(theta, "plan_start") + 12.0 * DRIVE_DELAY_YEARS
        threat = self.threat(theta, t, nazi_month)

        # Peasant blocs.
        cal = agriculture.Calendar(
            year_index=yi,
            years_since_1928=jnp.asarray(self.decimal_month)[t] - 1928.0,
            months_to_harvest=jnp.asarray(self.months_to_harvest)[t],
            months_since_harvest=jnp.asarray(self.months_since_harvest)[t],
            crop_year_index=jnp.asarray(self.crop_year_index)[t],
            harvest=jnp.asarray(self.harvest)[t],
            drive=drive,
            famine_window=jnp.asarray(self.famine_window)[t],
        )
        farm_policy = agriculture.FarmPolicy(
            pace=v[K.P_COLLECTIVISATION],
            competence=v[K.P_COMPETENCE],
            targeted=v[K.P_TARGETED],
            trade=v[K.P_TRADE],
            mechanisation=industry.mechanisation(state.industry.capacity, K.STEEL_1928),
            urban=grain.urban_population(
                jnp.asarray(self.decimal_month)[t] - 1924.0,
                state.industry.capacity,
                K.STEEL_1924,
                p("urban_growth"),
                p("urban_per_steel"),
            ),
            army=state.security.army,
            recruits=grain.recruits(state.industry.capacity, K.STEEL_1924, p("urban_per_steel")),
        )
        sh = state.shocks
        blocs, grain_state, ledger = agriculture.month(
            state.blocs,
            state.grain,
            state.ledger,
            sh.weather[yi],
            sh.regional[yi],
            cal,
            self.land,
            farm_policy,
            params_of(agriculture.FarmParams, p),
            params_of(policy_response.ResponseParams, p),
        )

        # Terror and the army (its intensity also slows industry).
        lead0 = state.leadership
        ins = security.Insecurity(
            residual=leadership.rivals_residual(lead0),
            alarm=lead0.alarm,
            disaster=lead0.disaster,
            severity=v[K.P_PURGE],
            personal_rule=lead0.ruler >= 0,
        )
        war = (nazi_month >= 0) & (tf >= self._month_float(theta, "europe_war_start"))
        sec, terror, discharged = security.month(
            state.security,
            t,
            ins,
            threat,
            war,
            d.events[EV_TERROR],
            jnp.asarray(self.terror_window)[t],
            jnp.asarray(self.terror_from)[t],
            t == self.quality_month,
            t == jnp.asarray(self.army_months),
            params_of(security.SecurityParams, p),
        )

        # Industry.
        ind = industry.month(
            state.industry,
            plan,
            v[K.P_INDUSTRIALISATION],
            v[K.P_TRADE],
            ledger.exports[jnp.maximum(yi - 1, 0)],
            jnp.asarray(self.depression)[t],
            threat,
            terror,
            sh.steel[yi],
            yi,
            params_of(industry.IndustryParams, p),
        )

        # The year's GDP, once its steel, harvest and herd are in (computed inside the
        # month, not in the outcomes, so that its bits do not depend on how the compiler
        # fuses the outcome reduction).
        gdp_now = industry.gdp(
            ind.steel[yi],
            ledger.harvest[yi],
            ledger.herd[yi],
            K.GRAIN_AREA_1928 * p("grain_yield"),
            K.GDP_1928,
            K.STEEL_1928,
            p("gdp_agri_share"),
            p("gdp_industry_elasticity"),
        )
        dec = jnp.asarray(self.december)[t]
        ind = replace(ind, gdp=ind.gdp.at[yi].set(jnp.where(dec, gdp_now, ind.gdp[yi])))

        # China.
        purge_at = self._month_float(theta, "kmt_purge_date")
        ch = china.month(
            state.china,
            (tf >= purge_at) & (tf - 1.0 < purge_at),
            v[K.P_CCP_INDEPENDENCE],
            v[K.P_EXPORT],
            d.events[EV_KMT],
            t == jnp.asarray(self.ccp_months),
            params_of(
                china.ChinaParams,
                lambda n: (
                    jnp.float32(0.0) if ccp_growth is not None and n == "ccp_growth_after" else p(n)
                ),
            ),
            t,
            ccp_growth,
        )

        # The succession struggle.
        g = leadership.SuccessionParams(
            **{
                f.name: p(f.name)
                for f in fields(leadership.SuccessionParams)
                if f.name != "propensity"
            },
            propensity=self.per_faction(theta, "personal_rule_propensity"),
        )
        pressures = leadership.Pressures(
            shortfall=jnp.where(cal.harvest, ledger.shortfall, 0.0),
            famine=ledger.deaths - state.ledger.deaths,
            discharged=discharged,
            terror=terror,
            year=jnp.asarray(self.decimal_month)[t],
        )
        lead = leadership.month(
            t,
            state.leadership,
            pressures,
            d.power,
            d.events,
            g,
            coalition.distances(self.policies(theta)),
            self.leader_month,
        )
        return SovietState(
            month=t + 1,
            leadership=lead,
            blocs=blocs,
            ledger=ledger,
            industry=ind,
            security=sec,
            china=ch,
            grain=grain_state,
            shocks=sh,
        )
