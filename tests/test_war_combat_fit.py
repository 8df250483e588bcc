"""The war's combat kernel fitted on CDB90 (issue 15): split, laws, ranking, data problems.

NumPy only (no simulation); a fraction of a second each.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from abm.models.interwar.frontiers import combat_fit as frontiers
from abm.models.interwar.war import combat_fit as W


@pytest.fixture(scope="module")
def engagements() -> W.WarEngagements:
    return W.load()


@pytest.fixture(scope="module")
def comparison(engagements) -> W.Comparison:
    return W.compare(engagements)


def _rows(rows: list[W.Row]) -> dict[str, W.Row]:
    return {r.name: r for r in rows}


def _close(fresh: object, stored: object, key: str = "") -> None:
    if isinstance(fresh, dict):
        assert isinstance(stored, dict) and set(fresh) == set(stored), key
        for k in fresh:
            _close(fresh[k], stored[k], f"{key}.{k}")
    elif isinstance(fresh, list):
        assert isinstance(stored, list) and len(fresh) == len(stored), key
        for i, (a, b) in enumerate(zip(fresh, stored, strict=True)):
            _close(a, b, f"{key}[{i}]")
    elif isinstance(fresh, float):
        assert stored == pytest.approx(fresh, abs=1e-4), key
    else:
        assert fresh == stored, key


def test_the_stored_kernel_is_a_fresh_fit(comparison) -> None:
    """war_combat.yaml equals the fit of the shipped data (rerun with --write if not)."""
    fit_set, east, _ = comparison.sets
    fresh = W.as_dict(comparison, W.time_step(comparison.kernel, fit_set, east))
    _close(fresh, W.stored())


def test_the_theatre_split_is_disjoint_and_counted_as_documented(engagements) -> None:
    counts = {th: int(np.sum(engagements.theatre == th)) for th in W.THEATRE_COUNTS}
    assert counts == W.THEATRE_COUNTS
    assert engagements.n == sum(W.THEATRE_COUNTS.values()) == 188
    fit_set, east, pacific = W.split(engagements)
    assert (fit_set.n, east.n, pacific.n) == (123, 28, 33)
    ids = [set(s.base.ids) for s in (fit_set, east, pacific)]
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    assert set(fit_set.theatre) == set(W.FIT_THEATRES)
    assert set(east.theatre) == {W.TEST_THEATRE}
    assert min(engagements.year) == 1939 and max(engagements.year) == 1945
    # CDB90 files the Red Army's 1945 battles in Germany and Poland under OKINAWA: the
    # rule goes by the belligerents, so they are on the Eastern Front.
    with open(frontiers.data_dir() / "CDB90-patched.csv", newline="", encoding="utf-8") as fh:
        war = {r["ISQNO"]: r["WAR"] for r in csv.DictReader(fh)}
    theatre = dict(zip(engagements.base.ids, engagements.theatre, strict=True))
    for eid in ("512", "513", "514", "515"):
        assert "OKINAWA" in war[eid] and theatre[eid] == "eastern_front"
    for eid in ("259", "260", "261", "516"):  # Nomonhan, the Winter War, Manchuria 1945
        assert theatre[eid] == "soviet_other"
    assert not {"256", "257", "258"} & set(engagements.base.ids)  # Changkufeng, 1938


def _synthetic(law: str, rng: np.random.Generator, n: int = 400) -> W.WarEngagements:
    """Engagements whose daily rates follow ``law`` (times lognormal noise, sd 0.3)."""
    a = np.exp(rng.uniform(np.log(1e3), np.log(1e6), n))
    d = a * np.exp(rng.uniform(-1.5, 1.5, n))
    days = rng.uniform(1.0, 10.0, n)
    rate_a, rate_d = {
        "square": (0.02 * d / a, 0.03 * a / d),
        "linear": (0.02 * d / W.SIZE_UNIT, 0.03 * a / W.SIZE_UNIT),
        "constant": (0.02 * np.ones(n), 0.03 * np.ones(n)),
    }[law]
    noise = np.exp(rng.normal(0.0, 0.3, (2, n)))
    base = frontiers.Engagements(
        ids=np.array([str(i) for i in range(n)]),
        attacker=a,
        defender=d,
        cas_attacker=rate_a * noise[0] * a * days,
        cas_defender=rate_d * noise[1] * d * days,
        days=days,
        prepared=np.zeros(n),
        effectiveness=np.zeros(n),
        attacker_won=np.full(n, np.nan),
    )
    return W.WarEngagements(
        base=base,
        theatre=np.full(n, "synthetic"),
        campaign=np.arange(n) % 10,
        year=np.full(n, 1944),
        posture=np.full(n, "PD"),
        extra=np.zeros((n, len(W.EXTRA))),
    )


@pytest.mark.parametrize(
    ("law", "exponents"),
    [
        ("square", ((-1.0, 1.0), (1.0, -1.0))),
        ("linear", ((0.0, 1.0), (1.0, 0.0))),
        ("constant", ((0.0, 0.0), (0.0, 0.0))),
    ],
)
def test_the_free_fit_recovers_the_law_the_data_were_made_with(law, exponents) -> None:
    """Rates ~ A^p D^q: the free-exponent fit finds the (p, q) of the generating law, and
    that law's own constrained model scores best on fresh data from it."""
    rng = np.random.default_rng(15)
    train, fresh = _synthetic(law, rng), _synthetic(law, rng)
    found = W.free_exponents(W.fit_casualties(W.FREE, train))
    np.testing.assert_allclose(found, exponents, atol=0.05)
    lpd = {
        m.name: W.fit_casualties(m, train).log_density(fresh).mean()
        for m in (W.SQUARE, W.LINEAR, W.CONSTANT)
    }
    own = {"square": W.SQUARE, "linear": W.LINEAR, "constant": W.CONSTANT}[law].name
    assert max(lpd, key=lpd.__getitem__) == own
    # The constrained laws' intercepts are the generating constants (ln 0.02, ln 0.03).
    theta = W.fit_casualties(W.SQUARE if law == "square" else W.LINEAR, train).theta
    if law != "constant":
        np.testing.assert_allclose(theta, np.log([0.02, 0.03]), atol=0.06)


def test_the_out_of_sample_ranking_is_the_documented_one(comparison) -> None:
    """docs/combat_kernel.md: on the Eastern Front the ridge kernel (its penalty chosen by
    cross-validation on the fit set alone) beats every alternative, the Lanchester laws
    and the QJM-style model by a wide margin; the constant-rate null beats both
    Lanchester laws and the QJM; the square law beats the linear law; in the Pacific the
    square law is best. Its win model beats the base rate and the force ratio."""
    cas = _rows(comparison.casualty_rows)
    kernel = cas["regression kernel, ridge"]
    others = [r for name, r in cas.items() if name != kernel.name]
    assert all(kernel.east > r.east for r in others)
    assert all(kernel.cv > r.cv for r in others)
    square, linear = cas["Lanchester square"], cas["Lanchester linear"]
    assert kernel.east > square.east + 0.9 and kernel.east > linear.east + 2.4
    assert kernel.east > cas["QJM-style"].east + 0.4
    assert cas["constant rates"].east > max(square.east, linear.east, cas["QJM-style"].east)
    assert square.east > linear.east
    assert max(cas.values(), key=lambda r: r.pacific).name == "Lanchester square"
    # Least squares with every covariate overfits: best in sample, worse out of it.
    ols = cas["regression kernel"]
    assert ols.fit == max(r.fit for r in cas.values()) and ols.east < kernel.east - 0.4
    wins = _rows(comparison.win_rows)
    win = wins["regression kernel, ridge"]
    for name in ("base rate", "force ratio (Lanchester)", "QJM power ratio"):
        assert win.east > wins[name].east and win.extra[1] < wins[name].extra[1], name
    # The data's exponents lie between the constant-rate law and the square law.
    (pa, qa), (pd, qd) = W.free_exponents(comparison.fits["free exponents"])
    assert -1.0 < pa < 0.0 < qa < 1.0 and -1.0 < qd < 0.0 < pd < 1.0


def test_the_readme_data_problems_are_handled(engagements) -> None:
    """Durations come from the dates, not the tidy duration1; the winner from the patched
    WINA; unknown CEA (-9) drops the engagement."""
    root = frontiers.data_dir()
    with open(root / "battle_durations.csv", newline="", encoding="utf-8") as fh:
        spans = {r["isqno"]: r for r in csv.DictReader(fh)}
    with open(root / "CDB90-patched.csv", newline="", encoding="utf-8") as fh:
        rows = {r["ISQNO"]: r for r in csv.DictReader(fh)}
    b = engagements.base
    differs = 0
    for i, eid in enumerate(b.ids):
        t0 = np.datetime64(spans[eid]["datetime_min"])
        t1 = np.datetime64(spans[eid]["datetime_max"])
        span = (t1 - t0) / np.timedelta64(1, "h") / 24.0
        assert b.days[i] == pytest.approx(max(span, frontiers.MIN_DAYS))
        differs += abs(float(spans[eid]["duration1"]) - b.days[i]) > 0.5
        won = {"1": 1.0, "-1": 0.0}.get(rows[eid]["WINA"], np.nan)
        assert b.attacker_won[i] == won or (np.isnan(won) and np.isnan(b.attacker_won[i]))
        assert -2 <= b.effectiveness[i] <= 2
    assert differs == 133  # the tidy duration1 would have been wrong for these (of 188)
    # The 1939-1945 engagements with CEA -9 (Targul Frumos, Tarto-Tiber, 1940) are out.
    assert not {"637", "644", "657", "658", "659", "660"} & set(b.ids)


def test_the_weekly_step_is_what_the_durations_and_rates_support(comparison) -> None:
    """Most engagements fit in a week; the force ratio moves little within one, a lot
    within a month."""
    fit_set, east, _ = comparison.sets
    t = W.time_step(comparison.kernel, fit_set, east)
    assert W.STEP_DAYS == 7.0
    assert t.within_step[0] > 0.9 and t.within_step[1] > 0.6
    assert t.median_days[0] <= 3.0 and t.median_days[1] <= 7.0
    assert abs(t.step_ratio_change) < 0.1 < 0.2 < abs(t.month_ratio_change)
    assert 0.02 < t.step_loss[0] < t.step_loss[1] < 0.2
