"""Weimar Germany from 1924 as hand-vectorised NumPy: every run and every agent at once.

A peer of abm's ``interwar.germany`` model (``docs/ODD.md``), the Germany slice on its
own (see :mod:`common`), for performance comparisons, written the way a scientist fluent in NumPy would write it without abm:
state is a handful of arrays with a leading run axis (``R`` runs, ``B`` = 210 voter
blocs, ``P`` = 8 parties, ``C`` = 35 constituencies: ``[R, B]`` bloc sizes and
radicalisation, ``[R, C, P]`` constituency effects and regional drift, ``[R, P]``
parties, ``[R]`` economy and polity), and the only Python loop is over the months of the
scenario's calendar (210 for 1924-01 .. 1941-06).
Arithmetic is float64 (NumPy's default; ``dtype=np.float32`` makes every float array
and draw float32).

As in abm, the vote (a softmax over 210 blocs x 8 parties, the costliest step) is
counted only for the runs that hold an election that month, and the opinion drifts, a
Gaussian random walk of one increment a month that only the vote observes, are realised
when it does (``sd * sqrt(months since last realised) * z``: the monthly walk's exact
distribution at every election; ODD 7.7).

Random numbers come from one ``numpy.random.default_rng(seed)`` stream in abm's shapes
and distributions (abm uses JAX's threefry, so results agree with abm statistically, not
bit for bit): the parameters from the scenario's Germany-only priors; at init the
constituency effects ``[R, C, P]`` and initial national drift ``[R, P]``; each month an
unemployment normal ``[R]`` and 11 event uniforms ``[R, 11]``; at an election the
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
    EV_DISSOLUTION,
    EV_NAZI_APPOINTMENT,
    EV_AUTHORITARIAN,
    EV_RETURN,
    EV_UNITED_FRONT,
    EV_CONFRONTATION,
    EV_VIOLENT_ESCALATION,
    EV_CIVIL_WAR_END,
    EV_CIVIL_WAR_WINNER,
) = range(11)
N_EVENTS = 11

M, P, K = c.N_MILIEUX, c.N_PARTIES, c.N_ELECTIONS


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


def national_shares(
    size: np.ndarray,
    rad: np.ndarray,
    national: np.ndarray,
    regional: np.ndarray,
    campaign: np.ndarray,
    crisis_loading: np.ndarray,
    log_affinity: np.ndarray,
    susceptibility: np.ndarray,
) -> np.ndarray:
    """Electorate-weighted national vote shares ``[n, P]`` of ``n`` runs (7.9).

    ``u_bp = ln a_mp + alpha_p + e_cp + s_m (lambda_p r_b + mu_p ln(O_N / O_N0) + tau_p y)
    + w_p + w_cp``, then a softmax over parties per bloc. Blocs are viewed as
    ``[n, C, M, P]`` so that constituency and milieu terms broadcast without gathers.

    Args:
        size: ``[n, B]`` bloc sizes.
        rad: ``[n, B]`` radicalisation.
        national: ``[n, P]`` intercept plus national drift.
        regional: ``[n, C, P]`` constituency effect plus regional drift.
        campaign: ``[n, P]`` ``mu ln(O_N / O_N0) + tau y``.
        crisis_loading: ``[n, P]``.
        log_affinity: ``[M, P]`` milieu affinities, logit.
        susceptibility: ``[M]``.
    """
    n, n_c = regional.shape[:2]
    u = rad.reshape(n, n_c, M, 1) * crisis_loading[:, None, None, :]
    u += campaign[:, None, None, :]
    u *= susceptibility[None, None, :, None]
    u += log_affinity[None, None, :, :]
    u += national[:, None, None, :]
    u += regional[:, :, None, :]
    # Softmax over parties with the usual max shift. NumPy reduces a short last axis
    # slowly, so the max runs over the 8 party slices and the sums are matrix products.
    top = u[..., 0].copy()
    for j in range(1, P):
        np.maximum(top, u[..., j], out=top)
    u -= top[..., None]
    np.exp(u, out=u)
    weight = size.reshape(n, n_c, M) / (u @ np.ones(P, u.dtype))  # size_b / sum_p exp(u_bp)
    return np.einsum("rcm,rcmp->rp", weight, u) / size.sum(axis=1)[:, None]


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
    line_start = tl.month_of_year(p["third_period_start"])
    line_end = tl.month_of_year(p["third_period_end"])
    lever = p["comintern_united_front_line"]
    log_affinity = c.LOG_AFFINITY.astype(dtype)  # [M, P]
    susceptibility = c.SUSCEPTIBILITY.astype(dtype)  # [M]
    exposure = c.EXPOSURE.astype(dtype)[lay.milieu][None, :]  # [1, B]
    capacity = c.PARAMILITARY_CAPACITY.astype(dtype)

    def vote(r: np.ndarray | slice, years: float) -> np.ndarray:
        """National shares of the runs ``r`` from the state arrays as they are now (7.9)."""
        mob = np.log(org[r, c.NSDAP] / p["nsdap_organisation_initial"][r])
        campaign = mob[:, None] * v["mobilisation_loading"][r] + years * v["trend"][r]
        return national_shares(
            size[r],
            rad[r],
            v["intercept"][r] + drift_n[r],
            effect[r] + drift_r[r],
            campaign,
            v["crisis_loading"][r],
            log_affinity,
            susceptibility,
        )

    # ---------------------------------------------------------------- init (section 5)
    effect = p["constituency_spread"][:, None, None] * rng.standard_normal((R, C, P), dtype=dtype)
    unemployed = unemployment_trend(0.0, p, onset, tl.recovery_month)
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
    seat = vote(slice(None), float(tl.months_since_1924[0]) / 12.0)

    regime = np.full(R, c.PARLIAMENTARY)
    regime_since = np.zeros(R, np.int64)
    last_election = np.full(R, -8)
    next_slot = np.full(R, tl.first_slot)
    early = np.full(R, -1)
    united = np.zeros(R, bool)
    nazi_month = np.full(R, -1)
    uf_month = np.full(R, -1)
    cw_month = np.full(R, -1)
    regime_1936 = np.full(R, c.PARLIAMENTARY)
    shares = np.zeros((R, K, P), dtype)
    held = np.zeros((R, K), bool)
    unemployment_sum = np.zeros((R, len(tl.year_labels)), dtype)
    runs = np.arange(R)

    # ---------------------------------------------------------------- months
    for t in range(tl.n_months):
        z_unemployment = rng.standard_normal(R, dtype=dtype)
        u = rng.random((R, N_EVENTS), dtype=dtype)
        since = float(tl.months_since_1924[t])

        # 7.1-7.2 economy and crisis
        noise = p["unemployment_noise_persistence"] * noise + p["unemployment_noise_sd"] * (
            z_unemployment
        )
        unemployed = np.maximum(
            unemployment_trend(float(t), p, onset, tl.recovery_month) + noise, c.UNEMPLOYMENT_FLOOR
        )
        crisis = crisis_index(since, unemployed, p)

        # 7.3-7.4 voter blocs
        size = redistribute(size, unemployed)
        rad += (exposure * crisis[:, None] - rad) / p["radicalisation_months"][:, None]

        # 7.5-7.8 parties, drift, violence
        o = org[:, c.NSDAP]
        o = o + p["nsdap_organisation_growth"] * (crisis - p["nsdap_organisation_threshold"]) * (
            o * (1.0 - o)
        )
        org[:, c.NSDAP] = np.clip(o, c.ORGANISATION_MIN, c.ORGANISATION_MAX)
        para = org * capacity
        violence = np.clip(
            2.0
            * crisis
            * np.sqrt(para[:, c.NSDAP] / c.SA_CAPACITY * (para[:, c.KPD] / c.RFB_CAPACITY)),
            0.0,
            1.0,
        )

        # 7.10 an election if one is due and the regime holds it; 7.7 and 7.9 for its runs
        slot = np.minimum(next_slot, K - 1)
        due = (next_slot < K) & ((tl.slot_months[slot] == t) | (early == t))
        can_hold = (
            (regime == c.PARLIAMENTARY)
            | (regime == c.PRESIDENTIAL)
            | ((regime == c.NAZI) & (t - regime_since <= c.NAZI_ELECTION_GRACE))
        )
        hold = due & can_hold
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
            now = vote(r, since / 12.0)
            shares[r, slot[r]] = now
            held[r, slot[r]] = True
            seat[r] = now
            last_election[r] = t
        next_slot += due
        early[due] = -1

        # 7.11 the regime month
        in_third = (line_start <= t) & (t < line_end)
        line = np.where(in_third, lever, np.maximum(lever, c.LINE_FROM_BELOW))
        nsdap = seat[:, c.NSDAP]
        negative_majority = seat[:, c.KPD] + nsdap >= 0.5
        parl = regime == c.PARLIAMENTARY
        pres = regime == c.PRESIDENTIAL
        constitutional = parl | pres
        slump = unemployed / p["labour_force"]

        a, b, cap = c.COMINTERN_THREAT
        threat = np.clip((nsdap - a) / b, 0.0, cap)
        readiness = line + (1.0 - line) * p["sectarian_residual"]
        h_uf = p["united_front_rate"] * p["united_front_uptake"] * readiness * threat
        united = united | (constitutional & (u[:, EV_UNITED_FRONT] < prob(h_uf)))

        fall = parl & (u[:, EV_CABINET_FALL] < prob(p["cabinet_fall_rate"] * (1.0 + 3.0 * crisis)))
        if t >= tl.hindenburg_month:
            p_turn = p["elite_authoritarianism"] * sigmoid((slump - c.SLUMP_TURN) / c.SLUMP_WIDTH)
        else:
            p_turn = np.zeros(R, dtype)
        p_turn = np.where(negative_majority, 1.0, p_turn)
        to_presidential = fall & (u[:, EV_PRESIDENTIAL_TURN] < p_turn)

        dissolve = (
            pres
            & (t - last_election >= c.MIN_REICHSTAG_AGE)
            & (early < 0)
            & (u[:, EV_DISSOLUTION] < prob(p["dissolution_rate"]))
        )
        early[dissolve] = t + c.EARLY_ELECTION_DELAY
        h_nazi = (
            p["nazi_appointment_rate"]
            * np.exp(p["nazi_share_elasticity"] * (nsdap - c.NAZI_REFERENCE_SHARE) / 0.1)
            * (1.0 - p["reichswehr_opposition"])
            * (1.0 - p["united_front_deterrence"] * united)
        )
        appoint = pres & (nsdap >= p["nazi_min_share"]) & (u[:, EV_NAZI_APPOINTMENT] < prob(h_nazi))
        h_takeover = p["authoritarian_takeover_rate"] * crisis / c.TAKEOVER_REFERENCE_CRISIS
        takeover = pres & ~appoint & (u[:, EV_AUTHORITARIAN] < prob(h_takeover))
        restore = (
            pres
            & ~appoint
            & ~takeover
            & ~negative_majority
            & (slump < c.SLUMP_RETURN)
            & (u[:, EV_RETURN] < prob(p["return_to_parliament_rate"]))
        )
        cw_start = (
            (appoint | takeover)
            & united
            & (u[:, EV_CONFRONTATION] < p["civil_war_on_confrontation"])
        ) | (
            constitutional
            & united
            & (u[:, EV_VIOLENT_ESCALATION] < prob(p["civil_war_violence_rate"] * violence))
        )
        new = np.select(
            [cw_start, appoint, takeover, restore, to_presidential],
            [c.CIVIL_WAR, c.NAZI, c.AUTHORITARIAN, c.PARLIAMENTARY, c.PRESIDENTIAL],
            regime,
        )
        # an ongoing civil war ends; the paramilitary balance and the army decide it
        ends = (regime == c.CIVIL_WAR) & (u[:, EV_CIVIL_WAR_END] < 1.0 / p["civil_war_months"])
        if ends.any():
            left = para[:, c.KPD] + para[:, c.SPD]
            right = para[:, c.NSDAP] + para[:, c.DNVP]
            balance = (left - right) / np.maximum(left + right, 1e-3)
            p_left = sigmoid(p["left_strength_effect"] * balance - p["army_bias_right"])
            winner = np.where(
                u[:, EV_CIVIL_WAR_WINNER] < p_left,
                c.LEFT,
                np.where(nsdap >= c.NAZI_WIN_SHARE, c.NAZI, c.AUTHORITARIAN),
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
