"""One name per thing: short parameter names, and variants whose ids are misspelled.

A behavioural parameter may be written `noise` or `parameters.noise` wherever a field is
named (`--set`, `--sweep`, a sweep's `params:`, `calibrate --params`). An item of a variant
that `extends:` a base and matches no base id is a new item only when it is complete;
otherwise it is a typo, and the message names the nearest id of the base.
"""

from pathlib import Path

import pytest
import yaml
from hostile import problems

from sim.batching import plan_batch
from sim.cli.main import main
from sim.errors import ScenarioError
from sim.evaluate.calibrate import parse_params
from sim.scenario.loader import load_scenario, long_key

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"


def variant(tmp_path: Path, body: dict) -> Path:
    path = tmp_path / "variant.yaml"
    path.write_text(f"extends: {BASE}\n" + yaml.safe_dump(body, sort_keys=False))
    return path


# --- item 6: short parameter names ---------------------------------------------------------


def test_short_and_long_parameter_names_set_the_same_field():
    short = load_scenario(BASE, ["noise=0.3"])
    long = load_scenario(BASE, ["parameters.noise=0.3"])
    assert short.parameters.noise == long.parameters.noise == 0.3
    assert short.parameters == long.parameters
    assert load_scenario(BASE).parameters.noise != 0.3  # the override did something


def test_only_bare_parameter_names_are_lengthened():
    assert long_key("noise") == "parameters.noise"
    assert long_key("parameters.noise") == "parameters.noise"
    assert long_key("name") == "name"  # a top-level field keeps its place
    assert long_key("grievances.schengen.weight") == "grievances.schengen.weight"
    assert long_key("nois") == "nois"


def test_a_misspelled_short_name_suggests_the_long_one():
    (line,) = problems(BASE, ["nois=0.3"])
    assert line == "--set nois=0.3: nois: unknown field (did you mean `parameters.noise`?)"


def test_a_parameter_at_the_top_of_a_file_suggests_its_block(tmp_path):
    path = variant(tmp_path, {"noise": 0.3})
    (line,) = problems(path)
    assert "noise: unknown field (did you mean `parameters.noise`?)" in line


def test_a_top_level_typo_still_suggests_the_top_level_field(tmp_path):
    path = variant(tmp_path, {"descripton": "x"})
    (line,) = problems(path)
    assert "(did you mean `description`?)" in line


def test_short_names_sweep_from_the_command_line_and_from_the_file(tmp_path):
    cli = plan_batch(BASE, runs=2, sweeps=["noise=0.1,0.4"])
    assert [p.scenario.parameters.noise for p in cli.points] == [0.1, 0.4]
    path = variant(tmp_path, {"batch": {"sweep": {"params": {"w_ties": [0.5, 2.0]}}}})
    filed = plan_batch(path, runs=2)
    assert [p.scenario.parameters.w_ties for p in filed.points] == [0.5, 2.0]


def test_calibrate_takes_the_long_name_too():
    assert parse_params(["parameters.noise=0.1:0.5"]) == parse_params(["noise=0.1:0.5"])
    with pytest.raises(ScenarioError):
        parse_params(["parameters.nois"])


# --- item 7: ids in variants ----------------------------------------------------------------


def test_a_misspelled_grievance_id_names_the_base_id(tmp_path):
    path = variant(tmp_path, {"grievances": [{"id": "turkey-netherland", "weight": 0}]})
    (line,) = problems(path)
    assert line == (
        f"{path}:3: grievances[0].id: no grievance 'turkey-netherland' in the base scenario"
        " (did you mean `turkey-netherlands`?)"
    )


def test_a_member_code_is_found_through_the_members_name(tmp_path):
    path = variant(tmp_path, {"members": [{"code": "UK", "salience": 0.2}]})
    (line,) = problems(path)
    assert "members[0].code: no member 'UK' in the base scenario (did you mean `GB`?)" in line


def test_every_typo_of_a_variant_is_reported_in_one_pass(tmp_path):
    body = {
        "grievances": [{"id": "turkey-netherland", "weight": 0}],
        "members": [{"code": "UK", "salience": 0.2}],
    }
    lines = problems(variant(tmp_path, body))
    assert len(lines) == 2
    assert "turkey-netherlands" in lines[0] and "`GB`" in lines[1]


def test_an_incomplete_new_item_far_from_every_id_says_it_is_incomplete(tmp_path):
    path = variant(tmp_path, {"members": [{"code": "ZZ", "salience": 0.2}]})
    (line,) = problems(path)
    assert "no member 'ZZ' in the base scenario, and as a new member it is incomplete" in line
    assert "name: required field is missing" in line


def test_a_complete_new_item_is_added_even_if_its_id_is_near_another(tmp_path):
    base = load_scenario(BASE)
    grievance = {
        "id": "turkey-netherland",  # near `turkey-netherlands`, but complete: it is new
        "members": {"codes": ["TR"]},
        "candidate": "rutte",
        "weight": 0.2,
        "assumption": True,
    }
    sc = load_scenario(variant(tmp_path, {"grievances": [grievance]}))
    ids = [g.id for g in sc.grievances]
    assert ids == [*(g.id for g in base.grievances), "turkey-netherland"]


def test_an_existing_id_is_still_merged_key_by_key(tmp_path):
    path = variant(tmp_path, {"grievances": [{"id": "turkey-netherlands", "weight": 0}]})
    (g,) = [g for g in load_scenario(path).grievances if g.id == "turkey-netherlands"]
    assert g.weight == 0


def test_the_cli_prints_the_suggestion_as_one_line_with_status_2(tmp_path, capsys):
    path = variant(tmp_path, {"grievances": [{"id": "turkey-netherland", "weight": 0}]})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "did you mean `turkey-netherlands`?" in err[0]
