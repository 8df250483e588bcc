"""Scenario configs: loading, resolution, hashing and every kind of refused input."""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.config import ConfigError, Scenario, load_scenario, parse_overrides
from abm.engine.priors import PRIOR_KINDS, Prior
from abm.models.interwar.germany.parameters import ParamDef, by_name, catalogue

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "configs" / "scenarios"
PRESETS = REPO / "configs" / "presets" / "leaders.yaml"
LEVERS = [p for p in catalogue() if p.kind == "lever"]
LEVER_NAMES = {p.name for p in LEVERS}
UNIT_RANGE = "[0, 1] (1)"  # every share-like lever


def otl() -> Scenario:
    return load_scenario(SCENARIOS / "otl.yaml")


def range_of(name: str) -> str:
    p = by_name()[name]
    return f"[{p.low:g}, {p.high:g}] ({p.unit})"


def write(root: Path, body: str, name: str = "s.yaml") -> Path:
    """A scenario file under root/scenarios with the real presets at the default path."""
    (root / "scenarios").mkdir(parents=True, exist_ok=True)
    (root / "presets").mkdir(exist_ok=True)
    shutil.copy(PRESETS, root / "presets" / "leaders.yaml")
    path = root / "scenarios" / name
    path.write_text(body, encoding="utf-8")
    return path


BASE = "scenario: test\nleader: stalin\n"


def refused(path: Path, *needles: str, overrides: Sequence[str] = ()) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(path, overrides)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


# ------------------------------------------------------------------ loading and resolution


def test_otl_and_trotsky_load() -> None:
    o, t = otl(), load_scenario(SCENARIOS / "trotsky.yaml")
    assert (o.name, o.leader, t.name, t.leader) == ("otl", "stalin", "trotsky", "trotsky")
    assert o.description and t.description
    assert list(o.priors) == [p.name for p in catalogue()]
    assert list(o.levers) == [p.name for p in LEVERS]
    assert o.calendar.label(0) == "1924-01" and o.calendar.end_label == "1936-12"
    assert o.run_defaults == {"runs": 2000, "seed": 0, "chunk_size": 1024}
    assert o.levers == {
        "comintern_united_front_line": 0.0,
        "united_front_uptake": 0.05,
        "third_period_start": 1928.5,
        "third_period_end": 1935.5,
    }
    for name, value in o.levers.items():
        assert o.priors[name] == Prior.fixed(value)
    for p in catalogue():
        if p.kind == "mechanism":
            assert o.priors[p.name] == p.prior


def test_trotsky_differs_from_otl_only_in_the_united_front_levers() -> None:
    o, t = otl(), load_scenario(SCENARIOS / "trotsky.yaml")
    differ = {n for n in o.priors if o.priors[n] != t.priors[n]}
    assert differ == {"comintern_united_front_line", "united_front_uptake"}
    assert t.levers["comintern_united_front_line"] == 1.0
    assert t.levers["united_front_uptake"] == 0.5
    assert o.config_hash() != t.config_hash()


def test_scenario_lever_overrides_preset(tmp_path: Path) -> None:
    path = write(tmp_path, "scenario: x\nleader: trotsky\nlevers: {united_front_uptake: 0.2}\n")
    s = load_scenario(path)
    assert s.levers["united_front_uptake"] == 0.2
    assert s.levers["comintern_united_front_line"] == 1.0  # still the preset's
    assert s.priors["united_front_uptake"] == Prior.fixed(0.2)


def test_defaults_when_optional_blocks_absent(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, BASE))
    assert s.run_defaults == {"runs": 1000, "seed": 0, "chunk_size": 1024}
    assert (s.calendar.label(0), s.calendar.end_label) == ("1924-01", "1936-12")
    assert s.description == "" and s.overrides == {}
    assert s.levers == otl().levers


def test_parameters_block_pins_or_replaces_priors(tmp_path: Path) -> None:
    body = BASE + (
        "parameters:\n"
        "  depression_onset: {kind: normal, mean: 1930.0, sd: 0.2}\n"
        "  recovery_months: 24\n"
        "  crisis_loading.SPD: 0\n"
    )
    s = load_scenario(write(tmp_path, body))
    assert s.priors["depression_onset"] == Prior("normal", {"mean": 1930.0, "sd": 0.2})
    assert s.priors["recovery_months"] == Prior.fixed(24.0)


def test_set_pins_mechanism_and_overrides_lever(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "levers: {united_front_uptake: 0.3}\n")
    s = load_scenario(path, ["depression_onset=1930.1", "united_front_uptake=0.7"])
    assert s.priors["depression_onset"] == Prior.fixed(1930.1)
    assert s.levers["united_front_uptake"] == 0.7
    assert s.priors["united_front_uptake"] == Prior.fixed(0.7)
    assert s.overrides == {"depression_onset": "1930.1", "united_front_uptake": "0.7"}
    as_mapping = load_scenario(path, {"depression_onset": "1930.1", "united_front_uptake": "0.7"})
    assert as_mapping.config_hash() == s.config_hash()


def test_set_leader_switches_preset() -> None:
    switched = load_scenario(SCENARIOS / "otl.yaml", ["leader=trotsky"])
    trotsky = load_scenario(SCENARIOS / "trotsky.yaml")
    assert switched.leader == "trotsky"
    assert switched.levers == trotsky.levers


def test_hash_stable_and_sensitive(tmp_path: Path) -> None:
    a, b = otl(), otl()
    assert a.resolved_text() == b.resolved_text()
    assert a.config_hash() == b.config_hash()
    assert len(a.config_hash()) == 64 and int(a.config_hash(), 16) >= 0
    for name in [p.name for p in catalogue()]:
        assert f"{name}:" in a.resolved_text()
    assert load_scenario(SCENARIOS / "otl.yaml", ["united_front_uptake=0.06"]).config_hash() != (
        a.config_hash()
    )
    assert load_scenario(SCENARIOS / "otl.yaml", ["depression_onset=1929.8"]).config_hash() != (
        a.config_hash()
    )
    # The description does not decide the runs, so it does not enter the hash.
    text = (SCENARIOS / "otl.yaml").read_text(encoding="utf-8")
    other = write(tmp_path, text.replace("description:", "description: 'X' #"), "otl.yaml")
    assert load_scenario(other).config_hash() == a.config_hash()


def test_prior_table_and_model() -> None:
    s = otl()
    table = s.prior_table()
    names = [p.name for p in catalogue()]
    assert table.n_params == len(names) and table.kind.shape == (len(names),)
    i = names.index("united_front_uptake")
    assert int(table.kind[i]) == PRIOR_KINDS["fixed"]
    assert float(table.a[i]) == pytest.approx(0.05)
    assert s.model().calendar == s.calendar


def test_parse_overrides() -> None:
    assert parse_overrides(["a=1", " b = 2.5 "]) == {"a": "1", "b": "2.5"}
    assert parse_overrides([]) == {}
    for bad, needle in [
        (["abc"], "NAME=VALUE"),
        (["=1"], "empty"),
        (["a="], "empty"),
        (["a=1", "a=2"], "twice"),
    ]:
        with pytest.raises(ConfigError, match=needle) as info:
            parse_overrides(bad)
        assert "--set" in str(info.value) and repr(bad[-1]) in str(info.value)


# ------------------------------------------------------------------ refused files


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "nope.yaml", "file not found", "scenario YAML file")


def test_directory(tmp_path: Path) -> None:
    refused(tmp_path, "is a directory")


def test_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"scenario: \xff\xfe\n")
    refused(path, "cannot read")


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("scenario: x\nleader: [stalin\n", ("malformed YAML", "line 3", "column")),
        ("scenario: x\n  leader: stalin\n", ("malformed YAML", "line 2", "column")),
        ("scenario: a\nscenario: b\nleader: stalin\n", ("duplicate key 'scenario'", "line 2")),
        ("- a\n- b\n", ("(top level)", "not a mapping", "['a', 'b']")),
        ("", ("(top level)", "not a mapping", "None")),
    ],
)
def test_malformed_yaml(tmp_path: Path, body: str, needles: tuple[str, ...]) -> None:
    refused(write(tmp_path, body), *needles)


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ("levres: {}\n", ("levres", "unknown top-level key", "did you mean 'levers'?", "run")),
        (
            "levers: {united_front_uptak: 0.1}\n",
            ("levers.united_front_uptak", "unknown lever", "did you mean 'united_front_uptake'?"),
        ),
        (
            "parameters: {depression_onst: 1930}\n",
            ("parameters.depression_onst", "did you mean 'depression_onset'?", "mechanism"),
        ),
        (
            "parameters: {united_front_uptake: 0.5}\n",
            ("parameters.united_front_uptake", "is a lever", "under 'levers:'"),
        ),
        (
            "levers: {depression_onset: 1930}\n",
            ("levers.depression_onset", "mechanism parameter", "under 'parameters:'"),
        ),
        (
            "parameters: {depression_onset: {kind: normall, mean: 1930, sd: 1}}\n",
            ("parameters.depression_onset.kind", "'normall'", "did you mean 'normal'?", "beta"),
        ),
        (
            "parameters: {depression_onset: {mean: 1930, sd: 1}}\n",
            ("parameters.depression_onset.kind", "missing prior kind", "uniform"),
        ),
    ],
)
def test_unknown_names_are_suggested(tmp_path: Path, extra: str, needles: tuple[str, ...]) -> None:
    refused(write(tmp_path, BASE + extra), *needles)


def test_unknown_lever_lists_allowed(tmp_path: Path) -> None:
    message = refused(write(tmp_path, BASE + "levers: {foo: 0.1}\n"), "levers.foo", "'foo'")
    for name in LEVER_NAMES:
        assert name in message


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ("levers: {united_front_uptake: 1.5}\n", ("1.5", "out of range", UNIT_RANGE)),
        ("levers: {united_front_uptake: -0.1}\n", ("-0.1", UNIT_RANGE)),
        ("levers: {united_front_uptake: '0.5'}\n", ("'0.5'", "not a number", UNIT_RANGE)),
        ("levers: {united_front_uptake: true}\n", ("True", "not a number (bool)", UNIT_RANGE)),
        ("levers: {united_front_uptake: [0.1]}\n", ("[0.1]", "not a number", UNIT_RANGE)),
        ("levers: {united_front_uptake: null}\n", ("None", "not a number", UNIT_RANGE)),
        ("levers: {united_front_uptake: .nan}\n", ("nan", "not a finite number", UNIT_RANGE)),
        ("levers: {united_front_uptake: .inf}\n", ("inf", "not a finite number", UNIT_RANGE)),
        ("levers: {united_front_uptake: 5e-2}\n", ("'5e-2'", "write 1.0e-3", UNIT_RANGE)),
    ],
)
def test_bad_lever_values(tmp_path: Path, extra: str, needles: tuple[str, ...]) -> None:
    refused(write(tmp_path, BASE + extra), "levers.united_front_uptake", *needles)


ONSET = "parameters.depression_onset"


@pytest.mark.parametrize(
    ("spec", "needles"),
    [
        ("1927", (ONSET, "1927", "out of range")),
        ("false", (ONSET, "False", "neither a number nor a prior")),
        ("'1930'", (ONSET, "'1930'", "neither a number nor a prior")),
        ("{kind: normal, mean: 1930}", (ONSET, "misses sd", "mean, sd")),
        ("{kind: normal, mean: 1930, sd: 1, sigma: 2}", (f"{ONSET}.sigma", "takes mean, sd")),
        ("{kind: normal, mean: x, sd: 1}", (f"{ONSET}.mean", "'x'", "not a number")),
        ("{kind: normal, mean: 1930, sd: -1}", (ONSET, "sd >= 0", "-1")),
        ("{kind: normal, mean: 1930, sd: .inf}", (f"{ONSET}.sd", "not a finite number")),
        ("{kind: fixed, value: 1940}", (f"{ONSET}.value", "1940", "outside the parameter's range")),
        ("{kind: uniform, low: 1928, high: 1930}", (f"{ONSET}.low", "1928", "outside")),
        ("{kind: uniform, low: 1931, high: 1930}", (ONSET, "low <= high")),
        (
            "{kind: triangular, low: 1929, mode: 1930, high: 1932}",
            (f"{ONSET}.high", "1932", "outside"),
        ),
    ],
)
def test_bad_priors(tmp_path: Path, spec: str, needles: tuple[str, ...]) -> None:
    message = refused(
        write(tmp_path, BASE + f"parameters:\n  depression_onset: {spec}\n"), *needles
    )
    if "outside" in message or "out of range" in message:
        assert range_of("depression_onset") in message


def test_reference_party_parameter_stays_zero(tmp_path: Path) -> None:
    refused(
        write(tmp_path, BASE + "parameters: {crisis_loading.SPD: 1.0}\n"),
        "parameters.crisis_loading.SPD",
        "reference",
        "0, or leave it out",
    )
    refused(SCENARIOS / "otl.yaml", "--set crisis_loading.SPD", overrides=["crisis_loading.SPD=2"])


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("leader: stalin\n", ("scenario", "missing required key")),
        ("scenario: x\n", ("leader", "missing required key")),
        ("scenario: x\nleader: stalni\n", ("leader", "'stalni'", "did you mean 'stalin'?")),
        ("scenario: x\nleader: lenin\n", ("leader", "unknown leader", "stalin, trotsky")),
        ("scenario: x y\nleader: stalin\n", ("scenario", "'x y'", "letters, digits")),
        ("scenario: a/b\nleader: stalin\n", ("scenario", "'a/b'", "letters, digits")),
        ("scenario: 3\nleader: stalin\n", ("scenario", "not a string")),
        (BASE + "description: [a]\n", ("description", "not a string")),
        (BASE + "presets: ../nope.yaml\n", ("presets", "../nope.yaml", "not found")),
        (BASE + "presets: 3\n", ("presets", "not a string")),
    ],
)
def test_bad_names_and_presets(tmp_path: Path, body: str, needles: tuple[str, ...]) -> None:
    refused(write(tmp_path, body), *needles)


def test_bad_preset_file_names_the_preset_file(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    presets = tmp_path / "presets" / "leaders.yaml"
    presets.write_text("stalin:\n  levers: {united_front_uptake: 2}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert str(presets) in message and "stalin.levers.united_front_uptake" in message
    assert UNIT_RANGE in message
    presets.write_text("stalin:\n  levers: {depression_onset: 1930}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mechanism parameter"):
        load_scenario(path)
    presets.write_text("stalin:\n  lever: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="did you mean 'levers'"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("calendar", "needles"),
    [
        ('{start: "1924-13"}', ("calendar.start", "'1924-13'", "YYYY-MM")),
        ('{start: "24-01"}', ("calendar.start", "'24-01'", "YYYY-MM")),
        ("{start: 1924-01-01}", ("calendar.start", "not a YYYY-MM string")),
        ('{end: "1923-12"}', ("calendar.end", "end is before start", "1924-01")),
        ('{end: "1935-12"}', ("calendar.end", "'1935-12'", "at or after 1936-12")),
        ('{start: "1937-01", end: "1938-01"}', ("calendar.start", "at or before 1936-12")),
        ('{begin: "1924-01"}', ("calendar.begin", "unknown calendar key", "start, end")),
        ("1924", ("calendar", "not a mapping")),
    ],
)
def test_bad_calendar(tmp_path: Path, calendar: str, needles: tuple[str, ...]) -> None:
    refused(write(tmp_path, BASE + f"calendar: {calendar}\n"), *needles)


@pytest.mark.parametrize(
    ("run", "needles"),
    [
        ("{runs: 0}", ("run.runs", "0", "out of range")),
        ("{runs: 1.5}", ("run.runs", "1.5", "not an integer")),
        ("{runs: true}", ("run.runs", "True", "not an integer (bool)")),
        ("{seed: -1}", ("run.seed", "-1", "[0, 4294967295]")),
        ("{seed: 4294967296}", ("run.seed", "4294967296", "[0, 4294967295]")),
        ("{chunk_size: 40000}", ("run.chunk_size", "40000", "[1, 32768]")),
        ("{chunk_size: 0}", ("run.chunk_size", "[1, 32768]")),
        ("{rusn: 10}", ("run.rusn", "did you mean 'runs'?", "runs, seed, chunk_size")),
        ("[1]", ("run", "not a mapping")),
    ],
)
def test_bad_run(tmp_path: Path, run: str, needles: tuple[str, ...]) -> None:
    refused(write(tmp_path, BASE + f"run: {run}\n"), *needles)


def test_run_bounds_accepted(tmp_path: Path) -> None:
    s = load_scenario(
        write(tmp_path, BASE + "run: {runs: 1, seed: 4294967295, chunk_size: 32768}\n")
    )
    assert s.run_defaults == {"runs": 1, "seed": 2**32 - 1, "chunk_size": 32768}


def test_third_period_order(tmp_path: Path) -> None:
    body = BASE + "levers: {third_period_end: 1928.0}\n"
    refused(write(tmp_path, body), "levers.third_period_end", "1928", "third_period_start")


@pytest.mark.parametrize(
    ("item", "needles"),
    [
        (
            "united_front_uptak=0.1",
            ("unknown override name", "did you mean 'united_front_uptake'?"),
        ),
        ("leadr=trotsky", ("did you mean 'leader'?",)),
        ("united_front_uptake=abc", ("--set united_front_uptake", "'abc'", UNIT_RANGE)),
        ("united_front_uptake=1.2", ("--set united_front_uptake", "1.2", "out of range")),
        ("united_front_uptake=nan", ("not a finite number",)),
        ("depression_onset=1940", ("--set depression_onset", range_of("depression_onset"))),
        ("leader=lenin", ("--set leader", "'lenin'", "stalin, trotsky")),
        ("leader=a b", ("--set leader", "letters, digits")),
    ],
)
def test_bad_overrides(item: str, needles: tuple[str, ...]) -> None:
    refused(SCENARIOS / "otl.yaml", *needles, overrides=[item])


def test_file_errors_come_before_override_errors(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "levers: {united_front_uptake: 3}\n")
    refused(path, "levers.united_front_uptake", overrides=["nonsense=1"])


# ------------------------------------------------------------------ property tests


def in_range(p: ParamDef) -> st.SearchStrategy[float]:
    return st.floats(p.low, p.high, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(values=st.fixed_dictionaries({p.name: in_range(p) for p in LEVERS}))
def test_in_range_levers_round_trip(
    tmp_path_factory: pytest.TempPathFactory, values: dict[str, float]
) -> None:
    start, end = sorted([values["third_period_start"], values["third_period_end"]])
    values = {**values, "third_period_start": start, "third_period_end": end}
    body = BASE + yaml.safe_dump({"levers": values})
    s = load_scenario(write(tmp_path_factory.mktemp("prop"), body))
    assert s.levers == values
    for name, value in values.items():
        assert s.priors[name] == Prior.fixed(value)
    via_set = load_scenario(SCENARIOS / "otl.yaml", [f"{k}={v!r}" for k, v in values.items()])
    assert via_set.levers == values


def out_of_range(p: ParamDef) -> st.SearchStrategy[float]:
    low, high = p.low, p.high
    return st.one_of(
        st.floats(max_value=low, exclude_max=True, allow_nan=False),
        st.floats(min_value=high, exclude_min=True, allow_nan=False),
        st.just(math.nan),
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_out_of_range_levers_always_refused(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    p = data.draw(st.sampled_from(LEVERS))
    value = data.draw(out_of_range(p))
    path = write(
        tmp_path_factory.mktemp("prop"), BASE + yaml.safe_dump({"levers": {p.name: value}})
    )
    message = refused(path, f"levers.{p.name}", f"[{p.low:g}, {p.high:g}]")
    assert "out of range" in message or "not a finite number" in message
    refused(SCENARIOS / "otl.yaml", f"--set {p.name}", overrides=[f"{p.name}={value!r}"])
