"""The JAX month of the Germany model against a slow, independent NumPy reference.

``GermanyModel.advance(state, theta, draws)`` is compared field by field with
``reference.germany_numpy.reference_month`` on realistic states (prior draws of theta,
simulated to several months, election months included), on hand-made states that put the
regime month in every branch, and on random and hand-made event draws.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.engine.priors import PriorTable, sample
from abm.models.interwar.germany import GermanyModel, government, voters
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany.model import draw_month
from abm.models.interwar.germany.types import MonthDraws

try:  # tests/ is on sys.path (rootdir-relative import mode)
    from reference import germany_numpy as ref
except ImportError:  # pragma: no cover - tests/ became a package
    from tests.reference import germany_numpy as ref

MODEL = GermanyModel()
ADVANCE = jax.jit(MODEL.advance)
DRAW = jax.jit(draw_month)
TABLE = PriorTable.build([p.prior for p in MODEL.params], [(p.low, p.high) for p in MODEL.params])
N_RUN = 111  # months simulated for realistic states (to 1933-03)
RTOL, ATOL = 1e-4, 1e-5
#: A decision closer than this to its threshold could flip between float32 and float64.
KNIFE_EDGE = 1e-6

PARL, PRES, NAZI, AUTH, LEFT, CW = (
    K.PARLIAMENTARY,
    K.PRESIDENTIAL,
    K.NAZI,
    K.AUTHORITARIAN,
    K.LEFT,
    K.CIVIL_WAR,
)
#: Reichstag shares with a strong NSDAP (republican parties 0.34 < 0.5).
NAZI_HEAVY = np.array([0.14, 0.20, 0.12, 0.01, 0.01, 0.08, 0.38, 0.06], np.float32)
#: A republican majority (0.58) and a weak NSDAP (0.10 < 0.25).
REPUBLICAN_MAJORITY = np.array([0.10, 0.30, 0.15, 0.05, 0.08, 0.12, 0.10, 0.10], np.float32)


# ---------------------------------------------------------------- inputs
@functools.cache
def theta_of(seed: int) -> jax.Array:
    return sample(jax.random.key(seed), TABLE)


@jax.jit
def _run(theta: jax.Array, key: jax.Array):
    k_init, k_run = jax.random.split(key)
    s0 = MODEL.init(k_init, theta)

    def body(s, k):
        s = MODEL.step(k, s, theta)
        return s, s

    _, path = jax.lax.scan(body, s0, jax.random.split(k_run, N_RUN))
    return path


@functools.cache
def trajectory(seed: int):
    return _run(theta_of(seed), jax.random.key(1000 + seed))


def state_at(seed: int, k: int):
    """The simulated state at the start of month index ``k`` (after ``k`` steps)."""
    state = jax.tree.map(lambda x: x[k - 1], trajectory(seed))
    assert int(state.polity.month) == k
    return state


def i32(x: int) -> jax.Array:
    return jnp.asarray(x, jnp.int32)


def with_polity(state, seat_share=None, **changes):
    cast = {"united_front_strength": jnp.float32}
    po = replace(
        state.polity,
        **{k: cast.get(k, i32)(v) for k, v in changes.items() if k != "united_front"},
    )
    if "united_front" in changes:
        po = replace(po, united_front=jnp.asarray(bool(changes["united_front"])))
    pa = state.parties
    if seat_share is not None:
        pa = replace(pa, seat_share=jnp.asarray(seat_share, jnp.float32))
    return replace(state, polity=po, parties=pa)


def _realistic(seed: int, k: int):
    return lambda: state_at(seed, k)


def _constructed(seed: int, k: int, seat_share=None, **changes):
    return lambda: with_polity(state_at(seed, k), seat_share, **changes)


def _case_table() -> dict:
    cases = {}
    for seed in (0, 1, 2):
        for k in (3, 4, 11, 60, 80, 100, 106, 110):
            cases[f"s{seed}-month{k}"] = _realistic(seed, k)
    pres = {"regime_since": 90, "last_election": 80, "early_election": -1, "next_slot": 4}
    for seed in (0, 1):
        s = f"s{seed}-"
        cases[s + "pres-nazi-heavy"] = _constructed(
            seed, 100, NAZI_HEAVY, regime=PRES, united_front=False, **pres
        )
        cases[s + "pres-nazi-heavy-uf"] = _constructed(
            seed, 100, NAZI_HEAVY, regime=PRES, united_front=True, united_front_strength=0.8, **pres
        )
        cases[s + "pres-republican-calm"] = _constructed(
            seed,
            60,
            REPUBLICAN_MAJORITY,
            regime=PRES,
            regime_since=55,
            last_election=50,
            early_election=-1,
            next_slot=3,
            united_front=False,
        )
        cases[s + "pres-recent-election-uf"] = _constructed(
            seed,
            100,
            NAZI_HEAVY,
            regime=PRES,
            united_front=True,
            united_front_strength=0.8,
            regime_since=90,
            last_election=98,
            early_election=-1,
            next_slot=4,
        )
        cases[s + "pres-pending-early"] = _constructed(
            seed,
            100,
            REPUBLICAN_MAJORITY,
            regime=PRES,
            regime_since=90,
            last_election=80,
            early_election=101,
            next_slot=4,
        )
        cases[s + "pres-early-election-now"] = _constructed(
            seed,
            95,
            NAZI_HEAVY,
            regime=PRES,
            regime_since=90,
            last_election=80,
            early_election=95,
            next_slot=4,
        )
        cases[s + "parl-republican"] = _constructed(
            seed, 100, REPUBLICAN_MAJORITY, regime=PARL, united_front=False, regime_since=50
        )
        cases[s + "parl-nazi-heavy-uf"] = _constructed(
            seed,
            100,
            NAZI_HEAVY,
            regime=PARL,
            united_front=True,
            united_front_strength=0.8,
            regime_since=50,
        )
        cases[s + "parl-1927-nazi-heavy"] = _constructed(
            seed, 40, NAZI_HEAVY, regime=PARL, united_front=False
        )
        cases[s + "civil-war-nazi-heavy"] = _constructed(
            seed,
            100,
            NAZI_HEAVY,
            regime=CW,
            regime_since=98,
            united_front=True,
            united_front_strength=0.8,
            civil_war_month=98,
        )
        cases[s + "civil-war-after-window"] = _constructed(
            seed,
            100,
            NAZI_HEAVY,
            month=MODEL.calendar.index(1935, 2),
            regime=CW,
            regime_since=98,
            united_front=True,
            united_front_strength=0.8,
            civil_war_month=98,
        )
        cases[s + "civil-war-weak-nazi"] = _constructed(
            seed,
            100,
            REPUBLICAN_MAJORITY,
            regime=CW,
            regime_since=98,
            united_front=True,
            united_front_strength=0.8,
            civil_war_month=98,
        )
        cases[s + "nazi-new-at-slot"] = _constructed(
            seed,
            110,
            NAZI_HEAVY,
            regime=NAZI,
            regime_since=108,
            next_slot=6,
            early_election=-1,
            nazi_month=108,
        )
        cases[s + "nazi-old-at-slot"] = _constructed(
            seed, 110, NAZI_HEAVY, regime=NAZI, regime_since=100, next_slot=6, early_election=-1
        )
        cases[s + "authoritarian-at-slot"] = _constructed(
            seed, 106, NAZI_HEAVY, regime=AUTH, regime_since=100, next_slot=5, early_election=-1
        )
        cases[s + "left"] = _constructed(seed, 100, NAZI_HEAVY, regime=LEFT, regime_since=99)
        cases[s + "dec-1936-pres-no-slots"] = _constructed(
            seed,
            106,
            NAZI_HEAVY,
            month=MODEL.month_1936,
            regime=PRES,
            regime_since=150,
            last_election=110,
            next_slot=K.N_ELECTIONS,
            early_election=-1,
        )
        # Four years after the last election, with no slot left (Art. 23).
        cases[s + "pres-term-due-no-slots"] = _constructed(
            seed,
            106,
            NAZI_HEAVY,
            month=150,
            regime=PRES,
            regime_since=140,
            last_election=102,
            next_slot=K.N_ELECTIONS,
            early_election=-1,
        )
        # A united front at the July 1932 slot: it acts on the vote and the turnout.
        cases[s + "parl-uf-at-slot"] = _constructed(
            seed,
            102,
            NAZI_HEAVY,
            regime=PARL,
            regime_since=60,
            united_front=True,
            united_front_strength=0.8,
            next_slot=4,
            early_election=-1,
        )
    return cases


CASES = _case_table()

N_EVENTS = government.N_EVENT_DRAWS


def draw_sets(name: str) -> dict[str, MonthDraws]:
    """Random draws, and the same normals with hand-made event uniforms."""
    key = jax.random.key(sum(map(ord, name)) * 7919)
    d = DRAW(key)
    out = {"random": d}
    for label, value in (("all-0", 0.0), ("all-0.999", 0.999), ("all-0.5", 0.5)):
        out[label] = replace(d, events=jnp.full((N_EVENTS,), value, jnp.float32))
    for i, event in enumerate(ref.EVENTS):
        events = np.full((N_EVENTS,), 0.999, np.float32)
        events[i] = 0.0
        out[f"only-{event}"] = replace(d, events=jnp.asarray(events))
    # The elites propose their last option (Hitler where allowed) and both agents accept.
    for label, value in (("appoint-0.999", 0.999), ("appoint-0.3", 0.3), ("appoint-0", 0.0)):
        events = np.full((N_EVENTS,), value, np.float32)
        events[ref.EV["proposal"]] = 0.9999
        events[ref.EV["president"]] = events[ref.EV["army"]] = 0.0
        out[label] = replace(d, events=jnp.asarray(events))
    return out


# ---------------------------------------------------------------- comparison
def compare(got: dict, want: dict, where: str = "") -> None:
    """``got`` (flattened JAX state) against ``want`` (flattened reference state)."""
    assert got.keys() == want.keys()
    for name, g in got.items():
        w = want[name]
        assert g.shape == w.shape, f"{where} {name}: shape {g.shape} vs {w.shape}"
        if g.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=f"{where} {name}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"{where} {name}")


def knife_edges(trace: list) -> list:
    """Decisions that sit so close to their threshold that float32 rounding could flip them."""
    out = []
    for name, lhs, rhs, _ in trace:
        if math.isnan(lhs) or lhs == rhs == 0.0:
            continue
        if abs(lhs - rhs) < KNIFE_EDGE:
            out.append((name, lhs, rhs))
    return out


@functools.cache
def run_case(name: str):
    """Per draw set: (label, start state, draws, JAX result, reference result, trace)."""
    state = CASES[name]()
    seed = int(name[1])
    theta = theta_of(seed)
    state_np, theta_np = ref.to_numpy(state), np.asarray(theta, np.float64)
    rows = []
    for label, d in draw_sets(name).items():
        got = jax.device_get(ADVANCE(state, theta, d))
        trace: list = []
        want = ref.reference_month(MODEL, state_np, theta_np, ref.to_numpy(d), trace)
        rows.append((label, state, d, got, want, trace))
    return rows


@pytest.mark.parametrize("name", list(CASES))
def test_month_matches_reference(name):
    for label, state, _, got, want, trace in run_case(name):
        where = f"[{name} / {label}]"
        assert not knife_edges(trace), f"{where} ambiguous decision: {knife_edges(trace)}"
        got_flat = ref.flatten(ref.to_numpy(got))
        compare(got_flat, ref.flatten(want), where)
        # The update keeps every field's dtype and shape (scan needs it).
        for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(got), strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape, where


# ---------------------------------------------------------------- facts by hand
def test_interfaces_the_reference_assumes():
    for i, event in enumerate(ref.EVENTS):
        assert getattr(government, "EV_" + event.upper()) == i, event
    assert len(ref.EVENTS) == government.N_EVENT_DRAWS
    assert ref.ELECTORATE_MILLIONS == voters.ELECTORATE_M
    b = np.arange(K.N_BLOCS)
    np.testing.assert_array_equal(voters.BLOC_CONSTITUENCY, b // K.N_MILIEUX)
    np.testing.assert_array_equal(voters.BLOC_MILIEU, b % K.N_MILIEUX)
    assert ref.SA_CAPACITY == K.PARAMILITARY_CAPACITY[K.NSDAP]
    assert ref.RFB_CAPACITY == K.PARAMILITARY_CAPACITY[K.KPD]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hand_computable_facts(seed):
    for k in (3, 4, 11, 60, 100):
        state = state_at(seed, k)
        t = k
        for label, _, _, got, _, _ in run_case(f"s{seed}-month{k}"):
            where = f"[seed {seed}, month {k}, {label}]"
            size0, size1 = np.asarray(state.blocs.size), np.asarray(got.blocs.size)
            assert int(got.polity.month) == t + 1, where
            assert abs(size1.sum() - 1.0) < 1e-5, where
            labour = (K.WORKERS, K.UNEMPLOYED)
            pool0 = size0.reshape(K.N_CONSTITUENCIES, K.N_MILIEUX)[:, labour].sum(1)
            pool1 = size1.reshape(K.N_CONSTITUENCIES, K.N_MILIEUX)[:, labour].sum(1)
            np.testing.assert_allclose(pool1, pool0, rtol=1e-5, atol=1e-8, err_msg=where)
            others = np.isin(np.arange(K.N_BLOCS) % K.N_MILIEUX, labour, invert=True)
            np.testing.assert_array_equal(size1[others], size0[others], err_msg=where)
            # Unemployed bloc / labour pool = registered unemployed / 41 M / national pool.
            frac = float(got.economy.unemployed) / 41.0 / pool0.sum()
            unemp = size1.reshape(K.N_CONSTITUENCIES, K.N_MILIEUX)[:, K.UNEMPLOYED]
            np.testing.assert_allclose(unemp / pool0, min(frac, 0.8), rtol=1e-4, err_msg=where)
            # The year's unemployment sum gains exactly this month's unemployed.
            yi = MODEL.calendar.years[t] - MODEL.calendar.start_year
            delta = np.asarray(got.polity.unemployment_sum) - np.asarray(
                state.polity.unemployment_sum
            )
            assert abs(delta[yi] - float(got.economy.unemployed)) < 1e-4, where
            assert np.count_nonzero(np.delete(delta, yi)) == 0, where
            np.testing.assert_allclose(np.asarray(got.parties.seat_share).sum(), 1.0, atol=1e-5)
            # Paramilitaries are organisation times capacity.
            np.testing.assert_allclose(
                got.parties.paramilitary,
                np.asarray(got.parties.organisation) * K.PARAMILITARY_CAPACITY,
                rtol=1e-6,
            )
            slot = int(state.polity.next_slot)
            due = (
                (slot < K.N_ELECTIONS and t == int(MODEL.slot_months[slot]))
                or t == int(state.polity.early_election)
                or t - int(state.polity.last_election) >= K.TERM_MONTHS
            )
            regime = int(state.polity.regime)
            if due and regime in (PARL, PRES):
                # The next free ballot record, labelled by its own month.
                k = int(np.asarray(state.polity.held).sum())
                assert bool(got.polity.held[k]), where
                assert int(got.polity.election_month[k]) == t, where
                assert int(got.polity.last_election) == t, where
                assert int(got.polity.next_slot) == min(slot + 1, K.N_ELECTIONS), where
                np.testing.assert_allclose(got.polity.shares[k].sum(), 1.0, atol=1e-5)
                assert 0.5 < float(got.polity.turnout[k]) < 1.0, where
                np.testing.assert_array_equal(got.parties.seat_share, got.polity.shares[k])
            elif not due:
                np.testing.assert_array_equal(got.polity.held, state.polity.held, err_msg=where)
                np.testing.assert_array_equal(got.parties.seat_share, state.parties.seat_share)
            if label == "all-0.999" and regime != CW:
                assert int(got.polity.regime) == regime, where


def test_first_elections_are_recorded():
    for seed in (0, 1, 2):
        got = run_case(f"s{seed}-month4")[0][3]
        assert bool(got.polity.held[0]) and int(got.polity.election_month[0]) == 4
        got = run_case(f"s{seed}-month11")[0][3]
        assert bool(got.polity.held[1]) and int(got.polity.election_month[1]) == 11


def test_every_regime_branch_is_exercised():
    seen: dict[str, set] = {}
    transitions = set()
    for name in CASES:
        for _, state, _, got, _, trace in run_case(name):
            for decision, _, _, outcome in trace:
                seen.setdefault(decision, set()).add(outcome)
            transitions.add((int(state.polity.regime), int(got.polity.regime)))
    decisions = (
        "election_held",
        "united_front_forms",
        "cabinet_falls",
        "presidential_turn",
        "violent_escalation",
        "proposal_keep",
        "president_accepts",
        "army_accepts",
        "left_resists",
        "preussenschlag",
        "civil_war_ends",
        "left_wins",
        "nazis_win",
    )
    for decision in decisions:
        assert seen.get(decision) == {True, False}, (decision, seen.get(decision))
    wanted = {
        (PARL, PARL),
        (PARL, PRES),
        (PARL, CW),
        (PRES, PRES),
        (PRES, NAZI),
        (PRES, AUTH),
        (PRES, PARL),
        (PRES, CW),
        (CW, CW),
        (CW, LEFT),
        (CW, NAZI),
        (CW, AUTH),
        (NAZI, NAZI),
        (AUTH, AUTH),
        (LEFT, LEFT),
    }
    assert wanted <= transitions, wanted - transitions


# ---------------------------------------------------------------- the test can fail
def _bump_theta(name: str, delta: float):
    def mutate(theta, draws):
        return theta.at[MODEL.param_names.index(name)].add(delta), draws

    return mutate


def _bump_national_drift(party: int, delta: float):
    def mutate(theta, draws):
        return theta, replace(draws, national_drift=draws.national_drift.at[party].add(delta))

    return mutate


def _set_event(event: str, value: float):
    def mutate(theta, draws):
        return theta, replace(draws, events=draws.events.at[ref.EV[event]].set(value))

    return mutate


MUTATIONS = {
    "crisis_loading.NSDAP at an election": (
        "s0-month4",
        "random",
        _bump_theta("crisis_loading.NSDAP", 1.0),
    ),
    "unemployment_noise_sd": ("s1-month60", "random", _bump_theta("unemployment_noise_sd", 0.05)),
    "radicalisation_months": ("s2-month100", "random", _bump_theta("radicalisation_months", 2.0)),
    "national drift draw at an election": (
        "s0-month11",
        "random",
        _bump_national_drift(K.NSDAP, 0.5),
    ),
    "cabinet-fall uniform": (
        "s0-parl-1927-nazi-heavy",
        "all-0.999",
        _set_event("cabinet_fall", 0.0),
    ),
    "civil-war-winner uniform": (
        "s0-civil-war-nazi-heavy",
        "only-civil_war_end",
        _set_event("civil_war_winner", 0.0),
    ),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_comparison_detects_a_changed_input(mutation):
    case, label, mutate = MUTATIONS[mutation]
    row = {r[0]: r for r in run_case(case)}[label]
    _, state, draws, got_base, want_base, _ = row
    theta = theta_of(int(case[1]))
    theta_m, draws_m = mutate(theta, draws)
    got_m = jax.device_get(ADVANCE(state, theta_m, draws_m))
    want_m = ref.reference_month(
        MODEL, ref.to_numpy(state), np.asarray(theta_m, np.float64), ref.to_numpy(draws_m)
    )
    flat_got_m = ref.flatten(ref.to_numpy(got_m))
    # The perturbed model still matches the perturbed reference ...
    compare(flat_got_m, ref.flatten(want_m), mutation)
    # ... the perturbation changed the model's month ...
    with pytest.raises(AssertionError):
        compare(flat_got_m, ref.flatten(ref.to_numpy(got_base)), mutation)
    # ... and the unperturbed reference would have caught a model that made that change.
    with pytest.raises(AssertionError):
        compare(flat_got_m, ref.flatten(want_base), mutation)


def test_calendar_not_starting_in_1924():
    from abm.models.interwar.calendar import Calendar

    model = GermanyModel(Calendar(1923, 7, 170))
    theta = theta_of(0)
    # Month index 0 is 1923-07: the aftershock is six months away from its peak.
    state = model.init(jax.random.key(3), theta)
    d = DRAW(jax.random.key(99))
    got = ref.flatten(ref.to_numpy(jax.jit(model.advance)(state, theta, d)))
    want = ref.reference_month(
        model, ref.to_numpy(state), np.asarray(theta, np.float64), ref.to_numpy(d)
    )
    compare(got, ref.flatten(want), "calendar 1923-07")
