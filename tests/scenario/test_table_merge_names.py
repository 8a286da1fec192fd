"""A scenario's own `members:` merged onto its member table: an entry is named by its code
(as `--set` names it), not by its place in the merged table, and a code that is in neither
is said to be missing from the member table, not from a base scenario it does not have."""

from hostile import problems

from tests.scenario.test_bad_input import line_of
from tests.scenario.test_member_table import SCENARIO, write


def test_a_merged_entry_is_named_by_its_code(tmp_path):
    text = SCENARIO + "members:\n  - code: CC\n    salence: 0.3\n"
    path = write(tmp_path, scenario=text)
    line = line_of(text, "salence")
    assert problems(path) == [
        f"{path}:{line}: members.CC.salence: unknown field (did you mean `salience`?)"
    ]


def test_an_unknown_code_is_not_in_the_member_table(tmp_path):
    text = SCENARIO + "members:\n  - code: BB\n    salience: 0.3\n  - code: GL\n    salience: 0.3\n"
    path = write(tmp_path, scenario=text)
    line = line_of(text, "code: GL")
    found = problems(path)
    assert len(found) == 1, found
    assert found[0].startswith(
        f"{path}:{line}: members[1].code: no member 'GL' in the member table ("
    ), found
    assert "members.csv), and as a new member it is incomplete" in found[0], found
    assert "base scenario" not in found[0]


def test_a_near_code_is_suggested_from_the_table(tmp_path):
    text = SCENARIO + "members:\n  - code: BBB\n    salience: 0.3\n"
    found = problems(write(tmp_path, scenario=text))
    assert any("no member 'BBB' in the member table (" in p and "(did you mean `BB`?)" in p
               for p in found), found  # fmt: skip


def test_other_sections_keep_their_positions(tmp_path):
    text = (
        SCENARIO.replace("affinity: 0.4", "affinity: 4")
        + "members:\n  - code: CC\n    salience: 0.3\n"
    )
    found = problems(write(tmp_path, scenario=text))
    assert len(found) == 1 and ": preferences[0].affinity: " in found[0], found
