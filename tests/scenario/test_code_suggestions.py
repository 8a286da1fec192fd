"""A misspelled member code (or candidate id) gets the same suggestion everywhere: in a
variant's `members:`, in `--set`, in `sim.load(..., set=...)`, in `--sweep`, and where an
event or rule names it (difflib close matches on codes, and the names)."""

import pytest
from hostile import problems

import sim
from sim.cli.main import main
from sim.errors import ScenarioError
from tests.scenario.test_bad_input import BASE, add_event, line_of, mutate, write


@pytest.mark.parametrize(("typed", "meant"), [("AAA", "AA"), ("Bland", "BB"), ("cc", "CC")])
def test_set_suggests_the_nearest_code(tmp_path, typed, meant):
    path = write(tmp_path, BASE)
    key = f"members.{typed}.salience=0.9"
    assert problems(path, [key]) == [
        f"--set {key}: members: no item with id {typed!r} (did you mean `{meant}`?)"
    ]


def test_set_suggests_the_nearest_rule_id(tmp_path):
    key = "grievances.cc-vs-alfa.weight=0.2"
    found = problems(write(tmp_path, BASE), [key])
    assert found == [
        f"--set {key}: grievances: no item with id 'cc-vs-alfa' (did you mean `cc-vs-alpha`?)"
    ]


def test_set_with_nothing_near_has_no_hint(tmp_path):
    key = "members.ZZZZ.salience=0.9"
    assert problems(write(tmp_path, BASE), [key]) == [
        f"--set {key}: members: no item with id 'ZZZZ'"
    ]


def test_sim_load_and_sweep_suggest_too(tmp_path, capsys):
    path = write(tmp_path, BASE)
    with pytest.raises(ScenarioError, match=r"no item with id 'AAA' \(did you mean `AA`\?\)"):
        sim.load(path, set={"members.AAA.salience": 0.9})
    code = main(["batch", str(path), "--runs", "2", "--out", str(tmp_path / "out"),
                 "--sweep", "members.AAA.salience=0.1,0.2"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "(did you mean `AA`?)" in err, err


def test_an_event_member_suggests_the_nearest_code(tmp_path):
    event = "  - id: aa-resets\n    date: 2024-03-08\n    kind: reset\n    member: AAX\n    source: memo\n"
    text = add_event(event)
    path = write(tmp_path, text)
    line = line_of(text, "member: AAX")
    assert problems(path) == [
        f"{path}:{line}: events[1].member: unknown member 'AAX' (did you mean `AA`?)"
    ]


def test_a_rule_candidate_suggests_the_nearest_id(tmp_path):
    text = mutate(
        "    candidate: alpha\n    affinity: 0.5\n", "    candidate: alpah\n    affinity: 0.5\n"
    )
    found = problems(write(tmp_path, text))
    assert any(p.endswith("preferences[0].candidate: unknown candidate 'alpah' (did you mean `alpha`?)")
               for p in found), found  # fmt: skip


def test_an_unknown_member_with_nothing_near_has_no_hint(tmp_path):
    event = "  - id: zz-resets\n    date: 2024-03-08\n    kind: reset\n    member: ZZZZ\n    source: memo\n"
    found = problems(write(tmp_path, add_event(event)))
    assert len(found) == 1 and found[0].endswith("events[1].member: unknown member 'ZZZZ'"), found


def test_the_suggestion_may_be_a_member_that_is_itself_invalid(tmp_path):
    event = "  - id: aa-resets\n    date: 2024-03-08\n    kind: reset\n    member: AAX\n    source: memo\n"
    text = add_event(event, mutate("    capability: 0.9\n", "    capability: 9\n"))
    found = problems(write(tmp_path, text))
    assert any(
        p.endswith("events[1].member: unknown member 'AAX' (did you mean `AA`?)") for p in found
    ), found
