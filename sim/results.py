"""The result tables and manifest: build them from a History, write them safely, read them back.

Files are written under a temporary name and renamed when whole, so an
interrupted run never leaves a half-written table behind.
"""

import csv
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim import __version__
from sim.dynamics import NEVER, UNDECIDED
from sim.history import History
from sim.scenario import scenario_digest

RUNS_COLUMNS = [
    "run", "seed", "winner", "appointed_round", "appointed_date", "rounds",
    "withdrawn", "last_holdouts", "concessions",
]  # fmt: skip
SUPPORT_COLUMNS = [
    "run", "round", "date", "candidate", "supporters", "capability_share", "objectors", "undecided",
]  # fmt: skip
DECLARATIONS_COLUMNS = ["run", "member", "candidate", "round", "date"]
HOLDOUTS_SHOWN = 3


def last_holdouts(history: History, r: int) -> list[str]:
    """The members that held out longest before backing the winner, in the order they came.

    A member holds out for the rounds it was present without backing the winner
    (a member that joins and backs it at once held out for none). Members still not
    backing the winner when it was appointed come last. Empty on deadlock.
    """
    f, world = history.final, history.world
    winner = int(f.appointed[r])
    if winner == UNDECIDED:
        return []
    at = int(f.appointed_round[r])
    order = []
    for i, code in enumerate(world.members):
        if not world.rounds[at].active[i]:
            continue
        joined = next(t for t in range(at + 1) if world.rounds[t].active[i])
        since = int(f.since[r, i])
        held = since - joined if f.stance[r, i] == winner else np.inf
        order.append((held, since, i, code))
    order.sort()
    return [code for *_, code in order[-HOLDOUTS_SHOWN:]]


def run_rows(history: History, runs: list[int], seeds: list[int]) -> list[dict]:
    """One row per replication: who won, when, who withdrew, the last holdouts, concessions."""
    f, world = history.final, history.world
    ended = history.last_round
    rows = []
    for r, (run, seed) in enumerate(zip(runs, seeds, strict=True)):
        winner = int(f.appointed[r])
        at = int(f.appointed_round[r])
        withdrawn = sorted(
            (int(f.withdrawn_round[r, c]), cid)
            for c, cid in enumerate(world.candidates)
            if f.withdrawn_round[r, c] != NEVER
        )
        conceded = np.argwhere(f.conceded_round[r] != NEVER)
        concessions = sorted(
            (int(f.conceded_round[r, i, c]), world.members[i]) for i, c in conceded
        )
        rows.append(
            {
                "run": run,
                "seed": seed,
                "winner": world.candidates[winner] if winner != UNDECIDED else "",
                "appointed_round": at if at != NEVER else "",
                "appointed_date": world.dates[at].isoformat() if at != NEVER else "",
                "rounds": int(ended[r]),
                "withdrawn": ";".join(f"{cid}@{t}" for t, cid in withdrawn),
                "last_holdouts": ";".join(last_holdouts(history, r)),
                "concessions": ";".join(f"{code}@{t}" for t, code in concessions),
            }
        )
    return rows


def support_rows(history: History, runs: list[int]) -> list[dict]:
    """One row per replication x round x candidate, up to each replication's last round."""
    world = history.world
    ended = history.last_round
    rows = []
    for t, (stance, objecting) in enumerate(zip(history.stance, history.objecting, strict=True)):
        active = world.rounds[t].active
        weight = world.capability * active
        total = weight.sum() or 1.0
        undecided = ((stance == UNDECIDED) & active).sum(axis=1)
        day = world.dates[t].isoformat()
        for r, run in enumerate(runs):
            if t > ended[r]:
                continue
            for c, cid in enumerate(world.candidates):
                backs = stance[r] == c
                rows.append(
                    {
                        "run": run,
                        "round": t,
                        "date": day,
                        "candidate": cid,
                        "supporters": int(backs.sum()),
                        "capability_share": round(float(weight[backs].sum() / total), 6),
                        "objectors": int((objecting[r, :, c] & active).sum()),
                        "undecided": int(undecided[r]),
                    }
                )
    return rows


def declaration_rows(history: History, runs: list[int]) -> list[dict]:
    """One row per replication x member x candidate it ever declared for (first declaration)."""
    f, world = history.final, history.world
    rows = []
    for r, run in enumerate(runs):
        for i, c in np.argwhere(f.first_declared[r] != NEVER):
            t = int(f.first_declared[r, i, c])
            rows.append(
                {
                    "run": run,
                    "member": world.members[i],
                    "candidate": world.candidates[c],
                    "round": t,
                    "date": world.dates[t].isoformat(),
                }
            )
    rows.sort(key=lambda row: (row["run"], row["round"], row["member"]))
    return rows


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


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """Write a whole table atomically: temporary name, then rename."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_csv(path: Path) -> list[dict]:
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_tables(out: Path, history: History, runs: list[int], seeds: list[int], meta: dict):
    """Write manifest.json, runs.csv, support.csv and declarations.csv into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "runs.csv", RUNS_COLUMNS, run_rows(history, runs, seeds))
    write_csv(out / "support.csv", SUPPORT_COLUMNS, support_rows(history, runs))
    write_csv(out / "declarations.csv", DECLARATIONS_COLUMNS, declaration_rows(history, runs))
    # The manifest goes last: its presence says the tables beside it are complete.
    write_json(out / "manifest.json", meta)
