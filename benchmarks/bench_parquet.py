"""Batch tables as CSV against Parquet with small chunks: the batch's wall time and its
table-writing step, each the median of --repeats (CSV and Parquet interleaved).

Run: .venv/bin/python benchmarks/bench_parquet.py [--checkout DIR] [--runs 6000] [--chunk 100]

The `sim` package is this checkout's, or --checkout's (run in a child process with that
checkout first on the path), so that before and after run under the same interpreter. The
CSV batch is the baseline: its workers render the table members, so its table step is
near zero and the Parquet/CSV ratio of batch times is what the Parquet writing costs.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = r"""
import shutil, statistics, sys, tempfile, time
from pathlib import Path
import sim
from sim.batching import InlineExecutor, plan_batch, runner

spent = []
def timed(fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent.append(time.perf_counter() - t)
    return wrapper

runner.write_parquet_tables = timed(runner.write_parquet_tables)
runner.write_csv_tables = timed(runner.write_csv_tables)
scenario, runs, chunk, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
seen = {"csv": [], "parquet": []}
with tempfile.TemporaryDirectory() as tmp:
    for _ in range(repeats):
        for fmt in seen:
            out = Path(tmp) / fmt
            shutil.rmtree(out, ignore_errors=True)
            spent.clear()
            plan = plan_batch(Path(scenario), runs=runs, chunk=chunk)
            t = time.perf_counter()
            runner.run_batch(plan, out, InlineExecutor(), format=fmt, keep=False)
            seen[fmt].append((time.perf_counter() - t, sum(spent)))
print("sim:", Path(sim.__file__).parent.parent)
med = {f: (statistics.median(b for b, _ in v), statistics.median(w for _, w in v)) for f, v in seen.items()}
for fmt, v in seen.items():
    each = ", ".join(f"{b:.2f}/{w:.2f}" for b, w in v)
    print(f"{fmt:8s} batch {med[fmt][0]:.2f} s, tables {med[fmt][1]:.2f} s (batch/tables: {each})")
print(f"parquet/csv batch ratio {med['parquet'][0] / med['csv'][0]:.2f}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose sim runs")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "nato-2024.yaml")
    ap.add_argument("--runs", type=int, default=6000)
    ap.add_argument("--chunk", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.checkout.resolve())}
    argv = [str(args.scenario.resolve()), str(args.runs), str(args.chunk), str(args.repeats)]
    # run outside any checkout, so that the one on PYTHONPATH is the one imported
    subprocess.run([sys.executable, "-c", CHILD, *argv], env=env, cwd="/", check=True)


if __name__ == "__main__":
    main()
