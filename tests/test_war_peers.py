"""The war kernel's peers (``benchmarks/peers/numpy_war.py``, ``mesa_war.py``) compute what
abm computes: the weekly combat workload of ``benchmarks/war_combat_step.py``.

abm's side (:mod:`abm.bench.war`, on ``abm.models.interwar.war.combat``), the
hand-vectorised NumPy peer and the Mesa peer run the same small workload (60 divisions,
6 sectors, 3 months of four weeks; the same sides, sectors, conditions and initial men)
with different random streams (JAX threefry, NumPy PCG64), so they can only agree in
distribution: every per-run statistic's mean (each side's surviving share, overall and
per sector; the attacker's wins, overall and per sector) must lie within ``Z_MAX``
combined standard errors of abm's, and each side's surviving share must pass a
two-sample Kolmogorov-Smirnov test against abm's. The comparison is checked to be
informative (small standard errors, outcomes far from 0 and 1), and deliberately wrong
NumPy peers (the attacker's casualty rate doubled; the attacker's odds of winning
doubled) must be told apart by the same comparison.

Exact checks beside the statistics: the NumPy peer's engagement equals abm's
``engagement_week`` on the same draws (float32); with the same seed, the Mesa peer's run
equals the NumPy peer's (float64, both modes); the NumPy peer's weekly and monthly modes
give the same result; abm's runs do not depend on the chunking.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from abm.bench import war  # noqa: E402
from abm.models.interwar.war import combat as C  # noqa: E402
from benchmarks.peers import mesa_war, numpy_war  # noqa: E402
from benchmarks.peers import war_common as wc  # noqa: E402

SCENARIO = war.WarScenario(divisions=60, sectors=6, months=3)
#: Runs of abm (chunks of ``ABM_CHUNK``, one compiled program), the NumPy peer, the Mesa
#: peer (about 700 runs/s here) and each deliberately wrong NumPy peer.
ABM_RUNS, ABM_CHUNK, NUMPY_RUNS, MESA_RUNS, WRONG_RUNS = 4000, 1000, 4000, 1000, 600
#: Largest allowed |difference| of a mean in combined standard errors.
Z_MAX = 4.5
#: Smallest allowed p-value of the Kolmogorov-Smirnov test of a side's surviving share.
KS_P_MIN = 1e-3
#: Largest standard error of a mean that still makes the comparison informative, by
#: kind: a surviving share, a sector's wins, the wins of all sectors.
MAX_SE = {"survival": 0.005, "wins": 0.1, "total": 0.25}


# ---------------------------------------------------------------- runs (cached)
@functools.cache
def abm_chunk() -> Callable:
    return war.build(SCENARIO, ABM_CHUNK)


def men0(runs: int) -> np.ndarray:
    return war.initial_men(SCENARIO, runs)


def statistics(out: dict[str, np.ndarray], runs: int) -> dict[str, np.ndarray]:
    return wc.run_statistics(out, men0(runs), war.war_layout(SCENARIO), SCENARIO.sectors)


@functools.cache
def abm_stats() -> dict[str, np.ndarray]:
    out = war.simulate(SCENARIO, men0(ABM_RUNS), seed=0, chunk=ABM_CHUNK, fn=abm_chunk())
    return statistics(out, ABM_RUNS)


@functools.cache
def numpy_stats(runs: int = NUMPY_RUNS, row: int | None = None, factor: float = 1.0) -> dict:
    kn = wc.kernel_numbers()
    if row is not None:
        kn = kn.with_rate_factor(row, factor)
    return statistics(numpy_war.simulate(SCENARIO, men0(runs), seed=1, kn=kn), runs)


@functools.cache
def mesa_stats() -> dict[str, np.ndarray]:
    return statistics(mesa_war.simulate(SCENARIO, men0(MESA_RUNS), seed=2), MESA_RUNS)


PEERS = {"numpy": numpy_stats, "mesa": mesa_stats}


# ---------------------------------------------------------------- comparison
def z_scores(ref: dict, got: dict) -> dict[str, float]:
    """Every statistic's (peer - abm) difference of means in combined standard errors."""
    out = {}
    for key, a in ref.items():
        b = got[key]
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        out[key] = (b.mean() - a.mean()) / se
    return out


def check_informative(summary: dict[str, np.ndarray]) -> None:
    """Small standard errors, survival far from 0 and 1, wins neither never nor always."""
    assert len(summary) >= 3 + 3 * (SCENARIO.sectors - 2)  # most sectors contested
    for key, x in summary.items():
        kind = "total" if key == "wins" else key.split("/")[0]
        assert np.all(np.isfinite(x)), key
        assert x.std(ddof=1) / math.sqrt(x.size) < MAX_SE[kind], key
        if kind == "survival":  # a side's, or a sector-side's
            low = 0.05 if key.count("/") == 1 else 0.01
            assert low < x.mean() < 1.0 - low, (key, x.mean())
    weeks = SCENARIO.weeks
    contested = sum(key.startswith("wins/") for key in summary)
    assert 0.1 * weeks < summary["wins"].mean() / contested < 0.9 * weeks


# ---------------------------------------------------------------- statistical tests
@pytest.mark.parametrize("peer", list(PEERS))
def test_peer_agrees_with_abm(peer: str) -> None:
    ref, got = abm_stats(), PEERS[peer]()
    check_informative(ref)
    check_informative(got)
    assert set(got) == set(ref)
    z = z_scores(ref, got)
    bad = {k: round(v, 2) for k, v in z.items() if not abs(v) < Z_MAX}
    assert not bad, f"{peer} vs abm: {bad} off (z, peer - abm)"
    for side in ("attacker", "defender"):
        key = f"survival/{side}"
        p = stats.ks_2samp(ref[key], got[key]).pvalue
        assert p > KS_P_MIN, (peer, key, p)


@pytest.mark.parametrize(
    ("row", "caught"),
    [
        (wc.RATE_ATTACKER, ("survival/attacker",)),
        (wc.WIN, ("wins",)),
    ],
)
def test_a_wrong_peer_is_caught(row: int, caught: tuple[str, ...]) -> None:
    """Doubling the attacker's casualty rate, or its odds of winning, in the NumPy peer
    is flagged by the same statistics and thresholds."""
    ref = abm_stats()
    wrong = numpy_stats(WRONG_RUNS, row, 2.0)
    z = z_scores(ref, wrong)
    for key in caught:
        assert abs(z[key]) > Z_MAX, (key, z[key])
    if row == wc.RATE_ATTACKER:
        p = stats.ks_2samp(ref["survival/attacker"], wrong["survival/attacker"]).pvalue
        assert p < KS_P_MIN


# ---------------------------------------------------------------- exact checks
def test_numpy_engagement_is_abms_on_the_same_draws() -> None:
    """The NumPy peer's arithmetic of the kernel equals abm's ``engagement_week``."""
    rng = np.random.default_rng(3)
    k = 50
    lay = war.war_layout(war.WarScenario(sectors=k))
    strength = rng.uniform(0.0, 60.0, (2, k)).astype(np.float32)
    strength[0, :3] = 0.0  # three sectors without an attacker: not engaged
    z = rng.standard_normal((2, k)).astype(np.float32)
    u = rng.random(k).astype(np.float32)
    keep_a, keep_d, won, engaged = C.engagement_week(
        jnp.asarray(strength[0]),
        jnp.asarray(strength[1]),
        lay.conditions_jax(),
        jnp.asarray(z),
        jnp.asarray(u),
        C.kernel(),
    )
    kn = wc.kernel_numbers()
    keep, got_won = numpy_war.engagement(
        strength.T[None], numpy_war.condition_terms(lay, kn), z[None], u[None], kn
    )
    np.testing.assert_allclose(keep[0, :, 0], np.asarray(keep_a), rtol=2e-6)
    np.testing.assert_allclose(keep[0, :, 1], np.asarray(keep_d), rtol=2e-6)
    np.testing.assert_array_equal(got_won[0], np.asarray(won))
    assert not np.asarray(engaged)[:3].any() and np.all(keep[0, :3] == 1.0)
    assert 0 < np.asarray(won).sum() < k - 3


@pytest.mark.parametrize("mode", war.MODES)
def test_mesa_run_equals_the_numpy_run_with_the_same_draws(mode: str) -> None:
    """Same seed, float64: the NumPy peer's one run consumes the stream as a Mesa model."""
    scenario = war.WarScenario(divisions=60, sectors=6, months=3, mode=mode)
    start = men0(2)
    start[0, :4] = 0.2  # four dead divisions: they count nowhere
    for r, seed in enumerate((11, 12)):
        want = numpy_war.simulate(scenario, start[r : r + 1], seed, dtype=np.float64)
        model = mesa_war.WarModel(scenario, start[r], seed=seed)
        model.run_model()
        got = model.outcomes()
        np.testing.assert_allclose(got["men"], want["men"][0], rtol=1e-12)
        np.testing.assert_array_equal(got["attacker_wins"], want["attacker_wins"][0])
        assert got["attacker_wins"].sum() > 0 and (got["men"] < start[r]).any()


def test_numpy_weekly_and_monthly_modes_agree() -> None:
    """The month on the sectors' totals is the same as four division-level weeks."""
    start = men0(50)
    weekly = numpy_war.simulate(
        war.WarScenario(divisions=60, sectors=6, months=3, mode="weekly"), start, 5, dtype=float
    )
    monthly = numpy_war.simulate(SCENARIO, start, 5, dtype=np.float64)
    np.testing.assert_allclose(weekly["men"], monthly["men"], rtol=1e-10)
    np.testing.assert_array_equal(weekly["attacker_wins"], monthly["attacker_wins"])


def test_abm_side_inputs_and_chunking() -> None:
    """Shared inputs: the sizes validated, initial men a prefix whatever the run count,
    agent-steps alive divisions x weeks; abm's runs do not depend on the chunking."""
    with pytest.raises(ValueError, match="mode"):
        war.WarScenario(mode="daily")
    with pytest.raises(ValueError, match="sectors"):
        war.WarScenario(sectors=0)
    np.testing.assert_array_equal(men0(3), men0(10)[:3])
    lay = war.war_layout(SCENARIO)
    assert lay.side.shape == lay.sector.shape == (60,)
    assert lay.conditions.shape == (len(C.CONDITIONS), 6)
    assert set(np.unique(lay.sector)) <= set(range(7)) and (lay.sector == 6).any()
    start = men0(3)
    start[0, 0] = 0.1  # dead
    assert war.agent_steps(SCENARIO, start) == (3 * 60 - 1) * 12
    # 1,500 runs in chunks of 1,000 (the last one padded) = the first 1,500 of 2,000
    some = war.simulate(SCENARIO, men0(1500), seed=4, chunk=ABM_CHUNK, fn=abm_chunk())
    more = war.simulate(SCENARIO, men0(2000), seed=4, chunk=ABM_CHUNK, fn=abm_chunk())
    assert some["men"].shape == (1500, 60) and some["attacker_wins"].shape == (1500, 6)
    np.testing.assert_array_equal(some["men"], more["men"][:1500])
    np.testing.assert_array_equal(some["attacker_wins"], more["attacker_wins"][:1500])
