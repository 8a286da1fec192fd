"""Before/after benchmark of a change to the batch path, end to end and in the core.

Run: .venv/bin/python benchmarks/bench_results.py BEFORE_CHECKOUT [--pairs 5]

BEFORE_CHECKOUT is another checkout of the project (e.g. `git worktree add /tmp/before
<commit>`); both sides run with this interpreter (its packages) and their own `sim`
package (`python -m sim` and `python -c` from inside the checkout). The same batches run under both, in
alternating pairs, so that the machine's load affects both alike; the table gives each
median and the after/before ratio of medians. Prints Markdown rows for benchmarks/RESULTS.md.
"""

import argparse
import re
import resource
import statistics
import subprocess
import sys
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


def batch(checkout: Path, runs: int, report: bool = False) -> tuple[float, float]:
    """(wall seconds, the closing line's seconds) of `batch --runs N [--no-report]`."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sim", "batch", "scenarios/nato-2024.yaml",
               "--runs", str(runs), *([] if report else ["--no-report"]), "--out",
               f"{tmp}/out"]  # fmt: skip
        began, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(cmd, cwd=checkout, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - began
        key = (checkout, runs) if not report else (checkout, runs, "report")
        batch.cpu[key] = batch.cpu.get(key, []) + [_children_cpu() - cpu]
        closing = float(CLOSING.search(done.stdout).group(2))
        size = sum(p.stat().st_size for p in Path(tmp, "out").rglob("*") if p.is_file())
        batch.sizes[key] = size
    return wall, closing


batch.sizes = {}
batch.cpu = {}  # CPU seconds (user + sys) of each run, workers included: steadier than wall
# time on a machine that other jobs share


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def core(checkout: Path, n: int) -> float:
    out = subprocess.run([sys.executable, "-c", CORE.format(n=n)],
                         cwd=checkout, capture_output=True, text=True, check=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--report", action="store_true", help="also time batches with report")
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": ROOT}
    measures = [
        ("core: simulate 10,000 seeds", lambda c: core(c, 10_000)),
        ("batch --runs 10,000 --no-report: wall", lambda c: batch(c, 10_000)[0]),
        ("batch --runs 100,000 --no-report: wall", lambda c: batch(c, 100_000)[0]),
    ]
    if args.report:
        measures += [
            ("batch --runs 10,000 (with report): wall", lambda c: batch(c, 10_000, True)[0]),
            ("batch --runs 100,000 (with report): wall", lambda c: batch(c, 100_000, True)[0]),
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
