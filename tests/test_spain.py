"""The Spain slice: its month against a NumPy reference, the election's arithmetic, and
what the Soviet line does to the Popular Front, the Republic's unity and the war."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import chronicle_alone, draw_params, run_pinned, slice_alone

from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain import front as FR
from abm.models.interwar.spain import month as M
from abm.models.interwar.spain import sectors as SE
from abm.models.interwar.spain import units as UN
from abm.models.interwar.spain.slice import SLICE
from abm.models.interwar.spain.types import SpainDraws, SpainState
from abm.models.interwar.war.combat import kernel

try:
    from reference import spain_numpy as ref
except ImportError:  # pragma: no cover - run from the repository root
    from tests.reference import spain_numpy as ref

RUNS = 600
KINDS = ("election", "rising", "war", "war_clash", "war_first")


def _params(rng: np.random.Generator) -> dict[str, float]:
    return draw_params(SLICE, M.PARAMS, rng)


def _state(t: int, **fields: object) -> SpainState:
    """Spain before the war (the slice's initial state) at month ``t``, ``fields`` set."""
    from abm.engine.compose import compose
    from abm.models import registry

    model = compose("spain_alone", (SLICE,), (), registry.default_calendar("interwar"))
    theta = jnp.zeros(len(model.params), jnp.float32)
    base = model.slices["spain"].init(jax.random.key(0), theta).__dict__
    return SpainState(**{**base, "month": jnp.int32(t), **fields})


def _war_state(rng: np.random.Generator, t: int) -> SpainState:
    """A random state in the middle of the war: random units (the contingents in slots
    0..3, brigades of random factions and men in random slots, free slots between),
    random sectors last month, random control (some sectors whole, some shared)."""
    sec = SE.sector_data()
    n_units, n_sec, n_fac = UN.N_UNITS, SE.N_SECTORS, len(F.FACTIONS)
    # A few cases with (almost) no free slot left for new brigades.
    n_alive = int(rng.integers(10, 200)) if rng.uniform() < 0.8 else n_units - 6
    alive = np.zeros(n_units, bool)
    alive[rng.choice(np.arange(UN.N_DONOR_SLOTS, n_units), n_alive, replace=False)] = True
    alive[: UN.N_DONOR_SLOTS] = rng.uniform(size=UN.N_DONOR_SLOTS) < 0.7
    owner = rng.integers(0, n_fac, n_units)
    owner[~alive & (rng.uniform(size=n_units) < 0.5)] = n_fac + UN.N_DONOR_SLOTS  # free
    owner[: UN.N_DONOR_SLOTS] = n_fac + np.arange(UN.N_DONOR_SLOTS)
    men = np.where(alive, rng.uniform(0.5, 6.0, n_units), 0.0).astype(np.float32)
    sector = np.where(alive, rng.integers(0, n_sec + 1, n_units), n_sec)
    # Sectors: wholly Republican, wholly Nationalist or shared (the islands as in 1936).
    kind = rng.choice(3, n_sec, p=[0.2, 0.2, 0.6])
    shared = rng.uniform(0.02, 0.98, n_sec)
    # Some shared sectors near their end, for the fronts to close.
    edge = rng.uniform(0.0102, 0.02, n_sec)
    shared = np.where(rng.uniform(size=n_sec) < 0.2, np.where(shared < 0.5, edge, 1 - edge), shared)
    if rng.uniform() < 0.25:  # a single front: both offensives there
        kind = np.where(kind == 2, rng.integers(0, 2, n_sec), kind)
        kind[rng.integers(0, n_sec - 1)] = 2
    control = np.where(kind == 0, 0.0, np.where(kind == 1, 1.0, shared))
    control = np.where(sec.contestable, control, sec.control_1936).astype(np.float32)
    held = np.float32(np.sum(control * sec.population) / np.sum(sec.population))
    strength = np.zeros(n_fac, np.float32)
    np.add.at(strength, owner[alive & (owner < n_fac)], men[alive & (owner < n_fac)])
    return _state(
        t,
        popular_front_month=jnp.int32(t - 8),
        left_vote=jnp.float32(0.47),
        left_seats=jnp.float32(rng.uniform(150, 320)),
        rising_month=jnp.int32(t - 5),
        war_month=jnp.int32(t - int(rng.integers(1, 30))),
        held=jnp.float32(held),
        strength=jnp.asarray(strength),
        cohesion=jnp.float32(rng.uniform(0.1, 0.9)),
        may_days_month=jnp.int32(t - 3 if rng.uniform() < 0.15 else -1),
        foreign=jnp.asarray(rng.uniform(0, 40, 4), jnp.float32),
        battle_dead=jnp.asarray(rng.uniform(0, 1e5, 2), jnp.float32),
        repression=jnp.asarray(rng.uniform(0, 1e5, 2), jnp.float32),
        month_dead=jnp.asarray(rng.uniform(0, 1e4, (2, 2)), jnp.float32),
        control=jnp.asarray(control),
        unit_men=jnp.asarray(men),
        unit_owner=jnp.asarray(owner, jnp.int32),
        unit_sector=jnp.asarray(sector, jnp.int32),
        unit_alive=jnp.asarray(alive),
        front_men=jnp.asarray(
            rng.uniform(0, 200, (2, n_sec)) * (rng.uniform(size=(2, n_sec)) < 0.7), jnp.float32
        ),
        attacker=jnp.asarray(rng.integers(0, 3, n_sec), jnp.int32),
    )


def _case(
    rng: np.random.Generator, kind: str
) -> tuple[SpainState, M.Inputs, SpainDraws, dict[str, float]]:
    """A random month of ``kind`` (``KINDS``): state, inputs, draws and parameters."""
    t = 150 + int(rng.integers(0, 20))
    if kind.startswith("war"):
        state = _war_state(rng, t)
    elif kind == "rising":
        state = _state(
            t,
            popular_front_month=jnp.int32(t - 5),
            left_vote=jnp.float32(0.47),
            left_seats=jnp.float32(rng.uniform(150, 320)),
        )
    else:
        state = _state(t)
    if kind == "war_first":  # the war's first month: nobody on a front yet
        state = dataclasses.replace(
            state,
            war_month=jnp.int32(t - 1),
            unit_sector=jnp.full(UN.N_UNITS, SE.N_SECTORS, jnp.int32),
        )
    inp = M.Inputs(
        front_line=jnp.float32(rng.uniform()),
        repression=jnp.float32(1.0 if kind == "war_clash" else rng.uniform()),
        aid=jnp.float32(rng.uniform()),
        nazi=jnp.asarray(rng.uniform() < 0.7),
        election_month=jnp.int32(t if kind == "election" else t - 5),
        rising_month=jnp.int32(t if kind == "rising" else t - 30),
        winter=jnp.float32(rng.uniform() < 0.3),
    )
    decision = rng.uniform(size=len(F.DECISIONS))
    if kind == "war_clash":
        decision[2] = 0.001
    draws = SpainDraws(
        vote=jnp.float32(rng.normal()),
        decision=jnp.asarray(decision, jnp.float32),
        offensive=jnp.asarray(rng.uniform(size=2), jnp.float32),
        combat_noise=jnp.asarray(rng.normal(size=(FR.WEEKS, 2, 2)), jnp.float32),
        combat_u=jnp.asarray(rng.uniform(size=(FR.WEEKS, 2)), jnp.float32),
    )
    p = _params(rng)
    if rng.uniform() < 0.4:  # eager attackers: battles in most contested months
        p["spain_attack_threshold"] = float(rng.choice([-3.0, -2.0]))
    return state, inp, draws, p


@cache
def _step() -> Callable[..., SpainState]:
    """The month, compiled once for all the reference cases."""
    tab, kern = F.faction_data(), kernel()
    return jax.jit(lambda s, i, p, d: M.advance(s, tab, kern, i, p, d))


@pytest.mark.parametrize("kind", KINDS)
def test_the_month_matches_its_numpy_reference(kind: str) -> None:
    """The JAX month against the NumPy reference written from ODD 7.22, on random cases
    away from knife edges (a case whose decisions lie within float32's reach of their
    thresholds is drawn again)."""
    step = _step()
    rng = np.random.default_rng(KINDS.index(kind))
    seen = dict.fromkeys(
        (
            "war",
            "battle",
            "held",
            "ground",
            "casualties",
            "brigades",
            "gone",
            "cut_off",
            "surrendered",
        ),
        0,
    )
    done = tries = 0
    while done < 16:
        tries += 1
        assert tries < 64, "too many cases near a knife edge"
        state, inp, draws, p = _case(rng, kind)
        want = ref.advance(
            jax.tree.map(np.asarray, state.__dict__),
            {k: np.asarray(v).item() for k, v in inp._asdict().items()},
            p,
            jax.tree.map(np.asarray, draws.__dict__),
        )
        if want["near_edge"] < 2e-5:
            continue
        done += 1
        got = jax.device_get(step(state, inp, {k: jnp.float32(v) for k, v in p.items()}, draws))
        for k in ("month", "popular_front_month", "rising_month", "war_month", "end_month",
                  "winner", "may_days_month"):  # fmt: skip
            assert int(getattr(got, k)) == int(want[k]), k
        for k in ("unit_owner", "unit_alive", "unit_sector", "attacker"):
            np.testing.assert_array_equal(getattr(got, k), want[k], err_msg=k)
        for k in ("left_vote", "left_seats", "held", "cohesion"):
            np.testing.assert_allclose(float(getattr(got, k)), want[k], rtol=2e-4, atol=1e-5)
        np.testing.assert_allclose(got.control, want["control"], rtol=2e-4, atol=1e-5)
        np.testing.assert_allclose(got.front_men, want["front_men"], rtol=2e-4, atol=1e-3)
        np.testing.assert_allclose(got.unit_men, want["unit_men"], rtol=2e-4, atol=1e-3)
        for k in ("strength", "foreign", "battle_dead", "repression", "month_dead"):
            np.testing.assert_allclose(getattr(got, k), want[k], rtol=2e-4, atol=1e-2, err_msg=k)
        seen["war"] += int(got.war_month != state.war_month)
        seen["battle"] += int(np.any(got.attacker < 2))
        seen["held"] += int(got.held != state.held)
        seen["ground"] += int(np.any(got.control != state.control))
        seen["casualties"] += int(np.any(got.month_dead[0] > 0))
        seen["brigades"] += int(np.any(got.unit_alive & ~state.unit_alive))
        seen["gone"] += int(np.any(state.unit_alive & ~got.unit_alive))
        # Units in a pocket of their side (cut off, or placed there in the first month).
        pocket = np.asarray(SE.zones(state.control, SE.sector_data()).pocket)
        side = UN.owner_side()[np.asarray(got.unit_owner)]
        where = np.minimum(np.asarray(got.unit_sector), SE.N_SECTORS - 1)
        there = (
            np.asarray(got.unit_alive) & (side < 2) & (np.asarray(got.unit_sector) < SE.N_SECTORS)
        )
        seen["cut_off"] += int(np.any(there & pocket[np.minimum(side, 1), where]))
        # Units cut off last month in a pocket their side has lost this month: surrendered.
        before = np.asarray(state.unit_sector)
        lost = np.stack([1.0 - got.control, got.control])
        cut = np.asarray(state.unit_alive) & (side < 2) & (before < SE.N_SECTORS)
        cut &= pocket[np.minimum(side, 1), np.minimum(before, SE.N_SECTORS - 1)]
        fell = cut & (lost[np.minimum(side, 1), np.minimum(before, SE.N_SECTORS - 1)] <= 0.0)
        if kind != "war_first" and np.any(fell):
            seen["surrendered"] += 1
            assert not np.any(np.asarray(got.unit_alive)[fell])
    if kind == "rising":
        assert seen["war"] > 0, seen
    if kind.startswith("war"):
        moved = ("battle", "held", "ground", "casualties", "brigades")
        assert all(seen[k] > 0 for k in moved), seen
    if kind == "war_clash":
        assert seen["gone"] > 0, seen
    if kind in ("war", "war_first"):
        assert seen["cut_off"] > 0, seen
    if kind == "war":
        assert seen["surrendered"] > 0, seen


def test_the_seats_follow_the_1932_laws_bonus():
    """A lead in votes buys more than its share of seats, and a divided left pays twice:
    the 1936 and 1933 results on the priors' middle values."""
    p = {n: jnp.float32(v) for n, v in _mid().items()}
    d = SpainDraws(
        vote=jnp.float32(0.0),
        decision=jnp.array([0.0, 1, 1], jnp.float32),
        offensive=jnp.zeros(2, jnp.float32),
        combat_noise=jnp.zeros((FR.WEEKS, 2, 2), jnp.float32),
        combat_u=jnp.zeros((FR.WEEKS, 2), jnp.float32),
    )
    inp = M.Inputs(
        *(jnp.float32(0.5),) * 3, jnp.asarray(True), jnp.int32(0), jnp.int32(6), jnp.float32(0)
    )
    front, left, seats = M.election(inp, p, d)
    assert bool(front) and 0.45 < float(left) < 0.49
    assert 236 < float(seats) < 300  # a majority (263 in February 1936)
    alone = dataclasses.replace(d, decision=jnp.array([1.0, 1, 1], jnp.float32))
    front2, _, seats2 = M.election(inp, p, alone)
    assert not bool(front2) and float(seats2) < 0.75 * float(seats)


def _mid() -> dict[str, float]:
    params = {p.name: p for p in SLICE.catalogue()}
    out = {}
    for name in M.PARAMS:
        pr = params[name].prior
        a, b = pr.support(params[name].low, params[name].high)
        out[name] = 0.5 * (a + b)
    return out


# ---------------------------------------------------------------- the slice alone
@pytest.fixture(scope="module")
def alone():
    """The spain slice composed alone, and a runner for it (compiled once)."""
    return slice_alone(SLICE, RUNS)


def _run(alone, points: list[dict[str, float]], seed: int = 3) -> object:
    return run_pinned(alone, points, RUNS, seed)


def test_the_soviet_line_sets_the_front_the_clash_and_the_aid(alone):
    """Stalin's levers against a leadership that opposes the Popular Front, represses no
    one and arms the Republic more: fewer fronts and so fewer wars (a divided left loses
    the election), no clash inside the Republic, more Soviet personnel and volunteers
    in each war."""
    stalin = {}
    other = {
        "popular_front_line.stalin": 0.05,
        "left_repression.stalin": 0.0,
        "spain_aid.stalin": 0.9,
    }
    cube = _run(alone, [stalin, other])
    front = cube["spain_popular_front_prob"].values
    war = cube["spanish_civil_war_prob"].values
    assert front[0] > front[1] + 0.15 and war[0] > war[1], (front, war)
    clash = cube["spain_may_days_prob"].values
    assert clash[0] > 0.2 and clash[1] == 0.0, clash
    per_war = cube["spain_foreign_troops_mean"].values / war[:, None]
    assert (
        per_war[1, F.USSR] > per_war[0, F.USSR] and per_war[1, F.BRIGADES] > per_war[0, F.BRIGADES]
    )


def test_a_rising_against_the_right_is_rare_and_the_front_decides_the_war(alone):
    """With the left sure to lose the election (no front, a low vote) there is hardly a
    civil war; with it (almost) sure to win and the rising sure, the war comes. On the
    front, the better army wins: with the rising's professionals two CDB90 steps ahead
    and slow to lose the edge, plus the Axis's aid, most wars end by June 1941 and with
    the Nationalists; with the Republic's army as good from the start and no aid's
    effect, fewer wars end and fewer with them, and the Republic wins some."""
    lose = {"spain_front_intercept": -6.0, "spain_front_line": 0.0, "spain_left_vote": 0.35}
    win = {"spain_front_intercept": 6.0, "spain_left_vote": 0.5, "spain_vote_sd": 0.0,
           "spain_rising_left": 1.0, "spain_hold_sd": 0.0}  # fmt: skip
    strong = {**win, "spain_effectiveness_start": 2.0, "spain_army_months": 48.0,
              "spain_aid_effect": 0.3}  # fmt: skip
    even = {**win, "spain_effectiveness_start": 0.0, "spain_aid_effect": 0.0,
            "spain_cohesion_effect": 0.0}  # fmt: skip
    cube = _run(alone, [lose, win, strong, even])
    war = cube["spanish_civil_war_prob"].values
    assert war[0] < 0.2 and np.all(war[1:] > 0.98), war
    assert float(cube["spanish_civil_war_by_year"].sel(year=1936).values[1]) == war[1]
    hist = cube["spanish_civil_war_winner_hist"].values  # none, republic, nationalist
    nat = hist[:, 2] / hist.sum(axis=1)
    assert nat[2] > 0.65 and nat[2] > nat[1] > nat[3], nat
    assert hist[3, 1] > hist[2, 1], hist


def test_the_chronicle_tells_the_election_the_rising_and_the_end():
    """Step one run of the slice alone (the left sure to win, the rising sure) and read
    its chronicle, as ``abm trace`` prints it."""
    pins = {"spain_front_intercept": 6.0, "spain_left_vote": 0.5, "spain_vote_sd": 0.0,
            "spain_rising_left": 1.0, "spain_hold_sd": 0.0}  # fmt: skip
    told, state = chronicle_alone(SLICE, pins)
    text = " | ".join(f"{m} {e}" for m, e in told)
    assert "1936-02 Spain votes: a Popular Front polls 50.0%" in text, text
    assert "1936-07 the army rises: civil war" in text, text
    assert ("the civil war ends" in text) == (int(state.end_month) >= 0), text
