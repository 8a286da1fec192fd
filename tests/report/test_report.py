"""The batch report: figures, report.md numbers against runs.csv, Wilson intervals, modal run."""

import json
import math
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import yaml
from failing import fail_for
from folders import rows as read_rows

from sim import api
from sim.batching import plan_batch, replication_seed, worker
from sim.report import batch_report as report
from sim.results.outcomes import wilson
from sim.results.results import Results
from sim.scenario.schema import PRIORS

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
FIGURES = ("fan.png", "outcomes.png", "appointment_dates.png", "modal_stances.png")


def tiny_scenario(path: Path, noise: float = 0.3) -> Path:
    """Five members, two candidates, enough noise for wins by both and deadlocks."""
    cited = {"assumption": True}
    likes = [("A", "x", 0.8), ("B", "y", 0.8), ("C", "x", 0.3), ("D", "y", 0.3), ("E", "x", 0.2)]
    data = {
        "name": "tiny",
        "calendar": {
            "start": date(2024, 1, 1),
            "round_days": 7,
            "deadline": date(2024, 3, 4),
            "last_round": date(2024, 3, 4),
            **cited,
        },  # fmt: skip
        "decision": {"rule": "consensus", **cited},
        "candidates": [{"id": c, "name": c.upper(), "home": h, **cited} for c, h in ("xA", "yB")],
        "members": [
            {"code": m, "name": m, "capability": 0.5, "salience": 1.0, **cited} for m in "ABCDE"
        ],  # fmt: skip
        "preferences": [
            {"id": f"{m}-{c}", "members": {"codes": [m]}, "candidate": c, "affinity": a, **cited}
            for m, c, a in likes
        ],  # fmt: skip
        # The priors (docs/ODD.md 7.10): the mix of wins and deadlocks must not move with a refit.
        "parameters": {**PRIORS, "noise": noise, **cited},
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def make_batch(scenario: Path, out: Path, runs: int, sweeps=None) -> list[str]:
    """Run a batch inline as `coalition-sim batch` does, with its report."""
    plan = plan_batch(scenario, runs=runs, chunk=100, sweeps=sweeps)
    return api.batch_report(plan, api.execute(plan, out))


def rows_of(out: Path) -> list[dict]:
    return read_rows(out, "runs")


def table(md: str, header: str) -> dict[str, list[str]]:
    """The rows of the markdown table whose header line starts with `header`, by first cell."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def assert_figure(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert len(data) > 5_000, f"{path} looks blank"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    out = folder / "out"
    lines = make_batch(tiny_scenario(folder / "tiny.yaml"), out, runs=200)
    return out, lines


# --- Wilson intervals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "k,n,lo,hi,digits",
    [
        (0, 10, 0.000, 0.278, 3),
        (10, 10, 0.722, 1.000, 3),
        (5, 10, 0.237, 0.763, 3),
        # Newcombe (1998), Stat Med 17:857, table I, method 3 (score interval, no correction)
        (81, 263, 0.2553, 0.3662, 4),
        (15, 148, 0.0624, 0.1605, 4),
        (0, 20, 0.0000, 0.1611, 4),
        (1, 29, 0.0061, 0.1718, 4),
    ],
)
def test_wilson_interval_matches_textbook_values(k, n, lo, hi, digits):
    got = wilson(k, n)
    assert (round(float(got[0]), digits), round(float(got[1]), digits)) == (lo, hi)


def test_wilson_works_on_arrays_and_knows_nothing_from_no_runs():
    lo, hi = wilson([0, 5, 10], [0, 10, 10])
    assert lo[0] == 0.0 and hi[0] == 1.0
    assert lo[1] < 0.5 < hi[1] and hi[2] == 1.0 and lo[2] < 1.0


# --- the modal run -------------------------------------------------------------------------

# (point, winner, appointed round): x and y are candidates 0 and 1, None a deadlock.
HAND_MADE = [(0, "x", 3), (0, "y", 2), (0, "x", 4), (0, "y", 2), (0, "x", 3), (0, None, None),
             (0, None, None), (0, "y", 2), *[(1, "x", 4)] * 5]  # fmt: skip


def hand_made(outcomes) -> Results:
    """Results of replications with the given outcomes (runs 0, 1, ..., seeds 100, 101, ...)."""
    n = len(outcomes)
    code = {"x": 0, "y": 1, None: -1}
    return Results(
        scenario="hand", members=["A"], candidates=["x", "y"],
        dates={0: [date(2024, 1, 1)] * 10, 1: [date(2024, 1, 1)] * 10},
        points=[{}, {}],
        columns={
            "run": np.arange(n, dtype=np.int64),
            "seed": np.arange(100, 100 + n, dtype=np.uint64),
            "point": np.array([o[0] for o in outcomes], dtype=np.int32),
            "winner": np.array([code[o[1]] for o in outcomes], dtype=np.int16),
            "appointed_round": np.array([-1 if o[2] is None else o[2] for o in outcomes], dtype=np.int32),
            "rounds": np.array([9 if o[2] is None else o[2] for o in outcomes], dtype=np.int32),
        },
    )  # fmt: skip


def test_modal_run_is_point_0s_most_frequent_outcome_then_its_most_frequent_round():
    # point 0: x 3 times (rounds 3, 4, 3), y 3 times (round 2 each), deadlock twice; x and y
    # tie and x was seen first; x's round is 3 (runs 0 and 4). Point 1's x's do not count.
    results = hand_made(HAND_MADE)
    assert results.modal() == ("x", 3, 0, 100)
    assert results.share_of_modal() == (3 / 8, 2 / 3)


def test_a_winner_spread_over_days_is_still_the_most_frequent_outcome():
    # x in five different rounds (5 runs) against deadlock twice: counting (winner, round)
    # pairs made deadlock "the most frequent outcome" beside a table showing x at 5 of 7
    outcomes = [(0, "x", r) for r in (1, 2, 3, 4, 5)] + [(0, None, None)] * 2
    results = hand_made(outcomes)
    assert results.modal() == ("x", 1, 0, 100)
    assert results.share_of_modal() == (5 / 7, 1 / 5)


def test_modal_run_ties_go_to_the_outcome_seen_first():
    # deadlock (runs 5, 6) and x@3 (runs 0, 4) twice each... x has 3 runs in all, first
    assert hand_made(HAND_MADE[:7] + [(0, "x", 4)]).modal() == ("x", 3, 0, 100)
    deadlocks = hand_made([HAND_MADE[5], HAND_MADE[6], HAND_MADE[0]])
    assert deadlocks.modal() == (None, None, 0, 100)
    assert deadlocks.share_of_modal() == (2 / 3, 1.0)
    tie = hand_made([(0, None, None), (0, "x", 2)])
    assert tie.modal() == (None, None, 0, 100)  # one each: deadlock came first


def test_counts_are_by_point_and_outcome():
    assert hand_made(HAND_MADE).counts().tolist() == [[3, 3, 2], [5, 0, 0]]  # x, y, deadlock


# --- a whole report ------------------------------------------------------------------------


def test_report_draws_every_figure_and_no_sweep_figure_without_a_sweep(tiny):
    out, _ = tiny
    for name in FIGURES:
        assert_figure(out / "plots" / name)
    assert not list((out / "plots").glob("sweep_*"))
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]  # every file renamed when whole
    md = (out / "report.md").read_text()
    for name in FIGURES:
        assert f"](plots/{name})" in md
    assert md.startswith("# Batch report: tiny\n")
    assert " UTC with coalition-sim " in md
    assert "Made from Python (the `sim` API), not by a command." in md  # made by make_batch
    assert "Sweep points" not in md and "failed" not in md


def test_report_probabilities_and_dates_match_runs_csv(tiny):
    out, lines = tiny
    rows = rows_of(out)
    n = len(rows)
    counts = Counter(r["winner"] or "deadlock" for r in rows)
    assert len(counts) == 3, "the tiny scenario should give both winners and deadlocks"
    outcomes = table((out / "report.md").read_text(), "| outcome |")
    assert list(outcomes) == ["x", "y", "deadlock"]
    for label, cells in outcomes.items():
        k = counts[label]
        lo, hi = wilson(k, n)
        assert cells[0] == f"{100 * k / n:.1f}%"
        assert cells[1] == f"{100 * lo:.1f} to {100 * hi:.1f}%"
        assert cells[2] == f"{k:,} of {n:,}"
        if label != "deadlock":
            days = sorted(r["appointed_date"] for r in rows if r["winner"] == label)
            assert cells[3] == days[math.ceil(len(days) / 2) - 1]  # the lower median
            assert (
                cells[4]
                == f"{days[math.ceil(len(days) / 4) - 1]} to {days[math.ceil(3 * len(days) / 4) - 1]}"
            )
        assert lines[list(outcomes).index(label)].split()[:2] == [label, cells[0]]
    assert lines[-1] == f"  report: {out}/report.md"


def test_report_withdrawals_holdouts_and_concessions_match_the_tables(tiny):
    out, _ = tiny
    rows = rows_of(out)
    md = (out / "report.md").read_text()
    withdrawn = table(md, "| candidate |")
    wd = read_rows(out, "withdrawals")
    for cand in ("x", "y"):
        k = len({r["run"] for r in wd if r["candidate"] == cand})
        assert withdrawn[cand][0] == f"{100 * k / len(rows):.1f}% ({k:,})"
    appointed = [r for r in rows if r["winner"]]
    held = Counter(r["member"] for r in read_rows(out, "holdouts"))
    top, k = held.most_common(1)[0]
    assert table(md, "| member |")[top] == [f"{100 * k / len(appointed):.1f}%", f"{k:,}"]
    any_concession = len({r["run"] for r in read_rows(out, "concessions")})
    assert f"{100 * any_concession / len(rows):.1f}% of replications ({any_concession:,})" in md


def test_modal_stances_are_those_of_the_first_replication_of_the_modal_outcome(tiny):
    out, _ = tiny
    rows = rows_of(out)
    modal = Counter((r["winner"], r["appointed_round"]) for r in rows).most_common(1)[0][0]
    first = next(r for r in rows if (r["winner"], r["appointed_round"]) == modal)
    md = (out / "report.md").read_text()
    assert f"run {first['run']} (`coalition-sim run" in md and f"--seed {first['seed']}" in md


def test_sweep_report_has_a_figure_per_swept_key_and_a_point_table(tmp_path):
    out = tmp_path / "out"
    lines = make_batch(BASE, out, runs=100, sweeps=["parameters.noise=0.2,1.0"])
    for name in (*FIGURES, "sweep_parameters.noise.png"):
        assert_figure(out / "plots" / name)
    md = (out / "report.md").read_text()
    assert "](plots/sweep_parameters.noise.png)" in md
    points = table(md, "| point |")
    rows = rows_of(out)
    for point, cells in points.items():
        here = [r for r in rows if r["point"] == point]
        wins = sum(1 for r in here if r["winner"] == "rutte")
        assert cells[1] == f"{100 * wins / len(here):.1f}%" and cells[-1] == f"{len(here):,}"
    assert [cells[0] for cells in points.values()] == ["0.2", "1.0"]
    assert "  (all 2 sweep points pooled; each point in report.md)" in lines


def test_more_than_four_points_fan_out_the_two_most_different(tmp_path):
    scenario = tiny_scenario(tmp_path / "tiny.yaml")
    out = tmp_path / "out"
    make_batch(scenario, out, runs=20, sweeps=["parameters.noise=0.1,0.2,0.3,0.4,0.5"])
    md = (out / "report.md").read_text()
    rows = rows_of(out)
    lead = Counter(r["winner"] for r in rows).most_common(1)[0][0]
    wins = [sum(r["winner"] == lead for r in rows if r["point"] == str(p)) for p in range(5)]
    extremes = sorted({wins.index(min(wins)), wins.index(max(wins))})
    assert f"(points {' and '.join(map(str, extremes))} of 5: the most different" in md
    assert_figure(out / "plots" / "sweep_parameters.noise.png")


def test_the_sweep_table_gives_each_points_median_appointment_date(tmp_path):
    scenario = tiny_scenario(tmp_path / "tiny.yaml")
    out = tmp_path / "out"
    make_batch(scenario, out, runs=40, sweeps=["parameters.noise=0.1,0.6"])
    md = (out / "report.md").read_text()
    assert "| median appointment | middle 50% | replications |" in md
    points = table(md, "| point |")
    rows = rows_of(out)
    for p, cells in points.items():
        days = sorted(r["appointed_date"] for r in rows if r["point"] == p and r["winner"])
        median = days[(len(days) + 1) // 2 - 1] if days else "-"  # the inverted-CDF median
        assert cells[-3] == median


def test_failed_replications_are_counted_and_left_out(tmp_path, monkeypatch):
    scenario = tiny_scenario(tmp_path / "tiny.yaml")
    fail_for(monkeypatch, {replication_seed(1, 0, k) for k in (3, 17)})
    out = tmp_path / "out"
    lines = make_batch(scenario, out, runs=40)
    md = (out / "report.md").read_text()
    assert "2 of 40 replications failed" in md and "`FloatingPointError: injected failure`" in md
    assert sum(int(c[2].split(" of ")[0]) for c in table(md, "| outcome |").values()) == 38
    assert "  2 replications failed (error column of runs.csv.gz)" in lines
    for name in FIGURES:
        assert_figure(out / "plots" / name)


def test_a_batch_whose_every_replication_failed_still_reports(tmp_path, monkeypatch):
    def broken(world, seeds):
        raise FloatingPointError("always")

    monkeypatch.setattr(worker, "simulate", broken)
    out = tmp_path / "out"
    lines = make_batch(tiny_scenario(tmp_path / "tiny.yaml"), out, runs=5)
    assert lines[0] == "  all 5 replications failed"
    assert "Every replication failed" in (out / "report.md").read_text()


def test_a_changed_scenario_file_is_pointed_out(tmp_path):
    scenario = tiny_scenario(tmp_path / "tiny.yaml")
    out = tmp_path / "out"
    make_batch(scenario, out, runs=20)
    assert "has changed since this batch ran" not in (out / "report.md").read_text()
    tiny_scenario(scenario, noise=0.9)
    plan = plan_batch(tmp_path / "tiny.yaml", runs=20, chunk=100)
    results = Results.load(out)
    info = json.loads((out / "batch.json").read_text())
    meta = json.loads((out / "manifest.json").read_text())
    lines = report.write_report(out, results, info, meta)
    assert plan.key != info["key"]
    assert "has changed since this batch ran" in (out / "report.md").read_text()
    assert f"  note: {scenario} has changed since this batch ran" in lines


def test_the_replay_command_writes_values_as_a_user_types_them():
    from sim.report.batch_report import _replay

    info = {"scenario_path": "s.yaml", "overrides": ["parameters.noise=0.3"],
            "points": [{"values": {"calendar.deadline": "2024-06-01", "members.HU.initial": "rutte",
                                   "a.text": "true", "parameters.w_band": 2.5}}]}  # fmt: skip
    assert _replay(info, 7) == (
        "coalition-sim run s.yaml --seed 7 --set parameters.noise=0.3 --set "
        "calendar.deadline=2024-06-01 --set members.HU.initial=rutte --set "
        "'a.text=\"true\"' --set parameters.w_band=2.5"
    )
