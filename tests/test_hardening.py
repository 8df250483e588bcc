"""Hostile and careless inputs (issue 11, items 8, 10, 11 and 12): refused in one line.

* numbers beyond float32 in priors and levers (they would become inf in the model);
* YAML alias bombs and recursive aliases, refused before any value is built, and
  messages that render only as much of a value as they show;
* any file named as a scenario, preset or stance (a system file, a binary): the message
  names it and never echoes its content;
* ``abm bench --config nope.yaml``, ``memory_budget_mb`` beyond this machine's memory and
  ``ABM_CPU_DEVICES=abc``: one line, exit status 2;
* the Prefect flow's batch task keeps no result cache (a planted pickle under
  ``$PREFECT_HOME/storage`` is never read: see ``tests/test_flows.py`` for the rerun).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import abm.api
from abm.cli import main
from abm.config import ConfigError, load_scenario
from abm.config.errors import Loc, show
from abm.config.values import number
from abm.engine.priors import Prior

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "configs" / "scenarios"
OTL = SCENARIOS / "otl.yaml"
PRESETS = REPO / "configs" / "presets" / "leaders.yaml"
STANCES = REPO / "configs" / "stances"
BASE = "scenario: test\nleader: stalin\n"
#: What a system file might hold; no message may echo it.
#: Characters of a value a message shows; nodes aliases may add.
SHOWN = 80
MAX_ALIAS_EXPANSION = 10_000
SECRET = "root:x:0:0:SECRET-ROOT-LINE:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n"


def scenario_file(root: Path, body: str) -> Path:
    """A scenario under root/scenarios with the real presets and stances beside it."""
    (root / "scenarios").mkdir(parents=True, exist_ok=True)
    (root / "presets").mkdir(exist_ok=True)
    shutil.copy(PRESETS, root / "presets" / "leaders.yaml")
    if not (root / "stances").exists():
        shutil.copytree(STANCES, root / "stances")
    path = root / "scenarios" / "s.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def refused(path: Path, *needles: str) -> str:
    """The message of the ConfigError loading ``path`` raises; it names ``path``."""
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


# ---------------------------------------------------------------- item 8: float32 numbers


@pytest.mark.parametrize(
    ("spec", "field", "shown"),
    [
        ("{kind: normal, mean: 1930, sd: 1.0e+300}", "sd", "1e+300"),
        ("{kind: lognormal, mu: 0.0, sigma: 1.0e+39}", "sigma", "1e+39"),
        ("{kind: lognormal, mu: -4.0e+38, sigma: 1.0}", "mu", "-4e+38"),
    ],
)
def test_prior_numbers_beyond_float32_are_refused(
    tmp_path: Path, spec: str, field: str, shown: str
) -> None:
    """Before: accepted, stored as inf in the float32 table and clipped to a range end."""
    path = scenario_file(tmp_path, BASE + f"parameters:\n  depression_onset: {spec}\n")
    message = refused(
        path,
        str(path),
        f"parameters.depression_onset.{field}",
        shown,
        "not finite in float32",
        "magnitude at most 3.40282e+38",
    )
    assert message.count("\n") == 0


def test_prior_api_refuses_numbers_beyond_float32() -> None:
    with pytest.raises(ValueError, match="not finite in float32"):
        Prior("normal", {"mean": 0.0, "sd": 1e300})
    Prior("normal", {"mean": 0.0, "sd": 3e38})  # the largest float32 numbers stay valid


def test_a_number_beyond_float32_is_refused_where_no_range_applies() -> None:
    loc = Loc("f.yaml", "x")
    with pytest.raises(ConfigError, match=r"f\.yaml: x: not finite in float32.*1e\+39"):
        number(1e39, loc)
    assert number(-3.4e38, loc) == -3.4e38


def test_bench_with_a_missing_config_exits_2_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "--quick", "--config", "nope.yaml"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error: nope.yaml") and "file not found" in err
    assert err.count("\n") == 0


def test_run_bench_refuses_a_missing_config_before_starting_workers() -> None:
    from abm.bench import run_bench, tiny_plan

    with pytest.raises(ConfigError, match=r"nope\.yaml.*file not found"):
        run_bench(tiny_plan(), config="nope.yaml", quiet=True)


# ---------------------------------------------------------------- item 11: YAML bombs


def billion_laughs(levels: int = 9) -> str:
    """Nine levels of ten aliases: 10**9 strings once expanded."""
    rows = ["&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "[" + ", ".join(rows) + "]"


@pytest.mark.parametrize("key", ["description", "levers", "parameters"])
def test_an_alias_bomb_under_a_valid_key_is_refused(tmp_path: Path, key: str) -> None:
    """Before: a minute and gigabytes (or a MemoryError) building and showing it."""
    path = scenario_file(tmp_path, BASE + f"{key}: {billion_laughs()}\n")
    message = refused(path, str(path), "refused: aliases (*name) would expand", "YAML at line")
    assert f"at most {MAX_ALIAS_EXPANSION:,} nodes" in message
    assert len(message) < 400


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, BASE + "description: &loop [*loop]\n")
    refused(path, str(path), "refers to its own anchor")


def test_ordinary_anchors_and_merge_keys_still_load(tmp_path: Path) -> None:
    """The limit leaves room for ordinary anchors: one value reused, a merged mapping."""
    body = (
        BASE + "levers: &lv\n  united_front_uptake: &u 0.3\n"
        "parameters:\n  depression_onset: {<<: {kind: normal}, mean: 1930, sd: 1}\n"
    )
    sc = load_scenario(scenario_file(tmp_path, body))
    assert sc is not None
    reuse = BASE + "levers:\n  united_front_uptake: &u 0.25\n  initial_power.others: *u\n"
    assert load_scenario(scenario_file(tmp_path, reuse)) is not None


def test_an_alias_expansion_just_over_the_limit_is_refused_and_under_it_passes(
    tmp_path: Path,
) -> None:
    """The limit counts the nodes aliases add: each ``*b`` of a list of 1,109 numbers
    adds 1,110 nodes (the list and its items)."""
    from abm.config.values import read_mapping

    def doc(items: int, copies: int) -> Path:
        path = tmp_path / f"d{items}x{copies}.yaml"
        path.write_text(
            "base: &b [" + ", ".join(["1"] * items) + "]\n"
            "copies: [" + ", ".join(["*b"] * copies) + "]\n",
            encoding="utf-8",
        )
        return path

    # 9 aliases of a list of 1,110 nodes add 9 x 1,110 = 9,990 nodes.
    assert len(read_mapping(doc(1109, 9), "d", "a file")["copies"]) == 9
    # 10 aliases of it add 11,100.
    with pytest.raises(ConfigError, match="would expand the document by 11,100 nodes"):
        read_mapping(doc(1109, 10), "d", "a file")


class _Counted:
    """An element whose ``repr`` counts its calls."""

    calls = 0

    def __repr__(self) -> str:
        _Counted.calls += 1
        return "c"


def test_show_renders_only_what_it_shows() -> None:
    """Before: ``repr`` of the whole value (the alias bomb's 10**9 strings), then a cut."""
    _Counted.calls = 0
    text = show([_Counted() for _ in range(100_000)])
    assert len(text) <= SHOWN and text.endswith("...")
    assert _Counted.calls <= SHOWN  # not 100,000
    nested: Any = ["lol"] * 10
    for _ in range(8):
        nested = [nested] * 10  # 10**9 strings once expanded
    assert show(nested).startswith("[[[[[[[[['lol', 'lol'") and len(show(nested)) == SHOWN
    deep: dict[str, Any] = {}
    cur = deep
    for _ in range(100_000):
        cur["k"] = {}
        cur = cur["k"]
    assert len(show(deep)) == SHOWN
    assert show(10**5000) == "<an integer of 5000 digits>"  # repr would raise ValueError


@pytest.mark.parametrize(
    "value",
    [1, 1.5, "abc", "x" * 200, None, True, {"kind": "normal", "sd": 2}, (1,), set(), [[]]],
)
def test_show_is_repr_cut_to_80_characters(value: Any) -> None:
    text = repr(value)
    assert show(value) == (text if len(text) <= SHOWN else text[: SHOWN - 3] + "...")


# ------------------------------------------------ item 11: files named, never echoed


def _system_like(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "etc" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(SECRET, encoding="utf-8")
    return path


def _no_echo(message: str, path: Path) -> None:
    assert str(path) in message, message
    for piece in ("SECRET-ROOT-LINE", "root:x", "daemon"):
        assert piece not in message, message


def test_a_system_file_as_scenario_is_named_not_echoed(tmp_path: Path) -> None:
    path = _system_like(tmp_path, "passwd")
    _no_echo(refused(path, "not a mapping", "not shown"), path)


def test_a_binary_file_as_scenario_is_named_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "image.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00SECRET-ROOT-LINE\xff")
    _no_echo(refused(path, "cannot read"), path)


def test_a_system_file_as_presets_is_named_not_echoed(tmp_path: Path) -> None:
    target = _system_like(tmp_path, "passwd.yaml")
    path = scenario_file(tmp_path, BASE + f"presets: {target}\n")
    _no_echo(refused(path, "not a mapping"), target)


def test_a_system_file_as_stance_is_named_not_echoed(tmp_path: Path) -> None:
    target = _system_like(tmp_path, "group.yaml")
    path = scenario_file(tmp_path, BASE + f"stance: {target}\n")
    _no_echo(refused(path, "not a mapping"), target)


def test_a_system_file_as_stance_on_the_command_line_is_named_not_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _system_like(tmp_path, "shadow.yaml")
    code = main(["run", str(OTL), "--stance", str(target), "--runs", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    _no_echo(err, target)


# ---------------------------------------------------------------- item 12: one line, exit 2


def _sweep(tmp_path: Path, **body: Any) -> Path:
    data: dict[str, Any] = {
        "sweep": "test",
        "scenario": str(OTL),
        "vary": {"purge_severity": {"low": 0.0, "high": 1.0}},
        "design": {"kind": "grid", "points_per_dim": 2},
        "runs_per_point": 4,
        **body,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _machine_mib() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


def test_a_memory_budget_beyond_this_machine_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: accepted, then batches sized for memory the machine does not have."""
    from abm.sweep import load_sweep

    over = _machine_mib() + 1
    path = _sweep(tmp_path, memory_budget_mb=over)
    with pytest.raises(ConfigError, match=r"memory_budget_mb: more than this machine's memory"):
        load_sweep(path)
    out = tmp_path / "out.zarr"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"got {over}" in err and "memory_budget_mb" in err
    # Within the machine's memory (and the default when not given): accepted.
    assert load_sweep(_sweep(tmp_path, memory_budget_mb=512)).memory_budget_mb == 512


def test_a_device_count_that_is_not_a_number_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the command ran")

    monkeypatch.setattr(abm.api, "info", never)
    monkeypatch.setenv("ABM_CPU_DEVICES", "abc")
    assert main(["info"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error: $ABM_CPU_DEVICES='abc'") and err.count("\n") == 0


# ---------------------------------------------------------------- item 10: no result cache


def test_the_batch_task_keeps_no_result_that_prefect_would_deserialise() -> None:
    """Prefect loads a stored result with the serializer its file names (pickle too):
    the batch task must neither persist nor look up results (no cache key at all)."""
    from prefect.cache_policies import NO_CACHE

    from abm.service.flow import json_safe, sweep_batch, sweep_batches, sweep_flow

    assert sweep_batch.cache_policy is NO_CACHE
    assert sweep_batch.persist_result is False
    assert sweep_batches.persist_result is False and sweep_flow.persist_result is False
    row = {"batch": 1, "start": 2, "stop": 4, "wall_s": 0.5, "skipped": False, "worker": "h:1"}
    assert json.loads(json.dumps(json_safe(row))) == row
    with pytest.raises(TypeError, match="not a JSON scalar"):
        json_safe({"x": object()})
