"""The Spain slice: its month against a NumPy reference, the election's arithmetic, and
what the Soviet line does to the Popular Front, the Republic's unity and the war."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import chronicle_alone, draw_params, run_pinned, slice_alone

from abm.models.interwar.frontiers.theatres import kernel
from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain import month as M
from abm.models.interwar.spain.slice import SLICE
from abm.models.interwar.spain.types import SpainDraws, SpainState

try:
    from reference import spain_numpy as ref
except ImportError:  # pragma: no cover - run from the repository root
    from tests.reference import spain_numpy as ref

RUNS = 600
KINDS = ("election", "rising", "war", "war_clash")


def _params(rng: np.random.Generator) -> dict[str, float]:
    return draw_params(SLICE, M.PARAMS, rng)


def _case(rng: np.random.Generator, kind: str) -> tuple[SpainState, M.Inputs, SpainDraws]:
    t = 150 + int(rng.integers(0, 20))
    at_war = kind.startswith("war")
    n = len(F.FACTIONS)
    state = SpainState(
        month=jnp.int32(t),
        popular_front_month=jnp.int32(-1),
        left_vote=jnp.float32(0.0 if kind == "election" else 0.47),
        left_seats=jnp.float32(0.0 if kind == "election" else rng.uniform(150, 320)),
        rising_month=jnp.int32(t - 3 if at_war else -1),
        war_month=jnp.int32(t - int(rng.integers(1, 30)) if at_war else -1),
        end_month=jnp.int32(-1),
        winner=jnp.int32(0),
        held=jnp.float32(rng.uniform(0.2, 0.8) if at_war else 0.0),
        strength=jnp.asarray(rng.uniform(5, 300, n) * at_war, jnp.float32),
        cohesion=jnp.float32(rng.uniform(0.1, 0.9) if at_war else 0.0),
        may_days_month=jnp.int32(-1),
        foreign=jnp.asarray(rng.uniform(0, 40, 4) * at_war, jnp.float32),
        battle_dead=jnp.asarray(rng.uniform(0, 1e5, 2) * at_war, jnp.float32),
        repression=jnp.asarray(rng.uniform(0, 1e5, 2) * at_war, jnp.float32),
    )
    inp = M.Inputs(
        front_line=jnp.float32(rng.uniform()),
        repression=jnp.float32(1.0 if kind == "war_clash" else rng.uniform()),
        aid=jnp.float32(rng.uniform()),
        nazi=jnp.asarray(rng.uniform() < 0.7),
        election_month=jnp.int32(t if kind == "election" else t - 5),
        rising_month=jnp.int32(t if kind == "rising" else t - 30),
    )
    decision = rng.uniform(size=4)
    if kind == "war_clash":
        decision[2] = 0.001
    draws = SpainDraws(
        vote=jnp.float32(rng.normal()),
        decision=jnp.asarray(decision, jnp.float32),
        attrition=jnp.asarray(rng.normal(size=2), jnp.float32),
    )
    return state, inp, draws


@pytest.mark.parametrize("kind", KINDS)
def test_the_month_matches_its_numpy_reference(kind: str) -> None:
    tab, kern = F.faction_data(), kernel()
    step = jax.jit(lambda s, i, p, d: M.advance(s, tab, kern, i, p, d))
    rng = np.random.default_rng(KINDS.index(kind))
    changes = 0
    for _ in range(16):
        state, inp, draws = _case(rng, kind)
        p = _params(rng)
        got = jax.device_get(step(state, inp, {k: jnp.float32(v) for k, v in p.items()}, draws))
        want = ref.advance(
            jax.tree.map(np.asarray, state.__dict__),
            {k: np.asarray(v).item() for k, v in inp._asdict().items()},
            p,
            jax.tree.map(np.asarray, draws.__dict__),
        )
        for k in ("month", "popular_front_month", "rising_month", "war_month", "end_month",
                  "winner", "may_days_month"):  # fmt: skip
            assert int(getattr(got, k)) == int(want[k]), k
        for k in ("left_vote", "left_seats", "held", "cohesion"):
            np.testing.assert_allclose(float(getattr(got, k)), want[k], rtol=1e-4, atol=1e-5)
        for k in ("strength", "foreign", "battle_dead", "repression"):
            np.testing.assert_allclose(getattr(got, k), want[k], rtol=2e-4, atol=1e-2, err_msg=k)
        changes += int(got.war_month != state.war_month) + int(got.held != state.held)
    if kind != "election":
        assert changes > 0


def test_the_seats_follow_the_1932_laws_bonus():
    """A lead in votes buys more than its share of seats, and a divided left pays twice:
    the 1936 and 1933 results on the priors' middle values."""
    p = {n: jnp.float32(v) for n, v in _mid().items()}
    d = SpainDraws(
        vote=jnp.float32(0.0),
        decision=jnp.array([0.0, 1, 1, 1], jnp.float32),
        attrition=jnp.zeros(2, jnp.float32),
    )
    inp = M.Inputs(*(jnp.float32(0.5),) * 3, jnp.asarray(True), jnp.int32(0), jnp.int32(6))
    front, left, seats = M.election(inp, p, d)
    assert bool(front) and 0.45 < float(left) < 0.49
    assert 236 < float(seats) < 300  # a majority (263 in February 1936)
    alone = d.__class__(d.vote, jnp.array([1.0, 1, 1, 1], jnp.float32), d.attrition)
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


def test_a_rising_against_the_right_is_rare_and_the_war_ends_with_a_winner(alone):
    """With the left sure to lose the election (no front, a low vote) there is hardly a
    civil war; with it (almost) sure to win and the rising sure, the war comes, and most
    end with a winner by June 1941."""
    lose = {"spain_front_intercept": -6.0, "spain_front_line": 0.0, "spain_left_vote": 0.35}
    win = {"spain_front_intercept": 6.0, "spain_left_vote": 0.5, "spain_vote_sd": 0.0,
           "spain_rising_left": 1.0, "spain_hold_sd": 0.0}  # fmt: skip
    cube = _run(alone, [lose, win])
    war = cube["spanish_civil_war_prob"].values
    assert war[0] < 0.2 and war[1] > 0.98, war
    hist = cube["spanish_civil_war_winner_hist"].values[1]
    assert hist[1] + hist[2] > 0.7 * hist.sum(), hist
    assert float(cube["spanish_civil_war_by_year"].sel(year=1936).values[1]) == war[1]


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
