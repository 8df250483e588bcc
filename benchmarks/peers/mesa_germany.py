"""Weimar Germany from 1924 in Mesa 3: voter blocs and parties as agents, one run per model.

A peer of abm's ``interwar.germany`` model (``docs/ODD.md``), the Germany slice on its
own (see :mod:`common`), for performance comparisons, written as Mesa's own examples are: agents are ``mesa.Agent`` subclasses
with a ``step`` method, the model (``mesa.Model``) holds the economy and the polity,
calls its agents through the ``AgentSet`` API each month, and draws every random number
from its own explicitly seeded generators (``self.rng``, a NumPy ``Generator``, for
normals; ``self.random``, Python's ``random.Random``, for each decision's uniform).

Agents: 210 :class:`VoterBloc` (35 constituencies x 6 milieux) and 8 :class:`Party`.
Each run draws its own parameters from the scenario's Germany-only priors with the
model's ``rng`` and runs every month of the scenario's calendar (210 for 1924-01 ..
1941-06).
Parties take one drift step a month; blocs are polled only when an election is held (the
vote is not used otherwise). Results agree with abm statistically (different random
streams), not bit for bit.

Entry point: :func:`simulate` (scenario YAML, runs, seed) -> per-run outcome arrays
named as abm's ``GermanyModel.outcomes`` (format in :mod:`common`), a plain loop over
runs, each with its own seed. ``replicas`` splits each constituency into equal
sub-constituencies, as abm's capacity scaling does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import mesa
import numpy as np

try:  # imported as benchmarks.peers.mesa_germany
    from . import common as c
except ImportError:  # run as a script or with benchmarks/peers on sys.path
    import common as c  # type: ignore[no-redef]

N_AGENTS = c.N_AGENTS  # 218 = 210 voter blocs + 8 parties
N_MONTHS = c.N_MONTHS  # 210, the default calendar's (a run follows its scenario's)


def prob(hazard: float) -> float:
    """Monthly probability ``1 - exp(-max(h, 0))`` of a monthly hazard."""
    return -math.expm1(-max(hazard, 0.0))


def sigmoid(x: float) -> float:
    """Logistic function."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class VoterBloc(mesa.Agent):
    """The voters of one social milieu in one constituency.

    Attributes:
        constituency: index of the constituency (0..34).
        milieu: index of the milieu (``common.WORKERS`` ...).
        size: share of the national electorate.
        base_logit: standing party preference, logit ``[P]``.
        radicalisation: crisis felt by the bloc, smoothed.
        vote: this month's vote probabilities ``[P]``.
    """

    def __init__(self, model: WeimarModel, constituency: int, milieu: int, size: float, base_logit):
        super().__init__(model)
        self.constituency = constituency
        self.milieu = milieu
        self.size = size
        self.base_logit = base_logit
        self.susceptibility = float(c.SUSCEPTIBILITY[milieu])
        self.exposure = float(c.EXPOSURE[milieu])
        self.radicalisation = self.exposure * model.crisis  # at its equilibrium
        self.vote = None

    def step(self) -> None:
        """Radicalisation follows the crisis the milieu is exposed to (7.4)."""
        target = self.exposure * self.model.crisis
        self.radicalisation += (target - self.radicalisation) / self.model.p[
            "radicalisation_months"
        ]

    def poll(self) -> None:
        """Party preferences now, as vote probabilities (7.9)."""
        m = self.model
        logit = (
            self.base_logit
            + self.susceptibility * (self.radicalisation * m.crisis_loading + m.campaign)
            + m.national_drift
            + m.regional_drift[self.constituency]
        )
        weight = np.exp(logit - logit.max())
        self.vote = weight / weight.sum()


class Party(mesa.Agent):
    """A party: organisation, paramilitary, and the random walk of its appeal.

    Attributes:
        index: position in ``common.PARTIES``.
        organisation: membership relative to its ceiling, 0..1.
        paramilitary: thousands of men.
        national_drift: national appeal shift, logit.
        regional_drift: appeal shift in each constituency, logit ``[C]``.
    """

    def __init__(
        self, model: WeimarModel, index: int, organisation: float, drift: float, n_con: int
    ):
        super().__init__(model)
        self.index = index
        self.label = c.PARTIES[index]
        self.capacity = float(c.PARAMILITARY_CAPACITY[index])
        self.organisation = organisation
        self.paramilitary = organisation * self.capacity
        self.national_drift = drift
        self.regional_drift = np.zeros(n_con)

    def step(self) -> None:
        """Organise (the NSDAP only, 7.5), arm (7.6), drift (7.7)."""
        m, p = self.model, self.model.p
        if self.index == c.NSDAP:
            o = self.organisation
            o += (
                p["nsdap_organisation_growth"]
                * (m.crisis - p["nsdap_organisation_threshold"])
                * (o * (1.0 - o))
            )
            self.organisation = min(max(o, c.ORGANISATION_MIN), c.ORGANISATION_MAX)
        self.paramilitary = self.organisation * self.capacity
        self.national_drift += p["opinion_drift_sd"] * m.rng.standard_normal()
        self.regional_drift += p["regional_drift_sd"] * m.rng.standard_normal(
            self.regional_drift.size
        )


class WeimarModel(mesa.Model):
    """Weimar Germany, one month per step, from the calendar's first month to its last.

    Args:
        scenario: a scenario's priors and timeline (``common.load``).
        seed: seed of ``self.rng`` and ``self.random``.
        replicas: sub-constituencies per constituency (1: the 35 historical ones).
    """

    def __init__(self, scenario: c.ScenarioInputs, seed: int | None = None, replicas: int = 1):
        super().__init__(seed=seed)
        tl = self.timeline = scenario.timeline
        layout = c.layout(replicas)
        n_con = layout.n_constituencies
        # One draw of every parameter from the priors.
        draw = c.sample_params(scenario.priors, self.rng, 1, scenario.ranges)
        p = self.p = {name: float(x[0]) for name, x in draw.items()}
        self.crisis_loading = c.party_vector(p, "crisis_loading")
        self.mobilisation_loading = c.party_vector(p, "mobilisation_loading")
        self.trend = c.party_vector(p, "trend")
        self.onset = tl.month_of_year(p["depression_onset"])
        self.third_period = (
            tl.month_of_year(p["third_period_start"]),
            tl.month_of_year(p["third_period_end"]),
        )

        # Economy at the start: the trend, no deviation.
        self.month = 0
        self.noise = 0.0
        self.unemployed = self.unemployment_trend(0.0)
        self.crisis = self.crisis_index(0)

        # Voter blocs; base preferences carry a random effect of each constituency.
        effect = self.rng.standard_normal((n_con, c.N_PARTIES))
        intercept = c.party_vector(p, "intercept")
        self.labour_pools = []
        for con in range(n_con):
            blocs = {}
            for mil in range(c.N_MILIEUX):
                b = con * c.N_MILIEUX + mil
                base = c.LOG_AFFINITY[mil] + intercept + p["constituency_spread"] * effect[con]
                blocs[mil] = VoterBloc(self, con, mil, float(layout.initial_size[b]), base)
            self.labour_pools.append((blocs[c.WORKERS], blocs[c.UNEMPLOYED]))
        self.labour_market()

        # Parties.
        for i in range(c.N_PARTIES):
            org = p["nsdap_organisation_initial"] if i == c.NSDAP else c.ORGANISATION_START[i]
            drift = p["opinion_initial_sd"] * self.rng.standard_normal()
            Party(self, i, float(org), drift, n_con)
        self.parties = sorted(self.agents_by_type[Party], key=lambda a: a.index)
        self.violence = 0.0

        # Polity: the initial preferences stand in for the last Reichstag.
        self.seat_share = self.poll(tl.months_since_1924[0] / 12.0)
        self.regime = c.PARLIAMENTARY
        self.regime_since = 0
        self.last_election = -8
        self.next_slot = tl.first_slot
        self.early_election = -1
        self.united_front = False
        self.nazi_month = -1
        self.united_front_month = -1
        self.civil_war_month = -1
        self.regime_1936 = c.PARLIAMENTARY
        self.shares = np.zeros((c.N_ELECTIONS, c.N_PARTIES))
        self.held = np.zeros(c.N_ELECTIONS, bool)
        self.unemployment_sum = np.zeros(len(tl.year_labels))

    # ---------------------------------------------------------------- economy
    def unemployment_trend(self, t: float) -> float:
        """Registered unemployment without the AR(1) deviation, millions (7.1)."""
        p = self.p
        rise = -math.expm1(-max(t - self.onset, 0.0) / p["depression_rise_months"])
        recovery = math.exp(-max(t - self.timeline.recovery_month, 0.0) / p["recovery_months"])
        return p["unemployment_base"] + p["depression_severity"] * rise * recovery

    def crisis_index(self, t: int) -> float:
        """Unemployment rate plus the hyperinflation aftershock (7.2)."""
        p = self.p
        since = self.timeline.months_since_1924[t]
        return self.unemployed / p["labour_force"] + p["hyperinflation_aftershock"] * math.exp(
            -since / p["aftershock_months"]
        )

    def labour_market(self) -> None:
        """The unemployed take one national fraction of every constituency's pool (7.3)."""
        pools = [w.size + u.size for w, u in self.labour_pools]
        frac = min(max(self.unemployed / c.ELECTORATE_M / sum(pools), 0.0), c.LABOUR_SHARE_MAX)
        for (workers, unemployed), pool in zip(self.labour_pools, pools, strict=True):
            unemployed.size = pool * frac
            workers.size = pool * (1.0 - frac)

    # ---------------------------------------------------------------- voting
    def poll(self, years: float) -> np.ndarray:
        """National vote shares if an election were held now (7.9)."""
        self.national_drift = np.array([q.national_drift for q in self.parties])
        self.regional_drift = np.column_stack([q.regional_drift for q in self.parties])
        mobilisation = math.log(
            self.parties[c.NSDAP].organisation / self.p["nsdap_organisation_initial"]
        )
        self.campaign = mobilisation * self.mobilisation_loading + years * self.trend
        blocs = self.agents_by_type[VoterBloc]
        blocs.do("poll")
        size = np.array(blocs.get("size"))
        return size @ np.array(blocs.get("vote")) / size.sum()

    def election(self, t: int) -> None:
        """Hold the next slot's election if it is due and the regime allows it (7.10)."""
        k = self.next_slot
        if k >= c.N_ELECTIONS:
            return
        if t != self.timeline.slot_months[k] and t != self.early_election:
            return
        can_hold = self.regime in (c.PARLIAMENTARY, c.PRESIDENTIAL) or (
            self.regime == c.NAZI and t - self.regime_since <= c.NAZI_ELECTION_GRACE
        )
        if can_hold:
            shares = self.poll(self.timeline.months_since_1924[t] / 12.0)
            self.shares[k] = shares
            self.held[k] = True
            self.seat_share = shares
            self.last_election = t
        self.next_slot = k + 1
        self.early_election = -1

    # ---------------------------------------------------------------- government
    def comintern_line(self, t: int) -> float:
        """The KPD's line in force: the lever in the third period, else at least 0.3."""
        lever = self.p["comintern_united_front_line"]
        start, end = self.third_period
        return lever if start <= t < end else max(lever, c.LINE_FROM_BELOW)

    def regime_month(self, t: int) -> bool:
        """Cabinets, elites, the united front and civil war (7.11); True if a war starts."""
        p, rand = self.p, self.random.random
        nsdap = self.seat_share[c.NSDAP]
        negative_majority = self.seat_share[c.KPD] + nsdap >= 0.5
        slump = self.unemployed / p["labour_force"]
        regime = new = self.regime
        war_starts = False

        if regime in (c.PARLIAMENTARY, c.PRESIDENTIAL) and not self.united_front:
            a, b, cap = c.COMINTERN_THREAT
            threat = min(max((nsdap - a) / b, 0.0), cap)
            line = self.comintern_line(t)
            readiness = line + (1.0 - line) * p["sectarian_residual"]
            h = p["united_front_rate"] * p["united_front_uptake"] * readiness * threat
            self.united_front = rand() < prob(h)
        united = self.united_front

        if regime == c.PARLIAMENTARY:
            if rand() < prob(p["cabinet_fall_rate"] * (1.0 + 3.0 * self.crisis)):
                if negative_majority:
                    p_turn = 1.0
                elif t >= self.timeline.hindenburg_month:
                    p_turn = p["elite_authoritarianism"] * sigmoid(
                        (slump - c.SLUMP_TURN) / c.SLUMP_WIDTH
                    )
                else:
                    p_turn = 0.0
                if rand() < p_turn:
                    new = c.PRESIDENTIAL
        elif regime == c.PRESIDENTIAL:
            if (
                t - self.last_election >= c.MIN_REICHSTAG_AGE
                and self.early_election < 0
                and rand() < prob(p["dissolution_rate"])
            ):
                self.early_election = t + c.EARLY_ELECTION_DELAY
            appoint = takeover = False
            if nsdap >= p["nazi_min_share"]:
                h = (
                    p["nazi_appointment_rate"]
                    * math.exp(p["nazi_share_elasticity"] * (nsdap - c.NAZI_REFERENCE_SHARE) / 0.1)
                    * (1.0 - p["reichswehr_opposition"])
                    * (1.0 - p["united_front_deterrence"] * united)
                )
                appoint = rand() < prob(h)
            if appoint:
                new = c.NAZI
            else:
                h = p["authoritarian_takeover_rate"] * self.crisis / c.TAKEOVER_REFERENCE_CRISIS
                takeover = rand() < prob(h)
                if takeover:
                    new = c.AUTHORITARIAN
                elif (
                    not negative_majority
                    and slump < c.SLUMP_RETURN
                    and rand() < prob(p["return_to_parliament_rate"])
                ):
                    new = c.PARLIAMENTARY
            if (appoint or takeover) and united and rand() < p["civil_war_on_confrontation"]:
                war_starts = True
        elif regime == c.CIVIL_WAR and rand() < 1.0 / p["civil_war_months"]:
            par = [q.paramilitary for q in self.parties]
            left = par[c.KPD] + par[c.SPD]
            right = par[c.NSDAP] + par[c.DNVP]
            balance = (left - right) / max(left + right, 1e-3)
            if rand() < sigmoid(p["left_strength_effect"] * balance - p["army_bias_right"]):
                new = c.LEFT
            elif nsdap >= c.NAZI_WIN_SHARE:
                new = c.NAZI
            else:
                new = c.AUTHORITARIAN
        # Street fighting escalates under a united front (nazi, authoritarian and left
        # regimes are absorbing: nothing applies to them).
        if (
            regime in (c.PARLIAMENTARY, c.PRESIDENTIAL)
            and united
            and rand() < prob(p["civil_war_violence_rate"] * self.violence)
        ):
            war_starts = True
        if war_starts:
            new = c.CIVIL_WAR
        if new != regime:
            self.regime, self.regime_since = new, t
        return war_starts

    # ---------------------------------------------------------------- the month
    def step(self) -> None:
        """One month, in the order of ODD section 3."""
        t, tl, p = self.month, self.timeline, self.p
        # Economy and crisis.
        self.noise = (
            p["unemployment_noise_persistence"] * self.noise
            + p["unemployment_noise_sd"] * self.rng.standard_normal()
        )
        self.unemployed = max(self.unemployment_trend(float(t)) + self.noise, c.UNEMPLOYMENT_FLOOR)
        self.crisis = self.crisis_index(t)
        # Voters change blocs, blocs radicalise; parties organise, arm and drift.
        self.labour_market()
        self.agents_by_type[VoterBloc].do("step")
        self.agents_by_type[Party].do("step")
        sa = self.parties[c.NSDAP].paramilitary / c.SA_CAPACITY
        rfb = self.parties[c.KPD].paramilitary / c.RFB_CAPACITY
        self.violence = min(max(2.0 * self.crisis * math.sqrt(sa * rfb), 0.0), 1.0)
        # An election if one is due (the blocs are polled), then the regime month.
        self.election(t)
        war_starts = self.regime_month(t)
        # Records.
        if self.nazi_month < 0 and self.regime == c.NAZI:
            self.nazi_month = t
        if self.united_front_month < 0 and self.united_front:
            self.united_front_month = t
        if self.civil_war_month < 0 and war_starts:
            self.civil_war_month = t
        if t == tl.month_1936:
            self.regime_1936 = self.regime
        self.unemployment_sum[tl.year_index[t]] += self.unemployed
        self.month = t + 1
        if self.month >= tl.n_months:
            self.running = False

    def outcomes(self) -> dict[str, np.ndarray]:
        """This run's outcomes, named as abm's ``outcomes()``."""
        return {
            "nazi_power": self.nazi_month,
            "united_front": self.united_front_month,
            "german_civil_war": self.civil_war_month,
            "german_regime_1936": int(c.REGIME_TO_1936[self.regime_1936]),
            "reichstag_share": self.shares,
            "reichstag_share/mask": np.broadcast_to(self.held[:, None], self.shares.shape),
            "german_unemployment": self.unemployment_sum / self.timeline.months_in_year,
        }


def simulate(
    scenario_path: str,
    n_runs: int,
    seed: int,
    overrides: Mapping[str, str] | None = None,
    replicas: int = 1,
) -> dict[str, np.ndarray]:
    """Simulate ``n_runs`` runs of a scenario, one ``WeimarModel`` after another.

    Run ``r`` is seeded with the ``r``-th word of ``numpy.random.SeedSequence(seed)``.

    Args:
        scenario_path: scenario YAML (``configs/scenarios/otl.yaml``).
        n_runs: Monte Carlo runs.
        seed: seed of the whole batch.
        overrides: ``NAME=VALUE`` pins, as abm's ``--set``.
        replicas: sub-constituencies per constituency (abm's capacity scaling).

    Returns:
        Per-run outcomes named as abm's ``outcomes()`` (see :mod:`common`).
    """
    scenario = c.load(scenario_path, overrides)
    seeds = np.random.SeedSequence(seed).generate_state(n_runs, np.uint64)
    runs = []
    for run_seed in seeds:
        model = WeimarModel(scenario, seed=int(run_seed), replicas=replicas)
        model.run_model()
        runs.append(model.outcomes())
    return {key: np.stack([np.asarray(r[key]) for r in runs]) for key in c.OUTCOMES}


if __name__ == "__main__":  # pragma: no cover - a quick look
    import sys
    import time

    path = sys.argv[1] if len(sys.argv) > 1 else "configs/scenarios/otl.yaml"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    t0 = time.perf_counter()
    out = simulate(path, n, 0)
    dt = time.perf_counter() - t0
    print(f"{n} runs in {dt:.2f} s ({n / dt:.2f} runs/s)")
    for key, val in c.summarise(out).items():
        if "/" not in key or key.startswith("german_unemployment/1932"):
            print(f"{key:32s} {val[0]:.4f} +- {val[1]:.4f}")
