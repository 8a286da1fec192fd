"""A bare `NO` (Norway) in YAML is the boolean false: wherever a code or a text was
expected and a bool came, the one-line error says so and how to quote it."""

import pytest
from hostile import problems

from tests.scenario.test_bad_input import mutate, write

HINT = 'YAML reads a bare NO/no/yes/on/off as true or false; quote it: "NO")'


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("    home: BB\n", "    home: NO\n", "candidates[1].home"),
        ("  - code: CC\n", "  - code: NO\n", "members[2].code"),
        ("  veto: [AA]\n", "  veto: [NO]\n", "decision.veto[0]"),
    ],
)
def test_a_bare_no_where_a_text_is_expected(tmp_path, old, new, path):
    found = problems(write(tmp_path, mutate(old, new)))
    line = next((p for p in found if f": {path}: " in p), None)
    assert line is not None and line.endswith(f"(got false: {HINT}"), found


def test_a_bare_no_in_a_selector_of_codes(tmp_path):
    found = problems(write(tmp_path, mutate("    to: {codes: [AA]}\n", "    to: {codes: [NO]}\n")))
    assert any(p.endswith(f"ties[0].to.codes[0]: unknown member false ({HINT}") for p in found), (
        found
    )


def test_a_bare_yes_says_true(tmp_path):
    found = problems(write(tmp_path, mutate("    home: BB\n", "    home: yes\n")))
    assert any("candidates[1].home: " in p and "(got true: YAML reads" in p for p in found), found


def test_a_quoted_no_is_a_code(tmp_path):
    found = problems(write(tmp_path, mutate("    home: BB\n", '    home: "NO"\n')))
    assert any(p.endswith("candidates[1].home: unknown member 'NO'") for p in found), found
    assert not any("YAML reads" in p for p in found), found
