"""Old vs new core speed in one process: simulate() on a scenario, alternating calls.

Run: OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/ab_core.py OLD_PACKAGE_DIR [scenario] [reps]
OLD_PACKAGE_DIR holds `sim_old`, a copy of an older `sim` package with its imports
renamed (`git archive <commit> sim`, then `sim.` -> `sim_old.`). Prints the best of 7
alternating pairs for each and the ratio new/old in replications per second. Times are
this process's CPU time (`time.process_time`, one BLAS thread): on a machine shared with
other jobs they vary less than wall time.
"""

import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, sys.argv[1])
scenario = sys.argv[2] if len(sys.argv) > 2 else "scenarios/nato-2024.yaml"
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000

import sim_old.engine.loop as old_loop  # noqa: E402
import sim_old.engine.world as old_world  # noqa: E402
import sim_old.scenario.loader as old_loader  # noqa: E402

import sim.engine.loop as new_loop  # noqa: E402
import sim.engine.world as new_world  # noqa: E402
import sim.scenario.loader as new_loader  # noqa: E402


def world(loader, builder, path):
    return builder.build_world(loader.load_scenario(path))


def rounds(history):
    return float(history.last_round.mean())


worlds = {
    "old": (old_loop, world(old_loader, old_world, scenario)),
    "new": (new_loop, world(new_loader, new_world, scenario)),
}
seeds = list(range(reps))
best = {"old": float("inf"), "new": float("inf")}
played = {}
for _ in range(7):
    for name, (loop, w) in worlds.items():
        t0 = time.process_time()
        h = loop.simulate(w, seeds)
        best[name] = min(best[name], time.process_time() - t0)
        played[name] = rounds(h)
for name in worlds:
    print(
        f"{name}: {reps / best[name]:,.0f} reps/s, {played[name]:.1f} rounds per replication, "
        f"{best[name] / reps / played[name] * 1e6:.1f} us per replication-round"
    )
print(f"ratio new/old reps/s: {best['old'] / best['new']:.3f}")
