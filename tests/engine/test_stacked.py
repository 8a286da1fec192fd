"""Points stacked on the replication axis: each replication of a stacked call plays exactly
as it does in its own point's world, whatever the other points beside it."""

from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from toy import toy, week

from sim.analysis.inputs import choose_inputs
from sim.analysis.variant import varied_world
from sim.batching.plan import replication_seeds
from sim.batching.worker import point_history
from sim.engine.loop import simulate
from sim.engine.world import ByPoint, build_world, stack_worlds, stackable
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
RUNS = 12


def points_of(world, scenario, count: int, seed: int):
    """`count` worlds with every default input (capability, salience, rule weights, every
    parameter) drawn at random within its range."""
    rng = np.random.default_rng(seed)
    inputs = choose_inputs(scenario)
    out = []
    for _ in range(count):
        pairs = [(i.field, float(rng.uniform(i.low, i.high))) for i in inputs]
        out.append(varied_world(world, pairs))
    return out


def assert_same_as_alone(worlds, runs: int = RUNS) -> None:
    seeds = [replication_seeds(5, p, 0, runs) for p in range(len(worlds))]
    index = np.repeat(np.arange(len(worlds)), runs)
    stacked = simulate(stack_worlds(worlds), [s for each in seeds for s in each], index)
    for p, world in enumerate(worlds):
        alone = simulate(world, seeds[p])
        part = point_history(stacked, world, np.flatnonzero(index == p))
        assert len(part.stance) == len(alone.stance), f"point {p}: rounds"
        for name in ("stance", "objecting", "in_race"):
            for t, (a, b) in enumerate(zip(getattr(alone, name), getattr(part, name), strict=True)):
                assert np.array_equal(a, b), f"point {p}: {name} in round {t}"
        for f in fields(alone.final):
            if f.name != "point":
                a, b = getattr(alone.final, f.name), getattr(part.final, f.name)
                assert np.array_equal(a, b), f"point {p}: final {f.name}"


@pytest.mark.parametrize("name", ["nato-2024", "osce-2020", "wto-2013", "oecd-2021"])
def test_stacked_points_give_each_points_own_numbers(name):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    worlds = points_of(build_world(scenario), scenario, 5, seed=len(name))
    assert all(stackable(worlds[0], w) for w in worlds)
    stacked = stack_worlds(worlds)
    varying = [f.name for f in fields(stacked.rounds[1].params)
               if isinstance(getattr(stacked.rounds[1].params, f.name), ByPoint)]  # fmt: skip
    assert len(varying) > 20 and isinstance(stacked.capability, ByPoint)
    assert_same_as_alone(worlds)


def test_stacked_points_that_switch_rules_on_and_off():
    """Trailing withdrawal off (patience 0) beside on, offers off beside on, hysteresis beside
    none, in a contest without sessions (offers every round) and weighted qualified majority."""
    base = dict(
        members=("A", "B", "C", "D", "E"),
        candidates=(("x", "A"), ("y", "B"), ("z", "C")),
        capability={"A": 0.9, "B": 0.4, "C": 0.3, "D": 0.6, "E": 0.2},
        preferences=[{"id": "px", "members": {}, "candidate": "x", "affinity": 0.3}],
        grievances=[{"id": "gd", "members": {"codes": ["D"]}, "candidate": "x", "weight": 0.8}],
        ties=[{"id": "all", "from": {}, "to": {}, "weight": 1}],
        weeks=12,
        noise=0.6,
        w_ties=0.5,
    )
    variants = [
        {"withdraw_patience": 0, "concessions_per_round": 0},
        {"withdraw_patience": 2, "withdraw_gap": 0.1, "concessions_per_round": 2},
        {"withdraw_patience": 3, "concessions_per_round": 1, "lift_threshold": 0.2,
         "object_threshold": -0.1},
        {"withdraw_patience": 0, "concessions_per_round": 3, "concede_share": 0.0,
         "noise": 1.2, "concession_size": 0.7},
    ]  # fmt: skip
    for decision in (None, {"rule": "qualified_majority", "threshold": 0.6, "weighted": True}):
        worlds = [toy(**{**base, **v}, decision=decision) for v in variants]
        worlds[1] = varied_world(worlds[1], [])  # a compiled copy stacks with the others
        assert all(stackable(worlds[0], w) for w in worlds)
        assert_same_as_alone(worlds, runs=20)


def test_stacked_points_with_approval_sessions_and_a_broker():
    sessions = [
        {"id": "s1", "date": week(3), "name": "S1", "kind": "indicative", "approval": True},
        {"id": "s2", "date": week(6), "name": "S2", "kind": "formal"},
    ]
    decision = {"rule": "qualified_majority", "threshold": 0.5, "count": "encourage",
                "weighted": True}  # fmt: skip
    brokers = [{"id": "b", "member": "D", "targets": {}}]
    worlds = [
        toy(sessions=sessions, decision=decision, brokers=brokers, weeks=8, noise=n,
            concessions_per_round=k, offer_rate=r, w_ties=0.4, objects={"C": ["x"]},
            ties=[{"id": "all", "from": {}, "to": {}, "weight": 1}])
        for n, k, r in ((0.5, 1, 0.5), (0.9, 0, 1.0), (1.5, 2, 0.2))
    ]  # fmt: skip
    assert all(stackable(worlds[0], w) for w in worlds)
    assert_same_as_alone(worlds, runs=25)


def test_worlds_that_differ_in_structure_do_not_stack():
    scenario = load_scenario(ROOT / "scenarios" / "nato-2024.yaml")
    world = build_world(scenario)
    member = world.members[world.initial.tolist().index(max(world.initial))]
    assert stackable(world, varied_world(world, []))
    assert not stackable(world, varied_world(world, undecided=(member,)))
    assert not stackable(world, varied_world(world, no_grievances=tuple(world.members)))
    assert not stackable(world, toy())


def assert_constants_are_each_points_own(worlds) -> None:
    """Every round's constants of a stacked world, read at point p, are those p's world
    builds alone, byte for byte (tie units as its own: below 64 members both are float64)."""
    from sim.engine.rules import _build_constants, constants

    stacked = stack_worlds(worlds)
    for t in range(1, len(stacked.rounds)):
        k = constants(stacked, t)
        for p, world in enumerate(worlds):
            own = _build_constants(world, t)
            for f in fields(own):
                mine = getattr(k, f.name)
                mine = mine.values[p] if isinstance(mine, ByPoint) else mine
                a, b = np.asarray(getattr(own, f.name)), np.asarray(mine)
                assert a.dtype == b.dtype and a.shape == b.shape, f"round {t}: {f.name}"
                assert a.tobytes() == b.tobytes(), f"round {t} point {p}: {f.name}"


@pytest.mark.parametrize("name", ["nato-2024", "osce-2020"])
def test_stacked_constants_are_each_points_own(name):
    """With points that share every input but the parameters (built once, broadcast), with
    points that differ in everything, and with both kinds in one stack."""
    from sim.engine.rules import constants
    from sim.engine.world import reparameterised

    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    world = build_world(scenario)
    sweep = [reparameterised(world, scenario.model_copy(update={"parameters": scenario.parameters
             .model_copy(update={"noise": 0.2 + k / 10, "w_ties": 0.5 + k / 7})}))
             for k in range(4)]  # fmt: skip
    assert all(stackable(sweep[0], w) for w in sweep)
    assert_constants_are_each_points_own(sweep)
    varied = points_of(world, scenario, 3, seed=7)
    assert_constants_are_each_points_own(varied)
    assert_constants_are_each_points_own([sweep[0], varied[1], sweep[2]])
    same = stack_worlds(sweep)
    k = constants(same, 1)  # what the points share is one value, built once
    assert not isinstance(k.tie_units_t, ByPoint) and not isinstance(k.weight, ByPoint)


def test_the_callers_points_are_copied_not_written():
    """`initial_state` copies `points`: the loop writes a finished replication's fields back
    into the state, and must not write into (or fail on) the caller's array."""
    from sim.engine.rules import initial_state

    scenario = load_scenario(ROOT / "scenarios" / "nato-2024.yaml")
    worlds = points_of(build_world(scenario), scenario, 3, seed=3)
    index = np.repeat(np.arange(3), RUNS)
    index.flags.writeable = False  # a write into it raises
    state = initial_state(stack_worlds(worlds), len(index), None, index)
    assert not np.shares_memory(state.point, index)
    seeds = [s for p in range(3) for s in replication_seeds(5, p, 0, RUNS)]
    history = simulate(stack_worlds(worlds), seeds, index)
    assert np.array_equal(history.final.point, index)
