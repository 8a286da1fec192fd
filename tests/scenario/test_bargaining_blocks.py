"""The deadline-bargaining blocks of a scenario (sessions, objections, brokers, floated
candidates, uncertain events, eliminations) are validated with one located line each."""

import pytest
from test_bad_input import BASE, mutate, validate, write


@pytest.mark.parametrize(
    "old, new, path, phrase",
    [
        ("    initial: alpha\n", "    initial: alpha\n    objects: [nobody]\n",
         "members[0].objects[0]", "unknown candidate 'nobody'"),
        ("    initial: alpha\n", "    initial: alpha\n    objects: [alpha]\n",
         "members[0].objects[0]", "cannot object to 'alpha', which it backs"),
        ("parameters:\n", "brokers:\n  - {id: b, member: ZZ, assumption: true}\nparameters:\n",
         "brokers[0].member", "unknown member 'ZZ'"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2025-01-01, name: S, assumption: true}\n"
         "parameters:\n", "sessions[0].date", "after calendar.last_round 2024-06-30"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, approval: true,"
         " assumption: true}\nparameters:\n", "sessions[0].approval", "at indicative sessions"),
        ("    home: BB\n", "    home: BB\n    declared: false\n",
         "candidates[1].declared", "needs a later `enter` event"),
        ("    value: 0.1\n", "    value: 0.1\n    probability: 0.5\n",
         "events[0]", "only these events may carry a probability"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, preferences: 4,"
         " assumption: true}\nparameters:\n", "sessions[0]", "give `eliminate: k`"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, eliminate: 1,"
         " tally: heads, assumption: true}\nparameters:\n", "sessions[0].tally", "'members'"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, kind: indicative,"
         " probability: 0.5, assumption: true}\nparameters:\n", "sessions[0].probability",
         "chance that a formal session is held"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, probability: 1.5,"
         " assumption: true}\nparameters:\n", "sessions[0].probability", "1"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, kind: indicative,"
         " convened_after_days: 7, assumption: true}\nparameters:\n",
         "sessions[0].convened_after_days", "give kind: formal"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, probability: 0.5,"
         " convened_after_days: 7, assumption: true}\nparameters:\n",
         "sessions[0].convened_after_days", "not both"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S,"
         " convened_after_days: -1, assumption: true}\nparameters:\n",
         "sessions[0].convened_after_days", "0"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, every_days: 7,"
         " assumption: true}\nparameters:\n", "sessions[0]", "both `every_days` and `until`"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, every_days:"
         " 1000000000000, until: 2024-02-08, assumption: true}\nparameters:\n",
         "sessions[0].every_days", "3650"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, convened_after_days:"
         " 1000000000000, assumption: true}\nparameters:\n",
         "sessions[0].convened_after_days", "3650"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, every_days: 7,"
         " until: 2024-01-20, assumption: true}\nparameters:\n", "sessions[0]", "must come after"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, every_days: 7,"
         " until: 2024-03-01, probability: 0.5, assumption: true}\nparameters:\n", "sessions[0]",
         "cannot recur"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, every_days: 7,"
         " until: 2024-08-01, assumption: true}\nparameters:\n", "sessions[0].until",
         "2024-08-01 is after calendar.last_round 2024-06-30"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-03, name: S, every_days: 7,"
         " until: 2024-02-25, working_days: true, assumption: true}\nparameters:\n",
         "sessions[0].until", "no working day"),
        ("parameters:\n", "sessions:\n  - {id: s, date: 2024-02-01, name: S, every_days: 7,"
         " until: 2024-03-01, assumption: true}\n  - {id: t, date: 2024-02-15, name: T,"
         " assumption: true}\nparameters:\n", "sessions", "two sessions on 2024-02-15"),
    ],
)  # fmt: skip
def test_bargaining_blocks_are_checked(capsys, tmp_path, old, new, path, phrase):
    f = write(tmp_path, mutate(old, new))
    code, _, err = validate(capsys, f)
    assert code == 2
    assert any(e.startswith(f"{f}:") and f": {path}: " in e and phrase in e for e in err), err


def test_a_scenario_with_every_new_block_validates(capsys, tmp_path):
    text = mutate("    home: BB\n", "    home: AA\n    sponsor: BB\n", BASE)
    text = mutate("    initial: beta\n", "    initial: beta\n    objects: [alpha]\n", text)
    text = mutate("parameters:\n", """\
  - {id: d, date: 2024-03-08, kind: declare, member: CC, candidate: beta, probability: 0.4,
     assumption: true}
  - {id: r, date: 2024-04-01, kind: rule, decision: {rule: qualified_majority, threshold: 0.6},
     assumption: true}
sessions:
  - {id: s1, date: 2024-02-01, name: NAC, kind: indicative, approval: true, assumption: true}
  - {id: s2, date: 2024-05-01, name: Ministerial, eliminate: 1, tally: members,
     preferences: 2, assumption: true}
  - {id: s3, date: 2024-05-08, name: Ministerial (if postponed), probability: 0.5,
     assumption: true}
brokers:
  - {id: b, members: {region: north}, for: alpha, targets: {codes: [CC]}, assumption: true}
parameters:
""", text)  # fmt: skip
    code, _, err = validate(capsys, write(tmp_path, text))
    assert code == 0, err
