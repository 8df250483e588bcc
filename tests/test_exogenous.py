"""Exogenous streams: identical in both worlds of a pair, and conditioned on history.

``docs/exogenous.md`` classifies every random draw of the two slices. The exogenous ones
(the Soviet harvest weather, national and regional, the USSR's output shock, the other
powers' deviations from their recorded steel and GDP, the German unemployment shock and
the Depression's shape) come from keys of (seed, point, run, slice, stream, time) alone,
so that both worlds of a paired comparison see the same, whatever the scenario changes.

Small paired runs of ``otl`` and ``trotsky`` (and of their ``*_history`` variants, with
``exogenous: history``), :data:`N` runs each, one compiled program per mode shared by
both worlds. The realised exogenous paths (the shocks each run's Soviet state carries to
its end, German unemployment of every year) must agree run by run between the worlds,
while the worlds' endogenous histories differ; under ``history`` they must be history's
in every run. A default run must give the values the code gave before the option existed
(:data:`REFERENCE`, from commit afe7b88's code: seed 0, runs 0..31 of ``otl``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import abm.api as api
from abm.cli.parser import build_parser
from abm.cli.simulate import with_exogenous
from abm.config import ConfigError, Scenario, load_scenario
from abm.engine.simulate import simulate_batch
from abm.errors import InputError
from abm.models.interwar import history, history_derive
from abm.models.interwar.germany import draws as germany_draws
from abm.models.interwar.germany.slice import GermanySlice
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.slice import SovietSlice

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "configs" / "scenarios"
N = 32
SEED = 0
#: German unemployment: the annual average is a sum of float32 months over 12.
UNEMPLOYMENT_RTOL = 1e-5

REFERENCE: dict[str, list[float]] = {
    "nazi_power": [
        -1,
        -1,
        103,
        -1,
        91,
        106,
        -1,
        -1,
        108,
        -1,
        123,
        115,
        109,
        -1,
        107,
        115,
        -1,
        122,
        100,
        111,
        104,
        -1,
        117,
        110,
        123,
        119,
        -1,
        -1,
        101,
        106,
        126,
        115,
    ],
    "soviet_leader": [
        0,
        2,
        2,
        2,
        0,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        2,
        0,
        2,
        1,
        2,
        2,
        2,
        3,
        2,
        2,
    ],
    "famine_total": [
        0.10929135233163834,
        4.572149753570557,
        2.5360264778137207,
        0.0,
        0.0,
        4.1971516609191895,
        5.172130107879639,
        2.1174604892730713,
        0.000800461508333683,
        0.0,
        2.0500924587249756,
        0.09326250851154327,
        2.6779372692108154,
        3.848642349243164,
        0.0,
        2.9752514362335205,
        0.000519378634635359,
        0.0,
        1.4285624027252197,
        11.179350852966309,
        0.0,
        0.0,
        3.8382489681243896,
        0.0,
        0.7601805329322815,
        0.11568574607372284,
        3.700089693069458,
        0.002497032517567277,
        0.0,
        0.10072360187768936,
        0.0,
        0.0,
    ],
    "harvest_1932": [
        64.85969543457031,
        54.73203659057617,
        59.56078338623047,
        53.96104431152344,
        55.0948371887207,
        63.4004020690918,
        52.81102752685547,
        65.01046752929688,
        62.54664611816406,
        77.62503051757812,
        57.48338317871094,
        51.10302734375,
        67.45796966552734,
        61.05420684814453,
        67.30571746826172,
        54.85895919799805,
        63.438865661621094,
        64.68367004394531,
        59.061737060546875,
        62.6360969543457,
        64.18357849121094,
        66.02339935302734,
        60.71461868286133,
        59.104156494140625,
        55.99265670776367,
        61.96729278564453,
        57.68955612182617,
        61.8437614440918,
        72.11531829833984,
        55.044578552246094,
        66.36540222167969,
        63.31442642211914,
    ],
    "unemp": [
        5.35565185546875,
        4.966525077819824,
        5.336838722229004,
        5.5187811851501465,
        5.425540924072266,
        5.613689422607422,
        5.207455635070801,
        5.540777206420898,
        5.097168922424316,
        5.466886520385742,
        5.878874778747559,
        5.071568489074707,
        5.5564985275268555,
        5.341370582580566,
        6.342793941497803,
        5.499669551849365,
        4.995151042938232,
        5.00368595123291,
        4.90397834777832,
        5.738122940063477,
        5.687352180480957,
        5.137070178985596,
        5.200530052185059,
        5.39735746383667,
        5.86541748046875,
        5.1903228759765625,
        5.277356147766113,
        5.363910675048828,
        5.900989532470703,
        5.4758429527282715,
        5.374845504760742,
        5.601926326751709,
    ],
    "steel": [
        1460.799560546875,
        1431.905029296875,
        1407.416748046875,
        1432.6212158203125,
        1399.5322265625,
        1463.9459228515625,
        1408.106689453125,
        1463.4215087890625,
        1413.58349609375,
        1431.064208984375,
        1395.1292724609375,
        1429.0067138671875,
        1423.4674072265625,
        1461.2874755859375,
        1451.1591796875,
        1391.821533203125,
        1440.7032470703125,
        1422.5791015625,
        1438.9521484375,
        1401.3853759765625,
        1397.2738037109375,
        1506.7274169921875,
        1510.235595703125,
        1386.404296875,
        1416.2886962890625,
        1458.622802734375,
        1385.945556640625,
        1478.6805419921875,
        1466.144775390625,
        1437.257080078125,
        1447.60693359375,
        1426.318603515625,
    ],
}


class Pair:
    """Both worlds of ``N`` paired runs: thetas, initial and final states, outcomes."""

    def __init__(self, a: Scenario, b: Scenario) -> None:
        self.a, self.b = a, b
        self.model = model = a.model()
        self.soviet = cast(SovietSlice, model.slices["soviet"]).model
        self.germany = cast(GermanySlice, model.slices["germany"]).model

        def run(rows: Any) -> Any:
            thetas, s0, final, _ = simulate_batch(
                model,
                jnp.uint32(SEED),
                rows,
                jnp.zeros((N,), jnp.int32),
                jnp.arange(N, dtype=jnp.int32),
            )
            return thetas, s0, final, jax.vmap(model.outcomes)(final, thetas)

        fn = jax.jit(run)
        self.worlds = [jax.device_get(fn(self.rows(sc))) for sc in (a, b)]

    @staticmethod
    def rows(sc: Scenario) -> Any:
        """The scenario's prior table, one row per run."""
        return jax.tree.map(lambda x: np.repeat(np.asarray(x)[None], N, 0), sc.prior_table())


def scenario(name: str) -> Scenario:
    """A shipped scenario."""
    return load_scenario(SCENARIOS / f"{name}.yaml")


@pytest.fixture(scope="module")
def random_pair() -> Pair:
    """``otl`` and ``trotsky`` (``exogenous: random``), one compiled program."""
    return Pair(scenario("otl"), scenario("trotsky"))


@pytest.fixture(scope="module")
def history_pair() -> Pair:
    """``otl_history`` and ``trotsky_history`` (``exogenous: history``)."""
    return Pair(scenario("otl_history"), scenario("trotsky_history"))


def exogenous_paths(world: Any) -> dict[str, np.ndarray]:
    """The realised exogenous paths of a world's runs, each with a leading ``[N]`` axis."""
    _, s0, final, out = world
    sh = final["soviet"].shocks
    return {
        "soviet weather": sh.weather,
        "soviet regional weather": sh.regional,
        "soviet output shock": sh.steel,
        "other powers' deviation": sh.states,
        "initial soviet weather": s0["soviet"].shocks.weather,
        "german unemployment": out["german_unemployment"],
        "german unemployment deviation (last month)": final["germany"].economy.noise,
        "other powers' steel": np.delete(out["steel_output"], [K.USSR, K.GERMANY], axis=1),
        "other powers' gdp": np.delete(out["gdp"], K.USSR, axis=1),
    }


def endogenous_differ(pair: Pair) -> None:
    """The two worlds' politics differ (so that equal exogenous paths mean something)."""
    (_, _, _, oa), (_, _, _, ob) = pair.worlds
    assert np.any(oa["soviet_leader"] != ob["soviet_leader"])
    assert np.any(oa["famine_deaths"] != ob["famine_deaths"])


# ---------------------------------------------------------------- (a) identical in a pair
@pytest.mark.parametrize("mode", ["random", "history"])
def test_exogenous_paths_are_identical_in_both_worlds(
    mode: str, random_pair: Pair, history_pair: Pair
) -> None:
    """Every exogenous path agrees run by run between otl and trotsky (bit for bit)."""
    pair = random_pair if mode == "random" else history_pair
    endogenous_differ(pair)
    pa, pb = (exogenous_paths(w) for w in pair.worlds)
    for name, a in pa.items():
        assert a.shape[0] == N, name
        np.testing.assert_array_equal(a, pb[name], err_msg=f"{mode}: {name} differs")
    # ... and they are drawn: they vary from run to run (not constants that agree trivially).
    for name in ("soviet regional weather", "soviet output shock", "german unemployment"):
        assert np.unique(pa[name].reshape(N, -1), axis=0).shape[0] == N, name


def test_the_german_unemployment_shock_depends_on_the_month_key_alone() -> None:
    """The month's unemployment draw is the same whatever the election drifts' or the
    events' stream does: its key is split from ``fold_in(month key, 0)`` alone."""
    key = jax.random.key(11)
    z, events = germany_draws.draw_regular(key)
    month = germany_draws.draw_month(key)
    assert float(month.unemployment) == float(z)
    np.testing.assert_array_equal(month.events, events)
    k_u, _ = jax.random.split(jax.random.fold_in(key, 0))
    assert float(z) == float(jax.random.normal(k_u, (), jnp.float32))


def test_soviet_shocks_depend_on_the_key_alone(random_pair: Pair) -> None:
    """The init's shocks do not depend on theta: those of two worlds' thetas agree."""
    soviet = random_pair.soviet
    (ta, *_), (tb, *_) = random_pair.worlds
    assert np.any(ta[0] != tb[0])
    key = jax.random.key(5)
    sa = soviet.init(key, jnp.asarray(ta[0])).shocks
    sb = soviet.init(key, jnp.asarray(tb[0])).shocks
    for a, b in zip(jax.tree.leaves(sa), jax.tree.leaves(sb), strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- (b) history
def test_history_weather_is_historys_in_every_run(history_pair: Pair) -> None:
    """1928-1935: the derived historical weather in every run; other years drawn."""
    years = history_pair.soviet.years
    stored = history.stored()["soviet_weather"]["values"]
    at = [years.index(y) for y in stored]
    want = np.array(list(stored.values()), np.float32)
    for _, _, final, _ in history_pair.worlds:
        w = final["soviet"].shocks.weather
        np.testing.assert_array_equal(w[:, at], np.broadcast_to(want, (N, len(at))))
        other = np.delete(w, at, axis=1)
        assert np.unique(other, axis=0).shape[0] == N
    # The drought of 1931 the worst year of the eight, 1932 below the mean (since the
    # issue-13 rebuild the upheaval's 24 months and the hungry spring explain part of
    # the 1932 shortfall, so less of it is left to the weather than in 1929).
    order = sorted(stored, key=lambda y: stored[y])
    assert order[0] == 1931
    assert stored[1932] < 0.0


def test_history_other_powers_follow_their_records(history_pair: Pair) -> None:
    """No deviation: every power but the USSR and Germany at its COW/Maddison value."""
    soviet = history_pair.soviet
    full = np.asarray(soviet.full_index)
    for _, _, final, out in history_pair.worlds:
        np.testing.assert_array_equal(final["soviet"].shocks.states, 0.0)
        others = [s for s in range(len(K.STATES)) if s not in (K.USSR, K.GERMANY)]
        want = soviet.steel_hist[others][:, full]
        np.testing.assert_array_equal(
            out["steel_output"][:, others], np.broadcast_to(want, (N, *want.shape))
        )
        gdp = soviet.gdp_hist[1:][:, full]
        np.testing.assert_array_equal(out["gdp"][:, 1:], np.broadcast_to(gdp, (N, *gdp.shape)))


def test_history_german_unemployment_is_the_depression_as_it_came(history_pair: Pair) -> None:
    """1928-1932: the registered annual averages in every run; drawn before and after."""
    spec = history.stored()["german_unemployment"]
    labels = [int(y) for y in history_pair.germany.year_labels]
    for *_, out in history_pair.worlds:
        u = out["german_unemployment"]
        for year, value in spec["annual"].items():
            np.testing.assert_allclose(u[:, labels.index(year)], value, rtol=UNEMPLOYMENT_RTOL)
        for year in (1926, 1934):
            assert np.unique(u[:, labels.index(year)]).size == N


def test_history_leaves_the_endogenous_draws_drawn(history_pair: Pair) -> None:
    """Politics still vary from run to run (and between the worlds) under history."""
    endogenous_differ(history_pair)
    for _, s0, _, out in history_pair.worlds:
        assert np.unique(out["nazi_power"]).size > 3
        assert np.unique(out["soviet_leader"]).size > 1
        effect = s0["germany"].parties.constituency_effect.reshape(N, -1)
        assert np.unique(effect, axis=0).shape[0] == N


def test_history_file_is_what_the_derivation_gives() -> None:
    """``data/exogenous_history.yaml`` is what :func:`history_derive.derive` derives now
    (rerun it after a recalibration), and the derived weather reproduces the harvests."""
    got = history_derive.derive()
    stored = history.stored()
    assert got["german_unemployment"] == stored["german_unemployment"]
    gw, sw = got["soviet_weather"], stored["soviet_weather"]
    assert list(gw["values"]) == list(sw["values"])
    np.testing.assert_allclose(list(gw["values"].values()), list(sw["values"].values()), atol=2e-6)
    assert gw["max_log_misfit"] < 1e-5


def test_history_option_in_the_hash_only_when_set() -> None:
    """The default keeps the hashes of before; ``history`` changes the hash."""
    otl = scenario("otl")
    assert otl.exogenous == "random" and "exogenous" not in otl.resolved_text()
    hist = load_scenario(SCENARIOS / "otl.yaml", ["exogenous=history"])
    assert hist.exogenous == "history" and "exogenous: history" in hist.resolved_text()
    assert hist.config_hash() != otl.config_hash()
    assert hist.priors == otl.priors and hist.levers == otl.levers


def test_history_option_errors(tmp_path: Path) -> None:
    """A bad mode names the file, the field and the modes; pairs must share the mode."""
    bad = tmp_path / "bad.yaml"
    text = (
        (SCENARIOS / "otl.yaml")
        .read_text()
        .replace("presets: ../presets", f"presets: {SCENARIOS}/../presets")
    )
    bad.write_text(text + "exogenous: histroy\n")
    with pytest.raises(ConfigError, match=r"exogenous.*histroy.*did you mean 'history'"):
        load_scenario(bad)
    with pytest.raises(ConfigError, match="--set exogenous"):
        load_scenario(SCENARIOS / "otl.yaml", ["exogenous=weather"])
    with pytest.raises(InputError, match="exogenous"):
        api.compare(SCENARIOS / "otl.yaml", SCENARIOS / "trotsky_history.yaml", runs=2)


def test_cli_flag_sets_the_mode_of_both_scenarios() -> None:
    """``--exogenous history`` on ``abm run`` and ``abm compare``."""
    parser = build_parser()
    args = parser.parse_args(["compare", "a.yaml", "b.yaml", "--exogenous", "history"])
    items = with_exogenous(args.overrides, args.exogenous)
    assert load_scenario(SCENARIOS / "trotsky.yaml", items).exogenous == "history"
    args = parser.parse_args(["run", "a.yaml"])
    assert with_exogenous(args.overrides, args.exogenous) == []
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "a.yaml", "--exogenous", "weather"])


# ---------------------------------------------------------------- (c) default unchanged
def test_default_mode_is_bit_identical_to_before(random_pair: Pair) -> None:
    """``otl`` under the default gives, bit for bit, the pinned values.

    Pinned before the option existed, re-pinned at the issue-13 rebuild of the model and
    when the peasant month's fusion boundaries moved (:mod:`abm.engine.fusion`: the
    compiler's fused arithmetic changed in the last bits, relative 2e-5 at most); re-pin
    only after a deliberate change of the model's results or of how XLA compiles it.
    """
    _, _, _, out = random_pair.worlds[0]
    got = {
        "nazi_power": out["nazi_power"],
        "soviet_leader": out["soviet_leader"],
        "famine_total": out["famine_deaths"][:, 0],
        "harvest_1932": out["grain_harvest"][:, K.HARVEST_YEARS.index(1932)],
        "unemp": out["german_unemployment"][:, 1932 - 1924],
        "steel": np.asarray(out["steel_output"]).sum(axis=(1, 2)),
    }
    for name, want in REFERENCE.items():
        dtype = np.int32 if name in ("nazi_power", "soviet_leader") else np.float32
        np.testing.assert_array_equal(
            np.asarray(got[name], dtype), np.asarray(want, dtype), err_msg=name
        )
