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
    hindenburg_death_month: int
    landtag_month: int
    month_1936: int
    months_since_1924: np.ndarray
    recovery_start: float
    slot_months: np.ndarray
    year_index: np.ndarray
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

    def vote_params(self, theta: jax.Array) -> voters.VoteParams:
        """The vote's parameters (see :mod:`.voters`)."""
        p = lambda n: self.p(theta, n)  # noqa: E731
        v = lambda n: self.vec(theta, n)  # noqa: E731
        return voters.VoteParams(
            intercept=v("intercept"),
            crisis_loading=v("crisis_loading"),
            agrarian_loading=v("agrarian_loading"),
            organisation_loading=p("organisation_loading"),
            defection_loading=p("defection_loading"),
            disappointment_loading=p("disappointment_loading"),
            abstain_intercept=p("abstain_intercept"),
            abstain_crisis_loading=p("abstain_crisis_loading"),
            front_turnout_loading=p("front_turnout_loading"),
            front_left_loading=p("front_left_loading"),
            front_nsdap_loading=p("front_nsdap_loading"),
            power_loading=p("power_loading"),
            repression_loading=p("repression_loading"),
            aftershock_spd_loading=p("aftershock_spd_loading"),
        )

    def agrarian(self, theta: jax.Array, t: jax.Array) -> jax.Array:
        """Agrarian distress at month index ``t`` (float32), see :mod:`.economy`."""
        p = lambda n: self.p(theta, n)  # noqa: E731
        onset = (p("agrarian_onset") - self.calendar.start_year) * 12.0 - (
            self.calendar.start_month - 1
        )
        return economy.agrarian_distress(
            t,
            onset,
            p("agrarian_rise_months"),
            jnp.float32(self.recovery_start),
            p("recovery_months"),
        )

    def _logits(
        self,
        theta: jax.Array,
        state: GermanyState,
        drift_n: jax.Array,
        drift_r: jax.Array,
    ) -> jax.Array:
        pa, po = state.parties, state.polity
        org = pa.organisation[K.NSDAP]
        strength = getattr(po, "united_front_strength", None)
        front = po.united_front.astype(jnp.float32)
        if strength is not None:
            front = front * strength
        return voters.bloc_logits(
            self.vote_params(theta),
            pa.constituency_effect,
            state.blocs.radicalisation,
            jnp.log(org / self.p(theta, "nsdap_organisation_initial")),
            org,
            state.economy.agrarian,
            pa.disappointment,
            front,
            (po.regime == K.NAZI).astype(jnp.float32),
            drift_n,
            drift_r,
            self.layout,
            economy.aftershock(
                jnp.asarray(self.months_since_1924)[po.month],
                self.p(theta, "hyperinflation_aftershock"),
                self.p(theta, "aftershock_months"),
            ),
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
            ``(mid_state, consume, hold)``: the state with this month's economy, blocs,
            parties and violence (the polity otherwise as it was); whether the next
            historical slot is used up (its month came, or an election was held before
            it); whether the regime holds an election this month.
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
        # A big NSDAP vote kept out of power turns to disappointment (autumn 1932).
        disappointment = voters.update_disappointment(
            pa.disappointment,
            pa.seat_share[K.NSDAP],
            po.regime == K.NAZI,
            p("disappointment_threshold"),
            p("disappointment_months"),
        )
        para = org * jnp.asarray(K.PARAMILITARY_CAPACITY, jnp.float32)
        if kpd_support is not None:
            para = para.at[K.KPD].multiply(kpd_support)
        violence = jnp.clip(
            2.0 * crisis * jnp.sqrt(para[K.NSDAP] / 450.0 * (para[K.KPD] / 130.0)), 0.0, 1.0
        )

        # Is an election due (a historical slot, a dissolution's early election, or the
        # end of the four-year term, Art. 23), and does the regime still hold elections?
        n_k = K.N_ELECTIONS
        slot = jnp.minimum(po.next_slot, n_k - 1)
        slot_due = (po.next_slot < n_k) & (t == jnp.asarray(self.slot_months)[slot])
        other_due = (t == po.early_election) | (t - po.last_election >= K.TERM_MONTHS)
        can_hold = (
            (po.regime == K.PARLIAMENTARY)
            | (po.regime == K.PRESIDENTIAL)
            | ((po.regime == K.NAZI) & (t - po.regime_since <= 2))
        )
        hold = (slot_due | other_due) & can_hold
        # An election held off the schedule replaces the next scheduled one.
        consume = (po.next_slot < n_k) & (slot_due | hold)
        mid = GermanyState(
            blocs=replace(b, size=size, radicalisation=rad),
            parties=replace(pa, organisation=org, paramilitary=para, disappointment=disappointment),
            economy=Economy(
                unemployed=unemployed,
                noise=noise,
                crisis=crisis,
                agrarian=self.agrarian(theta, tf),
            ),
            polity=replace(po, violence=violence),
        )
        return mid, consume, hold

    def election(self, mid: GermanyState, theta: jax.Array, d: MonthDraws) -> Election:
        """The vote if an election were held this month.

        The opinion drifts are Gaussian random walks of one increment a month, observed
        only at elections; here they are brought up to date in one step of the same
        distribution (``sd * sqrt(months since last realised) * z``).

        Returns:
            Valid-vote shares float32 ``[P]``, turnout, and the drifts brought up to
            this month.
        """
        t = mid.polity.month
        pa = mid.parties
        steps = (t + 1 - pa.drift_steps).astype(jnp.float32)
        root = jnp.sqrt(jnp.maximum(steps, 0.0))
        drift_n = pa.national_drift + self.p(theta, "opinion_drift_sd") * root * d.national_drift
        drift_r = pa.regional_drift + self.p(theta, "regional_drift_sd") * root * d.regional_drift
        logits = self._logits(theta, mid, drift_n, drift_r)
        shares, turnout = voters.national_vote(mid.blocs.size, logits)
        return Election(shares, turnout, drift_n, drift_r)

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
        # The election goes into the next free ballot record, labelled by its own month.
        n_held = jnp.sum(po.held.astype(jnp.int32))
        onehot = (jnp.arange(K.MAX_BALLOTS) == n_held) & hold
        shares = jnp.where(onehot[:, None], shares_now[None, :], po.shares)
        turnout = jnp.where(onehot, vote.turnout, po.turnout)
        held = po.held | onehot
        election_month = jnp.where(onehot, t, po.election_month)
        seat_share = jnp.where(hold, shares_now, pa.seat_share)
        last_election = jnp.where(hold, t, po.last_election)
        next_slot = po.next_slot + slot_due.astype(jnp.int32)
        early = jnp.where((t == po.early_election) | hold, -1, po.early_election)

        # The regime month.
        g = self.government_params(theta, t, line)
        nsdap_previous = jnp.where(hold, pa.seat_share[K.NSDAP], po.nsdap_previous)
        x = government.RegimeInputs(
            t=t,
            regime=po.regime,
            regime_since=po.regime_since,
            united_front=po.united_front,
            united_front_strength=po.united_front_strength,
            prussia_left=po.prussia_left,
            early_election=early,
            last_election=last_election,
            seat_share=seat_share,
            nsdap_previous=nsdap_previous,
            paramilitary=pa.paramilitary,
            crisis=ec.crisis,
            slump=ec.unemployed / p("labour_force"),
            presidential_era=t >= self.hindenburg_month,
            window_open=t < self.hindenburg_death_month,
            landtag_expired=t >= self.landtag_month,
            violence=po.violence,
        )
        rm = government.regime_month(x, d.events, g)
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
                united_front_strength=rm.united_front_strength,
                prussia_left=rm.prussia_left,
                nsdap_previous=nsdap_previous,
                violence=po.violence,
                nazi_month=nazi_month,
                united_front_month=uf_month,
                civil_war_month=cw_month,
                regime_1936=jnp.where(t == self.month_1936, rm.regime, po.regime_1936),
                shares=shares,
                turnout=turnout,
                held=held,
                election_month=election_month,
                unemployment_sum=po.unemployment_sum.at[yi].add(ec.unemployed),
            ),
        )


__all__ = ["MonthPhases"]
