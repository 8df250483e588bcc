"""``abm validate``: proper scores of a cube against historical targets (no model run).

The cubes are built from synthetic integer tallies with :func:`abm.cube.build_cube`, so
nothing is compiled or simulated.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from abm.analysis import ValidationTarget, pit_histogram, read_targets, validate, write_targets
from abm.analysis.scores import Mixture, interval_score
from abm.analysis.validation import calendar_bounds
from abm.cli import main
from abm.cube import build_cube, write_cube
from abm.errors import InputError
from abm.models.calendar import Calendar
from abm.outcomes import EventOutcome, QuantityOutcome
from abm.tallies import Accumulator

EDGES = tuple(float(e) for e in range(0, 101, 10))  # ten bins of 10 points, 0..100
SHARE = QuantityOutcome(
    "share",
    ("election", "party"),
    (("1930-09", "1932-07"), ("KPD", "NSDAP")),
    "%",
    EDGES,
    1000.0,
    "vote share",
)
FAMINE = QuantityOutcome("famine", (), (), "M", (0.0, 2.0, 4.0, 6.0, 8.0), 1000.0, "deaths")
APPOINT = EventOutcome("appointed", "the leader is appointed")
SPECS = (SHARE, FAMINE, APPOINT)
CAL = Calendar(1930, 1, 36)  # 1930-01 .. 1932-12


def _hist(bins: list[int], counts: list[int], n_bins: int) -> np.ndarray:
    out = np.zeros(n_bins, np.int64)
    out[bins] = counts
    return out


def _acc(n_points: int = 1, shift: int = 0) -> Accumulator:
    """Tallies of 100 runs a point: shares in bins 3-4 (30-50 %), famine in bin 1 (2-4 M)."""
    n = 100
    share_hist = np.zeros((n_points, 2, 2, SHARE.n_bins), np.int64)
    share_hist[..., :] = _hist([3 + shift, 4 + shift], [60, 40], SHARE.n_bins)
    fam = np.tile(_hist([1], [n], FAMINE.n_bins), (n_points, 1))
    month = np.zeros((n_points, CAL.n_months + 1), np.int64)
    month[:, 12] = 30  # 30 runs in January 1931
    month[:, 30] = 50  # 50 runs in July 1932
    month[:, -1] = 20  # 20 runs never
    tallies = {
        "n_runs": np.full(n_points, n, np.int64),
        "share/n": np.full((n_points, 2, 2), n, np.int64),
        "share/sum_hi": np.zeros((n_points, 2, 2), np.int64),
        "share/sum_lo": np.zeros((n_points, 2, 2), np.int64),
        "share/hist": share_hist,
        "famine/n": np.full(n_points, n, np.int64),
        "famine/sum_hi": np.zeros(n_points, np.int64),
        "famine/sum_lo": np.zeros(n_points, np.int64),
        "famine/hist": fam,
        "appointed/month_hist": month,
    }
    return Accumulator(tallies, n_points, n)


def _cube(n_points: int = 1, shift: int = 0) -> xr.Dataset:
    points = {"lever": np.arange(n_points, dtype=np.float64)} if n_points > 1 else None
    prov = {"model": "synthetic", "config": "calendar: {start: '1930-01', end: '1932-12'}\n"}
    return build_cube(_acc(n_points, shift), SPECS, CAL, prov, points)


def _t(target: str, x: float, **kw: object) -> ValidationTarget:
    kw.setdefault("outcome", "share")
    kw.setdefault("cell", (("election", "1932-07"), ("party", "NSDAP")))
    return ValidationTarget(target, x, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- exact scores


@pytest.mark.parametrize("x", [-3.0, 2.0, 2.5, 3.7, 5.0, 9.25])
def test_crps_of_a_uniform_is_the_closed_form(x: float) -> None:
    a, b = 2.0, 5.0
    m = Mixture.build(np.array([a]), np.array([b]), np.array([7.0]))
    if a <= x <= b:
        expected = ((x - a) ** 3 + (b - x) ** 3) / (3 * (b - a) ** 2)
    else:  # the step is 1 over the gap, then the whole uniform: (b - a) / 3
        expected = (a - x if x < a else x - b) + (b - a) / 3
    # E|X - x| - E|X - X'| / 2, with E|X - X'| = (b - a) / 3: the energy form agrees
    e_abs = ((x - a) ** 2 + (b - x) ** 2) / (2 * (b - a)) if a <= x <= b else abs(x - (a + b) / 2)
    assert m.crps(x) == pytest.approx(expected, abs=1e-9)
    assert m.crps(x) == pytest.approx(e_abs - (b - a) / 6, abs=1e-9)


@pytest.mark.parametrize(("c", "x"), [(3.0, 5.5), (3.0, 3.0), (1931.5, 1929.0)])
def test_crps_of_a_point_mass_is_the_absolute_error(c: float, x: float) -> None:
    m = Mixture.build(np.array([]), np.array([]), np.array([]), np.array([c]), np.array([4.0]))
    assert m.crps(x) == pytest.approx(abs(x - c), abs=1e-12)


def test_crps_of_a_mixture_matches_numerical_integration() -> None:
    m = Mixture.build(
        np.array([0.0, 1.0, 4.0]),
        np.array([1.0, 2.0, 6.0]),
        np.array([1, 0, 2]),
        np.array([3.0]),
        np.array([1.0]),
    )
    for x in (-1.0, 0.5, 3.0, 5.0, 8.0):
        ys = np.linspace(-2.0, 9.0, 220_001)
        f = np.array([m.cdf(float(y))[1] for y in ys[::100]])
        f = np.interp(ys, ys[::100], f)  # F is piecewise linear: a fine grid is exact enough
        numeric = np.trapezoid((f - (ys >= x)) ** 2, ys)
        assert m.crps(x) == pytest.approx(numeric, abs=2e-3)


def test_quantiles_and_pit_of_a_histogram() -> None:
    m = Mixture.histogram(np.array([0, 2, 0, 3, 1]), np.arange(6.0))
    from abm.tallies import quantiles_from_hist

    qs = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    expected = quantiles_from_hist(np.array([0, 2, 0, 3, 1]), np.arange(6.0), qs)
    np.testing.assert_allclose(m.quantile(qs), expected, atol=1e-12)
    assert m.pit(1.5, 0.7) == pytest.approx(1 / 6)
    assert m.pit(-1.0, 0.7) == 0.0 and m.pit(9.0, 0.7) == 1.0


def test_pit_on_a_point_mass_is_drawn_between_the_limits() -> None:
    m = Mixture.build(
        np.array([0.0]), np.array([1.0]), np.array([1.0]), np.array([2.0]), np.array([1.0])
    )
    assert m.cdf(2.0) == (0.5, 1.0)
    assert m.pit(2.0, 0.25) == pytest.approx(0.625)


def test_interval_score_formula() -> None:
    assert interval_score(2.0, 6.0, 4.0, 0.1) == pytest.approx(4.0)
    assert interval_score(2.0, 6.0, 1.0, 0.1) == pytest.approx(4.0 + 20.0 * 1.0)
    assert interval_score(2.0, 6.0, 9.0, 0.1) == pytest.approx(4.0 + 20.0 * 3.0)
    assert interval_score(2.0, 6.0, 9.0, 0.5) == pytest.approx(4.0 + 4.0 * 3.0)


# ---------------------------------------------------------------- a cube against targets


def test_a_cube_built_to_miss_a_target_reports_the_miss() -> None:
    # The runs' NSDAP share lies in 30-50 %; history says 90 %: far above every run.
    v = validate(_cube(), [_t("miss", 90.0), _t("hit", 40.0)])
    miss = v.per_target.set_index("target").loc["miss"]
    hit = v.per_target.set_index("target").loc["hit"]
    assert not miss["inside90"] and not miss["inside50"]
    assert miss["pit"] == 1.0
    assert miss["q05"] == pytest.approx(30 + 10 * 0.05 / 0.6) and miss["q95"] == pytest.approx(
        40 + 10 * 0.35 / 0.4
    )
    width = miss["q95"] - miss["q05"]
    assert miss["interval_score"] == pytest.approx(width + 20 * (90 - miss["q95"]))
    assert miss["interval_score"] > 10 * hit["interval_score"]
    assert miss["crps"] > 40 and miss["crps_rel"] == pytest.approx(miss["crps"] / 90)
    assert hit["inside90"] and hit["inside50"]
    assert hit["interval_score"] == pytest.approx(width)
    assert 0.0 < hit["pit"] < 1.0 and hit["pit"] == pytest.approx(0.6)
    assert hit["rel_width90"] == pytest.approx(width / 40)
    low = validate(_cube(), [_t("low", 1.0)]).per_target.iloc[0]
    assert low["pit"] == 0.0 and not low["inside90"]


def test_scale_divides_the_cube_value() -> None:
    # The cube in percent, the target a fraction: scale 100.
    row = validate(_cube(), [_t("frac", 0.4, scale=100.0)]).per_target.iloc[0]
    assert row["inside50"] and row["q50"] == pytest.approx(0.3 + 0.1 * 0.5 / 0.6)


def test_scalar_quantity_and_event_date() -> None:
    targets = [
        ValidationTarget("famine", 3.0, "famine", group="famine"),
        ValidationTarget("when", 1931 + 0.5 / 12, "appointed", group="events", kind="event_date"),
    ]
    v = validate(_cube(), targets)
    fam, when = (v.per_target.iloc[i] for i in range(2))
    assert fam["q50"] == pytest.approx(3.0) and fam["crps"] == pytest.approx(2 / 3 * 0.5 / 2)
    # 30 runs uniform over 1931, 50 over 1932, 20 never (a mass at the end of 1932-12).
    assert when["n"] == 100
    assert when["q05"] == pytest.approx(1931 + 0.05 / 0.3)
    assert when["q95"] == pytest.approx(1933.0)
    assert when["pit"] == pytest.approx(0.3 * (0.5 / 12))
    assert math.isnan(when["crps_rel"]) and math.isnan(when["rel_width90"])


def test_calendar_bounds_read_the_config() -> None:
    assert calendar_bounds(_cube()) == (1930.0, 1933.0)
    ds = _cube()
    ds.attrs["config"] = "calendar: {start: '1930-04', end: '1932-06'}\n"
    assert calendar_bounds(ds) == pytest.approx((1930.25, 1932.5))
    del ds.attrs["config"]
    assert calendar_bounds(ds) == (1930.0, 1933.0)


def test_per_group_aggregation_counts() -> None:
    targets = [
        _t("a", 40.0, group="reichstag"),
        _t("b", 90.0, group="reichstag", split="held_out"),
        _t(
            "c",
            35.0,
            group="reichstag",
            split="held_out",
            cell=(("election", "1930-09"), ("party", "KPD")),
        ),
        ValidationTarget("d", 3.0, "famine", group="famine"),
    ]
    g = validate(_cube(), targets).per_group.set_index(["group", "split"])
    assert g.loc[("reichstag", "calibration"), "count"] == 1
    assert g.loc[("reichstag", "held_out"), "count"] == 2
    assert g.loc[("reichstag", "all"), "count"] == 3
    assert g.loc[("famine", "all"), "count"] == 1
    assert g.loc[("all", "all"), "count"] == 4
    assert g.loc[("all", "held_out"), "count"] == 2
    assert g.loc[("reichstag", "held_out"), "coverage90"] == pytest.approx(0.5)
    assert g.loc[("all", "calibration"), "coverage90"] == pytest.approx(1.0)
    assert g.loc[("all", "all"), "coverage90"] == pytest.approx(0.75)
    assert "| reichstag | held_out | 2 |" in validate(_cube(), targets).to_markdown()


def test_a_sweep_needs_a_point() -> None:
    cube = _cube(n_points=3, shift=0)
    with pytest.raises(InputError, match="sweep of 3 points"):
        validate(cube, [_t("a", 40.0)])
    with pytest.raises(InputError, match=r"allowed: 0\.\.2"):
        validate(cube, [_t("a", 40.0)], point=5)
    assert validate(cube, [_t("a", 40.0)], point=1).point == 1


def test_missing_outcome_or_cell_names_the_target_and_what_the_cube_has() -> None:
    with pytest.raises(InputError, match=r"target x: the cube has no quantity 'nope'.*famine"):
        validate(_cube(), [_t("x", 1.0, outcome="nope")])
    with pytest.raises(InputError, match=r"target y: 'share' has no party='SPD'.*KPD, NSDAP"):
        validate(_cube(), [_t("y", 1.0, cell=(("election", "1932-07"), ("party", "SPD")))])
    with pytest.raises(InputError, match=r"target z: cell .*\['election', 'party'\]"):
        validate(_cube(), [_t("z", 1.0, cell=(("party", "SPD"),))])
    with pytest.raises(InputError, match=r"target w: the cube has no event 'x'.*appointed"):
        validate(_cube(), [ValidationTarget("w", 1931.0, "x", kind="event_date")])


def test_pit_histogram_draws_each_split() -> None:
    v = validate(_cube(), [_t("a", 40.0), _t("b", 90.0, split="held_out")])
    fig = pit_histogram(v)
    ax = fig.axes[0]
    assert len(ax.patches) == 20  # ten bins for each of two splits
    assert any(line.get_ydata()[0] == 1.0 for line in ax.get_lines())


# ---------------------------------------------------------------- the targets file


def test_targets_round_trip(tmp_path: Path) -> None:
    ts = [
        _t("a", 40.0, group="reichstag", source="x, y", obs_sd=0.5),
        ValidationTarget("when", 1933.04, "appointed", kind="event_date", split="held_out"),
    ]
    path = write_targets(ts, tmp_path / "t.csv")
    assert read_targets(path) == ts
    with pytest.raises(InputError, match="exists"):
        write_targets(ts, path)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("a,abc,share,,,,,,,", r"row 2, field 'historical': 'abc' .*allowed: a finite number"),
        ("a,1,share,,0,,,,,", r"row 2, field 'scale': '0' .*allowed: a finite number > 0"),
        ("a,1,share,,,,train,,,", r"row 2, field 'split': 'train' .*calibration or held_out"),
        ("a,1,share,,,,,date,,", r"row 2, field 'kind': 'date' .*quantity or event_date"),
        ("a,1,share,party,,,,,,", r"row 2, field 'cell': 'party' .*'dim=label;dim=label'"),
        ("a,1,,,,,,,,", r"row 2, field 'outcome': '' .*required"),
        ("a,1,share,,,,,,-1,", r"row 2, field 'obs_sd': '-1' .*>= 0"),
    ],
)
def test_read_targets_errors_name_file_row_field_value(
    tmp_path: Path, row: str, match: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("target,historical,outcome,cell,scale,group,split,kind,obs_sd,source\n" + row)
    with pytest.raises(InputError, match=f"targets file {path}, " + match):
        read_targets(path)


def test_read_targets_refuses_bad_headers_and_repeats(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("target,value\na,1\n")
    with pytest.raises(InputError, match="header lacks historical, outcome"):
        read_targets(path)
    path.write_text("target,historical,outcome\na,1,q\na,2,q\n")
    with pytest.raises(InputError, match=r"row 3, field 'target': 'a'"):
        read_targets(path)
    with pytest.raises(InputError, match="cannot read"):
        read_targets(tmp_path / "absent.csv")


# ---------------------------------------------------------------- the command


def test_cli_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cube = write_cube(_cube(), tmp_path / "c.zarr")
    targets = write_targets(
        [_t("hit", 40.0, group="reichstag"), _t("miss", 90.0)], tmp_path / "t.csv"
    )
    out_csv, png = tmp_path / "s.csv", tmp_path / "pit.png"
    argv = ["validate", str(cube), "--targets", str(targets), "--csv", str(out_csv)]
    assert main([*argv, "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "| reichstag | calibration | 1 |" in text and "overall: 2 targets scored" in text
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["target"] for r in rows] == ["hit", "miss"]
    assert rows[1]["inside90"] == "False" and rows[0]["inside90"] == "True"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(argv) == 2  # the CSV exists: only with --overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0


def test_cli_bad_target_and_missing_cube_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cube = write_cube(_cube(), tmp_path / "c.zarr")
    bad = write_targets([_t("wrong", 1.0, outcome="gdp")], tmp_path / "bad.csv")
    assert main(["validate", str(cube), "--targets", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "target wrong" in err and "famine, share" in err
    assert main(["validate", str(tmp_path / "absent.zarr"), "--targets", str(bad)]) == 2
    assert "absent.zarr" in capsys.readouterr().err
    assert main(["validate", str(cube)]) == 2  # model 'synthetic' has no default targets
    assert "--targets FILE" in capsys.readouterr().err


# ---------------------------------------------------------------- the HTML report


@pytest.fixture
def synthetic_targets(monkeypatch: pytest.MonkeyPatch) -> list[ValidationTarget]:
    """Default targets for the model 'synthetic' only (as the calibration package would)."""
    import abm.analysis.report.validation as section

    ts = [_t("hit", 40.0, group="reichstag"), _t("miss", 90.0, split="held_out")]
    monkeypatch.setattr(section, "model_targets", lambda m: ts if m == "synthetic" else None)
    return ts


def test_report_has_the_validation_section(
    tmp_path: Path, synthetic_targets: list[ValidationTarget]
) -> None:
    from abm.analysis import write_report

    cube = write_cube(_cube(), tmp_path / "c.zarr")
    html = write_report(cube).read_text(encoding="utf-8")
    assert '<h2 id="validation">Validation against history</h2>' in html
    section = html.split('id="validation"')[1]
    assert "2 historical targets scored" in section
    assert "<td>reichstag</td><td>calibration</td>" in section.replace("\n", "")
    assert 'alt="PIT histogram' in section and "data:image/png;base64," in section


def test_report_skips_validation_without_targets_or_for_a_sweep(
    tmp_path: Path, synthetic_targets: list[ValidationTarget]
) -> None:
    from abm.analysis import report_html

    other = _cube()
    other.attrs["model"] = "interwar_example"
    assert "Validation against history" not in report_html(other)
    assert "Validation against history" not in report_html(_cube(n_points=3))
    assert "Validation against history" in report_html(_cube())


# ---------------------------------------------------------------- category targets
SIDE = QuantityOutcome(
    "side", ("country",), (("A", "B"),), "code", (-0.5, 0.5, 1.5, 2.5, 3.5), 1.0, "side taken"
)


def _side_cube() -> xr.Dataset:
    """100 runs: country A takes side 0/1/2/3 in 10/60/20/10 runs, country B all side 2."""
    hist = np.array([[[10, 60, 20, 10], [0, 0, 100, 0]]], np.int64)
    tallies = {
        "n_runs": np.full(1, 100, np.int64),
        "side/n": np.full((1, 2), 100, np.int64),
        "side/sum_hi": np.zeros((1, 2), np.int64),
        "side/sum_lo": np.zeros((1, 2), np.int64),
        "side/hist": hist,
    }
    return build_cube(Accumulator(tallies, 1, 100), (SIDE,), CAL, {"model": "synthetic"})


def _side(target: str, code: float, country: str = "A") -> ValidationTarget:
    return ValidationTarget(
        target, code, "side", cell=(("country", country),), group="alignment", kind="category"
    )


def test_a_category_target_scores_the_probability_brier_and_prediction_sets() -> None:
    """Side 1 (60 runs): modal, in the 50 % set; Brier (0.1^2 + 0.4^2 + 0.2^2 + 0.1^2).
    Side 3 (10 runs, tied with side 0 and after it): outside the 90 % set {1, 2, 0}.
    Country B never took side 0: the log score is floored at half a run."""
    v = validate(_side_cube(), [_side("a1", 1), _side("a3", 3), _side("b0", 0, "B")])
    a1, a3, b0 = (v.per_target.iloc[i] for i in range(3))
    assert a1["p_hist"] == pytest.approx(0.6) and a1["modal"] == 1.0
    assert a1["inside50"] and a1["inside90"]
    assert a1["brier"] == pytest.approx(0.22)
    assert a1["log_score"] == pytest.approx(-math.log(0.6))
    assert a3["modal"] == 0.0 and not a3["inside50"] and not a3["inside90"]
    assert b0["p_hist"] == 0.0 and b0["log_score"] == pytest.approx(-math.log(0.005))
    assert math.isnan(a1["crps"]) and math.isnan(a1["q50"])
    g = v.per_group.set_index(["group", "split"]).loc[("alignment", "all")]
    assert g["count"] == 3 and g["modal_hits"] == 1.0
    assert g["brier"] == pytest.approx((0.22 + a3["brier"] + 2.0) / 3)
    assert g["coverage90"] == pytest.approx(1 / 3)


def test_a_category_code_outside_the_bins_names_the_codes() -> None:
    with pytest.raises(InputError, match=r"category code 7 is not one bin of 'side'.*0, 1, 2, 3"):
        validate(_side_cube(), [_side("bad", 7)])


def test_category_targets_round_trip_and_stay_out_of_the_likelihood(tmp_path: Path) -> None:
    from abm.calibrate.targets import Target, fitted

    t = _side("a1", 1)
    path = tmp_path / "t.csv"
    write_targets([t], path)
    assert read_targets(path) == [t]
    q = _t("q", 40.0)
    kept = fitted([Target(t, (0,), 0.0), Target(q, (1, 1), 0.0)])
    assert [k.id for k in kept] == ["q"]
