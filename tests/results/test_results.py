"""`Results`: built from a History, its tables read back as the rows they stand for, saved
and loaded whole, joined from chunks exactly as if computed at once."""

import csv
import io

import numpy as np
import pandas as pd
import pytest
from toy import toy

from sim.batching.plan import replication_seeds
from sim.engine.holdouts import holdout_order
from sim.engine.loop import simulate
from sim.engine.rules import NEVER
from sim.results.results import Results
from sim.results.tables import TABLES, table_text


def noisy():
    world = toy(members=("A", "B", "C", "D", "E"), noise=1.5, weeks=8)
    seeds = replication_seeds(4, 0, 0, 30)
    history = simulate(world, seeds)
    return world, history, Results.from_history(history, list(range(100, 130)), seeds)


def rows(results, table):
    return list(csv.DictReader(io.StringIO(table_text(results, table))))


def test_declarations_have_one_row_per_first_declaration_in_order():
    world, history, results = noisy()
    first = history.final.first_declared
    got = rows(results, "declarations")
    assert len(got) == int((first != NEVER).sum())
    for row in got:
        r = int(row["run"]) - 100
        i, c = world.members.index(row["member"]), world.candidates.index(row["candidate"])
        assert first[r, i, c] == int(row["round"])
        assert world.dates[int(row["round"])].isoformat() == row["date"]
    keys = [(int(r["run"]), int(r["round"])) for r in got]
    assert keys == sorted(keys)  # by replication, then round


def test_withdrawals_and_concessions_are_tidy_rows_with_dates():
    world, history, results = noisy()
    f = history.final
    w = rows(results, "withdrawals")
    assert len(w) == int((f.withdrawn_round != NEVER).sum())
    for row in w:
        c = world.candidates.index(row["candidate"])
        assert f.withdrawn_round[int(row["run"]) - 100, c] == int(row["round"])
    conc = rows(results, "concessions")
    assert len(conc) == int((f.conceded_round != NEVER).sum())
    assert all(r["date"] == world.dates[int(r["round"])].isoformat() for r in conc)


def test_holdouts_rank_1_is_the_last_to_come_round():
    world, history, results = noisy()
    order = holdout_order(history)
    got = results.holdouts
    for r in range(30):
        mine = got[got["run"] == 100 + r].sort_values("rank", ascending=False)
        assert mine["member"].tolist() == [world.members[i] for i in order[r] if i >= 0]
    assert set(got["rank"]) <= {1, 2, 3}


def test_support_carries_an_ended_replication_forward_so_a_groupby_gives_the_fan():
    world, history, results = noisy()
    sup = results.support
    last = int(history.last_round.max())
    assert sup["round"].max() == last
    assert len(sup) == 30 * (last + 1) * len(world.candidates)
    cube = results.supporters()
    for t in range(last + 1):
        mine = sup[(sup["round"] == t) & (sup["candidate"] == world.candidates[0])]
        assert mine["supporters"].median() == np.median(cube[:, t, 0])
    ended = sup[sup["ended"]]
    assert (
        len(ended)
        and (
            ended["round"]
            > ended["run"].map(dict(zip(range(100, 130), history.last_round.tolist(), strict=True)))
        ).all()
    )


def test_save_and_load_give_back_the_same_results(tmp_path):
    _, _, results = noisy()
    results.save(tmp_path)
    back = Results.load(tmp_path)
    for t in TABLES:
        assert table_text(back, t) == table_text(results, t)
    pd.testing.assert_frame_equal(back.probabilities(), results.probabilities())
    assert pd.read_csv(tmp_path / "runs.csv.gz")["run"].tolist() == list(range(100, 130))


def test_chunks_joined_equal_one_block():
    world = toy(members=("A", "B", "C", "D", "E"), noise=1.5, weeks=8)
    seeds = replication_seeds(4, 0, 0, 30)
    whole = Results.from_history(simulate(world, seeds), range(30), seeds)
    parts = [Results.from_history(simulate(world, seeds[k : k + 7]), range(k, min(k + 7, 30)), seeds[k : k + 7])
             for k in range(0, 30, 7)]  # fmt: skip
    joined = Results.concat(parts)
    for t in TABLES:
        assert table_text(joined, t) == table_text(whole, t)


def test_probabilities_have_wilson_intervals_and_failed_runs_are_left_out():
    world, history, results = noisy()
    failed = Results.failed(world, [999], [1], 0, "ValueError: boom")
    both = Results.concat([results, failed])
    p = both.probabilities()
    assert p["n"].iloc[0] == 30 and p["replications"].sum() == 30
    assert ((p["low"] <= p["probability"]) & (p["probability"] <= p["high"])).all()
    assert both.runs.set_index("run").loc[999, "error"] == "ValueError: boom"
    assert len(both.supporters()) == 30


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as objects, every missing one None (a text column is text in Parquet even
    where no row holds a value: it reads back as missing strings, not as None objects)."""
    return frame.astype(object).where(frame.notna(), None)


def test_parquet_tables_hold_the_same_frames(tmp_path):
    pytest.importorskip("pyarrow", reason="the parquet extra is not installed")
    _, _, results = noisy()
    results.save(tmp_path, format="parquet")
    for t in TABLES:
        back = pd.read_parquet(tmp_path / f"{t}.parquet")
        pd.testing.assert_frame_equal(
            _missing_as_none(back), _missing_as_none(getattr(results, t)), check_dtype=False
        )
    assert table_text(Results.load(tmp_path), "runs") == table_text(results, "runs")


def _cube_round_by_round(history):
    """The support cube as it was first written: one round, one candidate at a time."""
    from sim.engine.rules import UNDECIDED, support_shares

    world = history.world
    reps, c_count = history.final.stance.shape[0], len(world.candidates)
    rounds = world.n_rounds + 1
    out = {"supporters": np.zeros((reps, rounds, c_count), dtype=np.int16),
           "capability_share": np.zeros((reps, rounds, c_count)),
           "objectors": np.zeros((reps, rounds, c_count), dtype=np.int16),
           "undecided": np.zeros((reps, rounds), dtype=np.int16)}  # fmt: skip
    for t in range(rounds):
        k = min(t, len(history.stance) - 1)
        stance, objecting = history.stance[k], history.objecting[k]
        active = world.rounds[k].active
        out["capability_share"][:, t] = support_shares(stance, world, active, weighted=True)
        for c in range(c_count):
            out["supporters"][:, t, c] = (stance == c).sum(axis=1)
            out["objectors"][:, t, c] = (objecting[:, :, c] & active).sum(axis=1)
        out["undecided"][:, t] = ((stance == UNDECIDED) & active).sum(axis=1)
    return out


@pytest.mark.parametrize("name", ["nato-2024", "oecd-2021", "osce-2020", "wto-2013"])
def test_support_cube_equals_the_round_by_round_count_bit_for_bit(name):
    from pathlib import Path

    from sim.engine.world import build_world
    from sim.results.results import _support_cube
    from sim.scenario.loader import load_scenario

    path = Path(__file__).resolve().parents[2] / "scenarios" / f"{name}.yaml"
    world = build_world(load_scenario(path, ["parameters.noise=0.8"]))
    for reps in (1, 7, 300):  # few replications end early: the loop stops before the calendar
        history = simulate(world, replication_seeds(3, 0, 0, reps))
        got, want = _support_cube(history), _cube_round_by_round(history)
        for key in want:
            assert got[key].shape == want[key].shape and got[key].dtype == want[key].dtype
            assert got[key].flags.c_contiguous
            assert got[key].tobytes() == want[key].tobytes(), key
