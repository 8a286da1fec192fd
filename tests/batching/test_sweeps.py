"""Sweeps: many points in few chunks, the same tables however they are cut, integer spans,
the user's own design, and the renamed Sobol-sequence design."""

import json
from pathlib import Path

import pytest
import yaml

from sim.batching import InlineExecutor, make_executor, plan_batch, run_batch, worker
from sim.cli.main import main
from sim.errors import ScenarioError
from sim.results.tables import TABLES, table_text

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
NOISY = ["parameters.noise=1.5,2.5", "parameters.w_ties=0.5,1"]


def texts(results) -> dict[str, str]:
    return {t: table_text(results, t) for t in TABLES}


def variant(tmp_path: Path, sweep: dict) -> Path:
    path = tmp_path / "swept.yaml"
    path.write_text(f"extends: {BASE}\n" + yaml.safe_dump({"batch": {"sweep": sweep}}))
    return path


def test_a_chunk_spans_several_points():
    plan = plan_batch(BASE, runs=10, chunk=25, sweeps=NOISY)
    assert [c.pieces() for c in plan.chunks][:2] == [
        [(0, 0, 10), (1, 0, 10), (2, 0, 5)],
        [(2, 5, 10), (3, 0, 10)],
    ]
    assert len(plan.chunks) == 2


def test_sweep_tables_do_not_depend_on_chunks_workers_or_points_batched_together(tmp_path):
    runs = 60
    reference = texts(
        run_batch(plan_batch(BASE, runs=runs, chunk=1000, sweeps=NOISY), None).results
    )
    for chunk in (1, 7, 50, runs):  # 1: every replication alone; runs: one chunk per point
        got = run_batch(plan_batch(BASE, runs=runs, chunk=chunk, sweeps=NOISY), None).results
        assert texts(got) == reference, f"chunk {chunk}"
    executor, close = make_executor("process", 2)
    try:
        plan = plan_batch(BASE, runs=runs, chunk=13, sweeps=NOISY)
        pooled = run_batch(plan, tmp_path / "pooled", executor, workers=2).results
    finally:
        close()
    assert texts(pooled) == reference


def test_an_integer_parameter_swept_over_a_span_gets_whole_numbers(tmp_path):
    sweep = {"design": "lhs", "samples": 6,
             "params": {"parameters.withdraw_patience": {"min": 1, "max": 30}}}  # fmt: skip
    plan = plan_batch(variant(tmp_path, sweep), runs=2)
    values = [p.values["parameters.withdraw_patience"] for p in plan.points]
    assert all(isinstance(v, int) and 1 <= v <= 30 for v in values)
    grid = {"params": {"withdraw_patience": {"min": 1, "max": 4, "num": 7}}}
    plan = plan_batch(variant(tmp_path, grid), runs=2)
    assert [p.values["parameters.withdraw_patience"] for p in plan.points] == [1, 2, 3, 4]
    floats = {"design": "lhs", "samples": 3, "params": {"parameters.noise": {"min": 0, "max": 1}}}
    plan = plan_batch(variant(tmp_path, floats), runs=2)
    assert any(not float(p.values["parameters.noise"]).is_integer() for p in plan.points)


def test_sobol_is_now_sobol_sequence_and_the_old_name_warns(tmp_path):
    spans = {"parameters.noise": {"min": 0.1, "max": 0.5}}
    plan = plan_batch(
        variant(tmp_path, {"design": "sobol-sequence", "samples": 4, "params": spans}), runs=2
    )
    assert len(plan.points) == 4
    with pytest.warns(FutureWarning, match="sobol-sequence"):
        old = plan_batch(
            variant(tmp_path, {"design": "sobol", "samples": 4, "params": spans}), runs=2
        )
    assert [p.values for p in old.points] == [p.values for p in plan.points]


def test_a_users_design_file_gives_the_points(tmp_path):
    (tmp_path / "design.csv").write_text(
        "parameters.noise,grievances.schengen.weight\n0.1,0\n0.4,0.5\n"
    )
    path = variant(tmp_path, {"design": "points", "file": "design.csv"})
    plan = plan_batch(path, runs=3)
    assert [p.values for p in plan.points] == [
        {"parameters.noise": 0.1, "grievances.schengen.weight": 0},
        {"parameters.noise": 0.4, "grievances.schengen.weight": 0.5},
    ]
    assert plan.points[1].scenario.parameters.noise == 0.4


@pytest.mark.parametrize(
    "content,expected",
    [
        (
            "parameters.noise\n0.1\n-3\n",
            "design.csv:3: parameters.noise: Input should be greater than or equal to 0",
        ),
        (
            "parameters.noise,parameters.w_ties\n0.1,\n",
            "design.csv:2: parameters.w_ties: empty cell",
        ),
        ("parameters.noise\n0.1,2\n", "design.csv:2: 2 cells for 1 columns"),
        ("", "design.csv:1: a design file needs a header of swept keys"),
        ("parameters.nois\n0.1\n", "design.csv:2: parameters.nois"),
    ],
)
def test_a_bad_design_file_is_one_located_line(tmp_path, capsys, content, expected):
    (tmp_path / "design.csv").write_text(content)
    path = variant(tmp_path, {"design": "points", "file": "design.csv"})
    with pytest.raises(ScenarioError) as err:
        plan_batch(path, runs=2)
    assert expected in str(err.value)
    assert main(["batch", str(path), "--runs", "2", "--out", str(tmp_path / "o")]) == 2
    assert expected in capsys.readouterr().err


def test_a_points_design_needs_its_file_and_no_params(tmp_path):
    with pytest.raises(ScenarioError, match="needs `file"):
        plan_batch(variant(tmp_path, {"design": "points"}), runs=2)


def test_many_points_share_chunk_files(tmp_path):
    plan = plan_batch(
        BASE,
        runs=5,
        chunk=1000,
        sweeps=["parameters.noise=" + ",".join(str(0.1 + i / 100) for i in range(40))],
    )
    assert len(plan.chunks) == 1
    outcome = run_batch(plan, tmp_path, InlineExecutor())
    assert outcome.results.n_points == 40 and outcome.results.n_runs == 200


def test_stacked_points_give_the_tables_each_point_gives_alone(monkeypatch):
    """Points that share one vectorised call (parameters, a rule weight and a capability
    read per replication; integer parameters that switch rules off) give the tables that
    each point gives in its own call, with points of another structure (a later deadline)
    in the same chunks."""
    design = [
        {"parameters.noise": 0.2 + k / 10, "grievances.schengen.weight": k / 8,
         "members.US.capability": 0.6 + k / 20, "parameters.withdraw_patience": k % 3,
         "parameters.concessions_per_round": k % 4,
         "calendar.deadline": "2024-07-09" if k % 5 else "2024-07-11"}
        for k in range(8)
    ]  # fmt: skip
    plan = plan_batch(BASE, runs=15, chunk=45, design=design)
    stacked = texts(run_batch(plan, None).results)
    monkeypatch.setattr(worker, "STACK_POINTS", 1)  # every point its own call
    assert texts(run_batch(plan_batch(BASE, runs=15, chunk=45, design=design), None).results) \
        == stacked  # fmt: skip
    groups = worker._groups(worker_task(plan, plan.chunks[0]))
    assert [len(g) for g in groups] == [1, 1, 1]
    monkeypatch.setattr(worker, "STACK_POINTS", 256)
    assert [len(g) for g in worker._groups(worker_task(plan, plan.chunks[0]))] == [1, 2]


def worker_task(plan, chunk):
    from sim.batching.runner import _task

    return _task(plan, chunk, False)


def test_a_point_that_sets_parameters_only_is_the_point_loaded_in_full(monkeypatch, tmp_path):
    """The quick path (only the `parameters:` block validated) gives the very scenario and
    digest of loading the point in full, also on top of `--set` overrides."""
    from sim.batching import plan as plan_module

    design = [{"parameters.noise": 0.1 * k, "parameters.withdraw_patience": k,
               "parameters.lift_threshold": 0.5 + k / 10} for k in range(1, 5)]  # fmt: skip
    sets = ["parameters.w_ties=0.7", "members.HU.salience=0.4"]
    quick = plan_batch(BASE, sets, runs=2, design=design)
    monkeypatch.setattr(plan_module, "parameter_point", lambda *a: None)
    full = plan_batch(BASE, sets, runs=2, design=design)
    assert [p.digest for p in quick.points] == [p.digest for p in full.points]
    assert [p.scenario.model_dump() for p in quick.points] == [
        p.scenario.model_dump() for p in full.points
    ]
    assert quick.key == full.key
    assert len({p.digest for p in quick.points}) == 4


@pytest.mark.parametrize(
    ("name", "extra"),
    [("nato-2024", "members.US.capability"), ("osce-2020", "parameters.w_ties")],
)
def test_a_stacked_calls_arrays_are_each_points_own_bit_for_bit(monkeypatch, name, extra):
    """Every array of a chunk's results (columns, event tables, the support cube counted
    once for the whole stacked call) is byte for byte the one each point gives alone, with
    noise and a capability or a parameter differing per point (points end in different
    rounds)."""
    import numpy as np

    scenario = ROOT / "scenarios" / f"{name}.yaml"
    design = [{"parameters.noise": 0.1 + k / 4, extra: 0.3 + k / 20} for k in range(7)]

    def arrays():
        plan = plan_batch(scenario, runs=9, chunk=63, design=design)
        return worker.run_chunk(worker_task(plan, plan.chunks[0])).results

    built = []
    real = worker.Results.from_history
    monkeypatch.setattr(worker.Results, "from_history",
                        lambda *a, **k: built.append(1) or real(*a, **k))  # fmt: skip
    stacked = arrays()
    assert len(built) == 1  # one Results for the stacked call, not one per point
    monkeypatch.setattr(worker, "STACK_POINTS", 1)
    alone = arrays()
    assert len(built) == 1 + len(design)
    assert stacked.dates == alone.dates and stacked.sessions == alone.sessions
    assert stacked.cube.keys() == alone.cube.keys()
    for k in alone.cube:
        a, b = alone.cube[k], stacked.cube[k]
        assert a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes(), k
    for k in alone.columns:
        assert alone.columns[k].tobytes() == stacked.columns[k].tobytes(), k
    for t, cols in alone.events.items():
        for k in cols:
            assert np.asarray(cols[k]).tobytes() == np.asarray(stacked.events[t][k]).tobytes()


def test_each_points_file_gives_its_own_scenario_and_few_are_dumped_whole(tmp_path, monkeypatch):
    """p0000.json is the first point's dump; every other file is a difference from it that
    gives the JSON of the point's own dump (parameter points and a point that changes
    another section alike). Whole dumps: the first point and the check of each kind of
    point, not one per point (nor a flush to disk per file); each point replays."""
    from sim.batching import point_world, read_point
    from sim.batching.points import apply_changes

    design = [{"parameters.noise": 0.1 + k / 10, "parameters.withdraw_patience": k + 1,
               **({"calendar.deadline": "2024-07-11"} if k == 3 else {})} for k in range(12)]  # fmt: skip
    plan = plan_batch(BASE, ["parameters.w_ties=0.7"], runs=2, design=design)
    kind, dumps = type(plan.points[0].scenario), []
    whole = kind.model_dump_json
    monkeypatch.setattr(kind, "model_dump_json", lambda s, **k: dumps.append(1) or whole(s, **k))
    run_batch(plan, tmp_path / "o", InlineExecutor())
    assert len(dumps) == 3  # the first point, the check of a parameter point, the deadline point
    monkeypatch.undo()
    first = (tmp_path / "o" / "points" / "p0000.json").read_text()
    assert first == plan.points[0].scenario.model_dump_json(by_alias=True, indent=1)
    for point in plan.points[1:]:
        held = json.loads((tmp_path / "o" / "points" / f"p{point.index:04d}.json").read_text())
        own = json.loads(point.scenario.model_dump_json(by_alias=True, indent=1))
        assert apply_changes(json.loads(first), held["changes"]) == own, point.index
        assert read_point(tmp_path / "o", point.index) == point.scenario, point.index
    assert point_world(tmp_path / "o", 5).rounds[1].params.noise == design[5]["parameters.noise"]


DEADLINES = "calendar.deadline=2024-06-01,2024-07-01"


def test_a_date_field_is_swept_from_the_command_line_and_from_the_file(tmp_path):
    from datetime import date

    swept = variant(
        tmp_path, {"params": {"calendar.deadline": [date(2024, 6, 1), date(2024, 7, 1)]}}
    )
    assert "- 2024-06-01" in swept.read_text()  # YAML dates, not quoted text
    for plan in (plan_batch(BASE, runs=2, sweeps=[DEADLINES]), plan_batch(swept, runs=2)):
        assert [p.values for p in plan.points] == [
            {"calendar.deadline": "2024-06-01"},  # ISO text, as batch.json and a --resume hold it
            {"calendar.deadline": "2024-07-01"},
        ]
        assert [p.scenario.calendar.deadline for p in plan.points] == [
            date(2024, 6, 1),
            date(2024, 7, 1),
        ]


def test_a_swept_date_is_an_iso_date_in_every_output(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["batch", str(BASE), "--runs", "4", "--sweep", DEADLINES, "--out", str(out)]) == 0
    capsys.readouterr()
    from folders import rows

    assert {r["calendar.deadline"] for r in rows(out, "runs")} == {"2024-06-01", "2024-07-01"}
    held = json.loads((out / "batch.json").read_text())
    assert [p["values"] for p in held["points"]] == [
        {"calendar.deadline": "2024-06-01"},
        {"calendar.deadline": "2024-07-01"},
    ]
    report = (out / "report.md").read_text()
    assert "2024-06-01" in report and "2024-07-01" in report and "datetime" not in report
    assert (out / "plots" / "sweep_calendar.deadline.png").stat().st_size > 0


@pytest.mark.parametrize("where", ["cli", "file"])
def test_a_bad_swept_date_is_one_line(tmp_path, capsys, where):
    args = ["batch", str(BASE), "--sweep", "calendar.deadline=2024-06-01,2024-02-30"]
    if where == "file":
        swept = tmp_path / "swept.yaml"
        swept.write_text(f"extends: {BASE}\nbatch:\n  sweep:\n    params:\n"
                         "      calendar.deadline: [2024-06-01, 2024-02-30]\n")  # fmt: skip
        args = ["batch", str(swept)]
    assert main([*args, "--runs", "2", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "2024-02-30" in err, err
    assert ("--sweep calendar.deadline" if where == "cli" else "swept.yaml:5") in err, err
    assert not (tmp_path / "o").exists()


def test_a_sweep_value_the_base_refuses_is_blamed_on_the_sweep_not_the_base(tmp_path, capsys):
    # HU objects to rutte in the base file: initial=rutte breaks that cross-reference there
    args = ["batch", str(BASE), "--runs", "2", "--out", str(tmp_path / "o")]
    assert main([*args, "--sweep", "members.HU.initial=rutte,iohannis"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("--sweep members.HU.initial=rutte: members[12].objects[0]: "), err
    assert "cannot object to 'rutte'" in err and "nato-2024.yaml:" in err
    assert len(err.splitlines()) == 1
    assert main([*args, "--sweep", "members.HU.initial=iohannis"]) == 2  # the value itself
    err = capsys.readouterr().err.strip()
    assert err.startswith("--sweep members.HU.initial=iohannis: members.HU.initial: "), err
    swept = variant(tmp_path, {"params": {"members.HU.initial": ["rutte"]}})
    assert main(["batch", str(swept), "--runs", "2", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{swept}:5: batch.sweep.params.members.HU.initial: rutte: "), err
    assert "cannot object to 'rutte'" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_bad_span_in_the_file_names_the_field_not_pydantic_s_union(tmp_path, capsys):
    swept = tmp_path / "swept.yaml"
    swept.write_text(f"extends: {BASE}\nbatch:\n  sweep:\n    params:\n"
                     "      parameters.noise: {min: 0.1, max: 1.0, num: 1000000}\n")  # fmt: skip
    assert main(["validate", str(swept)]) == 2
    err = capsys.readouterr().err.strip()
    # one line, at the span's own field: not "function-after[_ordered(), Span].num", and not
    # the list form's "Input should be a valid list" as well
    assert err == (f"{swept}:5: batch.sweep.params.parameters.noise.num: Input should be less "
                   "than or equal to 10000 (got 1000000)"), err  # fmt: skip


def test_a_parameter_swept_by_its_short_name_is_the_same_sweep(tmp_path):
    short = plan_batch(BASE, runs=10, sweeps=["noise=0.1,0.2", "calendar.deadline=2024-07-08"])
    full = plan_batch(
        BASE, runs=10, sweeps=["parameters.noise=0.1,0.2", "calendar.deadline=2024-07-08"]
    )
    assert short.swept == full.swept == ["parameters.noise", "calendar.deadline"]
    assert short.key == full.key  # the same folder, resumed with either spelling
    from_file = plan_batch(variant(tmp_path, {"params": {"noise": [0.1, 0.2]}}), runs=10)
    assert from_file.swept == ["parameters.noise"]
    assert [p.values for p in from_file.points] == [
        {"parameters.noise": 0.1},
        {"parameters.noise": 0.2},
    ]


def test_a_parameter_swept_by_both_names_is_refused(capsys):
    with pytest.raises(ScenarioError) as caught:
        plan_batch(BASE, runs=10, sweeps=["noise=0.1", "parameters.noise=0.2"])
    (problem,) = caught.value.problems
    assert str(problem) == (  # from Python: the argument (the command line says --sweep)
        "sweep=: parameters.noise: noise and parameters.noise are the same key; "
        "give it once, with all its values"
    )
