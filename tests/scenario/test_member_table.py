"""Members read from a CSV table beside the scenario (`members_table:`).

The table loads into the same members YAML would give; YAML `members:` and `extends:`
variants override rows by code; each problem of the table is one line
`file.csv:row: column: problem`, exit status 2, no traceback.
"""

from pathlib import Path

import pytest
from hostile import problems

from sim.cli.main import main
from sim.scenario.loader import load_scenario

SCENARIO = """\
name: table-contest
sources:
  - id: press
    title: Press release
  - id: memo
    title: Internal memo
calendar:
  start: 2024-01-01
  deadline: 2024-06-30
  last_round: 2024-06-30
  source: press
candidates:
  - id: alpha
    name: Alpha Person
    home: AA
    source: press
  - id: beta
    name: Beta Person
    home: BB
    source: press
members_table: members.csv
preferences:
  - id: south-likes-beta
    members: {region: south}
    candidate: beta
    affinity: 0.4
    source: memo
"""

TABLE = """\
code,name,capability,salience,region,eu,source,assumption
AA,Aland,0.9,0.8,north,true,press,false
BB,Bland,0.6,0.7,south,false,press;memo,
CC,Cland,0.4,0.5,south,,,true
"""


def write(folder: Path, table: str = TABLE, scenario: str = SCENARIO) -> Path:
    (folder / "members.csv").write_text(table, encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(scenario, encoding="utf-8")
    return path


def test_table_loads_as_members(tmp_path):
    sc = load_scenario(write(tmp_path))
    assert [m.code for m in sc.members] == ["AA", "BB", "CC"]
    aa, bb, cc = sc.members
    assert (aa.capability, aa.salience) == (0.9, 0.8)
    assert aa.attributes == {"region": "north", "eu": True}
    assert bb.source_ids() == ["press", "memo"]
    assert cc.attributes == {"region": "south"}  # an empty cell is an absent attribute
    assert cc.assumption is True


def test_yaml_members_override_rows_by_code_and_add_new_ones(tmp_path):
    text = SCENARIO + (
        "members:\n"
        "  - code: BB\n    salience: 0.2\n    source: memo\n"
        "  - code: DD\n    name: Dland\n    capability: 0.3\n    salience: 0.3\n"
        "    assumption: true\n"
    )
    sc = load_scenario(write(tmp_path, scenario=text))
    by = {m.code: m for m in sc.members}
    assert by["BB"].salience == 0.2 and by["BB"].capability == 0.6
    assert list(by) == ["AA", "BB", "CC", "DD"]


def test_a_variant_overrides_a_table_member(tmp_path):
    base = write(tmp_path)
    (tmp_path / "what-if").mkdir()
    variant = tmp_path / "what-if" / "v.yaml"
    variant.write_text(
        "extends: ../scenario.yaml\nmembers:\n  - code: AA\n    capability: 0.1\n"
        "    assumption: true\n  - code: CC\n    drop: true\n",
        encoding="utf-8",
    )
    assert load_scenario(base).members[0].capability == 0.9
    sc = load_scenario(variant)
    assert [m.code for m in sc.members] == ["AA", "BB"]
    assert sc.members[0].capability == 0.1


def test_without_a_table_nothing_changes(tmp_path):
    text = SCENARIO.replace(
        "members_table: members.csv\n",
        "members:\n  - code: AA\n    name: A\n    capability: 1\n    salience: 1\n"
        "    assumption: true\n  - code: BB\n    name: B\n    capability: 1\n    salience: 1\n"
        "    attributes: {region: south}\n    assumption: true\n",
    )
    sc = load_scenario(write(tmp_path, scenario=text))
    assert [m.code for m in sc.members] == ["AA", "BB"]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (TABLE.replace("0.6,0.7", "0.6,high"), "members.csv:3: salience: not a number: 'high'"),
        (TABLE.replace("press;memo", "press;gossip"), "members.csv:3: source: unknown source"),
        (TABLE.replace("CC,Cland", "AA,Cland"), "members.csv:4: code: duplicate code 'AA'"),
        (TABLE.replace(",salience,", ",importance,"), "members.csv:1: salience: missing column"),
        ("", "members.csv:1: empty member table"),
        ("code,name,capability,salience\n", "members.csv:2: empty member table (no rows)"),
        (TABLE.replace(",", ";"), "members.csv:1: the header is one column ('code;name;"),
        (TABLE.replace("Bland,", ",", 1), "members.csv:3: name: empty cell"),
    ],
)
def test_table_problems_are_located(tmp_path, table, expected):
    found = problems(write(tmp_path, table=table))
    assert any(p.startswith(str(tmp_path / expected.split(":")[0])) for p in found), found
    assert any(expected.split(":", 1)[1] in p for p in found), found


def test_schema_problems_in_a_row_point_at_the_row(tmp_path):
    table = TABLE.replace("0.4,0.5", "1.5,0.5")  # capability above 1
    found = problems(write(tmp_path, table=table))
    # the row is the member: `file.csv:row: column: problem`, not members[2].capability
    assert any(p.startswith(f"{tmp_path / 'members.csv'}:4: capability: ") for p in found), found


def test_missing_table_file_and_bad_reference(tmp_path):
    path = write(tmp_path)
    (tmp_path / "members.csv").unlink()
    assert any("members_table: file not found: members.csv" in p for p in problems(path))
    path.write_text(SCENARIO.replace("members.csv", "[1, 2]"), encoding="utf-8")
    assert any("members_table: must be a path to a .csv file" in p for p in problems(path))


def test_cli_validate_prints_the_located_line(tmp_path, capsys):
    path = write(tmp_path, table=TABLE.replace("0.9,0.8", "0.9,"))
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{tmp_path / 'members.csv'}:2: salience: not a number: ''" in err
