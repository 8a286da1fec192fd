"""Properties that hold in every round of every replication of any small scenario."""

from dataclasses import fields

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy import run, toy, week

from sim.engine.model import ConsensusModel
from sim.engine.rules import UNDECIDED, State

CODES = "ABCDEFG"


@st.composite
def scenarios(draw):
    n = draw(st.integers(3, 7))
    members = CODES[:n]
    homes = draw(st.sampled_from([("A", "B", "C"), ("A", "A", "B"), ("A", None, "B")]))
    cands = tuple(zip("xyz", homes, strict=True))[: draw(st.integers(1, 3))]
    affinity = st.floats(-1, 1, allow_nan=False)
    prefs = [
        {"id": f"p{m}{c}", "members": {"codes": [m]}, "candidate": c, "affinity": draw(affinity)}
        for m in members
        for c, _ in cands
        if draw(st.booleans())
    ]
    grudges = [
        {
            "id": f"g{m}{c}",
            "members": {"codes": [m]},
            "candidate": c,
            "weight": draw(st.floats(0, 1)),
        }
        for m in members
        for c, _ in cands
        if draw(st.integers(0, 3)) == 0
    ]
    rule = draw(st.sampled_from([{"rule": "consensus", "quorum": draw(st.floats(0, 1))},
                                 {"rule": "unanimity"},
                                 {"rule": "qualified_majority", "threshold": draw(st.floats(0.3, 1))}]))  # fmt: skip
    extra = draw(bargaining(members, [c for c, _ in cands])) if draw(st.booleans()) else {}
    return toy(
        members=members,
        candidates=cands,
        preferences=prefs,
        grievances=grudges,
        ties=[{"id": "peers", "from": {}, "to": {}, "weight": 1.0}],
        decision=rule,
        weeks=8,
        noise=draw(st.floats(0, 1)),
        w_ties=draw(st.floats(0, 2)),
        w_band=draw(st.floats(0, 2)),
        concessions_per_round=draw(st.integers(0, 2)),
        withdraw_patience=draw(st.integers(0, 4)),
        withdraw_share=draw(st.floats(0.3, 1)),
        **extra,
    )


@st.composite
def bargaining(draw, members, cands):
    """Every block of deadline bargaining, drawn at random: sessions (formal, indicative,
    eliminations by tally and preferences, approval, own rules, held by chance or convened
    once the rule is met), objections, brokers, stance, rule and uncertain events."""
    member, cand = st.sampled_from(list(members)), st.sampled_from(cands)
    weeks = sorted(draw(st.sets(st.integers(1, 8), min_size=1, max_size=4)))
    sessions = []
    for k, n in enumerate(weeks):
        kind = draw(st.sampled_from(["formal", "indicative"]))
        s = {"id": f"s{k}", "date": week(n), "name": f"s{k}", "kind": kind}
        if draw(st.integers(0, 3)) == 0:
            s["eliminate"] = 1
            s["tally"] = draw(st.sampled_from(["capability", "members"]))
            if draw(st.booleans()):
                s["preferences"] = draw(st.integers(1, 3))
        if kind == "indicative" and draw(st.booleans()):
            s["approval"] = True
        if draw(st.integers(0, 3)) == 0:
            s["decision"] = {"rule": "qualified_majority", "threshold": 0.5,
                             "count": draw(st.sampled_from(["support", "encourage"]))}  # fmt: skip
        if kind == "formal" and draw(st.integers(0, 2)) == 0:
            s["probability"] = draw(st.floats(0.05, 1))
        elif kind == "formal" and draw(st.integers(0, 2)) == 0:
            s["convened_after_days"] = draw(st.integers(0, 21))
        sessions.append(s)
    kinds = ["declare", "object", "lift", "abstain", "reset", "rule", "enter", "withdraw"]
    events = []
    for k in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(kinds))
        e = {"id": f"e{k}", "date": week(draw(st.integers(1, 8))), "kind": kind}
        if kind in ("declare", "object", "lift", "abstain", "reset"):
            e["member"] = draw(member)
        if kind in ("declare", "object", "lift", "enter", "withdraw"):
            e["candidate"] = draw(cand)
        if kind == "rule":
            e["decision"] = {"quorum": draw(st.floats(0, 1))}
        elif draw(st.booleans()):
            e["probability"] = draw(st.floats(0.05, 1))
        events.append(e)
    objections = {m: [draw(cand)] for m in members if draw(st.integers(0, 3)) == 0}
    brokers = [{"id": "b", "member": draw(member), "targets": {}}] if draw(st.booleans()) else []
    return {
        "sessions": sessions,
        "weekly": draw(st.booleans()),
        "events": events,
        "objects": objections,
        "brokers": brokers,
        "offer_rate": draw(st.floats(0, 1)),
        "leverage_gain": draw(st.floats(0, 5)),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.lists(st.integers(0, 2**32), min_size=1, max_size=4))
def test_round_invariants(world, seeds):
    h = run(world, seeds)
    c = len(world.candidates)
    # A dated entry or withdrawal may empty the race, also one that falls after the last
    # round (with `weekly: false` the rounds end at the last session).
    dated = any(e.kind in ("enter", "withdraw") for e in world.scenario.events)
    for t, (stance, objecting, in_race) in enumerate(
        zip(h.stance, h.objecting, h.in_race, strict=True)
    ):
        backs = stance[:, :, None] == np.arange(c)
        assert not (backs & objecting).any(), "nobody objects to the candidate it backs"
        assert not (objecting & ~in_race[:, None, :]).any(), "objections only to candidates running"
        backed = np.where(stance >= 0, stance, 0)
        assert (in_race[np.arange(len(seeds))[:, None], backed] | (stance == UNDECIDED)).all(), (
            "members back only candidates in the race"
        )
        for k, home in enumerate(world.home):
            running = in_race[:, k].copy()
            for other in world.home_siblings[k]:
                running &= ~in_race[:, other]
            if home >= 0 and world.rounds[t].active[home]:
                assert (stance[running, home] == k).all(), "a home state backs its candidate"
        # A dated withdrawal may empty the race, and a race whose every candidate enters
        # after the last round is empty throughout.
        if not dated and world.in_race0.any():
            assert (in_race.sum(axis=1) >= 1).all() or t == 0, "the leader never withdraws"
    f = h.final
    won = f.appointed >= 0
    assert (f.in_race[won, f.appointed[won]]).all(), "the winner is in the race"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32))
def test_mesa_model_equals_the_batch_on_any_small_scenario(world, seed):
    model = ConsensusModel(world, rng=seed).run()
    batch = run(world, [seed, seed + 1])
    rounds = len(model.history.stance)
    for name in ("stance", "objecting", "in_race"):
        mine, theirs = getattr(model.history, name), getattr(batch, name)
        assert all(np.array_equal(mine[t][0], theirs[t][0]) for t in range(rounds)), name
    for f in fields(State):
        assert np.array_equal(getattr(model.state, f.name)[0], getattr(batch.final, f.name)[0])
