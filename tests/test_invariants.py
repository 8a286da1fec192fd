"""Properties that hold in every round of every replication of any small scenario."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy import run, toy

from sim.engine.model import ConsensusModel
from sim.engine.rules import UNDECIDED

CODES = "ABCDEFG"


@st.composite
def scenarios(draw):
    n = draw(st.integers(3, 7))
    members = CODES[:n]
    cands = (("x", "A"), ("y", "B"), ("z", "C"))[: draw(st.integers(1, 3))]
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
        withdraw_patience=draw(st.integers(1, 4)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.lists(st.integers(0, 2**32), min_size=1, max_size=4))
def test_round_invariants(world, seeds):
    h = run(world, seeds)
    c = len(world.candidates)
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
            running = in_race[:, k]
            assert (stance[running, home] == k).all(), "a home state backs its running candidate"
        assert (in_race.sum(axis=1) >= 1).all() or t == 0, "the leader never withdraws"
    f = h.final
    won = f.appointed >= 0
    assert (f.in_race[won, f.appointed[won]]).all(), "the winner is in the race"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32))
def test_mesa_model_equals_the_batch_on_any_small_scenario(world, seed):
    model = ConsensusModel(world, rng=seed).run()
    batch = run(world, [seed, seed + 1])
    rounds = len(model.history.stance)
    assert all(
        np.array_equal(model.history.stance[t][0], batch.stance[t][0]) for t in range(rounds)
    )
    assert model.state.appointed[0] == batch.final.appointed[0]
