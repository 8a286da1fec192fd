"""Benchmarks of issue 11: the Morris screening of nato-2024, many-point sweeps against plain
batches, and a large synthetic contest that plays all 52 weekly rounds.

Run: .venv/bin/python benchmarks/bench_sensitivity.py [--quick] [--only morris,sweeps,large]
Prints a table and writes its own section of benchmarks/RESULTS.md (the other sections are
left as they are). Ratios are measured in the same process, one after the other.
"""

import argparse
import os
import platform
import re
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread: a worker is one core

import numpy as np  # noqa: E402

from sim.analysis.inputs import choose_inputs  # noqa: E402
from sim.analysis.sensitivity import analyse  # noqa: E402
from sim.batching import plan_batch, run_batch  # noqa: E402
from sim.batching.plan import replication_seeds  # noqa: E402
from sim.engine.loop import simulate  # noqa: E402
from sim.engine.world import World, build_world  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "nato-2024.yaml"
HEADING = "## Sensitivity, sweeps and large contests (benchmarks/bench_sensitivity.py)"
ROWS: list[tuple[str, str, str]] = []
NOTE = (
    "Sweeps: the points of a chunk share one vectorised call (stacked on the replication axis, "
    "100 points of 10 replications a chunk here), with one Results per call, their worlds "
    "reparameterised from the first compiled one and what they share in the rules' per-round "
    "constants built once. Each sweep row is the median of alternating pairs (single, then "
    "sweep) in this process, wall time and CPU time (`process_time`; steadier on a shared "
    "machine), after one small warm-up of each. The Morris screening stacks its points the same "
    "way (2 processes)."
)


def row(section: str, measure: str, figure: str) -> None:
    ROWS.append((section, measure, figure))
    print(f"{section:<8} {measure:<78} {figure}", flush=True)


def morris(trajectories: int, runs: int, workers: int) -> None:
    """The full screening: every assumption and every parameter of nato-2024."""
    scenario = load_scenario(SCENARIO)
    inputs = choose_inputs(scenario)
    began = time.perf_counter()
    s = analyse(scenario, inputs, "morris", runs, 1, trajectories, workers=workers)
    wall = time.perf_counter() - began
    reps = (s.points + 1) * runs
    row("morris", f"nato-2024: {len(inputs)} inputs, {trajectories} trajectories, {s.points:,} "
        f"points x {runs} runs ({reps:,} replications), {workers} processes: wall",
        f"{wall:.1f} s  {reps / wall:,.0f} reps/s (target < 60 s)")  # fmt: skip
    top = s.ranked("p_deadlock").head(3)
    row("morris", "  top 3 inputs for P(deadlock) (mu*)",
        "; ".join(f"{r.input} {r.mu_star:.3f}" for r in top.itertuples()))  # fmt: skip


def _lhs(points: int) -> list[dict]:
    rng = np.random.default_rng(7)
    return [{"parameters.noise": float(a), "parameters.w_ties": float(b)}
            for a, b in zip(rng.uniform(0.05, 1.0, points), rng.uniform(0.5, 2.0, points),
                            strict=True)]  # fmt: skip


def sweeps(cases: list[tuple[int, int]], pairs: int) -> None:
    """A many-point sweep against as many replications of one point, in memory, inline:
    `pairs` alternating pairs, their median times and ratios."""
    _batch(200, None)  # a warm-up of both paths
    _batch(10, _lhs(20))
    for points, runs in cases:
        total, design = points * runs, _lhs(points)
        single, swept = [], []
        for _ in range(pairs):
            single.append(_timed(_batch, total, None))
            swept.append(_timed(_batch, runs, design))
        wall = [w / s for (s, _), (w, _) in zip(single, swept, strict=True)]
        cpu = [w / s for (_, s), (_, w) in zip(single, swept, strict=True)]
        med = np.median
        row("sweeps", f"{total:,} replications of one point (plan + run, in memory): wall, CPU",
            f"{med([s for s, _ in single]):.2f} s, {med([c for _, c in single]):.2f} s")  # fmt: skip
        row("sweeps", f"{points:,}-point LHS sweep x {runs} replications (same)",
            f"{med([w for w, _ in swept]):.2f} s, {med([c for _, c in swept]):.2f} s")  # fmt: skip
        row("sweeps", f"  sweep / single (target x2), median of {pairs} pairs [range]: wall; CPU",
            f"x{med(wall):.2f} [x{min(wall):.2f}-x{max(wall):.2f}]; "
            f"x{med(cpu):.2f} [x{min(cpu):.2f}-x{max(cpu):.2f}]")  # fmt: skip


def _batch(runs: int, design: list[dict] | None) -> None:
    run_batch(plan_batch(SCENARIO, runs=runs, chunk=1000, design=design), None)


def _timed(call, *args) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    call(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def contest(n: int, c: int, weeks: int = 52) -> World:
    """A synthetic contest of N members and C candidates that deadlocks: its last member holds
    a standing objection to every candidate and no offers are made, so every replication plays
    all `weeks` weekly rounds."""
    rng, blocs = np.random.default_rng(0), ["north", "south", "east", "west"]
    members = [{"code": f"M{i:03d}", "name": f"M{i}", "capability": round(rng.uniform(0.05, 1), 3),
                "salience": round(rng.uniform(0.2, 1), 3), "assumption": True,
                "attributes": {"bloc": blocs[i % 4], "major": i < 5}} for i in range(n)]  # fmt: skip
    members[-1]["objects"] = [f"c{k}" for k in range(c)]
    candidates = [{"id": f"c{k}", "name": f"C{k}", "home": f"M{k:03d}", "assumption": True,
                   "attributes": {"region": blocs[k % 4]}} for k in range(c)]  # fmt: skip
    end = date(2024, 1, 1) + timedelta(weeks=weeks)
    rule = {"id": "fit", "members": {}, "candidates": {}, "affinity": 0.1, "assumption": True}
    data = {
        "name": f"synthetic-{n}x{c}",
        "calendar": {
            "start": date(2024, 1, 1),
            "deadline": end,
            "last_round": end,
            "assumption": True,
        },  # fmt: skip
        "decision": {"rule": "consensus", "quorum": 1.0, "assumption": True},
        "members": members,
        "candidates": candidates,
        "preferences": [
            rule,
            *(
                {
                    "id": f"{b}-fit",
                    "members": {"bloc": b},
                    "candidates": {"region": b},
                    "affinity": 0.3,
                    "assumption": True,
                }
                for b in blocs
            ),
        ],  # fmt: skip
        "ties": [
            {"id": "peers", "from": {}, "to": {}, "weight": 1, "assumption": True},
            {"id": "majors", "from": {}, "to": {"major": True}, "weight": 5, "assumption": True},
        ],  # fmt: skip
        "parameters": {"concessions_per_round": 0, "assumption": True},
    }
    return build_world(Scenario.model_validate(data))


def large(reps: int) -> None:
    """1,000 replications of 164 x 4 over 52 rounds, then the scaling in N and in C."""
    seeds = replication_seeds(1, 0, 0, reps)

    def cost(n: int, c: int) -> tuple[float, float]:
        world = contest(n, c)
        simulate(world, seeds[:10])  # warm
        began, cpu = time.perf_counter(), time.process_time()
        h = simulate(world, seeds)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        played = int(h.last_round.sum())
        row("large", f"N={n}, C={c}, {world.n_rounds} rounds: s per {reps:,} reps, wall (CPU); "
            f"us per replication-round, CPU ({played / reps:.1f} rounds each)",
            f"{wall:.3f} s ({cpu:.3f} s); {cpu / played * 1e6:.1f} us")  # fmt: skip
        return cpu / played, wall / played

    headline, wall = cost(164, 4)
    row("large", f"  164 members x 4 candidates, all 52 rounds, {reps:,} replications (target < 2 s): "
        "CPU (wall)", f"{headline * reps * 52:.2f} s ({wall * reps * 52:.2f} s)")  # fmt: skip
    for axis, sizes, shape in (("N", (32, 64, 128, 164), lambda x: (x, 4)),
                               ("C", (2, 4, 8), lambda x: (164, x))):  # fmt: skip
        costs = [headline if shape(x) == (164, 4) else cost(*shape(x))[0] for x in sizes]
        slope = np.polyfit(np.log(sizes), np.log(costs), 1)[0]
        row("large", f"  CPU per replication-round grows as {axis}^k (k fitted)", f"{slope:.2f}")


def write_section(argv: list[str], seconds: float) -> None:
    """Replace this benchmark's section of RESULTS.md (or add it), keeping the others."""
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    lines = [
        HEADING,
        "",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- machine: {platform.platform()}; {cpu and cpu.group(1)}; nproc {os.cpu_count()}; "
        f"Python {platform.python_version()}; numpy {np.__version__}",
        f"- command: `.venv/bin/python benchmarks/bench_sensitivity.py {' '.join(argv)}`".rstrip(
            "` "
        )
        + "`",
        f"- whole benchmark: {seconds:.0f} s, load average at its end {os.getloadavg()[0]:.2f} "
        "(other jobs share the machine: compare ratios measured in the same run)",
        "",
        "| section | measure | figure |",
        "|---|---|---|",
        *(f"| {s} | {m.strip()} | {f} |" for s, m, f in ROWS),
        "",
        NOTE,
        "",
    ]
    start = text.find(HEADING)
    if start >= 0:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + text[end + 1 :] if end >= 0 else text[:start]
    path.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--only", default="morris,sweeps,large", help="sections to run")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    began = time.perf_counter()
    if "morris" in only:
        morris(2 if args.quick else 20, 10 if args.quick else 50, 2)
    if "sweeps" in only:
        sweeps([(20, 10)] if args.quick else [(200, 10), (1000, 10)], 2 if args.quick else 5)
    if "large" in only:
        large(100 if args.quick else 1000)
    if not args.no_write:
        write_section(argv, time.perf_counter() - began)


if __name__ == "__main__":
    main(sys.argv[1:])
