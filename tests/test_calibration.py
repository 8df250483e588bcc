"""The otl baseline against its calibration targets, and the calibration's reproducibility."""

from __future__ import annotations

import yaml

from abm.models.interwar.germany import calibration
from abm.models.interwar.germany.parameters import CALIBRATION_FILE, data_text


def test_historical_figures_fall_inside_the_90_percent_intervals():
    rows = calibration.coverage(n_runs=480, seed=1, chunk_size=160)
    assert len(rows) == 45  # 5 elections x 8 parties + 5 unemployment years
    outside = [r for r in rows if not r["inside"]]
    assert outside == [], calibration.coverage_markdown(outside, 480, 1)
    # honest, not vacuous: no vote-share interval spans more than half the scale
    assert max(r["width"] for r in rows if r["target"].startswith("DEU_RT")) < 0.5


def test_rerunning_the_calibration_reproduces_the_committed_priors(tmp_path):
    content = calibration.calibrate(write_to=tmp_path / "cal.yaml")
    committed = yaml.safe_load(data_text(CALIBRATION_FILE) or "")["priors"]
    assert set(content["priors"]) == set(committed)
    for name, prior in content["priors"].items():
        for arg, value in prior.items():
            if arg == "kind":
                assert value == committed[name]["kind"]
            else:
                assert abs(value - committed[name][arg]) <= 1e-3 + 1e-3 * abs(value), (name, arg)


def test_calibration_uses_no_election_after_july_1932():
    ids = calibration.load_targets()
    targets = calibration.vote_targets(ids)
    assert targets.shape == (5, 8)
    assert calibration.RT_CODES and max(calibration.RT_CODES) == "1932-07"
