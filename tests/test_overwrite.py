"""Overwrite only what abm wrote; every writer honours the store's lock (issue 11, 1-4).

End to end through ``abm.cli.main``: what exists at an output path is replaced only with
``--overwrite`` and only if abm wrote it (a cube, a trace, a sweep store, a netCDF file of
a cube); anything else is refused in one line (exit 2) before anything is simulated, and
a store another process is writing (a live sweep) is refused by every writer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import OTL, TROTSKY, small_sweep_yaml

from abm.cli import main
from abm.cube import open_cube, write_cube
from abm.errors import InputError, OutputExistsError
from abm.locks import LockedError, lock_path
from abm.outputs import check_store_target, foreign_reason, store_kind
from abm.sweep import SweepLock, load_sweep
from abm.sweep import store as sweep_store
from abm.sweep.plan import _existing, _marks, plan_sweep

#: The cube every test here shares: the suite's smallest run (tests/test_cli.py's sizes).
RUNS = 16
SWEEP_YAML = small_sweep_yaml("overwrite_test")


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A scenario cube and its netCDF export (one run of 16), a sweep file, and things
    abm did not write: a foreign Zarr store, a folder of files, a text file."""
    d = tmp_path_factory.mktemp("overwrite")
    cube, nc = d / "otl.zarr", d / "otl.nc"
    args = ["-q", "run", str(OTL), "--runs", str(RUNS), "--chunk-size", "16"]
    assert main([*args, "--out", str(cube), "--netcdf", str(nc)]) == 0
    foreign = d / "other_tool.zarr"
    xr.Dataset({"x": ("a", np.arange(3))}, attrs={"tool": "not abm"}).to_zarr(
        foreign, zarr_format=3, consolidated=False
    )
    folder = d / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("precious", encoding="utf-8")
    text = d / "notes.txt"
    text.write_text("precious", encoding="utf-8")
    sweep = d / "sweep.yaml"
    sweep.write_text(SWEEP_YAML, encoding="utf-8")
    return {
        "dir": d,
        "cube": cube,
        "nc": nc,
        "foreign": foreign,
        "folder": folder,
        "text": text,
        "sweep": sweep,
    }


def _refused(argv: list[str], path: Path, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """Run ``abm ARGV``: exit 2, one line naming ``path`` and ``words``, ``path`` intact."""
    before = _digest(path)
    assert main(["-q", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("abm: error: "), err
    assert str(path) in err and all(w in err for w in words), err
    assert _digest(path) == before
    return err


# ------------------------------------------------ item 1: abm sweep --out onto a non-sweep


def test_sweep_refuses_a_scenario_cube_without_overwrite(made, capsys) -> None:
    """A store without ``points_done`` used to be taken for a cut-off template and wiped."""
    argv = ["sweep", str(made["sweep"]), "--out", str(made["cube"])]
    _refused(argv, made["cube"], capsys, "scenario cube", "--overwrite")


@pytest.mark.parametrize("what", ["foreign", "folder"])
def test_sweep_never_replaces_what_abm_did_not_write(made, capsys, what: str) -> None:
    for extra in ([], ["--overwrite"]):
        argv = ["sweep", str(made["sweep"]), "--out", str(made[what]), *extra]
        _refused(argv, made[what], capsys, "abm never replaces it")


def test_a_sweep_store_cut_off_at_its_first_write_is_abms(tmp_path: Path, made) -> None:
    """The template's first write already marks the store as an abm sweep's: killed
    right after it, the store is recognised (and its template written again), never
    refused as foreign nor taken for someone else's."""
    sweep = load_sweep(made["sweep"])
    out = tmp_path / "cut.zarr"

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # the kill, right after the store's first write

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("abm.sweep.plan.write_template", killed)
        with SweepLock(out), pytest.raises(KeyboardInterrupt):
            plan_sweep(sweep, out)
    assert sorted(p.name for p in out.iterdir()) == ["zarr.json"]
    assert store_kind(out) == "sweep" and foreign_reason(out) is None
    assert not sweep_store.template_written(out)
    assert _existing(out, overwrite=False) == "sweep"  # resumed: its template rewritten


def test_a_new_stores_marks_are_one_rename(tmp_path: Path) -> None:
    """:func:`abm.sweep.store.create` renames a directory whose ``zarr.json`` carries the
    marks into place (an empty directory is replaced too): never a store without them."""
    for out in (tmp_path / "new.zarr", tmp_path / "empty.zarr"):
        if out.name.startswith("empty"):
            out.mkdir()
        sweep_store.create(out, _marks("abc", "uid"))
        assert store_kind(out) == "sweep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.zarr", "new.zarr"]


# -------------------------------------------- item 2: single files only with --overwrite


def test_netcdf_is_not_replaced_without_overwrite(made, capsys) -> None:
    argv = ["run", str(OTL), "--runs", str(RUNS), "--netcdf", str(made["nc"])]
    _refused(argv, made["nc"], capsys, "--netcdf", "--overwrite")


def test_netcdf_overwrite_replaces_only_abms_netcdf(made, capsys, tmp_path: Path) -> None:
    argv = ["run", str(OTL), "--runs", str(RUNS), "--netcdf", str(made["text"]), "--overwrite"]
    _refused(argv, made["text"], capsys, "not a netCDF file of a cube written by abm")
    argv = ["run", str(OTL), "--runs", str(RUNS), "--netcdf", str(made["folder"])]
    _refused(argv, made["folder"], capsys, "is a directory")
    nc = tmp_path / "copy.nc"
    nc.write_bytes(made["nc"].read_bytes())
    nc.touch()
    args = ["-q", "run", str(OTL), "--runs", str(RUNS), "--chunk-size", "16", "--seed", "3"]
    assert main([*args, "--netcdf", str(nc), "--overwrite"]) == 0
    with xr.open_dataset(nc, engine="h5netcdf") as ds:
        assert ds.attrs["seed"] == 3  # replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.nc"]


def test_csv_is_not_replaced_without_overwrite(made, capsys) -> None:
    argv = ["compare", str(OTL), str(TROTSKY), "--runs", str(RUNS), "--csv", str(made["text"])]
    _refused(argv, made["text"], capsys, "--csv", "--overwrite")


def test_report_out_is_not_replaced_without_overwrite(made, capsys, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    html.write_text("an older report", encoding="utf-8")
    _refused(["report", str(made["cube"]), "--out", str(html)], html, capsys, "--overwrite")
    _refused(["report", str(made["cube"]), "--out", str(made["folder"])], made["folder"], capsys)
    assert main(["-q", "report", str(made["cube"]), "--out", str(html), "--overwrite"]) == 0
    assert "<!DOCTYPE html>" in html.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


# ------------------------------------- item 3: --overwrite replaces only abm's own stores


@pytest.mark.parametrize("what", ["foreign", "folder", "text"])
def test_overwrite_never_replaces_what_abm_did_not_write(made, capsys, what: str) -> None:
    target = made[what]
    for argv in (
        ["run", str(OTL), "--runs", str(RUNS), "--out", str(target), "--overwrite"],
        ["trace", str(OTL), "--run", "0", "--out", str(target), "--overwrite"],
    ):
        _refused(argv, target, capsys, "abm never replaces it")


def test_compare_overwrite_never_replaces_what_abm_did_not_write(made, capsys) -> None:
    out_dir = made["dir"] / "pair"
    (out_dir / "otl.zarr").mkdir(parents=True)
    (out_dir / "otl.zarr" / "data.bin").write_bytes(b"precious")
    argv = ["compare", str(OTL), str(TROTSKY), "--runs", str(RUNS), "--out-dir", str(out_dir)]
    _refused([*argv, "--overwrite"], out_dir, capsys, "abm never replaces it")
    assert not (out_dir / "trotsky.zarr").exists()


def test_write_cube_replaces_only_abms_stores(made, tmp_path: Path) -> None:
    ds = open_cube(made["cube"], lazy=False)
    for what in ("foreign", "folder"):
        before = _digest(made[what])
        with pytest.raises(InputError, match="abm never replaces it"):
            write_cube(ds, made[what], overwrite=True)
        assert _digest(made[what]) == before
    empty = tmp_path / "empty.zarr"
    empty.mkdir()
    with pytest.raises(OutputExistsError):
        check_store_target(empty, overwrite=False)
    write_cube(ds, empty, overwrite=True)  # an empty directory holds nothing to lose
    assert store_kind(empty) == "cube"


def test_serve_check_refuses_an_out_abm_did_not_write(made, capsys, tmp_path: Path) -> None:
    """``abm serve --check`` accepted ``out: /`` with ``overwrite: true``."""
    (tmp_path / "sweep.yaml").write_text(SWEEP_YAML, encoding="utf-8")
    for out in ("/", str(made["folder"])):
        service = tmp_path / "service.yaml"
        service.write_text(
            "deployments:\n  - name: nightly\n    sweep: sweep.yaml\n"
            f"    out: {out}\n    cron: '30 2 * * *'\n    overwrite: true\n",
            encoding="utf-8",
        )
        assert main(["-q", "serve", str(service), "--check"]) == 2
        err = capsys.readouterr().err
        assert "deployments.0.out" in err and "abm never writes over it" in err, err


# ------------------------------------------------- item 4: every writer honours the lock


def test_run_overwrite_onto_a_live_sweeps_store_is_refused(made, capsys) -> None:
    """``abm run --overwrite`` onto the store of a running sweep used to replace it and
    kill the sweep with a Zarr error; now it is refused before simulating."""
    store = made["dir"] / "live.zarr"
    write_cube(open_cube(made["cube"], lazy=False), store)
    with SweepLock(store):
        argv = ["run", str(OTL), "--runs", str(RUNS), "--out", str(store), "--overwrite"]
        _refused(argv, store, capsys, "being written by another sweep", str(lock_path(store)))
        with pytest.raises(LockedError, match="another sweep"):
            write_cube(open_cube(made["cube"], lazy=False), store, overwrite=True)
    assert not lock_path(store).exists()


def test_sweep_honours_the_lock_a_cube_writer_holds(made, capsys) -> None:
    """The lock lives beside the store: a sweep waits on a cube write and vice versa."""
    from abm.locks import StoreLock

    out = made["dir"] / "shared.zarr"
    with StoreLock(out):
        argv = ["sweep", str(made["sweep"]), "--out", str(out)]
        assert main(["-q", *argv]) == 2
        assert "being written by another abm writer" in capsys.readouterr().err
    assert not out.exists()
