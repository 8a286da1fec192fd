"""Before/after benchmark of a change to the batch path, end to end and in the core.

Run: .venv/bin/python benchmarks/bench_results.py BEFORE_CHECKOUT [--after CHECKOUT] [--pairs 5] [--quiet]

BEFORE_CHECKOUT is another checkout of the project (e.g. `git worktree add /tmp/before
<commit>`); the after side is this checkout unless --after names another. Both sides run
with this interpreter (its packages) and their own `sim` package (`python -m sim` and
`python -c` from inside the checkout). The same batches run under both, in alternating
pairs, so that the machine's load affects both alike; the table gives each median and the
after/before ratio of medians. With --quiet only the ratio table is printed: for each
measure the median and range of the pairs' after/before ratios (each pair ran back to
back, so its ratio holds less of the machine's load than the seconds do). Prints Markdown
rows for benchmarks/RESULTS.md.
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
t = time.process_time(); simulate(world, seeds); print(time.process_time() - t)
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
    parser.add_argument("--after", type=Path, default=ROOT, help="default: this checkout")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--report", action="store_true", help="also time batches with report")
    parser.add_argument("--quiet", action="store_true", help="print only the ratio table")
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    measures = [
        ("core: simulate 10,000 seeds (CPU)", lambda c: core(c, 10_000)),
        ("batch --runs 10,000 --no-report: wall", lambda c: batch(c, 10_000)[0]),
        ("batch --runs 100,000 --no-report: wall", lambda c: batch(c, 100_000)[0]),
    ]
    if args.report:
        measures += [
            ("batch --runs 10,000 (with report): wall", lambda c: batch(c, 10_000, True)[0]),
            ("batch --runs 100,000 (with report): wall", lambda c: batch(c, 100_000, True)[0]),
        ]
    table = Table(args.quiet)
    for label, fn in measures:
        got = {"before": [], "after": []}
        for _ in range(args.pairs):
            for side in ("before", "after"):
                got[side].append(fn(sides[side]))
        table.row(label, got["before"], got["after"], "s")
    for runs in (10_000, 100_000):
        cpu = [batch.cpu[(sides[side], runs)] for side in ("before", "after")]
        table.row(f"batch --runs {runs:,} --no-report: CPU (user + sys)", *cpu, "s")
    for runs in (10_000, 100_000):
        sizes = [[batch.sizes[(sides[side], runs)] / 1e6] for side in ("before", "after")]
        table.row(f"disk used by a {runs:,}-run batch folder", *sizes, "MB")


class Table:
    """The Markdown table, printed row by row: medians and their ratio, or (quiet) only
    the median and range of the pairs' after/before ratios."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        if quiet:
            print("| measure | after / before (median of pairs) | range over pairs |")
            print("|---|---:|---:|")
        else:
            print("| measure | before (median) | after (median) | after / before |")
            print("|---|---:|---:|---:|")

    def row(self, label: str, before: list[float], after: list[float], unit: str) -> None:
        if self.quiet:
            ratios = sorted(a / b for a, b in zip(after, before, strict=True))
            spread = f"x{ratios[0]:.2f}-x{ratios[-1]:.2f}" if len(ratios) > 1 else "one value"
            print(f"| {label} | x{statistics.median(ratios):.2f} | {spread} |", flush=True)
            return
        b, a = statistics.median(before), statistics.median(after)
        digits = 3 if unit == "s" else 1
        print(f"| {label} | {b:.{digits}f} {unit} | {a:.{digits}f} {unit} | x{a / b:.2f} |",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
