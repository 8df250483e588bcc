"""The Germany slice's regime month, the slow way: plain Python floats and if/else.

An independent re-implementation of :mod:`abm.models.interwar.germany.government` and
its helpers (presidency, prussia, strike, united_front) from the equations in
``docs/ODD.md`` ("Submodels: government"), for ``germany_numpy.reference_month``.
Every decision goes through the trace (``tr``) so the test can see which branches ran
and refuse knife edges.
"""

from __future__ import annotations

import math
from typing import Any

from abm.models.interwar.germany import constants as K

KPD, SPD, ZENTRUM, DDP, DNVP, NSDAP = K.KPD, K.SPD, K.ZENTRUM, K.DDP, K.DNVP, K.NSDAP
PARLIAMENTARY, PRESIDENTIAL, NAZI, AUTHORITARIAN, LEFT, CIVIL_WAR = range(6)

#: The order of the month's event uniforms (``MonthDraws.events``).
EVENTS = (
    "cabinet_fall",
    "presidential_turn",
    "proposal",
    "president",
    "army",
    "prussia",
    "united_front",
    "confrontation",
    "violent_escalation",
    "civil_war_end",
    "civil_war_winner",
)
EV = {name: i for i, name in enumerate(EVENTS)}
#: The elites' options, in the order of their logit choice.
OPTIONS = ("keep", "parliament", "dissolve", "military", "hitler")
#: Constants of the equations (ODD "Submodels: government").
POLICE = 0.8  # Prussian police / Reichswehr
SA_FULL = 450.0  # thousands of SA men = 1 Reichswehr unit of threat
BUILD_MONTHS = 6.0
BREAK = 0.05
NO_MAJORITY = 4.0
SURE = 30.0
HINDENBURG_DEATH = (1934, 8)
LANDTAG = (1932, 4)


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _p(h: float) -> float:
    return 1.0 - math.exp(-max(h, 0.0))


def regime_month(par: Any, tr: Any, s: dict[str, Any], u: Any) -> dict[str, Any]:
    """One regime month.

    Args:
        par: parameters by name (``par["hitler_util"]``).
        tr: the decision trace (``less``, ``at_least``, ``flag``).
        s: the month's information: ``t``, ``regime``, ``regime_since``,
            ``united_front``, ``strength``, ``prussia_left``, ``early_election``,
            ``last_election``, ``seat`` (list of shares), ``nsdap_previous``,
            ``paramilitary``, ``crisis``, ``slump``, ``hindenburg``, ``window_open``,
            ``landtag_expired``, ``violence``, ``line``.
        u: the event uniforms.

    Returns:
        ``regime``, ``united_front``, ``strength``, ``prussia_left``,
        ``early_election``, ``civil_war_started``.
    """
    t, regime = s["t"], s["regime"]
    seat = s["seat"]
    n = seat[NSDAP]
    spd_will = par["united_front_uptake"]
    constitutional = regime in (PARLIAMENTARY, PRESIDENTIAL)

    # The united front.
    threat = min(max((n - 0.05) / 0.25, 0.0), 1.5)
    ready = s["line"] * spd_will
    local = par["sectarian_residual"] * spd_will * min(threat, 1.0)
    uf = bool(s["united_front"])
    strength = s["strength"]
    formed = False
    if constitutional and not uf:
        hazard = par["united_front_rate"] * ready * threat
        formed = tr.less("united_front_forms", u[EV["united_front"]], _p(hazard))
    uf = uf or formed
    goal = max(ready, local) if uf else local
    strength = strength + (goal - strength) / BUILD_MONTHS
    if formed:
        strength = max(strength, 2 * BREAK)
    if uf and strength < BREAK:
        uf = False
    strength = min(max(strength, 0.0), 1.0)

    # The left's force and the SA.
    strike = par["strike_base"] * math.exp(-par["strike_unemployment_sensitivity"] * s["slump"])
    strike = min(max(strike * (1.0 + par["strike_united_front_gain"] * strength), 0.0), 1.0)
    left = strike + (POLICE * strength if s["prussia_left"] else 0.0)
    sa = min(max(s["paramilitary"][NSDAP] / SA_FULL, 0.0), 1.0)
    blocked = n + seat[KPD] * (1.0 - strength) >= 0.5

    new = regime
    cw = False
    early = s["early_election"]
    prussia_left = bool(s["prussia_left"])
    if regime == PARLIAMENTARY:
        if tr.less(
            "cabinet_falls",
            u[EV["cabinet_fall"]],
            _p(par["cabinet_fall_rate"] * (1.0 + 3.0 * s["crisis"])),
        ):
            if blocked:
                p_turn = 1.0
            elif s["hindenburg"]:
                p_turn = par["elite_authoritarianism"] * _sig((s["slump"] - 0.15) / 0.02)
            else:
                p_turn = 0.0
            if tr.less("presidential_turn", u[EV["presidential_turn"]], p_turn):
                new = PRESIDENTIAL
    elif regime == PRESIDENTIAL:
        years = (t - s["regime_since"]) / 12.0
        fear = par["strike_deterrence"] * left
        # The elites' utilities, the options they may not take left out.
        util = {"keep": par["decision_inertia"]}
        if not blocked:
            util["parliament"] = par["parliament_return_util"] + (0.12 - s["slump"]) / 0.02
        if t - s["last_election"] >= 4 and early < 0:
            util["dissolve"] = par["dissolution_util"]
        util["military"] = (
            par["military_util"]
            + 4.0 * (par["elite_authoritarianism"] - 0.5)
            + (s["crisis"] - 0.2) / 0.1
            + par["elite_violence_weight"] * s["violence"]
            - fear
        )
        if s["window_open"]:
            util["hitler"] = (
                par["hitler_util"]
                + par["elite_framing"] * (n - 0.3) / 0.1
                + par["elite_decline_weight"] * max(s["nsdap_previous"] - n, 0.0) / 0.05
                - fear
            )
        top = max(util.values())
        weights = {k: math.exp(v - top) for k, v in util.items()}
        total = sum(weights.values())
        proposal = "keep"
        cum = 0.0
        for option in OPTIONS:
            if option in util:
                cum += weights[option] / total
                if tr.less("proposal_" + option, u[EV["proposal"]], cum):
                    proposal = option
                    break
        # Hindenburg's and the army's assent.
        right = n + seat[DNVP]
        if proposal == "hitler":
            v_pres = (
                -par["hitler_aversion"]
                + par["president_fatigue"] * years
                + par["president_base_wish"] * (right - 0.45) / 0.1
            )
            v_army = par["army_hitler_util"] + par["army_two_front_fear"] * (sa - left)
        elif proposal == "military":
            v_pres = par["president_military_util"] + par["president_fatigue"] * years
            v_army = par["army_autonomy"] - par["army_two_front_fear"] * (sa + left)
        else:
            v_pres = v_army = SURE
        agreed = tr.less("president_accepts", u[EV["president"]], _sig(v_pres))
        agreed = tr.less("army_accepts", u[EV["army"]], _sig(v_army)) and agreed
        choice = proposal if agreed else "keep"
        if choice == "parliament":
            new = PARLIAMENTARY
        elif choice == "dissolve":
            early = t + 2
        elif choice in ("hitler", "military"):
            new = NAZI if choice == "hitler" else AUTHORITARIAN
            if uf:
                p_resist = par["civil_war_on_confrontation"] * min(max(left, 0.0), 1.0)
                if tr.less("left_resists", u[EV["confrontation"]], p_resist):
                    edge = par["left_strength_effect"] * (left - sa) - par["army_bias_right"]
                    p_fall = _sig(edge)
                    if tr.less("regime_collapses", u[EV["confrontation"]], p_resist * p_fall):
                        new = PRESIDENTIAL
                    else:
                        new = CIVIL_WAR
                        cw = True
        # Prussia.
        if prussia_left:
            weimar = seat[SPD] + seat[ZENTRUM] + seat[DDP]
            no_majority = bool(s["landtag_expired"]) and weimar < 0.5
            coup = (
                par["prussia_coup_util"]
                + (NO_MAJORITY if no_majority else 0.0)
                + 4.0 * (par["elite_authoritarianism"] - 0.5)
                + par["elite_violence_weight"] * s["violence"]
                - par["strike_deterrence"] * left
            )
            if tr.less("preussenschlag", u[EV["prussia"]], _sig(coup)):
                prussia_left = False
    elif regime == CIVIL_WAR:
        if tr.less("civil_war_ends", u[EV["civil_war_end"]], 1.0 / par["civil_war_months"]):
            para = s["paramilitary"]
            lm, rm = para[KPD] + para[SPD], para[NSDAP] + para[DNVP]
            balance = (lm - rm) / max(lm + rm, 1e-3)
            p_left = _sig(par["left_strength_effect"] * balance - par["army_bias_right"])
            if tr.less("left_wins", u[EV["civil_war_winner"]], p_left):
                new = LEFT
            elif tr.flag("nazis_win", bool(s["window_open"]) and para[NSDAP] > para[DNVP]):
                new = NAZI
            else:
                new = AUTHORITARIAN
    # Street fighting escalates while a front exists (the constitution still standing).
    if constitutional and uf and not cw:
        h = par["civil_war_violence_rate"] * s["violence"]
        if tr.less("violent_escalation", u[EV["violent_escalation"]], _p(h)):
            new = CIVIL_WAR
            cw = True
    return {
        "regime": new,
        "united_front": uf,
        "strength": strength,
        "prussia_left": prussia_left,
        "early_election": early,
        "civil_war_started": cw,
    }
