"""Old vs new core speed in one process: simulate() on scenarios, alternating calls.

Run: OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/ab_core.py OLD_PACKAGE_DIR [scenario ...] [--reps N]
OLD_PACKAGE_DIR holds `sim_old`, a copy of an older `sim` package with its imports
renamed (`git archive <commit> sim`, then `sim.` -> `sim_old.`). Each scenario is a YAML
file or a case list (`scenarios/cases.txt`: each case's scenario); default nato-2024.
Prints, for each, the best of 7 alternating pairs for each side and the ratio new/old in
replications per second, then the same as Markdown rows for benchmarks/RESULTS.md. Times
are this process's CPU time (`time.process_time`, one BLAS thread): on a machine shared
with other jobs they vary less than wall time.
"""

import argparse
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

parser = argparse.ArgumentParser()
parser.add_argument("old", help="folder holding the sim_old package")
parser.add_argument("scenarios", nargs="*", default=["scenarios/nato-2024.yaml"])
parser.add_argument("--reps", type=int, default=10_000)
parser.add_argument("--pairs", type=int, default=7)
args = parser.parse_args()
sys.path.insert(0, args.old)

import sim_old.engine.loop as old_loop  # noqa: E402
import sim_old.engine.world as old_world  # noqa: E402
import sim_old.scenario.loader as old_loader  # noqa: E402

import sim.engine.loop as new_loop  # noqa: E402
import sim.engine.world as new_world  # noqa: E402
import sim.scenario.loader as new_loader  # noqa: E402
from sim.evaluate.calibrate import case_paths  # noqa: E402


def world(loader, builder, path):
    return builder.build_world(loader.load_scenario(path))


def rounds(history):
    return float(history.last_round.mean())


def compare(scenario: str) -> dict:
    """Best CPU seconds and mean rounds per replication of each side on one scenario."""
    worlds = {
        "old": (old_loop, world(old_loader, old_world, scenario)),
        "new": (new_loop, world(new_loader, new_world, scenario)),
    }
    seeds = list(range(args.reps))
    best = {"old": float("inf"), "new": float("inf")}
    played = {}
    for _ in range(args.pairs):
        for name, (loop, w) in worlds.items():
            t0 = time.process_time()
            h = loop.simulate(w, seeds)
            best[name] = min(best[name], time.process_time() - t0)
            played[name] = rounds(h)
    for name in worlds:
        print(
            f"{scenario} {name}: {args.reps / best[name]:,.0f} reps/s, {played[name]:.1f} rounds "
            f"per replication, {best[name] / args.reps / played[name] * 1e6:.1f} us per "
            "replication-round",
            flush=True,
        )
    print(f"{scenario} ratio new/old reps/s: {best['old'] / best['new']:.3f}", flush=True)
    return {"best": best, "played": played}


paths = []
for text in args.scenarios:
    paths += [s for s, _ in case_paths([text])] if text.endswith(".txt") else [text]
got = {path: compare(path) for path in paths}
print("\n| scenario | rounds per replication | old reps/s | new reps/s | new / old | "
      "us per replication-round old -> new |")  # fmt: skip
print("|---|---:|---:|---:|---:|---:|")
for path, g in got.items():
    b, p = g["best"], g["played"]
    us = {k: b[k] / args.reps / p[k] * 1e6 for k in b}
    print(f"| {os.path.basename(path)} | {p['new']:.1f} | {args.reps / b['old']:,.0f} | "
          f"{args.reps / b['new']:,.0f} | x{b['old'] / b['new']:.2f} | "
          f"{us['old']:.1f} -> {us['new']:.1f} |")  # fmt: skip
