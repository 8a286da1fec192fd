"""Issue 9's outputs: sessions, withdrawal reasons and offers in the tables, and each shows
only where the engine made it happen (a scenario without sessions has an empty session
column; an offer is a row only when the engine made one)."""

import csv
import io

import numpy as np
import pandas as pd
from toy import run, toy, week

from sim.batching.plan import replication_seeds
from sim.engine.loop import simulate
from sim.results.results import Results
from sim.results.tables import EVENT_COLUMNS, SUPPORT_COLUMNS, TABLES, runs_columns, table_text

SOLE = (("x", "A"),)
XY = (("x", "A"), ("y", "B"))
ALL_LIKE_X = [
    {"id": f"p{m}", "members": {"codes": [m]}, "candidate": "x", "affinity": 0.5} for m in "BCD"
]
OFFER = {"concessions_per_round": 1, "offer_rate": 1.0, "concession_size": 0.5}
CAPS = {"A": 1.0, "B": 0.2, "C": 0.5, "D": 0.5}


def session(n, kind="formal", **more):
    return {"id": f"s{n}", "date": week(n), "name": f"meeting, {n}", "kind": kind, **more}


def rows(results, table):
    return list(csv.DictReader(io.StringIO(table_text(results, table))))


def results_of(world, seeds=(0,)):
    return Results.from_history(run(world, seeds), seeds=list(seeds))


# --- sessions ------------------------------------------------------------------------------


def test_support_names_the_session_of_each_round_and_leaves_plain_rounds_empty():
    w = toy(candidates=SOLE, sessions=[session(2, "indicative"), session(4)], weeks=6)
    sup = rows(results_of(w), "support")
    by_round = {int(r["round"]): (r["session"], r["session_kind"]) for r in sup}
    assert by_round[2] == ("meeting, 2", "indicative")  # a name with a comma, quoted
    assert by_round[4] == ("meeting, 4", "formal")
    assert all(by_round[t] == ("", "") for t in by_round if t not in (2, 4))
    assert list(sup[0]) == SUPPORT_COLUMNS


def test_without_sessions_the_session_columns_are_empty():
    w = toy(candidates=SOLE, weeks=4)
    r = results_of(w)
    assert {x["session"] for x in rows(r, "support")} == {""}
    assert r.support["session"].isna().all() and r.runs["appointed_session"].isna().all()


def test_runs_name_the_session_of_the_appointment():
    likes = ALL_LIKE_X
    w = toy(candidates=SOLE, preferences=likes, sessions=[session(2, "indicative"), session(3)])
    r = results_of(w)
    assert rows(r, "runs")[0]["appointed_round"] == "3"
    assert rows(r, "runs")[0]["appointed_session"] == "meeting, 3"
    assert (
        results_of(toy(candidates=SOLE, preferences=likes)).runs["appointed_session"].isna().all()
    )


# --- withdrawal reasons --------------------------------------------------------------------


def test_withdrawals_and_runs_give_the_reason_a_candidate_left():
    w = toy(candidates=XY, capability=CAPS, initial={"C": "x", "D": "x"})  # y quits: strategic
    r = results_of(w)
    (row,) = rows(r, "withdrawals")
    assert (row["candidate"], row["reason"], row["session"]) == ("y", "strategic", "")
    runs = rows(r, "runs")[0]
    assert runs["withdrawn_y"] == "strategic" and runs["withdrawn_x"] == ""
    ev = {"id": "out", "date": week(2), "kind": "withdraw", "candidate": "y"}
    r = results_of(toy(candidates=XY, events=[ev], withdraw_share=1.0))
    assert [x["reason"] for x in rows(r, "withdrawals")] == ["event"]
    three = (("x", "A"), ("y", "B"), ("z", "C"))
    w = toy(candidates=three, members="ABCDE", initial={"D": "x", "E": "y"}, withdraw_share=1.0,
            sessions=[session(2, "indicative", eliminate=1), session(9)])  # fmt: skip
    (row,) = rows(results_of(w), "withdrawals")
    assert (row["candidate"], row["reason"], row["session"]) == ("z", "eliminated", "meeting, 2")


def test_a_candidate_that_stays_has_no_withdrawal_row_or_reason():
    w = toy(candidates=XY, capability=CAPS, initial={"C": "x", "D": "y"})  # y backed by D
    r = results_of(w)
    assert rows(r, "withdrawals") == [] and r.withdrawals.empty
    assert r.runs[["withdrawn_x", "withdrawn_y"]].isna().all().all()


# --- offers --------------------------------------------------------------------------------


def test_offers_say_who_offered_what_to_whom_and_when_and_what_came_of_it():
    # C objects to x; its price (1) takes two offers of 0.5 at sessions 2 and 4; it lifts
    # the objection in round 5 and backs x (the only candidate) afterwards.
    sessions = [session(n) for n in (2, 4, 6, 8)]
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]}, sessions=sessions,
            **OFFER)  # fmt: skip
    r = results_of(w)
    got = rows(r, "offers")
    assert [(x["round"], x["session"], x["by"], x["to"], x["for"], x["size"]) for x in got] == [
        ("2", "meeting, 2", "camp", "C", "x", "0.5"),
        ("4", "meeting, 4", "camp", "C", "x", "0.5"),
    ]
    assert [x["date"] for x in got] == [week(2).isoformat(), week(4).isoformat()]
    assert [x["objected"] for x in got] == ["true", "true"]
    assert [x["lifted"] for x in got] == ["true", "true"]  # gone in round 5, x still running
    assert [x["backed"] for x in got] == ["true", "true"]
    assert list(got[0]) == EVENT_COLUMNS["offers"]
    assert rows(r, "runs")[0]["offers"] == "2"
    # Too dear: offered, never lifted.
    dear = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]},
               sessions=sessions, **OFFER, price_base=5.0)  # fmt: skip
    got = rows(results_of(dear), "offers")
    assert (
        got and {x["lifted"] for x in got} == {"false"} and {x["objected"] for x in got} == {"true"}
    )


def test_no_offer_no_row():
    sessions = [session(n) for n in (2, 4, 6, 8)]
    quiet = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]}, sessions=sessions)
    r = results_of(quiet)  # concessions_per_round 0: the engine makes no offer
    assert rows(r, "offers") == [] and r.offers.empty and rows(r, "runs")[0]["offers"] == "0"
    assert list(r.offers.columns) == EVENT_COLUMNS["offers"]
    assert table_text(r, "offers") == ",".join(EVENT_COLUMNS["offers"]) + "\n"


def test_a_broker_is_named_as_the_offerer():
    sessions = [session(n) for n in (2, 4, 6)]
    broker = {"id": "usa", "member": "D", "for": "x", "targets": {"codes": ["C"]}}
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]}, sessions=sessions,
            concede_share=1.0, brokers=[broker], **OFFER)  # fmt: skip
    r = results_of(w)
    assert {x["by"] for x in rows(r, "offers")} == {"usa"}
    assert set(r.offers["by"]) == {"usa"}


# --- every writer, any cut -----------------------------------------------------------------


def bargaining_world():
    broker = {"id": "b", "member": "D", "targets": {"codes": ["C", "E"]}}
    return toy(members=("A", "B", "C", "D", "E"), candidates=XY, noise=1.5, w_band=0.5,
               objects={"C": ["x"], "E": ["y"]}, brokers=[broker], weeks=10,
               sessions=[session(2, "indicative"), session(4),
                         session(7, "indicative"), session(9)], **OFFER)  # fmt: skip


def test_new_columns_are_identical_however_the_replications_are_cut():
    world = bargaining_world()
    seeds = replication_seeds(5, 0, 0, 40)
    whole = Results.from_history(simulate(world, seeds), range(40), seeds)
    assert len(whole.events["offers"]["run"]) > 0  # the case exercises offers
    assert len(whole.events["withdrawals"]["run"]) > 0
    for size in (1, 7, 13):
        parts = [
            Results.from_history(simulate(world, seeds[k : k + size]),
                                 range(k, min(k + size, 40)), seeds[k : k + size])
            for k in range(0, 40, size)
        ]  # fmt: skip
        joined = Results.concat(parts)
        for t in TABLES:
            assert table_text(joined, t) == table_text(whole, t), (t, size)


def test_the_csv_and_the_dataframe_of_every_table_agree(tmp_path):
    world = bargaining_world()
    seeds = replication_seeds(5, 0, 0, 25)
    results = Results.from_history(simulate(world, seeds), range(25), seeds)
    results.save(tmp_path)
    back = Results.load(tmp_path)
    for t in TABLES:
        frame = getattr(results, t)
        header = runs_columns(results) if t == "runs" else None
        csv_frame = pd.read_csv(tmp_path / f"{t}.csv.gz", keep_default_na=False)
        assert list(csv_frame.columns) == list(frame.columns) == (header or list(csv_frame.columns))
        assert len(csv_frame) == len(frame)
        assert table_text(back, t) == table_text(results, t)
    # Where both say something, they say the same thing.
    csv_offers = pd.read_csv(tmp_path / "offers.csv.gz")
    assert csv_offers["by"].tolist() == results.offers["by"].tolist()
    assert csv_offers["lifted"].tolist() == results.offers["lifted"].tolist()
    assert np.allclose(csv_offers["size"], results.offers["size"])
