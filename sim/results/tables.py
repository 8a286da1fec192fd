"""The result tables and manifest: build them from a History, write them safely, read them back.

Rows are gathered with numpy and written as text from pieces made once (a date, a
member's name), so that a chunk of thousands of replications turns into tables quickly.
Files are written under a temporary name and renamed when whole, so an interrupted run
never leaves a half-written table behind.
"""

import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim.engine.history import History
from sim.engine.holdouts import holdout_order
from sim.engine.rules import NEVER, UNDECIDED, support_shares
from sim.results.files import write_atomic, write_csv, write_json
from sim.scenario.loader import scenario_digest
from sim.version import __version__

RUNS_COLUMNS = [
    "run", "seed", "winner", "appointed_round", "appointed_date", "rounds",
    "withdrawn", "last_holdouts", "concessions",
]  # fmt: skip
SUPPORT_COLUMNS = [
    "run", "round", "date", "candidate", "supporters", "capability_share", "objectors", "undecided",
]  # fmt: skip
DECLARATIONS_COLUMNS = ["run", "member", "candidate", "round", "date"]


def run_rows(history: History, runs, seeds, extra: list | None = None) -> list[list]:
    """One row per replication: who won, when, who withdrew, the last holdouts, concessions.

    `extra` holds values inserted after `seed` in every row (a sweep point's values).
    """
    f, world = history.final, history.world
    ended = history.last_round.tolist()
    withdrawn = _events_by_run(f.withdrawn_round, lambda c: world.candidates[c])
    conceded = _events_by_run(f.conceded_round, lambda i, c: world.members[i])
    dates = [d.isoformat() for d in world.dates]
    orders = list(map(tuple, holdout_order(history).tolist()))
    holdouts = {o: ";".join(world.members[i] for i in o if i >= 0) for o in set(orders)}
    rows = []
    for r, (run, seed, winner, at, order) in enumerate(
        zip(runs, seeds, f.appointed.tolist(), f.appointed_round.tolist(), orders, strict=True)
    ):
        appointed = at != NEVER
        rows.append(
            [
                run,
                seed,
                *(extra or []),
                world.candidates[winner] if winner != UNDECIDED else "",
                at if appointed else "",
                dates[at] if appointed else "",
                ended[r],
                withdrawn.get(r, ""),
                holdouts[order],
                conceded.get(r, ""),
            ]
        )
    return rows


def _events_by_run(rounds: np.ndarray, name) -> dict[int, str]:
    """`name@round;...` per replication, in round order, from an array of event rounds."""
    found = np.argwhere(rounds != NEVER)
    if not len(found):
        return {}
    when = rounds[tuple(found.T)]
    order = np.lexsort((when, found[:, 0]))  # by replication, then round; stable
    out: dict[int, list] = {}
    for idx, t in zip(found[order].tolist(), when[order].tolist(), strict=True):
        out.setdefault(idx[0], []).append(f"{name(*idx[1:])}@{t}")
    return {r: ";".join(items) for r, items in out.items()}


def support_counts(history: History) -> dict[str, np.ndarray]:
    """Per round, candidate and replication: supporters, capability share, objectors, undecided.

    Arrays are (R, T+1, C) (undecided (R, T+1)); a replication's last position carries on
    after it ended, which is what plots of many replications want.
    """
    world = history.world
    reps, c_count = history.final.stance.shape[0], len(world.candidates)
    rounds = world.n_rounds + 1
    supporters = np.zeros((reps, rounds, c_count), dtype=np.int16)
    share = np.zeros((reps, rounds, c_count))
    objectors = np.zeros((reps, rounds, c_count), dtype=np.int16)
    undecided = np.zeros((reps, rounds), dtype=np.int16)
    for t in range(rounds):
        k = min(t, len(history.stance) - 1)  # the loop stops once every replication ended
        stance, objecting = history.stance[k], history.objecting[k]
        active = world.rounds[k].active
        share[:, t] = support_shares(stance, world, active, weighted=True)
        for c in range(c_count):
            supporters[:, t, c] = (stance == c).sum(axis=1)
            objectors[:, t, c] = (objecting[:, :, c] & active).sum(axis=1)
        undecided[:, t] = ((stance == UNDECIDED) & active).sum(axis=1)
    return {"supporters": supporters, "capability_share": share, "objectors": objectors,
            "undecided": undecided}  # fmt: skip


def support_text(history: History, runs, counts: dict | None = None) -> str:
    """support.csv's rows as CSV text: one per replication x round x candidate, up to each
    replication's last round, by replication, then round, then the scenario's candidates."""
    world = history.world
    counts = counts or support_counts(history)
    c_count = len(world.candidates)
    played = np.arange(world.n_rounds + 1)[None, :] <= history.last_round[:, None]
    r, t = np.nonzero(played)  # by replication, then round
    r, t = np.repeat(r, c_count), np.repeat(t, c_count)
    c = np.tile(np.arange(c_count), len(r) // max(c_count, 1))
    run = np.asarray(list(runs))[r]
    order = np.lexsort((t, run))  # stable: candidates stay in scenario order
    r, t, c, run = r[order], t[order], c[order], run[order]
    # The fields fixed by (round, candidate) are written once each and reused.
    fixed = [
        f"{k},{d.isoformat()},{cid}" for k, d in enumerate(world.dates) for cid in world.candidates
    ]
    line = "{},{},{},{},{},{}\n".format
    return "".join(
        map(
            line,
            run.tolist(),
            [fixed[k] for k in (t * c_count + c).tolist()],
            counts["supporters"][r, t, c].tolist(),
            np.round(counts["capability_share"][r, t, c], 6).tolist(),
            counts["objectors"][r, t, c].tolist(),
            counts["undecided"][r, t].tolist(),
        )
    )


def declarations_text(history: History, runs) -> str:
    """declarations.csv's rows as CSV text: one per replication x member x candidate it
    ever declared for (first declaration), by replication, then round, then member."""
    f, world = history.final, history.world
    found = np.argwhere(f.first_declared != NEVER)  # ordered by replication, member, candidate
    when = f.first_declared[tuple(found.T)]
    order = np.lexsort((when, found[:, 0]))
    (r, i, c), t = found[order].T, when[order]
    # Everything after the run is fixed by (member, candidate, round): one string each.
    key = (i * len(world.candidates) + c) * len(world.dates) + t
    keys, which = np.unique(key, return_inverse=True)
    tails = []
    for k in keys.tolist():
        rest, day = divmod(k, len(world.dates))
        member, cand = divmod(rest, len(world.candidates))
        tails.append(
            f",{world.members[member]},{world.candidates[cand]},{day},{world.dates[day].isoformat()}\n"
        )
    run = [str(x) for x in runs]
    return "".join(
        [run[a] + tails[b] for a, b in zip(r.tolist(), which.ravel().tolist(), strict=True)]
    )


def manifest(history: History, seed: int, runs: int, scenario_path: str) -> dict:
    """What produced these results, so that they can be traced and reproduced."""
    sc = history.world.scenario
    return {
        "scenario": sc.name,
        "scenario_path": scenario_path,
        "scenario_sha256": scenario_digest(sc),
        "package_version": __version__,
        "seed": seed,
        "runs": runs,
        "command": " ".join(["coalition-sim", *sys.argv[1:]]),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_tables(out: Path, history: History, runs: list[int], seeds: list[int], meta: dict):
    """Write manifest.json, runs.csv, support.csv and declarations.csv into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "runs.csv", RUNS_COLUMNS, run_rows(history, runs, seeds))
    for name, columns, text in (
        ("support.csv", SUPPORT_COLUMNS, support_text(history, runs)),
        ("declarations.csv", DECLARATIONS_COLUMNS, declarations_text(history, runs)),
    ):
        write_atomic(out / name, ",".join(columns) + "\n" + text)
    # The manifest goes last: its presence says the tables beside it are complete.
    write_json(out / "manifest.json", meta)
