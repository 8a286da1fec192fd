"""Deadline bargaining: sessions, holdouts and their price, brokers, strategic withdrawal,
stance events, uncertain events, eliminations and approval. Each rule fires, and does not."""

from datetime import timedelta

import numpy as np
import pytest
from toy import in_race, objects, run, stance_of, toy, week, winner

from sim.engine.model import ConsensusModel
from sim.engine.rules import ELIMINATED, EVENT, LEADING_CAMP, STRATEGIC, utility_terms

SOLE = (("x", "A"),)
XY = (("x", "A"), ("y", "B"))


def likes(code, cand, a=0.5):
    return {"id": f"p{code}{cand}", "members": {"codes": [code]}, "candidate": cand, "affinity": a}


def grudge(code, cand, w):
    return {"id": f"g{code}{cand}", "members": {"codes": [code]}, "candidate": cand, "weight": w}


def session(n, kind="formal", **more):
    return {"id": f"s{n}", "date": week(n), "name": f"meeting {n}", "kind": kind, **more}


ALL_LIKE_X = [likes(m, "x") for m in "BCD"]


# --- sessions ------------------------------------------------------------------------------


def test_the_decision_rule_is_tested_only_at_formal_sessions():
    w = toy(
        candidates=SOLE, preferences=ALL_LIKE_X, sessions=[session(2, "indicative"), session(4)]
    )
    assert winner(w, run(w)) == ("x", 4)
    assert [s.kind if s else None for s in w.session[:5]] == [
        None,
        None,
        "indicative",
        None,
        "formal",
    ]
    plain = toy(candidates=SOLE, preferences=ALL_LIKE_X)
    assert winner(plain, run(plain)) == ("x", 1)  # without sessions every round is formal


def test_a_recurring_meeting_plays_as_its_dates_listed_one_by_one():
    every = {
        "id": "s",
        "date": week(2),
        "name": "meeting",
        "kind": "indicative",
        "every_days": 14,
        "until": week(7),
    }  # fmt: skip (weeks 2, 4 and 6)
    listed = [session(n, "indicative", name="meeting") for n in (2, 4, 6)] + [session(8)]
    kw = {"candidates": XY, "preferences": ALL_LIKE_X, "noise": 0.8, "weekly": False}
    a, b = toy(sessions=listed, **kw), toy(sessions=[every, session(8)], **kw)
    assert a.dates == b.dates and [d.isoformat() for d in b.dates[1:4]] == [
        "2024-01-15", "2024-01-29", "2024-02-12"]  # fmt: skip
    assert [s and (s.name, s.kind) for s in a.session] == [
        s and (s.name, s.kind) for s in b.session
    ]
    assert [s.id for s in b.session[1:4]] == ["s@2024-01-15", "s@2024-01-29", "s@2024-02-12"]
    seeds = range(30)
    assert (run(a, seeds).final.appointed_round == run(b, seeds).final.appointed_round).all()
    # working days: from Friday 5 January every day to Tuesday 9 January, the weekend skipped
    daily = {"id": "d", "date": week(0) + timedelta(4), "name": "daily", "every_days": 1,
             "until": week(1) + timedelta(1), "working_days": True}  # fmt: skip
    w = toy(candidates=SOLE, sessions=[daily], weekly=False)
    assert [d.isoformat() for d in w.dates] == [
        "2024-01-01",
        "2024-01-05",
        "2024-01-08",
        "2024-01-09",
    ]


def test_an_uncertain_formal_session_is_held_in_its_share_of_replications_the_same_in_mesa():
    # A meeting whose date is not known: on week 2 with chance 0.4, else week 4 (certain).
    maybe = session(2, probability=0.4)
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X, sessions=[maybe, session(4)])
    seeds = list(range(400))
    h = run(w, seeds)
    at = h.final.appointed_round
    assert set(at.tolist()) == {2, 4}
    assert 0.32 < (at == 2).mean() < 0.48
    for r in (int(np.argmax(at == 2)), int(np.argmax(at == 4))):
        m = ConsensusModel(w, rng=seeds[r]).run()
        assert int(m.history.final.appointed_round[0]) == int(at[r])
    assert w.session[2].uncertain == 0 and w.session[4].uncertain == -1
    # the same meeting held for certain appoints there in every replication
    sure = toy(candidates=SOLE, preferences=ALL_LIKE_X, sessions=[session(2), session(4)])
    assert (run(sure, seeds).final.appointed_round == 2).all()


def test_a_session_held_by_chance_gives_offers_only_where_it_is_held():
    # C objects to x; the week-2 meeting is held with chance 0.5, the later ones for certain.
    sessions = [session(2, probability=0.5)] + [session(n) for n in (4, 6, 8)]
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]}, sessions=sessions,
            **OFFER)  # fmt: skip
    seeds = list(range(60))
    f = run(w, seeds).final
    held = f.happens[:, 0]
    offered_at_2 = (f.offer_round == 2).any(axis=1)
    assert held.any() and (~held).any()
    assert not offered_at_2[~held].any()  # no meeting, no offer
    assert offered_at_2[held].mean() > 0.5  # where it is held, C is courted there
    assert (f.offer_round == 4).any(axis=1)[~held].mean() > 0.5  # courted at the next one
    for r in (int(np.argmax(held)), int(np.argmax(~held))):  # the Mesa model agrees
        m = ConsensusModel(w, rng=seeds[r]).run().history.final
        assert m.offer_round[0, : m.offers[0]].tolist() == f.offer_round[r, : f.offers[r]].tolist()


def test_a_session_held_by_chance_eliminates_only_where_it_is_held():
    three = (("x", "A"), ("y", "B"), ("z", "C"))
    maybe = session(2, eliminate=1, probability=0.5)
    w = toy(candidates=three, members="ABCDE", initial={"D": "x", "E": "y"}, withdraw_share=1.0,
            sessions=[maybe, session(9)])  # fmt: skip
    seeds = list(range(60))
    h = run(w, seeds)
    held = h.final.happens[:, 0]
    z = w.candidates.index("z")
    gone = h.final.withdrawn_reason[:, z] == ELIMINATED
    assert held.any() and (~held).any()
    assert (gone == held).all()
    assert (h.in_race[2][:, z] == ~held).all()  # z still in the race where no meeting was held


def test_uncertain_sessions_draw_after_the_uncertain_events():
    # An uncertain event keeps its draw (the first of the stream) when a session's is added.
    enters = ev("enter", 2, candidate="y", probability=0.3)
    base = toy(candidates=XY, events=[enters], withdraw_share=1.0, decision={"quorum": 1.0})
    more = toy(candidates=XY, events=[enters], withdraw_share=1.0, decision={"quorum": 1.0},
               sessions=[session(3, probability=0.5)])  # fmt: skip
    assert [u for u, _ in more.uncertain] == ["enter2", "s3"]
    seeds = list(range(200))
    assert (run(base, seeds).in_race[2] == run(more, seeds).in_race[2]).all()


def test_rounds_fall_on_session_dates_and_weekly_rounds_are_optional():
    irregular = {"id": "odd", "date": week(3).replace(day=week(3).day + 2), "name": "odd"}
    w = toy(candidates=SOLE, sessions=[session(2), irregular], weekly=False)
    assert w.dates == [week(0), week(2), irregular["date"]]
    w = toy(candidates=SOLE, sessions=[irregular])
    assert irregular["date"] in w.dates and week(3) in w.dates and week(4) in w.dates


def test_a_session_can_use_its_own_decision_rule():
    # D never declares: unanimity fails; the session's qualified majority passes x.
    prefs = [likes("B", "x"), likes("C", "x")]
    rule = {"rule": "qualified_majority", "threshold": 0.7}
    w = toy(candidates=SOLE, preferences=prefs, decision={"rule": "unanimity"},
            sessions=[session(2), session(3, decision=rule)])  # fmt: skip
    assert winner(w, run(w)) == ("x", 3)
    w = toy(candidates=SOLE, preferences=prefs, decision={"rule": "unanimity"},
            sessions=[session(2), session(3)])  # fmt: skip
    assert winner(w, run(w)) == (None, None)


def test_the_deadline_is_the_last_formal_session_before_the_hard_date():
    w = toy(candidates=SOLE, weeks=10, deadline=week(7),
            sessions=[session(3), session(5), session(6, "indicative"), session(9)])  # fmt: skip
    assert {r.pressure_date for r in w.rounds} == {week(5)}
    assert toy(candidates=SOLE, weeks=10, deadline=week(7)).rounds[2].pressure_date == week(7)


# --- standing objections and their price ---------------------------------------------------

OFFER = {"concessions_per_round": 1, "offer_rate": 1.0, "concession_size": 0.5}


def test_an_initial_objection_blocks_until_lifted():
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]})
    h = run(w)
    assert objects(w, h, "C", "x", 0) and objects(w, h, "C", "x", 10)
    assert winner(w, h) == (None, None)
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X)
    assert winner(w, run(w)) == ("x", 1)


def test_a_holdout_lifts_its_objection_when_concessions_reach_its_price():
    # price = price_base 0.5 + grievance 0 + price_leverage 0.5 (C can block) = 1: two offers.
    sessions = [session(n) for n in (2, 4, 6, 8)]
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]}, sessions=sessions,
            **OFFER)  # fmt: skip
    h = run(w)
    f = h.final
    offered = f.offer_round[0, : f.offers[0]].tolist()
    assert offered == [2, 4] and (f.offer_to[0, :2] == 2).all()  # C, at sessions only
    assert (f.offer_by[0, :2] == LEADING_CAMP).all() and (f.offer_size[0, :2] == 0.5).all()
    assert objects(w, h, "C", "x", 4) and not objects(w, h, "C", "x", 5)
    assert winner(w, h) == ("x", 6)
    dear = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]},
               sessions=sessions, **OFFER, price_base=5.0)  # fmt: skip
    assert winner(dear, run(dear)) == (None, None)
    poor = toy(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]},
               sessions=sessions, **OFFER, offer_budget=0.5)  # fmt: skip
    h = run(poor)
    assert h.final.offers[0] == 1 and winner(poor, h) == (None, None)


def test_the_price_grows_with_grievance_and_salience():
    from sim.engine.rules import price

    w = toy(candidates=SOLE, grievances=[grudge("C", "x", 0.5)])
    p = price(w, 1)
    assert p[2, 0] == pytest.approx(0.5 + 1.0 * 0.5 + 0.5)
    assert p[3, 0] == pytest.approx(1.0)
    qm = toy(candidates=SOLE, decision={"rule": "qualified_majority", "veto": ["D"]})
    assert price(qm, 1)[2, 0] == pytest.approx(0.5) and price(qm, 1)[3, 0] == pytest.approx(1.0)


def test_a_holdout_with_leverage_resists_the_pull_of_peers_more_as_the_deadline_nears():
    peers = [{"id": "peers", "from": {}, "to": {}, "weight": 1.0}]
    kw = dict(candidates=SOLE, preferences=ALL_LIKE_X, ties=peers, w_ties=1.0, w_band=1.0,
              grievances=[grudge("C", "x", 0.2)], sessions=[session(10)], weeks=10)  # fmt: skip
    w = toy(**kw)
    h = run(w)
    c = w.members.index("C")
    ratios = []
    for t in (1, 9):
        state = _state_before(w, t)
        terms = utility_terms(state, w, t, np.zeros((1, 4, 1)))
        pull = terms["ties"][0, c, 0] + terms["bandwagon"][0, c, 0]
        ratios.append(-terms["leverage"][0, c, 0] / pull)
        assert terms["leverage"][0, w.members.index("D"), 0] == 0  # no grievance: no leverage
    assert 0 < ratios[0] < ratios[1]
    assert h is not None
    # Without a way to block (qualified majority, no veto) there is no leverage.
    qm = toy(**kw, decision={"rule": "qualified_majority"})
    terms = utility_terms(_state_before(qm, 9), qm, 9, np.zeros((1, 4, 1)))
    assert terms["leverage"][0, c, 0] == 0


def _state_before(world, t):
    from sim.engine.rules import initial_state, step

    state = initial_state(world, 1)
    eps = np.zeros((1, len(world.members), len(world.candidates) + world.offerers))
    for k in range(1, t):
        if state.open[0]:
            state = step(state, world, k, eps)
    return state


# --- brokers -------------------------------------------------------------------------------


def test_a_broker_offers_when_the_leading_camp_does_not():
    sessions = [session(n) for n in (2, 4, 6)]
    broker = {"id": "b", "member": "D", "for": "x", "targets": {"codes": ["C"]}}
    kw = dict(candidates=SOLE, preferences=ALL_LIKE_X, objects={"C": ["x"]}, sessions=sessions,
              concede_share=1.0, **OFFER)  # fmt: skip
    h = run(toy(**kw, brokers=[broker]))
    f = h.final
    assert f.offers[0] == 2 and (f.offer_by[0, :2] == 0).all() and (f.offer_to[0, :2] == 2).all()
    assert run(toy(**kw)).final.offers[0] == 0


def test_offers_are_more_likely_to_a_pivotal_holdout():
    sessions = [session(9)]
    kw = dict(candidates=SOLE, preferences=ALL_LIKE_X, sessions=sessions, weeks=9,
              concessions_per_round=1, offer_rate=0.2, offer_pivotal=3.0, noise=0.0)  # fmt: skip
    seeds = list(range(300))
    alone = run(toy(**kw, objects={"C": ["x"]}), seeds).final
    pair = run(toy(**kw, objects={"C": ["x"], "D": ["x"]}), seeds).final
    p_alone, p_pair = (alone.offers > 0).mean(), (pair.offers > 0).mean()
    assert 0.45 < p_alone < 0.75 and 0.1 < p_pair < 0.3  # 0.6 and 0.2 expected


# --- strategic withdrawal ------------------------------------------------------------------

CAPS = {"A": 1.0, "B": 0.2, "C": 0.5, "D": 0.5}  # majors: A, C, D


def test_a_sponsor_withdraws_once_the_major_powers_back_the_leader():
    w = toy(candidates=XY, capability=CAPS, initial={"C": "x", "D": "x"})
    h = run(w)
    assert not in_race(w, h, "y", 1) and h.final.withdrawn_reason[0, 1] == STRATEGIC
    assert winner(w, h) == ("x", 1)


def test_no_strategic_withdrawal_while_a_major_power_backs_the_rival():
    w = toy(candidates=XY, capability=CAPS, initial={"C": "x", "D": "y"})
    h = run(w)
    assert in_race(w, h, "y", 10) and winner(w, h) == (None, None)


def test_a_candidate_backed_by_a_veto_player_does_not_quit():
    # A veto player backs y and would block the leader x: y's chance is not gone.
    kw = {"candidates": XY, "capability": CAPS, "withdraw_share": 0.5}
    w = toy(**kw, initial={"C": "x", "D": "y"}, objects={"D": ["x"]}, withdraw_patience=1,
            withdraw_gap=0.1)  # fmt: skip
    assert in_race(w, run(w), "y", 10)
    qm = {"rule": "qualified_majority", "threshold": 0.9, "veto": ["D"]}
    w = toy(**kw, initial={"C": "x", "D": "y"}, objects={"D": ["x"]}, decision=qm)
    assert in_race(w, run(w), "y", 10)


def test_backing_a_rival_without_blocking_the_leader_is_no_veto():
    # D can block (consensus) and backs y, but does not object to x: y quits, by the trailing
    # count and strategically alike; under a qualified majority without veto players too.
    kw = {"candidates": XY, "capability": CAPS, "initial": {"C": "x", "D": "y"}}
    for more in ({"withdraw_patience": 1, "withdraw_gap": 0.1}, {"withdraw_share": 0.5}):
        w = toy(**kw, **more)
        assert not in_race(w, run(w), "y", 1)
    qm = toy(**kw, withdraw_share=0.5, decision={"rule": "qualified_majority", "threshold": 0.9})
    assert not in_race(qm, run(qm), "y", 1)


def test_a_rival_stays_while_a_blocker_objects_to_the_leader():
    # E backs nobody but blocks x; y stays in the race until E lifts, then quits that round.
    kw = {"members": "ABCDE", "candidates": XY, "capability": {**CAPS, "E": 0.2},
          "initial": {"C": "x", "D": "x"}, "objects": {"E": ["x"]}}  # fmt: skip
    w = toy(**kw)
    assert in_race(w, run(w), "y", 10)
    lift = {"id": "l", "date": week(4), "kind": "lift", "member": "E", "candidate": "x"}
    w = toy(**kw, events=[lift])
    h = run(w)
    assert in_race(w, h, "y", 3) and not in_race(w, h, "y", 4)
    assert h.final.withdrawn_reason[0, 1] == STRATEGIC and winner(w, h) == ("x", 4)
    # The rival's own home objecting to the leader does not keep its candidate in.
    w = toy(**{**kw, "objects": {"B": ["x"]}})
    assert not in_race(w, run(w), "y", 1)


def test_strategic_withdrawal_waits_until_the_next_formal_session_is_near():
    w = toy(candidates=XY, capability=CAPS, initial={"C": "x", "D": "x"}, sessions=[session(8)])
    h = run(w)
    assert in_race(w, h, "y", 5) and not in_race(w, h, "y", 6)  # 14 days before week 8
    assert winner(w, h) == ("x", 8)


def test_scheduled_elimination_removes_the_weakest():
    three = (("x", "A"), ("y", "B"), ("z", "C"))
    w = toy(candidates=three, members="ABCDE", initial={"D": "x", "E": "y"}, withdraw_share=1.0,
            sessions=[session(2, "indicative", eliminate=1), session(9)])  # fmt: skip
    h = run(w)
    f = h.final
    assert in_race(w, h, "z", 1) and not in_race(w, h, "z", 2)
    assert f.withdrawn_reason[0].tolist() == [0, 0, ELIMINATED]
    no = toy(candidates=three, members="ABCDE", initial={"D": "x", "E": "y"}, withdraw_share=1.0,
             sessions=[session(2, "indicative"), session(9)])  # fmt: skip
    assert in_race(no, run(no), "z", 2)


# --- candidates ----------------------------------------------------------------------------


def test_floated_candidates_shared_and_missing_homes():
    fields = {"y": {"declared": False}, "z": {"home": None, "nominated_by": "the chair"}}
    w = toy(candidates=(("x", "A"), ("y", "A"), ("z", "A")), candidate_fields=fields,
            events=[{"id": "e", "date": week(3), "kind": "enter", "candidate": "y"}],
            withdraw_share=1.0)  # fmt: skip
    h = run(w)
    assert not in_race(w, h, "y", 2) and in_race(w, h, "y", 3)
    assert stance_of(w, h, "A", 2) == "x"  # its only running candidate
    assert stance_of(w, h, "A", 3) in ("x", None)  # two of its candidates run: free to choose
    assert w.home.tolist() == [0, 0, -1] and w.sponsor.tolist() == [0, 0, -1]


# --- events --------------------------------------------------------------------------------


def ev(kind, n, **more):
    return {"id": f"{kind}{n}", "date": week(n), "kind": kind, **more}


def test_stance_events_declare_object_lift_abstain_reset():
    w = toy(candidates=XY, withdraw_share=1.0, initial={"C": "x"},
            events=[ev("declare", 2, member="D", candidate="y"),
                    ev("object", 1, member="C", candidate="y"),
                    ev("lift", 3, member="C", candidate="y"),
                    ev("abstain", 4, member="C"),
                    ev("object", 5, member="D", candidate="x"),
                    ev("reset", 6, member="D")])  # fmt: skip
    h = run(w)
    assert stance_of(w, h, "D", 1) is None and stance_of(w, h, "D", 2) == "y"
    assert objects(w, h, "C", "y", 1) and objects(w, h, "C", "y", 2)
    assert not objects(w, h, "C", "y", 3)
    assert stance_of(w, h, "C", 3) == "x" and stance_of(w, h, "C", 4) is None
    assert objects(w, h, "D", "x", 5) and not objects(w, h, "D", "x", 6)
    assert stance_of(w, h, "D", 6) is None


def test_a_rule_event_changes_the_decision_rule():
    prefs = [likes("B", "x"), likes("C", "x")]
    change = ev("rule", 3, decision={"quorum": 0.5})
    w = toy(candidates=SOLE, preferences=prefs, decision={"quorum": 1.0}, events=[change])
    assert winner(w, run(w)) == ("x", 3)
    w = toy(candidates=SOLE, preferences=prefs, decision={"quorum": 1.0})
    assert winner(w, run(w)) == (None, None)


def test_an_uncertain_event_happens_in_its_share_of_replications_the_same_in_mesa():
    enters = ev("enter", 2, candidate="y", probability=0.3)
    w = toy(candidates=XY, events=[enters], withdraw_share=1.0, decision={"quorum": 1.0})
    seeds = list(range(400))
    h = run(w, seeds)
    entered = h.in_race[2][:, 1]
    assert 0.22 < entered.mean() < 0.38
    assert not h.in_race[1][:, 1].any()
    assert (h.final.withdrawn_reason == 0).all()
    for r in (int(np.argmax(entered)), int(np.argmin(entered))):
        m = ConsensusModel(w, rng=seeds[r]).run()
        assert bool(m.history.in_race[2][0, 1]) == bool(entered[r])
    certain = toy(candidates=XY, events=[{**enters, "probability": None}], withdraw_share=1.0,
                  decision={"quorum": 1.0})  # fmt: skip
    assert run(certain, seeds).in_race[2][:, 1].all()


def test_a_withdraw_event_is_recorded_as_such():
    w = toy(candidates=XY, events=[ev("withdraw", 2, candidate="y")], withdraw_share=1.0)
    assert run(w).final.withdrawn_reason[0].tolist() == [0, EVENT]


# --- approval ------------------------------------------------------------------------------


def test_approval_positions_are_recorded_and_a_rule_can_count_encourages():
    prefs = [likes("C", "x"), likes("D", "y", 0.3)]
    count = {"rule": "qualified_majority", "threshold": 0.7, "count": "encourage"}
    w = toy(candidates=XY, preferences=prefs, withdraw_share=1.0, decision=count,
            sessions=[session(2, "indicative", approval=True), session(3)],
            grievances=[grudge("D", "x", 0.6)])  # fmt: skip
    h = run(w)
    f = h.final
    assert f.approval_round[0] == 2
    assert f.approval[0, :, 0].tolist() == [1, 0, 1, -1]  # A home, B none, C likes, D grudge
    assert winner(w, h) == (None, None)  # x: 2 of 4 encourage < 0.7
    lenient = toy(candidates=XY, preferences=prefs, withdraw_share=1.0,
                  decision={**count, "threshold": 0.5},
                  sessions=[session(2, "indicative", approval=True), session(3)],
                  grievances=[grudge("D", "x", 0.6)])  # fmt: skip
    assert winner(lenient, run(lenient)) == ("x", 3)


# --- explain -------------------------------------------------------------------------------


def test_explain_shows_leverage_price_and_session_term_by_term():
    from sim.report.explain import explain

    peers = [{"id": "peers", "from": {}, "to": {}, "weight": 1.0}]
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X, ties=peers, w_ties=1.0, w_band=1.0,
            objects={"C": ["x"]}, sessions=[session(3, "indicative"), session(9)], weeks=9)  # fmt: skip
    text = explain(w, "C", 3, seed=1)
    assert "session meeting 3 (indicative); decision rule not tested" in text
    assert "leverage   -" in text and "holdout: positive pull" in text
    assert (
        "standing objections (lifted when received >= price): x (received 0.00 of price 1.00"
        in text
    )
    quiet = explain(toy(candidates=SOLE, preferences=ALL_LIKE_X), "C", 1, seed=1)
    assert "leverage   +0.000   no leverage" in quiet and "no session this round" in quiet


def test_explain_says_whether_a_session_held_by_chance_is_held_in_the_run():
    from sim.report.explain import explain

    w = toy(candidates=SOLE, sessions=[session(2, probability=0.4), session(4)])
    texts = [explain(w, "C", 2, seed=s) for s in range(12)]
    held = [t for t in texts if "chance 0.4: held in this run; decision rule tested" in t]
    not_held = [t for t in texts if "chance 0.4: not held in this run" in t]
    assert held and not_held and len(held) + len(not_held) == len(texts)
    assert all("not held in this run (no offers, no elimination)" in t for t in not_held)
    assert not any("no offers" in t for t in held)
    sure = explain(w, "C", 4, seed=1)
    assert "chance" not in sure and "decision rule tested" in sure


def test_explain_names_the_events_of_its_round_before_the_member_decides():
    from sim.report.explain import explain

    events = [ev("object", 1, member="C", candidate="x"), ev("lift", 3, member="C", candidate="x"),
              {**ev("declare", 3, member="C", candidate="y"), "probability": 0.5},
              ev("declare", 3, member="D", candidate="x")]  # fmt: skip
    w = toy(candidates=XY, events=events, weeks=6)
    texts = [explain(w, "C", 3, seed=s) for s in range(10)]
    head = "this round's events, applied before it decides (the utilities below are read before them): "
    assert all(f"{head}C lifts its objection to x; C declares for y (declare3, chance 0.5: " in t
               for t in texts)  # fmt: skip
    said = {("happens in this run" in t, "does not happen in this run" in t) for t in texts}
    assert said == {(True, False), (False, True)}  # as the run draws it
    assert all("D declares" not in t for t in texts)  # another member's event is its own
    assert "this round's events" not in explain(w, "C", 2, seed=1)  # none in round 2
    assert "C objects to x" in explain(w, "C", 1, seed=1)


THREE = (("x", "A"), ("y", "B"), ("z", "C"))
TALLY_CAPS = {"A": 0.5, "B": 0.5, "C": 1.0, "D": 0.1, "E": 0.1, "F": 0.1}


def _tally_world(**session_fields):
    # x: A, D, E (3 heads, capability 0.7); y: B, F (2, 0.6); z: C alone (1, 1.0).
    return toy(candidates=THREE, members="ABCDEF", capability=TALLY_CAPS, withdraw_share=1.0,
               initial={"D": "x", "E": "x", "F": "y"},
               sessions=[session(1, "indicative", eliminate=1, **session_fields), session(9)])  # fmt: skip


def test_an_elimination_counts_capability_by_default_and_heads_with_tally_members():
    w = _tally_world()
    h = run(w)
    assert not in_race(w, h, "y", 1) and in_race(w, h, "z", 1)  # least capability: y
    w = _tally_world(tally="members")
    h = run(w)
    assert not in_race(w, h, "z", 1) and in_race(w, h, "y", 1)  # fewest members: z
    assert h.final.withdrawn_reason[0].tolist() == [0, 0, ELIMINATED]


def test_with_preferences_each_member_names_its_best_candidates_and_the_tally_counts_them():
    second_z = [likes(m, "z", 0.3) for m in "ABDE"] + [likes("D", "x"), likes("E", "y")]
    kw = dict(candidates=THREE, members="ABCDE", preferences=second_z, withdraw_share=1.0)

    def world(**fields):
        return toy(**kw, sessions=[session(1, "indicative", eliminate=1, tally="members", **fields),
                                   session(9)])  # fmt: skip

    # Backing only: x (A, D) and y (B, E) have two each, z (C) one: z leaves.
    w = world()
    assert not in_race(w, run(w), "z", 1)
    # Two preferences each: z is everyone's second choice (five names), y has B and E only
    # (C's second choice among equals is the first listed, x): y leaves.
    w = world(preferences=2)
    h = run(w)
    assert in_race(w, h, "z", 1) and not in_race(w, h, "y", 1)
    # A member never names a candidate it objects to: with D and E objecting to z, z has
    # A, B and C and ties with x (A, C, D); y (B, E) still has fewest.
    w = toy(**{**kw, "objects": {"D": ["z"], "E": ["z"], "A": ["z"], "B": ["z"]}},
            sessions=[session(1, "indicative", eliminate=1, tally="members", preferences=2),
                      session(9)])  # fmt: skip
    h = run(w)
    assert not in_race(w, h, "z", 1)  # named by C alone


def test_equal_tallies_fall_back_to_capability_then_to_the_order_of_listing():
    # By heads x (A, D) and y (B, E) tie with two each; z (C) leaves first, then y, whose
    # backers have less capability.
    caps = {"A": 0.5, "B": 0.2, "C": 0.5, "D": 0.5, "E": 0.2}
    w = toy(candidates=THREE, members="ABCDE", capability=caps, withdraw_share=1.0,
            initial={"D": "x", "E": "y"},
            sessions=[session(1, "indicative", eliminate=2, tally="members"), session(9)])  # fmt: skip
    h = run(w)
    assert in_race(w, h, "x", 1) and not in_race(w, h, "y", 1) and not in_race(w, h, "z", 1)
    caps = {"A": 0.2, "B": 0.5, "C": 0.5, "D": 0.2, "E": 0.5}
    w = toy(candidates=THREE, members="ABCDE", capability=caps, withdraw_share=1.0,
            initial={"D": "x", "E": "y"},
            sessions=[session(1, "indicative", eliminate=2, tally="members"), session(9)])  # fmt: skip
    h = run(w)
    assert not in_race(w, h, "x", 1) and in_race(w, h, "y", 1)


def test_explain_names_an_elimination_and_its_tally():
    from sim.report.explain import explain

    w = _tally_world(tally="members", preferences=2)
    text = explain(w, "D", 1, seed=1)
    assert "1 eliminated, fewest each member's 2 best by members" in text
    assert "fewest" not in explain(_tally_world(), "D", 2, seed=1)  # no session in round 2
    assert "1 eliminated, fewest backers by capability" in explain(_tally_world(), "D", 1, seed=1)
