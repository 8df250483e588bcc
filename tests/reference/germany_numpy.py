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

from . import germany_regime_numpy as regime_ref

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
EVENTS = regime_ref.EVENTS
EV = regime_ref.EV

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
        "disappointment",
    ),
    "economy": ("unemployed", "noise", "crisis", "agrarian"),
    "polity": (
        "month",
        "regime",
        "regime_since",
        "last_election",
        "next_slot",
        "early_election",
        "united_front",
        "united_front_strength",
        "prussia_left",
        "nsdap_previous",
        "violence",
        "nazi_month",
        "united_front_month",
        "civil_war_month",
        "regime_1936",
        "shares",
        "turnout",
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
    aftershock = par["hyperinflation_aftershock"] * math.exp(
        -months_since_1924 / par["aftershock_months"]
    )
    crisis = unemployed / par["labour_force"] + aftershock
    # A(t) = (1 - exp(-(t - t_agr)^+ / T_agr)) * recovery (the same recovery as above).
    since_agrarian = t - _decimal_year_index(cal, par["agrarian_onset"])
    if since_agrarian > 0:
        agrarian = (1.0 - math.exp(-since_agrarian / par["agrarian_rise_months"])) * recovery
    else:
        agrarian = 0.0

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
    # D <- D + ([not in power] (S_N - theta_D)^+ - D) / T_D, S_N at the last election.
    if int(polity["regime"]) == NAZI:
        let_down = 0.0
    else:
        let_down = max(float(parties["seat_share"][NSDAP]) - par["disappointment_threshold"], 0.0)
    old_d = float(parties["disappointment"])
    disappointment = old_d + (let_down - old_d) / par["disappointment_months"]
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
    # Every bloc chooses among the parties and staying at home (voters.py's equation).
    o_n = organisation[NSDAP]
    mobilisation = math.log(o_n / par["nsdap_organisation_initial"])
    front = 1.0 if bool(polity["united_front"]) else 0.0
    if "united_front_strength" in polity:
        front *= float(polity["united_front_strength"])
    votes = np.zeros(N_PARTIES)
    for b in range(N_BLOCS):
        c, m = divmod(b, N_MILIEUX)
        s = float(K.MILIEU_SUSCEPTIBILITY[m])
        labour = m in (WORKERS, UNEMPLOYED)
        utility = []
        for p in range(N_PARTIES):
            u_bp = (
                math.log(float(K.MILIEU_AFFINITY[m, p]))
                + par.party("intercept", p)
                + float(parties["constituency_effect"][c, p])
                + national_drift[p]
                + regional_drift[c, p]
                + s * par.party("crisis_loading", p) * radicalisation[b]
            )
            agrarian_loading = par.party("agrarian_loading", p)
            if p == NSDAP:
                # Its agrarian loading counts from 0 and reaches as far as its organisation.
                u_bp += float(K.AGRARIAN_EXPOSURE[m]) * max(agrarian_loading, 0.0) * agrarian * o_n
                u_bp += s * par["organisation_loading"] * mobilisation
                u_bp += (
                    float(K.DEFECTION_EXPOSURE[m])
                    * par["defection_loading"]
                    * radicalisation[b]
                    * o_n
                )
                u_bp -= par["disappointment_loading"] * disappointment
                if m == UNEMPLOYED:
                    u_bp -= par["front_nsdap_loading"] * front
            else:
                u_bp += float(K.AGRARIAN_EXPOSURE[m]) * agrarian_loading * agrarian
            if p in (KPD, SPD) and labour:
                u_bp += par["front_left_loading"] * front
            # The workers' estrangement from the SPD in the hyperinflation's aftershock.
            if p == SPD and labour:
                u_bp -= max(par["aftershock_spd_loading"], 0.0) * aftershock
            # Under a Nazi-led government: its state power, the left's repression.
            if int(polity["regime"]) == NAZI:
                if p == NSDAP:
                    u_bp += par["power_loading"]
                elif p in (KPD, SPD):
                    u_bp -= par["repression_loading"]
            utility.append(u_bp)
        abstain = (
            math.log(float(K.MILIEU_ABSTENTION[m]))
            + par["abstain_intercept"]
            - s * par["abstain_crisis_loading"] * radicalisation[b]
        )
        if labour:
            abstain -= par["front_turnout_loading"] * front
        utility.append(abstain)
        top = max(utility)
        weights = [math.exp(x - top) for x in utility]
        total = sum(weights)
        for p in range(N_PARTIES):
            votes[p] += size[b] * weights[p] / total
    valid = sum(votes)
    shares_now = votes / valid
    turnout_now = valid / sum(size)

    # ------------------------------------------------------------ election
    slot_months = [_month_index(cal, *map(int, s.split("-"))) for s in K.ELECTION_SLOTS]
    n_slots = len(slot_months)
    regime = int(polity["regime"])
    regime_since = int(polity["regime_since"])
    next_slot = int(polity["next_slot"])
    early_election = int(polity["early_election"])
    shares = np.array(polity["shares"], dtype=np.float64)
    turnout = np.array(polity["turnout"], dtype=np.float64)
    held = np.array(polity["held"], dtype=bool)
    election_month = np.array(polity["election_month"], dtype=np.int64)
    seat_share = np.array(parties["seat_share"], dtype=np.float64)
    last_election = int(polity["last_election"])

    # Due: the next historical slot's month, a called early election, or four years
    # since the last election (Art. 23).
    slot_due = next_slot < n_slots and t == slot_months[next_slot]
    other_due = t == early_election or t - last_election >= 48
    hold = False
    if regime in (PARLIAMENTARY, PRESIDENTIAL):
        can_hold = True
    elif regime == NAZI:
        can_hold = t - regime_since <= 2
    else:
        can_hold = False
    if slot_due or other_due:
        tr.flag("election_held", can_hold)
        hold = can_hold
    if hold:
        # The next free ballot record (in the order held), labelled by its own month.
        n_held = int(held.sum())
        if n_held < len(held):
            shares[n_held] = shares_now
            turnout[n_held] = turnout_now
            held[n_held] = True
            election_month[n_held] = t
        seat_share = shares_now.copy()
        last_election = t
    # An election held before the next slot replaces it; a slot's month uses it up.
    if next_slot < n_slots and (slot_due or hold):
        next_slot += 1
    if t == early_election or hold:
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
    nsdap_previous = float(polity["nsdap_previous"])
    if hold:
        nsdap_previous = float(parties["seat_share"][NSDAP])
    out = regime_ref.regime_month(
        par,
        tr,
        {
            "t": t,
            "regime": regime,
            "regime_since": regime_since,
            "united_front": bool(polity["united_front"]),
            "strength": float(polity["united_front_strength"]),
            "prussia_left": bool(polity["prussia_left"]),
            "early_election": early_election,
            "last_election": last_election,
            "seat": [float(x) for x in seat_share],
            "nsdap_previous": nsdap_previous,
            "paramilitary": [float(x) for x in paramilitary],
            "crisis": crisis,
            "slump": unemployed / par["labour_force"],
            "hindenburg": t >= _month_index(cal, 1925, 5),
            "window_open": t < _month_index(cal, *regime_ref.HINDENBURG_DEATH),
            "landtag_expired": t >= _month_index(cal, *regime_ref.LANDTAG),
            "violence": violence,
            "line": line,
        },
        u,
    )
    new_regime = out["regime"]
    united_front = out["united_front"]
    early_election = out["early_election"]
    civil_war_started = out["civil_war_started"]

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
            "disappointment": np.float64(disappointment),
        },
        "economy": {
            "unemployed": np.float64(unemployed),
            "noise": np.float64(noise),
            "crisis": np.float64(crisis),
            "agrarian": np.float64(agrarian),
        },
        "polity": {
            "month": np.int64(t + 1),
            "regime": np.int64(new_regime),
            "regime_since": np.int64(regime_since),
            "last_election": np.int64(last_election),
            "next_slot": np.int64(next_slot),
            "early_election": np.int64(early_election),
            "united_front": np.bool_(united_front),
            "united_front_strength": np.float64(out["strength"]),
            "prussia_left": np.bool_(out["prussia_left"]),
            "nsdap_previous": np.float64(nsdap_previous),
            "violence": np.float64(violence),
            "nazi_month": np.int64(nazi_month),
            "united_front_month": np.int64(united_front_month),
            "civil_war_month": np.int64(civil_war_month),
            "regime_1936": np.int64(regime_1936),
            "shares": shares,
            "turnout": turnout,
            "held": held,
            "election_month": election_month,
            "unemployment_sum": unemployment_sum,
        },
    }
