"""The otl baseline against its calibration targets, and the calibration's reproducibility."""

from __future__ import annotations

import yaml
from conftest import OTL

from abm.config import load_scenario
from abm.models.interwar import coverage
from abm.models.interwar.germany import calibration
from abm.models.interwar.parameters import GERMANY_CALIBRATION, SOVIET_CALIBRATION, data_text
from abm.models.interwar.soviet import calibration as soviet_calibration


def test_historical_figures_fall_inside_the_90_percent_intervals():
    sc = load_scenario(OTL)
    rows = coverage.coverage(sc.model(), sc.prior_table(), n_runs=480, seed=1, chunk_size=160)
    fitted = [r for r in rows if r["fitted"]]
    # 5 elections x 8 parties + 5 unemployment years, and the Soviet targets
    assert len(fitted) == 45 + len(soviet_calibration.TARGETS)
    outside = [r for r in fitted if not r["inside"]]
    assert outside == [], coverage.coverage_markdown(outside, 480, 1)
    # honest, not vacuous: no vote-share interval spans more than half the scale, and no
    # Soviet interval is wider than two and a half times the figure it covers
    assert max(r["width"] for r in rows if r["target"].startswith("DEU_RT")) < 0.5
    soviet = [r for r in fitted if r["target"] in soviet_calibration.TARGETS]
    assert max(r["width"] / r["historical"] for r in soviet) < 2.5


def _assert_same_priors(content: dict, file: str) -> None:
    committed = yaml.safe_load(data_text(file) or "")["priors"]
    assert set(content["priors"]) == set(committed)
    for name, prior in content["priors"].items():
        for arg, value in prior.items():
            if arg == "kind":
                assert value == committed[name]["kind"]
            else:
                assert abs(value - committed[name][arg]) <= 1e-3 + 1e-3 * abs(value), (name, arg)


def test_rerunning_the_germany_calibration_reproduces_the_committed_priors(tmp_path):
    _assert_same_priors(calibration.calibrate(write_to=tmp_path / "cal.yaml"), GERMANY_CALIBRATION)


def test_rerunning_the_soviet_calibration_reproduces_the_committed_priors(tmp_path):
    sc = load_scenario(OTL)
    content = soviet_calibration.calibrate(sc.priors, sc.calendar, write_to=tmp_path / "s.yaml")
    _assert_same_priors(content, SOVIET_CALIBRATION)
    # the skeleton reproduces the figures it was fitted to within a fifth
    for row in content["fit"]["targets"]:
        assert abs(row["skeleton"] / row["historical"] - 1) < 0.2, row


def test_calibration_uses_no_election_after_july_1932():
    ids = calibration.load_targets()
    targets = calibration.vote_targets(ids)
    assert targets.shape == (5, 8)
    assert calibration.RT_CODES and max(calibration.RT_CODES) == "1932-07"
