"""Before/after benchmark of a change to the batch path, end to end and in the core.

Run: .venv/bin/python benchmarks/bench_results.py BEFORE_CHECKOUT [--pairs 5]

BEFORE_CHECKOUT is another checkout of the project (e.g. `git worktree add /tmp/before
<commit>`) with its own venv (`.venv/bin/python`). The same batches run under both, in
alternating pairs, so that the machine's load affects both alike; the table gives each
median and the after/before ratio of medians. Prints Markdown rows for benchmarks/RESULTS.md.
"""

import argparse
import re
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOSING = re.compile(r"([\d,]+) runs in ([\d.]+) s")
CORE = """
import time, os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from sim.batching.plan import replication_seeds
from sim.engine.loop import simulate
from sim.engine.world import build_world
from sim.scenario.loader import load_scenario
world = build_world(load_scenario("scenarios/nato-2024.yaml"))
seeds = replication_seeds(1, 0, 0, {n})
simulate(world, seeds[:100])
t = time.perf_counter(); simulate(world, seeds); print(time.perf_counter() - t)
"""


def batch(checkout: Path, runs: int) -> tuple[float, float]:
    """(wall seconds, the closing line's seconds) of `batch --runs N --no-report`."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(checkout / ".venv/bin/coalition-sim"), "batch", "scenarios/nato-2024.yaml",
               "--runs", str(runs), "--no-report", "--out", f"{tmp}/out"]  # fmt: skip
        began, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(cmd, cwd=checkout, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - began
        batch.cpu[(checkout, runs)] = batch.cpu.get((checkout, runs), []) + [_children_cpu() - cpu]
        closing = float(CLOSING.search(done.stdout).group(2))
        size = sum(p.stat().st_size for p in Path(tmp, "out").rglob("*") if p.is_file())
        batch.sizes[(checkout, runs)] = size
    return wall, closing


batch.sizes = {}
batch.cpu = {}  # CPU seconds (user + sys) of each run, workers included: steadier than wall
# time on a machine that other jobs share


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def core(checkout: Path, n: int) -> float:
    out = subprocess.run([str(checkout / ".venv/bin/python"), "-c", CORE.format(n=n)],
                         cwd=checkout, capture_output=True, text=True, check=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path)
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": ROOT}
    measures = [
        ("core: simulate 10,000 seeds", lambda c: core(c, 10_000)),
        ("batch --runs 10,000 --no-report: wall", lambda c: batch(c, 10_000)[0]),
        ("batch --runs 100,000 --no-report: wall", lambda c: batch(c, 100_000)[0]),
    ]
    print("| measure | before (median) | after (median) | after / before |")
    print("|---|---:|---:|---:|")
    for label, fn in measures:
        got = {"before": [], "after": []}
        for _ in range(args.pairs):
            for side in ("before", "after"):
                got[side].append(fn(sides[side]))
        b, a = statistics.median(got["before"]), statistics.median(got["after"])
        print(f"| {label} | {b:.3f} s | {a:.3f} s | x{a / b:.2f} |", flush=True)
    for runs in (10_000, 100_000):
        b = statistics.median(batch.cpu[(sides["before"], runs)])
        a = statistics.median(batch.cpu[(ROOT, runs)])
        print(
            f"| batch --runs {runs:,} --no-report: CPU (user + sys) | {b:.3f} s | {a:.3f} s | x{a / b:.2f} |"
        )
    for runs in (10_000, 100_000):
        b, a = batch.sizes[(sides["before"], runs)], batch.sizes[(ROOT, runs)]
        print(
            f"| disk used by a {runs:,}-run batch folder | {b / 1e6:.1f} MB | {a / 1e6:.1f} MB | x{a / b:.2f} |"
        )


if __name__ == "__main__":
    main()
