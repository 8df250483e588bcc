"""The JAX month of the Soviet slice against a slow, independent NumPy reference.

``SovietModel.advance(state, theta, draws, nazi_month)`` (jitted once) is compared leaf
by leaf (:func:`abm.engine.slices.leaf_values`) with ``reference.soviet_numpy.month`` on
the same draws, from states of real runs (three ``otl`` runs traced once by the runner,
with the German ``nazi_month`` they saw) at months that exercise every phase: the NEP, the
KMT's purge (1927), the plan and the drive, the harvests of the famine years 1930-33,
Decembers (GDP), the terror wave, the army and CCP records, 1941-06; on constructed
leaderships (a collective leadership through the terror, personal rule of another faction
in the NEP), on thetas sampled from the prior, and on random and hand-made event draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.engine.priors import sample
from abm.engine.runner import Runner
from abm.engine.slices import leaf_values
from abm.models.interwar.soviet import (
    agriculture,
    coalition,
    grain,
    industry,
    leadership,
    rule,
    security,
)
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet import model as soviet_model
from abm.models.interwar.soviet import month as soviet_month
from abm.models.interwar.soviet.model import draw_month
from abm.models.interwar.soviet.types import SovietDraws

try:  # tests/ is on sys.path (rootdir-relative import mode)
    from reference import soviet_numpy as ref
    from reference import soviet_succession as succ
except ImportError:  # pragma: no cover - tests/ became a package
    from tests.reference import soviet_numpy as ref
    from tests.reference import soviet_succession as succ

SEED = 7
RUNS = (0, 1, 2)
N_SAMPLED = 2
#: Tolerances. Both sides compute in float32 with the same formulas, so a leaf differs by
#: the rounding of a few dozen operations (measured: relative <= 3e-7 wherever the value
#: is not a difference of nearly equal terms). ``RTOL`` leaves 30x room for that.
#: Differences of nearly equal terms (the village stock after eating it down, a shortage
#: close to 0) lose relative precision but keep an absolute error of a few ulps of the
#: terms, which are of the leaf's own size: ``atol = ATOL_SCALE * max(1, max |leaf|)``
#: in the leaf's unit (Mt, millions, persons, ...; measured <= 2e-7 of the scale).
RTOL, ATOL_SCALE = 1e-5, 1e-6
#: A decision closer than this (relative to the larger side) to its threshold could flip
#: between the two (a draw of 0 against a small positive hazard cannot).
KNIFE_EDGE = 1e-6
#: The state pool's outflows to the villages are what is left of the pool's terms after
#: the towns' need to the harvest (the villages' allotment, ODD 7.14): when the allotment
#: binds near zero, their rounding is that of the pool (Mt), not of their own size.
POOL_FLOWS = ("ledger.to_villages", "grain.villages_year")


# ---------------------------------------------------------------- the runs
class World:
    """The model, three traced runs, sampled thetas and the jitted month (built once)."""

    def __init__(self, scenario: Any) -> None:
        self.model = scenario.model()
        self.soviet = self.model.slices["soviet"].model
        self.tables = ref.tables_of(self.soviet)
        self.names = self.model.param_names
        table = scenario.prior_table()
        runner = Runner(self.model, 16)
        self.traces = {run: runner.trace(SEED, table, 0, run)[:3] for run in RUNS}
        self.sampled = [
            np.asarray(sample(jax.random.key(500 + i), table)) for i in range(N_SAMPLED)
        ]
        self.advance = jax.jit(self.soviet.advance)
        self._cases: dict[str, list] = {}

    def theta(self, source: str | int) -> np.ndarray:
        """The run's theta (int) or a sampled one (``"sampled<i>"``)."""
        if isinstance(source, int):
            return np.asarray(self.traces[source][0], np.float32)
        return self.sampled[int(source.removeprefix("sampled"))].astype(np.float32)

    def by_name(self, theta: np.ndarray) -> dict[str, np.float32]:
        return {n: np.float32(theta[i]) for i, n in enumerate(self.names)}

    def start(self, run: int, t: int) -> tuple[Any, int]:
        """The Soviet state at the start of month ``t`` and the ``nazi_month`` it sees."""
        _, s0, states = self.traces[run]
        src = s0 if t == 0 else jax.tree.map(lambda x: x[t - 1], states)
        assert int(src["soviet"].month) == t
        return src["soviet"], int(src["germany"].polity.nazi_month)

    def first_month_at(self, theta: np.ndarray, name: str, offset: float = 0.0) -> int:
        """The first month index ``t >= `` the decimal-year parameter ``name`` (+ offset)."""
        at = float(ref.month_of(self.by_name(theta), name, self.tables)) + offset
        return int(np.ceil(at))


def _leader(ruler: int) -> Callable[[Any], Any]:
    def change(state: Any) -> Any:
        pm = -1 if ruler < 0 else 0
        # A rule begun a year ago: still insecure (a plot can come).
        start = -1 if ruler < 0 else int(state.month) - 12
        lead = replace(
            state.leadership,
            ruler=np.int32(ruler),
            personal_month=np.int32(pm),
            rule_start=np.int32(start),
        )
        return replace(state, leadership=lead)

    return change


#: Month of a case: a label, or (parameter, offset) for the first month at that date.
MonthSpec = str | tuple[str, float]
MONTHS: dict[str, MonthSpec] = {
    "nep-1925-03": "1925-03",
    "nep-harvest-1926-08": "1926-08",
    "kmt-purge": ("kmt_purge_date", 0.0),
    "ccp-1927-12": "1927-12",
    "plan-start": ("plan_start", 0.0),
    "drive-start": ("plan_start", 12.0),
    "leader-1929-12": "1929-12",
    "harvest-1930-08": "1930-08",
    "harvest-1931-08": "1931-08",
    "harvest-1932-08": "1932-08",
    "harvest-1933-08": "1933-08",
    "dec-1933-12": "1933-12",
    "terror-1936-09": "1936-09",
    "terror-1937-08": "1937-08",
    "ccp-1937-12": "1937-12",
    "army-1938-12": "1938-12",
    "war-1940-06": "1940-06",
    "quality-1941-06": "1941-06",
}
#: Case name -> (run, theta source, month, state change, nazi_month override).
CASES: dict[str, tuple[int, str | int, MonthSpec, Any, int | None]] = {}
for _run in RUNS:
    for _label, _m in MONTHS.items():
        CASES[f"run{_run}-{_label}"] = (_run, _run, _m, None, None)
for _run in (0, 1):
    CASES[f"run{_run}-collective-terror-1936-09"] = (_run, _run, "1936-09", _leader(-1), -1)
    CASES[f"run{_run}-collective-terror-1937-08"] = (_run, _run, "1937-08", _leader(-1), 80)
    CASES[f"run{_run}-stalin-rules-1931-06"] = (_run, _run, "1931-06", _leader(K.STALIN), None)
    CASES[f"run{_run}-collective-1929-12"] = (_run, _run, "1929-12", _leader(-1), None)
    CASES[f"run{_run}-bukharin-rules-1926-08"] = (_run, _run, "1926-08", _leader(K.BUKHARIN), None)
    CASES[f"run{_run}-trotsky-rules-1929-12"] = (_run, _run, "1929-12", _leader(K.TROTSKY), None)
    CASES[f"run{_run}-nazi-1930-threat"] = (_run, _run, "1934-08", None, 80)
for _i in range(N_SAMPLED):
    for _label in ("nep-harvest-1926-08", "kmt-purge", "harvest-1932-08", "terror-1937-08"):
        CASES[f"sampled{_i}-{_label}"] = (0, f"sampled{_i}", MONTHS[_label], None, None)


def draw_sets(name: str) -> dict[str, SovietDraws]:
    """Random draws, and the same normals with hand-made event uniforms."""
    d = draw_month(jax.random.key(sum(map(ord, name)) * 7919))
    ev = lambda *u: replace(d, events=jnp.asarray(u, jnp.float32))  # noqa: E731
    n = soviet_model.N_EVENTS
    hi = [0.999] * n
    return {
        "random": d,
        "all-0": ev(*[0.0] * n),
        "all-0.999": ev(*hi),
        "rival-wins": ev(0.0, 0.999, 0.0, *hi[3:]),
        "plot-fails": ev(*hi[:5], 0.0, *hi[6:]),
    }


# ---------------------------------------------------------------- comparison
def flat_jax(state: Any) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in leaf_values(jax.device_get(state)).items()}


def compare(got: dict, want: dict, where: str = "") -> None:
    """``got`` (JAX leaves) against ``want`` (reference leaves): dtype, shape, values."""
    assert got.keys() == want.keys(), f"{where}: {set(got) ^ set(want)}"
    for name, g in got.items():
        w = want[name]
        assert g.dtype == w.dtype and g.shape == w.shape, f"{where} {name}: {g.dtype}{g.shape}"
        if g.dtype.kind == "f":
            scale = max(1.0, float(np.max(np.abs(w), initial=0.0)))
            if name in POOL_FLOWS:
                scale = max(scale, float(abs(want["grain.pool"])))
            atol = ATOL_SCALE * scale
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=atol, err_msg=f"{where} {name}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"{where} {name}")


def knife_edges(trace: list) -> list:
    """Decisions so close to their threshold that float32 rounding could flip them."""
    return [
        (n, lhs, rhs)
        for n, lhs, rhs, _ in trace
        if lhs != rhs and abs(lhs - rhs) < KNIFE_EDGE * max(abs(lhs), abs(rhs))
    ]


@pytest.fixture(scope="module")
def world(otl_scenario) -> World:
    return World(otl_scenario)


def case_inputs(w: World, name: str) -> tuple[Any, np.ndarray, int]:
    """``(state, theta, nazi_month)`` of a case."""
    run, source, spec, change, nazi = CASES[name]
    theta = w.theta(source)
    if isinstance(spec, str):
        t = w.soviet.calendar.index_of(spec)
    else:
        t = w.first_month_at(theta, *spec)
    t = min(t, w.soviet.n_months - 1)
    state, nazi_month = w.start(run, t)
    if change is not None:
        state = change(state)
    return state, theta, nazi_month if nazi is None else nazi


def run_case(w: World, name: str) -> list:
    """Per draw set: (label, state, theta, nazi, draws, JAX leaves, reference leaves, trace)."""
    if name not in w._cases:
        state, theta, nazi = case_inputs(w, name)
        th, s_np = w.by_name(theta), ref.to_numpy(state)
        rows = []
        for label, d in draw_sets(name).items():
            got = flat_jax(w.advance(state, jnp.asarray(theta), d, jnp.int32(nazi)))
            trace: list = []
            want = ref.month(s_np, th, ref.to_numpy(d), nazi, w.tables, trace)
            rows.append((label, state, theta, nazi, d, got, ref.flatten(want), trace))
        w._cases[name] = rows
    return w._cases[name]


@pytest.mark.parametrize("name", list(CASES))
def test_month_matches_reference(world, name):
    for label, state, *_, got, want, trace in run_case(world, name):
        where = f"[{name} / {label}, month {int(state.month)}]"
        assert not knife_edges(trace), f"{where} ambiguous decision: {knife_edges(trace)}"
        compare(got, want, where)


def test_every_phase_and_branch_is_exercised(world):
    seen: dict[str, set] = {}
    months, rulers = set(), set()
    for name in CASES:
        for _, state, *_, trace in run_case(world, name):
            for decision, _, _, outcome in trace:
                seen.setdefault(decision, set()).add(outcome)
            months.add(int(state.month))
            rulers.add(int(state.leadership.ruler))
    decisions = (
        "plan",
        "drive",
        "terror_wave_starts",
        "kmt_purge_month",
        "kmt_massacre",
        "contest",
        "attacker_wins",
        "death",
        "plot",
        "plot_succeeds",
        "expelled",
        "dominant",
        "rivals_broken",
        "consolidate",
    )
    for decision in decisions:
        assert seen.get(decision) == {True, False}, (decision, seen.get(decision))
    cal = world.soviet.calendar
    labels = {cal.label(t) for t in months}
    assert {"1929-12", "1930-08", "1931-08", "1932-08", "1933-08", "1941-06"} <= labels
    assert {-1, K.STALIN, K.TROTSKY, K.BUKHARIN} <= rulers


def test_influence_and_threat_match_reference(world):
    """What the leadership sends the KPD (ODD 7.19) and the threat (7.16), per case."""
    influence, threat = jax.jit(world.soviet.influence), jax.jit(world.soviet.threat)
    for name in CASES:
        state, theta, nazi = case_inputs(world, name)
        th, t = world.by_name(theta), int(state.month)
        v = ref.policy_in_force(ref.to_numpy(state.leadership), th)
        got = jax.device_get(influence(state, jnp.asarray(theta)))
        want_line, want_kappa = v[K.P_UF_LINE], 1.0 + th["comintern_export_effect"] * v[K.P_EXPORT]
        np.testing.assert_allclose(got.comintern_line, want_line, rtol=RTOL, atol=ATOL_SCALE)
        np.testing.assert_allclose(got.kpd_support, want_kappa, rtol=RTOL, atol=ATOL_SCALE)
        for nm in (nazi, -1, t - 20):
            got_thr = threat(jnp.asarray(theta), jnp.int32(t), jnp.int32(nm))
            want_thr = ref.threat(th, t, nm, world.tables)
            np.testing.assert_allclose(got_thr, want_thr, rtol=RTOL, atol=ATOL_SCALE, err_msg=name)


def test_calendar_tables_agree_with_the_reference_dates(world):
    """The model's month tables against the dates the reference works out by itself."""
    m, tb = world.soviet, world.tables
    for t in range(m.n_months):
        year, month = int(tb.years[t]), int(tb.months[t])
        assert m.year_index[t] == year - tb.first_year
        assert bool(m.harvest[t]) == (month == K.HARVEST_MONTH)
        assert bool(m.december[t]) == (month == 12)
        assert m.months_to_harvest[t] == ((K.HARVEST_MONTH - month) % 12 or 12)
        assert bool(m.famine_window[t]) == (K.FAMINE_YEARS[0] <= year <= K.FAMINE_YEARS[1])
        assert bool(m.terror_window[t]) == (K.TERROR_YEARS[0] <= year <= K.TERROR_YEARS[1])
        assert bool(m.depression[t]) == (ref.DEPRESSION_YEARS[0] <= year <= ref.DEPRESSION_YEARS[1])


# ---------------------------------------------------------------- facts the reference assumes
def test_constants_the_reference_restates():
    assert float(ref.WINNER_TAKE) == pytest.approx(leadership.WINNER_TAKE)
    assert float(ref.RIVAL_CEILING) == pytest.approx(leadership.RIVAL_CEILING)
    assert (ref.EV_CONTEST, ref.EV_CONTEST_WIN, ref.EV_CONSOLIDATE) == (
        leadership.EV_CONTEST,
        leadership.EV_CONTEST_WIN,
        leadership.EV_CONSOLIDATE,
    )
    su = succ
    assert (su.EV_DEATH, su.EV_ATTEMPT, su.EV_ATTEMPT_WIN, su.EV_ASSASSIN) == (
        leadership.EV_DEATH,
        leadership.EV_ATTEMPT,
        leadership.EV_ATTEMPT_WIN,
        leadership.EV_ASSASSIN,
    )
    assert su.EV_TERROR == soviet_month.EV_TERROR and su.N_EVENTS == soviet_model.N_EVENTS
    assert float(su.ATTACK_DISTANCE) == coalition.ATTACK_DISTANCE
    assert su.DEBATE_LEVERS == coalition.DEBATE_LEVERS
    assert float(su.TERROR_ELITE) == leadership.TERROR_ELITE
    assert su.TERROR_FROM == soviet_model.TERROR_FROM
    assert (su.APP, su.ARMY, su.POLICE, su.BASE) == (
        coalition.APPARATUS,
        coalition.ARMY,
        coalition.POLICE,
        coalition.BASE,
    )
    births = [np.nan if b is None else float(b) for b in su.BIRTH_YEAR]
    np.testing.assert_allclose(births, rule.BIRTH_YEAR, rtol=0)
    assert (su.END_DEATH, su.END_REVOLT, su.END_COUP) == (
        rule.END_DEATH,
        rule.END_REVOLT,
        rule.END_COUP,
    )
    assert ref.EV_KMT == soviet_month.EV_KMT
    assert float(ref.DRIVE_DELAY_MONTHS) == 12.0 * soviet_month.DRIVE_DELAY_YEARS
    assert float(ref.JAPAN_THREAT) == pytest.approx(soviet_model.JAPAN_THREAT)
    assert ref.JAPAN_FROM == soviet_model.JAPAN_FROM
    assert ref.DEPRESSION_YEARS == soviet_model.DEPRESSION_YEARS
    assert float(ref.EXPORT_REFERENCE) == agriculture.EXPORT_REFERENCE
    assert float(ref.EXPORT_TRADE_REFERENCE) == pytest.approx(agriculture.EXPORT_TRADE_REFERENCE)
    assert ref.CAMPAIGN_MONTHS == grain.CAMPAIGN_MONTHS
    assert float(ref.URBAN_1924) == pytest.approx(grain.URBAN_1924)
    assert float(ref.HUNGER_MONTHS) == agriculture.HUNGER_MONTHS
    assert float(ref.TRADE_REFERENCE) == pytest.approx(industry.TRADE_REFERENCE)
    assert float(ref.HERD_WEIGHT) == pytest.approx(industry.HERD_WEIGHT)
    assert float(ref.TRACTOR_STEEL) == industry.TRACTOR_STEEL
    assert float(ref.REINSTATEMENT_MONTHS) == security.REINSTATEMENT_MONTHS


# ---------------------------------------------------------------- the test can fail
def _theta(name: str, factor: float) -> Callable:
    def mutate(w: World, theta: np.ndarray, d: SovietDraws, nazi: int) -> tuple:
        theta = theta.copy()
        theta[w.names.index(name)] *= np.float32(factor)
        return theta, d, nazi

    return mutate


def _draw(field: str, i: int, value: float) -> Callable:
    def mutate(w: World, theta: np.ndarray, d: SovietDraws, nazi: int) -> tuple:
        return theta, replace(d, **{field: getattr(d, field).at[i].set(value)}), nazi

    return mutate


def _nazi_toggled(label: str) -> Callable:
    """The German seizure of power undone if the run saw one, else brought in at ``label``
    (under the rebuilt Germany slice a run need not have a Nazi government by 1938)."""

    def mutate(w: World, theta: np.ndarray, d: SovietDraws, nazi: int) -> tuple:
        return theta, d, -1 if nazi >= 0 else w.soviet.calendar.index_of(label)

    return mutate


MUTATIONS = {
    # (no one dies in the harvest month itself: the state pool's supply is perturbed)
    "urban_ration in the 1932 harvest": (
        "run0-harvest-1932-08",
        "random",
        _theta("urban_ration", 1.5),
    ),
    "plan_investment in the plan": ("run1-plan-start", "random", _theta("plan_investment", 1.2)),
    "executions_at_full in the wave": (
        "run2-terror-1937-08",
        "all-0",
        _theta("executions_at_full", 1.1),
    ),
    "gdp_agri_share in December": ("run0-dec-1933-12", "random", _theta("gdp_agri_share", 1.1)),
    "a faction's power draw": ("run0-nep-1925-03", "random", _draw("power", K.TROTSKY, 2.0)),
    "the showdown uniform": ("run0-collective-1929-12", "all-0.999", _draw("events", 0, 0.0)),
    "the KMT uniform at the purge": ("run0-kmt-purge", "all-0", _draw("events", 3, 0.999)),
    "the German seizure of power": ("run0-army-1938-12", "random", _nazi_toggled("1933-01")),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_comparison_detects_a_changed_input(world, mutation):
    case, label, mutate = MUTATIONS[mutation]
    row = {r[0]: r for r in run_case(world, case)}[label]
    _, state, theta, nazi, d, got_base, want_base, _ = row
    theta_m, d_m, nazi_m = mutate(world, theta, d, nazi)
    got_m = flat_jax(world.advance(state, jnp.asarray(theta_m), d_m, jnp.int32(nazi_m)))
    want_m = ref.flatten(
        ref.month(
            ref.to_numpy(state), world.by_name(theta_m), ref.to_numpy(d_m), nazi_m, world.tables
        )
    )
    # The perturbed model still matches the perturbed reference ...
    compare(got_m, want_m, mutation)
    # ... the perturbation changed the model's month ...
    with pytest.raises(AssertionError):
        compare(got_m, got_base, mutation)
    # ... and the unperturbed reference would have caught a model that made that change.
    with pytest.raises(AssertionError):
        compare(got_m, want_base, mutation)
