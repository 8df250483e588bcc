"""``abm bench``: the roofline arithmetic, XLA cost extraction, and a tiny end-to-end run.

Nothing here asserts anything about speed (timings belong in benchmarks); the end-to-end
run uses :func:`abm.bench.tiny_plan` (16-run chunks, one device, peers with one or two
runs) and checks that the JSON carries every headline key with finite positive numbers
and that the plots are written.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import abm.bench
from abm.bench import report, roofline
from abm.bench.measure import chunk_for, error_line

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- roofline arithmetic
def test_roofline_bound_is_min_of_compute_and_memory_roofs():
    peak, bw = 100e9, 20e9  # ridge at 5 FLOP/byte
    assert roofline.ridge_intensity(peak, bw) == pytest.approx(5.0)
    # Memory-bound: 0.5 FLOP/byte x 20 GB/s = 10 GFLOP/s < 100.
    assert roofline.roofline_bound(peak, bw, 0.5) == pytest.approx(10e9)
    assert roofline.bound_kind(peak, bw, 0.5) == "memory"
    # Compute-bound: 50 FLOP/byte x 20 GB/s = 1 TFLOP/s > 100 GFLOP/s.
    assert roofline.roofline_bound(peak, bw, 50.0) == pytest.approx(100e9)
    assert roofline.bound_kind(peak, bw, 50.0) == "compute"
    assert roofline.roofline_fraction(4e9, peak, bw, 0.5) == pytest.approx(0.4)
    assert roofline.roofline_fraction(25e9, peak, bw, 50.0) == pytest.approx(0.25)


def test_summarise_on_hand_made_numbers():
    s = roofline.summarise(
        {"flops": 2e9, "bytes": 8e9, "transcendentals": 0.0},
        chunk_s=0.5,
        peak_flop_s=100e9,
        bandwidth_bytes_s=20e9,
    )
    assert s["intensity_flop_per_byte"] == pytest.approx(0.25)
    assert s["achieved_flop_s"] == pytest.approx(4e9)
    assert s["achieved_bytes_s"] == pytest.approx(16e9)
    assert s["bound_flop_s"] == pytest.approx(5e9)  # 0.25 x 20e9
    assert s["bound"] == "memory"
    assert s["roofline_fraction"] == pytest.approx(0.8)
    assert s["fraction_of_bandwidth"] == pytest.approx(0.8)


def test_corrected_chunk_cost_counts_each_month_with_its_branch():
    chunk = {"flops": 1000.0, "bytes": 5000.0, "transcendentals": 10.0}
    months = {
        "switch_month": {"flops": 100.0, "bytes": 400.0, "transcendentals": 2.0},
        "census": {0: 8, 1: 2},
        "branch_costs": {
            0: {"flops": 10.0, "bytes": 50.0, "transcendentals": 0.0},
            1: {"flops": 100.0, "bytes": 400.0, "transcendentals": 2.0},
        },
    }
    # Body counted once by XLA: 1000 - 100 + 8 x 10 + 2 x 100.
    once = roofline.corrected_chunk_cost(chunk, months, 10, multiplied=False)
    assert once["flops"] == pytest.approx(1180.0)
    assert once["bytes"] == pytest.approx(5000 - 400 + 8 * 50 + 2 * 400)
    # Body already multiplied by the trip count: 1000 - 10 x 100 + 280.
    times = roofline.corrected_chunk_cost(chunk, months, 10, multiplied=True)
    assert times["flops"] == pytest.approx(280.0)
    # No census: every month counted at the switch month's cost.
    plain = roofline.corrected_chunk_cost(
        chunk, {"switch_month": months["switch_month"]}, 10, multiplied=False
    )
    assert plain["flops"] == pytest.approx(1000 - 100 + 10 * 100)


def test_cost_of_accepts_dict_list_and_none():
    d = {"flops": 3.0, "bytes accessed": 8.0, "utilization0{}": 1.0}
    assert roofline.cost_of(d) == {"flops": 3.0, "bytes": 8.0, "transcendentals": 0.0}
    assert roofline.cost_of([d, d])["flops"] == 6.0
    assert roofline.cost_of(None) == {"flops": 0.0, "bytes": 0.0, "transcendentals": 0.0}
    assert roofline.cost_of([{}])["bytes"] == 0.0


def test_cost_analysis_of_a_tiny_jitted_function():
    a = jnp.ones((32, 32), jnp.float32)
    compiled = jax.jit(lambda x, y: jnp.tanh(x @ y) + 1.0).lower(a, a).compile()
    cost = roofline.cost_of(compiled.cost_analysis())
    assert cost["flops"] >= 2 * 32**3  # the matmul at least
    assert cost["bytes"] >= 3 * 32 * 32 * 4  # two operands read, one result written


def test_scan_trip_count_check_runs():
    check = roofline.toy_scan_check(trips=4)
    assert all(f > 0 for f in check["flops"])
    assert isinstance(check["multiplied"], bool)


def test_chunk_for_whole_lanes_within_limits():
    assert chunk_for(1, 4096) == 16
    assert chunk_for(16, 4096) == 16
    assert chunk_for(1000, 4096) == 1024  # 2.4 % padding
    assert chunk_for(1_000_000, 4096) == 4096
    assert chunk_for(10_000, 1024) == 1024
    # More than 10 % padding: equal chunks of whole lanes instead.
    assert chunk_for(100, 4096) == 112
    assert chunk_for(10_000, 4096) == 3344
    for runs in (1, 100, 1000, 5000, 10_000, 123_457):
        size = chunk_for(runs, 4096)
        assert size % 16 == 0 and 16 <= size <= 4096


def test_error_line_finds_the_exception_under_jax_notes():
    tb = (
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "    Industry(a)\n"
        "TypeError: Industry.__init__() missing 1 required positional argument: 'gdp'\n"
        "--------------------\n"
        "For simplicity, JAX has removed its internal frames from the traceback.\n"
    )
    assert error_line(tb).startswith("TypeError: Industry.__init__()")
    assert error_line("jax.errors.ConcretizationTypeError: x") == (
        "jax.errors.ConcretizationTypeError: x"
    )
    assert error_line("timed out") == "timed out"


# ---------------------------------------------------------------- module layout
def test_split_modules_keep_the_old_import_paths():
    # The bench is split into modules of one concern; what callers import from
    # abm.bench, abm.bench.measure, abm.bench.roofline and abm.bench.report stays there.
    import abm.bench.measure as measure

    for name in ("BenchPlan", "cli_main", "full_plan", "quick_plan", "run_bench", "tiny_plan"):
        assert callable(getattr(abm.bench, name)), name
    for mod in (measure, roofline, report):
        for name in mod.__all__:
            assert getattr(mod, name) is not None, (mod.__name__, name)
    for name in ("cpu_model", "cpu_seconds", "device_peak_mb", "machine", "peak_rss_mb"):
        assert callable(getattr(measure, name)), name
    for name in ("measure_peak_flops", "measure_bandwidth", "toy_scan_check", "MonthCosts"):
        assert callable(getattr(roofline, name)), name
    assert callable(report.format_table) and callable(report.write_plots)
    # One lane constant: the runner's.
    from abm.engine.runner import RUN_LANES

    assert chunk_for(1, 4096) == RUN_LANES
    assert abm.bench.scale_plan(abm.bench.tiny_plan(), 1e-6).by_runs[0][0] == RUN_LANES


def test_time_calls_times_each_call():
    from abm.bench.timing import time_calls

    calls = []
    times = time_calls(lambda: calls.append(1), 3)
    assert len(calls) == len(times) == 3 and all(t >= 0 for t in times)


# ---------------------------------------------------------------- the command
def test_bench_subcommand_parses():
    from abm.cli import build_parser

    args = build_parser().parse_args(
        ["bench", "--quick", "--json", "x.json", "--plots", "p", "--config", "c.yaml"]
    )
    assert (args.command, args.quick, args.json, args.plots, args.config) == (
        "bench",
        True,
        "x.json",
        "p",
        "c.yaml",
    )
    assert build_parser().parse_args(["bench"]).quick is False


def _finite_positive(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def test_tiny_bench_end_to_end(tmp_path, monkeypatch, capsys):
    pytest.importorskip("mesa")
    # The workers share the tests' compilation cache folder (programs other tests
    # compiled load from it); a tiny plan instead of quick.
    from conftest import JAX_CACHE

    monkeypatch.setenv("ABM_JAX_CACHE", JAX_CACHE)
    monkeypatch.setattr(abm.bench, "quick_plan", abm.bench.tiny_plan)
    out = tmp_path / "bench" / "tiny.json"
    args = argparse.Namespace(
        quick=True,
        json=str(out),
        plots=None,
        config=str(ROOT / "configs/scenarios/otl.yaml"),
        quiet=True,
        runs_scale=None,
    )
    assert abm.bench.cli_main(args) == 0
    printed = capsys.readouterr().out
    assert "Headline" in printed and "Roofline" in printed

    result = json.loads(out.read_text())
    for key in report.HEADLINE_KEYS:
        assert key in result, key
    for key in (
        "agent_steps_per_s",
        "runs_per_s",
        "ratio_vs_mesa",
        "ratio_vs_numpy",
        "roofline_fraction",
        "peak_rss_mb",
        "model_agents",
        "compile_s",
    ):
        assert _finite_positive(result[key]), (key, result[key], result["notes"])
    # Throughput is the whole model's (Germany 218 + Soviet agents); the peer ratios are
    # the Germany slice's alone, over the same 210 months as the peers run.
    from abm.config import load_scenario

    whole = load_scenario(ROOT / "configs/scenarios/otl.yaml").model()
    assert result["model"] == whole.name == "interwar"
    slices = whole.slices
    assert result["model_agents"] == whole.n_agents == sum(s.n_agents for s in slices.values())
    assert list(slices) == ["germany", "soviet"]
    assert result["n_months"] == whole.n_months == 210
    assert result["germany_agents"] == 218
    peers = result["peers"]
    assert peers["model"] == "interwar.germany" and peers["faction"] == "stalin"
    for name in ("abm", "numpy", "mesa"):
        assert (peers[name]["n_agents"], peers[name]["n_months"]) == (218, 210), name
    assert [r["n_agents"] for r in result["by_agents"]] == [whole.n_agents]
    assert result["roofline"]["model"] == "interwar"
    assert result["devices"]["count"] == 1
    for key in (
        "by_runs",
        "by_agents",
        "by_devices",
        "peers",
        "roofline",
        "machine",
        "versions",
        "date",
    ):
        assert result[key], key
    assert [r["runs"] for r in result["by_runs"]] == [16, 32]
    for r in result["by_runs"]:
        expected = r["runs"] * r["n_months"] * r["n_agents"] / r["seconds"]
        assert r["agent_steps_per_s"] == pytest.approx(expected)
        assert _finite_positive(r["peak_rss_mb"])
    roof = result["roofline"]
    assert roof["scan_body_counted"] in ("once", "n_months times")
    if roof["scan_body_counted"] == "once":  # 210 months instead of one
        assert roof["chunk_flops"] > roof["chunk_cost_xla"]["flops"]
    assert sum(roof["months"]["census"].values()) == result["n_months"]
    assert np.isclose(
        roof["roofline_fraction"],
        roof["achieved_flop_s"]
        / min(roof["peak_flop_s"], roof["intensity_flop_per_byte"] * roof["bandwidth_bytes_s"]),
    )
    # The war combat step's peers: the tiny plan's workload, division-weeks as agent-steps.
    war = result["war_peers"]
    assert (war["divisions"], war["sectors"], war["months"]) == (60, 6, 2)
    assert war["order"] == ["abm", "numpy", "mesa"] and not war["errors"]
    for name in ("ratio_vs_numpy", "ratio_vs_mesa"):
        assert _finite_positive(war[name]), (name, war[name], result["notes"])
    for name in war["order"]:
        assert (war[name]["n_agents"], war[name]["n_weeks"]) == (60, 8), name
    assert "War kernel peers" in printed and "war vs Mesa peer" in printed
    for name in ("throughput_vs_runs", "throughput_vs_agents", "peers", "war_peers"):
        png = out.parent / f"{name}.png"
        assert png.exists() and png.read_bytes()[:4] == b"\x89PNG", name


def test_report_with_nothing_measured_says_so(tmp_path):
    raw = {"mode": "quick", "config": "otl.yaml", "notes": ["peers not measured: x"]}
    result = report.assemble(raw)
    for key in report.HEADLINE_KEYS:
        assert key in result and result[key] is None, key
    assert result["war_peers"] is None
    text = report.format_table(result)
    assert "n/a" in text and "peers not measured" in text
    assert report.write_plots(result, tmp_path / "plots") == []
    result["wall_s"] = float("nan")
    report.write_json(result, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["wall_s"] is None


# ---------------------------------------------------------------- the war kernel's peers
def _war_spec(**war: object) -> dict:
    return {
        "config": str(ROOT / "configs/scenarios/otl.yaml"),
        "quiet": True,
        "peers_dir": str(ROOT / "benchmarks" / "peers"),
        "peer_reps": 2,
        "peer_target_s": None,
        "war": {"divisions": 40, "sectors": 4, "months": 2, "mode": "weekly", "chunk": 8, **war},
    }


def test_war_peers_timed_interleaved_on_alive_division_weeks(tmp_path):
    pytest.importorskip("mesa")
    from abm.bench.context import WorkerContext
    from abm.bench.war_peers import time_war_peers

    # Fixed run counts: abm's 20 runs are three chunks of 8 (the last padded), but only
    # the 20 runs' alive division-weeks count.
    spec = _war_spec(runs={"abm": 20, "numpy": 12, "mesa": 2})
    res = time_war_peers(WorkerContext(spec), spec)
    assert res["order"] == ["abm", "numpy", "mesa"] and res["errors"] == {}
    assert (res["divisions"], res["sectors"], res["months"], res["mode"]) == (40, 4, 2, "weekly")
    for name, runs in (("abm", 20), ("numpy", 12), ("mesa", 2)):
        imp = res[name]
        assert imp["runs"] == runs and len(imp["seconds"]) == 2
        assert (imp["n_agents"], imp["n_weeks"]) == (40, 8)
        steps = runs * 40 * 8  # every division starts with 2,000 men or more: alive
        assert imp["agent_steps_per_s_reps"] == pytest.approx([steps / s for s in imp["seconds"]])
        assert imp["agent_steps_per_s"] == pytest.approx(np.median(imp["agent_steps_per_s_reps"]))
    for name in ("numpy", "mesa"):
        ratio = res["abm"]["agent_steps_per_s"] / res[name]["agent_steps_per_s"]
        assert res[f"ratio_vs_{name}"] == pytest.approx(ratio)
        assert len(res[f"paired_ratios_vs_{name}"]) == 2

    # Run counts from pilots: abm's a whole number of chunks, the peers' within bounds.
    spec = _war_spec(mode="monthly", pilot={"numpy": 4, "mesa": 1}, bounds={"mesa": (1, 3)})
    spec["peer_target_s"], spec["peer_reps"] = 0.05, 1
    res = time_war_peers(WorkerContext(spec), spec)
    assert res["abm"]["runs"] % 8 == 0 and 1 <= res["mesa"]["runs"] <= 3
    assert all(_finite_positive(res[f"ratio_vs_{n}"]) for n in ("numpy", "mesa"))

    # The report: the Germany keys unchanged (None here), the war's beside them.
    result = report.assemble({"mode": "tiny", "notes": [], "war_peers": res})
    assert result["ratio_vs_numpy"] is None and result["ratio_vs_mesa"] is None
    assert result["war_peers"]["ratio_vs_mesa"] == res["ratio_vs_mesa"]
    text = report.format_table(result)
    assert "War kernel peers (40 divisions x 4 sectors x 2 months a run, monthly" in text
    assert f"war vs NumPy peer   x{res['ratio_vs_numpy']:,.3g}" in text
    assert [p.name for p in report.write_plots(result, tmp_path)] == ["war_peers.png"]
    report.write_json(result, tmp_path / "r.json")
    saved = json.loads((tmp_path / "r.json").read_text())["war_peers"]
    assert saved["ratio_vs_numpy"] == pytest.approx(res["ratio_vs_numpy"])
