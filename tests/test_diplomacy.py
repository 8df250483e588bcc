"""The diplomacy slice: its month against a NumPy reference, the directions its levers
must move (issue 14), and the September 1939 alignments of the baseline.

The directional and alignment checks run the slice alone (both ports unwired: a Nazi
government from January 1933 in every run, Stalin's levers, the lever
``diplomacy_comintern_export``), a small program compiled once for the module.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import chronicle_alone, run_pinned, slice_alone

from abm.models.interwar.diplomacy import month as M
from abm.models.interwar.diplomacy import states as S
from abm.models.interwar.diplomacy.slice import SLICE
from abm.models.interwar.diplomacy.types import DiplomacyState

try:
    from reference import diplomacy_numpy as ref
except ImportError:  # pragma: no cover - run from the repository root
    from tests.reference import diplomacy_numpy as ref

RUNS = 400


# ---------------------------------------------------------------- NumPy reference
def _case(rng: np.random.Generator, kind: str) -> tuple[DiplomacyState, M.Inputs, dict]:
    """A random state, inputs and parameters for one month of ``kind``."""
    params = {p.name: p for p in SLICE.catalogue()}
    p = {}
    for name in M.PARAMS:
        pr, lo, hi = params[name].prior, params[name].low, params[name].high
        a, b = pr.support(lo, hi) if pr.kind != "fixed" else (pr.args["value"],) * 2
        if pr.kind == "normal":
            a, b = pr.args["mean"] - 2 * pr.args["sd"], pr.args["mean"] + 2 * pr.args["sd"]
        p[name] = np.float32(rng.uniform(a, b))
    p["western_anticommunism"] = np.float32(rng.uniform(0, 1))
    t = int(rng.integers(150, 200))
    munich = t if kind == "munich" else t + 5
    crisis = t if kind.startswith("crisis") else t + 9
    prague = int(rng.integers(t - 8, t + 2)) if kind == "crisis_after_prague" else -1
    n = S.N_STATES
    state = DiplomacyState(
        month=jnp.int32(t),
        capability=jnp.zeros(n, jnp.float32),
        threat=jnp.asarray(rng.uniform(0, 0.02, (n, n)), jnp.float32),
        side=jnp.full(n, -1, jnp.int32),
        munich_month=jnp.int32(-1 if prague < 0 else prague - S.PRAGUE_DELAY_MONTHS),
        prague_month=jnp.int32(prague),
        war_month=jnp.int32(-1),
        pact_month=jnp.int32(-1),
        alliance_month=jnp.int32(-1),
        intervention_month=jnp.int32(-1),
        side_noise=jnp.asarray(rng.gumbel(size=(n, 4)), jnp.float32),
        choice_noise=jnp.asarray(rng.gumbel(size=3), jnp.float32),
        chance=jnp.asarray(rng.uniform(size=3), jnp.float32),
    )
    inp = M.Inputs(
        nazi=jnp.asarray(kind != "crisis_no_nazi"),
        army_ratio=jnp.float32(rng.uniform(0.7, 1.5)),
        comintern_export=jnp.float32(rng.uniform(0, 1)),
        pact_willingness=jnp.float32(rng.uniform(0, 1)),
        collective_security=jnp.float32(rng.uniform(0, 1)),
        year_index=jnp.int32(t // 12 + 4),
        munich_month=jnp.int32(munich),
        crisis_month=jnp.int32(crisis),
    )
    return state, inp, p


@pytest.mark.parametrize(
    "kind", ["plain", "munich", "crisis", "crisis_no_nazi", "crisis_after_prague"]
)
def test_the_month_matches_its_numpy_reference(kind: str) -> None:
    tab = M.tables()
    step = jax.jit(lambda s, i, p: M.advance(s, tab, i, p))
    rng = np.random.default_rng(
        ["plain", "munich", "crisis", "crisis_no_nazi", "crisis_after_prague"].index(kind)
    )
    decided = 0
    for _ in range(12):
        state, inp, p = _case(rng, kind)
        got = jax.device_get(step(state, inp, {k: jnp.float32(v) for k, v in p.items()}))
        want = ref.advance(
            jax.tree.map(np.asarray, state.__dict__),
            tab,
            {k: np.asarray(v).item() for k, v in inp._asdict().items()},
            {k: float(v) for k, v in p.items()},
        )
        np.testing.assert_allclose(got.capability, want["capability"], rtol=1e-5)
        np.testing.assert_allclose(got.threat, want["threat"], rtol=1e-4, atol=1e-7)
        for k in (
            "month",
            "munich_month",
            "prague_month",
            "war_month",
            "pact_month",
            "alliance_month",
            "intervention_month",
        ):
            assert int(getattr(got, k)) == want[k], k
        np.testing.assert_array_equal(got.side, want["side"])
        decided += int(got.side[0] >= 0)
    if kind.startswith("crisis"):
        assert decided == 12  # every crisis month decides the sides
    else:
        assert decided == 0


# ---------------------------------------------------------------- the slice alone
@pytest.fixture(scope="module")
def alone():
    """The diplomacy slice composed alone, and a runner for it (compiled once)."""
    return slice_alone(SLICE, 200)


def _run(alone, points: list[dict[str, float]], seed: int = 11) -> object:
    return run_pinned(alone, points, RUNS, seed)


def test_comintern_export_raises_the_wests_threat_and_its_turn_against_the_ussr(alone):
    """More activism abroad: the democracies perceive the USSR as more hostile, and the
    West turns against it more often (at high anticommunism)."""
    tab = M.tables()
    p = {
        n: jnp.float32(v)
        for n, v in {
            "western_anticommunism": 0.9,
            "weight_ideology": 1.0,
            "weight_dispute": 1.0,
            "weight_war": 0.5,
            "weight_treaty": 0.75,
            "comintern_hostility": 1.2,
            "distance_scale": 1600.0,
        }.items()
    }

    def west_threat(export: float) -> float:
        inp = M.Inputs(
            jnp.asarray(True),
            jnp.float32(1.0),
            jnp.float32(export),
            jnp.float32(0.5),
            jnp.float32(0.5),
            jnp.int32(19),
            jnp.int32(0),
            jnp.int32(0),
        )
        cap = M.capabilities(tab, inp, jnp.float32(0.7))
        target = M.threat_target(tab, cap, M.propensity(tab, inp, p), p)
        return float(target[S.UK, S.USSR] + target[S.FRANCE, S.USSR])

    assert west_threat(1.0) > 1.5 * west_threat(0.0) > 0.0
    cube = _run(
        alone,
        [
            {"western_anticommunism": 0.9, "diplomacy_comintern_export": 0.0},
            {"western_anticommunism": 0.9, "diplomacy_comintern_export": 1.0},
        ],
    )
    turn = cube["western_intervention_vs_ussr_prob"].values
    assert turn[1] > turn[0] + 0.05, turn


def test_collective_security_and_less_pact_willingness_lower_the_pact(alone):
    cube = _run(
        alone,
        [
            {
                "collective_security.stalin": 0.2,
                "pact_willingness.stalin": 0.9,
                "western_anticommunism": 0.2,
            },
            {
                "collective_security.stalin": 0.9,
                "pact_willingness.stalin": 0.1,
                "western_anticommunism": 0.2,
            },
        ],
    )
    pact = cube["soviet_german_pact_prob"].values
    alliance = cube["anti_fascist_alliance_prob"].values
    assert pact[1] < pact[0] - 0.3, pact
    assert alliance[1] > alliance[0] + 0.1, alliance


def test_the_baseline_puts_the_states_on_their_1939_sides(alone):
    """Every run of the slice alone has the crisis (a Nazi Germany from 1933). The most
    likely side of each state is its side of September 1939 for at least 15 of the 16
    (Axelrod and Bennett's landscape theory placed 15 of 17 European states from 1936
    data), and a run places at least 11 on average."""
    cube = _run(alone, [{}])
    hist = cube["alignment_1939_hist"].values.reshape(S.N_STATES, len(S.SIDES))
    share = hist / hist.sum(axis=1, keepdims=True)
    truth = S.state_data().alignment
    modal_right = int((share.argmax(axis=1) == truth).sum())
    expected_right = float(share[np.arange(S.N_STATES), truth].sum())
    assert modal_right >= 15, (modal_right, np.round(share, 2))
    assert expected_right >= 11.0, expected_right
    assert float(cube["soviet_german_pact_prob"].values) > 0.6
    # The same count through the slice's category targets and `abm validate`.
    from abm.analysis import ValidationTarget, validate
    from abm.models.interwar.diplomacy.slice import targets

    sides = [
        ValidationTarget(t.target, t.historical, t.outcome, (("country", S.STATES[t.index[0]]),),
                         group="alignment", kind="category")
        for t in targets(None) if t.kind == "category"
    ]  # fmt: skip
    assert len(sides) == S.N_STATES
    v = validate(cube, sides)
    assert v.per_group.set_index(["group", "split"]).loc[("alignment", "all"), "modal_hits"] == (
        modal_right
    )
    assert v.per_target["p_hist"].sum() == pytest.approx(expected_right)


def test_the_chronicle_tells_the_crisis_and_the_sides():
    """One run of the slice alone, stepped month by month on its defaults and the priors'
    middle values, read as ``abm trace`` prints it: the war's month and every state's side."""
    told, _ = chronicle_alone(SLICE, {})
    war = [e for m, e in told if e.startswith("the European war begins")]
    assert len(war) == 1 and all(name in war[0] for name in S.STATES), told
    assert [m for m, e in told if e == war[0]] == ["1939-08"]
