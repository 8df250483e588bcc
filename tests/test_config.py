"""Scenario configs: loading, resolution, hashing and every kind of refused input."""

from __future__ import annotations

import hashlib
import math
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.config import ConfigError, Scenario, load_scenario, parse_overrides
from abm.engine.priors import PRIOR_KINDS, Prior
from abm.models.interwar.parameters import ParamDef, by_name
from abm.models.interwar.parameters import interwar_catalogue as catalogue
from abm.models.interwar.soviet.constants import FACTIONS, POLICY_FACTIONS, POLICY_LEVERS

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "configs" / "scenarios"
PRESETS = REPO / "configs" / "presets" / "leaders.yaml"
STANCES = REPO / "configs" / "stances"
SHIPPED = ("otl", "trotsky", "troika", "bukharin")
LEVERS = [p for p in catalogue() if p.kind == "lever"]
LEVER_NAMES = {p.name for p in LEVERS}
UNIT_RANGE = "[0, 1] (1)"  # every share-like lever


def otl() -> Scenario:
    return load_scenario(SCENARIOS / "otl.yaml")


def range_of(name: str) -> str:
    p = by_name()[name]
    return f"[{p.low:g}, {p.high:g}] ({p.unit})"


def write(root: Path, body: str, name: str = "s.yaml") -> Path:
    """A scenario file under root/scenarios with the real presets and stances beside it."""
    (root / "scenarios").mkdir(parents=True, exist_ok=True)
    (root / "presets").mkdir(exist_ok=True)
    shutil.copy(PRESETS, root / "presets" / "leaders.yaml")
    if not (root / "stances").exists():
        shutil.copytree(STANCES, root / "stances")
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
    assert o.stance is None and o.stance_path is None
    assert list(o.priors) == [p.name for p in catalogue()]
    assert list(o.levers) == [p.name for p in LEVERS]
    assert o.calendar.label(0) == "1924-01" and o.calendar.end_label == "1941-06"
    assert o.run_defaults == {"runs": 2000, "seed": 0, "chunk_size": 1024}
    assert {k: o.levers[k] for k in ("united_front_uptake", "third_period_start")} == {
        "united_front_uptake": 0.3,  # the SPD's willingness: a German lever, no preset's
        "third_period_start": 1928.5,
    }
    assert o.levers["third_period_end"] == 1935.5
    shares = {f: o.levers[f"initial_power.{f}"] for f in FACTIONS}
    assert shares == {
        "stalin": 0.25,
        "trotsky": 0.2,
        "zinoviev": 0.25,
        "bukharin": 0.15,
        "others": 0.15,
    }
    assert o.levers["initial_apparatus.stalin"] == 0.5
    for name, value in o.levers.items():
        assert o.priors[name] == Prior.fixed(value)
    for p in catalogue():
        if p.kind == "mechanism":
            assert o.priors[p.name] == p.prior


def test_every_scenario_carries_every_factions_policy() -> None:
    raw = yaml.safe_load(PRESETS.read_text(encoding="utf-8"))
    policy = {entry["faction"]: entry["policy"] for entry in raw.values()}
    assert set(policy) == set(POLICY_FACTIONS)
    for name in SHIPPED:
        s = load_scenario(SCENARIOS / f"{name}.yaml")
        for base in POLICY_LEVERS:
            for faction in POLICY_FACTIONS:
                assert s.levers[f"{base}.{faction}"] == policy[faction][base], (name, base)
            mean = math.fsum(policy[f][base] for f in POLICY_FACTIONS) / len(POLICY_FACTIONS)
            assert s.levers[f"{base}.others"] == pytest.approx(mean, abs=1e-15)
    o = otl()
    assert o.levers["purge_severity.others"] == pytest.approx((1.0 + 0.3 + 0.5 + 0.1) / 4)
    assert o.levers["comintern_united_front_line.stalin"] == 0.0
    assert o.levers["comintern_united_front_line.trotsky"] == 1.0
    assert o.levers["ccp_independence.trotsky"] == 1.0


def test_trotsky_differs_from_otl_only_in_the_leaders_levers() -> None:
    o, t = otl(), load_scenario(SCENARIOS / "trotsky.yaml")
    differ = {n for n in o.priors if o.priors[n] != t.priors[n]}
    start = {f"{b}.{f}" for b in ("initial_power", "initial_apparatus") for f in FACTIONS}
    assert differ <= start
    assert {"initial_power.trotsky", "initial_power.stalin"} <= differ
    # The SPD's willingness is the same whoever rules the USSR (issue 13).
    assert t.levers["united_front_uptake"] == o.levers["united_front_uptake"] == 0.3
    assert t.levers["initial_power.trotsky"] == 0.35
    assert t.levers["initial_apparatus.trotsky"] == 0.3
    assert o.config_hash() != t.config_hash()


def test_troika_and_bukharin_start_their_faction_ahead() -> None:
    for name, faction in (("troika", "zinoviev"), ("bukharin", "bukharin")):
        s = load_scenario(SCENARIOS / f"{name}.yaml")
        assert s.leader == name and s.description
        power = {f: s.levers[f"initial_power.{f}"] for f in FACTIONS}
        assert max(power, key=lambda f: power[f]) == faction
        assert s.levers["initial_power.stalin"] < otl().levers["initial_power.stalin"]
    assert load_scenario(SCENARIOS / "troika.yaml").levers["initial_apparatus.zinoviev"] == 0.45
    assert load_scenario(SCENARIOS / "bukharin.yaml").levers["initial_apparatus.bukharin"] == 0.35


def test_scenario_lever_overrides_preset(tmp_path: Path) -> None:
    path = write(tmp_path, "scenario: x\nleader: trotsky\nlevers: {united_front_uptake: 0.2}\n")
    s = load_scenario(path)
    assert s.levers["united_front_uptake"] == 0.2
    assert s.levers["initial_power.trotsky"] == 0.35  # still the preset's
    assert s.priors["united_front_uptake"] == Prior.fixed(0.2)


def test_defaults_when_optional_blocks_absent(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, BASE))
    assert s.run_defaults == {"runs": 1000, "seed": 0, "chunk_size": 1024}
    assert (s.calendar.label(0), s.calendar.end_label) == ("1924-01", "1941-06")
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
    assert float(table.a[i]) == pytest.approx(0.3)
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


# ------------------------------------------------------------------ base names


def members(s: Scenario, base: str) -> dict[str, float]:
    return {f: s.levers[f"{base}.{f}"] for f in FACTIONS}


def test_base_name_sets_every_member_and_a_full_name_beats_it(tmp_path: Path) -> None:
    # In a scenario's levers, whatever the order of the keys.
    body = BASE + "levers:\n  purge_severity.trotsky: 0.7\n  purge_severity: 0.2\n"
    s = load_scenario(write(tmp_path, body))
    assert members(s, "purge_severity") == dict.fromkeys(FACTIONS, 0.2) | {"trotsky": 0.7}
    assert s.priors["purge_severity.bukharin"] == Prior.fixed(0.2)
    # On the command line.
    s = load_scenario(SCENARIOS / "otl.yaml", ["purge_severity=0", "purge_severity.stalin=0.4"])
    assert members(s, "purge_severity") == dict.fromkeys(FACTIONS, 0.0) | {"stalin": 0.4}
    # A later layer's base name beats an earlier layer's full name.
    body = BASE + "levers: {initial_power.trotsky: 0.9}\n"
    s = load_scenario(write(tmp_path / "b", body), ["initial_power=0.3"])
    assert members(s, "initial_power") == dict.fromkeys(FACTIONS, 0.3)


def test_member_mapping_sets_the_members_it_names(tmp_path: Path) -> None:
    body = BASE + "levers:\n  initial_power: {stalin: 0.6, others: 0.0}\n"
    s = load_scenario(write(tmp_path, body))
    assert members(s, "initial_power") == members(otl(), "initial_power") | {
        "stalin": 0.6,
        "others": 0.0,
    }
    body = BASE + "levers:\n  initial_power: {stalin: 0.6}\n  initial_power.stalin: 0.5\n"
    refused(write(tmp_path / "b", body), "initial_power.stalin", "set twice")
    refused(
        write(tmp_path / "c", BASE + "levers: {initial_power: {stalin: 2}}\n"),
        "levers.initial_power.stalin",
        "out of range",
    )


def test_base_name_of_mechanisms_in_parameters(tmp_path: Path) -> None:
    body = BASE + (
        "parameters:\n"
        "  personal_rule_propensity: {kind: uniform, low: 0.2, high: 0.3}\n"
        "  personal_rule_propensity.stalin: 0.9\n"
        "  crisis_loading: {NSDAP: 2.0, KPD: {kind: normal, mean: 1, sd: 0.5}}\n"
    )
    s = load_scenario(write(tmp_path, body))
    box = Prior("uniform", {"low": 0.2, "high": 0.3})
    for f in FACTIONS:
        want = Prior.fixed(0.9) if f == "stalin" else box
        assert s.priors[f"personal_rule_propensity.{f}"] == want
    assert s.priors["crisis_loading.NSDAP"] == Prior.fixed(2.0)
    assert s.priors["crisis_loading.KPD"] == Prior("normal", {"mean": 1.0, "sd": 0.5})
    assert s.priors["crisis_loading.DNVP"] == otl().priors["crisis_loading.DNVP"]


def test_base_name_of_party_terms_leaves_the_spd_reference_at_zero(tmp_path: Path) -> None:
    s = load_scenario(SCENARIOS / "otl.yaml", ["crisis_loading=1.5"])
    party = [p for p in catalogue() if p.base == "crisis_loading"]
    assert len(party) > 2
    for p in party:
        want = 0.0 if p.member == "SPD" else 1.5
        assert s.priors[p.name] == Prior.fixed(want), p.name
    body = BASE + "parameters: {agrarian_loading: {kind: normal, mean: 0.1, sd: 0.01}}\n"
    s = load_scenario(write(tmp_path, body))
    assert s.priors["agrarian_loading.SPD"] == Prior.fixed(0.0)
    assert s.priors["agrarian_loading.NSDAP"] == Prior("normal", {"mean": 0.1, "sd": 0.01})
    # Named one by one, the reference is still refused.
    refused(
        write(tmp_path / "b", BASE + "parameters: {agrarian_loading: {SPD: 0.1}}\n"),
        "parameters.agrarian_loading.SPD",
        "reference",
    )


def test_base_name_typos_are_suggested() -> None:
    refused(
        SCENARIOS / "otl.yaml",
        "--set personal_rule_propensty",
        "did you mean 'personal_rule_propensity'?",
        overrides=["personal_rule_propensty=0.5"],
    )
    refused(
        SCENARIOS / "otl.yaml",
        "did you mean 'purge_severity.stalin'?",
        overrides=["purge_severity.stlin=0.5"],
    )


# ------------------------------------------------------------------ stances


def stance_prior(name: str, parameter: str) -> Prior:
    raw = yaml.safe_load((STANCES / f"{name}.yaml").read_text(encoding="utf-8"))
    spec = dict(raw["parameters"][parameter])
    return Prior(spec.pop("kind"), {k: float(v) for k, v in spec.items()})


@pytest.mark.parametrize("scenario", SHIPPED)
@pytest.mark.parametrize("stance", [None, "optimistic", "skeptic"])
def test_every_shipped_scenario_loads_under_every_stance(scenario: str, stance: str | None) -> None:
    s = load_scenario(SCENARIOS / f"{scenario}.yaml", stance=stance)
    assert s.name == scenario and s.stance == stance
    assert list(s.priors) == [p.name for p in catalogue()]
    if stance is not None:
        assert s.stance_path == str(STANCES / f"{stance}.yaml")
        raw = yaml.safe_load((STANCES / f"{stance}.yaml").read_text(encoding="utf-8"))
        assert raw["description"]
        for parameter in raw["parameters"]:
            assert s.priors[parameter] == stance_prior(stance, parameter)


#: The per-lever policy divergences (``policy_divergence``, ``per: lever``).
DIVERGENCE = tuple(f"policy_divergence.{lever}" for lever in POLICY_LEVERS)


def test_stance_contents() -> None:
    o, sk = otl(), load_scenario(SCENARIOS / "otl.yaml", stance="skeptic")
    differ = {n for n in o.priors if o.priors[n] != sk.priors[n]}
    assert differ == {
        *DIVERGENCE,
        "comintern_export_effect",
        "ccp_survival_apart",
        "apparatus_pull",
        "personal_rule_propensity.trotsky",
        "sectarian_residual",
        # Germany's regime and vote (issue 13): what a united front can do.
        "strike_deterrence",
        "strike_united_front_gain",
        "front_turnout_loading",
        "front_left_loading",
        "front_nsdap_loading",
    }
    base = by_name()["sectarian_residual"].prior
    assert sk.priors["sectarian_residual"].args["low"] >= base.args["high"] / 2
    op = load_scenario(SCENARIOS / "otl.yaml", stance="optimistic")
    assert {n for n in o.priors if o.priors[n] != op.priors[n]} == {
        *DIVERGENCE,
        "comintern_export_effect",
        "ccp_survival_apart",
        "collective_purge_damping",
        "personal_rule_propensity.trotsky",
        "strike_deterrence",
        "strike_united_front_gain",
        "front_turnout_loading",
        "front_left_loading",
        "front_nsdap_loading",
    }
    assert op.levers == o.levers == sk.levers


def test_stance_resolution_order(tmp_path: Path) -> None:
    body = BASE + "parameters: {comintern_export_effect: 0.5}\n"
    path = write(tmp_path, body)
    s = load_scenario(path, stance="skeptic")
    pd = "policy_divergence.purge_severity"
    assert s.priors[pd] == stance_prior("skeptic", pd)
    assert s.priors["comintern_export_effect"] == Prior.fixed(0.5)  # scenario over stance
    s = load_scenario(path, ["comintern_export_effect=0.7", "policy_divergence=0.9"], "skeptic")
    assert s.priors["comintern_export_effect"] == Prior.fixed(0.7)  # --set over both
    assert all(s.priors[n] == Prior.fixed(0.9) for n in DIVERGENCE)  # a base name sets all
    # A base name in the scenario beats the stance's full name (a later layer).
    body = BASE + "parameters: {personal_rule_propensity: 0.2}\n"
    s = load_scenario(write(tmp_path / "b", body), stance="skeptic")
    assert s.priors["personal_rule_propensity.trotsky"] == Prior.fixed(0.2)


def test_scenario_default_stance_and_its_override(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "stance: optimistic\n")
    s = load_scenario(path)
    assert s.stance == "optimistic"
    pd = "policy_divergence.purge_severity"
    assert s.priors[pd] == stance_prior("optimistic", pd)
    assert load_scenario(path, stance="skeptic").stance == "skeptic"
    none = load_scenario(path, stance="none")
    assert none.stance is None
    assert none.priors == load_scenario(write(tmp_path / "b", BASE)).priors
    # A path in the scenario is relative to the scenario file.
    other = write(tmp_path, BASE + "stance: ../stances/skeptic.yaml\n", "p.yaml")
    assert load_scenario(other).stance == "skeptic"
    refused(
        write(tmp_path, BASE + "stance: skeptc\n", "t.yaml"), "stance", "did you mean 'skeptic'?"
    )


def test_stance_path_is_used_as_given(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "stance: mine\nparameters:\n  policy_divergence: 0.5\n  purge_severity_damping: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="did you mean") as info:
        load_scenario(SCENARIOS / "otl.yaml", stance=str(mine))
    assert str(mine) in str(info.value) and "parameters.purge_severity_damping" in str(info.value)
    mine.write_text("stance: mine\nparameters: {policy_divergence: 0.5}\n", encoding="utf-8")
    s = load_scenario(SCENARIOS / "otl.yaml", stance=mine)
    assert s.stance == "mine" and s.priors["policy_divergence.trade_openness"] == Prior.fixed(0.5)


def test_hash_differs_by_stance() -> None:
    texts = {
        stance: load_scenario(SCENARIOS / "otl.yaml", stance=stance).resolved_text()
        for stance in (None, "optimistic", "skeptic")
    }
    assert "stance: null" in texts[None] and "stance: skeptic" in texts["skeptic"]
    assert "model: interwar" in texts[None]
    hashes = {hashlib.sha256(t.encode()).hexdigest() for t in texts.values()}
    assert len(hashes) == 3
    assert load_scenario(SCENARIOS / "otl.yaml", stance="skeptic").config_hash() == (
        load_scenario(SCENARIOS / "otl.yaml", stance=STANCES / "skeptic.yaml").config_hash()
    )


def test_unknown_stance_lists_the_stances() -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(SCENARIOS / "otl.yaml", stance="skeptc")
    message = str(info.value)
    for needle in ("--stance", "unknown stance", "'skeptc'", "did you mean 'skeptic'?"):
        assert needle in message
    assert "none, optimistic, skeptic" in message and str(SCENARIOS / "otl.yaml") in message
    with pytest.raises(ConfigError, match="not found"):
        load_scenario(SCENARIOS / "otl.yaml", stance="nowhere.yaml")
    with pytest.raises(ConfigError, match="not a simple name"):
        load_scenario(SCENARIOS / "otl.yaml", stance="a/b")


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("parameters: {}\n", ("stance", "missing required key")),
        ("stance: skeptic\nparameters: {purge_severity: 0.5}\n", ("is a lever", "stance sets")),
        ("stance: skeptic\nparametres: {}\n", ("did you mean 'parameters'?",)),
        ("stance: other\n", ("stance", "'other'", "asked for as 'skeptic'")),
        (
            "stance: skeptic\nparameters: {policy_divergence: 1.5}\n",
            ("parameters.policy_divergence", "out of range", UNIT_RANGE),
        ),
    ],
)
def test_bad_stance_files(tmp_path: Path, body: str, needles: tuple[str, ...]) -> None:
    path = write(tmp_path, BASE)
    stance = tmp_path / "stances" / "skeptic.yaml"
    stance.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(path, stance="skeptic")
    message = str(info.value)
    assert str(stance) in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


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
        ("- a\n- b\n", ("(top level)", "not a mapping", "a list (the file's 8 characters")),
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
    assert "one of 17 levers" in message
    assert "germany_parameters.yaml, soviet_parameters.yaml" in message
    assert "NAME.MEMBER" in message


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
        (
            "scenario: x\nleader: lenin\n",
            ("leader", "unknown leader", "bukharin, stalin, troika, trotsky"),
        ),
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


def presets_with(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> tuple[Path, Path]:
    """A scenario beside a copy of the real presets, edited."""
    path = write(tmp_path, BASE)
    presets = tmp_path / "presets" / "leaders.yaml"
    raw = yaml.safe_load(PRESETS.read_text(encoding="utf-8"))
    edit(raw)
    presets.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path, presets


def preset_refused(tmp_path: Path, edit: Callable[[dict[str, Any]], None], *needles: str) -> str:
    path, presets = presets_with(tmp_path, edit)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert str(presets) in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


def test_bad_preset_file_names_the_preset_file(tmp_path: Path) -> None:
    def lever(value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda raw: raw["stalin"]["levers"].update(value)

    preset_refused(
        tmp_path / "a", lever({"united_front_uptake": 2}), "stalin.levers.united_front_uptake"
    )
    preset_refused(tmp_path / "b", lever({"depression_onset": 1930}), "mechanism parameter")
    preset_refused(
        tmp_path / "c",
        lambda raw: raw["stalin"].update(lever=raw["stalin"].pop("levers")),
        "did you mean 'levers'",
    )
    preset_refused(
        tmp_path / "d",
        lever({"initial_power": {"stalin": 0.3, "lenin": 0.1}}),
        "stalin.levers.initial_power.lenin",
        "unknown member of initial_power",
        "stalin, trotsky, zinoviev, bukharin, others",
    )


@pytest.mark.parametrize(
    ("edit", "needles"),
    [
        (lambda raw: raw.pop("bukharin"), ("(top level)", "no preset for the faction(s) bukharin")),
        (
            lambda raw: raw["troika"].update(faction="stalin"),
            ("troika.faction", "faction stalin already has a preset (stalin)"),
        ),
        (
            lambda raw: raw["troika"].update(faction="kamenev"),
            ("troika.faction", "'kamenev'", "stalin, trotsky, zinoviev, bukharin"),
        ),
        (lambda raw: raw["troika"].pop("faction"), ("troika.faction", "missing required key")),
        (lambda raw: raw["troika"].pop("policy"), ("troika.policy", "missing required key")),
        (
            lambda raw: raw["trotsky"]["policy"].pop("purge_severity"),
            ("trotsky.policy", "policy misses purge_severity", "every policy lever"),
        ),
        (
            lambda raw: raw["trotsky"]["policy"].update(purge_severty=0.1),
            ("trotsky.policy.purge_severty", "did you mean 'purge_severity'?"),
        ),
        (
            lambda raw: raw["trotsky"]["policy"].update({"purge_severity.trotsky": 0.1}),
            ("trotsky.policy.purge_severity.trotsky", "base levers only"),
        ),
        (
            lambda raw: raw["trotsky"]["policy"].update(united_front_uptake=0.1),
            ("trotsky.policy.united_front_uptake", "not a policy lever"),
        ),
        (
            lambda raw: raw["trotsky"]["policy"].update(purge_severity=1.5),
            ("trotsky.policy.purge_severity", "out of range", UNIT_RANGE),
        ),
        (
            lambda raw: raw["bukharin"]["levers"].update(purge_severity=0.0),
            ("bukharin.levers.purge_severity", "policy lever", "under its preset's 'policy:'"),
        ),
        (
            lambda raw: raw["bukharin"]["levers"].update({"ccp_independence.stalin": 1.0}),
            ("bukharin.levers.ccp_independence.stalin", "policy lever"),
        ),
    ],
)
def test_presets_must_define_every_faction_and_policy(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], needles: tuple[str, ...]
) -> None:
    preset_refused(tmp_path, edit, *needles)


@pytest.mark.parametrize(
    ("calendar", "needles"),
    [
        ('{start: "1924-13"}', ("calendar.start", "'1924-13'", "YYYY-MM")),
        ('{start: "24-01"}', ("calendar.start", "'24-01'", "YYYY-MM")),
        ("{start: 1924-01-01}", ("calendar.start", "not a YYYY-MM string")),
        ('{end: "1923-12"}', ("calendar.end", "end is before start", "1924-01")),
        ('{end: "1936-12"}', ("calendar.end", "'1936-12'", "at or after 1941-06")),
        ('{start: "1924-02"}', ("calendar.start", "'1924-02'", "at or before 1924-01")),
        ('{start: "1942-01", end: "1943-01"}', ("calendar.start", "at or before 1924-01")),
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
        ("leader=lenin", ("--set leader", "'lenin'", "bukharin, stalin, troika, trotsky")),
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
