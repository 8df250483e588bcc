"""abm report: the self-contained HTML report of a cube (abm.analysis.html, the CLI).

Two real cubes, made once for the module: 64 runs of the OTL scenario and a 3 x 3 grid
sweep of 20 runs a point (the same compiled chunk shapes as test_analysis and
test_sweep_run, so a warm compilation cache serves them). Sobol' designs are checked on
a synthetic cube whose indices are known.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
import zarr
from conftest import OTL

from abm.analysis import event_names, report_html, saltelli_points, write_report
from abm.analysis.html import default_report_path, load_cube, write_text_atomic
from abm.cli import main
from abm.cube import SCHEMA_NAME, SCHEMA_VERSION, CubeError, open_cube
from abm.sweep.store import DONE_VAR

IMG = "data:image/png;base64,"
EVENTS = ("nazi_power", "german_civil_war", "united_front", "personal_dictatorship")


def _sweep_yaml() -> str:
    return (
        "sweep: report_grid\n"
        f"scenario: {OTL}\n"
        "vary:\n"
        "  purge_severity: {low: 0.0, high: 1.0}\n"
        "  united_front_uptake: {low: 0.0, high: 1.0}\n"
        "design: {kind: grid, points_per_dim: 3}\n"
        "runs_per_point: 20\n"
        "seed: 0\n"
        "chunk_size: 64\n"
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def scenario_cube(workdir: Path) -> Path:
    """A stored single-scenario cube: 64 runs of OTL."""
    import abm.api

    out = workdir / "otl.zarr"
    abm.api.run(OTL, runs=64, seed=0, chunk_size=64, out=out)
    return out


@pytest.fixture(scope="module")
def sweep_store(workdir: Path) -> Path:
    """A finished 3 x 3 grid sweep store, 20 runs a point, in batches of 2 points."""
    from abm.sweep import load_sweep, run_sweep

    (workdir / "grid.yaml").write_text(_sweep_yaml(), encoding="utf-8")
    out = workdir / "grid.zarr"
    run_sweep(load_sweep(workdir / "grid.yaml"), out, batch_points=2)
    return out


@pytest.fixture(scope="module")
def scenario_html(scenario_cube: Path) -> str:
    path = write_report(scenario_cube)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sweep_html(sweep_store: Path) -> str:
    path = write_report(sweep_store)
    return path.read_text(encoding="utf-8")


def _self_contained(text: str) -> None:
    """One HTML document, every image an embedded PNG, nothing fetched from elsewhere."""
    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", text, flags=re.I)
    remote = [r for r in refs if re.match(r"(?:https?:)?//", r, flags=re.I)]
    assert remote == []
    assert not re.search(r"""src\s*=\s*["']?https?://""", text, flags=re.I)
    assert "<script" not in text.lower()
    assert "@import" not in text and "<link" not in text.lower()
    images = [r for r in refs if r.startswith("data:")]
    assert images and all(r.startswith(IMG) for r in images)
    for uri in images:
        assert base64.b64decode(uri[len(IMG) :])[:8] == b"\x89PNG\r\n\x1a\n"


def _provenance_row(text: str, key: str) -> str:
    m = re.search(rf'<td class="key">{re.escape(key)}</td><td class="val">([^<]*)</td>', text)
    assert m is not None, f"no provenance row {key}"
    return m.group(1)


def _cells(text: str, first: str) -> list[str]:
    """The cells of the first table row whose first cell is ``first``."""
    m = re.search(rf"<tr><td>{re.escape(first)}</td>(.*?)</tr>", text, flags=re.S)
    assert m is not None, f"no row {first}"
    return [first, *re.findall(r"<td[^>]*>([^<]*)</td>", m.group(1))]


# --- a single scenario ------------------------------------------------------------------


def test_scenario_report_holds_provenance_events_and_plots(
    scenario_cube: Path, scenario_html: str
) -> None:
    text = scenario_html
    _self_contained(text)
    cube = open_cube(scenario_cube, lazy=False)
    assert default_report_path(scenario_cube).is_file()
    assert f"Cube: <code>{scenario_cube}</code>" in text
    # Provenance: the cube's own attributes, values as stored.
    for key in ("config_hash", "seed", "runs_per_point", "abm_version", "jax_version"):
        assert _provenance_row(text, key) == str(cube.attrs[key])
    assert _provenance_row(text, "created") == cube.attrs["created"]
    assert _provenance_row(text, "stance") == "none"
    assert "Resolved config" in text and "calendar:" in text
    # Every event: its probability and standard error as the cube holds them.
    for e in event_names(cube):
        row = _cells(text, e)
        p, se = float(cube[f"{e}_prob"]), float(cube[f"{e}_se"])
        assert row[3] == f"{p:.3f}"
        assert row[4] == f"{se:.4f}"
        assert row[2] == str(int(cube[f"{e}_count"]))
    # Plots: one event-year plot per event, fan charts; categories and scalars tabled.
    assert text.count(IMG) >= len(event_names(cube)) + 1
    assert 'alt="nazi_power: share of runs in which it first happened, by year"' in text
    assert 'alt="german_unemployment over year: fan chart"' in text
    assert "<td>german_regime_1936</td>" not in text  # a heading, not an event row
    assert "<td>terror_executions</td>" in text
    assert "Heat map" not in text and "Points done" not in text


# --- a grid sweep -----------------------------------------------------------------------


def test_sweep_report_has_heatmaps_prim_and_provenance(sweep_store: Path, sweep_html: str) -> None:
    text = sweep_html
    _self_contained(text)
    cube = open_cube(sweep_store)
    assert _provenance_row(text, "config_hash") == cube.attrs["config_hash"]
    assert _provenance_row(text, "sweep") == "report_grid"
    assert _provenance_row(text, "varied") == "purge_severity,united_front_uptake"
    assert "Points done: 9 / 9" in text
    assert "points are missing" not in text
    assert "Heat maps over purge_severity and united_front_uptake" in text
    for e in EVENTS:
        assert f"<h3>Heat map: {e}</h3>" in text
    assert text.count(IMG) >= len(EVENTS) + 1  # heat maps and the PRIM box
    assert "PRIM: where the points avoid" in text
    assert "Sobol" not in text  # a grid, not a Saltelli design


def _flip(store: Path, points: list[int]) -> None:
    """Mark points not done in a store, as an interrupted sweep leaves them."""
    group = zarr.open_group(store, mode="r+", zarr_format=3)
    arr = group[DONE_VAR]
    assert isinstance(arr, zarr.Array)
    flags = np.asarray(arr[...], dtype=bool)
    flags[points] = False
    arr[...] = flags


def test_missing_points_are_reported_and_left_out(
    sweep_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "partial.zarr"
    shutil.copytree(sweep_store, store)
    full = open_cube(sweep_store, lazy=False)
    p = full["nazi_power_prob"].values
    top = int(np.argmax(p))
    gone = sorted({top, (top + 4) % 9})
    _flip(store, gone)
    out = tmp_path / "partial_report.html"
    assert main(["-q", "report", str(store), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    _self_contained(text)
    assert "Points done: 7 / 9" in text
    assert "2 of 9 points are missing" in text
    # The summary uses the done points only: the dropped maximum is not the highest.
    kept = np.delete(p, gone)
    row = _cells(text, "nazi_power")
    assert row[2] == f"{kept.min():.3f}"
    assert row[4] == f"{np.median(kept):.3f}"
    assert row[5] == f"{kept.max():.3f}"
    assert "<h3>Heat map: nazi_power</h3>" in text
    # Nothing done at all: the report still opens and says so.
    _flip(store, list(range(9)))
    text = report_html(load_cube(store), source=store)
    assert "9 of 9 points are missing" in text
    assert "No point is done yet" in text
    assert IMG not in text


# --- a Sobol' design (synthetic cube with known indices) -------------------------------


def _sobol_cube(n: int = 64) -> xr.Dataset:
    """A Saltelli design over levers ``a`` (drives nazi_power) and ``b`` (drives civil war)."""
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 2.0]]}
    pts = saltelli_points(problem, n, seed=0)
    a, b = pts[:, 0], pts[:, 1]
    runs = 1000
    probs = {"nazi_power": 0.1 + 0.8 * a, "german_civil_war": 0.02 + 0.1 * b**2}
    data: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]] = {
        "n_runs": (("point",), np.full(a.size, runs), {"kind": "meta", "units": "1"})
    }
    for e, pr in probs.items():
        attrs = {"kind": "event", "units": "1", "description": f"{e} <synthetic>"}
        data[f"{e}_prob"] = (("point",), pr, attrs)
        data[f"{e}_se"] = (("point",), np.sqrt(pr * (1 - pr) / runs), attrs)
    data[DONE_VAR] = (("point",), np.ones(a.size, dtype=bool), {})
    config = {
        "sweep": "synthetic",
        "design": {"kind": "sobol", "n": n, "seed": 0, "second_order": False},
        "vary": [{"name": "a", "low": 0.0, "high": 1.0}, {"name": "b", "low": 0.0, "high": 2.0}],
    }
    attrs = {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "sweep": "synthetic",
        "scenario": "<b>otl</b>",
        "varied": "a,b",
        "seed": 7,
        "config": yaml.safe_dump(config),
        "config_hash": "f" * 64,
    }
    coords = {"point": np.arange(a.size), "a": ("point", a), "b": ("point", b)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _indices(text: str, event: str, lever: str) -> tuple[float, float]:
    m = re.search(
        rf'<tr><td>{event}</td><td>{lever}</td><td class="num">([-\d.]+) ± [\d.]+</td>'
        rf'<td class="num">([-\d.]+) ± [\d.]+</td></tr>',
        text,
    )
    assert m is not None, f"no Sobol' row {event} {lever}"
    return float(m.group(1)), float(m.group(2))


def test_sobol_design_gets_indices_tornados_and_prim() -> None:
    cube = _sobol_cube()
    text = report_html(cube)
    _self_contained(text)
    assert "Sobol&#39; sensitivity indices" in text
    # nazi_power depends on a alone, german_civil_war on b alone.
    s1, st = _indices(text, "nazi_power", "a")
    assert s1 > 0.9 and st > 0.9
    s1, st = _indices(text, "nazi_power", "b")
    assert abs(s1) < 0.1 and st < 0.1
    s1, _ = _indices(text, "german_civil_war", "b")
    assert s1 > 0.9
    assert "<h3>Tornado: nazi_power</h3>" in text
    assert "<h3>Tornado: german_civil_war</h3>" in text
    assert "Heat map" not in text  # not a grid
    # PRIM: the score 1 - P(nazi) - P(civil war) is highest at low a and low b.
    assert _cells(text, "a")[-1] == "yes"
    # Text from the cube is escaped, never markup.
    assert "&lt;b&gt;otl&lt;/b&gt;" in text and "<b>otl</b>" not in text
    assert "&lt;synthetic&gt;" in text


def test_sobol_needs_every_point() -> None:
    cube = _sobol_cube()
    done = cube[DONE_VAR].values.copy()
    done[3] = False
    text = report_html(cube.assign({DONE_VAR: ("point", done)}))
    assert "1 of 256 points are missing" in text
    assert "need every point of the design" in text
    assert "Tornado" not in text


def test_prim_skipped_without_its_events() -> None:
    cube = _sobol_cube().rename(
        {"german_civil_war_prob": "other_prob", "german_civil_war_se": "other_se"}
    )
    cube.attrs["headline_outcomes"] = "nazi_power,german_civil_war"
    text = report_html(cube)
    assert "the cube lacks german_civil_war: PRIM skipped" in text


# --- paths, atomic writes and the command line ------------------------------------------


def test_default_path_and_atomic_write(tmp_path: Path) -> None:
    assert default_report_path(tmp_path / "otl.zarr") == tmp_path / "otl.html"
    assert default_report_path(tmp_path / "sweep") == tmp_path / "sweep.html"
    target = tmp_path / "sub" / "r.html"
    write_text_atomic("old", target)
    write_text_atomic("<p>new</p>", target)
    assert target.read_text(encoding="utf-8") == "<p>new</p>"
    assert [p.name for p in target.parent.iterdir()] == ["r.html"]  # no temporary left


def test_report_inside_the_cube_is_refused(scenario_cube: Path) -> None:
    with pytest.raises(CubeError, match="inside the cube"):
        write_report(scenario_cube, scenario_cube / "report.html")


def test_cli_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "report", str(tmp_path / "nowhere.zarr")]) == 2
    err = capsys.readouterr().err
    assert "nowhere.zarr" in err and "does not exist" in err
    not_cube = tmp_path / "plain"
    not_cube.mkdir()
    (not_cube / "notes.txt").write_text("hello", encoding="utf-8")
    assert main(["-q", "report", str(not_cube)]) == 2
    assert "is not an abm cube" in capsys.readouterr().err
    assert not (tmp_path / "plain.html").exists()


def test_one_lever_and_one_point_sweeps() -> None:
    cube = _sobol_cube(n=8).drop_vars("b").assign_attrs(varied="a")
    text = report_html(cube)
    _self_contained(text)
    assert "Probabilities over a" in text
    assert 'alt="event probabilities over a"' in text
    one = report_html(cube.isel(point=[5]))
    p = float(cube["nazi_power_prob"][5])
    assert _cells(one, "nazi_power")[3] == f"{p:.3f}"
    assert "Points done: 1 / 1" in one and "PRIM" not in one


# --- generic faces: the cube names its headline outcomes ---------------------------------


def _generic_cube() -> xr.Dataset:
    """The Sobol' cube with its events renamed to names no code knows: ``alpha``, ``beta``."""
    return _sobol_cube().rename(
        {
            "nazi_power_prob": "alpha_prob",
            "nazi_power_se": "alpha_se",
            "german_civil_war_prob": "beta_prob",
            "german_civil_war_se": "beta_se",
        }
    )


def _event_rows(text: str) -> list[str]:
    """The events of the sweep summary table, in their order."""
    part = text.split('id="events"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>([^<]*)</td>", part)


def test_headline_outcomes_order_the_events_and_choose_prims_outcome() -> None:
    cube = _generic_cube()
    cube.attrs["headline_outcomes"] = "beta,alpha"
    text = report_html(cube)
    assert _event_rows(text) == ["beta", "alpha"]
    assert "PRIM: where the points avoid beta and alpha" in text
    assert "1 - P(beta) - P(alpha)" in text
    # The first two headline events, whatever the attribute lists besides them.
    cube.attrs["headline_outcomes"] = "alpha,no_such_outcome,beta"
    assert "PRIM: where the points avoid alpha and beta" in report_html(cube)


def test_without_the_attribute_every_event_in_cube_order() -> None:
    cube = _generic_cube()
    assert "headline_outcomes" not in cube.attrs
    text = report_html(cube)
    assert _event_rows(text) == ["alpha", "beta"]  # cube order
    assert "PRIM: where the points avoid alpha and beta" in text
    # An empty attribute: no headline events, so no PRIM outcome.
    cube.attrs["headline_outcomes"] = ""
    text = report_html(cube)
    assert _event_rows(text) == ["alpha", "beta"]
    assert "needs two headline events" in text and "PRIM skipped" in text


def test_prim_skipped_when_a_headline_event_is_missing() -> None:
    cube = _generic_cube().drop_vars(["beta_prob", "beta_se"])
    cube.attrs["headline_outcomes"] = "alpha,beta"
    text = report_html(cube)
    assert "the cube lacks beta: PRIM skipped" in text


# --- escaping --------------------------------------------------------------------------

EVIL = "<script>alert(1)</script>"


def test_text_from_the_cube_is_escaped() -> None:
    cube = _sobol_cube(n=8)
    cube.attrs.update(scenario=EVIL, sweep=EVIL, stance=EVIL, note=EVIL, headline_outcomes=EVIL)
    cube.attrs["config"] = cube.attrs["config"] + f"# {EVIL}\n"
    cube["nazi_power_prob"].attrs["description"] = EVIL
    cube = cube.assign_coords(a=cube["a"].assign_attrs(units=EVIL))
    cube = cube.rename(
        {"german_civil_war_prob": f"{EVIL}_prob", "german_civil_war_se": f"{EVIL}_se"}
    )
    text = report_html(cube, source=f"/tmp/{EVIL}.zarr")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<title>Sweep &lt;script&gt;" in text
    single = _sobol_cube(n=8).isel(point=[0])
    single["nazi_power_prob"].attrs["description"] = EVIL
    text = report_html(single.assign_attrs(scenario=EVIL))
    assert "<script" not in text.lower() and "&lt;script&gt;" in text


# --- lever dimensions, no JAX ------------------------------------------------------------


def _grid_cube() -> xr.Dataset:
    """A 3 x 2 grid sweep over ``point`` with levers ``a`` and ``b`` as coordinates."""
    a = np.repeat([0.0, 0.5, 1.0], 2)
    b = np.tile([1.0, 2.0], 3)
    p = 0.1 + 0.5 * a + 0.1 * b
    attrs = {"kind": "event", "units": "1"}
    return xr.Dataset(
        {
            "n_runs": ("point", np.full(6, 100)),
            "alpha_prob": ("point", p, attrs),
            "alpha_se": ("point", np.sqrt(p * (1 - p) / 100), attrs),
            "beta_prob": ("point", 1 - p, attrs),
            "beta_se": ("point", np.sqrt(p * (1 - p) / 100), attrs),
            DONE_VAR: ("point", np.ones(6, dtype=bool)),
        },
        coords={"point": np.arange(6), "a": ("point", a), "b": ("point", b)},
        attrs={"sweep": "g", "scenario": "s", "varied": "a,b", "design": "grid"},
    )


def test_heat_maps_over_point_or_over_lever_dimensions() -> None:
    on_point = _grid_cube()
    on_levers = on_point.set_index(point=["a", "b"]).unstack("point")
    assert "point" not in on_levers.dims and {"a", "b"} <= set(on_levers.dims)
    for cube in (on_point, on_levers):
        text = report_html(cube)
        _self_contained(text)
        assert "Points done: 6 / 6" in text
        assert "Heat maps over a and b" in text
        assert "<h3>Heat map: alpha</h3>" in text and "<h3>Heat map: beta</h3>" in text
        assert _cells(text, "alpha")[2] == f"{on_point['alpha_prob'].values.min():.3f}"


def test_report_does_not_import_jax(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import numpy as np, xarray as xr\n"
        "import abm.analysis.html\n"
        "from abm.analysis import report_html\n"
        "ds = xr.Dataset({'e_prob': ('point', np.array([0.1, 0.5, 0.9])),\n"
        "    'e_se': ('point', np.array([0.01, 0.02, 0.01]))},\n"
        "    coords={'point': np.arange(3), 'a': ('point', np.array([0.0, 1.0, 2.0]))},\n"
        "    attrs={'varied': 'a'})\n"
        "assert 'Probabilities over a' in report_html(ds)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'jax' or m.startswith('abm.engine')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
