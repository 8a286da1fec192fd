"""The tables written from pieces read back as the rows they stand for."""

import csv

from toy import toy

from sim.batching.plan import replication_seeds
from sim.engine.loop import simulate
from sim.engine.rules import NEVER
from sim.results.tables import declarations_text, support_counts, support_text


def noisy_history():
    world = toy(members=("A", "B", "C", "D", "E"), noise=1.5, weeks=8)
    return world, simulate(world, replication_seeds(4, 0, 0, 30))


def test_declarations_text_has_one_row_per_first_declaration():
    world, history = noisy_history()
    runs = list(range(100, 130))
    rows = list(csv.reader(declarations_text(history, runs).splitlines()))
    first = history.final.first_declared
    assert len(rows) == int((first != NEVER).sum())
    for run, member, cand, t, day in rows:
        r, i, c = runs.index(int(run)), world.members.index(member), world.candidates.index(cand)
        assert first[r, i, c] == int(t) and world.dates[int(t)].isoformat() == day
    keys = [(int(run), int(t)) for run, _, _, t, _ in rows]
    assert keys == sorted(keys)  # by replication, then round


def test_support_text_has_every_round_played_and_its_counts():
    world, history = noisy_history()
    counts = support_counts(history)
    rows = list(csv.reader(support_text(history, range(30), counts).splitlines()))
    assert len(rows) == int((history.last_round + 1).sum()) * len(world.candidates)
    for run, t, day, cand, sup, share, obj, und in rows:
        r, t, c = int(run), int(t), world.candidates.index(cand)
        assert day == world.dates[t].isoformat()
        assert (
            int(sup) == counts["supporters"][r, t, c] and int(obj) == counts["objectors"][r, t, c]
        )
        assert float(share) == round(float(counts["capability_share"][r, t, c]), 6)
        assert int(und) == counts["undecided"][r, t]


def test_no_declarations_no_text():
    _, history = noisy_history()
    history.final.first_declared[:] = NEVER
    assert declarations_text(history, range(30)) == ""
