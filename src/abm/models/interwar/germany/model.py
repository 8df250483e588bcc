"""The Weimar Germany slice as an engine model: ``init``, ``step``, ``outcomes``.

One month (``step``) runs, in order: the economy, the crisis index, the labour market's
blocs, radicalisation, the NSDAP's organisation and the paramilitaries, opinion drift,
street violence, an election if one is due, then the regime month
(:mod:`.government`). Every random number of the month is drawn first
(:func:`draw_month`), so :meth:`GermanyModel.advance` is deterministic given the draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.lanes import run_groups
from abm.engine.reducers import CategoryOutcome, EventOutcome, OutcomeSpec, QuantityOutcome
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany import economy, government, prussia, voters
from abm.models.interwar.germany.draws import (
    Election,
    compact_capacity,
    draw_election,
    draw_month,
    draw_regular,
)
from abm.models.interwar.germany.parameters import ParamDef, catalogue, party_key
from abm.models.interwar.germany.phases import MonthPhases
from abm.models.interwar.germany.types import (
    Economy,
    GermanyState,
    MonthDraws,
    Parties,
    Polity,
    VoterBlocs,
)

#: Organisation of each party at the start (0..1); the NSDAP's is a parameter. Assumption.
ORGANISATION_INITIAL = np.array([0.6, 0.8, 0.7, 0.4, 0.4, 0.6, 0.0, 0.3], dtype=np.float32)

SHARE_EDGES = tuple(float(x) for x in np.linspace(0.0, 1.0, 1001))
UNEMPLOYMENT_EDGES = tuple(float(x) for x in np.linspace(0.0, 12.0, 1201))
PARTY_VECTORS = ("crisis_loading", "agrarian_loading", "intercept")


class GermanyModel(MonthPhases):
    """Weimar Germany, monthly, over a calendar that must reach December 1936.

    Args:
        calendar: the simulation calendar.
        replicas: sub-constituencies per constituency (capacity scaling for benchmarks;
            1 is the historical map of 35 constituencies and 210 voter blocs).
        params: the catalogue whose order ``theta`` follows (default: the slice's own;
            the whole interwar model passes its own, without the Comintern line lever,
            and then supplies the line month by month).
    """

    name = "interwar.germany"

    def __init__(
        self,
        calendar: Calendar | None = None,
        replicas: int = 1,
        params: tuple[ParamDef, ...] | None = None,
    ) -> None:
        self.calendar = calendar or Calendar(1924, 1, 156)
        self.layout = voters.Layout(replicas)
        cal = self.calendar
        if cal.index(1936, 12) >= cal.n_months:
            raise ValueError(
                f"calendar ends {cal.end_label}; the Germany slice needs at least 1936-12"
            )
        self.n_months = cal.n_months
        self.params = params if params is not None else catalogue()
        self.param_names = tuple(p.name for p in self.params)
        self._idx = {n: i for i, n in enumerate(self.param_names)}
        self._vec = {
            v: np.array([self._idx[f"{v}.{party_key(p)}"] for p in K.PARTIES], dtype=np.int32)
            for v in PARTY_VECTORS
        }
        self.slot_months = np.array([cal.index_of(s) for s in K.ELECTION_SLOTS], np.int32)
        self.first_slot = int(np.sum(self.slot_months < 0))
        # Every month in which an election can be reported, labelled by its own month.
        self.election_grid_start, self.election_labels = voters.election_grid(cal)
        self.month_1936 = cal.index(1936, 12)
        self.hindenburg_month = cal.index_of(K.HINDENBURG_FROM)
        self.hindenburg_death_month = cal.index_of(government.HINDENBURG_DEATH)
        self.landtag_month = cal.index_of(prussia.LANDTAG_1932)
        self.recovery_start = float(cal.index(1933, 1))
        self.month_years = cal.years.astype(np.int32)
        self.year_labels = cal.year_labels
        self.year_index = (self.month_years - self.year_labels[0]).astype(np.int32)
        self.months_in_year = np.bincount(self.year_index, minlength=len(self.year_labels))
        self.years_since_1924 = (
            (np.arange(self.n_months) - cal.index_of("1924-01")) / 12.0
        ).astype(np.float32)
        self.months_since_1924 = (self.years_since_1924 * 12.0).round().astype(np.float32)
        self.n_agents = self.layout.n_blocs + K.N_PARTIES
        self.outcome_specs: tuple[OutcomeSpec, ...] = (
            EventOutcome("nazi_power", "the NSDAP leader heads the German government"),
            EventOutcome("united_front", "KPD and SPD form a united front"),
            EventOutcome("german_civil_war", "civil war in Germany"),
            CategoryOutcome(
                "german_regime_1936", K.REGIME_1936_CATEGORIES, "German regime in December 1936"
            ),
            QuantityOutcome(
                "reichstag_share",
                dims=("election", "party"),
                dim_labels=("Reichstag election (its month)", "party"),
                coords=(self.election_labels, K.PARTIES),
                unit="fraction of valid votes",
                edges=SHARE_EDGES,
                scale=1e6,
                masked=True,
                description="vote share at each Reichstag election held, by its month",
            ),
            QuantityOutcome(
                "german_unemployment",
                dims=("year",),
                dim_labels=("calendar year",),
                coords=(tuple(str(y) for y in self.year_labels),),
                unit="million persons",
                edges=UNEMPLOYMENT_EDGES,
                scale=1e5,
                description="registered unemployed in Germany, annual average",
            ),
        )

    # ------------------------------------------------------------------ parameters
    def p(self, theta: jax.Array, name: str) -> jax.Array:
        """Scalar parameter ``name`` from the parameter vector."""
        return theta[self._idx[name]]

    def vec(self, theta: jax.Array, name: str) -> jax.Array:
        """Per-party parameter vector ``name``, float32 ``[P]``."""
        return theta[self._vec[name]]

    def government_params(
        self, theta: jax.Array, t: jax.Array, line: jax.Array | None = None
    ) -> government.GovernmentParams:
        """The regime month's parameters, with the Comintern line in force at month ``t``.

        ``line`` is the Soviet leadership's line (0..1) where the whole model supplies it;
        otherwise the ``comintern_united_front_line`` lever.
        """
        p = lambda n: self.p(theta, n)  # noqa: E731
        cal = self.calendar
        start = (p("third_period_start") - cal.start_year) * 12.0 - (cal.start_month - 1)
        end = (p("third_period_end") - cal.start_year) * 12.0 - (cal.start_month - 1)
        tf = t.astype(jnp.float32)
        in_third = (tf >= start) & (tf < end)
        lever = p("comintern_united_front_line") if line is None else line
        # Outside the third period the Comintern's "united front from below" tactic held
        # (1921-1928); a leader whose line is more unitary keeps that line throughout.
        line = jnp.where(in_third, lever, jnp.maximum(lever, 0.3))
        names = government.GovernmentParams.__dataclass_fields__
        kw = {n: p(n) for n in names if n != "comintern_line"}
        return government.GovernmentParams(comintern_line=line, **kw)

    # ------------------------------------------------------------------ init
    def init(self, key: jax.Array, theta: jax.Array) -> GermanyState:
        """State at the calendar's first month (before it is simulated)."""
        p = lambda n: self.p(theta, n)  # noqa: E731
        k_effect, k_drift = jax.random.split(key)
        n_c = self.layout.n_constituencies
        effect = p("constituency_spread") * jax.random.normal(
            k_effect, (n_c, K.N_PARTIES), jnp.float32
        )
        t0 = jnp.float32(0.0)
        agrarian0 = self.agrarian(theta, t0)
        since0 = jnp.float32(self.months_since_1924[0])
        u0 = self._unemployment_trend(theta, t0)
        crisis0 = economy.crisis_index(
            since0, u0, p("labour_force"), p("hyperinflation_aftershock"), p("aftershock_months")
        )
        layout = self.layout
        size = voters.redistribute_unemployed(
            jnp.asarray(layout.initial_size, jnp.float32), u0, layout
        )
        org = jnp.asarray(ORGANISATION_INITIAL).at[K.NSDAP].set(p("nsdap_organisation_initial"))
        rad = jnp.asarray(layout.exposure) * crisis0
        drift_n = p("opinion_initial_sd") * jax.random.normal(k_drift, (K.N_PARTIES,), jnp.float32)
        drift_r = jnp.zeros((n_c, K.N_PARTIES), jnp.float32)
        n_k, n_y = K.MAX_BALLOTS, len(self.year_labels)
        state = GermanyState(
            blocs=VoterBlocs(
                size=size,
                radicalisation=rad,
                alive=jnp.ones((layout.n_blocs,), bool),
            ),
            parties=Parties(
                organisation=org,
                paramilitary=org * jnp.asarray(K.PARAMILITARY_CAPACITY, jnp.float32),
                constituency_effect=effect,
                national_drift=drift_n,
                regional_drift=drift_r,
                drift_steps=jnp.int32(0),
                seat_share=jnp.zeros((K.N_PARTIES,), jnp.float32),
                disappointment=jnp.float32(0.0),
            ),
            economy=Economy(
                unemployed=u0, noise=jnp.float32(0.0), crisis=crisis0, agrarian=agrarian0
            ),
            polity=Polity(
                month=jnp.int32(0),
                regime=jnp.int32(K.PARLIAMENTARY),
                regime_since=jnp.int32(0),
                last_election=jnp.int32(-8),
                next_slot=jnp.int32(self.first_slot),
                early_election=jnp.int32(-1),
                united_front=jnp.asarray(False),
                united_front_strength=jnp.float32(0.0),
                prussia_left=jnp.asarray(True),
                nsdap_previous=jnp.float32(0.0),
                violence=jnp.float32(0.0),
                nazi_month=jnp.int32(-1),
                united_front_month=jnp.int32(-1),
                civil_war_month=jnp.int32(-1),
                regime_1936=jnp.int32(K.PARLIAMENTARY),
                shares=jnp.zeros((n_k, K.N_PARTIES), jnp.float32),
                turnout=jnp.zeros((n_k,), jnp.float32),
                held=jnp.zeros((n_k,), bool),
                election_month=jnp.full((n_k,), -1, jnp.int32),
                unemployment_sum=jnp.zeros((n_y,), jnp.float32),
            ),
        )
        seat = voters.national_shares(size, self._logits(theta, state, drift_n, drift_r))
        return replace(state, parties=replace(state.parties, seat_share=seat))

    # ------------------------------------------------------------------ step
    def step(self, key: jax.Array, state: GermanyState, theta: jax.Array) -> GermanyState:
        """One month: draw, then :meth:`advance`."""
        return self.advance(state, theta, draw_month(key, self.layout.n_constituencies))

    def advance(
        self,
        state: GermanyState,
        theta: jax.Array,
        d: MonthDraws,
        line: jax.Array | None = None,
        kpd_support: jax.Array | None = None,
    ) -> GermanyState:
        """One month of one run given its draws (deterministic).

        The same three phases as :meth:`step_batch`, with the election's vote count done
        unconditionally; the result is used only where an election is held. ``line`` and
        ``kpd_support`` come from the Soviet slice in the whole model (see
        :meth:`before_election` and :meth:`government_params`).
        """
        mid, due, hold = self.before_election(state, theta, d, kpd_support)
        vote = self.election(mid, theta, d)
        return self.after_election(mid, theta, d, due, hold, vote, line)

    def step_batch(
        self,
        keys: jax.Array,
        states: GermanyState,
        thetas: jax.Array,
        line: jax.Array | None = None,
        kpd_support: jax.Array | None = None,
    ) -> GermanyState:
        """One month of a batch of runs (leading axis ``[N]`` on every argument).

        The vote count (a softmax over 210 blocs x 8 parties, and the drift draws) is the
        costliest part of a month and is needed only where a run holds an election. A
        ``lax.switch`` skips it when no run of the batch votes, counts only the voting
        runs (gathered within each device's group of runs, :func:`abm.engine.lanes.run_groups`,
        then scattered back) when a few do (early elections), and counts
        every run when many do (the scheduled dates). A run's result does not depend on
        the batch: its count is the same computation in each path, and where it holds no
        election the count is not used. ``line`` and ``kpd_support`` (float32 ``[N]``)
        come from the Soviet slice in the whole model.
        """
        unemployment, events = jax.vmap(draw_regular)(keys)
        n = keys.shape[0]
        idle = MonthDraws(
            national_drift=jnp.zeros((n, K.N_PARTIES), jnp.float32),
            regional_drift=jnp.zeros((n, self.layout.n_constituencies, K.N_PARTIES), jnp.float32),
            unemployment=unemployment,
            events=events,
        )
        mid, due, hold = jax.vmap(self.before_election)(states, thetas, idle, kpd_support)

        def count(sub: Callable[[Any], Any]) -> Election:
            # Vote counts for the runs ``sub`` picks out of the batch.
            n_c = self.layout.n_constituencies
            national, regional = jax.vmap(lambda k: draw_election(k, n_c))(sub(keys))
            d = MonthDraws(national, regional, sub(unemployment), sub(events))
            return jax.vmap(self.election)(jax.tree.map(sub, mid), sub(thetas), d)

        def no_vote() -> Election:
            pa = mid.parties
            return Election(
                jnp.zeros((n, K.N_PARTIES), jnp.float32),
                jnp.zeros((n,), jnp.float32),
                pa.national_drift,
                pa.regional_drift,
            )

        # The batch's runs in ``groups`` contiguous groups of ``size``, one per device
        # (abm.engine.lanes): a few voters are gathered within their group, so the count
        # stays on the device that holds them.
        groups = run_groups(n)
        size = n // groups
        cap = compact_capacity(size)

        def grouped(x: jax.Array) -> jax.Array:
            return x.reshape((groups, -1, *x.shape[1:]))

        def few() -> Election:
            # Only some runs vote (early elections): count for those alone, scatter back.
            index = jax.vmap(lambda h: jnp.nonzero(h, size=cap, fill_value=0)[0])(
                grouped(hold)
            )  # [groups, cap], within each group

            def take(x: jax.Array) -> jax.Array:
                part = jax.vmap(lambda xs, i: xs[i])(grouped(x), index)
                return part.reshape((groups * cap, *x.shape[1:]))

            def put(full: jax.Array, part: jax.Array) -> jax.Array:
                back = jax.vmap(lambda f, i, p: f.at[i].set(p))(grouped(full), index, grouped(part))
                return back.reshape(full.shape)

            return jax.tree.map(put, no_vote(), count(take))

        def everyone() -> Election:
            return count(lambda x: x)

        per_group = jnp.sum(grouped(hold).astype(jnp.int32), axis=1)
        voters_n, most = jnp.sum(per_group), jnp.max(per_group)
        branch = jnp.where(voters_n == 0, 0, jnp.where(most <= cap, 1, 2))
        result = jax.lax.switch(branch, [no_vote, few, everyone])
        return jax.vmap(self.after_election)(mid, thetas, idle, due, hold, result, line)

    # ------------------------------------------------------------------ outcomes
    def election_grid(self, po: Polity) -> tuple[jax.Array, jax.Array]:
        """The ballots on the month grid: shares ``[E, P]`` and held ``[E]`` (bool).

        ``E`` is every month of :attr:`election_labels`; a ballot outside it (after
        December 1936) is not reported.
        """
        n_e = len(self.election_labels)
        idx = po.election_month - self.election_grid_start
        ok = po.held & (idx >= 0) & (idx < n_e)
        idx = jnp.where(ok, idx, n_e)  # out-of-grid ballots go to a dropped extra row
        grid = jnp.zeros((n_e + 1, K.N_PARTIES), jnp.float32).at[idx].set(po.shares)
        on = jnp.zeros((n_e + 1,), bool).at[idx].set(ok)
        return grid[:n_e], on[:n_e]

    def outcomes(self, state: GermanyState, theta: jax.Array) -> dict[str, jax.Array]:
        """Per-run outcomes for the reducers."""
        po = state.polity
        grid, on = self.election_grid(po)
        return {
            "nazi_power": po.nazi_month,
            "united_front": po.united_front_month,
            "german_civil_war": po.civil_war_month,
            "german_regime_1936": jnp.asarray(K.REGIME_TO_1936)[po.regime_1936],
            "reichstag_share": grid,
            "reichstag_share/mask": jnp.broadcast_to(on[:, None], grid.shape),
            "german_unemployment": po.unemployment_sum
            / jnp.asarray(self.months_in_year, jnp.float32),
        }
