"""The frontiers slice: its month against a NumPy reference, the combat kernel's fit,
and what the Red Army's command quality and the 1939 crisis do to the frontier wars."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import draw_params, run_pinned, slice_alone

from abm.engine.compose import compose
from abm.models import registry
from abm.models.interwar.frontiers import combat_fit
from abm.models.interwar.frontiers import month as M
from abm.models.interwar.frontiers import theatres as T
from abm.models.interwar.frontiers.slice import SLICE
from abm.models.interwar.frontiers.types import FrontierDraws, FrontierState

try:
    from reference import frontiers_numpy as ref
except ImportError:  # pragma: no cover - run from the repository root
    from tests.reference import frontiers_numpy as ref

RUNS = 600
#: The calendar's month index of a date (January 1924 = 0).
NOV_1939 = (1939 - 1924) * 12 + 10


# ---------------------------------------------------------------- the month
def _params(rng: np.random.Generator) -> dict[str, float]:
    return draw_params(SLICE, M.PARAMS, rng)


def _case(rng: np.random.Generator, kind: str) -> tuple[FrontierState, M.Inputs, FrontierDraws]:
    n = len(T.THEATRES)
    t = int(rng.integers(160, 200))
    status = rng.integers(0, 3, n).astype(np.int32) if kind == "mixed" else np.zeros(n, np.int32)
    start = np.where(status > 0, t - rng.integers(0, 6, n), -1).astype(np.int32)
    force = rng.uniform(5, 600, (n, 2)).astype(np.float32)
    dead = rng.uniform(0, 3e4, (n, 2)).astype(np.float32) * (status > 0)[:, None]
    demand = t - 1 if kind == "refusal" else (-1 if kind != "mixed" else int(rng.integers(-1, 1)))
    state = FrontierState(
        month=jnp.int32(t),
        status=jnp.asarray(status),
        start=jnp.asarray(start),
        end=jnp.asarray(np.where(status == 2, t - 1, -1).astype(np.int32)),
        force=jnp.asarray(force),
        dead=jnp.asarray(dead),
        casualties=jnp.asarray(dead * 2.5),
        wins=jnp.asarray(rng.integers(0, 3, n).astype(np.int32)),
        repulsed=jnp.asarray(rng.integers(0, 2, n).astype(np.int32)),
        demand_month=jnp.int32(demand),
        poland_month=jnp.int32(-1),
        japan_war_month=jnp.int32(-1 if rng.uniform() < 0.7 else t - 3),
        annex_month=jnp.asarray(np.where(rng.uniform(size=2) < 0.8, -1, t - 2).astype(np.int32)),
    )
    war = t - DEMAND if kind == "demand" else int(rng.integers(-1, t))
    pact_month = war - 1 if rng.uniform() < 0.5 else -1
    inp = M.Inputs(
        quality=jnp.float32(rng.uniform(0.2, 0.9)),
        war_month=jnp.int32(war),
        pact=jnp.asarray(pact_month >= 0),
        pact_month=jnp.int32(pact_month if kind != "poland" else t - 1),
        alliance=jnp.asarray(pact_month < 0 and rng.uniform() < 0.5),
        china_war_month=jnp.int32(t - int(rng.integers(-2, 30))),
        west_busy_month=jnp.int32(t if kind == "annex" else t + int(rng.integers(-5, 5))),
    )
    draws = FrontierDraws(
        probe=jnp.asarray(rng.uniform(0, 0.1, n), jnp.float32),
        battle=jnp.asarray(rng.uniform(size=n), jnp.float32),
        attrition=jnp.asarray(rng.normal(size=(n, 2)), jnp.float32),
        decision=jnp.asarray(rng.uniform(size=3), jnp.float32),
        annex=jnp.asarray(rng.uniform(size=2), jnp.float32),
        regroup=jnp.float32(rng.uniform()),
    )
    return state, inp, draws


DEMAND = M.DEMAND_DELAY


KINDS = ("quiet", "mixed", "demand", "refusal", "poland", "annex")


@pytest.mark.parametrize("kind", KINDS)
def test_the_month_matches_its_numpy_reference(kind: str) -> None:
    tab, kern = T.theatres(), T.kernel()
    step = jax.jit(lambda s, i, p, d: M.advance(s, tab, kern, i, p, d))
    rng = np.random.default_rng(KINDS.index(kind))
    changed = 0
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
        for k in ("month", "demand_month", "poland_month", "japan_war_month"):
            assert int(getattr(got, k)) == want[k], k
        for k in ("status", "start", "end", "wins", "repulsed", "annex_month"):
            np.testing.assert_array_equal(getattr(got, k), want[k], err_msg=k)
        for k in ("force", "dead", "casualties"):
            np.testing.assert_allclose(getattr(got, k), want[k], rtol=2e-4, atol=1e-2, err_msg=k)
        changed += int(np.any(got.status != np.asarray(state.status)))
        changed += int(np.any(got.annex_month != np.asarray(state.annex_month)))
    assert changed > 0  # the cases exercise starts and endings, not only quiet months


# ---------------------------------------------------------------- the combat kernel
def test_the_stored_kernel_is_the_fit_of_the_shipped_data_without_the_held_out_battles() -> None:
    """The package's frontiers_combat.yaml equals a fresh fit on data/cdb90, which leaves
    out the Red Army's engagements (they score the kernel instead)."""
    fitted, held = combat_fit.split(combat_fit.load())
    assert not set(fitted.ids) & set(combat_fit.HELD_OUT)
    assert sorted(held.ids) == sorted(combat_fit.HELD_OUT)
    fresh = combat_fit.fit(fitted).as_dict()
    stored = combat_fit.stored()
    assert fresh["n"] == stored["n"] and fresh["n_win"] == stored["n_win"]
    for key in ("attacker", "defender", "win", "residual_sd"):
        np.testing.assert_allclose(fresh[key], stored[key], atol=1e-4, err_msg=key)
    # What the data say: a more effective attacker loses less and inflicts more; more
    # attackers per defender lose fewer each and inflict more each; more win.
    k = T.kernel()
    assert k.attacker[3] < 0 < k.defender[3] and k.win[3] > 0
    assert k.attacker[1] < 0 < k.defender[1] and k.win[1] > 0


# ---------------------------------------------------------------- the slice alone
@pytest.fixture(scope="module")
def alone():
    """The frontiers slice composed alone, and a runner for it (compiled once)."""
    return slice_alone(SLICE, RUNS)


def _run(alone, points: list[dict[str, float]], seed: int = 5) -> object:
    return run_pinned(alone, points, RUNS, seed)


def test_a_purged_red_army_loses_more_men_for_each_enemy_and_invites_the_clashes(alone):
    """The battlefield anchor: the same Winter War fought by a Red Army of command
    quality 0.3 and 0.75 (everything else the same and Finland sure to fight): the loss
    ratio and the clashes with Japan follow quality, as the kernel fitted on CDB90 and
    the probes' hazard say."""
    sure = {"finland_demand_pact": 1.0, "finland_refuses": 1.0}
    cube = _run(
        alone,
        [{"frontiers_soviet_quality": 0.3, **sure}, {"frontiers_soviet_quality": 0.75, **sure}],
    )
    assert np.all(cube["winter_war_prob"].values == 1.0)
    deaths = cube["winter_war_deaths_mean"].values  # [point, side]
    ratio = deaths[:, 0] / deaths[:, 1]
    assert ratio[0] > 1.5 * ratio[1], ratio
    clash = cube["khasan_clash_prob"].values
    assert clash[0] > clash[1] + 0.1, clash
    assert cube["japan_ussr_war_prob"].values[0] > cube["japan_ussr_war_prob"].values[1]


def test_the_winter_war_and_poland_follow_the_pact(alone):
    """With the pact the USSR enters eastern Poland the month after it, demands of
    Finland two months after the war begins and, sure to, annexes the Baltic states and
    Bessarabia in June 1940, when France falls; without it, neither Poland nor, when the
    demand and annexations without a sphere are ruled out, Finland or the annexations."""
    cube = _run(
        alone,
        [
            {"frontiers_pact": 1.0, "finland_demand_pact": 1.0, "finland_refuses": 1.0,
             "annex_pact": 1.0},
            {"frontiers_pact": 0.0, "finland_demand_alone": 0.0, "annex_alone": 0.0},
        ],
    )  # fmt: skip
    assert list(cube["soviet_invasion_poland_prob"].values) == [1.0, 0.0]
    assert list(cube["winter_war_prob"].values) == [1.0, 0.0]
    for name in ("baltic_annexation", "bessarabia_annexation"):
        assert list(cube[f"{name}_prob"].values) == [1.0, 0.0], name
        assert float(cube[f"{name}_by_year"].sel(year=1940).values[0]) == 1.0
    year = cube["winter_war_by_year"].sel(year=1939).values[0]
    assert year == 1.0  # the war begins in November 1939 (the demand in October)
    months = cube["winter_war_months_mean"].values
    assert 1.0 <= months[0] <= M.WAR_MONTHS and months[1] == 0.0


def test_a_repulsed_red_army_regroups_and_the_winter_war_lasts_longer(alone):
    """The same war, Finland sure to fight and a purged Red Army (quality 0.3), with and
    without the month of regrouping after a repulsed offensive: regrouping makes the war
    longer, and no shorter where the Red Army wins its battles more often."""
    sure = {"finland_demand_pact": 1.0, "finland_refuses": 1.0, "frontiers_soviet_quality": 0.3}
    points = [
        {**sure, "winter_war_regroup": 0.0},
        {**sure, "winter_war_regroup": 1.0},
        {**sure, "winter_war_regroup": 1.0, "frontiers_soviet_quality": 0.9},
    ]
    months = _run(alone, points)["winter_war_months_mean"].values
    assert months[1] > months[0] + 0.3, months
    assert months[2] < months[1], months


def test_the_war_begins_in_november_1939_on_the_default_dates() -> None:
    model = compose("frontiers_alone", (SLICE,), (), registry.default_calendar("interwar"))
    sl = model.slices["frontiers"]
    theta = jnp.asarray(
        [p.prior.args.get("value", 0.5) if p.prior.kind == "fixed" else 0.5 for p in model.params],
        jnp.float32,
    )
    names = [p.name for p in model.params]
    for name, value in (("finland_demand_pact", 1.0), ("finland_refuses", 1.0)):
        theta = theta.at[names.index(name)].set(value)
    state = initial = sl.init(jax.random.key(0), theta)
    states = []
    for t in range(NOV_1939 + 1):
        state = sl.advance(jax.random.key(t), state, theta, {})
        states.append(state)
    assert int(state.start[T.FINLAND]) == NOV_1939
    assert int(state.poland_month) == NOV_1939 - 2  # September 1939
    # The chronicle tells it (abm trace): the demands, Poland, the war's start.
    stacked = jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *states)
    told = sl.chronicle(stacked, jax.device_get(initial))
    assert ("1939-09", "the Red Army enters eastern Poland") in told
    assert ("1939-10", "the USSR demands bases and territory of Finland") in told
    assert any(m == "1939-11" and e.startswith("fighting begins in Finland") for m, e in told)
