"""Replications played in groups give the history of playing them all together."""

from dataclasses import fields
from pathlib import Path

import numpy as np

from sim.batching.plan import replication_seeds
from sim.engine import loop
from sim.engine.history import History
from sim.engine.rules import State
from sim.engine.world import build_world
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_groups_of_replications_join_into_one_history(monkeypatch):
    # Noisy enough that replications end in different rounds, some groups before others.
    scenario = load_scenario(ROOT / "scenarios/nato-2024.yaml", overrides=["parameters.noise=1.0"])
    world = build_world(scenario)
    seeds = replication_seeds(3, 0, 0, 40)
    whole = loop.simulate(world, seeds)
    monkeypatch.setattr(loop, "BLOCK_REPS", 7)
    grouped = loop.simulate(world, seeds)
    ends = whole.last_round
    assert len(set(ends.tolist())) > 3  # the groups really do end at different rounds
    assert len(grouped.stance) == len(whole.stance)
    for name in History.PER_ROUND:
        for t, (a, b) in enumerate(zip(getattr(whole, name), getattr(grouped, name), strict=True)):
            np.testing.assert_array_equal(a, b, err_msg=f"{name} in round {t}")
    for f in fields(State):
        np.testing.assert_array_equal(getattr(whole.final, f.name), getattr(grouped.final, f.name))
