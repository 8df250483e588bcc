"""The Soviet levers move their outcomes the way the model says they do (small runs).

Each test pairs two versions of a scenario with common random numbers and checks the
sign of the paired difference's 95 % interval.
"""

from __future__ import annotations

import pytest
from conftest import OTL, TROTSKY

from abm.api import compare
from abm.config import load_scenario

RUNS = 256


def _rows(a=OTL, b=OTL, overrides_b=(), overrides_a=(), stance=None):
    cmp = compare(
        a,
        b,
        runs=RUNS,
        seed=3,
        chunk_size=128,
        overrides_a=overrides_a,
        overrides_b=overrides_b,
        stance=stance,
    )
    return {(r["outcome"], r["cell"]): r for r in cmp.table}


def test_famine_deaths_rise_with_collectivisation_pace():
    rows = _rows(overrides_a=["collectivisation_pace=0.4"], overrides_b=["collectivisation_pace=1"])
    row = rows[("famine_deaths_mean", "total")]
    assert row["lo"] > 0, row


def test_famine_deaths_fall_with_competence():
    rows = _rows(overrides_b=["collectivisation_competence=0.9"])
    for cell in ("total", "ukraine"):
        row = rows[("famine_deaths_mean", cell)]
        assert row["hi"] < 0, row


def test_untargeted_collectivisation_still_brings_famine_with_fewer_deaths():
    rows = _rows(overrides_b=["targeted_extraction=0"])
    ukraine = rows[("famine_deaths_mean", "ukraine")]
    assert ukraine["hi"] < 0, ukraine
    kazakhstan = rows[("famine_deaths_mean", "kazakhstan")]
    assert kazakhstan["hi"] < 0, kazakhstan
    assert rows[("famine_deaths_mean", "total")]["b"] > 0.5  # million: still a famine


def test_no_purge_means_no_purge_executions_and_a_better_army():
    rows = _rows(overrides_a=["purge_severity=1"], overrides_b=["purge_severity=0"])
    assert rows[("terror_executions_mean", "")]["b"] == 0.0
    assert rows[("officers_purged_mean", "")]["b"] == 0.0
    assert rows[("terror_executions_mean", "")]["a"] > 1e5
    quality = rows[("red_army_quality_1941_mean", "")]
    assert quality["lo"] > 0, quality


def test_stalins_comintern_line_lowers_the_united_front_against_trotskys():
    stalin_line = load_scenario(OTL).levers["comintern_united_front_line.stalin"]
    trotsky_line = load_scenario(TROTSKY).levers["comintern_united_front_line.trotsky"]
    assert stalin_line < trotsky_line
    rows = _rows(TROTSKY, TROTSKY, overrides_b=[f"comintern_united_front_line={stalin_line}"])
    row = rows[("united_front_prob", "")]
    assert row["hi"] < 0, row


@pytest.mark.parametrize(
    "outcome",
    [
        ("famine_deaths_mean", "total"),
        ("terror_executions_mean", ""),
        ("united_front_prob", ""),
    ],
)
def test_the_skeptic_stance_moves_trotsky_less_than_the_optimistic(outcome):
    optimistic = _rows(OTL, TROTSKY, stance="optimistic")[outcome]
    skeptic = _rows(OTL, TROTSKY, stance="skeptic")[outcome]
    assert abs(skeptic["diff"]) < abs(optimistic["diff"]), (skeptic, optimistic)
    # Not within each other's noise: the intervals of the two effects do not overlap.
    assert skeptic["hi"] < optimistic["lo"] or skeptic["lo"] > optimistic["hi"]
