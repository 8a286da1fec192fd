"""The Mesa model: agents carry the outcome, the DataCollector records it, seeds reproduce it."""

import numpy as np
from toy import run, toy

from sim.engine.agents import CandidateAgent, MemberAgent
from sim.engine.model import ConsensusModel


def noisy():
    """Two candidates, noise on, ties and offers on: outcomes depend on the seed."""
    return toy(
        members=("A", "B", "C", "D", "E", "F"),
        preferences=[
            {
                "id": "p",
                "members": {"codes": ["C", "D", "E", "F"]},
                "candidate": "x",
                "affinity": 0.2,
            }
        ],
        noise=0.5,
        w_ties=0.5,
        w_band=0.5,
        concessions_per_round=1,
        weeks=20,
    )


def test_agents_are_mesa_agents_with_the_scenario_attributes():
    m = ConsensusModel(toy(), rng=1)
    assert len(m.agents_by_type[MemberAgent]) == 4
    assert len(m.agents_by_type[CandidateAgent]) == 2
    a = m.members[0]
    assert (a.code, a.capability, a.stance) == ("A", 0.5, "x")
    assert m.candidates[1].in_race and m.candidates[1].home == "B"


def test_step_moves_the_agents_and_the_datacollector_records_each_round():
    m = ConsensusModel(noisy(), rng=3).run()
    df = m.datacollector.get_model_vars_dataframe()
    assert list(df.columns) == ["x", "y", "undecided", "objectors"]
    assert len(df) == m.round + 1
    last = df.iloc[-1]
    assert last["x"] == sum(1 for a in m.members if a.stance == "x")
    assert last["undecided"] == sum(1 for a in m.members if a.stance is None)
    stances = m.datacollector.get_agenttype_vars_dataframe(MemberAgent)
    assert set(stances["stance"]) <= {"x", "y", "undecided", "absent"}
    assert len(stances) == 6 * (m.round + 1)


def test_model_stops_at_appointment():
    m = ConsensusModel(toy(candidates=(("x", "A"),)), rng=0).run()
    assert m.winner.id == "x"
    assert not m.running
    assert m.round == 1


def test_same_seed_same_run_and_different_seeds_can_differ():
    w = noisy()
    runs = [ConsensusModel(w, rng=s).run() for s in (7, 7, 8, 9, 10, 11)]
    same = [
        np.array_equal(np.stack(runs[0].history.stance), np.stack(r.history.stance)) for r in runs
    ]
    assert same[1]
    assert not all(same[2:])


def test_mesa_model_and_a_batch_of_replications_give_the_same_trajectories():
    w = noisy()
    seeds = list(range(40))
    batch = run(w, seeds)
    for r, seed in enumerate(seeds):
        m = ConsensusModel(w, rng=seed).run()
        rounds = len(m.history.stance)
        got = np.stack([s[0] for s in m.history.stance])
        want = np.stack([s[r] for s in batch.stance[:rounds]])
        assert np.array_equal(got, want), f"seed {seed}"
        assert m.state.appointed[0] == batch.final.appointed[r]
        assert m.state.appointed_round[0] == batch.final.appointed_round[r]


def test_rules_read_a_frozen_typed_parameters_object_with_the_schema_names():
    import dataclasses

    import pytest

    from sim.engine.world import PARAM_FIELDS, Params
    from sim.scenario.schema import PARAMETER_NAMES

    assert PARAM_FIELDS == PARAMETER_NAMES
    w = toy(events=[{"id": "n", "date": "2024-01-15", "kind": "parameter",
                     "parameter": "withdraw_patience", "value": 2.0}])  # fmt: skip
    p0, p3 = w.rounds[0].params, w.rounds[3].params
    assert isinstance(p0, Params) and p0.noise == 0.0
    assert (p0.withdraw_patience, p3.withdraw_patience) == (0, 2)
    assert type(p3.withdraw_patience) is int
    with pytest.raises(dataclasses.FrozenInstanceError):
        p0.noise = 1.0
