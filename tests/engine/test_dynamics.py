"""Each behaviour of the model fires in a small scenario, and a neighbour shows when it does not."""

from toy import in_race, objects, run, stance_of, toy, week, winner

LIKES_X = {"id": "c-likes-x", "members": {"codes": ["C"]}, "candidate": "x", "affinity": 0.5}


def likes(code: str, cand: str, affinity: float, rule_id: str = "") -> dict:
    rid = rule_id or f"{code}-likes-{cand}"
    return {"id": rid, "members": {"codes": [code]}, "candidate": cand, "affinity": affinity}


def grudge(code: str, cand: str, weight: float, rule_id: str = "") -> dict:
    rid = rule_id or f"{code}-against-{cand}"
    return {"id": rid, "members": {"codes": [code]}, "candidate": cand, "weight": weight}


# --- declaring -----------------------------------------------------------------------------


def test_undecided_member_declares_for_a_candidate_it_clearly_prefers():
    w = toy(preferences=[likes("C", "x", 0.5)])
    h = run(w)
    assert stance_of(w, h, "C", 0) is None
    assert stance_of(w, h, "C", 1) == "x"


def test_member_below_the_declare_threshold_stays_undecided():
    w = toy(preferences=[likes("C", "x", 0.2)])  # U = 0.2 < declare_threshold 0.25
    h = run(w)
    assert all(stance_of(w, h, "C", t) is None for t in range(len(h.stance)))


def test_member_without_a_clear_margin_stays_undecided():
    w = toy(preferences=[likes("C", "x", 0.5), likes("C", "y", 0.45)])  # margin 0.05 < 0.1
    h = run(w)
    assert all(stance_of(w, h, "C", t) is None for t in range(len(h.stance)))


def test_home_state_backs_its_own_candidate_from_the_start():
    w = toy(grievances=[grudge("A", "x", 1.0)])  # even with a grievance against it
    h = run(w)
    assert stance_of(w, h, "A", 0) == "x"
    assert not objects(w, h, "A", "x", 1)


# --- switching (commitment) ----------------------------------------------------------------


def test_declared_member_switches_when_another_candidate_leads_by_the_switch_margin():
    w = toy(initial={"C": "y"}, preferences=[likes("C", "x", 0.6)])
    h = run(w)
    assert stance_of(w, h, "C", 0) == "y"
    assert stance_of(w, h, "C", 1) == "x"


def test_declared_member_does_not_switch_for_a_smaller_lead():
    # An undecided member with these utilities would declare for x; a committed one stays.
    w = toy(initial={"C": "y"}, preferences=[likes("C", "x", 0.4)])
    h = run(w)
    assert all(stance_of(w, h, "C", t) == "y" for t in range(len(h.stance)))
    undecided = run(toy(preferences=[likes("C", "x", 0.4)]))
    assert stance_of(w, undecided, "C", 1) == "x"


# --- objecting and lifting -----------------------------------------------------------------


def test_member_with_a_strong_grievance_objects():
    w = toy(grievances=[grudge("C", "x", 0.5)])  # U = -0.5 < object_threshold -0.4
    h = run(w)
    assert not objects(w, h, "C", "x", 0)
    assert objects(w, h, "C", "x", 1)
    assert not objects(w, h, "C", "y", 1)


def test_member_with_a_mild_grievance_does_not_object():
    w = toy(grievances=[grudge("C", "x", 0.3)])
    h = run(w)
    assert not any(objects(w, h, "C", "x", t) for t in range(len(h.stance)))


def test_objection_is_kept_between_the_thresholds_and_lifted_above():
    ease = {"id": "ease", "kind": "grievance", "grievance": "C-against-x", "value": 0.3}
    lift = {"id": "lift", "kind": "grievance", "grievance": "C-against-x", "value": 0.1}
    w = toy(
        grievances=[grudge("C", "x", 0.5)],
        events=[{**ease, "date": week(2)}, {**lift, "date": week(4)}],
    )
    h = run(w)
    assert objects(w, h, "C", "x", 1)
    assert objects(w, h, "C", "x", 3)  # U = -0.3: between -0.4 and -0.2, keeps objecting
    assert not objects(w, h, "C", "x", 4)  # U = -0.1 >= lift_threshold -0.2


# --- withdrawal ----------------------------------------------------------------------------

# The fixed trailing count, an option since strategic withdrawal (off: leader share 1.0 only).
TRAILING = {"withdraw_patience": 3, "withdraw_share": 1.0}


def test_trailing_candidate_withdraws_after_its_patience_runs_out():
    w = toy(initial={"C": "x", "D": "x"}, **TRAILING)  # x 0.75 of capability vs y 0.25: gap 0.5
    h = run(w)
    assert in_race(w, h, "y", 2)
    assert not in_race(w, h, "y", 3)
    assert int(h.final.withdrawn_round[0, 1]) == 3
    assert stance_of(w, h, "B", 3) is None  # its home state is free again


def test_patience_delays_withdrawal():
    w = toy(initial={"C": "x", "D": "x"}, **{**TRAILING, "withdraw_patience": 5})
    h = run(w)
    assert in_race(w, h, "y", 4)
    assert int(h.final.withdrawn_round[0, 1]) == 5


def test_candidate_within_the_gap_does_not_withdraw():
    w = toy(initial={"C": "x", "D": "x"}, withdraw_gap=0.6, **TRAILING)
    h = run(w)
    assert in_race(w, h, "y", len(h.stance) - 1)
    assert winner(w, h) == (None, None)


def test_withdrawal_under_consensus_opens_the_way_to_appointment():
    w = toy(initial={"C": "x", "D": "x"}, **TRAILING)
    assert winner(w, run(w)) == ("x", 3)


# --- concessions ---------------------------------------------------------------------------

SOLE = (("x", "A"),)
OFFERS = {"concessions_per_round": 1}


def holdout_world(**params):
    """x runs alone, backed by all but E, whose grievance makes it object."""
    return toy(
        members=("A", "B", "C", "D", "E"),
        candidates=SOLE,
        initial={"B": "x", "C": "x", "D": "x"},
        grievances=[grudge("E", "x", 0.45)],
        **OFFERS,
        **params,
    )


def test_concession_turns_a_holdout():
    w = holdout_world()
    h = run(w)
    assert objects(w, h, "E", "x", 1)  # blocks at first
    assert int(h.final.conceded_round[0, 4, 0]) == 1  # the leader courts the objector
    assert not objects(w, h, "E", "x", 2)  # -0.45 + 0.5 lifts the objection
    assert winner(w, h) == ("x", 2)


def test_without_a_concession_the_holdout_blocks_to_the_end():
    w = holdout_world(concession_size=0.0)
    h = run(w)
    assert objects(w, h, "E", "x", len(h.stance) - 1)
    assert winner(w, h) == (None, None)  # deadlock


def test_members_committed_to_a_rival_are_not_courted():
    w = toy(initial={"C": "x", "D": "y"}, withdraw_gap=1.0, **OFFERS)
    h = run(w)
    assert (h.final.conceded_round[0, 3] == -1).all()  # D backs y
    assert (h.final.conceded_round[0, 1] == -1).all()  # B is y's home state


def test_no_concession_is_logged_in_the_round_of_appointment():
    w = toy(candidates=SOLE, **OFFERS)  # appointed in round 1: nobody left to court
    h = run(w)
    assert winner(w, h) == ("x", 1)
    assert (h.final.conceded_round == -1).all()


def test_a_camp_short_of_concede_share_offers_nothing():
    w = toy(
        members=("A", "B", "C", "D", "E"),
        candidates=SOLE,
        grievances=[grudge("E", "x", 0.45)],
        **OFFERS,
    )  # only the home state backs x: share 0.2 < 0.5
    h = run(w)
    assert (h.final.conceded_round == -1).all()


def test_objectors_are_courted_before_weightier_undecided_members():
    w = toy(
        members=("A", "B", "C", "D", "E"),
        candidates=SOLE,
        capability={"D": 1.0, "E": 0.1},
        initial={"B": "x", "C": "x"},
        grievances=[grudge("E", "x", 0.45)],
        decision={"quorum": 1.0},  # keep the race open past round 1
        **OFFERS,
    )
    h = run(w)
    assert int(h.final.conceded_round[0, 4, 0]) == 1  # E objects: first
    assert int(h.final.conceded_round[0, 3, 0]) == 2  # D, undecided: next round


# --- events --------------------------------------------------------------------------------


def test_member_joining_is_absent_before_and_present_after():
    join = {"id": "d-joins", "date": week(3), "kind": "join", "member": "D"}
    w = toy(events=[join], preferences=[likes("D", "x", 0.5)])
    h = run(w)
    assert not w.rounds[2].active[3] and w.rounds[3].active[3]
    assert stance_of(w, h, "D", 2) is None  # not a member yet, so no stance
    assert stance_of(w, h, "D", 3) == "x"
    assert toy().rounds[0].active.all()  # without the event everyone is present


def test_candidate_entering_later_is_out_of_the_race_until_then():
    enter = {"id": "y-enters", "date": week(3), "kind": "enter", "candidate": "y"}
    w = toy(events=[enter], decision={"quorum": 1.0})  # x alone must not be appointed first
    h = run(w)
    assert not in_race(w, h, "y", 2)
    assert stance_of(w, h, "B", 2) is None
    assert in_race(w, h, "y", 3)
    assert stance_of(w, h, "B", 3) == "y"  # its home state backs it on entry


def test_withdraw_event_takes_a_candidate_out_and_frees_its_backers():
    quit_ = {"id": "y-quits", "date": week(2), "kind": "withdraw", "candidate": "y"}
    w = toy(events=[quit_], initial={"C": "y"}, withdraw_gap=1.0)
    h = run(w)
    assert in_race(w, h, "y", 1) and stance_of(w, h, "C", 1) == "y"
    assert not in_race(w, h, "y", 2) and stance_of(w, h, "C", 2) is None
    assert in_race(w, run(toy(initial={"C": "y"}, withdraw_gap=1.0)), "y", 5)


def test_tie_event_makes_a_member_listen():
    tie = {"id": "c-hears-a", "from": {"codes": ["C"]}, "to": {"codes": ["A"]}, "weight": 0.0}
    hear = {"id": "hear", "date": week(2), "kind": "tie", "tie": "c-hears-a", "value": 1.0}
    w = toy(ties=[tie], events=[hear], w_ties=0.5)
    h = run(w)
    assert stance_of(w, h, "C", 1) is None
    assert stance_of(w, h, "C", 2) == "x"  # A backs x: tie term 0.5
    quiet = toy(ties=[tie], w_ties=0.5)
    assert stance_of(quiet, run(quiet), "C", 5) is None


def test_preference_event_changes_affinity_from_its_date():
    pref = likes("C", "x", 0.0)
    warm = {"id": "warm", "date": week(2), "kind": "preference", "preference": pref["id"]}
    w = toy(preferences=[pref], events=[{**warm, "value": 0.5}])
    h = run(w)
    assert stance_of(w, h, "C", 1) is None
    assert stance_of(w, h, "C", 2) == "x"


def test_parameter_event_changes_behaviour_from_its_date():
    lower = {"id": "lower", "date": week(3), "kind": "parameter", "parameter": "declare_threshold"}
    w = toy(
        preferences=[likes("C", "x", 0.5)], declare_threshold=0.9, events=[{**lower, "value": 0.25}]
    )
    h = run(w)
    assert stance_of(w, h, "C", 2) is None
    assert stance_of(w, h, "C", 3) == "x"


def test_deadline_event_moves_the_bandwagon_pressure():
    from sim.engine.rules import deadline_pressure

    sooner = {"id": "sooner", "date": week(2), "kind": "deadline", "deadline": week(3)}
    w = toy(events=[sooner], weeks=20)
    base = toy(weeks=20)
    assert deadline_pressure(w, 1) == deadline_pressure(base, 1)
    assert deadline_pressure(w, 2) > deadline_pressure(base, 2)
    assert deadline_pressure(w, 3) == 1.0


def test_bandwagon_pulls_undecided_members_as_the_deadline_nears():
    # D has no preference: only momentum (x backed by 3 of 4) can move it, and only near the deadline.
    w = toy(initial={"C": "x"}, w_band=0.5, weeks=20, withdraw_gap=1.0)
    h = run(w)
    declared = [t for t in range(len(h.stance)) if stance_of(w, h, "D", t) == "x"]
    assert declared and declared[0] > 5
    no_band = toy(initial={"C": "x"}, weeks=20, withdraw_gap=1.0)
    assert stance_of(no_band, run(no_band), "D", 20) is None


# --- decision rules ------------------------------------------------------------------------


def test_consensus_appoints_the_sole_candidate_without_objections():
    w = toy(candidates=SOLE)
    assert winner(w, run(w)) == ("x", 1)


def test_consensus_is_blocked_by_one_objector():
    w = toy(
        candidates=SOLE,
        grievances=[grudge("D", "x", 0.9)],
    )
    assert winner(w, run(w)) == (None, None)


def test_consensus_waits_for_its_quorum():
    w = toy(candidates=SOLE, decision={"quorum": 0.75}, preferences=[likes("C", "x", 0.5)])
    assert winner(w, run(w)) == (None, None)  # only A and C back x: 0.5
    w = toy(candidates=SOLE, decision={"quorum": 0.5}, preferences=[likes("C", "x", 0.5)])
    assert winner(w, run(w)) == ("x", 1)


def test_consensus_never_appoints_while_two_candidates_run():
    w = toy(initial={"C": "x", "D": "x"}, withdraw_gap=1.0, withdraw_share=1.0)
    assert winner(w, run(w)) == (None, None)


def test_unanimity_needs_every_member():
    everyone = [likes(c, "x", 0.5) for c in ("C", "D")]
    w = toy(candidates=SOLE, decision={"rule": "unanimity"}, preferences=everyone)
    assert winner(w, run(w)) == (None, None)  # B never declares
    w = toy(
        candidates=SOLE,
        decision={"rule": "unanimity"},
        preferences=[*everyone, likes("B", "x", 0.5)],
    )
    assert winner(w, run(w)) == ("x", 1)


def test_qualified_majority_threshold():
    qmv = {"rule": "qualified_majority", "threshold": 0.75}
    w = toy(decision=qmv, preferences=[likes("C", "x", 0.5)])
    assert winner(w, run(w)) == (None, None)  # 2 of 4
    w = toy(decision=qmv, preferences=[likes("C", "x", 0.5), likes("D", "x", 0.5)])
    assert winner(w, run(w)) == ("x", 1)


def test_weighted_majority_counts_capability():
    qmv = {"rule": "qualified_majority", "threshold": 0.6, "weighted": True}
    heavy = {"A": 1.0, "B": 0.1, "C": 0.1, "D": 0.1}
    w = toy(decision=qmv, capability=heavy)  # A alone holds 1.0/1.3 of the weight
    assert winner(w, run(w)) == ("x", 1)
    w = toy(decision={**qmv, "weighted": False}, capability=heavy)
    assert winner(w, run(w)) == (None, None)


def test_veto_player_objection_blocks_a_majority():
    qmv = {"rule": "qualified_majority", "threshold": 0.5, "veto": ["D"]}
    w = toy(decision=qmv, initial={"C": "x"}, grievances=[grudge("D", "x", 0.9)])
    assert winner(w, run(w)) == (None, None)
    w = toy(decision={**qmv, "veto": ["C"]}, initial={"C": "x"}, grievances=[grudge("D", "x", 0.9)])
    assert winner(w, run(w)) == ("x", 1)


def test_deadlock_runs_to_the_last_round():
    w = toy(candidates=SOLE, grievances=[grudge("D", "x", 0.9)], concession_size=0.0, weeks=6)
    h = run(w)
    assert winner(w, h) == (None, None)
    assert int(h.last_round[0]) == 6
    assert len(h.stance) == 7


def test_appointed_replication_freezes():
    w = toy(candidates=SOLE, weeks=6)
    h = run(w, seeds=(0, 1))
    assert (h.final.appointed_round == 1).all()
    assert (h.stance[-1] == h.stance[1]).all()


def test_withdraw_event_on_the_start_date_keeps_the_candidate_out():
    quit_ = {"id": "y-out", "date": week(0), "kind": "withdraw", "candidate": "y"}
    w = toy(events=[quit_], decision={"quorum": 1.0})
    assert not in_race(w, run(w), "y", 0)


def test_calendar_ends_on_the_first_round_on_or_after_last_round():
    from datetime import timedelta

    w = toy(weeks=3)
    assert w.dates[-1] == week(3)
    import sim.engine.world as world_mod

    sc = w.scenario.model_copy(deep=True)
    sc.calendar.last_round = week(3) - timedelta(days=3)
    assert world_mod.build_world(sc).dates[-1] == week(3)
    sc.calendar.last_round = sc.calendar.start + timedelta(days=1)
    assert world_mod.build_world(sc).n_rounds == 1


def test_last_holdouts_are_those_that_held_out_longest_not_late_joiners():
    from sim.engine.holdouts import last_holdouts

    join = {"id": "e-joins", "date": week(2), "kind": "join", "member": "E"}
    w = toy(
        members=("A", "B", "C", "D", "E"),
        candidates=SOLE,
        decision={"quorum": 1.0},
        preferences=[likes("E", "x", 0.5), likes("D", "x", 0.5), likes("B", "x", 0.3)],
        grievances=[grudge("C", "x", 0.45)],
        events=[join, {"id": "c-eases", "date": week(4), "kind": "grievance",
                       "grievance": "C-against-x", "value": 0.0}],
        **{**OFFERS, "concession_size": 0.3},
    )  # fmt: skip
    h = run(w)
    assert winner(w, h)[0] == "x"
    assert stance_of(w, h, "E", 2) == "x"  # backs x the round it joins
    holdouts = last_holdouts(h, 0)
    assert holdouts[-1] == "C"  # objected until its grievance eased
    assert "E" not in holdouts
