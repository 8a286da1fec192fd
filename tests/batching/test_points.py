"""A batch's points/ folder: p0000.json is the first point's whole scenario, every other
point a small difference from it that replays the point exactly; old folders of whole
scenarios still read; a torn or edited file is a one-line error that names it."""

import json
import random
from pathlib import Path

import pytest

from sim.analysis.inputs import choose_inputs
from sim.batching import plan_batch, point_world, prepare_folder, read_point
from sim.batching import points as point_files
from sim.cli.main import main
from sim.engine.world import build_world
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario, scenario_digest
from sim.scenario.schema import PARAMETER_NAMES

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"


def dump(scenario) -> str:
    return scenario.model_dump_json(by_alias=True, indent=1)


def files(out: Path) -> list[Path]:
    return sorted((out / "points").glob("p*.json"))


def assert_replays(out: Path, plan) -> None:
    """Each point read back is the point's own scenario, and builds the same World."""
    for point in plan.points:
        got = read_point(out, point.index)
        assert dump(got) == dump(point.scenario), point.index
        assert scenario_digest(got) == point.digest, point.index
        world = point_world(out, point.index)
        assert dump(world.scenario) == dump(build_world(point.scenario).scenario), point.index


def assert_compact(out: Path, plan, share: float) -> list[list]:
    """p0000 is the first point's dump, byte for byte; every other file a difference from
    it, smaller than `share` of it. Returns each difference's changes."""
    first, *others = files(out)
    assert first.read_text() == dump(plan.points[0].scenario)
    assert len(others) == len(plan.points) - 1
    changes = []
    for path in others:
        held = json.loads(path.read_text())
        assert held["base"] == "p0000.json", path.name
        assert path.stat().st_size < share * first.stat().st_size, path.name
        changes.append(held["changes"])
    return changes


def test_a_parameter_sweeps_files_are_differences_that_replay_each_point(tmp_path):
    plan = plan_batch(BASE, runs=2, sweeps=["parameters.noise=0.1,0.2,0.3",
                                            "parameters.withdraw_patience=2,5"])  # fmt: skip
    prepare_folder(tmp_path / "o", plan)
    changes = assert_compact(tmp_path / "o", plan, 0.02)
    # point 1 is noise 0.1 with patience 5: only what differs from point 0 is written
    assert changes[0] == [[["parameters", "withdraw_patience"], 5]]
    assert_replays(tmp_path / "o", plan)


def test_a_member_field_sweep_from_the_command_line_compacts_and_replays(tmp_path, capsys):
    out = tmp_path / "o"
    args = ["batch", str(BASE), "--runs", "2", "--out", str(out), "--no-report",
            "--sweep", "members.BE.capability=0.15,0.25", "--sweep", "members.AL.salience=0.3,0.5"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    plan = plan_batch(BASE, runs=2, sweeps=[a for a in args[7:] if a != "--sweep"])
    changes = assert_compact(out, plan, 0.02)
    be = [m.code for m in plan.points[0].scenario.members].index("BE")
    assert changes[1] == [[["members", be, "capability"], 0.25]]  # point 2: BE moved only
    assert_replays(out, plan)


def test_the_sensitivity_commands_points_compact_to_the_fields_they_move(tmp_path):
    """Points that move members' capability and salience, rules' weights and affinities and
    the noise at once (the inputs `sensitivity` varies; not the other parameters, which
    random values could set against each other) write those fields."""
    inputs = [i for i in choose_inputs(load_scenario(BASE))
              if i.field.kind != "parameter" or i.key == "parameters.noise"]  # fmt: skip
    assert {i.field.kind for i in inputs} >= {"capability", "salience", "grievance", "tie"}
    rng = random.Random(5)

    def value(i):
        v = rng.uniform(i.low, i.high)
        return round(v) if i.field.integer else v

    design = [{i.key: value(i) for i in inputs} for _ in range(4)]
    plan = plan_batch(BASE, runs=2, design=design)
    prepare_folder(tmp_path / "o", plan)
    changes = assert_compact(tmp_path / "o", plan, 0.25)
    moved = {"capability", "salience", "affinity", "weight", *PARAMETER_NAMES}
    for each in changes:
        assert 0 < len(each) <= len(inputs)
        assert {path[-1] for path, _ in each} <= moved
    assert_replays(tmp_path / "o", plan)


def test_every_point_is_whole_when_the_difference_would_not_replay(tmp_path, monkeypatch):
    """The difference of the first differing point is checked against its own dump on
    write; where they disagree, every point's file is its whole dump, as before."""
    monkeypatch.setattr(point_files, "changes_between", lambda *a: [])  # a wrong difference
    plan = plan_batch(BASE, runs=2, sweeps=["parameters.noise=0.1,0.2,0.3"])
    prepare_folder(tmp_path / "o", plan)
    assert [p.read_text() for p in files(tmp_path / "o")] == [dump(p.scenario) for p in plan.points]
    monkeypatch.undo()
    assert_replays(tmp_path / "o", plan)
    prepare_folder(tmp_path / "right", plan)  # with the right difference: compact
    assert_compact(tmp_path / "right", plan, 0.02)


def test_an_old_folder_of_whole_scenarios_still_reads(tmp_path):
    """Folders written before the differences hold each point's whole dump."""
    plan = plan_batch(BASE, runs=2, sweeps=["parameters.noise=0.1,0.2", "members.BE.salience=0.4,0.6"])  # fmt: skip
    out = tmp_path / "old"
    prepare_folder(out, plan)
    for point in plan.points:  # what the program wrote before: each point's dump, whole
        (out / "points" / f"p{point.index:04d}.json").write_text(dump(point.scenario))
    assert_replays(out, plan)


def test_a_difference_tells_what_json_text_tells():
    """1 from 1.0 and true, 0.0 from -0.0, a dict's keys in another order, a list of another
    length: each is a change, so the changes give the point's JSON exactly."""
    old = {"a": {"x": 1, "y": [1.0, 0.0, True], "z": "s"}, "b": {"k": 1, "j": 2}, "c": [1, 2]}
    new = {"a": {"x": 1.0, "y": [1, -0.0, True], "z": "s"}, "b": {"j": 2, "k": 1}, "c": [1, 2, 3]}
    changes = point_files.json_changes(old, new)
    assert repr(changes) == repr([[["a", "x"], 1.0], [["a", "y", 0], 1], [["a", "y", 1], -0.0],
                                  [["b"], {"j": 2, "k": 1}], [["c"], [1, 2, 3]]])  # fmt: skip
    assert repr(point_files.apply_changes(json.loads(json.dumps(old)), changes)) == repr(new)
    assert point_files.json_changes(old, json.loads(json.dumps(old))) == []


@pytest.fixture
def folder(tmp_path):
    plan = plan_batch(BASE, runs=2, sweeps=["parameters.noise=0.1,0.2,0.3,0.4,0.5"])
    prepare_folder(tmp_path / "o", plan)
    return tmp_path / "o"


def one_line_naming(exc: pytest.ExceptionInfo, name: str) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and f"points/{name}" in msg, msg
    return msg


def test_a_hand_edited_difference_is_a_one_line_error_naming_it(folder):
    path = folder / "points" / "p0003.json"
    path.write_text(path.read_text().replace("0.4", "0.45"))
    with pytest.raises(ScenarioError) as exc:
        read_point(folder, 3)
    one_line_naming(exc, "p0003.json")
    with pytest.raises(ScenarioError) as exc:
        point_world(folder, 3)
    one_line_naming(exc, "p0003.json")
    assert read_point(folder, 2).parameters.noise == 0.3  # the others still read


def test_a_torn_point_file_is_a_one_line_error_naming_it(folder):
    for name in ("p0002.json", "p0000.json"):
        path = folder / "points" / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        with pytest.raises(ScenarioError) as exc:
            read_point(folder, int(name[1:5]))
        one_line_naming(exc, name)


def test_an_edited_first_point_is_named_when_a_difference_is_read(folder):
    """The differences are written against p0000.json as it was: an edit of it is found."""
    path = folder / "points" / "p0000.json"
    path.write_text(path.read_text().replace('"nato-2024"', '"nato-2025"', 1))
    with pytest.raises(ScenarioError) as exc:
        read_point(folder, 4)
    one_line_naming(exc, "p0000.json")


def test_a_difference_that_names_a_path_p0000_lacks_is_a_one_line_error(folder):
    path = folder / "points" / "p0001.json"
    held = json.loads(path.read_text())
    held["changes"] = [[["parameters", 7, "noise"], 0.2]]
    held["changes_sha256"] = point_files.changes_digest(held["changes"])  # a consistent edit
    path.write_text(json.dumps(held))
    with pytest.raises(ScenarioError) as exc:
        read_point(folder, 1)
    one_line_naming(exc, "p0001.json")
    path.write_text("[1, 2]")  # JSON, but no scenario and no difference
    with pytest.raises(ScenarioError) as exc:
        read_point(folder, 1)
    one_line_naming(exc, "p0001.json")


def test_a_missing_point_file_is_a_one_line_error_naming_it(folder):
    (folder / "points" / "p0004.json").unlink()
    with pytest.raises(ScenarioError) as exc:
        read_point(folder, 4)
    one_line_naming(exc, "p0004.json")
