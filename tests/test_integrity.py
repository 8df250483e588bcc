"""Cube integrity (issue 11, items 6 and 7): nothing broken reads as valid, unfinished
sweep points read as missing (abm.cube.integrity, abm.open_cube, abm report)."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr
from conftest import jax_cache_env

import abm
from abm.analysis.cubes import event_year_shares, points_done, probability_with_error
from abm.cli import main
from abm.cube import CubeError, open_cube, write_cube
from abm.cube.integrity import RECORD_ATTR
from abm.cube.schema import dataset_attrs
from abm.sweep import store

YEARS = [1930, 1931, 1932]


def _cube(n_points: int | None = None) -> xr.Dataset:
    """A small cube of two events, a count and a histogram (a sweep's one point: n=1)."""
    pt: tuple[str, ...] = ("point",) if n_points else ()
    lead = (n_points,) if n_points else ()
    rng = np.random.default_rng(0)
    prob = rng.uniform(0.2, 0.8, lead)
    data = {
        "e_prob": (pt, prob, {"kind": "event", "units": "1"}),
        "e_se": (pt, np.sqrt(prob * (1 - prob) / 50), {"kind": "event", "units": "1"}),
        "e_count": (pt, np.round(prob * 50).astype(np.int64), {"kind": "event"}),
        "e_by_year": ((*pt, "year"), np.outer(prob, [0.2, 0.6, 1.0]).reshape((*lead, 3))),
        "q_hist": ((*pt, "year", "bin"), np.ones((*lead, 3, 4), dtype=np.int64)),
        "n_runs": (pt, np.full(lead, 50, dtype=np.int64)),
    }
    coords: dict[str, object] = {"year": YEARS}
    if n_points:
        coords["point"] = np.arange(n_points)
        coords["lever"] = ("point", np.linspace(0.0, 1.0, n_points), {"kind": "lever"})
    return xr.Dataset(data, coords=coords, attrs=dataset_attrs({"seed": 1}))


@pytest.fixture
def cube_path(tmp_path: Path) -> Path:
    return write_cube(_cube(), tmp_path / "cube.zarr")


def _refused(path: Path, *names: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``abm.open_cube`` and ``abm report`` (exit 2) both refuse, naming ``names``."""
    with pytest.raises(CubeError) as err:
        abm.open_cube(path)
    for name in names:
        assert name in str(err.value)
    capsys.readouterr()
    assert main(["report", str(path), "--out", str(path.parent / "r.html")]) == 2
    text = capsys.readouterr().err
    for name in names:
        assert name in text
    assert not (path.parent / "r.html").exists()


def test_a_written_cube_opens_verified_and_unchanged(cube_path: Path, caplog) -> None:
    meta = json.loads((cube_path / "zarr.json").read_text())
    record = json.loads(meta["attributes"][RECORD_ATTR])
    assert record["layout"] == "cube" and record["arrays"]["e_prob"] == 1
    with caplog.at_level(logging.WARNING):
        ds = open_cube(cube_path, lazy=False)
    assert caplog.text == ""  # verified: no warning
    xr.testing.assert_identical(ds, _cube())  # the record is not part of the data


def test_deleted_chunk_is_refused(cube_path: Path, capsys) -> None:
    chunk = next((cube_path / "q_hist" / "c").rglob("*"))
    chunk = chunk if chunk.is_file() else next(p for p in chunk.rglob("*") if p.is_file())
    chunk.unlink()
    _refused(cube_path, "q_hist", "chunk", capsys=capsys)


def test_deleted_variable_is_refused(cube_path: Path, capsys) -> None:
    shutil.rmtree(cube_path / "e_se")
    _refused(cube_path, "e_se", "missing", capsys=capsys)


def test_corrupt_metadata_is_refused(cube_path: Path, capsys) -> None:
    (cube_path / "zarr.json").write_text('{"attributes": {"sch')
    _refused(cube_path, "zarr.json", capsys=capsys)


def test_leftover_of_a_killed_write_is_refused_and_reported(
    cube_path: Path, capsys, caplog
) -> None:
    tmp = cube_path.parent / f".x.tmp-{uuid.uuid4().hex}"
    shutil.copytree(cube_path, tmp)  # even a complete one: it never was renamed into place
    _refused(tmp, "leftover of an interrupted write", capsys=capsys)
    left = cube_path.parent / f".x.zarr.tmp-{uuid.uuid4().hex}"
    shutil.copytree(cube_path, left)
    with caplog.at_level(logging.WARNING):
        write_cube(_cube(), cube_path.parent / "x.zarr")
    assert str(left) in caplog.text and "interrupted" in caplog.text


def test_cube_without_record_opens_with_a_warning(cube_path: Path, caplog) -> None:
    """Cubes written before the record existed keep opening, not silently."""
    group = zarr.open_group(cube_path, mode="r+", zarr_format=3)
    del group.attrs[RECORD_ATTR]
    with caplog.at_level(logging.WARNING):
        ds = open_cube(cube_path, lazy=False)
    assert "no integrity record" in caplog.text
    xr.testing.assert_identical(ds, _cube())


# ---------------------------------------------------------------- sweep stores

N, BATCH = 6, 2


def _sweep_store(path: Path, batches: tuple[int, ...] = (1,)) -> xr.Dataset:
    """A sweep store of 6 points in 3 batches, ``batches`` written and done."""
    full = _cube(N)
    one = full.isel(point=[0])
    path.mkdir()
    store.write_template(path, one, BATCH, N, {"lever": full["lever"].values})
    for b in batches:
        part = full.isel(point=slice(b * BATCH, (b + 1) * BATCH))
        store.write_region(path, part.drop_vars(list(part.coords)), b * BATCH)
    return full


def test_unfinished_points_read_as_missing(tmp_path: Path, caplog) -> None:
    out = tmp_path / "sweep.zarr"
    full = _sweep_store(out)
    with caplog.at_level(logging.WARNING):
        ds = open_cube(out, lazy=False)
    assert ds.attrs["points_done_count"] == 2 and ds.attrs["n_points"] == N
    assert "4 of 6 sweep points are not done" in caplog.text
    done = ds["points_done"].values
    np.testing.assert_array_equal(done, [False, False, True, True, False, False])
    for name in ("e_prob", "e_se", "e_count", "e_by_year", "q_hist", "n_runs"):
        assert np.isnan(ds[name].values[~done]).all(), name
        np.testing.assert_array_equal(ds[name].values[done], full[name].values[done])
    assert ds["e_count"].dtype == np.float64  # integers: float64 NaN (documented)
    assert ds["e_prob"].attrs["units"] == "1"
    np.testing.assert_array_equal(ds["lever"].values, full["lever"].values)  # levers kept
    lazy = open_cube(out)
    assert lazy["e_prob"].chunks is not None  # still lazy
    assert np.isnan(lazy["e_prob"].values[0])


def test_finished_sweep_keeps_its_integers(tmp_path: Path) -> None:
    out = tmp_path / "sweep.zarr"
    full = _sweep_store(out, (0, 1, 2))
    ds = open_cube(out, lazy=False)
    assert ds.attrs["points_done_count"] == N
    assert ds["e_count"].dtype == np.int64
    np.testing.assert_array_equal(ds["e_count"].values, full["e_count"].values)


def test_missing_chunk_of_a_done_point_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sweep.zarr"
    _sweep_store(out)
    (out / "e_prob" / "c" / "0").unlink()  # a placeholder chunk of points not done
    open_cube(out)
    (out / "q_hist" / "c" / "1" / "0" / "0").unlink()  # of points 2-3, done
    _refused(out, "q_hist", "c/1/0/0", capsys=capsys)


def test_cut_off_template_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sweep.zarr"
    _sweep_store(out, ())
    store.update_attrs(out, {store.TEMPLATE_ATTR: True})
    _refused(out, "template was cut off", capsys=capsys)


def test_analysis_helpers_respect_missing_points(tmp_path: Path) -> None:
    """A store read without abm.open_cube (placeholders of 0 at unfinished points)."""
    out = tmp_path / "sweep.zarr"
    _sweep_store(out)
    raw = xr.open_zarr(out, consolidated=False).load()
    assert (raw["e_prob"].values[[0, 1, 4, 5]] == 0).all()  # the placeholders
    assert points_done(raw) == (2, N)
    p, se = probability_with_error(raw, "e")
    assert np.isnan(p.values[[0, 1, 4, 5]]).all() and np.isnan(se.values[[0, 1, 4, 5]]).all()
    assert not np.isnan(p.values[[2, 3]]).any()
    shares = event_year_shares(raw, "e")
    assert np.isnan(shares.values[0]).all() and not np.isnan(shares.values[2]).any()
    assert points_done(_cube()) == (1, 1)


def test_report_leaves_out_unfinished_points(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sweep.zarr"
    _sweep_store(out, (0, 1))
    html = tmp_path / "r.html"
    assert main(["-q", "report", str(out), "--out", str(html)]) == 0
    text = html.read_text()
    assert "2 of 6 points are missing" in text


# ---------------------------------------------------------------- killed writers

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"
TROTSKY = ROOT / "configs" / "scenarios" / "trotsky.yaml"
TINY = ["--runs", "8", "--chunk-size", "8"]


def _grid_yaml(path: Path) -> Path:
    path.write_text(
        "sweep: fault_grid\n"
        f"scenario: {OTL}\n"
        "vary:\n"
        "  purge_severity: {low: 0.0, high: 1.0}\n"
        "  united_front_uptake: {low: 0.0, high: 1.0}\n"
        "design: {kind: grid, points_per_dim: 2}\n"
        "runs_per_point: 8\nseed: 0\nchunk_size: 8\n",
        encoding="utf-8",
    )
    return path


def _writer(kind: str, d: Path, files: Path) -> list[str]:
    """The command line of one writer, writing into the directory ``d``."""
    abm_cmd = [sys.executable, "-m", "abm.cli", "-q"]
    if kind == "run":
        return [*abm_cmd, "run", str(OTL), *TINY, "--out", str(d / "c.zarr")]
    if kind == "compare":
        return [*abm_cmd, "compare", str(OTL), str(TROTSKY), *TINY, "--out-dir", str(d)]
    if kind == "sweep":
        grid = str(files / "grid.yaml")
        return [*abm_cmd, "sweep", grid, "--out", str(d / "s.zarr"), "--batch-points", "1"]
    # write_cube alone (no simulation before it): a copy of the reference cube
    code = (
        "import sys; from abm.cube import open_cube, write_cube; "
        "write_cube(open_cube(sys.argv[1], lazy=False), sys.argv[2])"
    )
    return [sys.executable, "-c", code, str(files / "ref_run" / "c.zarr"), str(d / "c.zarr")]


def _began(d: Path, trigger: str) -> bool:
    """Whether the write of ``trigger`` began in ``d``: ``start``, any file there;
    ``batch``, a sweep's first batch marked done."""
    if trigger == "batch":
        return (d / "s.zarr" / "points_done" / "c").exists()
    return any(d.iterdir())


def _launch(
    kind: str, d: Path, files: Path, kill_after: float | None, trigger: str = "start"
) -> tuple[dict[str, float], float]:
    """Run a writer into ``d``; with ``kill_after``, SIGKILL it that many seconds after
    the write of ``trigger`` began (:func:`_began`).

    Returns:
        When each trigger's write began and when the writer ended (or was killed), in
        seconds from its start.
    """
    d.mkdir(parents=True)
    env = {**os.environ, **jax_cache_env(), "JAX_PLATFORMS": "cpu"}
    env.pop("ABM_CPU_DEVICES", None)
    log_path = d.with_name(d.name + ".stderr")
    t0 = time.perf_counter()
    with log_path.open("wb") as err:
        proc = subprocess.Popen(
            _writer(kind, d, files), env=env, stdout=subprocess.DEVNULL, stderr=err
        )
        began: dict[str, float] = {}
        while proc.poll() is None:
            now = time.perf_counter() - t0
            for t in ("start", "batch"):
                if t not in began and _began(d, t):
                    began[t] = now
            due = kill_after is not None and trigger in began
            if (due and now >= began[trigger] + (kill_after or 0.0)) or now > 300:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.005)
    end = time.perf_counter() - t0
    text = log_path.read_text(errors="replace")
    assert end <= 300, f"{kind} hung: {text[-2000:]}"
    assert proc.returncode in (0, -signal.SIGKILL), f"{kind} failed: {text[-2000:]}"
    return began, end


def _check_left(d: Path, ref_cube: xr.Dataset, ref_sweep: xr.Dataset) -> list[str]:
    """Every store left in ``d`` is refused, or opens verified and complete (a sweep:
    its done points equal the reference's, the others missing). Returns outcomes."""
    from conftest import differing_vars

    outcomes = []
    for entry in sorted(d.iterdir()):
        if not entry.is_dir():
            continue  # a lock file beside a store
        try:
            ds = open_cube(entry, lazy=False, grid=False)
        except CubeError:
            outcomes.append("refused")
            continue
        attrs = json.loads((entry / "zarr.json").read_text())["attributes"]
        assert RECORD_ATTR in attrs, f"{entry} opened without an integrity record"
        assert not entry.name.startswith("."), f"leftover {entry} opened as a cube"
        if "points_done" not in ds:
            assert set(ds.data_vars) == set(ref_cube.data_vars), entry
            if entry.name == "c.zarr":
                assert differing_vars(ds, ref_cube) == [], entry
            outcomes.append("complete")
            continue
        done = ds["points_done"].values
        assert ds.attrs["points_done_count"] == int(done.sum()), entry
        for name in ref_sweep.data_vars:
            if name == "points_done" or "point" not in ref_sweep[name].dims:
                continue
            got, want = ds[name].values, ref_sweep[name].values
            assert np.isnan(got[~done]).all(), (entry, name)
            np.testing.assert_array_equal(got[done], want[done], err_msg=f"{entry} {name}")
        outcomes.append(f"sweep {int(done.sum())}/{done.size}")
    return outcomes


@pytest.mark.slow
def test_killed_writers_leave_stores_complete_or_refused(tmp_path: Path) -> None:
    """SIGKILL ``abm run``, ``abm compare``, ``abm sweep`` and a bare ``write_cube`` at
    uniformly random moments of their writes (6 kills, new moments every run): whatever
    each leaves behind is either complete and verified or refused by ``abm.open_cube``,
    never silently partial.
    The seed is printed on failure (``ABM_FAULT_SEED`` replays it)."""
    seed = int(os.environ.get("ABM_FAULT_SEED") or time.time_ns() % 2**32)
    rng = random.Random(seed)
    _grid_yaml(tmp_path / "grid.yaml")
    # References, run to the end: the write windows, and the results to compare with.
    windows = {}
    for kind in ("run", "sweep"):
        began, end = _launch(kind, tmp_path / f"ref_{kind}", tmp_path, None)
        windows.update({(kind, t): end - at for t, at in began.items()})
    windows["compare", "start"] = 2 * windows["run", "start"]  # two cubes
    windows["cube", "start"] = windows["run", "start"]
    ref_cube = open_cube(tmp_path / "ref_run" / "c.zarr", lazy=False)
    ref_sweep = open_cube(tmp_path / "ref_sweep" / "s.zarr", lazy=False, grid=False)
    assert ref_sweep.attrs["points_done_count"] == 4
    plan = [(kind, "start") for kind in ("run", "compare", "cube")]
    # The sweep: once from its store's creation (template, compiling, every batch), twice
    # from its first batch done (the other batches).
    plan += [("sweep", "start"), ("sweep", "batch"), ("sweep", "batch")]
    jobs = [
        (kind, tmp_path / f"kill_{kind}_{i}", rng.uniform(0.0, windows[kind, trigger]), trigger)
        for i, (kind, trigger) in enumerate(plan)
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda j: _launch(j[0], j[1], tmp_path, j[2], j[3]), jobs))
    seen: list[str] = []
    for kind, d, delay, _ in jobs:
        try:
            seen += _check_left(d, ref_cube, ref_sweep)
        except AssertionError as err:
            raise AssertionError(f"seed {seed}, {kind} killed at +{delay:.2f} s: {err}") from err
    print(f"seed {seed}: {sorted(seen)}")
    assert seen, f"seed {seed}: no store left at all"
