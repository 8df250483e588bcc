"""The war's weekly combat step against NumPy: the kernel's rates, its residuals and wins,
the sector sums over divisions and the losses handed back (issue 15)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.models.interwar.war import combat as C
from abm.models.interwar.war import combat_fit as W


def _conditions(x: np.ndarray) -> C.Conditions:
    """Conditions from the design's condition columns (float ``[n, 10]``)."""
    return C.Conditions(*(jnp.asarray(x[:, k], jnp.float32) for k in range(x.shape[1])))


def test_the_conditions_are_the_kernels_columns() -> None:
    assert C.Conditions._fields == C.CONDITIONS == W.COLUMNS[4:]
    kern = C.kernel()
    stored = W.stored()
    assert kern.attacker == tuple(stored["attacker"]) and kern.win == tuple(stored["win"])


def test_the_week_is_the_fitted_kernel_on_the_cdb90_engagements() -> None:
    """With zero residuals each engagement's weekly survival is ``exp(-7 exp(x b))`` for
    the fit's own design at seven days, and its win chance the fitted logit."""
    w = W.load()
    x = w.design()
    x[:, 3] = math.log(W.STEP_DAYS)
    kern = C.kernel()
    want_a = np.exp(-W.STEP_DAYS * np.exp(x @ np.array(kern.attacker)))
    want_d = np.exp(-W.STEP_DAYS * np.exp(x @ np.array(kern.defender)))
    p_win = 1.0 / (1.0 + np.exp(-(x @ np.array(kern.win))))
    n = w.n
    att = jnp.asarray(w.base.attacker / 1000.0, jnp.float32)
    dfn = jnp.asarray(w.base.defender / 1000.0, jnp.float32)
    zeros = jnp.zeros((2, n), jnp.float32)
    for u, want_win in ((0.0, True), (1.0, False)):
        keep_a, keep_d, won, engaged = C.engagement_week(
            att, dfn, _conditions(x[:, 4:]), zeros, jnp.full(n, u, jnp.float32), kern
        )
        assert bool(engaged.all())
        np.testing.assert_allclose(np.asarray(keep_a), want_a, rtol=2e-5)
        np.testing.assert_allclose(np.asarray(keep_d), want_d, rtol=2e-5)
        assert bool(won.all()) is want_win
    # A uniform below the logit wins, above it loses.
    u = jnp.asarray(np.clip(p_win - 1e-3, 0, 1), jnp.float32)
    _, _, won, _ = C.engagement_week(att, dfn, _conditions(x[:, 4:]), zeros, u, kern)
    assert bool(won.all())


def test_the_residuals_and_the_wins_have_the_fitted_spread() -> None:
    """Over many draws of one engagement: the ln rates' sds and correlation are the
    fit's, and the attacker wins as often as the logit says."""
    n = 40_000
    kern = C.kernel()
    k1, k2 = jax.random.split(jax.random.key(3))
    noise = jax.random.normal(k1, (2, n), jnp.float32)
    u = jax.random.uniform(k2, (n,), jnp.float32)
    cond = C.Conditions(*(jnp.zeros(n, jnp.float32) for _ in C.CONDITIONS))
    att, dfn = jnp.full(n, 30.0, jnp.float32), jnp.full(n, 10.0, jnp.float32)
    keep_a, keep_d, won, _ = C.engagement_week(att, dfn, cond, noise, u, kern)
    ln_a = np.log(-np.log(np.asarray(keep_a, np.float64)) / W.STEP_DAYS)
    ln_d = np.log(-np.log(np.asarray(keep_d, np.float64)) / W.STEP_DAYS)
    assert np.std(ln_a) == pytest.approx(kern.residual_sd[0], rel=0.02)
    assert np.std(ln_d) == pytest.approx(kern.residual_sd[1], rel=0.02)
    assert np.corrcoef(ln_a, ln_d)[0, 1] == pytest.approx(kern.residual_corr, abs=0.02)
    x = np.array([1.0, math.log(3.0), 0.5 * math.log(300.0) + math.log(0.1), math.log(7.0)])
    p = 1.0 / (1.0 + math.exp(-(x @ np.array(kern.win[:4]))))
    assert float(np.mean(np.asarray(won))) == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n))


def test_a_stronger_attacker_loses_a_smaller_share_and_kills_a_larger_one() -> None:
    kern = C.kernel()
    cond = C.Conditions(*(jnp.zeros(3, jnp.float32) for _ in C.CONDITIONS))
    att = jnp.asarray([10.0, 30.0, 90.0], jnp.float32)
    dfn = jnp.full(3, 10.0, jnp.float32)
    keep_a, keep_d, _, _ = C.engagement_week(
        att, dfn, cond, jnp.zeros((2, 3), jnp.float32), jnp.zeros(3), kern
    )
    assert np.all(np.diff(np.asarray(keep_a)) > 0) and np.all(np.diff(np.asarray(keep_d)) < 0)


def _divisions(rng: np.random.Generator, u: int, k: int) -> tuple[np.ndarray, ...]:
    men = rng.uniform(2.0, 18.0, u).astype(np.float32)
    side = rng.integers(0, 2, u).astype(np.int32)
    sector = rng.integers(0, k + 1, u).astype(np.int32)  # k: in reserve
    alive = rng.uniform(size=u) > 0.1
    return men, side, sector, alive


def test_sector_sums_and_losses_match_a_loop_over_divisions() -> None:
    """The segment sums and the gather back equal a plain loop (1,500 divisions, 50
    sectors; dead divisions and the reserve count nowhere and lose nothing)."""
    rng = np.random.default_rng(15)
    u, k = 1500, 50
    men, side, sector, alive = _divisions(rng, u, k)
    got = np.asarray(C.sector_strengths(*map(jnp.asarray, (men, side, sector, alive)), k))
    want = np.zeros((2, k))
    for i in range(u):
        if alive[i] and sector[i] < k:
            want[side[i], sector[i]] += men[i]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    survival = rng.uniform(0.8, 1.0, (2, k)).astype(np.float32)
    after = np.asarray(C.apply_losses(*map(jnp.asarray, (men, side, sector, survival))))
    for i in range(u):
        share = 1.0 if sector[i] == k else survival[side[i], sector[i]]
        assert after[i] == pytest.approx(men[i] * share, rel=1e-6)
    # A sector with one side only is not engaged: nobody loses, nobody wins.
    att = jnp.asarray([5.0, 0.0], jnp.float32)
    dfn = jnp.asarray([0.0, 5.0], jnp.float32)
    cond = C.Conditions(*(jnp.zeros(2, jnp.float32) for _ in C.CONDITIONS))
    keep_a, keep_d, won, engaged = C.engagement_week(
        att, dfn, cond, jnp.ones((2, 2), jnp.float32), jnp.zeros(2), C.kernel()
    )
    assert not bool(engaged.any()) and not bool(won.any())
    assert np.all(np.asarray(keep_a) == 1.0) and np.all(np.asarray(keep_d) == 1.0)


def test_a_month_on_the_sector_totals_equals_four_weeks_of_divisions() -> None:
    """combat_month (weeks on [2, K] totals, divisions touched once) gives the men, wins
    and engagements of four rounds of division-level weeks, to float32 rounding."""
    rng = np.random.default_rng(7)
    u, k, weeks = 1500, 50, 4
    men, side, sector, alive = map(jnp.asarray, _divisions(rng, u, k))
    cond = C.Conditions(*(jnp.asarray(rng.uniform(-1, 1, k), jnp.float32) for _ in C.CONDITIONS))
    noise = jnp.asarray(rng.normal(size=(weeks, 2, k)), jnp.float32)
    draws = jnp.asarray(rng.uniform(size=(weeks, k)), jnp.float32)
    kern = C.kernel()
    got_men, got_won, got_engaged = C.combat_month(
        men, side, sector, alive, cond, noise, draws, kern
    )
    now = men
    for w in range(weeks):
        s = C.sector_strengths(now, side, sector, alive, k)
        keep_a, keep_d, won, engaged = C.engagement_week(s[0], s[1], cond, noise[w], draws[w], kern)
        now = C.apply_losses(now, side, sector, jnp.stack([keep_a, keep_d]))
        np.testing.assert_array_equal(np.asarray(got_won[w]), np.asarray(won))
        np.testing.assert_array_equal(np.asarray(got_engaged[w]), np.asarray(engaged))
    np.testing.assert_allclose(np.asarray(got_men), np.asarray(now), rtol=1e-5)
    # Losses happened in the line, never in the reserve.
    lost = np.asarray(got_men) < np.asarray(men)
    assert lost.any() and not (lost & (np.asarray(sector) == k)).any()
