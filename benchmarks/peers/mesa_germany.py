"""Weimar Germany from 1924 in Mesa 3: voter blocs and parties as agents, one run per model.

A peer of abm's ``interwar.germany`` model (``docs/ODD.md``), the Germany slice on its
own (see :mod:`common`), for performance comparisons, written as Mesa's own examples
are: agents are ``mesa.Agent`` subclasses with a ``step`` method, the model
(``mesa.Model``) holds the economy and the polity, calls its agents through the
``AgentSet`` API each month, and draws every random number from its own explicitly
seeded generators (``self.rng``, a NumPy ``Generator``, for normals; ``self.random``,
Python's ``random.Random``, for each decision's uniform and the elites' choice).

Agents: 210 :class:`VoterBloc` (35 constituencies x 6 milieux) and 8 :class:`Party`.
Each run draws its own parameters from the scenario's Germany-only priors with the
model's ``rng`` and runs every month of the scenario's calendar (210 for 1924-01 ..
1941-06).
Parties take one drift step a month; blocs are polled only when an election is held (the
vote is not used otherwise): each bloc chooses among the parties and staying at home.
The presidential regime's agents (the conservative elites, Hindenburg, the Reichswehr
leadership) are the model's decision methods: the elites pick an option by a logit
choice, and a Hitler cabinet or a military regime needs the President's and the army's
acceptance; Prussia's government, the unions' general strike and the united front (its
formation from the KPD's line and the SPD's willingness, its strength built over months)
follow ODD 7.11 as of the rebuilt slice (issue 13). Results agree with abm statistically
(different random streams), not bit for bit.

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
        vote: this month's probabilities of each party and of staying at home ``[P + 1]``.
    """

    def __init__(self, model: WeimarModel, constituency: int, milieu: int, size: float, base_logit):
        super().__init__(model)
        self.constituency = constituency
        self.milieu = milieu
        self.size = size
        self.base_logit = base_logit
        self.susceptibility = float(c.SUSCEPTIBILITY[milieu])
        self.exposure = float(c.EXPOSURE[milieu])
        self.agrarian_exposure = float(c.AGRARIAN_EXPOSURE[milieu])
        self.defection_exposure = float(c.DEFECTION_EXPOSURE[milieu])
        self.abstention = float(c.LOG_ABSTENTION[milieu])
        self.labour = bool(c.LABOUR_MILIEU[milieu])
        self.radicalisation = self.exposure * model.crisis  # at its equilibrium
        self.vote = None

    def step(self) -> None:
        """Radicalisation follows the crisis the milieu is exposed to (7.4)."""
        target = self.exposure * self.model.crisis
        self.radicalisation += (target - self.radicalisation) / self.model.p[
            "radicalisation_months"
        ]

    def poll(self) -> None:
        """Preferences now, as probabilities of each party and of abstaining (7.9)."""
        m, p, r = self.model, self.model.p, self.radicalisation
        front = m.front_strength()
        logit = (
            self.base_logit
            + self.susceptibility * r * m.crisis_loading
            + self.agrarian_exposure * m.agrarian_pull
            + m.national_appeal
            + m.regional_drift[self.constituency]
        )
        logit[c.NSDAP] += (
            self.susceptibility * m.mobilisation * p["organisation_loading"]
            + self.defection_exposure * r * p["defection_loading"] * m.nsdap_organisation
        )
        abstain = (
            self.abstention
            + p["abstain_intercept"]
            - (self.susceptibility * p["abstain_crisis_loading"] * r)
        )
        if self.labour:
            logit[c.KPD] += p["front_left_loading"] * front
            logit[c.SPD] += p["front_left_loading"] * front
            abstain -= p["front_turnout_loading"] * front
        if self.milieu == c.UNEMPLOYED:
            logit[c.NSDAP] -= p["front_nsdap_loading"] * front
        options = np.append(logit, abstain)
        weight = np.exp(options - options.max())
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


#: The elites' options under a presidential cabinet (7.11), in the order of their choice.
OPTIONS = ("keep", "parliament", "dissolve", "military", "hitler")


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
        agrarian_loading = c.party_vector(p, "agrarian_loading")
        agrarian_loading[c.NSDAP] = max(agrarian_loading[c.NSDAP], 0.0)  # counts from 0
        self.agrarian_loading = agrarian_loading
        self.onset = tl.month_of_year(p["depression_onset"])
        self.agrarian_onset = tl.month_of_year(p["agrarian_onset"])
        self.third_period = (
            tl.month_of_year(p["third_period_start"]),
            tl.month_of_year(p["third_period_end"]),
        )

        # Economy at the start: the trend, no deviation.
        self.month = 0
        self.noise = 0.0
        self.unemployed = self.unemployment_trend(0.0)
        self.crisis = self.crisis_index(0)
        self.agrarian = self.agrarian_distress(0.0)
        self.disappointment = 0.0

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
        self.regime = c.PARLIAMENTARY
        self.united_front = False
        self.united_front_strength = 0.0
        self.seat_share = self.poll()
        self.regime_since = 0
        self.last_election = -8
        self.next_slot = tl.first_slot
        self.early_election = -1
        self.prussia_left = True
        self.nsdap_previous = 0.0
        self.nazi_month = -1
        self.united_front_month = -1
        self.civil_war_month = -1
        self.regime_1936 = c.PARLIAMENTARY
        self.ballots = 0
        self.shares = np.zeros((tl.n_grid, c.N_PARTIES))
        self.held = np.zeros(tl.n_grid, bool)
        self.unemployment_sum = np.zeros(len(tl.year_labels))

    # ---------------------------------------------------------------- economy
    def unemployment_trend(self, t: float) -> float:
        """Registered unemployment without the AR(1) deviation, millions (7.1)."""
        p = self.p
        rise = -math.expm1(-max(t - self.onset, 0.0) / p["depression_rise_months"])
        recovery = math.exp(-max(t - self.timeline.recovery_month, 0.0) / p["recovery_months"])
        return p["unemployment_base"] + p["depression_severity"] * rise * recovery

    def agrarian_distress(self, t: float) -> float:
        """Farm debts and falling prices, 0..1, easing with the recovery (7.1)."""
        p = self.p
        rise = -math.expm1(-max(t - self.agrarian_onset, 0.0) / p["agrarian_rise_months"])
        return rise * math.exp(-max(t - self.timeline.recovery_month, 0.0) / p["recovery_months"])

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
    def front_strength(self) -> float:
        """The united front's strength as the voters feel it (0 without a front)."""
        return self.united_front_strength if self.united_front else 0.0

    def poll(self) -> np.ndarray:
        """National valid-vote shares if an election were held now (7.9)."""
        p = self.p
        nsdap = self.parties[c.NSDAP]
        self.nsdap_organisation = nsdap.organisation
        self.mobilisation = math.log(nsdap.organisation / p["nsdap_organisation_initial"])
        reach = np.ones(c.N_PARTIES)
        reach[c.NSDAP] = nsdap.organisation  # the NSDAP's rural apparatus
        self.agrarian_pull = self.agrarian * self.agrarian_loading * reach
        appeal = np.array([q.national_drift for q in self.parties])
        appeal[c.NSDAP] -= p["disappointment_loading"] * self.disappointment
        if self.regime == c.NAZI:  # a Nazi-led government's campaign
            appeal[c.NSDAP] += p["power_loading"]
            appeal[c.KPD] -= p["repression_loading"]
            appeal[c.SPD] -= p["repression_loading"]
        self.national_appeal = appeal
        self.regional_drift = np.column_stack([q.regional_drift for q in self.parties])
        blocs = self.agents_by_type[VoterBloc]
        blocs.do("poll")
        size = np.array(blocs.get("size"))
        votes = size @ np.array(blocs.get("vote"))[:, : c.N_PARTIES]
        return votes / votes.sum()

    def election(self, t: int) -> None:
        """An election if one is due and the regime holds it (7.10).

        Due at the next historical slot, at an early election's month, or four years
        after the last election (Art. 23); an election held off the schedule takes the
        next slot's place. It is recorded under its own month.
        """
        tl = self.timeline
        k = self.next_slot
        slot_due = k < c.N_ELECTIONS and t == tl.slot_months[k]
        due = slot_due or t == self.early_election or t - self.last_election >= c.TERM_MONTHS
        can_hold = self.regime in (c.PARLIAMENTARY, c.PRESIDENTIAL) or (
            self.regime == c.NAZI and t - self.regime_since <= c.NAZI_ELECTION_GRACE
        )
        hold = due and can_hold
        if hold:
            shares = self.poll()
            row = t - tl.grid_start
            if 0 <= row < tl.n_grid and self.ballots < c.MAX_BALLOTS:
                self.shares[row] = shares
                self.held[row] = True
            self.ballots += 1
            self.nsdap_previous = self.seat_share[c.NSDAP]
            self.seat_share = shares
            self.last_election = t
        if k < c.N_ELECTIONS and (slot_due or hold):
            self.next_slot = k + 1
        if hold or t == self.early_election:
            self.early_election = -1

    # ---------------------------------------------------------------- government
    def comintern_line(self, t: int) -> float:
        """The KPD's line in force: the lever in the third period, else at least 0.3."""
        lever = self.p["comintern_united_front_line"]
        start, end = self.third_period
        return lever if start <= t < end else max(lever, c.LINE_FROM_BELOW)

    def left_step(self, t: int, constitutional: bool) -> None:
        """The united front forms from the KPD's line and the SPD's will; it builds (7.11)."""
        p = self.p
        a, b, cap = c.THREAT
        threat = min(max((self.seat_share[c.NSDAP] - a) / b, 0.0), cap)
        spd = p["united_front_uptake"]
        ready = self.comintern_line(t) * spd
        local = p["sectarian_residual"] * spd * min(threat, 1.0)
        forms = (
            constitutional
            and not self.united_front
            and self.random.random() < prob(p["united_front_rate"] * ready * threat)
        )
        united = self.united_front or forms
        goal = max(ready, local) if united else local
        s = self.united_front_strength + (goal - self.united_front_strength) / c.BUILD_MONTHS
        if forms:
            s = max(s, 2.0 * c.BREAK_STRENGTH)
        self.united_front = united and s >= c.BREAK_STRENGTH
        self.united_front_strength = min(max(s, 0.0), 1.0)

    def left_force(self) -> float:
        """The general strike plus Prussia's police with a front, Reichswehr units."""
        p, s = self.p, self.united_front_strength
        slump = self.unemployed / p["labour_force"]
        strike = p["strike_base"] * math.exp(-p["strike_unemployment_sensitivity"] * slump)
        strike = min(max(strike * (1.0 + p["strike_united_front_gain"] * s), 0.0), 1.0)
        return strike + c.PRUSSIAN_POLICE * float(self.prussia_left) * s

    def presidential_decision(self, t: int, left: float, sa: float, blocked: bool) -> str:
        """The elites propose, Hindenburg and the Reichswehr accept or refuse (7.11)."""
        p, seat = self.p, self.seat_share
        nsdap = seat[c.NSDAP]
        slump = self.unemployed / p["labour_force"]
        fear = p["strike_deterrence"] * left
        utility = {
            "keep": p["decision_inertia"],
            "military": p["military_util"]
            + 4.0 * (p["elite_authoritarianism"] - 0.5)
            + (self.crisis - 0.2) / 0.1
            + p["elite_violence_weight"] * self.violence
            - fear,
        }
        if not blocked:
            utility["parliament"] = (
                p["parliament_return_util"] + (c.SLUMP_RETURN - slump) / c.SLUMP_WIDTH
            )
        if t - self.last_election >= c.MIN_REICHSTAG_AGE and self.early_election < 0:
            utility["dissolve"] = p["dissolution_util"]
        if t < self.timeline.hindenburg_death_month:
            decline = max(self.nsdap_previous - nsdap, 0.0)
            utility["hitler"] = (
                p["hitler_util"]
                + p["elite_framing"] * (nsdap - c.NSDAP_REFERENCE) / 0.1
                + p["elite_decline_weight"] * decline / 0.05
                - fear
            )
        options = [o for o in OPTIONS if o in utility]
        u = np.array([utility[o] for o in options])
        weight = np.exp(u - u.max())
        proposal = self.random.choices(options, weights=weight)[0]
        years = (t - self.regime_since) / 12.0
        tired = p["president_fatigue"] * years
        if proposal == "military":
            president = p["president_military_util"] + tired
            army = p["army_autonomy"] - p["army_two_front_fear"] * (sa + left)
        elif proposal == "hitler":
            right = nsdap + seat[c.DNVP]
            president = (
                -p["hitler_aversion"]
                + tired
                + p["president_base_wish"] * (right - c.RIGHT_REFERENCE) / 0.1
            )
            army = p["army_hitler_util"] + p["army_two_front_fear"] * (sa - left)
        else:
            return proposal  # nobody doubts it
        rand = self.random.random
        if rand() < sigmoid(president) and rand() < sigmoid(army):
            return proposal
        return "keep"

    def prussia_coup(self, left: float) -> bool:
        """The elites depose the Braun-Severing government this month (7.11)."""
        p, seat, t = self.p, self.seat_share, self.month
        weimar = seat[c.SPD] + seat[c.ZENTRUM] + seat[c.DDP]
        no_majority = t >= self.timeline.landtag_month and weimar < 0.5
        logit = (
            p["prussia_coup_util"]
            + c.NO_MAJORITY_WEIGHT * float(no_majority)
            + 4.0 * (p["elite_authoritarianism"] - 0.5)
            + p["elite_violence_weight"] * self.violence
            - p["strike_deterrence"] * left
        )
        return self.random.random() < sigmoid(logit)

    def regime_month(self, t: int) -> bool:
        """Cabinets, the agents, Prussia, the front and civil war (7.11); True: war starts."""
        p, rand = self.p, self.random.random
        nsdap = self.seat_share[c.NSDAP]
        slump = self.unemployed / p["labour_force"]
        regime = new = self.regime
        constitutional = regime in (c.PARLIAMENTARY, c.PRESIDENTIAL)
        war_starts = False

        self.left_step(t, constitutional)
        united, strength = self.united_front, self.united_front_strength
        left = self.left_force()
        sa = min(max(self.parties[c.NSDAP].paramilitary / c.SA_AT_FULL, 0.0), 1.0)
        blocked = nsdap + self.seat_share[c.KPD] * (1.0 - strength) >= 0.5

        if regime == c.PARLIAMENTARY:
            if rand() < prob(p["cabinet_fall_rate"] * (1.0 + 3.0 * self.crisis)):
                if blocked:
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
            decision = self.presidential_decision(t, left, sa, blocked)
            if self.prussia_left and self.prussia_coup(left):
                self.prussia_left = False
            if decision == "dissolve":
                self.early_election = t + c.EARLY_ELECTION_DELAY
            elif decision == "parliament":
                new = c.PARLIAMENTARY
            elif decision in ("military", "hitler"):
                new = c.NAZI if decision == "hitler" else c.AUTHORITARIAN
                # the left resists: a general strike brings the move down, or civil war
                if united and rand() < p["civil_war_on_confrontation"] * min(max(left, 0.0), 1.0):
                    collapse = sigmoid(
                        p["left_strength_effect"] * (left - sa) - p["army_bias_right"]
                    )
                    if rand() < collapse:
                        new = c.PRESIDENTIAL
                    else:
                        war_starts = True
        elif regime == c.CIVIL_WAR and rand() < 1.0 / p["civil_war_months"]:
            par = [q.paramilitary for q in self.parties]
            left_men = par[c.KPD] + par[c.SPD]
            right_men = par[c.NSDAP] + par[c.DNVP]
            balance = (left_men - right_men) / max(left_men + right_men, 1e-3)
            if rand() < sigmoid(p["left_strength_effect"] * balance - p["army_bias_right"]):
                new = c.LEFT
            elif t < self.timeline.hindenburg_death_month and par[c.NSDAP] > par[c.DNVP]:
                new = c.NAZI
            else:
                new = c.AUTHORITARIAN
        # Street fighting escalates under a united front (nazi, authoritarian and left
        # regimes are absorbing: nothing applies to them).
        if (
            constitutional
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
        # Economy, crisis and the agrarian distress.
        self.noise = (
            p["unemployment_noise_persistence"] * self.noise
            + p["unemployment_noise_sd"] * self.rng.standard_normal()
        )
        self.unemployed = max(self.unemployment_trend(float(t)) + self.noise, c.UNEMPLOYMENT_FLOOR)
        self.crisis = self.crisis_index(t)
        self.agrarian = self.agrarian_distress(float(t))
        # Voters change blocs, blocs radicalise; parties organise, arm and drift.
        self.labour_market()
        self.agents_by_type[VoterBloc].do("step")
        self.agents_by_type[Party].do("step")
        # A big NSDAP vote kept out of power turns to disappointment.
        target = 0.0
        if self.regime != c.NAZI:
            target = max(self.seat_share[c.NSDAP] - p["disappointment_threshold"], 0.0)
        self.disappointment += (target - self.disappointment) / p["disappointment_months"]
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
