"""A member table's header: a near-miss of a column the table reads is refused with a
did-you-mean (it would become an attribute, and its facts be lost); other columns stay
attributes. Every problem of a table and of its scenario is reported in one pass."""

import pytest
from hostile import problems

from sim.scenario.loader import load_scenario
from tests.scenario.test_member_table import TABLE, write


@pytest.mark.parametrize(
    ("header", "typo", "meant"),
    [
        ("code,name,capability,salience,region,eu,sources,assumption", "sources", "source"),
        ("code,name,capability,salience,region,eu,source,assumption,intial", "intial", "initial"),
        ("code,name,capability,salience,region,eu,source,asumption", "asumption", "assumption"),
        ("code,name,capability,salience,region,eu,source,assumption,Note", "Note", "note"),
    ],
)
def test_a_near_miss_column_is_refused(tmp_path, header, typo, meant):
    rows = TABLE.splitlines()[1:]
    extra = "," if header.count(",") > TABLE.splitlines()[0].count(",") else ""
    table = "\n".join([header, *(r + extra for r in rows)]) + "\n"
    found = problems(write(tmp_path, table=table))
    line = f"{tmp_path / 'members.csv'}:1: {typo}: unknown column (did you mean `{meant}`?)"
    assert line in found, found


def test_a_missing_column_names_the_near_header(tmp_path):
    table = TABLE.replace(",salience,", ",salince,")
    found = problems(write(tmp_path, table=table))
    expected = f"{tmp_path / 'members.csv'}:1: salience: missing column (column `salince`: did you mean `salience`?)"
    assert any(p.startswith(expected) for p in found), found
    assert len(found) == 1, found  # one problem, one line


def test_free_attribute_columns_stay_allowed(tmp_path):
    table = TABLE.replace(",eu,", ",income,")
    sc = load_scenario(write(tmp_path, table=table))
    assert sc.members[0].attributes == {"region": "north", "income": True}


def test_an_objects_column_is_read_as_objections(tmp_path):
    table = "code,name,capability,salience,region,objects,source\n"
    table += "AA,A,0.5,0.5,north,beta,press\nBB,B,0.5,0.5,south,,press\n"
    sc = load_scenario(write(tmp_path, table=table))
    assert sc.members[0].objects == ["beta"] and sc.members[0].attributes == {"region": "north"}
    assert sc.members[1].objects == []


def test_a_good_table_still_loads(tmp_path):
    assert [m.code for m in load_scenario(write(tmp_path)).members] == ["AA", "BB", "CC"]
