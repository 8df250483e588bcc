"""The China slice: its month against a NumPy reference, the targets against the COW
data, and what the Soviet line, Japan's edge and the united front do to China's wars."""

from __future__ import annotations

import csv

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import ROOT, chronicle_alone, draw_params, run_pinned, slice_alone

from abm.models.interwar.china import actors as A
from abm.models.interwar.china import month as M
from abm.models.interwar.china.slice import SLICE, targets
from abm.models.interwar.china.types import ChinaDraws, ChinaState
from abm.models.interwar.frontiers.theatres import kernel

try:
    from reference import china_numpy as ref
except ImportError:  # pragma: no cover - run from the repository root
    from tests.reference import china_numpy as ref

RUNS = 600
#: Cases of the reference test: where the month starts.
KINDS = ("purge", "soviets", "march", "manchuria", "war")


def _case(rng: np.random.Generator, kind: str) -> tuple[ChinaState, M.Inputs, ChinaDraws]:
    t = 60 + int(rng.integers(0, 100))
    phase = {"purge": 0, "soviets": 1, "march": 2, "manchuria": 1, "war": 3}[kind]
    manchuria = {"manchuria": t - int(rng.integers(0, 10)), "war": t - 40}.get(kind, -1)
    war = t - int(rng.integers(0, 30)) if kind == "war" else -1
    state = ChinaState(
        month=jnp.int32(t),
        strength=jnp.asarray(
            [
                rng.uniform(400, 900),
                rng.uniform(400, 900),
                rng.uniform(5, 300) * (phase > 0),
                rng.uniform(20, 600) * (manchuria >= 0),
            ],
            jnp.float32,
        ),
        purge_month=jnp.int32(
            (-1 if rng.uniform() < 0.3 else t - int(rng.integers(0, 16))) if phase == 0 else t - 40
        ),
        ccp_phase=jnp.int32(phase),
        ccp_growth=jnp.float32(1.0),
        kmt_learning=jnp.float32(rng.uniform(0, 2)),
        campaign_months=jnp.int32(rng.integers(0, 20)),
        march_month=jnp.int32(t - int(rng.integers(0, 13)) if kind == "march" else -1),
        manchuria_month=jnp.int32(manchuria),
        front_month=jnp.int32(t - 3 if kind == "war" and rng.uniform() < 0.5 else -1),
        war_month=jnp.int32(war),
        occupied=jnp.float32(rng.uniform(0.07, 0.4) if manchuria >= 0 else 0.0),
        aid=jnp.float32(rng.uniform(0, 20) * (war >= 0)),
        manchuria_cas=jnp.asarray(rng.uniform(0, 150, 2), jnp.float32),
        war_cas=jnp.asarray(rng.uniform(0, 1500, 2) * (war >= 0), jnp.float32),
        civil_cas=jnp.asarray(rng.uniform(0, 300, 2), jnp.float32),
        ccp_army=jnp.asarray(rng.uniform(0, 300, 3), jnp.float32),
    )
    inp = M.Inputs(
        purged=jnp.asarray(kind != "purge" or rng.uniform() < 0.8),
        members=jnp.float32(rng.uniform(5e3, 5e4)),
        front_line=jnp.float32(rng.uniform()),
        aid=jnp.float32(rng.uniform()),
        china_men=jnp.float32(rng.uniform(900, 2600)),
        japan_men=jnp.float32(rng.uniform(300, 1000)),
        campaign_month=jnp.int32(t - int(rng.integers(-3, 20))),
        manchuria_month=jnp.int32(t - int(rng.integers(-3, 30))),
        record=jnp.asarray(rng.uniform(size=3) < 0.3),
    )
    decision = rng.uniform(size=len(A.DECISIONS))
    decision[:5] *= rng.uniform(0.0, 0.3)  # make the month's decisions likely
    draws = ChinaDraws(
        decision=jnp.asarray(decision, jnp.float32),
        attrition=jnp.asarray(rng.normal(size=(3, 2)), jnp.float32),
    )
    return state, inp, draws


@pytest.mark.parametrize("kind", KINDS)
def test_the_month_matches_its_numpy_reference(kind: str) -> None:
    kern = kernel()
    step = jax.jit(lambda s, i, p, d: M.advance(s, kern, i, p, d))
    rng = np.random.default_rng(10 + KINDS.index(kind))
    changes = 0
    for _ in range(16):
        state, inp, draws = _case(rng, kind)
        p = draw_params(SLICE, M.PARAMS, rng)
        got = jax.device_get(step(state, inp, {k: jnp.float32(v) for k, v in p.items()}, draws))
        want = ref.advance(
            jax.tree.map(np.asarray, state.__dict__),
            {k: np.asarray(v) if k == "record" else np.asarray(v).item()
             for k, v in inp._asdict().items()},
            p,
            jax.tree.map(np.asarray, draws.__dict__),
        )  # fmt: skip
        for k in ("month", "purge_month", "ccp_phase", "campaign_months", "march_month",
                  "manchuria_month", "front_month", "war_month"):  # fmt: skip
            assert int(getattr(got, k)) == int(want[k]), k
        for k in ("ccp_growth", "kmt_learning", "occupied", "aid"):
            np.testing.assert_allclose(
                float(getattr(got, k)), want[k], rtol=2e-4, atol=1e-5, err_msg=k
            )
        for k in ("strength", "manchuria_cas", "war_cas", "civil_cas", "ccp_army"):
            np.testing.assert_allclose(getattr(got, k), want[k], rtol=5e-4, atol=1e-4, err_msg=k)
        changes += int(not np.allclose(got.strength, state.strength)) + int(
            got.ccp_phase != state.ccp_phase
        )
    assert changes > 0


def _cow(name: str) -> list[dict[str, str]]:
    with open(ROOT / "data" / "cow_wars" / name, newline="") as f:
        return list(csv.DictReader(f))


def test_the_war_targets_are_the_cow_records():
    """The Manchurian war's and the civil war's targets are the COW rows in data/cow_wars
    (a change to either shows here), and the 1937 war's are its record times 48/53 (to
    the thousand)."""
    got = {t.target: t.historical for t in targets(None)}
    inter = {(r["WarNum"], r["StateName"]): float(r["BatDeath"])
             for r in _cow("interstate_wars_v4_0_to_1938.csv")}  # fmt: skip
    assert got["CHN_JPN_1931_deaths_china"] == inter[("121", "China")]
    assert got["CHN_JPN_1931_deaths_japan"] == inter[("121", "Japan")]
    civil = next(r for r in _cow("intrastate_wars_v4_1_to_1938.csv") if r["WarNum"] == "710")
    assert got["CHN_civil_war_deaths_government"] == float(civil["SideADeaths"])
    assert got["CHN_civil_war_deaths_communists"] == float(civil["SideBDeaths"])
    assert ("130", "China") not in inter  # held out of the shared data: read from COW
    assert got["CHN_JPN_1937_deaths_china"] == round(750_000 * 48 / 53, -3)
    assert got["CHN_JPN_1937_deaths_japan"] == round(250_000 * 48 / 53, -3)


def test_men_under_arms_follow_the_cow_capabilities():
    """China's and Japan's men under arms by month are the NMC v6 milper of the year."""
    from abm.models import registry

    cal = registry.default_calendar("interwar")
    men = A.men_under_arms(cal)
    at = lambda ym: cal.index_of(ym)  # noqa: E731
    assert men.china[at("1930-06")] == 1700 and men.china[at("1937-08")] == 2000
    assert men.japan[at("1933-01")] == 371 and men.japan[at("1940-12")] == 957


# ---------------------------------------------------------------- the slice alone
@pytest.fixture(scope="module")
def alone():
    """The china slice composed alone, and a runner for it (compiled once)."""
    return slice_alone(SLICE, RUNS)


def test_the_comintern_line_makes_the_united_front(alone):
    """Stalin's united-front line against Trotsky's (0.9 against 0.1 for the ruling
    faction, the same runs): more and earlier united fronts, and with them fewer
    campaigns' dead on the communist side."""
    cube = run_pinned(alone, [{}, {"china_front_line.stalin": 0.1}], RUNS, 5)
    front = cube["china_united_front_prob"].values
    assert front[0] > front[1] + 0.1, front
    by_1938 = cube["china_united_front_by_year"].sel(year=1938).values
    assert by_1938[0] > by_1938[1], by_1938
    civil = cube["chinese_civil_war_deaths_mean"].values
    assert civil[0, 1] < civil[1, 1], civil


def test_japans_edge_sets_the_exchange_and_aid_blunts_it(alone):
    """A better Japanese army (edge 2.5 steps against 1.0) kills more Chinese per Japanese
    dead and takes more of China; full Soviet aid with a strong effect lowers the
    exchange ratio against no aid (the war pinned to come)."""
    sure = {"china_manchuria_hazard": 0.3, "china_war_hazard": 0.3}
    points = [
        {**sure, "china_japan_edge": 1.0},
        {**sure, "china_japan_edge": 2.5},
        {**sure, "china_japan_edge": 2.0, "china_aid.stalin": 0.0, "china_aid_effect": 1.0},
        {**sure, "china_japan_edge": 2.0, "china_aid.stalin": 1.0, "china_aid_effect": 1.0},
    ]
    cube = run_pinned(alone, points, RUNS, 6)
    assert (cube["sino_japanese_war_prob"].values > 0.95).all()
    dead = cube["sino_japanese_war_deaths_mean"].values
    ratio = dead[:, 0] / dead[:, 1]
    assert ratio[1] > 1.5 * ratio[0] and ratio[3] < ratio[2], ratio
    occupied = cube["china_occupied_mean"].values
    assert occupied[1] > occupied[0], occupied


def test_the_ccp_grows_in_the_war_and_shrinks_on_the_march(alone):
    """Driven out of its soviets at the first lost campaign, the Red Army is smaller at
    the end of 1936 than where it never breaks out; with the war pinned to come, its
    armies grow behind Japan's lines by 1940, the more so the faster they recruit."""
    base = {"china_campaign_hazard": 0.8, "china_manchuria_hazard": 0.3, "china_war_hazard": 0.3}
    cube = run_pinned(
        alone,
        [
            {**base, "china_breakout_prob": 1.0, "china_war_ccp_growth": 0.08},
            {**base, "china_breakout_prob": 1.0, "china_war_ccp_growth": 0.0},
            {**base, "china_breakout_prob": 0.0, "china_war_ccp_growth": 0.0},
        ],
        RUNS,
        7,
    )
    march = cube["long_march_prob"].values
    assert march[0] > 0.5 and march[2] == 0.0, march
    army = cube["ccp_army_mean"].values  # [point, 1934-09 / 1936-12 / 1940-12]
    assert army[1, 1] < army[2, 1], army
    assert army[0, 2] > army[1, 2] and army[0, 2] > army[0, 1], army


def test_the_chronicle_tells_the_soviets_manchuria_and_the_war():
    """Step one run of the slice alone (Japan's decisions sure) and read its chronicle,
    as ``abm trace`` prints it. The slice alone sees the purge in May 1927; the soviets
    follow ``china_soviet_delay`` (3) months later."""
    pins = {"china_manchuria_hazard": 0.5, "china_war_hazard": 0.5, "china_soviet_delay": 3.0}
    told, _ = chronicle_alone(SLICE, pins)
    text = " | ".join(f"{m} {e}" for m, e in told)
    assert "1927-08 China: the CCP's Red Army takes to the countryside" in text, text
    assert "Japan's army strikes in Manchuria" in text, text
    assert "Japan's full-scale war on China begins" in text, text
