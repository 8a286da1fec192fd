"""Scores on hand-computed cases, baselines with known answers, calibration that finds the truth."""

import math
from datetime import timedelta

import numpy as np
import pytest
from toy import toy, week

from sim.engine.loop import simulate
from sim.errors import ScenarioError
from sim.evaluate.calibrate import calibrate, parse_params, variant_text
from sim.evaluate.forecast import DEADLOCK, Forecast
from sim.evaluate.record import Record
from sim.evaluate.score import (
    brier,
    compromise,
    date_scores,
    declaration_rank,
    holdout_hits,
    log_score,
    major_powers,
    support_rmse,
    uniform,
)

SRC = [{"id": "s", "title": "a source"}]


def record(**parts) -> Record:
    return Record.model_validate({"name": "r", "sources": SRC, **parts})


def forecast(world, outcomes, rounds, supporters=None, first=None, holdouts=None) -> Forecast:
    r = len(outcomes)
    shape = (r, world.n_rounds + 1, len(world.candidates))
    return Forecast(
        world=world,
        outcomes=outcomes,
        appointed_round=np.array(rounds),
        supporters=np.zeros(shape) if supporters is None else supporters,
        first_round=first or {},
        holdouts=holdouts or [[] for _ in range(r)],
    )


# --- outcome scores ------------------------------------------------------------------------


def test_perfect_forecast_scores_best():
    probs = {"x": 1.0, "y": 0.0, DEADLOCK: 0.0}
    assert brier(probs, "x") == 0.0
    assert log_score(probs, "x", runs=10) == 0.0


def test_certain_wrong_forecast_scores_worst():
    probs = {"x": 0.0, "y": 1.0, DEADLOCK: 0.0}
    assert brier(probs, "x") == 2.0
    assert log_score(probs, "x", runs=500) == pytest.approx(math.log(1 / 1000))


def test_a_tie_between_two_candidates():
    probs = {"x": 0.5, "y": 0.5, DEADLOCK: 0.0}
    assert brier(probs, "x") == pytest.approx(0.5)  # 0.25 + 0.25
    assert log_score(probs, "x", runs=10) == pytest.approx(math.log(0.5))


def test_a_zero_probability_is_floored_at_one_over_twice_the_runs_whoever_gives_it():
    # the model and a baseline scored against the same batch take the same floor: a zero
    # is worth ln(1/(2 runs)) to both, so neither wins on the floor alone
    assert log_score({"x": 0.0, "y": 1.0}, "x", runs=40) == pytest.approx(math.log(1 / 80))
    assert log_score({"y": 1.0}, "x", runs=40) == pytest.approx(math.log(1 / 80))
    # a probability above the floor is not moved by it
    assert log_score({"x": 0.02}, "x", runs=40) == pytest.approx(math.log(0.02))


# --- date, support, order, holdouts --------------------------------------------------------


def test_date_scores_against_the_simulated_spread():
    w = toy(weeks=10)
    f = forecast(w, ["x"] * 5, [2, 3, 4, 5, 6])  # median round 4
    exact = record(appointment={"date": week(4), "winner": "x", "source": "s"})
    assert date_scores(f, exact) == {"date_error_days": 0.0, "date_in_50": 1.0, "date_in_90": 1.0}
    late = record(appointment={"date": week(9), "winner": "x", "source": "s"})
    assert date_scores(f, late) == {"date_error_days": -35.0, "date_in_50": 0.0, "date_in_90": 0.0}


def test_deadlocks_count_as_later_than_the_last_round():
    w = toy(weeks=4)
    f = forecast(w, [DEADLOCK] * 3, [-1, -1, -1])
    days = f.appointment_dates()
    assert (days == (week(4) + timedelta(days=7)).toordinal()).all()


def test_support_rmse_on_known_counts():
    w = toy(weeks=4)
    sup = np.zeros((2, 5, 2))
    sup[:, 1, 0] = [2, 4]  # mean 3 at round 1
    sup[:, 3, 0] = [1, 1]  # mean 1 at round 3
    f = forecast(w, ["x", "x"], [4, 4], supporters=sup)
    counts = [
        {"date": week(1) + timedelta(days=3), "candidate": "x", "supporters": 4, "source": "s"},
        {"date": week(3), "candidate": "x", "supporters": 4, "source": "s"},
    ]
    assert support_rmse(f, record(support=counts))["support_rmse"] == pytest.approx(
        math.sqrt((1 + 9) / 2)
    )


def test_declaration_order_correlation():
    w = toy()
    first = {("A", "x"): 0.0, ("B", "x"): 1.0, ("C", "x"): 2.0, ("D", "x"): 3.0}
    f = forecast(w, ["x"], [1], first=first)
    same = [
        {"member": m, "candidate": "x", "date": week(k), "source": "s"}
        for k, m in enumerate("ABCD")
    ]
    reverse = [{**d, "date": week(3 - k)} for k, d in enumerate(same)]
    assert declaration_rank(f, record(declarations=same))["declaration_rank_rho"] == pytest.approx(
        1.0
    )
    assert declaration_rank(f, record(declarations=reverse))[
        "declaration_rank_rho"
    ] == pytest.approx(-1.0)
    assert declaration_rank(f, record(declarations=same[:2])) == {}  # too few to rank


def test_holdout_hit_rate():
    w = toy()
    f = forecast(w, ["x"] * 4, [1] * 4, holdouts=[["C", "D"], ["D"], ["B"], ["C", "D"]])
    hits = holdout_hits(f, record(last_holdouts=["C", "D"]))["holdout_hit_rate"]
    assert hits == pytest.approx((2 / 4 + 3 / 4) / 2)


def test_holdout_hit_rate_counts_only_the_runs_that_appointed():
    # two deadlocks (no last holdouts) do not count as misses: both appointing runs name
    # C and D, so every observed holdout is hit in every run that could have one
    w = toy()
    f = forecast(w, ["x", "x", "deadlock", "deadlock"], [1, 1, -1, -1],
                 holdouts=[["C", "D"], ["C", "D"], [], []])  # fmt: skip
    assert holdout_hits(f, record(last_holdouts=["C", "D"]))["holdout_hit_rate"] == 1.0
    # and when no run appointed there is nothing to rate: n/a, not 0
    none = forecast(w, ["deadlock"] * 3, [-1] * 3)
    assert holdout_hits(none, record(last_holdouts=["C", "D"])) == {}


# --- baselines -----------------------------------------------------------------------------


def test_compromise_weights_each_members_best_fit_by_capability_and_salience():
    prefs = [
        {"id": "c", "members": {"codes": ["C"]}, "candidate": "x", "affinity": 0.5},
        {"id": "d", "members": {"codes": ["D"]}, "candidate": "y", "affinity": 0.5},
    ]
    w = toy(preferences=prefs, capability={"A": 0.5, "B": 0.5, "C": 1.0, "D": 0.5})
    p = compromise(w).probabilities
    # A and B fit both equally (split 0.25 each way); C (1.0) backs x; D (0.5) backs y.
    assert p["x"] == pytest.approx((0.25 + 0.25 + 1.0) / 2.5)
    assert p["y"] == pytest.approx((0.25 + 0.25 + 0.5) / 2.5)


def test_major_powers_follow_the_heavyweights():
    w = toy(capability={"A": 0.2, "B": 0.2, "C": 1.0, "D": 0.8}, initial={"C": "y", "D": "y"})
    assert major_powers(w).probabilities["y"] == 1.0
    split = toy(capability={"C": 1.0, "D": 0.8}, initial={"C": "x", "D": "y"})
    assert major_powers(split).probabilities == {"x": 0.5, "y": 0.5, DEADLOCK: 0.0}
    assert uniform(w).probabilities == {"x": 0.5, "y": 0.5, DEADLOCK: 0.0}


# --- records -------------------------------------------------------------------------------


def test_record_splits_at_a_date():
    r = record(
        declarations=[
            {"member": "C", "candidate": "x", "date": week(k), "source": "s"} for k in (1, 5)
        ],
        appointment={"date": week(6), "winner": "x", "source": "s"},
        last_holdouts=["C"],
    )
    before, after = r.before(week(3)), r.on_or_after(week(3))
    assert (
        len(before.declarations) == 1 and before.appointment is None and before.last_holdouts == []
    )
    assert len(after.declarations) == 1 and after.appointment.winner == "x"


def test_record_problems_are_one_line_each(tmp_path):
    from sim.evaluate.record import load_record

    path = tmp_path / "r.yaml"
    path.write_text(
        "name: r\nsources:\n  - {id: s, title: t}\n"
        "declarations:\n  - {member: ZZ, candidate: x, date: 2024-01-08, source: s}\n"
        "  - {member: A, candidate: x, date: 2024-01-08, source: nope, colour: red}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_record(path, toy().scenario)
    lines = [str(p) for p in err.value.problems]
    assert lines == [f"{path}:6: declarations[1].colour: unknown field"]
    path.write_text(path.read_text().replace(", colour: red", ""))
    with pytest.raises(ScenarioError) as err:
        load_record(path, toy().scenario)
    lines = [str(p) for p in err.value.problems]
    assert f"{path}:5: declarations[0].member: unknown member 'ZZ'" in lines
    assert f"{path}:6: declarations[1].source: unknown source 'nope' (not in `sources:`)" in lines
    # a near miss of a code names it, as in a scenario
    path.write_text(
        path.read_text()
        .replace("member: ZZ", "member: a")
        .replace(
            "candidate: x, date: 2024-01-08, source: nope",
            "candidate: X, date: 2024-01-08, source: s",
        )
    )
    with pytest.raises(ScenarioError) as err:
        load_record(path, toy().scenario)
    lines = [str(p) for p in err.value.problems]
    assert lines == [
        f"{path}:5: declarations[0].member: unknown member 'a' (did you mean `A`?)",
        f"{path}:6: declarations[1].candidate: unknown candidate 'X' (did you mean `x`?)",
    ]


# --- calibration ---------------------------------------------------------------------------

MEMBERS = tuple("ABCDEFGHIJ")
PREFS = [
    {"id": f"p{m}", "members": {"codes": [m]}, "candidate": "x", "affinity": a}
    for m, a in zip("CDEFGHIJ", [0.05, 0.1, 0.15, 0.2, -0.05, 0.0, 0.1, -0.1], strict=True)
]
PEERS = [{"id": "peers", "from": {}, "to": {}, "weight": 1.0}]


def synthetic(**params):
    return toy(members=MEMBERS, preferences=PREFS, ties=PEERS, weeks=16, decision={"quorum": 1.0},
               withdraw_gap=1.0, withdraw_share=1.0, noise=0.1, **params)  # fmt: skip


def synthetic_record(world) -> Record:
    """What one replication of the true model did, written down as an observed record."""
    h = simulate(world, [12345])
    f = h.final
    decls = [
        {
            "member": m,
            "candidate": cid,
            "date": world.dates[int(f.first_declared[0, i, c])],
            "source": "s",
        }
        for i, m in enumerate(world.members)
        for c, cid in enumerate(world.candidates)
        if f.first_declared[0, i, c] >= 0
    ]
    support = [
        {
            "date": world.dates[t],
            "candidate": "x",
            "supporters": int((h.stance[t][0] == 0).sum()),
            "source": "s",
        }
        for t in range(len(h.stance))
    ]
    return record(declarations=decls, support=support)


def test_calibration_moves_toward_the_true_parameter_and_improves_the_fit():
    truth = 0.9
    observed = synthetic_record(synthetic(w_ties=truth))
    start = synthetic(w_ties=0.0).scenario
    fit = calibrate(start, observed, {"w_ties": (0.0, 3.0)}, split=week(8), budget=24, runs=100)
    assert fit.loss_best < 0.5 * fit.loss_start
    assert abs(fit.best["w_ties"] - truth) < abs(0.0 - truth)
    assert fit.scores["fitted / check part"]["loss"] < fit.scores["default / check part"]["loss"]
    text = variant_text(fit, "../base.yaml", ["header line"])
    assert text.startswith("# header line") and "extends: ../base.yaml" in text
    assert f"  w_ties: {round(fit.best['w_ties'], 4)}" in text


def test_calibration_accepts_only_behavioural_parameters_in_range():
    assert parse_params(["noise", "w_ties=0:3"]) == {"noise": (0.0, 5.0), "w_ties": (0.0, 3.0)}
    with pytest.raises(ScenarioError, match="not a behavioural parameter"):
        parse_params(["capability"])
    with pytest.raises(ScenarioError, match="must lie in"):
        parse_params(["noise=0:50"])


def test_an_observed_date_between_rounds_counts_for_the_round_that_follows():
    w = toy(weeks=10)
    f = forecast(w, ["x"] * 3, [4, 4, 4])
    between = record(
        appointment={"date": week(3) + timedelta(days=2), "winner": "x", "source": "s"}
    )
    assert date_scores(f, between) == {"date_error_days": 5.0, "date_in_50": 1.0, "date_in_90": 1.0}


def test_before_a_split_no_appointment_means_none_yet_not_deadlock():
    w = toy(weeks=10)
    f = forecast(w, ["x", "x", DEADLOCK, "y"], [6, 2, -1, 8])
    part = record(appointment={"date": week(7), "winner": "x", "source": "s"}).before(week(5))
    assert part.appointment is None and part.until == week(5)
    # Runs appointing on or after the split count as "none yet", like the deadlock.
    assert f.probabilities(part.until) == {"x": 0.25, "y": 0.0, DEADLOCK: 0.75}


def test_compromise_counts_candidates_that_enter_later():
    enter = {"id": "y-in", "date": week(3), "kind": "enter", "candidate": "y"}
    prefs = [{"id": "cd", "members": {"codes": ["C", "D"]}, "candidate": "y", "affinity": 0.5}]
    w = toy(events=[enter], preferences=prefs)
    assert compromise(w).probabilities["y"] == pytest.approx(0.75)  # C, D and half of A, B
