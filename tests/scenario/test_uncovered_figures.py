"""Every figure cites a source or is an assumption: an `assumption:` list names the figures
it covers, and a figure it leaves out of a block that cites no source is an error, named
by its field (`grievances[0].weight: cite a source or list it in assumption`)."""

import pytest
from hostile import problems

from sim.scenario.loader import load_scenario
from tests.scenario import test_member_table as table
from tests.scenario.test_bad_input import line_of, mutate, write

MESSAGE = "cite a source or list it in assumption"


def test_a_grievance_assuming_another_field_leaves_its_weight_uncovered(tmp_path):
    text = mutate(
        "    weight: 0.3\n    source: memo\n", "    weight: 0.3\n    assumption: [members]\n"
    )
    path = write(tmp_path, text)
    line = line_of(text, "weight: 0.3")
    assert problems(path) == [f"{path}:{line}: grievances[0].weight: {MESSAGE}"]


def test_a_member_names_each_uncovered_figure(tmp_path):
    old = "    salience: 0.5\n    attributes: {region: south}\n    assumption: true\n"
    text = mutate(old, old.replace("assumption: true", "assumption: [name]"))
    path = write(tmp_path, text)
    found = problems(path)
    assert found == [
        f"{path}:{line_of(text, 'capability: 0.4')}: members[2].capability: {MESSAGE}",
        f"{path}:{line_of(text, 'salience: 0.5')}: members[2].salience: {MESSAGE}",
    ]


def test_changed_parameters_need_covering_too(tmp_path):
    text = mutate(
        "  lift_threshold: -0.2\n  source: memo\n",
        "  lift_threshold: -0.2\n  assumption: [noise]\n",
    )
    path = write(tmp_path, text)
    # object_threshold and lift_threshold are at their defaults: no figure to cover
    assert load_scenario(path).parameters.noise == 0.2
    found = problems(write(tmp_path, text.replace("noise: 0.2", "noise: 0.2\n  w_pref: 2")))
    assert found == [f"{path}:{line_of(text, 'noise: 0.2') + 1}: parameters.w_pref: {MESSAGE}"]


@pytest.mark.parametrize(
    "covered",
    [
        "    weight: 0.3\n    assumption: [weight]\n",
        "    weight: 0.3\n    assumption: true\n",
        "    weight: 0.3\n    source: memo\n    assumption: [members]\n",
    ],
)
def test_a_covered_figure_passes(tmp_path, covered):
    text = mutate("    weight: 0.3\n    source: memo\n", covered)
    assert load_scenario(write(tmp_path, text)).grievances[0].weight == 0.3


def test_a_set_value_is_covered_but_the_rest_is_not(tmp_path):
    text = mutate(
        "    weight: 0.3\n    source: memo\n", "    weight: 0.3\n    assumption: [members]\n"
    )
    path = write(tmp_path, text)
    assert load_scenario(path, ["grievances.cc-vs-alpha.weight=0.2"]).grievances[0].weight == 0.2
    old = "    salience: 0.5\n    attributes: {region: south}\n    assumption: true\n"
    path = write(tmp_path, mutate(old, old.replace("assumption: true", "assumption: [salience]")))
    found = problems(path, ["members.CC.salience=0.1"])
    assert len(found) == 1 and f"members[2].capability: {MESSAGE}" in found[0], found


def test_a_table_row_assuming_capability_leaves_salience_uncovered(tmp_path):
    rows = table.TABLE.replace(
        "CC,Cland,0.4,0.5,south,,,true", "CC,Cland,0.4,0.5,south,,,capability"
    )
    path = table.write(tmp_path, table=rows)
    assert problems(path) == [f"{tmp_path / 'members.csv'}:4: salience: {MESSAGE}"]
    rows = table.TABLE.replace(
        "CC,Cland,0.4,0.5,south,,,true", "CC,Cland,0.4,0.5,south,,,capability;salience"
    )
    assert load_scenario(table.write(tmp_path, table=rows)).members[2].assumption == [
        "capability",
        "salience",
    ]
