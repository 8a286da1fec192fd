"""A world for a sweep point that sets only parameters, made from the base's world without
compiling again (`reparameterised`), is the world `build_world` compiles for that point."""

from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from toy import toy, week

from sim.batching.plan import plan_batch, replication_seeds
from sim.engine.loop import simulate
from sim.engine.world import build_world, reparameterised, stackable
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def assert_same_world(a, b) -> None:
    """Every field `build_world` sets, and every round's setup, equal."""
    for f in fields(a):
        if f.name.startswith("_") or f.name in ("rounds", "rules", "brokers", "compiled_from"):
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        same = np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
        assert same, f.name
    assert list(a.rules) == list(b.rules)
    for r, q in zip(a.rules.values(), b.rules.values(), strict=True):
        assert (r.id, r.kind, r.sources, r.assumption) == (q.id, q.kind, q.sources, q.assumption)
        assert np.array_equal(r.mask, q.mask)
    assert len(a.rounds) == len(b.rounds)
    for t, (r, q) in enumerate(zip(a.rounds, b.rounds, strict=True)):
        for f in fields(r):
            x, y = getattr(r, f.name), getattr(q, f.name)
            same = np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
            assert same, f"round {t}: {f.name}"
    assert a.max_offers == b.max_offers


def assert_same_play(a, b, runs: int = 8) -> None:
    seeds = replication_seeds(3, 0, 0, runs)
    x, y = simulate(a, seeds), simulate(b, seeds)
    for name in ("stance", "objecting", "in_race"):
        assert all(np.array_equal(p, q) for p, q in zip(getattr(x, name), getattr(y, name),
                                                        strict=True))  # fmt: skip
    for f in fields(x.final):
        assert np.array_equal(getattr(x.final, f.name), getattr(y.final, f.name)), f.name


@pytest.mark.parametrize("name", ["nato-2024", "osce-2020", "wto-2013", "oecd-2021"])
def test_sweep_points_of_parameters_get_the_world_build_world_compiles(name):
    path = ROOT / "scenarios" / f"{name}.yaml"
    plan = plan_batch(path, runs=4, design=[
        {"parameters.noise": 0.9, "parameters.w_band": 0.5, "parameters.concessions_per_round": 3},
        {"parameters.offer_rate": 0.05, "parameters.withdraw_patience": 2},
    ])  # fmt: skip
    base = build_world(load_scenario(path))
    for point in plan.points:
        again = reparameterised(base, point.scenario)
        assert again is not None and again.scenario is point.scenario
        compiled = build_world(point.scenario)
        assert_same_world(again, compiled)
        assert_same_play(again, compiled)
        assert stackable(base, again)
        assert again.compiled_from is base and stackable(compiled, again)  # the full check too
        assert reparameterised(again, point.scenario).compiled_from is base
    assert base.rounds[1].params == build_world(load_scenario(path)).rounds[1].params  # intact


def test_parameter_events_still_act_in_their_rounds():
    events = [
        {"id": "calm", "date": week(3), "kind": "parameter", "parameter": "noise", "value": 0.0},
        {"id": "offers", "date": week(5), "kind": "parameter",
         "parameter": "concessions_per_round", "value": 2},
    ]  # fmt: skip
    base = toy(events=events, noise=0.5, weeks=8)
    other = base.scenario.parameters.model_copy(update={"noise": 1.5, "w_band": 2.0})
    point = base.scenario.model_copy(update={"parameters": other})
    again = reparameterised(base, point)
    compiled = build_world(point)
    assert_same_world(again, compiled)
    noise = [r.params.noise for r in again.rounds]
    assert noise[0] == 1.5 and noise[-1] == 0.0  # the point's value, then the event's
    assert again.rounds[-1].params.concessions_per_round == 2
    assert again.rounds[-1].params.w_band == 2.0
    assert_same_play(again, compiled)


def test_a_point_that_changes_another_section_is_compiled_instead():
    base = build_world(load_scenario(ROOT / "scenarios" / "nato-2024.yaml"))
    for sets in (["members.HU.capability=0.9"], ["grievances.schengen.weight=0.1"],
                 ["calendar.deadline=2024-06-01"]):  # fmt: skip
        point = load_scenario(ROOT / "scenarios" / "nato-2024.yaml", sets)
        assert reparameterised(base, point) is None, sets
    same = load_scenario(ROOT / "scenarios" / "nato-2024.yaml", ["parameters.noise=0.2"])
    again = reparameterised(base, same)  # loaded in full: equal sections, not shared ones
    assert again is not None and again.rounds[3].params.noise == 0.2
    assert reparameterised(base, base.scenario).rounds[1].params == base.rounds[1].params
