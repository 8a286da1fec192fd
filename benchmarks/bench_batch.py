"""Benchmarks of the batch path: vectorised core, whole batch, Mesa's batch_run, scaling, memory.

Run: .venv/bin/python benchmarks/bench_batch.py [--quick]
Prints a table and writes benchmarks/RESULTS.md. Timings are best of 3 (time.perf_counter);
compare ratios measured in the same run rather than absolute figures across machines.
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import as_completed
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

ENV = dict(os.environ)  # the user's environment, for the command-line runs
# One BLAS thread in this process: "1 process" then means one core for the core and for
# Mesa alike (the batch's own workers run that way too).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # after the thread settings, which numpy reads on import
import yaml
from mesa.batchrunner import batch_run
from peak_rss import read, run_watched  # benchmarks/peak_rss.py, beside this script

from sim.batching import InlineExecutor, make_executor, plan_batch, run_chunk
from sim.batching.plan import replication_seeds
from sim.batching.runner import _task
from sim.engine.loop import simulate
from sim.engine.model import ConsensusModel
from sim.engine.world import World, build_world
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/nato-2024.yaml"
BIN = Path(sys.executable).with_name("coalition-sim")
CLI = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "sim"]
CLOSING = re.compile(r"([\d,]+) runs in ([\d.]+) s")
ROWS: list[tuple[str, str, str]] = []  # (section, measure, figure)
REPEAT = 3  # timings are the best of REPEAT calls (1 with --quick)


def row(section: str, measure: str, figure: str) -> None:
    ROWS.append((section, measure, figure))
    print(f"{section:<8} {measure:<66} {figure}", flush=True)


def timed(section: str, measure: str, seconds: float, n: int, unit: str = "reps") -> None:
    row(section, measure, f"{seconds:.3f} s  {n / seconds:,.0f} {unit}/s")


def best(fn) -> tuple[float, float, object]:
    """Best wall time of REPEAT calls, the CPU time (all threads) of that call, and a result."""
    runs = []
    for _ in range(REPEAT):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return (*min(runs), result)


def seeds(n: int) -> list[int]:  # the first n replications of a batch with seed 1
    return replication_seeds(1, 0, 0, n)


def core(n: int) -> float:
    """1. simulate() alone, then run_chunk tasks inline and on a 2-process pool."""
    world, ss = build_world(load_scenario(ROOT / SCENARIO)), seeds(n)
    wall, cpu, _ = best(lambda: simulate(world, ss))
    timed("core", f"simulate(world, {n:,} seeds), 1 process", wall, n)
    row("core", "  CPU time / wall time of that call (>1: BLAS threads)", f"{cpu / wall:.2f}")
    plan = plan_batch(ROOT / SCENARIO, runs=n)
    tasks = [_task(plan, c) for c in plan.chunks]  # as run_batch builds them

    def run_all(executor):
        for future in as_completed([executor.submit(run_chunk, t) for t in tasks]):
            future.result()

    inline, *_ = best(lambda: run_all(InlineExecutor()))
    label = f"{len(tasks)} run_chunk tasks of {plan.chunk:,}"
    timed("core", f"{label}, InlineExecutor", inline, n)
    row("core", "  share of run_chunk time spent in simulate()", f"{wall / inline:.0%}")
    began, (executor, close) = time.perf_counter(), make_executor("process", 2)
    try:
        run_all(executor)
        cold = time.perf_counter() - began
        pooled, *_ = best(lambda: run_all(executor))
    finally:
        close()
    timed("core", f"{label}, 2 processes, first call (starts pool)", cold, n)
    timed("core", f"{label}, 2 processes, warm pool", pooled, n)
    row("core", "  2 processes vs inline: speed-up warm; cold", f"x{inline / pooled:.2f}; x{inline / cold:.2f}")  # fmt: skip
    return n / wall


def whole_batch(runs: int) -> None:
    """2. The command line as a user runs it (subprocess), with and without the report."""
    start = [sys.executable, "-c", "import sim.cli.main"]
    startup, *_ = best(lambda: subprocess.run(start, cwd=ROOT, env=ENV, check=True))
    row("batch", "python -c 'import sim.cli.main' (start-up baseline)", f"{startup:.3f} s")
    for extra in (["--no-report"], [], ["--no-report", "--workers", "2"]):
        timings = []  # (wall, seconds of the closing line 'N runs in S s')
        for _ in range(REPEAT):
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [*CLI, "batch", SCENARIO, "--runs", str(runs), "--out", tmp + "/out", *extra]
                began = time.perf_counter()
                done = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, check=True)  # fmt: skip
                timings.append((time.perf_counter() - began, float(CLOSING.search(done.stdout)[2])))
        timed("batch", f"batch --runs {runs:,} {' '.join(extra) or '(with report)'}: wall", min(t[0] for t in timings), runs, "runs")  # fmt: skip
        timed("batch", "  its closing line 'N runs in S s'", min(t[1] for t in timings), runs, "runs")  # fmt: skip


def mesa_batch_run(runs: int, reps: int) -> None:
    """3. mesa.batch_run on the same model, world and seeds, against the core.

    The core and batch_run (1 process) are timed in alternation, pair after pair, so that
    each ratio compares two timings taken on the same machine at the same moment.
    """
    world = build_world(load_scenario(ROOT / SCENARIO))
    mesa_seeds, core_seeds = seeds(runs), seeds(reps)

    def run_mesa(procs: int):
        return batch_run(ConsensusModel, parameters={"scenario": world}, number_processes=procs,
                         data_collection_period=-1, display_progress=False, rng=mesa_seeds)  # fmt: skip

    loop, *_ = best(lambda: [ConsensusModel(world, rng=s).run() for s in mesa_seeds])
    timed("mesa", f"loop of ConsensusModel(world, rng=s).run(), {runs} runs", loop, runs, "runs")
    pairs = []  # (core reps/s, batch_run runs/s)
    for _ in range(2 * REPEAT + 1):  # 7 pairs, or 3 with --quick
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            began = time.perf_counter()
            simulate(world, core_seeds)
            core_rate = reps / (time.perf_counter() - began)
            began = time.perf_counter()
            out = run_mesa(1)
            pairs.append((core_rate, runs / (time.perf_counter() - began)))
        assert len({r["RunId"] for r in out}) == runs  # every run came back
    said = "; ".join(sorted({f"{w.category.__name__}: {w.message}" for w in seen})) or "none"
    ratios = sorted(c / m for c, m in pairs)
    core_best, mesa_best = max(c for c, _ in pairs), max(m for _, m in pairs)
    row("mesa", f"core simulate(world, {reps:,} seeds), best of {len(pairs)}", f"{core_best:,.0f} reps/s")  # fmt: skip
    row("mesa", f"batch_run, {runs} runs, number_processes=1, best of {len(pairs)} (warnings: {said})", f"{mesa_best:,.0f} runs/s")  # fmt: skip
    row("mesa", f"  core / batch_run (1 process), {len(pairs)} alternating pairs: median (range)",
        f"x{np.median(ratios):,.0f} (x{ratios[0]:,.0f}-x{ratios[-1]:,.0f})")  # fmt: skip
    try:
        wall, _, out = best(lambda: run_mesa(2))
    except Exception as exc:  # a comparison, not our code: report it and go on
        row("mesa", "batch_run, number_processes=2", f"failed: {exc!r}"[:200])
        return
    assert len({r["RunId"] for r in out}) == runs
    timed("mesa", f"batch_run, {runs} runs, number_processes=2", wall, runs, "runs")
    row("mesa", "  best core / this", f"x{core_best * wall / runs:,.0f}")


FIXED = yaml.safe_load("""  # the synthetic scenario but for its members and candidates
calendar: {start: 2024-01-01, round_days: 7, deadline: 2024-07-29, last_round: 2024-07-29, assumption: true}
decision: {rule: consensus, quorum: 1.0, assumption: true}
preferences:
  - {id: north-fit, members: {bloc: north}, candidates: {region: north}, affinity: 0.3, assumption: true}
  - {id: south-fit, members: {bloc: south}, candidates: {region: south}, affinity: 0.3, assumption: true}
  - {id: east-fit, members: {bloc: east}, candidates: {region: east}, affinity: 0.3, assumption: true}
  - {id: west-fit, members: {bloc: west}, candidates: {region: west}, affinity: 0.3, assumption: true}
  - {id: majors-c0, members: {major: true}, candidate: c0, affinity: 0.2, assumption: true}
grievances:
  - {id: east-c0, members: {bloc: east}, candidate: c0, weight: 0.3, assumption: true}
  - {id: few-west, members: {codes: [M005, M006, M007]}, candidates: {region: west}, weight: 0.5, assumption: true}
ties:
  - {id: peers, from: {}, to: {}, weight: 1, assumption: true}
  - {id: majors, from: {}, to: {major: true}, weight: 5, assumption: true}
  - {id: east-peers, from: {bloc: east}, to: {bloc: east}, weight: 2, assumption: true}
""")


def synthetic(n: int, c: int, seed: int = 0) -> World:
    """N members, C candidates: random voices, blocs, a few rules, consensus, 30 weekly rounds."""
    rng, blocs = np.random.default_rng(seed), ["north", "south", "east", "west"]
    members = [{"code": f"M{i:03d}", "name": f"M{i}", "capability": round(rng.uniform(0.05, 1), 3),
                "salience": round(rng.uniform(0.2, 1), 3), "assumption": True,
                "attributes": {"bloc": blocs[i % 4], "major": i < 5}} for i in range(n)]  # fmt: skip
    candidates = [{"id": f"c{k}", "name": f"C{k}", "home": f"M{k:03d}", "assumption": True,
                   "attributes": {"region": blocs[k % 4]}} for k in range(c)]  # fmt: skip
    data = {"name": f"synthetic-{n}x{c}", **FIXED, "members": members, "candidates": candidates}
    return build_world(Scenario.model_validate(data))


def scaling(reps: int) -> None:
    """4. Core time as members N and candidates C grow: per 1,000 replications, and per
    replication-round played (replications end at different rounds, and an ended one
    costs nothing, so the second is the cost of the rules themselves)."""
    ss = seeds(reps)

    @cache
    def cost(n: int, c: int) -> tuple[float, float]:
        world = synthetic(n, c)
        wall, _, h = best(lambda: simulate(world, ss))
        played = int(h.last_round.sum())
        per_round = wall / played * 1e6
        done = f"{played / reps:.1f} rounds per replication, {np.mean(h.final.appointed >= 0):.0%} appointed"
        row("scaling", f"N={n}, C={c}: s per 1,000 reps; us per replication-round ({done})", f"{wall * 1000 / reps:.3f} s; {per_round:.1f} us")  # fmt: skip
        return wall, per_round

    for axis, sizes, shape in (("N", (32, 64, 128, 193), lambda x: (x, 2)),
                               ("C", (2, 4, 6, 10), lambda x: (193, x))):  # fmt: skip
        costs = [cost(*shape(x))[1] for x in sizes]
        slope = np.polyfit(np.log(sizes), np.log(costs), 1)[0]
        row("scaling", f"  cost per replication-round grows as {axis}^k: k fitted to log cost vs log {axis}", f"{slope:.2f}")  # fmt: skip
    row("scaling", f"N=193, C=10: {reps:,} replications", f"{cost(193, 10)[0]:.3f} s")


def memory(runs: int) -> None:
    """5. Peak RSS of the main process and of each worker (`peak_rss.run_watched`)."""
    with tempfile.TemporaryDirectory() as tmp, open(f"{tmp}/log", "w+") as log:
        batch = [*CLI, "batch", SCENARIO, "--runs", str(runs), "--out", f"{tmp}/out", "--no-report"]
        peaks = run_watched(batch, ROOT, log, tmp, env=ENV, every=0.05)
        wall, said = peaks.wall, CLOSING.search(Path(log.name).read_text())
        main_mib, workers = peaks.main, peaks.workers
    row("memory", f"batch --runs {runs:,} --no-report: wall; closing line", f"{wall:.1f} s; {said[2] if said else '?'} s")  # fmt: skip
    peaks = ", ".join(f"{mib:,.0f}" for mib in workers)
    row("memory", f"  peak RSS: main (GNU time %M); {len(workers)} workers (VmHWM)", f"{main_mib:,.0f} MiB; {peaks or '?'} MiB")  # fmt: skip


def write_results(argv: list[str], seconds: float) -> None:
    cpu = re.search(r"model name\s*:\s*(.*)", read("/proc/cpuinfo"))
    nproc = subprocess.run(["nproc"], env=ENV, capture_output=True, text=True).stdout.strip()
    head = [
        "# Batch benchmarks\n",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- machine: {platform.platform()}; {cpu and cpu.group(1)}; nproc {nproc}; Python {platform.python_version()}; numpy {np.__version__}",
        f"- command: `{' '.join(['.venv/bin/python', 'benchmarks/bench_batch.py', *argv])}`",
        f"- whole benchmark: {seconds:.0f} s, load average at its end {os.getloadavg()[0]:.2f} (other jobs share the machine: compare ratios); each timing is the best of {REPEAT} (time.perf_counter)\n",
        "| section | measure | figure |\n|---|---|---|",
    ]  # fmt: skip
    table = "\n".join([*head, *(f"| {s} | {m.strip()} | {f} |" for s, m, f in ROWS), ""])
    path = ROOT / "benchmarks" / "RESULTS.md"
    # Sections other benchmarks add (`## ...` after this table) are kept as they are.
    old = path.read_text() if path.exists() else ""
    kept = old[old.index("\n## ") :] if "\n## " in old else ""
    path.write_text(table + kept)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, no memory run (<1 min)")
    global REPEAT
    REPEAT = 1 if (quick := parser.parse_args(argv).quick) else 3
    began = time.perf_counter()
    core(2_000 if quick else 10_000)
    whole_batch(1_000 if quick else 10_000)
    mesa_batch_run(30 if quick else 300, 2_000 if quick else 10_000)
    scaling(100 if quick else 1_000)
    if not quick:
        memory(100_000)
    write_results(argv, time.perf_counter() - began)
    print(f"wrote benchmarks/RESULTS.md ({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
