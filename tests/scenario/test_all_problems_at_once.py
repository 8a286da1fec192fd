"""`validate` reports every problem at once: a bad cell of a member table does not hide
the table's other bad cells nor the scenario's own problems."""

from hostile import problems

from tests.scenario.test_member_table import SCENARIO, TABLE, write

TABLE_WITH_INITIAL = """\
code,name,capability,salience,initial,region,eu,source,assumption
AA,Aland,abc,0.8,,north,true,press,false
BB,Bland,0.6,0.7,,south,false,press;gossip,
CC,Cland,0.4,0.5,bergg,south,,,true
"""


def test_every_bad_cell_and_every_yaml_problem_at_once(tmp_path):
    scenario = SCENARIO.replace("affinity: 0.4", "affinity: 4")
    found = problems(write(tmp_path, table=TABLE_WITH_INITIAL, scenario=scenario))
    csv = tmp_path / "members.csv"
    assert f"{csv}:2: capability: not a number: 'abc'" in found, found
    assert f"{csv}:3: source: unknown source 'gossip'" in found, found
    assert any(p.startswith(f"{csv}:4: initial: unknown candidate 'bergg'") for p in found), found
    assert any("preferences[0].affinity" in p for p in found), found
    # a bad cell is reported once: not again by the schema, nor AA (alpha's home) as unknown
    assert len(found) == 4, found


def test_a_long_row_and_a_duplicate_code_are_reported_with_the_rest(tmp_path):
    table = TABLE.replace("CC,Cland,0.4,0.5,south,,,true", "CC,Cland,0.4,0.5,south,,,true,x")
    table += "AA,Again,0.3,0.3,north,true,press,false\n"
    scenario = SCENARIO.replace("affinity: 0.4", "affinity: 4")
    found = problems(write(tmp_path, table=table, scenario=scenario))
    csv = tmp_path / "members.csv"
    assert f"{csv}:4: 9 cells, header has 8" in found, found
    assert f"{csv}:5: code: duplicate code 'AA' (first on row 2)" in found, found
    assert any("preferences[0].affinity" in p for p in found), found
    assert len(found) == 3, found


def test_a_clean_table_reports_only_the_yaml_problem(tmp_path):
    scenario = SCENARIO.replace("affinity: 0.4", "affinity: 4")
    found = problems(write(tmp_path, scenario=scenario))
    assert len(found) == 1 and "preferences[0].affinity" in found[0], found
