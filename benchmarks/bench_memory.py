"""Peak memory of `coalition-sim batch` (or `score`) against the number of runs (issue 12: flat).

Run: .venv/bin/python benchmarks/bench_memory.py [--runs 10000 100000 1000000]
        [--before CHECKOUT] [--before-runs 10000 100000] [--no-report] [--command score]
        [--format parquet]

Each batch is the whole command on nato-2024 (report included unless --no-report; with
--command score, `score` against records/nato-2024.yaml instead; with --format parquet, the
batch with Parquet tables), into a temporary folder, with the default workers (all cores from 20,000 runs). The peak RSS of
the main process comes from GNU time (%M); each worker's from its VmHWM, polled. With
--before, the same batches also run on another checkout of the project (e.g. `git worktree
add /tmp/before <commit>`), with this interpreter and that checkout's own `sim` package
(`python -m sim` from inside it). Prints Markdown rows and appends a section to
benchmarks/RESULTS.md.
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
SCENARIO = "scenarios/nato-2024.yaml"
CLOSING = re.compile(r"([\d,]+) runs in ([\d.]+) s")
RECORD = "records/nato-2024.yaml"
HEADINGS = {
    "batch": "## Memory against runs (benchmarks/bench_memory.py)",
    "score": "## Memory of score against runs (benchmarks/bench_memory.py --command score)",
    "parquet": "## Memory of batch --format parquet against runs (benchmarks/bench_memory.py "
    "--format parquet)",
}


def command(name: str, runs: int, out: str, report: bool, format: str = "csv") -> list[str]:
    """The measured command line."""
    if name == "score":
        return [sys.executable, "-m", "sim", "score", SCENARIO, "--record", RECORD,
                "--runs", str(runs), "--out", out]  # fmt: skip
    return [sys.executable, "-m", "sim", "batch", SCENARIO, "--runs", str(runs),
            "--out", out, *([] if report else ["--no-report"]),
            *([] if format == "csv" else ["--format", format])]  # fmt: skip


def measure(checkout: Path, runs: int, report: bool, name: str = "batch", format="csv") -> dict:
    """Wall time, the closing line's seconds, peak RSS of main and workers (MiB), size."""
    with tempfile.TemporaryDirectory() as tmp, open(f"{tmp}/log", "w+") as log:
        cmd = command(name, runs, f"{tmp}/out", report, format)
        peaks = run_watched(cmd, checkout, log, tmp)
        text = Path(log.name).read_text()
        if peaks.returncode:
            raise SystemExit(f"batch failed ({peaks.returncode}): {text[-2000:]}")
        said = CLOSING.search(text)
        size = sum(p.stat().st_size for p in Path(tmp, "out").rglob("*") if p.is_file())
        return {
            "wall": peaks.wall,
            "closing": float(said.group(2)) if said else float("nan"),
            "main": peaks.main,
            "workers": peaks.workers,
            "size": size / 2**20,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--before", type=Path, help="another checkout to measure alike")
    parser.add_argument("--before-runs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-report", action="store_true", help="tables only")
    parser.add_argument("--command", choices=["batch", "score"], default="batch")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv",
                        help="the batch's table format (--format of the batch command)")  # fmt: skip
    args = parser.parse_args()
    if args.format != "csv" and args.command != "batch":
        parser.error("--format is the batch command's")
    report = not args.no_report
    began = time.perf_counter()
    rows = []
    sides = [("after", ROOT, args.runs)]
    if args.before:
        sides.insert(0, ("before", args.before.resolve(), args.before_runs))
    for side, checkout, counts in sides:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout,
                                capture_output=True, text=True).stdout.strip()  # fmt: skip
        for runs in counts:
            m = measure(checkout, runs, report, args.command, args.format)
            workers = ", ".join(f"{w:,.0f}" for w in m["workers"]) or "none"
            row = (f"| {side} ({commit}) | {runs:,} | {m['main']:,.0f} | {workers} | "
                   f"{m['wall']:.1f} | {m['closing']:.1f} | {m['size']:,.0f} |")  # fmt: skip
            print(row, flush=True)
            rows.append(row)
    what = "with report" if report else "--no-report"
    heading = HEADINGS["parquet" if args.format == "parquet" else args.command]
    fmt = "" if args.format == "csv" else f" --format {args.format}"
    measured = (f"`coalition-sim score {SCENARIO} --record {RECORD} --runs N --out TMP`"
                if args.command == "score"
                else f"`coalition-sim batch {SCENARIO} --runs N --out TMP{fmt}` ({what})")  # fmt: skip
    section = [
        "",
        heading,
        "",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}; nproc {os.cpu_count()}",
        f"- command: `.venv/bin/python benchmarks/bench_memory.py {' '.join(sys.argv[1:])}`"
        f" ({time.perf_counter() - began:.0f} s in all)",
        f"- each row: {measured}, "
        + (
            "in one process (score has no workers; no closing line: nan)"
            if args.command == "score"
            else "default workers (2 processes from 20,000 runs)"
        )
        + "; peak RSS from GNU time (%M, main process) and VmHWM (each worker, polled every "
        "0.1 s)",
        "",
        "| checkout | runs | peak RSS main (MiB) | peak RSS workers (MiB) | wall (s) | "
        "closing line (s) | folder (MiB) |",
        "|---|---:|---:|---|---:|---:|---:|",
        *rows,
        "",
    ]
    print(f"appended to {replace_section(heading, section)}")


if __name__ == "__main__":
    main()
