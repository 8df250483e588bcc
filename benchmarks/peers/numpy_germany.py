"""Weimar Germany from 1924 as hand-vectorised NumPy: every run and every agent at once.

A peer of abm's ``interwar.germany`` model (``docs/ODD.md``), the Germany slice on its
own (see :mod:`common`), for performance comparisons, written the way a scientist fluent
in NumPy would write it without abm: state is a handful of arrays with a leading run
axis (``R`` runs, ``B`` = 210 voter blocs, ``P`` = 8 parties, ``C`` = 35 constituencies:
``[R, B]`` bloc sizes and radicalisation, ``[R, C, P]`` constituency effects and
regional drift, ``[R, P]`` parties, ``[R]`` economy and polity: the united front and its
strength, Prussia's government, the NSDAP's disappointment), and the only Python loop is
over the months of the scenario's calendar (210 for 1924-01 .. 1941-06). Arithmetic is
float64 (NumPy's default; ``dtype=np.float32`` makes every float array and draw
float32).

The month follows ODD 7.1-7.11 as of the rebuilt slice (issue 13): the vote is a choice
among the 8 parties and staying at home (agrarian distress, the Protestant middle
class's defection, the NSDAP's organisation and its post-peak disappointment, the united
front's and a Nazi government's terms; no party time trends); an election is due at a
historical slot, two months after a dissolution or four years after the last one
(Art. 23), and is recorded under its own month; under a presidential cabinet the elites
choose among keeping it, a return to parliament, a dissolution, a military regime and
the Nazi appointment (a logit), and Hindenburg and the Reichswehr each accept or refuse;
the elites may depose Prussia's government; the united front forms from the KPD's line
and the SPD's willingness and builds its strength over months; the general strike and
Prussia's police are the left's force against a coup.

As in abm, the vote (a softmax over 210 blocs x 9 options, the costliest step) is
counted only for the runs that hold an election that month, and the opinion drifts, a
Gaussian random walk of one increment a month that only the vote observes, are realised
when it does (``sd * sqrt(months since last realised) * z``: the monthly walk's exact
distribution at every election; ODD 7.7).

Random numbers come from one ``numpy.random.default_rng(seed)`` stream in abm's shapes
and distributions (abm uses JAX's threefry, so results agree with abm statistically, not
bit for bit): the parameters from the scenario's Germany-only priors; at init the
constituency effects ``[R, C, P]`` and initial national drift ``[R, P]``; each month an
unemployment normal ``[R]`` and 11 event uniforms ``[R, 11]`` (the columns of abm's
``government.EV_*``, same order); at an election the
national ``[n, P]`` and regional ``[n, C, P]`` drift normals of the ``n`` voting runs.

Entry point: :func:`simulate` (scenario YAML, runs, seed) -> per-run outcome arrays
named as abm's ``GermanyModel.outcomes`` (format in :mod:`common`). ``replicas`` splits
each constituency into equal sub-constituencies, as abm's capacity scaling does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

try:  # imported as benchmarks.peers.numpy_germany
    from . import common as c
except ImportError:  # run as a script or with benchmarks/peers on sys.path
    import common as c  # type: ignore[no-redef]

N_AGENTS = c.N_AGENTS  # 218 = 210 voter blocs + 8 parties
N_MONTHS = c.N_MONTHS  # 210, the default calendar's (a run follows its scenario's)

# Event uniforms, one column each (same meaning and order as abm's draws).
(
    EV_CABINET_FALL,
    EV_PRESIDENTIAL_TURN,
    EV_PROPOSAL,
    EV_PRESIDENT,
    EV_ARMY,
    EV_PRUSSIA,
    EV_UNITED_FRONT,
    EV_CONFRONTATION,
    EV_VIOLENT_ESCALATION,
    EV_CIVIL_WAR_END,
    EV_CIVIL_WAR_WINNER,
) = range(11)
N_EVENTS = 11

M, P, K = c.N_MILIEUX, c.N_PARTIES, c.N_ELECTIONS
#: The elites' options under a presidential cabinet (7.11), in the order of their choice.
KEEP, PARLIAMENT, DISSOLVE, MILITARY, HITLER = range(5)


def prob(hazard: np.ndarray) -> np.ndarray:
    """Monthly probability ``1 - exp(-max(h, 0))`` of a monthly hazard."""
    return -np.expm1(-np.maximum(hazard, 0.0))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def unemployment_trend(t: float, p: dict, onset: np.ndarray, recovery_month: float) -> np.ndarray:
    """Deterministic unemployment path at month index ``t``, millions ``[R]`` (7.1)."""
    rise = -np.expm1(-np.maximum(t - onset, 0.0) / p["depression_rise_months"])
    recovery = np.exp(-max(t - recovery_month, 0.0) / p["recovery_months"])
    return p["unemployment_base"] + p["depression_severity"] * rise * recovery


def agrarian_distress(t: float, p: dict, onset: np.ndarray, recovery_month: float) -> np.ndarray:
    """Agrarian distress in 0..1 at month index ``t``, ``[R]`` (7.1)."""
    rise = -np.expm1(-np.maximum(t - onset, 0.0) / p["agrarian_rise_months"])
    return rise * np.exp(-max(t - recovery_month, 0.0) / p["recovery_months"])


def presidential_choice(
    p: dict,
    u: np.ndarray,
    nsdap: np.ndarray,
    dnvp: np.ndarray,
    nsdap_previous: np.ndarray,
    crisis: np.ndarray,
    violence: np.ndarray,
    slump: np.ndarray,
    sa: np.ndarray,
    left: np.ndarray,
    blocked: np.ndarray,
    can_dissolve: np.ndarray,
    window_open: bool,
    years: np.ndarray,
) -> np.ndarray:
    """The month's decision of a presidential cabinet, an option index ``[R]`` (7.11).

    The elites choose an option by a logit over their utilities (options not open have
    probability 0); it is carried out if Hindenburg and the Reichswehr leadership each
    accept it (a binary logit each), otherwise the cabinet stays (``KEEP``).
    """
    n_runs = nsdap.shape[0]
    fear = p["strike_deterrence"] * left
    util = np.empty((n_runs, 5), nsdap.dtype)
    util[:, KEEP] = p["decision_inertia"]
    util[:, PARLIAMENT] = p["parliament_return_util"] + (c.SLUMP_RETURN - slump) / c.SLUMP_WIDTH
    util[:, DISSOLVE] = p["dissolution_util"]
    util[:, MILITARY] = (
        p["military_util"]
        + 4.0 * (p["elite_authoritarianism"] - 0.5)
        + (crisis - 0.2) / 0.1
        + p["elite_violence_weight"] * violence
        - fear
    )
    util[:, HITLER] = (
        p["hitler_util"]
        + p["elite_framing"] * (nsdap - c.NSDAP_REFERENCE) / 0.1
        + p["elite_decline_weight"] * np.maximum(nsdap_previous - nsdap, 0.0) / 0.05
        - fear
    )
    util[blocked, PARLIAMENT] = -np.inf
    util[~can_dissolve, DISSOLVE] = -np.inf
    if not window_open:
        util[:, HITLER] = -np.inf
    w = np.exp(util - util.max(axis=1, keepdims=True))
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    proposal = np.argmax(cum > u[:, EV_PROPOSAL, None], axis=1)  # none above: KEEP
    tired = p["president_fatigue"] * years
    president = np.full((n_runs, 5), c.SURE, nsdap.dtype)
    president[:, MILITARY] = p["president_military_util"] + tired
    president[:, HITLER] = (
        -p["hitler_aversion"]
        + tired
        + p["president_base_wish"] * (nsdap + dnvp - c.RIGHT_REFERENCE) / 0.1
    )
    army = np.full((n_runs, 5), c.SURE, nsdap.dtype)
    army[:, MILITARY] = p["army_autonomy"] - p["army_two_front_fear"] * (sa + left)
    army[:, HITLER] = p["army_hitler_util"] + p["army_two_front_fear"] * (sa - left)
    rows = np.arange(n_runs)
    accept = (u[:, EV_PRESIDENT] < sigmoid(president[rows, proposal])) & (
        u[:, EV_ARMY] < sigmoid(army[rows, proposal])
    )
    return np.where(accept, proposal, KEEP)


def crisis_index(since_1924: float, unemployed: np.ndarray, p: dict) -> np.ndarray:
    """Crisis index ``U / L + A exp(-s / T_A)``, ``[R]`` (7.2)."""
    return unemployed / p["labour_force"] + p["hyperinflation_aftershock"] * np.exp(
        -since_1924 / p["aftershock_months"]
    )


def redistribute(size: np.ndarray, unemployed: np.ndarray) -> np.ndarray:
    """Labour market (7.3): each constituency's pool split by one national fraction.

    Args:
        size: ``[R, B]`` bloc sizes.
        unemployed: ``[R]`` registered unemployed, millions.
    """
    by_con = size.reshape(size.shape[0], -1, M)
    pool = by_con[:, :, c.WORKERS] + by_con[:, :, c.UNEMPLOYED]  # [R, C]
    frac = np.clip(unemployed / c.ELECTORATE_M / pool.sum(axis=1), 0.0, c.LABOUR_SHARE_MAX)
    out = by_con.copy()
    out[:, :, c.UNEMPLOYED] = pool * frac[:, None]
    out[:, :, c.WORKERS] = pool * (1.0 - frac[:, None])
    return out.reshape(size.shape)


def national_vote(
    size: np.ndarray,
    rad: np.ndarray,
    slope: np.ndarray,
    base: np.ndarray,
    regional: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Valid-vote national shares ``[n, P]`` and turnout ``[n]`` of ``n`` runs (7.9).

    Every bloc chooses among the ``P`` parties and staying at home (the last option) by a
    softmax over ``u_bo = r_b slope_mo + base_mo + regional_co``: the terms proportional
    to the bloc's radicalisation (``slope``), those shared by every bloc of a milieu
    (``base``) and the constituency's (``regional``, 0 for abstention). Blocs are viewed
    as ``[n, C, M, P + 1]`` so that the terms broadcast without gathers.

    Args:
        size: ``[n, B]`` bloc sizes.
        rad: ``[n, B]`` radicalisation.
        slope: ``[n, M, P + 1]`` logit per unit radicalisation.
        base: ``[n, M, P + 1]`` the milieu's logits at zero radicalisation.
        regional: ``[n, C, P]`` constituency effect plus regional drift.
    """
    n, n_c = regional.shape[:2]
    u = rad.reshape(n, n_c, M, 1) * slope[:, None, :, :]
    u += base[:, None, :, :]
    u[..., :P] += regional[:, :, None, :]
    # Softmax with the usual max shift. NumPy reduces a short last axis slowly, so the
    # max runs over the option slices and the sums are matrix products.
    top = u[..., 0].copy()
    for j in range(1, P + 1):
        np.maximum(top, u[..., j], out=top)
    u -= top[..., None]
    np.exp(u, out=u)
    weight = size.reshape(n, n_c, M) / (u @ np.ones(P + 1, u.dtype))  # size / sum exp
    votes = np.einsum("rcm,rcmp->rp", weight, u[..., :P])
    valid = votes.sum(axis=1)
    return votes / valid[:, None], valid / size.sum(axis=1)


def simulate(
    scenario_path: str,
    n_runs: int,
    seed: int,
    overrides: Mapping[str, str] | None = None,
    dtype: type = np.float64,
    replicas: int = 1,
) -> dict[str, np.ndarray]:
    """Simulate ``n_runs`` runs of a scenario, all at once.

    Args:
        scenario_path: scenario YAML (``configs/scenarios/otl.yaml``).
        n_runs: Monte Carlo runs ``R``.
        seed: seed of the run's ``numpy.random.default_rng``.
        overrides: ``NAME=VALUE`` pins, as abm's ``--set`` (e.g. ``depression_severity``).
        dtype: float type of the state and the draws (float64 by default).
        replicas: sub-constituencies per constituency (abm's capacity scaling; 1 is the
            historical map of 35 constituencies and 210 voter blocs).

    Returns:
        Per-run outcomes named as abm's ``outcomes()`` (see :mod:`common`).
    """
    sc = c.load(scenario_path, overrides)
    tl = sc.timeline
    lay = c.layout(replicas)
    R, C, B = int(n_runs), lay.n_constituencies, lay.n_blocs
    rng = np.random.default_rng(seed)

    # ---------------------------------------------------------------- parameters
    p = {k: x.astype(dtype) for k, x in c.sample_params(sc.priors, rng, R, sc.ranges).items()}
    v = {name: c.party_vector(p, name).astype(dtype) for name in c.PARTY_VECTORS}  # [R, P]
    onset = tl.month_of_year(p["depression_onset"])
    agrarian_onset = tl.month_of_year(p["agrarian_onset"])
    line_start = tl.month_of_year(p["third_period_start"])
    line_end = tl.month_of_year(p["third_period_end"])
    lever = p["comintern_united_front_line"]
    spd = p["united_front_uptake"]  # the SPD leadership's willingness
    exposure = c.EXPOSURE.astype(dtype)[lay.milieu][None, :]  # [1, B]
    capacity = c.PARAMILITARY_CAPACITY.astype(dtype)
    is_n = np.arange(P) == c.NSDAP  # [P]
    is_left = np.isin(np.arange(P), (c.KPD, c.SPD))  # [P]
    labour = c.LABOUR_MILIEU.astype(dtype)  # [M]
    # The vote's fixed parts (7.9), [R, M, P + 1] (the last option: abstain).
    s_m = c.SUSCEPTIBILITY.astype(dtype)[None, :]  # [1, M]
    slope = np.zeros((R, M, P + 1), dtype)
    slope[:, :, :P] = s_m[:, :, None] * v["crisis_loading"][:, None, :]
    slope[:, :, P] = -s_m * p["abstain_crisis_loading"][:, None]
    fixed = np.zeros((R, M, P + 1), dtype)
    fixed[:, :, :P] = c.LOG_AFFINITY[None, :, :] + v["intercept"][:, None, :]
    fixed[:, :, P] = c.LOG_ABSTENTION[None, :] + p["abstain_intercept"][:, None]
    # The agrarian loading of the NSDAP counts from 0.
    beta = np.where(is_n, np.maximum(v["agrarian_loading"], 0.0), v["agrarian_loading"])
    # The united front's terms per unit strength: the left's appeal to workers and the
    # unemployed, the NSDAP's pull on the unemployed, turnout of both.
    front_unit = np.zeros((R, M, P + 1), dtype)
    front_unit[:, :, :P] += (
        p["front_left_loading"][:, None, None] * labour[None, :, None] * is_left[None, None, :]
    )
    front_unit[:, c.UNEMPLOYED, c.NSDAP] -= p["front_nsdap_loading"]
    front_unit[:, :, P] -= p["front_turnout_loading"][:, None] * labour[None, :]
    # A Nazi-led government's campaign: propaganda for the NSDAP, the left repressed.
    power_unit = p["power_loading"][:, None] * is_n - p["repression_loading"][:, None] * is_left

    def vote(r: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
        """Shares and turnout of the runs ``r`` from the state arrays as they are now."""
        o = org[r, c.NSDAP]
        mob = np.log(o / p["nsdap_organisation_initial"][r])
        sl = slope[r].copy()
        sl[:, :, c.NSDAP] += (
            c.DEFECTION_EXPOSURE[None, :] * (p["defection_loading"][r] * o)[:, None]
        )
        reach = np.where(is_n, o[:, None], 1.0)  # [n, P]
        base = fixed[r].copy()
        base[:, :, c.NSDAP] += s_m * (mob * p["organisation_loading"][r])[:, None]
        base[:, :, :P] += (
            c.AGRARIAN_EXPOSURE[None, :, None] * (agrarian[r, None] * beta[r] * reach)[:, None, :]
        )
        front = np.where(united[r], strength[r], 0.0)
        base += front[:, None, None] * front_unit[r]
        national = drift_n[r] - (p["disappointment_loading"][r] * disappointed[r])[:, None] * is_n
        national += (regime[r] == c.NAZI)[:, None] * power_unit[r]
        base[:, :, :P] += national[:, None, :]
        return national_vote(size[r], rad[r], sl, base, effect[r] + drift_r[r])

    # ---------------------------------------------------------------- init (section 5)
    effect = p["constituency_spread"][:, None, None] * rng.standard_normal((R, C, P), dtype=dtype)
    unemployed = unemployment_trend(0.0, p, onset, tl.recovery_month)
    agrarian = agrarian_distress(0.0, p, agrarian_onset, tl.recovery_month)
    noise = np.zeros(R, dtype)
    crisis = crisis_index(float(tl.months_since_1924[0]), unemployed, p)
    size = redistribute(np.broadcast_to(lay.initial_size.astype(dtype), (R, B)), unemployed)
    rad = exposure * crisis[:, None]
    org = np.tile(c.ORGANISATION_START.astype(dtype), (R, 1))
    org[:, c.NSDAP] = p["nsdap_organisation_initial"]
    para = org * capacity
    drift_n = p["opinion_initial_sd"][:, None] * rng.standard_normal((R, P), dtype=dtype)
    drift_r = np.zeros((R, C, P), dtype)
    drift_steps = np.zeros(R, np.int64)  # monthly drift increments realised so far
    disappointed = np.zeros(R, dtype)
    regime = np.full(R, c.PARLIAMENTARY)
    united = np.zeros(R, bool)
    strength = np.zeros(R, dtype)
    seat, _ = vote(slice(None))

    regime_since = np.zeros(R, np.int64)
    last_election = np.full(R, -8)
    next_slot = np.full(R, tl.first_slot)
    early = np.full(R, -1)
    prussia_left = np.ones(R, bool)
    nsdap_previous = np.zeros(R, dtype)
    nazi_month = np.full(R, -1)
    uf_month = np.full(R, -1)
    cw_month = np.full(R, -1)
    regime_1936 = np.full(R, c.PARLIAMENTARY)
    n_grid = tl.n_grid
    shares = np.zeros((R, n_grid, P), dtype)
    held = np.zeros((R, n_grid), bool)
    n_ballots = np.zeros(R, np.int64)
    unemployment_sum = np.zeros((R, len(tl.year_labels)), dtype)
    runs = np.arange(R)

    # ---------------------------------------------------------------- months
    for t in range(tl.n_months):
        z_unemployment = rng.standard_normal(R, dtype=dtype)
        u = rng.random((R, N_EVENTS), dtype=dtype)
        since = float(tl.months_since_1924[t])

        # 7.1-7.2 economy, crisis and the agrarian distress
        noise = p["unemployment_noise_persistence"] * noise + p["unemployment_noise_sd"] * (
            z_unemployment
        )
        unemployed = np.maximum(
            unemployment_trend(float(t), p, onset, tl.recovery_month) + noise, c.UNEMPLOYMENT_FLOOR
        )
        crisis = crisis_index(since, unemployed, p)
        agrarian = agrarian_distress(float(t), p, agrarian_onset, tl.recovery_month)

        # 7.3-7.4 voter blocs
        size = redistribute(size, unemployed)
        rad += (exposure * crisis[:, None] - rad) / p["radicalisation_months"][:, None]

        # 7.5-7.8 parties, disappointment, violence
        o = org[:, c.NSDAP]
        o = o + p["nsdap_organisation_growth"] * (crisis - p["nsdap_organisation_threshold"]) * (
            o * (1.0 - o)
        )
        org[:, c.NSDAP] = np.clip(o, c.ORGANISATION_MIN, c.ORGANISATION_MAX)
        target = np.where(
            regime == c.NAZI, 0.0, np.maximum(seat[:, c.NSDAP] - p["disappointment_threshold"], 0.0)
        )
        disappointed += (target - disappointed) / p["disappointment_months"]
        para = org * capacity
        violence = np.clip(
            2.0
            * crisis
            * np.sqrt(para[:, c.NSDAP] / c.SA_CAPACITY * (para[:, c.KPD] / c.RFB_CAPACITY)),
            0.0,
            1.0,
        )

        # 7.10 an election if a slot, a dissolution or the four-year term calls one and
        # the regime holds it; 7.7 and 7.9 for its runs
        slot = np.minimum(next_slot, K - 1)
        slot_due = (next_slot < K) & (tl.slot_months[slot] == t)
        other_due = (early == t) | (t - last_election >= c.TERM_MONTHS)
        can_hold = (
            (regime == c.PARLIAMENTARY)
            | (regime == c.PRESIDENTIAL)
            | ((regime == c.NAZI) & (t - regime_since <= c.NAZI_ELECTION_GRACE))
        )
        hold = (slot_due | other_due) & can_hold
        if hold.any():
            r = runs[hold]
            root = np.sqrt(t + 1 - drift_steps[r]).astype(dtype)
            drift_n[r] += (p["opinion_drift_sd"][r] * root)[:, None] * rng.standard_normal(
                (r.size, P), dtype=dtype
            )
            drift_r[r] += (p["regional_drift_sd"][r] * root)[:, None, None] * rng.standard_normal(
                (r.size, C, P), dtype=dtype
            )
            drift_steps[r] = t + 1
            now, _ = vote(r)
            # recorded under its own month while the run has ballot records left
            k = t - tl.grid_start
            if 0 <= k < n_grid:
                rec = r[n_ballots[r] < c.MAX_BALLOTS]
                shares[rec, k] = now[n_ballots[r] < c.MAX_BALLOTS]
                held[rec, k] = True
            n_ballots[r] += 1
            nsdap_previous[r] = seat[r, c.NSDAP]
            seat[r] = now
            last_election[r] = t
        next_slot += (next_slot < K) & (slot_due | hold)  # an early election takes a slot
        early[(early == t) | hold] = -1

        # 7.11 the regime month
        in_third = (line_start <= t) & (t < line_end)
        line = np.where(in_third, lever, np.maximum(lever, c.LINE_FROM_BELOW))
        nsdap = seat[:, c.NSDAP]
        parl = regime == c.PARLIAMENTARY
        pres = regime == c.PRESIDENTIAL
        constitutional = parl | pres
        slump = unemployed / p["labour_force"]
        window_open = t < tl.hindenburg_death_month

        # the united front: the KPD's line and the SPD's willingness; strength builds
        a, b, cap = c.THREAT
        threat = np.clip((nsdap - a) / b, 0.0, cap)
        ready = line * spd
        local = p["sectarian_residual"] * spd * np.minimum(threat, 1.0)
        forms = (
            constitutional
            & ~united
            & (u[:, EV_UNITED_FRONT] < prob(p["united_front_rate"] * ready * threat))
        )
        united = united | forms
        goal = np.where(united, np.maximum(ready, local), local)
        strength = strength + (goal - strength) / c.BUILD_MONTHS
        strength = np.where(forms, np.maximum(strength, 2.0 * c.BREAK_STRENGTH), strength)
        united = united & (strength >= c.BREAK_STRENGTH)
        strength = np.clip(strength, 0.0, 1.0)

        # the left's force: a general strike, and Prussia's police with a front
        strike = np.clip(
            p["strike_base"]
            * np.exp(-p["strike_unemployment_sensitivity"] * slump)
            * (1.0 + p["strike_united_front_gain"] * strength),
            0.0,
            1.0,
        )
        left = strike + c.PRUSSIAN_POLICE * prussia_left * strength
        sa = np.clip(para[:, c.NSDAP] / c.SA_AT_FULL, 0.0, 1.0)
        blocked = nsdap + seat[:, c.KPD] * (1.0 - strength) >= 0.5

        # parliamentary cabinets fall; in a slump Hindenburg's circle turns presidential
        fall = parl & (u[:, EV_CABINET_FALL] < prob(p["cabinet_fall_rate"] * (1.0 + 3.0 * crisis)))
        if t >= tl.hindenburg_month:
            p_turn = p["elite_authoritarianism"] * sigmoid((slump - c.SLUMP_TURN) / c.SLUMP_WIDTH)
        else:
            p_turn = np.zeros(R, dtype)
        p_turn = np.where(blocked, 1.0, p_turn)
        to_presidential = fall & (u[:, EV_PRESIDENTIAL_TURN] < p_turn)

        # presidential cabinets: the elites propose, the President and the army accept
        choice = presidential_choice(
            p,
            u,
            nsdap,
            seat[:, c.DNVP],
            nsdap_previous,
            crisis,
            violence,
            slump,
            sa,
            left,
            blocked,
            (t - last_election >= c.MIN_REICHSTAG_AGE) & (early < 0),
            window_open,
            np.where(pres, (t - regime_since) / 12.0, 0.0),
        )
        choice = np.where(pres, choice, KEEP)
        appoint, takeover = choice == HITLER, choice == MILITARY
        restore, dissolve = choice == PARLIAMENT, choice == DISSOLVE
        early = np.where(dissolve, t + c.EARLY_ELECTION_DELAY, early)

        # Prussia: the elites' coup against the Braun-Severing government
        weimar = seat[:, c.SPD] + seat[:, c.ZENTRUM] + seat[:, c.DDP]
        no_majority = (t >= tl.landtag_month) & (weimar < 0.5)
        coup_logit = (
            p["prussia_coup_util"]
            + c.NO_MAJORITY_WEIGHT * no_majority
            + 4.0 * (p["elite_authoritarianism"] - 0.5)
            + p["elite_violence_weight"] * violence
            - p["strike_deterrence"] * left
        )
        prussia_left = prussia_left & ~(pres & (u[:, EV_PRUSSIA] < sigmoid(coup_logit)))

        # a move to dictatorship meets the left: a general strike brings it down, or
        # civil war; street violence escalates while a front exists
        resist_p = p["civil_war_on_confrontation"] * np.clip(left, 0.0, 1.0) * united
        resist = (appoint | takeover) & (u[:, EV_CONFRONTATION] < resist_p)
        p_collapse = sigmoid(p["left_strength_effect"] * (left - sa) - p["army_bias_right"])
        collapse = resist & (u[:, EV_CONFRONTATION] < resist_p * p_collapse)
        cw_start = (resist & ~collapse) | (
            constitutional
            & united
            & (u[:, EV_VIOLENT_ESCALATION] < prob(p["civil_war_violence_rate"] * violence))
        )
        new = np.select(
            [cw_start, collapse, appoint, takeover, restore, to_presidential],
            [c.CIVIL_WAR, c.PRESIDENTIAL, c.NAZI, c.AUTHORITARIAN, c.PARLIAMENTARY, c.PRESIDENTIAL],
            regime,
        )
        # an ongoing civil war ends; the paramilitary balance and the army decide it
        ends = (regime == c.CIVIL_WAR) & (u[:, EV_CIVIL_WAR_END] < 1.0 / p["civil_war_months"])
        if ends.any():
            left_men = para[:, c.KPD] + para[:, c.SPD]
            right_men = para[:, c.NSDAP] + para[:, c.DNVP]
            balance = (left_men - right_men) / np.maximum(left_men + right_men, 1e-3)
            p_left = sigmoid(p["left_strength_effect"] * balance - p["army_bias_right"])
            nazi_wins = window_open & (para[:, c.NSDAP] > para[:, c.DNVP])
            winner = np.where(
                u[:, EV_CIVIL_WAR_WINNER] < p_left,
                c.LEFT,
                np.where(nazi_wins, c.NAZI, c.AUTHORITARIAN),
            )
            new = np.where(ends, winner, new)

        # records
        regime_since = np.where(new != regime, t, regime_since)
        regime = new
        nazi_month = np.where((nazi_month < 0) & (regime == c.NAZI), t, nazi_month)
        uf_month = np.where((uf_month < 0) & united, t, uf_month)
        cw_month = np.where((cw_month < 0) & cw_start, t, cw_month)
        if t == tl.month_1936:
            regime_1936 = regime.copy()
        unemployment_sum[:, tl.year_index[t]] += unemployed

    return {
        "nazi_power": nazi_month,
        "united_front": uf_month,
        "german_civil_war": cw_month,
        "german_regime_1936": c.REGIME_TO_1936[regime_1936],
        "reichstag_share": shares,
        "reichstag_share/mask": np.broadcast_to(held[:, :, None], shares.shape).copy(),
        "german_unemployment": unemployment_sum / tl.months_in_year.astype(dtype),
    }


if __name__ == "__main__":  # pragma: no cover - a quick look
    import sys
    import time

    path = sys.argv[1] if len(sys.argv) > 1 else "configs/scenarios/otl.yaml"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    t0 = time.perf_counter()
    out = simulate(path, n, 0)
    dt = time.perf_counter() - t0
    print(f"{n} runs in {dt:.2f} s ({n / dt:.0f} runs/s)")
    for key, val in c.summarise(out).items():
        if "/" not in key or key.startswith("german_unemployment/1932"):
            print(f"{key:32s} {val[0]:.4f} +- {val[1]:.4f}")
