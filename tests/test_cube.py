"""Result cubes: schema, exact values from tallies, atomic Zarr storage, netCDF export."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.cube import (
    SCHEMA_VERSION,
    CubeError,
    build_cube,
    export_netcdf,
    open_cube,
    write_cube,
)
from abm.engine import (
    Accumulator,
    CategoryOutcome,
    EventOutcome,
    PriorTable,
    QuantityOutcome,
    Runner,
)
from abm.engine.reducers import empty_tallies
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany import GermanyModel

QS = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
PROV = {"seed": 7, "config_hash": "abc123", "wall_s": 1.5, "backend": "cpu"}

# ---------------------------------------------------------------- a real small run


@pytest.fixture(scope="module")
def real() -> tuple[GermanyModel, Accumulator, xr.Dataset]:
    m = GermanyModel()
    tab = PriorTable.build([p.prior for p in m.params], [(p.low, p.high) for p in m.params])
    acc = Runner(m, chunk_size=8).run(0, PriorTable.stack([tab]), 8)
    return m, acc, build_cube(acc, m.outcome_specs, m.calendar, PROV)


def test_real_cube_names_dims_and_attrs(real: tuple[GermanyModel, Accumulator, xr.Dataset]) -> None:
    m, acc, ds = real
    assert "point" not in ds.dims
    assert ds["n_runs"].dims == () and ds["n_runs"].dtype == np.int64
    assert int(ds["n_runs"]) == acc.n_runs == 8
    years = ds["year"].values
    assert years.dtype == np.int64 and list(years) == list(m.calendar.year_labels)
    assert list(ds["quantile"].values) == list(QS)
    for s in m.outcome_specs:
        n = s.name
        if isinstance(s, EventOutcome):
            for v in ("prob", "se", "count"):
                assert ds[f"{n}_{v}"].dims == ()
            assert ds[f"{n}_by_year"].dims == ("year",)
            assert ds[f"{n}_by_year_count"].dims == ("year",)
            assert ds[f"{n}_count"].dtype == np.int64
            assert ds[f"{n}_by_year_count"].dtype == np.int64
            assert f"{n}_month_hist" not in ds
        elif isinstance(s, CategoryOutcome):
            for v in ("share", "se", "count"):
                assert ds[f"{n}_{v}"].dims == (n,)
            assert list(ds[n].values) == list(s.categories)
            assert ds[f"{n}_count"].dtype == np.int64
        else:
            assert isinstance(s, QuantityOutcome)
            assert ds[f"{n}_mean"].dims == s.dims
            assert ds[f"{n}_n"].dims == s.dims and ds[f"{n}_n"].dtype == np.int64
            assert ds[f"{n}_quantiles"].dims == (*s.dims, "quantile")
            assert ds[f"{n}_hist"].dims == (*s.dims, f"{n}_bin")
            assert ds[f"{n}_hist"].attrs["bin_edges"] == list(s.edges)
            assert ds[f"{n}_sum_fixed"].dtype == np.int64
            assert ds[f"{n}_sum_fixed"].attrs["scale"] == s.scale
            assert ds[f"{n}_mean"].attrs["units"] == s.unit
    assert "1928-05" in list(ds["election"].values)
    assert all(isinstance(p, str) for p in ds["party"].values)
    for name, var in ds.data_vars.items():
        assert {"units", "long_name", "description", "kind"} <= set(var.attrs), name
        assert var.attrs["kind"] in {"event", "category", "quantity", "meta"}
    assert ds["nazi_power_prob"].attrs["units"] == "1"
    assert ds["nazi_power_prob"].attrs["description"] == m.outcome_specs[0].description
    assert ds.attrs["schema"] == "abm-cube" and ds.attrs["schema_version"] == SCHEMA_VERSION == 1
    for k, v in PROV.items():
        assert ds.attrs[k] == v


def test_real_cube_values(real: tuple[GermanyModel, Accumulator, xr.Dataset]) -> None:
    m, acc, ds = real
    n = int(ds["n_runs"])
    for s in m.outcome_specs:
        if isinstance(s, EventOutcome):
            p = ds[f"{s.name}_prob"].values
            assert 0.0 <= p <= 1.0
            assert ds[f"{s.name}_se"].values == pytest.approx(np.sqrt(p * (1 - p) / n))
            assert p == ds[f"{s.name}_count"].values / n
            never = acc.tallies[f"{s.name}/month_hist"][0, -1]
            assert ds[f"{s.name}_count"].values == n - never
            by = ds[f"{s.name}_by_year"].values
            assert np.all(np.diff(by) >= 0) and np.all((by >= 0) & (by <= 1))
            assert by[-1] == p  # the calendar ends in its last year
            assert ds[f"{s.name}_by_year_count"].values[-1] == ds[f"{s.name}_count"].values
        elif isinstance(s, CategoryOutcome):
            share = ds[f"{s.name}_share"].values
            assert share.sum() == pytest.approx(1.0)
            assert np.all((share >= 0) & (share <= 1))
    rs_n = ds["reichstag_share_n"].values
    assert np.all(rs_n <= n) and np.all(rs_n >= 0)
    for q in ("reichstag_share", "german_unemployment"):
        qn = ds[f"{q}_n"].values
        assert np.array_equal(ds[f"{q}_hist"].values.sum(-1), qn)
        empty = qn == 0
        assert np.array_equal(np.isnan(ds[f"{q}_mean"].values), empty)
        assert np.array_equal(np.isnan(ds[f"{q}_quantiles"].values).any(-1), empty)
        assert np.all(np.diff(ds[f"{q}_quantiles"].values, axis=-1)[~empty] >= 0)
    for name, var in ds.data_vars.items():
        if not (name.endswith("_mean") or name.endswith("_quantiles")):
            assert not np.isnan(np.asarray(var.values, np.float64)).any(), name


# ---------------------------------------------------------------- hand-built tallies

CAL = Calendar(1930, 7, 18)  # 1930-07 .. 1931-12
EDGES = (-1.0, 0.0, 1.0, 2.0, 3.0, 4.0)
SPECS = (
    EventOutcome("ev", "an event"),
    CategoryOutcome("cat", ("a", "b", "c"), "a category"),
    QuantityOutcome("q", ("year",), (("1930", "1931"),), "Mio", EDGES, 1e6, "a quantity by year"),
    QuantityOutcome(
        "m",
        ("election",),
        (("1930-09", "1932-07"),),
        "share",
        EDGES,
        1e3,
        "a masked quantity",
        masked=True,
    ),
)


def _add_values(t: dict[str, Any], name: str, cell: int, values: np.ndarray, scale: float) -> None:
    """Tally per-run values of one cell of one point the way the device reducer does."""
    fixed = np.round(values * scale).astype(np.int64)
    t[f"{name}/n"][0, cell] += len(values)
    t[f"{name}/sum_hi"][0, cell] += np.sum(fixed >> 16)
    t[f"{name}/sum_lo"][0, cell] += np.sum(fixed & 0xFFFF)
    b = np.clip(np.searchsorted(EDGES, values, side="right") - 1, 0, len(EDGES) - 2)
    np.add.at(t[f"{name}/hist"][0, cell], b, 1)


def _hand_acc() -> Accumulator:
    t = empty_tallies(SPECS, 1, CAL.n_months, np)
    t["n_runs"][0] = 10
    t["ev/month_hist"][0, 2] = 3  # 1930-09
    t["ev/month_hist"][0, 8] = 2  # 1931-03
    t["ev/month_hist"][0, -1] = 5  # never
    t["cat/counts"][0] = [5, 3, 2]
    _add_values(t, "q", 0, np.array([0.5, 1.25, 3.000001, -0.75, 2.5] * 2), 1e6)
    # a hand-set histogram for 1931: five runs in [0, 1), five in [2, 3)
    t["q/n"][0, 1] = 10
    t["q/hist"][0, 1] = [0, 5, 0, 5, 0]
    _add_values(t, "m", 0, np.array([0.25, 0.5, 0.125, 0.375, 0.5, 0.25, 0.0]), 1e3)
    return Accumulator(tallies=t, n_points=1, n_runs=10)


def test_hand_built_known_answers() -> None:
    ds = build_cube(_hand_acc(), SPECS, CAL, {})
    assert list(ds["year"].values) == [1930, 1931]
    assert ds["ev_prob"].item() == 0.5
    assert ds["ev_se"].item() == pytest.approx(np.sqrt(0.25 / 10))
    assert ds["ev_count"].item() == 5
    assert list(ds["ev_by_year_count"].values) == [3, 5]
    assert list(ds["ev_by_year"].values) == [0.3, 0.5]
    assert list(ds["cat_share"].values) == [0.5, 0.3, 0.2]
    assert list(ds["cat_count"].values) == [5, 3, 2]
    assert ds["cat_se"].values == pytest.approx(np.sqrt([0.25 / 10, 0.21 / 10, 0.16 / 10]))
    vals = np.array([0.5, 1.25, 3.000001, -0.75, 2.5] * 2)
    assert ds["q_mean"].sel(year=1930).item() == pytest.approx(vals.mean(), abs=1e-12)
    assert ds["q_sum_fixed"].sel(year=1930).item() == int(np.round(vals * 1e6).sum())
    assert ds["q_quantiles"].sel(year=1931).values == pytest.approx([0.1, 0.5, 1.0, 2.5, 2.9])
    assert ds["q_n"].values.tolist() == [10, 10]
    # masked: held once with 7 valid runs, never held in 1932
    assert ds["m_n"].values.tolist() == [7, 0]
    assert ds["m_mean"].sel(election="1930-09").item() == pytest.approx(2.0 / 7, abs=1e-12)
    assert np.isnan(ds["m_mean"].sel(election="1932-07").item())
    assert np.isnan(ds["m_quantiles"].sel(election="1932-07").values).all()
    assert ds["m_hist"].sel(election="1932-07").values.sum() == 0
    assert not np.isnan(ds["m_quantiles"].sel(election="1930-09").values).any()


def test_negative_fixed_point_sum_is_exact() -> None:
    t = empty_tallies(SPECS, 1, CAL.n_months, np)
    t["n_runs"][0] = 3
    _add_values(t, "q", 0, np.array([-0.999999, -0.000001, -0.5]), 1e6)
    ds = build_cube(Accumulator(tallies=t, n_points=1, n_runs=3), SPECS, CAL, {})
    assert ds["q_sum_fixed"].sel(year=1930).item() == -1500000
    assert ds["q_mean"].sel(year=1930).item() == pytest.approx(-0.5, abs=1e-15)


def _multi_acc(n_points: int) -> Accumulator:
    t = empty_tallies(SPECS, n_points, CAL.n_months, np)
    t["n_runs"][:] = 4
    t["ev/month_hist"][:, -1] = 4
    t["cat/counts"][:, 0] = 4
    return Accumulator(tallies=t, n_points=n_points, n_runs=4)


def test_point_dimension() -> None:
    ds = build_cube(_multi_acc(3), SPECS, CAL, {}, points={"alpha": np.array([0.1, 0.2, 0.3])})
    assert ds["n_runs"].dims == ("point",)
    assert ds["alpha"].dims == ("point",) and "alpha" in ds.coords
    assert ds["q_quantiles"].dims == ("point", "year", "quantile")
    assert ds["cat_share"].dims == ("point", "cat")
    assert ds["ev_by_year"].dims == ("point", "year")
    assert list(ds["point"].values) == [0, 1, 2]
    # several points without names still get a point dimension
    assert build_cube(_multi_acc(2), SPECS, CAL, {})["ev_prob"].dims == ("point",)
    # a single named point keeps its dimension
    one = build_cube(_multi_acc(1), SPECS, CAL, {}, points={"alpha": [0.5]})
    assert one.sizes["point"] == 1
    with pytest.raises(CubeError, match="alpha"):
        build_cube(_multi_acc(3), SPECS, CAL, {}, points={"alpha": [0.1, 0.2]})


def test_bad_inputs_raise() -> None:
    acc = _hand_acc()
    with pytest.raises(CubeError, match="reserved"):
        build_cube(acc, SPECS, CAL, {"schema": "x"})
    with pytest.raises(CubeError, match="seed"):
        build_cube(acc, SPECS, CAL, {"seed": [1, 2]})  # type: ignore[dict-item]
    with pytest.raises(CubeError, match="ev/month_hist"):
        build_cube(acc, SPECS, Calendar(1930, 7, 12), {})
    with pytest.raises(CubeError, match="no tally"):
        build_cube(acc, (*SPECS, EventOutcome("other", "x")), CAL, {})
    ds = build_cube(acc, SPECS, CAL, {"flag": True, "n": np.int64(3)})
    assert ds.attrs["flag"] == 1 and type(ds.attrs["n"]) is int


def test_display_metadata_attrs_survive_zarr(tmp_path: Path) -> None:
    from dataclasses import replace

    specs = (
        SPECS[0],
        replace(SPECS[1], headline=True),
        replace(SPECS[2], headline=True, dim_labels=("calendar year",)),
        SPECS[3],
    )
    ds = open_cube(write_cube(build_cube(_hand_acc(), specs, CAL, {}), tmp_path / "c.zarr"))
    assert ds.attrs["headline_outcomes"] == "cat,q"  # spec order
    for name in ("ev_prob", "ev_by_year_count", "cat_share", "q_mean", "q_hist", "m_n"):
        outcome = name.rsplit("_", 1)[0].removesuffix("_by_year")
        assert ds[name].attrs["outcome"] == outcome, name
        assert ds[name].attrs["headline"] == int(outcome in ("cat", "q")), name
        assert ds[name].attrs["kind"] in ("event", "category", "quantity"), name  # kept
    assert ds["q_quantiles"].attrs["dim_labels"] == "calendar year"
    assert ds["q_sum_fixed"].attrs["scale"] == 1e6  # kept
    assert "dim_labels" not in ds["m_mean"].attrs  # none given: readers use the dims
    assert "outcome" not in ds["n_runs"].attrs
    plain = build_cube(_hand_acc(), SPECS, CAL, {})
    assert plain.attrs["headline_outcomes"] == ""
    assert plain["q_mean"].attrs["headline"] == 0
    with pytest.raises(ValueError, match="dim_labels"):
        replace(SPECS[2], dim_labels=("a", "b"))


def test_real_model_specs_carry_their_headlines(
    real: tuple[GermanyModel, Accumulator, xr.Dataset],
) -> None:
    m, _, ds = real
    heads = [s.name for s in m.outcome_specs if s.headline]
    assert ds.attrs["headline_outcomes"] == ",".join(heads)


# ---------------------------------------------------------------- storage


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_round_trip_real(
    real: tuple[GermanyModel, Accumulator, xr.Dataset], tmp_path: Path
) -> None:
    ds = real[2]
    path = write_cube(ds, tmp_path / "sub" / "cube.zarr")
    assert path == tmp_path / "sub" / "cube.zarr" and path.is_dir()
    assert _siblings(path) == []
    lazy = open_cube(path)
    assert lazy["reichstag_share_hist"].chunks is not None
    xr.testing.assert_identical(lazy, ds)
    eager = open_cube(path, lazy=False)
    shutil.rmtree(path)  # eager means in memory: nothing is read from the store any more
    assert isinstance(eager["reichstag_share_hist"].data, np.ndarray)
    xr.testing.assert_identical(eager, ds)
    assert eager.attrs == ds.attrs
    assert eager["reichstag_share_hist"].attrs == ds["reichstag_share_hist"].attrs
    assert eager["election"].dtype == ds["election"].dtype


def test_overwrite(tmp_path: Path) -> None:
    a = build_cube(_hand_acc(), SPECS, CAL, {"tag": "a"})
    b = build_cube(_multi_acc(2), SPECS, CAL, {"tag": "b"})
    path = tmp_path / "cube.zarr"
    write_cube(a, path)
    with pytest.raises(CubeError, match="overwrite") as err:
        write_cube(b, path)
    assert str(path) in str(err.value)
    xr.testing.assert_identical(open_cube(path, lazy=False), a)
    write_cube(b, path, overwrite=True)
    xr.testing.assert_identical(open_cube(path, lazy=False), b)
    assert _siblings(path) == []
    # a cube opened lazily from the path can replace itself
    write_cube(open_cube(path), path, overwrite=True)
    xr.testing.assert_identical(open_cube(path, lazy=False), b)
    assert _siblings(path) == []


def _crashing_to_zarr(self: xr.Dataset, store: Any, *args: Any, **kwargs: Any) -> None:
    Path(store).mkdir(parents=True)
    (Path(store) / "zarr.json").write_text("{partial")
    raise RuntimeError("disk on fire")


def test_crash_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = build_cube(_hand_acc(), SPECS, CAL, {"tag": "a"})
    fresh = tmp_path / "fresh.zarr"
    old = tmp_path / "old.zarr"
    write_cube(a, old)
    monkeypatch.setattr(xr.Dataset, "to_zarr", _crashing_to_zarr)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_cube(a, fresh)
    assert not fresh.exists()
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_cube(a, old, overwrite=True)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.zarr"]
    xr.testing.assert_identical(open_cube(old, lazy=False), a)


def test_failed_swap_restores_old_cube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = build_cube(_hand_acc(), SPECS, CAL, {"tag": "a"})
    b = build_cube(_multi_acc(2), SPECS, CAL, {"tag": "b"})
    path = tmp_path / "cube.zarr"
    write_cube(a, path)
    real_rename = os.rename

    def rename(src: Any, dst: Any) -> None:
        if ".tmp-" in Path(src).name:
            raise OSError("rename failed")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="rename failed"):
        write_cube(b, path, overwrite=True)
    monkeypatch.undo()
    assert _siblings(path) == []
    xr.testing.assert_identical(open_cube(path, lazy=False), a)


def test_open_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.zarr"
    with pytest.raises(CubeError, match="does not exist") as err:
        open_cube(missing)
    assert str(missing) in str(err.value)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("hello")
    with pytest.raises(CubeError, match="is not an abm cube"):
        open_cube(junk)
    afile = tmp_path / "afile.txt"
    afile.write_text("hello")
    with pytest.raises(CubeError, match="is not an abm cube"):
        open_cube(afile)
    plain = tmp_path / "plain.zarr"
    xr.Dataset({"x": ("a", [1, 2])}).to_zarr(plain, zarr_format=3, consolidated=False)
    with pytest.raises(CubeError, match=r"is not an abm cube \(schema None"):
        open_cube(plain)
    other = build_cube(_hand_acc(), SPECS, CAL, {})
    other.attrs["schema"] = "other-cube"
    write_cube(other, tmp_path / "other.zarr")
    with pytest.raises(CubeError, match="other-cube"):
        open_cube(tmp_path / "other.zarr")
    newer = build_cube(_hand_acc(), SPECS, CAL, {})
    newer.attrs["schema_version"] = 99
    write_cube(newer, tmp_path / "newer.zarr")
    with pytest.raises(CubeError, match=r"version 99.*version 1"):
        open_cube(tmp_path / "newer.zarr")


def test_export_netcdf(real: tuple[GermanyModel, Accumulator, xr.Dataset], tmp_path: Path) -> None:
    ds = real[2]
    out = export_netcdf(ds, tmp_path / "nc" / "cube.nc")
    store = write_cube(ds, tmp_path / "cube.zarr")
    out2 = export_netcdf(store, tmp_path / "from_path.nc")
    for path in (out, out2):
        with xr.open_dataset(path, engine="h5netcdf") as nc:
            xr.testing.assert_equal(nc.load(), ds)
            assert nc.attrs["schema"] == "abm-cube" and nc.attrs["seed"] == 7
            assert list(nc["reichstag_share_hist"].attrs["bin_edges"]) == list(
                ds["reichstag_share_hist"].attrs["bin_edges"]
            )
    assert sorted(p.name for p in (tmp_path / "nc").iterdir()) == ["cube.nc"]


def test_export_netcdf_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = build_cube(_hand_acc(), SPECS, CAL, {})
    out = export_netcdf(ds, tmp_path / "cube.nc")
    before = out.read_bytes()

    def crash(self: xr.Dataset, path: Any, *args: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"partial")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", crash)
    with pytest.raises(RuntimeError):
        export_netcdf(ds, out, overwrite=True)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cube.nc"]


def test_export_of_non_cube_path_raises(tmp_path: Path) -> None:
    with pytest.raises(CubeError, match="does not exist"):
        export_netcdf(tmp_path / "nope.zarr", tmp_path / "x.nc")
    assert not (tmp_path / "x.nc").exists()


# ---------------------------------------------------------------- properties


@st.composite
def random_tallies(draw: st.DrawFn) -> tuple[Accumulator, tuple[Any, ...]]:
    n_points = draw(st.integers(1, 3))
    n_cat = draw(st.integers(2, 5))
    n_months = draw(st.integers(1, 30))
    start_month = draw(st.integers(1, 12))
    edges = tuple(
        float(e)
        for e in np.cumsum([0.0, *draw(st.lists(st.floats(0.01, 5), min_size=1, max_size=6))])
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    specs = (
        EventOutcome("ev", "e"),
        CategoryOutcome("cat", tuple(f"c{i}" for i in range(n_cat)), "c"),
        QuantityOutcome("q", ("party",), (("x", "y", "z"),), "1", edges, 1e4, "q", masked=True),
    )
    cal = Calendar(1930, start_month, n_months)
    t = empty_tallies(specs, n_points, n_months, np)
    for p in range(n_points):
        n = draw(st.integers(1, 10**9))
        t["n_runs"][p] = n
        t["ev/month_hist"][p] = rng.multinomial(n, rng.dirichlet(np.ones(n_months + 1)))
        t["cat/counts"][p] = rng.multinomial(n, rng.dirichlet(np.ones(n_cat)))
        for c in range(3):
            valid = draw(st.sampled_from([0, 1, n, int(rng.integers(0, n + 1))]))
            hist = rng.multinomial(valid, rng.dirichlet(np.full(len(edges) - 1, 0.3)))
            t["q/hist"][p, c] = hist
            t["q/n"][p, c] = valid
    return Accumulator(tallies=t, n_points=n_points, n_runs=0), (specs, cal)


@settings(max_examples=60, deadline=None)
@given(random_tallies())
def test_properties_on_random_tallies(case: tuple[Accumulator, tuple[Any, ...]]) -> None:
    acc, (specs, cal) = case
    ds = build_cube(acc, specs, cal, {})
    share = ds["cat_share"].values
    assert np.allclose(share.sum(-1), 1.0, rtol=0, atol=1e-12)
    for name in ("ev_prob", "ev_by_year", "cat_share", "ev_se", "cat_se"):
        v = ds[name].values
        assert np.all((v >= 0) & (v <= 1)), name
    by = ds["ev_by_year"].values
    assert np.all(np.diff(by, axis=-1) >= 0)
    assert np.array_equal(by[..., -1], ds["ev_prob"].values)
    quant = ds["q_quantiles"].values
    empty = ds["q_n"].values == 0
    assert np.array_equal(np.isnan(quant).all(-1), empty)
    assert not np.isnan(quant[~empty]).any()
    assert np.all(np.diff(quant[~empty], axis=-1) >= 0)
    lo, hi = specs[2].edges[0], specs[2].edges[-1]
    assert np.all((quant[~empty] >= lo) & (quant[~empty] <= hi))
