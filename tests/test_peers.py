"""The benchmark peers (``benchmarks/peers``) compute what abm computes, statistically.

The peers re-implement the Germany slice alone, so abm's side is the Germany-only view of
each scenario (``abm.bench.germany.germany_view``: ``GermanyModel`` over the scenario's
calendar, the scenario's priors, the Comintern line of the leader preset's faction).
abm's Germany model, the hand-vectorised NumPy peer and the Mesa peer are run on the
shipped scenarios with different random streams (JAX threefry, NumPy PCG64), so they can
only agree in distribution: each statistic (event probabilities, the probability that
an election is held in July and in November 1932, mean Reichstag shares in the months an
election was held, mean 1932 unemployment) must lie within ``Z_MAX`` combined standard
errors of abm's. Elections are labelled by their own month (issue 13): "1930-09" and
"1932-07" are the runs that voted in those months (an early election that took the slot's
place is reported under its own month), and "1932-11" carries the NSDAP's post-peak
disappointment. Every comparison also checks that it is not vacuous (the
standard errors are small enough to see a real difference), and a deliberately wrong
peer (no Depression) must be told apart from abm by the same comparison.
"""

from __future__ import annotations

import functools
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from abm.bench.germany import LINE_LEVER, germany_cube, germany_view  # noqa: E402
from abm.config import load_scenario  # noqa: E402
from abm.models.interwar.germany.parameters import catalogue  # noqa: E402
from benchmarks.peers import common, mesa_germany, numpy_germany  # noqa: E402

SCENARIOS = {
    "otl": str(ROOT / "configs" / "scenarios" / "otl.yaml"),
    "trotsky": str(ROOT / "configs" / "scenarios" / "trotsky.yaml"),
}
#: Runs per scenario: abm (one compile, then cheap), the NumPy peer (about 2000 runs/s
#: here), the Mesa peer (about 35 runs/s); and the deliberately wrong NumPy peer.
ABM_RUNS, NUMPY_RUNS, MESA_RUNS, WRONG_RUNS = 4000, 4000, 400, 500
#: Largest allowed |difference| in combined standard errors.
Z_MAX = 4.5

SLOTS = ("1930-09", "1932-07")
PARTIES = ("NSDAP", "KPD", "SPD")
SHARES = (
    *(f"reichstag_share/{s}/{p}" for s in SLOTS for p in PARTIES),
    "reichstag_share/1932-11/NSDAP",
)
UNEMPLOYMENT = ("german_unemployment/1932",)
#: Whether the month's election was held: the schedule (slots, dissolutions taking a
#: slot's place, the regime) compared as a probability.
HELD = ("election_held/1932-07", "election_held/1932-11")
EVENTS = {
    "otl": ("nazi_power", *HELD),
    "trotsky": ("nazi_power", "united_front", "german_civil_war", *HELD),
}
#: Largest standard error that still makes a comparison informative, per statistic kind
#: and implementation (the Mesa peer runs far fewer runs).
MAX_SE = {
    "abm": {"event": 0.01, "share": 0.002, "unemployment": 0.02},
    "numpy": {"event": 0.01, "share": 0.002, "unemployment": 0.02},
    "mesa": {"event": 0.03, "share": 0.005, "unemployment": 0.05},
}


# ---------------------------------------------------------------- runs (cached)
@functools.cache
def abm_summary(scenario: str) -> dict:
    view = germany_view(load_scenario(SCENARIOS[scenario]))
    return common.summarise_cube(germany_cube(view, ABM_RUNS, seed=0, chunk_size=2048))


@functools.cache
def numpy_summary(scenario: str, n_runs: int = NUMPY_RUNS, **overrides: str) -> dict:
    out = numpy_germany.simulate(SCENARIOS[scenario], n_runs, seed=1, overrides=overrides)
    return common.summarise(out)


@functools.cache
def mesa_summary(scenario: str) -> dict:
    return common.summarise(mesa_germany.simulate(SCENARIOS[scenario], MESA_RUNS, seed=2))


PEERS = {"numpy": numpy_summary, "mesa": mesa_summary}


# ---------------------------------------------------------------- comparison
def z_event(a: tuple, b: tuple) -> float:
    """Difference of two probabilities in standard errors of the pooled proportion.

    Pooling keeps the standard error honest when one side saw no event at all (a rare
    event in a small Mesa sample): the binomial SE of 0/80 would be 0.
    """
    (pa, _, na), (pb, _, nb) = a, b
    pooled = (pa * na + pb * nb) / (na + nb)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb))
    return 0.0 if se == 0.0 else (pa - pb) / se


def z_scores(scenario: str, ref: dict, peer: dict) -> dict[str, float]:
    """Every compared statistic of a scenario -> (peer - abm) in combined SEs."""
    out = {k: z_event(peer[k], ref[k]) for k in EVENTS[scenario]}
    out.update({k: common.z_score(peer[k], ref[k]) for k in SHARES + UNEMPLOYMENT})
    return out


def kind(key: str) -> str:
    if key.startswith("reichstag_share/"):
        return "share"
    if key.startswith("german_unemployment/"):
        return "unemployment"
    return "event"  # an event's or an election's probability


def check_informative(summary: dict, scenario: str, who: str) -> None:
    """The comparison could see a real difference: small SEs, enough runs per slot."""
    for key in EVENTS[scenario] + SHARES + UNEMPLOYMENT:
        est, se, n = summary[key]
        assert math.isfinite(est), (who, key, summary[key])
        assert se < MAX_SE[who][kind(key)], (who, key, summary[key])
        if kind(key) == "share":
            assert n >= 30, (who, key, summary[key])
            assert se > 0.0, (who, key, summary[key])


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("peer", list(PEERS))
def test_peer_agrees_with_abm(peer: str, scenario: str) -> None:
    ref = abm_summary(scenario)
    got = PEERS[peer](scenario)
    check_informative(ref, scenario, "abm")
    check_informative(got, scenario, peer)
    z = z_scores(scenario, ref, got)
    shown = {k: round(v, 2) for k, v in z.items()}
    bad = [k for k, v in z.items() if not abs(v) < Z_MAX]
    assert not bad, f"{peer} vs abm on {scenario}: {bad} off; z (peer - abm) = {shown}"


def test_events_are_not_degenerate() -> None:
    """The event comparisons test something: the probabilities are neither 0 nor 1."""
    otl, trotsky = abm_summary("otl"), abm_summary("trotsky")
    assert 0.3 < otl["nazi_power"][0] < 0.95
    assert 0.2 < trotsky["united_front"][0] < 0.95
    assert 0.05 < trotsky["german_civil_war"][0] < 0.8
    # the scenarios differ where the levers act, and the NumPy peer sees it too
    for summary in (abm_summary, numpy_summary):
        assert summary("trotsky")["united_front"][0] > summary("otl")["united_front"][0] + 0.3


def test_a_wrong_peer_is_caught() -> None:
    """A peer without the Depression (severity pinned at 0) disagrees with abm's default.

    The same statistics and threshold as above must flag it, so a broken economy, and
    what follows from it (the NSDAP's rise, the appointment), would not pass unnoticed.
    """
    ref = abm_summary("otl")
    wrong = numpy_summary("otl", WRONG_RUNS, depression_severity="0")
    z = z_scores("otl", ref, wrong)
    assert abs(z["german_unemployment/1932"]) > Z_MAX
    assert abs(z["nazi_power"]) > Z_MAX
    assert abs(z["reichstag_share/1932-07/NSDAP"]) > Z_MAX


@pytest.mark.parametrize(
    ("name", "faction", "line"),
    [("otl", "stalin", 0.0), ("trotsky", "trotsky", 1.0), ("troika", "zinoviev", 0.3)],
)
def test_germany_view_of_a_scenario(name: str, faction: str, line: float) -> None:
    """The Germany-only view: the scenario's priors, its leader's line, its calendar."""
    sc = load_scenario(str(ROOT / "configs" / "scenarios" / f"{name}.yaml"))
    view = germany_view(sc)
    assert view.faction == faction
    assert sc.levers[f"{LINE_LEVER}.{faction}"] == line == view.line
    assert tuple(view.priors) == tuple(p.name for p in catalogue()) == view.model.param_names
    for key, prior in view.priors.items():
        if key != LINE_LEVER:
            assert prior == sc.priors[key], key
    assert view.prior_table().n_params == len(view.priors)
    # the SPD's willingness is a German parameter, the same whoever rules the USSR
    otl = germany_view(load_scenario(SCENARIOS["otl"]))
    assert view.priors["united_front_uptake"] == otl.priors["united_front_uptake"]
    whole = sc.model()
    assert view.model.n_months == whole.n_months == sc.calendar.n_months == 210
    assert view.model.n_agents == whole.slices["germany"].n_agents == 218
    assert germany_view(sc, replicas=2).model.n_agents == 428
    # the peers read the same view
    inputs = common.load(sc.path)
    assert inputs.faction == faction and inputs.priors == view.priors
    assert inputs.n_months == 210 and inputs.ranges == view.ranges


def test_output_format() -> None:
    """The peers return abm's outcome names with the documented shapes."""
    n = 3
    for module in (numpy_germany, mesa_germany):
        assert module.N_AGENTS == 218
        assert module.N_MONTHS == 210 == common.n_months(SCENARIOS["otl"])
    outs = [
        numpy_germany.simulate(SCENARIOS["otl"], n, seed=5),
        mesa_germany.simulate(SCENARIOS["otl"], n, seed=5),
        # abm's capacity scaling: two sub-constituencies per constituency (428 agents)
        numpy_germany.simulate(SCENARIOS["otl"], n, seed=5, replicas=2),
        mesa_germany.simulate(SCENARIOS["otl"], n, seed=5, replicas=2),
    ]
    assert common.n_agents(2) == 428
    for out in outs:
        assert tuple(out) == common.OUTCOMES
        for name in (*common.EVENTS, "german_regime_1936"):
            assert out[name].shape == (n,)
        # one row per month of the election grid, 1924-05 .. 1936-12, as abm's cube
        assert len(common.ELECTION_LABELS) == 152
        assert common.ELECTION_LABELS[0] == "1924-05" and common.ELECTION_LABELS[-1] == "1936-12"
        assert out["reichstag_share"].shape == (n, 152, 8)
        assert out["reichstag_share/mask"].shape == (n, 152, 8)
        assert out["reichstag_share/mask"].dtype == bool
        assert out["german_unemployment"].shape == (n, 18)  # 1924 .. 1941
        # the two 1924 elections are always held, in their own months, and their shares
        # sum to one
        first = [common.SLOT_INDEX["1924-05"], common.SLOT_INDEX["1924-12"]]
        assert first == [0, 7]
        assert out["reichstag_share/mask"][:, first].all()
        assert abs(out["reichstag_share"][:, first].sum(axis=-1) - 1.0).max() < 1e-9
