"""A grid sweep's cube opens on one dimension per lever; other designs keep ``point``.

One real 2 x 3 grid sweep (32 runs a point, chunks of 64, batches of 2 points: the
program test_sweep_run compiles) and template-only stores of the other designs (nothing
simulated).
"""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from conftest import differing_vars

import abm
from abm.analysis import lever_grid
from abm.cube import open_cube
from abm.cube.grid import GRID_ATTR, grid_dims
from abm.sweep import SweepLock, load_sweep, run_sweep, to_grid, to_points
from abm.sweep.run import plan_sweep
from abm.sweep.store import DONE_VAR

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"
LEVERS = ["purge_severity", "united_front_uptake"]


def _yaml(design: str, name: str = "test_grid23") -> str:
    return (
        f"sweep: {name}\n"
        f"scenario: {OTL}\n"
        "vary:\n"
        "  purge_severity: {low: 0.0, high: 1.0}\n"
        "  united_front_uptake: {low: 0.0, high: 1.0}\n"
        f"design: {design}\n"
        "runs_per_point: 32\n"
        "seed: 0\n"
        "chunk_size: 64\n"
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("grid")
    grid = "{kind: grid, points_per_dim: {purge_severity: 2, united_front_uptake: 3}}"
    (d / "grid.yaml").write_text(_yaml(grid), encoding="utf-8")
    (d / "lhs.yaml").write_text(_yaml("{kind: lhs, n: 5, seed: 1}", "t_lhs"), encoding="utf-8")
    (d / "sobol.yaml").write_text(_yaml("{kind: sobol, n: 2}", "t_sobol"), encoding="utf-8")
    points = (
        "[{purge_severity: 0.2, united_front_uptake: 0.7}, "
        "{purge_severity: 0.9, united_front_uptake: 0.1}]"
    )
    (d / "list.yaml").write_text(_yaml(f"{{kind: list, points: {points}}}", "t_list"), "utf-8")
    return d


@pytest.fixture(scope="module")
def grid_run(files: Path) -> tuple[xr.Dataset, Path]:
    """The 2 x 3 grid sweep as run_sweep returns it, and its store."""
    out = files / "grid.zarr"
    return run_sweep(load_sweep(files / "grid.yaml"), out, batch_points=2), out


def test_grid_sweep_opens_on_lever_dimensions(grid_run: tuple[xr.Dataset, Path]) -> None:
    returned, out = grid_run
    grid = abm.open_cube(out)
    assert grid.attrs[GRID_ATTR] == "purge_severity:2,united_front_uptake:3"
    for ds in (grid, returned):
        assert "point" not in ds.dims
        assert ds["nazi_power_prob"].dims == ("purge_severity", "united_front_uptake")
        assert ds["nazi_power_by_year"].dims[:2] == ("purge_severity", "united_front_uptake")
        assert ds[DONE_VAR].dims == ("purge_severity", "united_front_uptake")
        np.testing.assert_array_equal(ds["purge_severity"].values, [0.0, 1.0])
        np.testing.assert_array_equal(ds["united_front_uptake"].values, [0.0, 0.5, 1.0])
    # Lazy: opened with dask, nothing read until asked.
    assert isinstance(grid["nazi_power_prob"].data, da.Array)
    assert grid["purge_severity"].attrs["kind"] == "lever"
    assert grid["united_front_uptake"].attrs["units"]
    assert differing_vars(grid.load(), returned) == []


def test_grid_values_equal_the_point_layout(grid_run: tuple[xr.Dataset, Path]) -> None:
    grid, out = grid_run
    flat = open_cube(out, lazy=False, grid=False)
    assert flat.sizes["point"] == 6 and "purge_severity" not in flat.dims
    pts = load_sweep(Path(out).parent / "grid.yaml").points()
    for p, (a, b) in enumerate(pts):
        cell = grid.sel(purge_severity=a, united_front_uptake=b)
        one = flat.isel(point=p).drop_vars(["point", *LEVERS])
        assert differing_vars(cell.drop_vars(LEVERS), one) == [], p
    # .sel of one lever leaves the other's dimension.
    row = grid["nazi_power_prob"].sel(purge_severity=1.0)
    np.testing.assert_array_equal(row.values, flat["nazi_power_prob"].values[3:])
    # The grid's flat C order is the point order.
    np.testing.assert_array_equal(
        grid["german_civil_war_prob"].values.reshape(-1), flat["german_civil_war_prob"].values
    )
    xr.testing.assert_identical(to_points(grid), flat)
    xr.testing.assert_identical(to_grid(flat), grid)
    prob = grid["nazi_power_prob"]
    assert lever_grid(prob, LEVERS) is prob  # already on the lever dimensions
    xr.testing.assert_identical(
        lever_grid(flat["nazi_power_prob"], LEVERS), grid["nazi_power_prob"]
    )


def test_grid_plots_a_heat_map(grid_run: tuple[xr.Dataset, Path]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    artist = grid_run[0]["nazi_power_prob"].plot()
    assert type(artist).__name__ == "QuadMesh"  # a 2-D heat map, not a histogram


def _template(files: Path, name: str) -> Path:
    """A store with its template written and nothing run (every point unfinished)."""
    out = files / f"{name}_template.zarr"
    with SweepLock(out):
        plan_sweep(load_sweep(files / f"{name}.yaml"), out, batch_points=2)
    return out


@pytest.mark.parametrize("name", ["lhs", "sobol", "list"])
def test_other_designs_keep_the_point_dimension(files: Path, name: str) -> None:
    out = _template(files, name)
    ds = open_cube(out)
    sweep = load_sweep(files / f"{name}.yaml")
    assert GRID_ATTR not in ds.attrs and grid_dims(ds.attrs) is None
    assert ds["nazi_power_prob"].dims == ("point",)
    assert ds.sizes["point"] == sweep.n_points
    for d, lever in enumerate(LEVERS):
        assert ds[lever].dims == ("point",)
        np.testing.assert_array_equal(ds[lever].values, sweep.points()[:, d])
    xr.testing.assert_identical(ds, open_cube(out, grid=False))


def test_unfinished_grid_keeps_placeholders_flagged(files: Path) -> None:
    """A grid store not yet run opens on the grid, every point's flag False (as before)."""
    out = _template(files, "grid")
    ds = open_cube(out, lazy=False)
    assert ds[DONE_VAR].dims == ("purge_severity", "united_front_uptake")
    assert not ds[DONE_VAR].values.any()
    assert np.isnan(ds["nazi_power_prob"].values).all()  # missing, not 0 (issue 11, item 7)


def test_grid_store_without_the_attribute_still_opens_as_a_grid(
    grid_run: tuple[xr.Dataset, Path], tmp_path: Path
) -> None:
    """Grid stores written before ``grid_dims`` existed: ``design`` and ``varied`` say it."""
    import shutil

    import zarr

    grid, out = grid_run
    old = tmp_path / "old.zarr"
    shutil.copytree(out, old)
    group = zarr.open_group(old, mode="r+", zarr_format=3)
    del group.attrs[GRID_ATTR]
    ds = open_cube(old, lazy=False)
    assert ds["nazi_power_prob"].dims == ("purge_severity", "united_front_uptake")
    assert differing_vars(ds, grid) == []


def _synthetic(order: np.ndarray) -> xr.Dataset:
    """A 3 x 2 grid cube over ``point`` in dask chunks of 4, its points in ``order``."""
    a = np.repeat([0.0, 0.5, 1.0], 2)[order]
    b = np.tile([10.0, 20.0], 3)[order]
    by_year = (a[:, None] * 100 + b[:, None] + np.arange(3)[None, :]).astype(np.float32)
    return xr.Dataset(
        {
            "e_prob": (("point",), da.from_array(a + b, chunks=4)),
            "e_by_year": (("point", "year"), da.from_array(by_year, chunks=(4, 3))),
        },
        coords={
            "point": np.arange(6),
            "a": ("point", a, {"units": "1"}),
            "b": ("point", b),
            "year": [1930, 1931, 1932],
        },
        attrs={"design": "grid", "varied": "a,b", GRID_ATTR: "a:3,b:2"},
    )


def test_to_grid_reshapes_lazily_and_falls_back_to_unstack_for_any_order() -> None:
    ordered = to_grid(_synthetic(np.arange(6)))
    shuffled = to_grid(_synthetic(np.array([3, 0, 5, 1, 4, 2])))
    assert isinstance(ordered["e_by_year"].data, da.Array)
    assert ordered["e_by_year"].dims == ("a", "b", "year")
    xr.testing.assert_identical(ordered.compute(), shuffled.compute())
    assert float(ordered["e_prob"].sel(a=0.5, b=20.0)) == 20.5
    assert ordered["a"].attrs == {"units": "1"}
    # Not a full product (a point missing): left over point, as are cubes of other designs.
    part = _synthetic(np.arange(6)).isel(point=slice(0, 5))
    assert to_grid(part).sizes["point"] == 5
    other = _synthetic(np.arange(6)).assign_attrs(design="lhs")
    del other.attrs[GRID_ATTR]
    assert to_grid(other) is other
