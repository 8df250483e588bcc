"""Slow, obvious reference of ONE MONTH of the Weimar Germany model (pure Python / NumPy).

Written from the module equations of ``abm.models.interwar.germany`` (``economy``,
``voters``, ``government``, ``model.advance``) with explicit loops over the 210 voter blocs
and 8 parties, ``math.exp`` and float64, and plain if/else for every regime decision. It
does not call or copy the vectorised JAX code: it takes only the structural inputs
(labels, affinities, capacities) from ``constants`` and the parameter *names* and calendar
from the model object, so that it can catch mistakes in the vectorised update.

States are nested dicts of NumPy arrays with the field names of ``GermanyState``::

    {"blocs": {...}, "parties": {...}, "economy": {...}, "polity": {...}}

:func:`reference_month` optionally records every decision it actually evaluated (its
left and right hand side and the outcome) in ``trace``; the tests use this to check branch
coverage and that no decision sits on a float32-vs-float64 knife edge.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from abm.models.interwar.germany import constants as K

# ---------------------------------------------------------------- structure (by name)
PARTY = {name: i for i, name in enumerate(K.PARTIES)}
N_PARTIES = len(K.PARTIES)
KPD, SPD, NSDAP, DNVP = PARTY["KPD"], PARTY["SPD"], PARTY["NSDAP"], PARTY["DNVP"]

MILIEU = {name: i for i, name in enumerate(K.MILIEUX)}
N_MILIEUX = len(K.MILIEUX)
WORKERS, UNEMPLOYED = MILIEU["industrial_workers"], MILIEU["unemployed"]
N_CONSTITUENCIES = len(K.CONSTITUENCIES)
#: Bloc b is constituency b // 6, milieu b % 6 (constituency-major layout).
N_BLOCS = N_CONSTITUENCIES * N_MILIEUX

REGIME = {name: i for i, name in enumerate(K.REGIMES)}
PARLIAMENTARY = REGIME["parliamentary"]
PRESIDENTIAL = REGIME["presidential"]
NAZI = REGIME["nazi"]
AUTHORITARIAN = REGIME["authoritarian"]
LEFT = REGIME["left"]
CIVIL_WAR = REGIME["civil_war"]

#: The order of the month's event uniforms (``MonthDraws.events``).
EVENTS = (
    "cabinet_fall",
    "presidential_turn",
    "dissolution",
    "nazi_appointment",
    "authoritarian",
    "return",
    "united_front",
    "confrontation",
    "violent_escalation",
    "civil_war_end",
    "civil_war_winner",
)
EV = {name: i for i, name in enumerate(EVENTS)}

#: Electorate (millions) that turns registered unemployed into a share of voters.
ELECTORATE_MILLIONS = 41.0
#: Paramilitary capacity of the SA and the Rotfrontkaempferbund (violence formula).
SA_CAPACITY = 450.0
RFB_CAPACITY = 130.0

FIELDS = {
    "blocs": ("size", "radicalisation", "alive"),
    "parties": (
        "organisation",
        "paramilitary",
        "constituency_effect",
        "national_drift",
        "regional_drift",
        "drift_steps",
        "seat_share",
    ),
    "economy": ("unemployed", "noise", "crisis"),
    "polity": (
        "month",
        "regime",
        "regime_since",
        "last_election",
        "next_slot",
        "early_election",
        "united_front",
        "violence",
        "nazi_month",
        "united_front_month",
        "civil_war_month",
        "regime_1936",
        "shares",
        "held",
        "election_month",
        "unemployment_sum",
    ),
}


# ---------------------------------------------------------------- conversion helpers
def to_numpy(tree: Any) -> Any:
    """A (nested) dataclass of arrays as nested dicts of NumPy arrays (floats as float64)."""
    if dataclasses.is_dataclass(tree):
        return {f.name: to_numpy(getattr(tree, f.name)) for f in dataclasses.fields(tree)}
    a = np.asarray(tree)
    if a.dtype.kind == "f":
        return a.astype(np.float64)
    return a.copy()


def flatten(state: dict[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    """Nested dict -> ``{"polity.regime": array, ...}``."""
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = np.asarray(value)
    return out


# ---------------------------------------------------------------- small functions
def _clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _probability(hazard: float) -> float:
    """Monthly probability of an event with monthly hazard ``hazard``."""
    return 1.0 - math.exp(-max(hazard, 0.0))


def _month_index(calendar: Any, year: int, month: int) -> int:
    return (year - calendar.start_year) * 12 + (month - calendar.start_month)


def _decimal_year_index(calendar: Any, year: float) -> float:
    """Fractional month index of a decimal year (1929.75 = start of October 1929)."""
    return (year - calendar.start_year) * 12.0 - (calendar.start_month - 1)


class _Params:
    """Parameters by name, as Python floats."""

    def __init__(self, model: Any, theta: np.ndarray) -> None:
        theta = np.asarray(theta, dtype=np.float64)
        self.values = {name: float(theta[i]) for i, name in enumerate(model.param_names)}

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def party(self, name: str, p: int) -> float:
        return self.values[f"{name}.{K.PARTIES[p].replace('/', '_')}"]


class _Trace:
    """Records the decisions actually evaluated: ``(name, lhs, rhs, outcome)``."""

    def __init__(self, sink: list | None) -> None:
        self.sink = sink

    def less(self, name: str, lhs: float, rhs: float) -> bool:
        outcome = lhs < rhs
        if self.sink is not None:
            self.sink.append((name, float(lhs), float(rhs), outcome))
        return outcome

    def at_least(self, name: str, lhs: float, rhs: float) -> bool:
        outcome = lhs >= rhs
        if self.sink is not None:
            self.sink.append((name, float(lhs), float(rhs), outcome))
        return outcome

    def flag(self, name: str, outcome: bool) -> bool:
        if self.sink is not None:
            self.sink.append((name, math.nan, math.nan, bool(outcome)))
        return outcome


# ---------------------------------------------------------------- the month
def reference_month(
    model: Any,
    state_np: dict[str, Any],
    theta_np: np.ndarray,
    draws_np: dict[str, Any],
    trace: list | None = None,
) -> dict[str, Any]:
    """One month of the Germany model, the slow way.

    Args:
        model: the ``GermanyModel`` (for its calendar and parameter names only).
        state_np: the state at the start of the month (nested dicts, see :func:`to_numpy`).
        theta_np: parameter vector in the model's ``param_names`` order.
        draws_np: ``{"national_drift": [P], "regional_drift": [C, P], "unemployment": (),
            "events": [11]}``.
        trace: if given, a list that receives ``(decision, lhs, rhs, outcome)`` tuples.

    Returns:
        The state at the start of the next month (nested dicts of NumPy arrays).
    """
    par = _Params(model, theta_np)
    tr = _Trace(trace)
    cal = model.calendar
    blocs, parties = state_np["blocs"], state_np["parties"]
    economy, polity = state_np["economy"], state_np["polity"]
    t = int(polity["month"])
    u = [float(x) for x in np.asarray(draws_np["events"]).reshape(-1)]
    assert len(u) == len(EVENTS)

    # ------------------------------------------------------------ economy
    # eta(t) = phi eta(t-1) + sd z(t)
    noise = par["unemployment_noise_persistence"] * float(economy["noise"]) + par[
        "unemployment_noise_sd"
    ] * float(draws_np["unemployment"])
    onset = _decimal_year_index(cal, par["depression_onset"])
    recovery_start = _month_index(cal, 1933, 1)
    since_onset = t - onset
    if since_onset > 0:
        g = 1.0 - math.exp(-since_onset / par["depression_rise_months"])
    else:
        g = 0.0
    since_recovery = t - recovery_start
    if since_recovery > 0:
        recovery = math.exp(-since_recovery / par["recovery_months"])
    else:
        recovery = 1.0
    trend = par["unemployment_base"] + par["depression_severity"] * g * recovery
    unemployed = trend + noise
    if unemployed < 0.05:
        unemployed = 0.05
    # The hyperinflation aftershock decays from January 1924 (whatever the calendar start).
    months_since_1924 = t - _month_index(cal, 1924, 1)
    crisis = unemployed / par["labour_force"] + par["hyperinflation_aftershock"] * math.exp(
        -months_since_1924 / par["aftershock_months"]
    )

    # ------------------------------------------------------------ voter blocs
    old_size = [float(x) for x in blocs["size"]]
    pool = [0.0] * N_CONSTITUENCIES
    for b in range(N_BLOCS):
        c, m = divmod(b, N_MILIEUX)
        if m in (WORKERS, UNEMPLOYED):
            pool[c] += old_size[b]
    national_pool = sum(pool)
    fraction = _clip(unemployed / ELECTORATE_MILLIONS / national_pool, 0.0, 0.8)
    size = np.zeros(N_BLOCS)
    for b in range(N_BLOCS):
        c, m = divmod(b, N_MILIEUX)
        if m == UNEMPLOYED:
            size[b] = pool[c] * fraction
        elif m == WORKERS:
            size[b] = pool[c] * (1.0 - fraction)
        else:
            size[b] = old_size[b]

    # r <- r + (e_m X - r) / T_r
    radicalisation = np.zeros(N_BLOCS)
    for b in range(N_BLOCS):
        m = b % N_MILIEUX
        r = float(blocs["radicalisation"][b])
        target = float(K.MILIEU_CRISIS_EXPOSURE[m]) * crisis
        radicalisation[b] = r + (target - r) / par["radicalisation_months"]

    # ------------------------------------------------------------ parties
    organisation = np.array([float(x) for x in parties["organisation"]])
    o = organisation[NSDAP]
    o = o + par["nsdap_organisation_growth"] * (
        crisis - par["nsdap_organisation_threshold"]
    ) * o * (1.0 - o)
    organisation[NSDAP] = _clip(o, 0.005, 0.999)
    paramilitary = np.zeros(N_PARTIES)
    for p in range(N_PARTIES):
        paramilitary[p] = organisation[p] * float(K.PARAMILITARY_CAPACITY[p])
    # The drifts are random walks of one increment a month, realised at elections: the
    # candidate values bring them from `drift_steps` increments up to t + 1 in one step.
    drift_steps = int(parties["drift_steps"])
    root = math.sqrt(max(t + 1 - drift_steps, 0))
    national_drift = np.zeros(N_PARTIES)
    for p in range(N_PARTIES):
        national_drift[p] = float(parties["national_drift"][p]) + par[
            "opinion_drift_sd"
        ] * root * float(draws_np["national_drift"][p])
    regional_drift = np.zeros((N_CONSTITUENCIES, N_PARTIES))
    for c in range(N_CONSTITUENCIES):
        for p in range(N_PARTIES):
            regional_drift[c, p] = float(parties["regional_drift"][c, p]) + par[
                "regional_drift_sd"
            ] * root * float(draws_np["regional_drift"][c, p])
    violence = _clip(
        2.0
        * crisis
        * math.sqrt(paramilitary[NSDAP] / SA_CAPACITY * (paramilitary[KPD] / RFB_CAPACITY)),
        0.0,
        1.0,
    )

    # ------------------------------------------------------------ vote shares this month
    years = (t - _month_index(cal, 1924, 1)) / 12.0
    mobilisation = math.log(organisation[NSDAP] / par["nsdap_organisation_initial"])
    shares_now = np.zeros(N_PARTIES)
    for b in range(N_BLOCS):
        c, m = divmod(b, N_MILIEUX)
        s = float(K.MILIEU_SUSCEPTIBILITY[m])
        utility = []
        for p in range(N_PARTIES):
            dynamic = (
                par.party("crisis_loading", p) * radicalisation[b]
                + par.party("mobilisation_loading", p) * mobilisation
                + par.party("trend", p) * years
            )
            base = (
                math.log(float(K.MILIEU_AFFINITY[m, p]))
                + par.party("intercept", p)
                + float(parties["constituency_effect"][c, p])
            )
            utility.append(base + s * dynamic + national_drift[p] + regional_drift[c, p])
        top = max(utility)
        weights = [math.exp(x - top) for x in utility]
        total = sum(weights)
        for p in range(N_PARTIES):
            shares_now[p] += size[b] * weights[p] / total
    shares_now /= sum(size)

    # ------------------------------------------------------------ election
    slot_months = [_month_index(cal, *map(int, s.split("-"))) for s in K.ELECTION_SLOTS]
    n_slots = len(slot_months)
    regime = int(polity["regime"])
    regime_since = int(polity["regime_since"])
    next_slot = int(polity["next_slot"])
    early_election = int(polity["early_election"])
    shares = np.array(polity["shares"], dtype=np.float64)
    held = np.array(polity["held"], dtype=bool)
    election_month = np.array(polity["election_month"], dtype=np.int64)
    seat_share = np.array(parties["seat_share"], dtype=np.float64)
    last_election = int(polity["last_election"])

    slot_due = False
    hold = False
    if next_slot < n_slots:
        slot_due = t == slot_months[next_slot] or t == early_election
    if regime in (PARLIAMENTARY, PRESIDENTIAL):
        can_hold = True
    elif regime == NAZI:
        can_hold = t - regime_since <= 2
    else:
        can_hold = False
    if slot_due:
        tr.flag("election_held", can_hold)
        hold = can_hold
        if can_hold:
            shares[next_slot] = shares_now
            held[next_slot] = True
            election_month[next_slot] = t
            seat_share = shares_now.copy()
            last_election = t
        next_slot += 1
        early_election = -1

    # ------------------------------------------------------------ regime month
    # The Comintern line in force this month.
    lever = par["comintern_united_front_line"]
    start = _decimal_year_index(cal, par["third_period_start"])
    end = _decimal_year_index(cal, par["third_period_end"])
    if start <= t < end:
        line = lever
    else:
        line = max(lever, 0.3)

    nsdap = seat_share[NSDAP]
    negative_majority = seat_share[KPD] + seat_share[NSDAP] >= 0.5
    slump = unemployed / par["labour_force"]
    hindenburg = t >= _month_index(cal, 1925, 5)
    constitutional = regime in (PARLIAMENTARY, PRESIDENTIAL)

    # The united front.
    united_front = bool(polity["united_front"])
    if constitutional and not united_front:
        threat = _clip((nsdap - 0.05) / 0.25, 0.0, 1.5)
        readiness = line + (1.0 - line) * par["sectarian_residual"]
        hazard = par["united_front_rate"] * par["united_front_uptake"] * readiness * threat
        if tr.less("united_front_forms", u[EV["united_front"]], _probability(hazard)):
            united_front = True

    new_regime = regime
    civil_war_started = False
    if regime == PARLIAMENTARY:
        hazard = par["cabinet_fall_rate"] * (1.0 + 3.0 * crisis)
        if tr.less("cabinet_falls", u[EV["cabinet_fall"]], _probability(hazard)):
            if negative_majority:
                p_turn = 1.0
            elif hindenburg:
                p_turn = par["elite_authoritarianism"] * _sigmoid((slump - 0.15) / 0.02)
            else:
                p_turn = 0.0
            if tr.less("presidential_turn", u[EV["presidential_turn"]], p_turn):
                new_regime = PRESIDENTIAL
        if united_front:
            hazard = par["civil_war_violence_rate"] * violence
            if tr.less("violent_escalation", u[EV["violent_escalation"]], _probability(hazard)):
                new_regime = CIVIL_WAR
                civil_war_started = True
    elif regime == PRESIDENTIAL:
        # A dissolution calls an election two months ahead.
        if t - last_election >= 4 and early_election < 0:
            if tr.less("dissolution", u[EV["dissolution"]], _probability(par["dissolution_rate"])):
                early_election = t + 2
        appoint = False
        if tr.at_least("nazi_share_enough", nsdap, par["nazi_min_share"]):
            hazard = (
                par["nazi_appointment_rate"]
                * math.exp(par["nazi_share_elasticity"] * (nsdap - 0.33) / 0.1)
                * (1.0 - par["reichswehr_opposition"])
            )
            if united_front:
                hazard *= 1.0 - par["united_front_deterrence"]
            appoint = tr.less("nazi_appointment", u[EV["nazi_appointment"]], _probability(hazard))
        takeover = False
        restore = False
        if appoint:
            new_regime = NAZI
        else:
            hazard = par["authoritarian_takeover_rate"] * crisis / 0.3
            takeover = tr.less(
                "authoritarian_takeover", u[EV["authoritarian"]], _probability(hazard)
            )
            if takeover:
                new_regime = AUTHORITARIAN
            elif not negative_majority and slump < 0.12:
                restore = tr.less(
                    "return_to_parliament",
                    u[EV["return"]],
                    _probability(par["return_to_parliament_rate"]),
                )
                if restore:
                    new_regime = PARLIAMENTARY
        # A united left resists a move to dictatorship, or street fighting escalates.
        if (appoint or takeover) and united_front:
            if tr.less(
                "confrontation_civil_war",
                u[EV["confrontation"]],
                par["civil_war_on_confrontation"],
            ):
                new_regime = CIVIL_WAR
                civil_war_started = True
        if united_front:
            hazard = par["civil_war_violence_rate"] * violence
            if tr.less("violent_escalation", u[EV["violent_escalation"]], _probability(hazard)):
                new_regime = CIVIL_WAR
                civil_war_started = True
    elif regime == CIVIL_WAR:
        if tr.less("civil_war_ends", u[EV["civil_war_end"]], 1.0 / par["civil_war_months"]):
            left = paramilitary[KPD] + paramilitary[SPD]
            right = paramilitary[NSDAP] + paramilitary[DNVP]
            balance = (left - right) / max(left + right, 1e-3)
            p_left = _sigmoid(par["left_strength_effect"] * balance - par["army_bias_right"])
            if tr.less("left_wins", u[EV["civil_war_winner"]], p_left):
                new_regime = LEFT
            elif tr.at_least("nazis_win", nsdap, 0.25):
                new_regime = NAZI
            else:
                new_regime = AUTHORITARIAN
    # Nazi, authoritarian and left regimes persist.

    # ------------------------------------------------------------ records
    nazi_month = int(polity["nazi_month"])
    if nazi_month < 0 and new_regime == NAZI:
        nazi_month = t
    united_front_month = int(polity["united_front_month"])
    if united_front_month < 0 and united_front:
        united_front_month = t
    civil_war_month = int(polity["civil_war_month"])
    if civil_war_month < 0 and civil_war_started:
        civil_war_month = t
    if new_regime != regime:
        regime_since = t
    regime_1936 = int(polity["regime_1936"])
    if t == _month_index(cal, 1936, 12):
        regime_1936 = new_regime
    unemployment_sum = np.array(polity["unemployment_sum"], dtype=np.float64)
    year = cal.start_year + (t + cal.start_month - 1) // 12
    unemployment_sum[year - cal.start_year] += unemployed

    return {
        "blocs": {
            "size": size,
            "radicalisation": radicalisation,
            "alive": np.array(blocs["alive"], dtype=bool),
        },
        "parties": {
            "organisation": organisation,
            "paramilitary": paramilitary,
            "constituency_effect": np.array(parties["constituency_effect"], dtype=np.float64),
            "national_drift": national_drift
            if hold
            else np.array(parties["national_drift"], dtype=np.float64),
            "regional_drift": regional_drift
            if hold
            else np.array(parties["regional_drift"], dtype=np.float64),
            "drift_steps": np.int64(t + 1 if hold else drift_steps),
            "seat_share": seat_share,
        },
        "economy": {
            "unemployed": np.float64(unemployed),
            "noise": np.float64(noise),
            "crisis": np.float64(crisis),
        },
        "polity": {
            "month": np.int64(t + 1),
            "regime": np.int64(new_regime),
            "regime_since": np.int64(regime_since),
            "last_election": np.int64(last_election),
            "next_slot": np.int64(next_slot),
            "early_election": np.int64(early_election),
            "united_front": np.bool_(united_front),
            "violence": np.float64(violence),
            "nazi_month": np.int64(nazi_month),
            "united_front_month": np.int64(united_front_month),
            "civil_war_month": np.int64(civil_war_month),
            "regime_1936": np.int64(regime_1936),
            "shares": shares,
            "held": held,
            "election_month": election_month,
            "unemployment_sum": unemployment_sum,
        },
    }
