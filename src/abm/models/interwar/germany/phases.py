"""The phases of the Germany slice's month: before the election, the vote, after it.

:class:`MonthPhases` is a mixin of :class:`~abm.models.interwar.germany.model.GermanyModel`:
``before_election`` (economy, crisis, blocs, organisation, paramilitaries, violence, and
whether an election is due), ``election`` (the vote count), ``after_election`` (the
records and the regime month of :mod:`.government`). Deterministic given the draws.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany import economy, government, voters
from abm.models.interwar.germany.draws import Election
from abm.models.interwar.germany.types import (
    Economy,
    GermanyState,
    MonthDraws,
    Polity,
)


class MonthPhases:
    """The month's phases; the model provides the parameters and the calendar tables."""

    calendar: Calendar
    layout: voters.Layout
    hindenburg_month: int
    month_1936: int
    months_since_1924: np.ndarray
    recovery_start: float
    slot_months: np.ndarray
    year_index: np.ndarray
    years_since_1924: np.ndarray
    #: German unemployment as it came and where known (``exogenous: history``), or None.
    unemployment_history: tuple[np.ndarray, np.ndarray] | None = None

    if TYPE_CHECKING:

        def p(self, theta: jax.Array, name: str) -> jax.Array:
            """Scalar parameter ``name``."""
            ...

        def vec(self, theta: jax.Array, name: str) -> jax.Array:
            """Per-party parameter vector ``name``."""
            ...

        def government_params(
            self, theta: jax.Array, t: jax.Array, line: jax.Array | None = None
        ) -> government.GovernmentParams:
            """The regime month's parameters."""
            ...

    def _unemployment_trend(self, theta: jax.Array, t: jax.Array) -> jax.Array:
        p = lambda n: self.p(theta, n)  # noqa: E731
        onset = (p("depression_onset") - self.calendar.start_year) * 12.0 - (
            self.calendar.start_month - 1
        )
        return economy.unemployment_path(
            t,
            p("unemployment_base"),
            p("depression_severity"),
            onset,
            p("depression_rise_months"),
            jnp.float32(self.recovery_start),
            p("recovery_months"),
        )

    def _logits(
        self,
        theta: jax.Array,
        effect: jax.Array,
        rad: jax.Array,
        org: jax.Array,
        years: jax.Array,
        drift_n: jax.Array,
        drift_r: jax.Array,
    ) -> jax.Array:
        mobilisation = jnp.log(org[K.NSDAP] / self.p(theta, "nsdap_organisation_initial"))
        return voters.bloc_logits(
            self.vec(theta, "intercept"),
            effect,
            rad,
            mobilisation,
            years,
            drift_n,
            drift_r,
            self.vec(theta, "crisis_loading"),
            self.vec(theta, "mobilisation_loading"),
            self.vec(theta, "trend"),
            self.layout,
        )

    def before_election(
        self,
        state: GermanyState,
        theta: jax.Array,
        d: MonthDraws,
        kpd_support: jax.Array | None = None,
    ) -> tuple[GermanyState, jax.Array, jax.Array]:
        """Economy, blocs, parties and violence of the month; whether an election is due.

        ``kpd_support`` multiplies the KPD's paramilitary strength (Comintern money and
        cadres, from the Soviet slice); None means 1.

        Returns:
            ``(mid_state, slot_due, hold)``: the state with this month's economy, blocs,
            parties and violence (the polity otherwise as it was); whether an election
            slot falls due; whether the regime holds that election.
        """
        p = lambda n: self.p(theta, n)  # noqa: E731
        b, pa, ec, po = state.blocs, state.parties, state.economy, state.polity
        t = po.month
        tf = t.astype(jnp.float32)

        # Economy and crisis.
        noise = p("unemployment_noise_persistence") * ec.noise + p("unemployment_noise_sd") * (
            d.unemployment
        )
        trend = self._unemployment_trend(theta, tf)
        noise = economy.follow_history(noise, trend, t, self.unemployment_history)
        unemployed = jnp.maximum(trend + noise, 0.05)
        since = jnp.asarray(self.months_since_1924)[t]
        crisis = economy.crisis_index(
            since,
            unemployed,
            p("labour_force"),
            p("hyperinflation_aftershock"),
            p("aftershock_months"),
        )

        # Voter blocs.
        size = voters.redistribute_unemployed(b.size, unemployed, self.layout)
        rad = voters.update_radicalisation(
            b.radicalisation, crisis, p("radicalisation_months"), self.layout
        )

        # Parties: the NSDAP organises in the crisis; paramilitaries follow organisation.
        org_n = pa.organisation[K.NSDAP]
        org_n = org_n + p("nsdap_organisation_growth") * (
            crisis - p("nsdap_organisation_threshold")
        ) * org_n * (1.0 - org_n)
        org = pa.organisation.at[K.NSDAP].set(jnp.clip(org_n, 0.005, 0.999))
        para = org * jnp.asarray(K.PARAMILITARY_CAPACITY, jnp.float32)
        if kpd_support is not None:
            para = para.at[K.KPD].multiply(kpd_support)
        violence = jnp.clip(
            2.0 * crisis * jnp.sqrt(para[K.NSDAP] / 450.0 * (para[K.KPD] / 130.0)), 0.0, 1.0
        )

        # Is an election due, and does the regime still hold elections?
        n_k = K.N_ELECTIONS
        slot = jnp.minimum(po.next_slot, n_k - 1)
        slot_due = (po.next_slot < n_k) & (
            (t == jnp.asarray(self.slot_months)[slot]) | (t == po.early_election)
        )
        can_hold = (
            (po.regime == K.PARLIAMENTARY)
            | (po.regime == K.PRESIDENTIAL)
            | ((po.regime == K.NAZI) & (t - po.regime_since <= 2))
        )
        mid = GermanyState(
            blocs=replace(b, size=size, radicalisation=rad),
            parties=replace(pa, organisation=org, paramilitary=para),
            economy=Economy(unemployed=unemployed, noise=noise, crisis=crisis),
            polity=replace(po, violence=violence),
        )
        return mid, slot_due, slot_due & can_hold

    def election(self, mid: GermanyState, theta: jax.Array, d: MonthDraws) -> Election:
        """The vote if an election were held this month.

        The opinion drifts are Gaussian random walks of one increment a month, observed
        only at elections; here they are brought up to date in one step of the same
        distribution (``sd * sqrt(months since last realised) * z``).

        Returns:
            National shares float32 ``[P]`` and the drifts brought up to this month.
        """
        t = mid.polity.month
        pa = mid.parties
        steps = (t + 1 - pa.drift_steps).astype(jnp.float32)
        root = jnp.sqrt(jnp.maximum(steps, 0.0))
        drift_n = pa.national_drift + self.p(theta, "opinion_drift_sd") * root * d.national_drift
        drift_r = pa.regional_drift + self.p(theta, "regional_drift_sd") * root * d.regional_drift
        years = jnp.asarray(self.years_since_1924)[t]
        logits = self._logits(
            theta,
            pa.constituency_effect,
            mid.blocs.radicalisation,
            pa.organisation,
            years,
            drift_n,
            drift_r,
        )
        return Election(voters.national_shares(mid.blocs.size, logits), drift_n, drift_r)

    def after_election(
        self,
        mid: GermanyState,
        theta: jax.Array,
        d: MonthDraws,
        slot_due: jax.Array,
        hold: jax.Array,
        vote: Election,
        line: jax.Array | None = None,
    ) -> GermanyState:
        """Record the election (where held), then the regime month and the records."""
        p = lambda n: self.p(theta, n)  # noqa: E731
        pa, ec, po = mid.parties, mid.economy, mid.polity
        t = po.month
        shares_now = vote.shares
        n_k = K.N_ELECTIONS
        slot = jnp.minimum(po.next_slot, n_k - 1)
        onehot = (jnp.arange(n_k) == slot) & hold
        shares = jnp.where(onehot[:, None], shares_now[None, :], po.shares)
        held = po.held | onehot
        election_month = jnp.where(onehot, t, po.election_month)
        seat_share = jnp.where(hold, shares_now, pa.seat_share)
        last_election = jnp.where(hold, t, po.last_election)
        next_slot = po.next_slot + slot_due.astype(jnp.int32)
        early = jnp.where(slot_due, -1, po.early_election)

        # The regime month.
        g = self.government_params(theta, t, line)
        rm = government.regime_month(
            t,
            po.regime,
            po.united_front,
            early,
            last_election,
            seat_share,
            pa.paramilitary,
            ec.crisis,
            ec.unemployed / p("labour_force"),
            t >= self.hindenburg_month,
            po.violence,
            d.events,
            g,
        )
        changed = rm.regime != po.regime
        nazi_month = jnp.where((po.nazi_month < 0) & (rm.regime == K.NAZI), t, po.nazi_month)
        uf_month = jnp.where(
            (po.united_front_month < 0) & rm.united_front, t, po.united_front_month
        )
        cw_month = jnp.where((po.civil_war_month < 0) & rm.civil_war_started, t, po.civil_war_month)
        yi = jnp.asarray(self.year_index)[t]
        return GermanyState(
            blocs=mid.blocs,
            parties=replace(
                pa,
                seat_share=seat_share,
                national_drift=jnp.where(hold, vote.national_drift, pa.national_drift),
                regional_drift=jnp.where(hold, vote.regional_drift, pa.regional_drift),
                drift_steps=jnp.where(hold, t + 1, pa.drift_steps),
            ),
            economy=ec,
            polity=Polity(
                month=t + 1,
                regime=rm.regime,
                regime_since=jnp.where(changed, t, po.regime_since),
                last_election=last_election,
                next_slot=next_slot,
                early_election=rm.early_election,
                united_front=rm.united_front,
                violence=po.violence,
                nazi_month=nazi_month,
                united_front_month=uf_month,
                civil_war_month=cw_month,
                regime_1936=jnp.where(t == self.month_1936, rm.regime, po.regime_1936),
                shares=shares,
                held=held,
                election_month=election_month,
                unemployment_sum=po.unemployment_sum.at[yi].add(ec.unemployed),
            ),
        )


__all__ = ["MonthPhases"]
