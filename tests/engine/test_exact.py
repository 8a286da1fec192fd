"""Shares and tie signals are exact: a replication's path cannot depend on its batch's shape.

The fast paths of the rule core (fused utility, split shocks) equal the plain ones bit for bit."""

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_invariants import scenarios

import sim.engine.shocks as shocks_module
from sim.engine.history import History
from sim.engine.loop import simulate
from sim.engine.rules import (
    KEPT_BY_STEP,
    State,
    _all_running,
    _any_running,
    _below,
    _blocking_the_leader,
    _count_running,
    _held_out,
    _leader,
    _objects_to,
    _race_shares,
    draw_events,
    draw_noise,
    initial_state,
    split_shocks,
    step,
    support_shares,
    total_utility,
    utility,
    utility_terms,
)
from sim.engine.shocks import Shocks
from sim.engine.world import build_world
from sim.scenario.loader import load_scenario

SEEDS = list(range(1000))


def played_in_batches(world, seeds, size):
    """Each replication's per-round stances and final state, played `size` at a time."""
    parts = [simulate(world, seeds[k : k + size]) for k in range(0, len(seeds), size)]
    finals = State.joined([h.final for h in parts])
    rounds = max(len(h.stance) for h in parts)
    stance = [
        np.concatenate([h.stance[min(t, len(h.stance) - 1)] for h in parts]) for t in range(rounds)
    ]
    return stance, finals


def assert_same(a, b):
    (stance_a, final_a), (stance_b, final_b) = a, b
    assert len(stance_a) == len(stance_b)
    for t, (x, y) in enumerate(zip(stance_a, stance_b, strict=True)):
        assert np.array_equal(x, y), f"stances differ after round {t}"
    for f in fields(State):
        assert np.array_equal(getattr(final_a, f.name), getattr(final_b, f.name)), f.name


def test_batch_size_never_changes_a_replication_on_a_high_noise_scenario():
    sc = load_scenario("scenarios/nato-2024.yaml", overrides=["parameters.noise=2"])
    world = build_world(sc)
    whole = played_in_batches(world, SEEDS, 1000)
    for size in (1, 7, 50):
        assert_same(played_in_batches(world, SEEDS, size), whole)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32), st.integers(1, 9))
def test_batch_size_never_changes_a_replication_on_any_small_scenario(world, seed, size):
    seeds = [seed + k for k in range(23)]
    assert_same(played_in_batches(world, seeds, size), played_in_batches(world, seeds, 23))


def test_shares_are_exact_ratios_of_integer_capability_units():
    world = build_world(load_scenario("scenarios/nato-2024.yaml"))
    rng = np.random.default_rng(5)
    stance = rng.integers(-1, 2, size=(3000, len(world.members))).astype(np.int16)
    active = world.rounds[0].active
    whole = support_shares(stance, world, active, weighted=True)
    one_by_one = np.concatenate([support_shares(s[None], world, active, True) for s in stance])
    assert np.array_equal(whole, one_by_one)
    units = world.capability_units * active
    want = ((stance == 0) * units).sum(axis=1) / units.sum()
    assert np.array_equal(whole[:, 0], want)


def states_along_a_run(world, seeds):
    """(state before round t, t, that round's noise) for every round the replications play."""
    noise = [draw_noise(np.random.default_rng(s), world) for s in seeds]
    state = initial_state(world, len(seeds))
    for t in range(1, world.n_rounds + 1):
        eps = np.stack([n[t - 1] for n in noise])
        yield state, t, eps
        state = step(state, world, t, eps)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32))
def test_the_fused_utility_is_the_sum_of_the_explained_terms_bit_for_bit(world, seed):
    for state, t, eps in states_along_a_run(world, [seed, seed + 1, seed + 2]):
        terms = utility_terms(state, world, t, eps)
        fused = utility(state, world, t, split_shocks(eps, len(world.candidates))[0])
        assert fused.tobytes() == total_utility(terms).tobytes(), f"round {t}"


def test_the_fused_utility_on_nato_2024_with_leverage_and_concessions():
    # The fitted leverage_gain is 0 (docs/ODD.md 7.10): the prior's value switches the term on.
    sc = load_scenario("scenarios/nato-2024.yaml", ["parameters.leverage_gain=3"])
    world = build_world(sc)
    seen = set()
    for state, t, eps in states_along_a_run(world, list(range(40))):
        terms = utility_terms(state, world, t, eps)
        seen |= {k for k, v in terms.items() if np.any(v != 0)}
        fused = utility(state, world, t, eps[:, :, : len(world.candidates)])
        assert fused.tobytes() == total_utility(terms).tobytes(), f"round {t}"
    assert {"leverage", "concession", "grievance"} <= seen  # the terms that can be zero


def test_block_shocks_are_each_streams_own_round_by_round():
    world = build_world(load_scenario("scenarios/nato-2024.yaml"))
    seeds = [3, 11, 2**40]
    shocks, c = Shocks(world, seeds), len(world.candidates)
    own = [np.random.default_rng(s) for s in seeds]
    for g in own:
        draw_events(g, world)
    noise = np.stack([draw_noise(g, world) for g in own])  # (R, T, N, C + O)
    for t in range(1, world.n_rounds + 1):
        util, offers = shocks.draw(t, np.arange(len(seeds)))
        # Candidate-major in memory: each candidate's (R, N) slice is contiguous.
        assert util.transpose(2, 0, 1).flags.c_contiguous
        assert offers.transpose(2, 0, 1).flags.c_contiguous
        assert np.array_equal(util, noise[:, t - 1, :, :c])
        assert np.array_equal(offers, noise[:, t - 1, :, c:])


@pytest.mark.parametrize("block", [1, 3, 5, 40])
def test_block_shocks_of_fewer_replications_are_still_each_streams_own(monkeypatch, block):
    # Replications drop out, within a block and between blocks: those still playing draw
    # exactly their own streams' numbers, whatever the block's length; those out draw none.
    world = build_world(load_scenario("scenarios/nato-2024.yaml"))
    n, c = len(world.members), len(world.candidates)
    monkeypatch.setattr(shocks_module, "BLOCK_DRAWS", block * n * (c + world.offerers))
    seeds = [3, 11, 2**40, 7, 8, 9]
    shocks = Shocks(world, seeds)
    assert shocks.block == min(block, world.n_rounds)
    own = [np.random.default_rng(s) for s in seeds]
    for g in own:
        draw_events(g, world)
    noise = np.stack([draw_noise(g, world) for g in own])
    rows = np.arange(len(seeds))
    for t in range(1, world.n_rounds + 1):
        if t in (2, 4, 9):  # the first, the last, then two in the middle end
            rows = np.delete(rows, [0, -1] if t == 2 else [1])
        util, offers = shocks.draw(t, rows)
        assert np.array_equal(util, noise[rows, t - 1, :, :c]), f"round {t}"
        assert np.array_equal(offers, noise[rows, t - 1, :, c:]), f"round {t}"
    last = {0: 1, 5: 1, 2: 3, 3: 8, 1: world.n_rounds, 4: world.n_rounds}  # rounds played
    for r, played in last.items():
        rounds = min(-(-played // shocks.block) * shocks.block, world.n_rounds)
        rng = np.random.default_rng(seeds[r])
        draw_events(rng, world)
        rng.standard_normal((rounds, n, c + world.offerers))  # to the end of its last block
        assert shocks.streams.generators[r].bit_generator.state == rng.bit_generator.state


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32))
def test_the_short_cuts_to_holdouts_equal_the_full_arrays(world, seed):
    # `_held_out` and `_objects_to` stand for (R, N, C) expressions of the rules.
    seeds = [seed + k for k in range(8)]
    for state, t, _ in states_along_a_run(world, seeds):
        reps = np.arange(len(seeds))
        for leader in (np.zeros(len(seeds), dtype=int), reps % len(world.candidates)):
            full = _blocking_the_leader(state, world, t, leader).any(axis=1)
            assert np.array_equal(_held_out(state, world, t, leader), full)
            assert np.array_equal(_objects_to(state, leader), state.objecting[reps, :, leader])


def test_the_short_cuts_see_objections_on_nato_2024():
    # The property above holds trivially if nobody objects: here objections are standing.
    world = build_world(load_scenario("scenarios/nato-2024.yaml"))
    state = initial_state(world, 4)
    leader = np.zeros(4, dtype=int)
    assert _objects_to(state, leader).any()
    full = _blocking_the_leader(state, world, 1, leader).any(axis=1)
    assert np.array_equal(_held_out(state, world, 1, leader), full)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32))
def test_a_round_that_reuses_the_state_plays_as_one_that_copies_it(world, seed):
    # The batch loop lets `step` write in the previous state's arrays (reuse=True): the round
    # is the same field for field, and the fields History keeps are left as they were.
    assert set(History.PER_ROUND) <= set(KEPT_BY_STEP)
    seeds = [seed + k for k in range(6)]
    for state, t, eps in states_along_a_run(world, seeds):
        kept = {name: getattr(state, name).copy() for name in KEPT_BY_STEP}
        fresh = step(state, world, t, eps)
        given = state.copy()
        reused = step(given, world, t, eps, reuse=True)
        for f in fields(State):
            assert np.array_equal(getattr(fresh, f.name), getattr(reused, f.name)), f.name
        for name, before in kept.items():
            assert np.array_equal(getattr(given, name), before), name


@pytest.mark.parametrize("threshold, lift", [(-0.4, -0.2), (-0.2, -0.4), (-0.3, -0.3)])
def test_objections_with_hysteresis_either_way(threshold, lift):
    rng = np.random.default_rng(2)
    utility = rng.normal(-0.3, 0.2, size=(3, 50, 40)).transpose(1, 2, 0)  # candidate-major
    was = rng.random((50, 40, 3)) < 0.5
    want = np.where(was, utility < lift, utility < threshold)
    assert np.array_equal(_below(utility, threshold, was, lift), want)
    per_row = np.full((50, 1), threshold), np.full((50, 1), lift)  # stacked points
    assert np.array_equal(_below(utility, per_row[0], was, per_row[1]), want)


def test_the_race_read_a_column_at_a_time_is_numpys_reduction():
    in_race = np.random.default_rng(3).random((200, 4)) < 0.6
    for c in range(1, 5):
        part = in_race[:, :c]
        assert np.array_equal(_any_running(part), part.any(axis=1))
        assert np.array_equal(_all_running(part), part.all(axis=1))
        assert np.array_equal(_count_running(part), part.sum(axis=1))


def test_race_shares_of_some_rows_are_those_of_the_whole():
    world = build_world(load_scenario("scenarios/nato-2024.yaml", ["parameters.noise=2"]))
    for state, t, _ in states_along_a_run(world, list(range(60))):
        whole = _race_shares(state, world, t)
        rows = np.flatnonzero(np.arange(60) % 3 == t % 3)
        stale = np.where(np.isin(np.arange(60), rows)[:, None], 0.5, whole)
        assert np.array_equal(_race_shares(state, world, t, rows, stale), whole), f"round {t}"


def test_the_leader_read_a_column_at_a_time_is_numpys_argmax():
    rng = np.random.default_rng(4)
    values, odds = [0.0, 0.25, 0.5, 0.75, -np.inf, np.nan], [0.3, 0.2, 0.2, 0.15, 0.1, 0.05]
    for c in (1, 2, 3, 5):
        shares = rng.choice(values, size=(400, c), p=odds)
        leader, lead = _leader(shares)
        want = np.argmax(shares, axis=1)
        assert np.array_equal(leader, want)
        assert np.array_equal(lead, shares[np.arange(400), want], equal_nan=True)
