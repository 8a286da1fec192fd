"""Peak memory of `coalition-sim sensitivity` in one process against the number of points.

Run: .venv/bin/python benchmarks/bench_sensitivity_memory.py [--trajectories 1 2]
        [--before CHECKOUT] [--scenario scenarios/wto-2013.yaml] [--runs 50]

Each row is the whole command (Morris over every default input, `--workers 1
--no-pivotal`) into a temporary folder; points = trajectories x (inputs + 1). One process
stacks the points it simulates at once, so its memory should not grow with the points (it
did: all of them were stacked in one call). Peak RSS from GNU time (%M). With --before, the
same commands run on another checkout (`git worktree add /tmp/before <commit>`). Prints
Markdown rows and replaces this benchmark's section of benchmarks/RESULTS.md.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from peak_rss import run_watched  # benchmarks/peak_rss.py, beside this script
from results_md import replace_section

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Memory of sensitivity in one process (benchmarks/bench_sensitivity_memory.py)"
SAID = re.compile(r"([\d,]+) points x (\d+) replications")


def measure(checkout: Path, scenario: str, runs: int, trajectories: int) -> dict:
    """Wall time, points and the main process's peak RSS (MiB) of one analysis."""
    with tempfile.TemporaryDirectory() as tmp, open(f"{tmp}/log", "w+") as log:
        cmd = [sys.executable, "-m", "sim", "sensitivity", scenario, "--runs", str(runs),
               "--trajectories", str(trajectories), "--workers", "1", "--no-pivotal",
               "--out", f"{tmp}/out"]  # fmt: skip
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        peaks = run_watched(cmd, checkout, log, tmp, env=env)
        text = Path(log.name).read_text()
        if peaks.returncode:
            raise SystemExit(f"sensitivity failed ({peaks.returncode}): {text[-2000:]}")
        said = SAID.search(text)
        return {"wall": peaks.wall, "main": peaks.main,
                "points": int(said.group(1).replace(",", "")) if said else 0}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/wto-2013.yaml")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--trajectories", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--before", type=Path, help="another checkout to measure alike")
    args = parser.parse_args()
    began = time.perf_counter()
    rows = []
    sides = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    for side, checkout in sides:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout,
                                capture_output=True, text=True).stdout.strip()  # fmt: skip
        for t in args.trajectories:
            m = measure(checkout, args.scenario, args.runs, t)
            row = (f"| {side} ({commit}) | {t} | {m['points']:,} | {m['main']:,.0f} | "
                   f"{m['wall']:.0f} |")  # fmt: skip
            print(row, flush=True)
            rows.append(row)
    section = [
        "",
        HEADING,
        "",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}; nproc {os.cpu_count()}",
        f"- command: `.venv/bin/python benchmarks/bench_sensitivity_memory.py "
        f"{' '.join(sys.argv[1:])}` ({time.perf_counter() - began:.0f} s in all)",
        f"- each row: `coalition-sim sensitivity {args.scenario} --runs {args.runs} "
        "--trajectories T --workers 1 --no-pivotal --out TMP`; peak RSS from GNU time (%M)",
        "",
        "| checkout | trajectories | points | peak RSS (MiB) | wall (s) |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        "Before 330bcd0 one process stacked every point in one simulate call, so its memory "
        "grew with the points (a 10-trajectory run of wto-2013, 3,580 points, passed 22 GB); "
        "since, it simulates at most CELLS_PER_TASK replication cells at once.",
        "",
    ]
    print(f"appended to {replace_section(HEADING, section)}")


if __name__ == "__main__":
    main()
