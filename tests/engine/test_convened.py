"""Sessions convened once the decision rule is met (`convened_after_days:`): a formal
meeting held only where the rule has held since a round at least the notice before."""

import numpy as np
from toy import run, toy, week, winner

from sim.engine.model import ConsensusModel
from sim.engine.rules import NEVER

SOLE = (("x", "A"),)
ALL_LIKE_X = [
    {"id": f"p{m}x", "members": {"codes": [m]}, "candidate": "x", "affinity": 0.5} for m in "BCD"
]
EVERYONE = {"quorum": 1.0}  # the rule is met once all four back x: after round 1, not at 0


def slots(weeks, notice, **more):
    """A special meeting that may be called on each of these weeks, `notice` days ahead."""
    return [{"id": f"gc{n}", "date": week(n), "name": "special meeting", "kind": "formal",
             "convened_after_days": notice, **more} for n in weeks]  # fmt: skip


def sole(**more):
    """The one candidate x, whom every member comes to back after round 1."""
    return toy(candidates=SOLE, preferences=ALL_LIKE_X, decision=EVERYONE, **more)


def ev(kind, n, **more):
    return {"id": f"{kind}{n}", "date": week(n), "kind": kind, **more}


def test_a_convened_session_is_held_the_notice_after_the_rule_is_first_met():
    # every member backs x after round 1 (the rule is met from then on); with 14 days'
    # notice the week-2 meeting is too soon, the week-3 one is held and appoints
    w = sole(sessions=slots(range(2, 7), 14))
    h = run(w)
    assert winner(w, h) == ("x", 3)
    assert int(h.final.ready_since[0]) == 1
    assert w.session[2].ready_by == 0 and w.session[3].ready_by == 1
    # a plain formal meeting on week 2 appoints at once
    plain = sole(sessions=slots([2], None))
    assert winner(plain, run(plain)) == ("x", 2)


def test_a_convened_session_is_not_held_before_the_notice_has_run():
    # 35 days' notice from round 1 is week 6: no slot that late, no appointment
    w = sole(sessions=slots(range(2, 6), 35), weeks=6)
    h = run(w)
    assert winner(w, h) == (None, None)
    assert int(h.final.ready_since[0]) == 1  # ready all along, never called


def test_a_convened_session_is_not_held_while_the_rule_is_not_met():
    # C objects to x throughout: the rule is never met and no meeting is called
    w = sole(objects={"C": ["x"]}, sessions=slots(range(2, 9), 7))
    h = run(w)
    assert winner(w, h) == (None, None)
    assert int(h.final.ready_since[0]) == NEVER


def test_the_clock_starts_again_when_the_rule_stops_being_met():
    # D objects on week 2 and lifts on week 4: ready from round 1, not from round 2 until
    # D backs x again, and the 14 days run from then: held two weeks later, not on week 3
    events = [ev("object", 2, member="D", candidate="x"), ev("lift", 4, member="D", candidate="x")]
    w = sole(events=events, sessions=slots(range(2, 10), 14), weeks=10)
    h = run(w)
    again = next(t for t in range(4, 10) if (h.stance[t][0] == 0).all())  # all back x
    assert not (h.stance[2][0] == 0).all() and not (h.stance[3][0] == 0).all()
    assert winner(w, h) == ("x", again + 2) and int(h.final.ready_since[0]) == again
    quiet = sole(sessions=slots(range(2, 10), 14), weeks=10)
    assert winner(quiet, run(quiet)) == ("x", 3)


def test_convened_sessions_play_the_same_in_mesa_and_in_the_batch():
    # noise: replications become ready on different rounds, so they are called apart
    w = toy(candidates=(("x", "A"), ("y", "B")), preferences=ALL_LIKE_X, decision=EVERYONE, noise=1.0,
            sessions=slots(range(2, 9), 7), weeks=9)  # fmt: skip
    seeds = list(range(40))
    f = run(w, seeds).final
    assert len(set(f.appointed_round.tolist())) > 1
    for r in range(0, 40, 7):
        m = ConsensusModel(w, rng=seeds[r]).run()
        assert int(m.history.final.appointed_round[0]) == int(f.appointed_round[r])
        assert int(m.history.final.ready_since[0]) == int(f.ready_since[r])


def test_a_world_without_convened_sessions_tracks_nothing():
    w = toy(candidates=SOLE, preferences=ALL_LIKE_X)
    assert not w.convenes
    assert np.all(run(w, range(5)).final.ready_since == NEVER)


def test_explain_says_since_when_the_rule_is_met_and_whether_the_meeting_is_held():
    from sim.report.explain import explain

    w = sole(sessions=slots(range(2, 7), 14))
    early = explain(w, "C", 2, seed=1)
    assert "convened once the rule has been met for 14 days" in early
    assert "the rule met since round 1 (2024-01-08); not held in this run" in early
    held = explain(w, "C", 3, seed=1)
    assert "the rule met since round 1 (2024-01-08); held in this run" in held
    assert "decision rule tested" in held and "decision rule not tested" in early
    first = explain(w, "C", 1, seed=1)
    assert "no session this round" in first and "convened" not in first


def test_the_wto_experiment_convenes_its_special_meetings_a_week_after_the_rule_is_met():
    from pathlib import Path

    from sim.engine.world import build_world
    from sim.scenario.loader import load_scenario

    root = Path(__file__).resolve().parents[2]
    w = build_world(load_scenario(root / "docs" / "experiments" / "wto-2013-convened.yaml"))
    convened = [s for s in w.session if s is not None and s.convened]
    assert w.convenes and len(convened) == 14 and not w.uncertain
    f = run(w, range(60)).final
    done = f.appointed_round >= 0
    assert done.all()
    for at, since in zip(f.appointed_round[done], f.ready_since[done], strict=True):
        day = w.dates[at]
        # the regular 31 May Council needs no notice; a special meeting a week of it
        assert day.isoformat() == "2013-05-31" or (day - w.dates[since]).days >= 7


def test_the_readme_meetings_example_is_what_it_says():
    from pathlib import Path

    import yaml

    from sim.engine.world import build_world
    from sim.scenario.schema import Scenario

    lines = (Path(__file__).resolve().parents[2] / "README.md").read_text().splitlines()
    at = next(k for k, x in enumerate(lines) if x.startswith("**Meetings.**"))
    start = next(k for k in range(at, len(lines)) if lines[k] == "```yaml")
    end = next(k for k in range(start + 1, len(lines)) if lines[k] == "```")
    sessions = yaml.safe_load("\n".join(lines[start + 1 : end]))["sessions"]
    world = build_world(Scenario.model_validate({
        "name": "meetings",
        "sources": [{"id": "procedures", "title": "Procedures"}],
        "calendar": {"start": "2013-04-01", "deadline": "2013-05-31", "last_round": "2013-05-31",
                     "assumption": True},
        "decision": {"rule": "consensus", "assumption": True},
        "candidates": [{"id": "x", "name": "X", "home": "A", "assumption": True}],
        "members": [{"code": c, "name": c, "capability": 0.5, "salience": 0.5,
                     "assumption": True} for c in "ABC"],
        "sessions": sessions,
    }))  # fmt: skip
    held = [(d.isoformat(), s.kind, s.convened) for d, s in zip(world.dates, world.session,
                                                                  strict=True) if s]  # fmt: skip
    council = [d for d, kind, _ in held if kind == "indicative"]
    assert council == ["2013-04-03", "2013-04-10", "2013-04-17", "2013-04-24", "2013-05-01",
                       "2013-05-08"]  # fmt: skip
    special = [d for d, _, convened in held if convened]
    assert len(special) == 14 and special[0] == "2013-05-13" and special[-1] == "2013-05-30"
    assert held[-1] == ("2013-05-31", "formal", False)
