"""The model registry and scenarios that name their model (no simulation: fast)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from abm.config import ConfigError, load_scenario
from abm.config.names import active_model, catalogue_file, levers
from abm.engine.compose import CompositionError
from abm.errors import InputError
from abm.models import registry

REPO = Path(__file__).resolve().parents[1]
OTL = REPO / "configs" / "scenarios" / "otl.yaml"


def _scenario(root: Path, model: str | None) -> Path:
    (root / "presets").mkdir(exist_ok=True)
    shutil.copy(REPO / "configs" / "presets" / "leaders.yaml", root / "presets")
    text = OTL.read_text(encoding="utf-8")
    if model is not None:
        text = text.replace("scenario: otl\n", f"scenario: otl\nmodel: {model}\n", 1)
    (root / "scenarios").mkdir(exist_ok=True)
    path = root / "scenarios" / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_model_is_an_input_error_naming_the_registered_ones():
    with pytest.raises(InputError, match="registered models: interwar"):
        registry.entry("interwr")


def test_a_scenario_names_its_model_and_runs_its_catalogue(tmp_path):
    sc = load_scenario(_scenario(tmp_path, "interwar_example"))
    assert sc.model_name == "interwar_example"
    names = [p.name for p in registry.catalogue("interwar_example")]
    assert set(sc.priors) == set(names)
    assert any(p.slice == "example" for p in registry.catalogue("interwar_example"))
    assert sc.prior_table().kind.shape == (len(names),)
    # The resolved text (and so the config hash) records the model.
    assert "model: interwar_example" in sc.resolved_text()
    assert sc.config_hash() != load_scenario(OTL).config_hash()


def test_a_scenario_without_model_runs_the_default_with_the_same_hash(tmp_path):
    assert load_scenario(_scenario(tmp_path, None)).model_name == "interwar"
    assert load_scenario(_scenario(tmp_path, "interwar")).config_hash() == (
        load_scenario(_scenario(tmp_path, None)).config_hash()
    )


def test_an_unknown_model_in_a_scenario_names_the_file_and_the_choices(tmp_path):
    path = _scenario(tmp_path, "interwr")
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    text = str(err.value)
    assert str(path) in text and "model" in text and "interwar_example" in text
    assert "did you mean 'interwar'" in text


def test_a_parameter_of_another_model_is_refused_in_this_one(tmp_path):
    path = _scenario(tmp_path, None)
    with pytest.raises(ConfigError, match="emigre_hazard_base"):
        load_scenario(path, ["emigre_hazard_base=0.01"])
    sc = load_scenario(_scenario(tmp_path, "interwar_example"), ["emigre_hazard_base=0.01"])
    assert sc.priors["emigre_hazard_base"].args["value"] == pytest.approx(0.01)


def test_names_and_files_follow_the_active_model():
    assert catalogue_file("purge_severity") == "soviet_parameters.yaml"
    assert catalogue_file("crisis_loading.NSDAP") == "germany_parameters.yaml"
    assert "emigre_hazard_nazi" not in levers() and "emigre_hazard_nazi" not in (
        registry.param_owner("interwar")
    )
    with active_model("interwar_example"):
        assert catalogue_file("emigre_hazard_base") == "example_parameters.yaml"


def test_a_wired_port_drops_the_parameter_it_supersedes():
    # Germany's own lever; the Soviet slice's per-faction lines keep the base name.
    interwar = {p.name for p in registry.catalogue("interwar")}
    germany_alone = {p.name for p in registry.slice_defs("interwar")[0].catalogue()}
    assert "comintern_united_front_line" in germany_alone
    assert "comintern_united_front_line" not in interwar
    assert "comintern_united_front_line.trotsky" in interwar


def test_build_options_scale_a_slice_and_unknown_slices_are_refused():
    one = registry.build_model("interwar")
    two = registry.build_model("interwar", None, {"germany": {"replicas": 2}})
    g1, g2 = one.slices["germany"], two.slices["germany"]
    assert g2.dim_sizes["bloc"] == 2 * g1.dim_sizes["bloc"]
    assert two.n_agents - one.n_agents == g1.dim_sizes["bloc"]
    assert "constituency" not in g2.dim_coords  # replicas split the historical map
    with pytest.raises(CompositionError, match="germny"):
        registry.build_model("interwar", None, {"germny": {"replicas": 2}})
