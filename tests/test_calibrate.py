"""The whole-model calibration: the method on a synthetic model (recovery, SBC), the
held-out split, the resumable store, the posterior file, and one small real run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml

from abm.calibrate import sbc, smc
from abm.calibrate.config import SmcSettings, load_config
from abm.calibrate.likelihood import evaluate
from abm.calibrate.space import Space
from abm.calibrate.store import CalibrationStore
from abm.engine.priors import Prior
from abm.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "calibration" / "interwar.yaml"
INTERNATIONAL = ROOT / "configs" / "calibration" / "interwar_international.yaml"
SETTINGS = SmcSettings(particles=200, replicates=8, moves=3, max_steps=30, final_moves=2)


# ------------------------------------------------------------------ the method
def test_synthetic_calibration_recovers_known_parameters() -> None:
    model = sbc.SyntheticModel.make(seed=3)
    rng = np.random.default_rng(11)
    truth = np.array([[0.8, -1.2, 0.3, 1.5]])
    run = model.simulate(truth, 1, rng)[0, 0]
    y = run + model.obs_sd * rng.standard_normal(run.shape)
    sample = sbc.calibrate_once(model, y, SETTINGS, seed=5)
    lo, hi = np.quantile(sample, [0.05, 0.95], axis=0)
    identified = [0, 1, 2]
    assert np.all(
        (lo[identified] <= truth[0, identified]) & (truth[0, identified] <= hi[identified])
    )
    # The data narrow the identified parameters well below their prior sd of 1 ...
    assert np.all(sample[:, identified].std(axis=0) < 0.6)
    # ... and leave the unidentified one at its prior.
    assert 0.75 < sample[:, 3].std() < 1.25


@pytest.mark.parametrize("global_moves", [0, 2])
def test_simulation_based_calibration_ranks_are_uniform(global_moves: int) -> None:
    """With random walks alone, and with independence moves from a fitted normal."""
    model = sbc.SyntheticModel.make()
    settings = dataclasses.replace(SETTINGS, global_moves=global_moves, inflate=1.2)
    ranks = sbc.sbc_ranks(model, 60, settings, seed=1)
    assert ranks.shape == (60, 4)
    assert np.all(sbc.rank_test(ranks, SETTINGS.particles, bins=5) > 0.001)


def test_sbc_detects_an_overconfident_method() -> None:
    """The rank test is not vacuous: a likelihood with a tenth of the noise fails it."""
    model = sbc.SyntheticModel.make()
    narrow = dataclasses.replace(model, obs_sd=model.obs_sd / 10, noise=model.noise / 10)
    rng = np.random.default_rng(2)
    ranks = []
    for i in range(80):
        truth = rng.standard_normal((1, 4))
        run = model.simulate(truth, 1, rng)[0, 0]
        y = run + model.obs_sd * rng.standard_normal(run.shape)
        sample = sbc.calibrate_once(narrow, y, dataclasses.replace(SETTINGS, seed=i), i)
        ranks.append((sample < truth).sum(axis=0))
    assert np.min(sbc.rank_test(np.array(ranks), SETTINGS.particles, bins=5)) < 0.001


def _linear_gaussian(d: int, t: int, seed: int) -> tuple[object, np.ndarray]:
    """An exact likelihood in ``d`` dimensions, the second half of which do nothing;
    and the exact posterior sds."""
    from abm.calibrate.likelihood import Fit

    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.0, (t, d)) * (rng.uniform(size=(t, d)) < 3.0 / d)
    a[:, d // 2 :] = 0.0
    sd = 0.3
    y = a @ rng.standard_normal(d) + sd * rng.standard_normal(t)

    def loglik(z: np.ndarray, points: np.ndarray) -> Fit:
        mean = z @ a.T
        per = -0.5 * np.log(2.0 * np.pi * sd**2) - 0.5 * (y - mean) ** 2 / sd**2
        return Fit(per.sum(axis=1), per, mean, np.abs(y - mean) / sd)

    exact = np.sqrt(np.diag(np.linalg.inv(np.eye(d) + a.T @ a / sd**2)))
    return loglik, exact


def test_independence_moves_keep_the_spread_in_many_dimensions() -> None:
    """Random walks alone let the particles collapse onto a few ancestors in 60
    dimensions (parameters the data do not touch keep under half their prior sd); with
    moves from a normal fitted to the particles the spread is the exact posterior's."""
    d = 60
    loglik, exact = _linear_gaussian(d, 30, 0)
    base = SmcSettings(particles=256, replicates=2, max_steps=60, final_moves=0, inflate=1.2)
    walks = smc.run(d, loglik, dataclasses.replace(base, moves=4))  # type: ignore[arg-type]
    both = smc.run(d, loglik, dataclasses.replace(base, moves=2, global_moves=2))  # type: ignore[arg-type]
    idle, used = slice(d // 2, None), slice(None, d // 2)
    assert np.median(walks.z[:, idle].std(axis=0)) < 0.6
    assert 0.75 < np.median(both.z[:, idle].std(axis=0)) < 1.25
    assert 0.8 < np.median(both.z[:, used].std(axis=0) / exact[used]) < 1.25
    assert both.done and walks.done


def test_a_move_reruns_a_particle_on_its_own_numbers_but_the_refreshed() -> None:
    """Block pseudo-marginal: the proposal keeps the particle's simulation numbers for
    all replicates but ``refresh`` fresh ones; an accepted particle carries them."""
    from abm.calibrate.likelihood import Fit

    seen: list[np.ndarray] = []

    def loglik(z: np.ndarray, points: np.ndarray) -> Fit:
        seen.append(points.copy())
        n = z.shape[0]
        return Fit(np.zeros(n), np.zeros((n, 1)), np.zeros((n, 1)), np.zeros((n, 1)))

    n, r = 8, 5
    state = smc.SmcState(
        step=0,
        beta=0.5,
        final_moves=0,
        z=np.random.default_rng(0).standard_normal((n, 2)),
        points=np.arange(n * r).reshape(n, r),
        loglik=np.zeros(n),
        per_target=np.zeros((n, 1)),
        mean=np.zeros((n, 1)),
        scale=0.5,
        offset=n * r,
        rng={},
    )
    before = state.points.copy()
    smc._move(state, np.random.default_rng(1), loglik, 0.5, 2)  # type: ignore[arg-type]
    proposed = seen[0]
    changed = (proposed != before).all(axis=0)
    assert changed.sum() == 2 and ((proposed == before).all(axis=0) == ~changed).all()
    assert set(proposed[:, changed].ravel()) == set(range(n * r, n * r + 2 * n))
    assert state.offset == n * r + 2 * n
    moved = (state.points != before).any(axis=1)
    assert ((state.points == proposed).all(axis=1) | (state.points == before).all(axis=1)).all()
    assert moved.any()


def test_likelihood_penalises_a_miss_and_keeps_missing_cells_finite() -> None:
    sims = np.array([[[1.0, np.nan], [1.2, np.nan]], [[5.0, 1933.0], [5.2, 1933.1]]])
    fit = evaluate(sims, np.array([1.1, 1933.05]), np.array([0.1, 0.25]), np.array([False, True]))
    assert fit.per_target[0, 0] > fit.per_target[1, 0]
    assert np.isfinite(fit.loglik).all()
    assert fit.implausibility[1, 0] > 3 > fit.implausibility[0, 0]


def test_space_maps_the_engine_priors_both_ways() -> None:
    space = Space.build(
        ["u", "n", "b", "l"],
        [
            Prior("uniform", {"low": 0.0, "high": 2.0}),
            Prior("normal", {"mean": 1.0, "sd": 0.5}),
            Prior("beta", {"a": 2.0, "b": 3.0}),
            Prior("lognormal", {"mu": 0.0, "sigma": 0.5}),
        ],
        [(0.0, 2.0), (-10.0, 10.0), (0.0, 4.0), (0.0, 100.0)],
    )
    z = np.random.default_rng(0).standard_normal((1000, 4))
    theta = space.to_theta(z)
    np.testing.assert_allclose(space.to_z(theta), z, atol=1e-9)
    assert abs(theta[:, 0].mean() - 1.0) < 0.06 and abs(theta[:, 2].mean() - 1.6) < 0.05
    with pytest.raises(ValueError, match="fixed"):
        Space.build(["x"], [Prior.fixed(1.0)], [(0.0, 2.0)])


# ------------------------------------------------------------------ resumable store
def _synthetic_run(tmp: Path, crash_at: int | None) -> smc.SmcState:
    model = sbc.SyntheticModel.make()
    y = model.simulate(np.zeros((1, 4)), 1, np.random.default_rng(0))[0, 0]
    event = np.zeros(len(y), bool)

    def loglik(z: np.ndarray, points: np.ndarray) -> object:
        return evaluate(model.simulate_numbered(z, points, 7), y, model.obs_sd, event)

    store = CalibrationStore(tmp, "synthetic")
    resume = store.open(overwrite=False)
    settings = SmcSettings(particles=64, replicates=4, moves=2, max_steps=30, final_moves=1)

    def checkpoint(state: smc.SmcState) -> None:
        store.save(state)
        if crash_at is not None and state.step == crash_at:
            raise KeyboardInterrupt

    return smc.run(4, loglik, settings, checkpoint=checkpoint, resume=resume)  # type: ignore[arg-type]


def test_a_stopped_calibration_resumes_to_the_same_result(tmp_path: Path) -> None:
    whole = _synthetic_run(tmp_path / "a", None)
    with pytest.raises(KeyboardInterrupt):
        _synthetic_run(tmp_path / "b", 2)
    assert CalibrationStore(tmp_path / "b", "synthetic").load().step == 2  # type: ignore[union-attr]
    resumed = _synthetic_run(tmp_path / "b", None)
    assert whole.step == resumed.step > 2
    np.testing.assert_array_equal(whole.z, resumed.z)
    np.testing.assert_array_equal(whole.loglik, resumed.loglik)


def test_store_refuses_another_calibration_and_a_damaged_state(tmp_path: Path) -> None:
    _synthetic_run(tmp_path / "s", None)
    with pytest.raises(InputError, match="another calibration"):
        CalibrationStore(tmp_path / "s", "something else").open(overwrite=False)
    state = tmp_path / "s" / "state.npz"
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"damaged|SHA-256"):
        CalibrationStore(tmp_path / "s", "synthetic").load()
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="did not write"):
        CalibrationStore(tmp_path / "foreign", "synthetic").open(overwrite=True)
    assert (tmp_path / "foreign" / "notes.txt").read_text() == "mine"


# ------------------------------------------------------------------ the split
def test_no_held_out_row_enters_the_calibration() -> None:
    from abm.calibrate.run import problem

    prob = problem(CONFIG)
    held = set(load_config(CONFIG).held_out)
    assert held, "the config holds some rows out"
    seen = {t.id for t in prob.seen}
    assert not seen & held
    assert {t.id for t in prob.targets} >= held
    # What decides the calibration (its store identity) names no held-out row either.
    identity = prob.identity()
    assert not [h for h in held if f'"{h}"' in identity]
    # The dated events are fitted.
    assert {"EV_hitler_chancellor", "EV_stalin_personal_rule", "EV_shanghai_massacre"} <= seen
    # Every parameter with a prior is in play, on the catalogue file's own prior.
    assert prob.space.d >= 130
    assert all(p.kind != "fixed" for p in prob.space.priors)


def test_the_international_split_and_its_dated_events() -> None:
    """``interwar_international`` keeps the interwar model's split, holds out one side of
    each paired figure of the international slices, fits no category, and gives every
    dated event a discrepancy in years whichever slice's group reports it."""
    from abm.calibrate.run import make_loglik, problem

    prob = problem(INTERNATIONAL)
    held = set(load_config(INTERNATIONAL).held_out)
    assert set(load_config(CONFIG).held_out) <= held
    seen = {t.id for t in prob.seen}
    assert not seen & held
    assert not [t for t in prob.seen if t.public.kind == "category"]
    assert {"FIN_winter_war_dead", "CHN_JPN_1937_deaths_japan", "EV_munich"} <= held
    assert {"SUN_winter_war_dead", "EV_MRP", "EV_mukden", "ESP_CW_end"} <= seen
    dates = [t for t in prob.seen if t.public.kind == "event_date"]
    assert {t.public.group for t in dates} >= {"china", "spain", "frontiers", "diplomacy"}
    for t in dates:
        assert 0.2 < t.sd < 0.5, (t.id, t.sd)
    assert prob.space.d > 300
    # A date is never compared on the log scale, even in a log-scale group: a run whose
    # Mukden falls on the day scores the date's own kernel height.
    j = next(i for i, t in enumerate(prob.seen) if t.id == "EV_mukden")
    y = np.array([t.public.historical for t in prob.seen])

    def fake(theta: np.ndarray, points: np.ndarray, seed: int) -> np.ndarray:
        return np.broadcast_to(y, (theta.shape[0], points.shape[1], y.size)).copy()

    fit = make_loglik(prob, fake)(np.zeros((1, prob.space.d)), np.zeros((1, 4), np.int64))
    sd = prob.seen[j].sd
    assert fit.per_target[0, j] == pytest.approx(-0.5 * np.log(2 * np.pi) - np.log(sd))


def test_a_held_out_id_that_is_no_target_is_refused(tmp_path: Path) -> None:
    from abm.calibrate.targets import model_targets

    raw = yaml.safe_load(CONFIG.read_text())
    raw["held_out"] = ["DEU_RT_1924D_KPD", "NO_SUCH_TARGET"]
    raw["scenario"] = str(ROOT / "configs" / "scenarios" / "otl.yaml")
    bad = tmp_path / "cal.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError, match="NO_SUCH_TARGET"):
        model_targets("interwar", load_config(bad))


@pytest.mark.parametrize("model", ["interwar", "interwar_international"])
def test_committed_targets_file_matches_the_slices(model: str) -> None:
    """``configs/calibration/<model>_targets.csv`` is what the slices declare (rewrite it
    with ``abm.calibrate.targets.write_targets_file(model)``)."""
    from abm.analysis.targets import read_targets
    from abm.calibrate.targets import model_targets, targets_file

    path = targets_file(model)
    assert path is not None and path.is_file()
    assert read_targets(path) == [t.public for t in model_targets(model)]


def test_default_targets_need_no_jax() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from abm.calibrate.targets import default_targets\n"
        "assert len(default_targets('interwar')) > 80\n"
        "assert not [m for m in sys.modules if m == 'jax' or m.startswith('jax.')]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]


# ------------------------------------------------------------------ the report
def _validation(crps: list[float], inside: list[bool], p_hist: float | None = None) -> object:
    import math

    import pandas as pd

    from abm.analysis.validation import Validation, per_group

    rows = []
    if p_hist is not None:  # one category target (an alignment), scored by Brier
        nan = math.nan
        rows.append(
            {
                **dict.fromkeys(("q05", "q25", "q50", "q75", "q95", "interval_score"), nan),
                **dict.fromkeys(("is_rel", "crps", "crps_rel", "pit", "rel_width90"), nan),
                "target": "ALIGN",
                "group": "alignment",
                "split": "calibration",
                "kind": "category",
                "historical": 1.0,
                "n": 100,
                "inside50": True,
                "inside90": True,
                "p_hist": p_hist,
                "brier": (1.0 - p_hist) ** 2,
                "log_score": -math.log(p_hist),
                "modal": float(p_hist > 0.5),
            }
        )
    for i, (c, ok) in enumerate(zip(crps, inside, strict=True)):
        rows.append(
            {
                "target": f"T{i}",
                "group": "g" if i < 2 else "h",
                "split": "calibration" if i % 2 == 0 else "held_out",
                "kind": "quantity",
                "historical": 10.0,
                "n": 100,
                "q05": 9.0,
                "q25": 9.5,
                "q50": 10.0,
                "q75": 10.5,
                "q95": 11.0,
                "inside50": ok,
                "inside90": ok,
                "interval_score": 2.0,
                "is_rel": 0.2,
                "crps": c,
                "crps_rel": c / 10.0,
                "pit": 0.5,
                "rel_width90": 0.2,
            }
        )
    df = pd.DataFrame(rows)
    return Validation(df, per_group(df), df.set_index("target")["pit"])


def test_report_compares_the_ensembles_per_split() -> None:
    from abm.calibrate import report

    prior = _validation([2.0, 4.0, 1.0, 8.0], [True, True, False, True])
    post = _validation([1.0, 1.0, 1.0, 2.0], [True, False, True, True])
    assert report.crps_ratio(prior, post, "calibration") == pytest.approx((0.5 + 1.0) / 2)
    assert report.crps_ratio(prior, post, "held_out") == pytest.approx((0.25 + 0.25) / 2)
    table = report.group_comparison(prior, post)
    row = table[(table["group"] == "all") & (table["split"] == "all")].iloc[0]
    assert row["coverage90 prior"] == 0.75 and row["coverage90 calibrated"] == 0.75
    text = report.markdown(
        prior, post, runs=10, seed=0, command="abm calibrate", posterior_meta={"history": []}
    )  # type: ignore[arg-type]
    assert "0.750 in sample, 0.250 out of sample" in text
    # Category targets: their Brier score and hits beside the ensembles' (no interval).
    prior = _validation([2.0, 4.0, 1.0, 8.0], [True, True, False, True], p_hist=0.4)
    post = _validation([1.0, 1.0, 1.0, 2.0], [True, False, True, True], p_hist=0.8)
    table = report.group_comparison(prior, post)
    row = table[(table["group"] == "alignment") & (table["split"] == "all")].iloc[0]
    assert row["brier prior"] == pytest.approx(0.36) and row["brier calibrated"] == pytest.approx(
        0.04
    )
    assert row["modal_hits prior"] == 0 and row["modal_hits calibrated"] == 1
    text = report.markdown(
        prior, post, runs=10, seed=0, command="c", posterior_meta={"history": []}, scenario="x_y"
    )  # type: ignore[arg-type]
    assert "the `x_y` scenario" in text and "brier calibrated" in text


class _NormalJump:
    """An independence proposal N(mu, s) for the first two scores (a synthetic jump)."""

    cols = np.array([0, 1])

    def __init__(self, mu: float, s: float) -> None:
        self.mu, self.s = mu, s

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.mu + self.s * rng.standard_normal((n, 2))

    def log_ratio(self, z_now: np.ndarray, z_new: np.ndarray) -> np.ndarray:
        def lp_over_q(z: np.ndarray) -> np.ndarray:
            return (-0.5 * z**2 + 0.5 * ((z - self.mu) / self.s) ** 2).sum(axis=1)

        return lp_over_q(z_new) - lp_over_q(z_now)


def test_an_independence_jump_keeps_the_posterior() -> None:
    """SBC stays uniform with mode-jumping moves from an off-centre proposal."""
    model = sbc.SyntheticModel.make()
    jump = _NormalJump(0.8, 0.5)
    rng = np.random.default_rng(4)
    event = np.zeros(model.a.shape[0], bool)
    ranks = []
    for i in range(60):
        truth = rng.standard_normal((1, 4))
        run = model.simulate(truth, 1, rng)[0, 0]
        y = run + model.obs_sd * rng.standard_normal(run.shape)

        def loglik(z: np.ndarray, points: np.ndarray, i: int = i, y: np.ndarray = y) -> object:
            runs = model.simulate_numbered(z, points, i)
            return evaluate(runs, y, model.obs_sd, event)

        state = smc.run(4, loglik, dataclasses.replace(SETTINGS, seed=i), jump=jump)  # type: ignore[arg-type]
        steps = [h for h in state.history if "acceptance" in h and "step" in h]
        assert all(len(h["acceptance"]) == SETTINGS.moves + 1 for h in steps)
        ranks.append((state.z < truth).sum(axis=0))
    assert np.all(sbc.rank_test(np.array(ranks), SETTINGS.particles, bins=5) > 0.001)


def test_scenario_jump_proposes_the_skeleton_block() -> None:
    from abm.calibrate.run import ScenarioJump, problem

    prob = problem(CONFIG)
    jump = ScenarioJump(prob)
    assert len(jump.cols) >= 40  # the skeleton-fitted parameters
    z_new = jump.draw(np.random.default_rng(0), 64)
    z_now = np.random.default_rng(1).standard_normal((64, len(jump.cols)))
    ratio = jump.log_ratio(z_now, z_new)
    assert ratio.shape == (64,) and np.isfinite(ratio).all()
    # A Metropolis ratio: moving back is the inverse move.
    np.testing.assert_allclose(jump.log_ratio(z_new, z_now), -ratio, rtol=1e-9)
    # Proposals come from the skeleton's (truncated) normals, not the wide priors.
    theta = jump.block.to_theta(jump.draw(np.random.default_rng(2), 2000))
    assert np.all(theta.std(axis=0) <= 1.1 * jump.sd)


# ------------------------------------------------------------------ the pooled likelihood
def test_the_pooled_likelihood_does_not_reward_an_erratic_vector() -> None:
    """Two vectors whose runs miss history by the same mean, one three times as spread:
    the synthetic likelihood prefers the erratic one (its own variance discounts the
    miss); with a pooled chance variance both score the same, and a vector nearer
    history still wins."""
    from abm.calibrate.likelihood import evaluate, pooled_chance_variance

    rng = np.random.default_rng(0)
    noise = rng.standard_normal(16)
    noise = (noise - noise.mean()) / noise.std(ddof=1)
    y, sd, event = np.array([0.0]), np.array([0.1]), np.array([False])
    calm, erratic, near = 2.0 + 0.5 * noise, 2.0 + 1.5 * noise, 1.0 + 0.5 * noise
    sims = np.stack([calm, erratic, near])[:, :, None]  # [N=3, R=16, T=1]
    own = evaluate(sims, y, sd, event).loglik
    assert own[1] > own[0] + 1.0
    chance = pooled_chance_variance(sims)
    assert chance[0] == pytest.approx(0.25)  # the median of 0.25, 2.25, 0.25
    pooled = evaluate(sims, y, sd, event, chance).loglik
    assert pooled[1] == pytest.approx(pooled[0]) and pooled[2] > pooled[0] + 1.0
    # A target no pilot vector ran twice pools to no chance at all.
    assert pooled_chance_variance(np.full((2, 3, 1), np.nan))[0] == 0.0


def test_the_pooled_likelihood_calibrates_the_synthetic_model() -> None:
    """The same recovery as the synthetic likelihood's (its spread grows mildly with
    |theta|, so pooling is an approximation there)."""
    model = sbc.SyntheticModel.make(seed=3)
    rng = np.random.default_rng(11)
    truth = np.array([[0.8, -1.2, 0.3, 1.5]])
    run = model.simulate(truth, 1, rng)[0, 0]
    y = run + model.obs_sd * rng.standard_normal(run.shape)
    sample = sbc.calibrate_once(model, y, SETTINGS, seed=5, likelihood="pooled")
    lo, hi = np.quantile(sample, [0.05, 0.95], axis=0)
    assert np.all((lo[:3] <= truth[0, :3]) & (truth[0, :3] <= hi[:3]))
    assert np.all(sample[:, :3].std(axis=0) < 0.6) and 0.75 < sample[:, 3].std() < 1.25


def test_the_config_names_its_likelihood(tmp_path: Path) -> None:
    raw = yaml.safe_load(INTERNATIONAL.read_text())
    raw["scenario"] = str(ROOT / "configs" / "scenarios" / "otl_international.yaml")
    assert load_config(INTERNATIONAL).likelihood == "synthetic"  # the default
    for kind in ("pooled", "exact"):
        raw["likelihood"] = kind
        path = tmp_path / f"{kind}.yaml"
        path.write_text(yaml.safe_dump(raw))
        if kind == "pooled":
            assert load_config(path).likelihood == "pooled"
        else:
            with pytest.raises(InputError, match=r"likelihood.*'exact'.*synthetic, pooled"):
                load_config(path)


def _synthetic(prob):
    return dataclasses.replace(prob.config, likelihood="synthetic")


def test_make_loglik_pools_the_chance_variance_from_its_pilot() -> None:
    """With ``likelihood: pooled`` the calibration runs its pilot of prior draws first
    (simulation numbers apart from the SMC's) and scores every vector on that variance."""
    from abm.calibrate.likelihood import PILOT
    from abm.calibrate.run import make_loglik, problem

    prob = problem(CONFIG)
    prob = dataclasses.replace(prob, config=dataclasses.replace(prob.config, likelihood="pooled"))
    y = np.array([t.public.historical for t in prob.seen], np.float64)
    calls: list[np.ndarray] = []

    def fake(theta: np.ndarray, points: np.ndarray, seed: int) -> np.ndarray:
        calls.append(points)
        # Every run 10 % above history (in logs); the spread grows with the first
        # parameter, symmetric in logs, so the log mean stays put.
        spread = 0.05 * (1.0 + np.abs(theta[:, :1, None]))
        eps = np.linspace(-1.0, 1.0, points.shape[1])[None, :, None]
        return np.abs(y) * 1.1 * np.exp(spread * eps)

    loglik = make_loglik(prob, fake)
    assert calls[0].shape == (PILOT, prob.config.smc.replicates)
    assert calls[0].min() >= 2**31 - PILOT * prob.config.smc.replicates
    z = np.zeros((2, prob.space.d))
    z[1, 0] = 3.0  # a far more erratic vector, the same mean
    fit = loglik(z, np.arange(2 * 4).reshape(2, 4))
    logged = np.array(
        [
            t.public.kind != "event_date" and t.public.group in prob.config.log_scale
            for t in prob.seen
        ]
    )
    assert logged.sum() > 30
    np.testing.assert_allclose(fit.per_target[0, logged], fit.per_target[1, logged])
    # The synthetic likelihood, on the same runs, scores the erratic vector otherwise.
    own = make_loglik(dataclasses.replace(prob, config=_synthetic(prob)), fake)
    mine = own(z, np.arange(2 * 4).reshape(2, 4))
    assert not np.allclose(mine.per_target[0, logged], mine.per_target[1, logged])


def test_simulation_based_calibration_ranks_are_uniform_with_a_pooled_variance() -> None:
    """Pooling is an approximation where the spread depends on the parameters (the
    synthetic model's does, mildly); the ranks stay uniform there."""
    ranks = sbc.sbc_ranks(sbc.SyntheticModel.make(), 60, SETTINGS, seed=1, likelihood="pooled")
    assert np.all(sbc.rank_test(ranks, SETTINGS.particles, bins=5) > 0.001)
