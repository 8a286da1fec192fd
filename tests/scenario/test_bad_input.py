"""Every user mistake in a scenario file or a `--set` override is one clear line on stderr.

The rule: each problem is printed as `file:line: field.path: what is wrong` (for an
override the "file" is `--set key=value` and there is no line), the exit status is 2,
and no Python traceback is ever shown. `validate` prints every problem it finds.

Each test starts from the small valid scenario `BASE` and breaks it in one way.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[2]

BASE = """\
name: test-contest
description: A small contest for tests.
sources:
  - id: press
    title: Press release
    publisher: The Alliance
  - id: memo
    title: Internal memo
calendar:
  start: 2024-01-01
  round_days: 7
  deadline: 2024-06-30
  last_round: 2024-06-30
  source: press
decision:
  rule: consensus
  quorum: 0.0
  veto: [AA]
  assumption: true
candidates:
  - id: alpha
    name: Alpha Person
    home: AA
    source: press
  - id: beta
    name: Beta Person
    home: BB
    source: press
members:
  - code: AA
    name: Aland
    capability: 0.9
    salience: 0.8
    initial: alpha
    attributes: {region: north}
    source: press
  - code: BB
    name: Bland
    capability: 0.6
    salience: 0.7
    initial: beta
    attributes: {region: south}
    source: memo
  - code: CC
    name: Cland
    capability: 0.4
    salience: 0.5
    attributes: {region: south}
    assumption: true
preferences:
  - id: north-likes-alpha
    members: {region: north}
    candidate: alpha
    affinity: 0.5
    source: memo
ties:
  - id: south-listens-north
    from: {region: south}
    to: {codes: [AA]}
    weight: 3
    assumption: true
grievances:
  - id: cc-vs-alpha
    members: {codes: [CC]}
    candidate: alpha
    weight: 0.3
    source: memo
events:
  - id: cc-cools
    date: 2024-03-01
    kind: grievance
    grievance: cc-vs-alpha
    value: 0.1
    source: memo
parameters:
  noise: 0.2
  object_threshold: -0.4
  lift_threshold: -0.2
  source: memo
"""


# --- helpers -----------------------------------------------------------------------------


def mutate(old: str, new: str, text: str = BASE) -> str:
    """Replace the single occurrence of `old`; fail loudly if the test's anchor is wrong."""
    assert text.count(old) == 1, f"anchor {old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def add_event(event_yaml: str, text: str = BASE) -> str:
    """Append one event (YAML list item, 2-space indented) to the `events:` section."""
    return mutate("parameters:\n", event_yaml + "parameters:\n", text)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the nth line of `text` containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} time(s)"
    return hits[nth - 1]


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def cli(capsys, *args) -> tuple[int, str, list[str]]:
    """Run the CLI in-process; return (exit code, stdout, stderr lines)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err.splitlines()


def validate(capsys, *paths) -> tuple[int, str, list[str]]:
    return cli(capsys, "validate", *paths)


def run(capsys, tmp_path: Path, scenario, *extra) -> tuple[int, str, list[str]]:
    return cli(capsys, "run", scenario, "--out", tmp_path / "out", *extra)


def find(err: list[str], file, line: int | None, path: str, phrase: str) -> str:
    """The stderr line `file:line: path: ...phrase...`; fail with the whole stderr if absent."""
    where = f"{file}:{line}" if line else f"{file}"
    prefix = f"{where}: {path}: " if path else f"{where}: "
    for text in err:
        if text.startswith(prefix) and phrase in text:
            return text
    raise AssertionError(
        f"no line starting {prefix!r} containing {phrase!r} in:\n" + "\n".join(err)
    )


def check_one(capsys, tmp_path, text: str, line: int | None, path: str, phrase: str) -> str:
    """Validate `text` as a file; expect exit 2 and the given problem line."""
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2, err
    return find(err, f, line, path, phrase)


def sim_subprocess(cwd: Path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the valid starting point ------------------------------------------------------------


def test_base_scenario_is_valid(tmp_path, capsys):
    f = write(tmp_path, BASE)
    code, out, err = validate(capsys, f)
    assert code == 0, err
    assert f"ok   {f}" in out
    assert err == []


# --- files that cannot be read as a scenario ---------------------------------------------


def test_missing_file(tmp_path, capsys):
    f = tmp_path / "nowhere.yaml"
    code, _, err = run(capsys, tmp_path, f)
    assert code == 2
    assert err == [f"{f}: file not found"]
    assert not (tmp_path / "out").exists()


def test_folder_given_to_run(tmp_path, capsys):
    folder = tmp_path / "scenarios"
    write(folder, BASE)
    code, _, err = run(capsys, tmp_path, folder)
    assert code == 2
    assert err == [f"{folder}: is a folder, not a file"]


def test_file_that_is_not_utf8_cannot_be_read(tmp_path, capsys):
    # chmod 000 does not stop root from reading, so use bytes that are not UTF-8 instead.
    f = tmp_path / "latin1.yaml"
    f.write_bytes(BASE.replace("Cland", "C\xe9land").encode("latin-1"))
    code, out, err = validate(capsys, f)
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"{f}: cannot read file: ")
    assert "1 file(s), 1 with problems" in out


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path, capsys, text):
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    assert err == [f"{f}: file is empty"]


def test_not_yaml_unbalanced_bracket(tmp_path, capsys):
    text = mutate("veto: [AA]\n", "veto: [AA\n")
    opened = line_of(text, "veto: [AA")
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"{f}:") and "not valid YAML" in err[0]
    # The mistake is the `[` never closed on line `opened`; the message must lead there
    # (either as the reported line or by naming that line in the text).
    reported = int(err[0].removeprefix(f"{f}:").split(":", 1)[0])
    assert reported == opened or f"line {opened}" in err[0], err[0]


def test_not_yaml_bad_indentation(tmp_path, capsys):
    text = mutate("    salience: 0.8\n", "      salience: 0.8\n")
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, line_of(text, "      salience: 0.8"), "", "not valid YAML")


def test_yaml_list_is_not_a_scenario(tmp_path, capsys):
    f = write(tmp_path, "- name: a\n- name: b\n")
    code, _, err = validate(capsys, f)
    assert code == 2
    assert err == [f"{f}:1: a scenario must be a mapping"]


# --- YAML tags that would build Python objects -------------------------------------------

APPLY_TAG = '!!python/object/apply:os.system ["touch PWNED"]'


def test_python_apply_tag_is_an_error_and_never_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = mutate("name: test-contest\n", f"name: {APPLY_TAG}\n")
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert not (tmp_path / "PWNED").exists()
    assert not Path("PWNED").exists()
    assert code == 2
    assert any(line.startswith(f"{f}:1: ") for line in err), err


def test_python_apply_tag_is_reported_as_a_forbidden_tag(tmp_path, capsys, monkeypatch):
    # The user should be told that the tag is not allowed, not that `name` has the wrong type.
    monkeypatch.chdir(tmp_path)
    text = mutate("name: test-contest\n", f"name: {APPLY_TAG}\n")
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert not (tmp_path / "PWNED").exists()
    assert code == 2
    line = find(err, f, 1, "", "is not allowed")
    assert "python/object/apply:os.system" in line


def test_python_name_tag_on_a_scalar_is_rejected(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = mutate("  rule: consensus\n", "  rule: !!python/name:os.system\n")
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    line = find(err, f, line_of(text, "!!python"), "", "is not allowed")
    assert "python/name:os.system" in line


def test_python_tag_message_names_the_tag_intact(tmp_path, capsys, monkeypatch):
    # The tag should be quoted whole, e.g. 'tag:yaml.org,2002:python/name:os.system' or
    # !!python/name:os.system, not chopped into ":yaml.org,2002:python/name:os.system'".
    monkeypatch.chdir(tmp_path)
    text = mutate("  rule: consensus\n", "  rule: !!python/name:os.system\n")
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    line = find(err, f, line_of(text, "!!python"), "", "is not allowed")
    assert (
        "'tag:yaml.org,2002:python/name:os.system'" in line or "!!python/name:os.system" in line
    ), line


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("veto: [AA]\n", "veto: !!python/object/apply:os.system [AA]\n"),
        (
            "attributes: {region: north}\n",
            "attributes: !!python/object:os.system {region: north}\n",
        ),
    ],
    ids=["sequence", "mapping"],
)
def test_python_tag_on_a_collection_is_not_silently_accepted(
    tmp_path, capsys, monkeypatch, old, new
):
    monkeypatch.chdir(tmp_path)
    text = mutate(old, new)
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2, "a python/object tag was silently ignored and the file accepted"
    find(err, f, line_of(text, "!!python"), "", "is not allowed")


def test_python_tag_via_subprocess_never_runs(tmp_path):
    text = mutate("name: test-contest\n", f"name: {APPLY_TAG}\n")
    f = write(tmp_path, text)
    proc = sim_subprocess(tmp_path, "run", f, "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{f}:1: ")
    assert not (tmp_path / "PWNED").exists()
    assert not (REPO / "PWNED").exists()


# --- unknown and duplicate keys ----------------------------------------------------------


def test_unknown_top_level_key_suggests_the_right_one(tmp_path, capsys):
    text = mutate("description:", "descripton:")
    check_one(
        capsys, tmp_path, text, 2, "descripton", "unknown field (did you mean `description`?)"
    )


def test_unknown_member_key_suggests_the_right_one(tmp_path, capsys):
    text = mutate("    capability: 0.6\n", "    capabilty: 0.6\n")
    check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, "capabilty"),
        "members[1].capabilty",
        "unknown field (did you mean `capability`?)",
    )


def test_unknown_key_in_calendar_suggests_the_right_one(tmp_path, capsys):
    text = mutate("  round_days: 7\n", "  round_day: 7\n")
    check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, "round_day:"),
        "calendar.round_day",
        "did you mean `round_days`?",
    )


def test_duplicate_top_level_key(tmp_path, capsys):
    text = mutate("description: A small", "name: again\ndescription: A small")
    check_one(capsys, tmp_path, text, 2, "name", "duplicate key")


def test_duplicate_key_inside_a_member(tmp_path, capsys):
    # The field path must say which member, like every other problem does.
    text = mutate("    salience: 0.7\n", "    salience: 0.7\n    salience: 0.2\n")
    check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, "salience: 0.2"),
        "members[1].salience",
        "duplicate key",
    )


# --- wrong types and values out of range -------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "phrase"),
    [
        ("capability: 0.9", 'capability: "high"', "members[0].capability", "valid number"),
        ("round_days: 7", 'round_days: "week"', "calendar.round_days", "valid integer"),
        ("start: 2024-01-01", "start: soon", "calendar.start", "valid date"),
        ("rule: consensus", "rule: majority", "decision.rule", "'consensus'"),
    ],
    ids=["capability-high", "round_days-week", "start-soon", "rule-majority"],
)
def test_wrong_type(tmp_path, capsys, old, new, path, phrase):
    text = mutate(old, new)
    msg = check_one(capsys, tmp_path, text, line_of(text, new), path, phrase)
    assert "got" in msg  # the offending value is echoed back


@pytest.mark.parametrize(
    ("old", "new"),
    [("date: 2024-03-01", "date: 2024-02-30"), ("start: 2024-01-01", "start: 2024-13-01")],
    ids=["february-30", "month-13"],
)
def test_impossible_date_in_file(tmp_path, capsys, old, new):
    # YAML reads 2024-02-30 as a timestamp; building it must not crash the loader.
    text = mutate(old, new)
    msg = check_one(capsys, tmp_path, text, line_of(text, new), "", "")
    assert new.split(": ")[1] in msg, msg


def test_an_impossible_date_hides_no_other_problem(tmp_path, capsys):
    text = mutate("capability: 0.9", "capability: 1.5")
    text = mutate("date: 2024-03-01", "date: 2024-13-13", text)
    text = mutate("veto: [AA]", "veto: [ZZ]", text)
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, line_of(text, "date: 2024-13-13"), "events[0].date",
         "'2024-13-13' is not a valid value (month must be in 1..12)")  # fmt: skip
    find(err, f, line_of(text, "capability: 1.5"), "members[0].capability", "less than")
    find(err, f, line_of(text, "veto: [ZZ]"), "decision.veto[0]", "unknown member 'ZZ'")
    assert len(err) == 3, err


def test_a_variant_reports_every_problem_sorted_by_line(tmp_path, capsys):
    write(tmp_path, BASE, "base.yaml")
    variant = (
        "extends: base.yaml\n"
        "members:\n  - code: BB\n    salence: 0.9\n"  # 4
        "  - code: BBB\n    salience: 0.5\n"  # 5: typo of an id, incomplete
        "  - code: AA\n    capability: 1.5\n"  # 8
        "events:\n  - id: cc-cools\n    date: 2024-13-13\n"  # 11
        "  - id: late\n    date: 2024-03-02\n    kind: lift\n    member: ZZ\n"
        "    candidate: alpha\n    assumption: true\n"
    )  # fmt: skip  (member: line 15)
    f = write(tmp_path, variant, "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    lines = [int(e.split(":")[1]) for e in err]
    assert lines == [4, 5, 8, 11, 15], err
    find(err, f, 11, "events.cc-cools.date", "'2024-13-13' is not a valid value")
    find(err, f, 15, "events.late.member", "unknown member 'ZZ'")


def test_a_variant_reports_its_own_problems_before_its_bases(tmp_path, capsys):
    broken = mutate("home: AA", "home: [AA]")  # found before the variant's member
    base = write(tmp_path, broken, "base.yaml")
    variant = "extends: base.yaml\nmembers:\n  - code: AA\n    capability: 1.5\n"
    f = write(tmp_path, variant, "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    assert err[0].startswith(f"{f}:4: members.AA.capability"), err
    assert err[1].startswith(f"{base}:{line_of(broken, 'home: [AA]')}: candidates.alpha.home"), err


def test_an_impossible_date_in_a_record_hides_no_other_problem(tmp_path, capsys):
    record = ("scenario: scenario\nappointment: {winner: alpha, date: 2024-02-30, source: s}\n"
              "support:\n  - {date: 2024-02-01, candidate: alpha, supporters: -1, source: s}\n"
              "sources:\n  - {id: s, title: S}\n")  # fmt: skip
    f = write(tmp_path, record, "record.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, 2, "appointment.date", "'2024-02-30' is not a valid value")
    find(err, f, 4, "support[0].supporters", "greater than or equal to 0")
    assert len(err) == 2, err


def test_impossible_date_in_override_via_subprocess(tmp_path):
    f = write(tmp_path, BASE)
    override = "calendar.start=2024-02-30"
    proc = sim_subprocess(tmp_path, "run", f, "--set", override, "--out", "out")
    assert "Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"--set {override}: calendar.start: "), proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("old", "new", "path", "phrase"),
    [
        ("capability: 0.9", "capability: 1.5", "members[0].capability", "less than or equal to 1"),
        ("salience: 0.7", "salience: -0.1", "members[1].salience", "greater than or equal to 0"),
        ("weight: 0.3", "weight: 2", "grievances[0].weight", "less than or equal to 1"),
        ("weight: 3\n", "weight: -1\n", "ties[0].weight", "greater than or equal to 0"),
        ("quorum: 0.0", "quorum: 1.5", "decision.quorum", "less than or equal to 1"),
        ("noise: 0.2", "noise: -1", "parameters.noise", "greater than or equal to 0"),
        ("affinity: 0.5", "affinity: 3", "preferences[0].affinity", "less than or equal to 1"),
    ],
    ids=[
        "capability",
        "salience",
        "grievance-weight",
        "tie-weight",
        "quorum",
        "noise",
        "affinity",
    ],
)
def test_value_out_of_range(tmp_path, capsys, old, new, path, phrase):
    text = mutate(old, new)
    msg = check_one(capsys, tmp_path, text, line_of(text, new.strip()), path, phrase)
    assert new.split(": ")[1].strip() in msg  # the offending value is echoed back


def test_threshold_out_of_range(tmp_path, capsys):
    text = mutate("rule: consensus\n  quorum: 0.0", "rule: qualified_majority\n  threshold: 1.5")
    check_one(capsys, tmp_path, text, line_of(text, "threshold: 1.5"), "decision.threshold",
              "less than or equal to 1")  # fmt: skip


@pytest.mark.parametrize("field", ["threshold: 0.6", "weighted: true", "count: encourage"])
def test_a_qualified_majority_field_under_consensus_is_refused(tmp_path, capsys, field):
    text = mutate("rule: consensus\n", f"rule: consensus\n  {field}\n")
    name = field.split(":")[0]
    msg = check_one(capsys, tmp_path, text, line_of(text, field), f"decision.{name}",
                    "applies to rule: qualified_majority only")  # fmt: skip
    assert "consensus" in msg
    # the default written out (as a dumped scenario holds it) changes nothing: accepted
    default = {"threshold: 0.6": "threshold: 0.5", "weighted: true": "weighted: false",
               "count: encourage": "count: support"}[field]  # fmt: skip
    code, _, err = validate(capsys, write(tmp_path, text.replace(field, default)))
    assert code == 0, err


def test_a_qualified_majority_field_is_refused_where_an_event_sets_another_rule(tmp_path, capsys):
    text = mutate("rule: consensus\n  quorum: 0.0", "rule: qualified_majority\n  threshold: 0.6")
    assert check_valid(capsys, tmp_path, text)
    # a rule event that changes only the threshold keeps the rule in force: accepted
    ok = add_event("  - {id: r, date: 2024-03-01, kind: rule, decision: {threshold: 0.7},"
                   " assumption: true}\n", text)  # fmt: skip
    assert check_valid(capsys, tmp_path, ok)
    bad = add_event("  - {id: r, date: 2024-03-01, kind: rule,"
                    " decision: {rule: unanimity, threshold: 0.7}, assumption: true}\n", text)  # fmt: skip
    check_one(capsys, tmp_path, bad, line_of(bad, "id: r,"), "events[1].decision.threshold",
              "this rule is unanimity")  # fmt: skip


def check_valid(capsys, tmp_path, text: str) -> bool:
    code, _, err = validate(capsys, write(tmp_path, text))
    assert code == 0, err
    return True


def test_lift_threshold_below_object_threshold(tmp_path, capsys):
    text = mutate("lift_threshold: -0.2", "lift_threshold: -0.6")
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    hits = [e for e in err if "lift_threshold must not be below object_threshold" in e]
    assert len(hits) == 1, err
    # Either the `parameters:` block or the offending `lift_threshold:` line.
    allowed = {line_of(text, "parameters:"), line_of(text, "lift_threshold")}
    assert any(hits[0].startswith(f"{f}:{n}: parameters") for n in allowed), hits[0]


def test_event_value_out_of_range_for_its_kind(tmp_path, capsys):
    text = mutate("    value: 0.1\n", "    value: 1.5\n")
    check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, "value: 1.5"),
        "events[0].value",
        "between 0 and 1 for a grievance event",
    )


# --- references to things that do not exist ---------------------------------------------

JOIN_ZZ = """\
  - id: zz-joins
    date: 2024-02-01
    kind: join
    member: ZZ
    assumption: true
"""

WITHDRAW_GAMMA = """\
  - id: gamma-leaves
    date: 2024-02-01
    kind: withdraw
    candidate: gamma
    assumption: true
"""

PARAM_NOSIE = """\
  - id: calmer
    date: 2024-02-01
    kind: parameter
    parameter: nosie
    value: 0.1
    assumption: true
"""


@pytest.mark.parametrize(
    ("text", "needle", "path", "phrase"),
    [
        (
            mutate("    home: AA\n", "    home: ZZ\n"),
            "home: ZZ",
            "candidates[0].home",
            "unknown member 'ZZ'",
        ),
        (
            mutate("members: {codes: [CC]}", "members: {codes: [ZZ]}"),
            "codes: [ZZ]",
            "grievances[0].members.codes[0]",
            "unknown member 'ZZ'",
        ),
        (add_event(JOIN_ZZ), "member: ZZ", "events[1].member", "unknown member 'ZZ'"),
        (
            mutate("veto: [AA]", "veto: [ZZ]"),
            "veto: [ZZ]",
            "decision.veto[0]",
            "unknown member 'ZZ'",
        ),
        (
            mutate("initial: beta", "initial: gamma"),
            "initial: gamma",
            "members[1].initial",
            "unknown candidate 'gamma'",
        ),
        (
            mutate("candidate: alpha\n    affinity", "candidate: gamma\n    affinity"),
            "candidate: gamma",
            "preferences[0].candidate",
            "unknown candidate 'gamma'",
        ),
        (
            add_event(WITHDRAW_GAMMA),
            "candidate: gamma",
            "events[1].candidate",
            "unknown candidate 'gamma'",
        ),
        (
            mutate("region: south}\n    source: memo", "region: south}\n    source: nowhere"),
            "source: nowhere",
            "members[1].source",
            "unknown source 'nowhere'",
        ),
        (
            mutate("grievance: cc-vs-alpha", "grievance: no-such-grievance"),
            "grievance: no-such-grievance",
            "events[0].grievance",
            "unknown grievance 'no-such-grievance'",
        ),
        (
            add_event(PARAM_NOSIE),
            "parameter: nosie",
            "events[1].parameter",
            "unknown parameter 'nosie' (did you mean `noise`?)",
        ),
        (
            mutate("members: {region: north}", "members: {regin: north}"),
            "regin: north",
            "preferences[0].members.regin",
            "unknown attribute 'regin' in selector (did you mean `region`?)",
        ),
    ],
    ids=[
        "candidate-home",
        "selector-codes",
        "event-member",
        "decision-veto",
        "member-initial",
        "preference-candidate",
        "event-candidate",
        "member-source",
        "grievance-event",
        "parameter-event",
        "selector-attribute",
    ],
)
def test_undefined_reference(tmp_path, capsys, text, needle, path, phrase):
    check_one(capsys, tmp_path, text, line_of(text, needle), path, phrase)


def test_duplicate_preference_id(tmp_path, capsys):
    second = """\
  - id: north-likes-alpha
    members: {region: south}
    candidate: beta
    affinity: 0.2
    source: memo
"""
    text = mutate("ties:\n", second + "ties:\n")
    check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, "- id: north-likes-alpha", nth=2),
        "preferences[1].id",
        "duplicate id 'north-likes-alpha'",
    )


def test_duplicate_member_code(tmp_path, capsys):
    text = mutate("  - code: CC\n", "  - code: BB\n")
    check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, "- code: BB", nth=2),
        "members[2].code",
        "duplicate code 'BB'",
    )


def test_fact_with_neither_source_nor_assumption(tmp_path, capsys):
    text = mutate("    attributes: {region: south}\n    assumption: true\n", "")
    check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, "- code: CC"),
        "members[2]",
        "cite a source (`source: id`) or mark it `assumption: true`",
    )


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "side", "bound"),
    [("2023-12-01", "before", "calendar.start 2024-01-01"),
     ("2024-07-15", "after", "calendar.last_round 2024-06-30")],
    ids=["before-start", "after-end"],
)  # fmt: skip
def test_event_outside_the_calendar(tmp_path, capsys, when, side, bound):
    text = mutate("date: 2024-03-01", f"date: {when}")
    msg = check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, f"date: {when}"),
        "events[0].date",
        f"{when} is {side} {bound}",
    )
    assert "(an event falls from calendar.start to calendar.last_round, both included)" in msg


SESSION = "sessions:\n  - {id: s, date: WHEN, name: S, assumption: true}\nparameters:\n"


@pytest.mark.parametrize(
    ("when", "phrase"),
    [("2023-12-31", "2023-12-31 is before calendar.start 2024-01-01; a session must come after"),
     ("2024-01-01", "2024-01-01 is calendar.start; a session must come after the start"),
     ("2024-07-01", "2024-07-01 is after calendar.last_round 2024-06-30")],
    ids=["before-start", "on-start", "after-end"],
)  # fmt: skip
def test_session_outside_the_calendar_says_which_side(tmp_path, capsys, when, phrase):
    text = mutate("parameters:\n", SESSION.replace("WHEN", when))
    msg = check_one(capsys, tmp_path, text, line_of(text, "id: s,"), "sessions[0].date", phrase)
    assert "outside" not in msg.split(": ", 2)[2]
    if when == "2024-01-01":
        assert "so on 2024-01-02 at the earliest" in msg


def test_a_session_the_day_after_the_start_and_an_event_on_it_are_valid(tmp_path, capsys):
    text = mutate("parameters:\n", SESSION.replace("WHEN", "2024-01-02"))
    text = mutate("date: 2024-03-01", "date: 2024-01-01", text)
    code, _, err = validate(capsys, write(tmp_path, text))
    assert code == 0, err


def test_a_date_outside_the_calendar_names_the_set_that_moved_it(tmp_path, capsys):
    text = mutate("parameters:\n", SESSION.replace("WHEN", "2024-02-01"))
    f = write(tmp_path, text)
    code, _, err = cli(
        capsys, "run", f, "--out", tmp_path / "o", "--set", "calendar.start=2024-02-10"
    )
    assert code == 2
    line = find(err, f, line_of(text, "id: s,"), "sessions[0].date",
                "2024-02-01 is before calendar.start 2024-02-10")  # fmt: skip
    assert "(set by --set calendar.start=2024-02-10)" in line
    # the event of 1 March is still inside: only the session is reported
    assert len(err) == 1, err
    # without a --set nothing is said to be set by one
    code, _, err = validate(
        capsys, write(tmp_path, mutate("start: 2024-01-01", "start: 2024-02-10", text))
    )
    assert code == 2 and "set by" not in err[0], err


def test_last_round_before_start(tmp_path, capsys):
    text = mutate("last_round: 2024-06-30", "last_round: 2023-06-30")
    check_one(
        capsys,
        tmp_path,
        text,
        line_of(text, "last_round:"),
        "calendar.last_round",
        "must be after calendar.start",
    )


# --- empty sections ----------------------------------------------------------------------


def _cut(text: str, start: str, end: str, replacement: str) -> str:
    i, j = text.index(start), text.index(end)
    return text[:i] + replacement + text[j:]


def test_no_candidates(tmp_path, capsys):
    text = _cut(BASE, "candidates:\n", "members:\n", "candidates: []\n")
    check_one(
        capsys, tmp_path, text, line_of(text, "candidates: []"), "candidates", "at least 1 item"
    )


def test_no_members(tmp_path, capsys):
    text = _cut(BASE, "members:\n", "preferences:\n", "members: []\n")
    check_one(capsys, tmp_path, text, line_of(text, "members: []"), "members", "at least 1 item")


# --- extends -----------------------------------------------------------------------------


def test_extends_missing_file(tmp_path, capsys):
    f = write(tmp_path, "extends: missing.yaml\nname: variant\n", "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    assert err == [f"{f}:1: extends: file not found: missing.yaml"]


def test_circular_extends(tmp_path, capsys):
    a = write(tmp_path, "name: a\nextends: b.yaml\n", "a.yaml")
    b = write(tmp_path, "# b\nextends: a.yaml\n", "b.yaml")
    code, _, err = validate(capsys, a)
    assert code == 2
    assert len(err) == 1, err
    line = find(err, b, 2, "extends", "circular extends")
    assert "a.yaml -> b.yaml -> a.yaml" in line


def test_self_extends(tmp_path, capsys):
    a = write(tmp_path, "name: a\nextends: a.yaml\n", "a.yaml")
    code, _, err = validate(capsys, a)
    assert code == 2
    find(err, a, 2, "extends", "circular extends")


def test_variant_drops_an_id_the_base_lacks(tmp_path, capsys):
    write(tmp_path, BASE, "base.yaml")
    text = "extends: base.yaml\ngrievances:\n  - id: not-in-base\n    drop: true\n"
    f = write(tmp_path, text, "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, 3, "grievances[0].drop", "cannot drop id 'not-in-base'")


def test_variant_merges_key_by_key_and_drops(tmp_path, capsys):
    write(tmp_path, BASE, "base.yaml")
    variant = """\
extends: base.yaml
grievances:
  - id: cc-vs-alpha
    weight: 0.6
ties:
  - id: south-listens-north
    drop: true
"""
    f = write(tmp_path, variant, "variant.yaml")
    code, out, err = validate(capsys, f)
    assert code == 0, err
    assert f"ok   {f}" in out
    sc = load_scenario(f)
    assert sc.name == "variant"
    (g,) = sc.grievances
    assert g.weight == 0.6
    assert g.source == "memo"  # kept from the base
    assert g.candidate == "alpha" and g.members == {"codes": ["CC"]}
    assert sc.ties == []
    assert [m.code for m in sc.members] == ["AA", "BB", "CC"]


def test_variant_problem_points_at_the_variant_file(tmp_path, capsys):
    write(tmp_path, BASE, "base.yaml")
    variant = "extends: base.yaml\nmembers:\n  - code: BB\n    capability: 1.5\n"
    f = write(tmp_path, variant, "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, 4, "members.BB.capability", "less than or equal to 1")


def test_a_variant_reports_an_unknown_id_and_its_other_problems_in_one_pass(tmp_path, capsys):
    write(tmp_path, BASE, "base.yaml")
    variant = ("extends: base.yaml\nmembers:\n  - code: XX\n    salience: 0.5\n"
               "  - code: BB\n    salence: 0.9\n")  # fmt: skip
    f = write(tmp_path, variant, "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, 3, "members[0].code", "no member 'XX' in the base scenario")
    # named by its code: its place in the merged list (after the base's) is in neither file
    find(err, f, 6, "members.BB.salence", "did you mean `salience`")


def test_a_new_item_of_a_variant_reports_each_field_problem_at_its_line(tmp_path, capsys):
    write(tmp_path, BASE, "base.yaml")
    variant = ("extends: base.yaml\nevents:\n  - id: bb-lifts\n    date: 13/03/2024\n"
               "    kind: lfit\n    memebr: BB\n    candidate: alpha\n    assumption: true\n")  # fmt: skip
    f = write(tmp_path, variant, "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, 4, "events.bb-lifts.date", "valid date or datetime")
    find(err, f, 5, "events.bb-lifts.kind", "(got 'lfit')")
    find(err, f, 6, "events.bb-lifts.memebr", "unknown field (did you mean `member`?)")
    assert len(err) == 3, err  # the item reads as a new event: no word of the base's ids
    assert not any("in the base scenario" in e for e in err), err


def test_a_new_item_lacking_a_required_field_is_reported_at_its_id_with_every_reason(
    tmp_path, capsys
):
    write(tmp_path, BASE, "base.yaml")
    variant = "extends: base.yaml\nevents:\n  - id: bb-lifts\n    dat: 2024-03-01\n    kind: lfit\n"
    f = write(tmp_path, variant, "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    line = find(err, f, 3, "events[0].id", "no event 'bb-lifts' in the base scenario")
    for reason in ("date: required field is missing", "(got 'lfit')", "dat: unknown field"):
        assert reason in line
    assert len(err) == 1, err
    # an id close to a base id is a typo of it, whatever else the item holds
    variant = "extends: base.yaml\nevents:\n  - id: cc-cool\n    date: 13/03/2024\n"
    f = write(tmp_path, variant, "variant.yaml")
    code, _, err = validate(capsys, f)
    find(
        err,
        f,
        3,
        "events[0].id",
        "no event 'cc-cool' in the base scenario (did you mean `cc-cools`?)",
    )
    assert len(err) == 1, err


def test_inherited_problem_points_at_the_base_file(tmp_path, capsys):
    # Dropping candidate beta leaves BB's `initial: beta` (in the base) dangling.
    base = write(tmp_path, BASE, "base.yaml")
    variant = "extends: base.yaml\ncandidates:\n  - id: beta\n    drop: true\n"
    f = write(tmp_path, variant, "variant.yaml")
    code, _, err = validate(capsys, f)
    assert code == 2
    find(
        err, base, line_of(BASE, "initial: beta"), "members.BB.initial", "unknown candidate 'beta'"
    )


# --- --set overrides ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "path", "phrase"),
    [
        ("parameters.noise=-3", "parameters.noise", "greater than or equal to 0"),
        ("parameters.nois=0.1", "parameters.nois", "unknown field (did you mean `noise`?)"),
        ("members.ZZ.salience=0.5", "members", "no item with id 'ZZ'"),
        ("members.BB.capability=high", "members.BB.capability", "valid number"),
        ("novalue", "", "expected key=value"),
        ("=3", "", "expected key=value"),
        ("calendr.start=2024-02-01", "calendr", "no such field"),
    ],
    ids=[
        "out-of-range",
        "unknown-field",
        "no-such-member",
        "wrong-type",
        "no-equals",
        "no-key",
        "unknown-section",
    ],
)
def test_bad_override(tmp_path, capsys, override, path, phrase):
    f = write(tmp_path, BASE)
    code, _, err = run(capsys, tmp_path, f, "--set", override)
    assert code == 2
    find(err, f"--set {override}", None, path, phrase)
    assert not any(e.startswith(f"{f}:") for e in err), err  # blamed on the --set, not the file
    assert not (tmp_path / "out").exists()


def test_bad_override_via_subprocess(tmp_path):
    f = write(tmp_path, BASE)
    proc = sim_subprocess(tmp_path, "run", f, "--set", "parameters.noise=-3", "--out", "out")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("--set parameters.noise=-3: parameters.noise: ")
    assert "greater than or equal to 0" in lines[0]


def test_missing_file_via_subprocess(tmp_path):
    proc = sim_subprocess(tmp_path, "validate", "nowhere.yaml")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == ["nowhere.yaml: file not found"]


# --- validate: every problem of every file -----------------------------------------------


def test_validate_folder_with_good_and_bad_files(tmp_path, capsys):
    folder = tmp_path / "scenarios"
    good = write(folder, BASE, "good.yaml")
    bad1_text = mutate("capability: 0.9", "capability: 1.5")
    bad1_text = mutate("salience: 0.7", "salience: -0.1", bad1_text)
    bad1 = write(folder, bad1_text, "bad1.yaml")
    bad2_text = mutate("veto: [AA]", "veto: [ZZ]")
    bad2_text = mutate("initial: beta", "initial: gamma", bad2_text)
    bad2 = write(folder, bad2_text, "nested/bad2.yml")
    write(folder, "not a scenario\n", "notes.txt")  # not YAML by name: ignored

    code, out, err = validate(capsys, folder)
    assert code == 2
    assert f"ok   {good}" in out
    assert "3 file(s), 2 with problems" in out
    expected = [
        (bad1, line_of(bad1_text, "capability: 1.5"), "members[0].capability", "less than"),
        (bad1, line_of(bad1_text, "salience: -0.1"), "members[1].salience", "greater than"),
        (bad2, line_of(bad2_text, "veto: [ZZ]"), "decision.veto[0]", "unknown member 'ZZ'"),
        (bad2, line_of(bad2_text, "initial: gamma"), "members[1].initial", "unknown candidate"),
    ]
    for file, line, path, phrase in expected:
        find(err, file, line, path, phrase)
    assert len(err) == len(expected), err
    assert not any(str(good) in e for e in err)


def test_validate_folder_of_good_files(tmp_path, capsys):
    folder = tmp_path / "scenarios"
    write(folder, BASE, "base.yaml")
    write(folder, "extends: ../base.yaml\nparameters:\n  noise: 0.3\n", "what-if/calm.yaml")
    write(folder, mutate("name: test-contest", "name: other"), "other.yml")
    code, out, err = validate(capsys, folder)
    assert code == 0, err
    assert err == []
    assert "3 file(s), 0 with problems" in out
    assert out.count("ok   ") == 3


def test_validate_several_paths(tmp_path, capsys):
    good = write(tmp_path, BASE, "good.yaml")
    missing = tmp_path / "missing.yaml"
    code, out, err = validate(capsys, good, missing)
    assert code == 2
    assert f"ok   {good}" in out
    assert err == [f"{missing}: file not found"]


def test_validate_empty_folder(tmp_path, capsys):
    code, _, err = validate(capsys, tmp_path)
    assert code == 2
    assert err and "no YAML files" in err[0]


def test_validate_prints_all_schema_problems_of_a_file(tmp_path, capsys):
    text = mutate("capability: 0.9", "capability: 1.5")
    text = mutate("round_days: 7", 'round_days: "week"', text)
    text = mutate("  - code: CC\n    name: Cland\n", "  - code: CC\n    nam: Cland\n", text)
    f = write(tmp_path, text)
    code, out, err = validate(capsys, f)
    assert code == 2
    find(err, f, line_of(text, "capability: 1.5"), "members[0].capability", "less than")
    find(err, f, line_of(text, "round_days"), "calendar.round_days", "valid integer")
    find(err, f, line_of(text, "nam: Cland"), "members[2].nam", "did you mean `name`?")
    # (plus `members[2].name: required field is missing`, a consequence of the typo)
    assert "1 file(s), 1 with problems" in out


def test_every_problem_of_one_item_is_reported(tmp_path, capsys):
    member = ("  - code: DD\n    name: Dland\n    capability: 0.1\n    salience: 0.2\n"
              "    objects: [bergg]\n    salence: 0.3\n    initial: zed\n    assumption: true\n")  # fmt: skip
    text = mutate("  - code: AA\n", member + "  - code: AA\n")
    text = add_event("  - id: dahl-enters\n    date: 2024-03-02\n    kind: enter\n"
                     "    candidate: dahl\n", text)  # fmt: skip
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, line_of(text, "salence: 0.3"), "members[0].salence", "unknown field")
    find(
        err,
        f,
        line_of(text, "objects: [bergg]"),
        "members[0].objects[0]",
        "unknown candidate 'bergg'",
    )
    find(err, f, line_of(text, "initial: zed"), "members[0].initial", "unknown candidate 'zed'")
    find(err, f, line_of(text, "id: dahl-enters"), "events[1]", "cite a source")
    find(
        err, f, line_of(text, "candidate: dahl"), "events[1].candidate", "unknown candidate 'dahl'"
    )
    assert len(err) == 5, err


def test_a_refused_field_with_a_default_leaves_its_item_unchecked(tmp_path, capsys):
    # rule: majority is refused; its default (consensus) must not stand in for it and make
    # the threshold look misplaced
    text = mutate("rule: consensus\n  quorum: 0.0", "rule: majority\n  threshold: 0.6")
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, line_of(text, "rule: majority"), "decision.rule", "qualified_majority")
    assert len(err) == 1, err
    # a required field refused: the member is not cross-checked (its initial not judged)
    text = mutate("capability: 0.9", "capability: high")
    text = mutate("initial: alpha", "initial: nobody", text)
    code, _, err = validate(capsys, write(tmp_path, text))
    assert len(err) == 1 and "capability" in err[0], err


def test_validate_prints_all_problems_of_a_file_in_one_pass(tmp_path, capsys):
    # One out-of-range value and two dangling references: three independent mistakes.
    # The user should see all three at once, not fix the first and then discover the others.
    text = mutate("capability: 0.9", "capability: 1.5")
    text = mutate("veto: [AA]", "veto: [ZZ]", text)
    text = mutate("date: 2024-03-01", "date: 2025-03-01", text)
    f = write(tmp_path, text)
    code, _, err = validate(capsys, f)
    assert code == 2
    find(err, f, line_of(text, "capability: 1.5"), "members[0].capability", "less than")
    find(err, f, line_of(text, "veto: [ZZ]"), "decision.veto[0]", "unknown member 'ZZ'")
    find(err, f, line_of(text, "date: 2025-03-01"), "events[0].date", "after calendar.last_round")
    assert len(err) == 3, err
