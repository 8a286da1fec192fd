"""The size of a sweep's `points/` folder and what writing it costs: each point's whole
scenario (before, the writer of d8a6be5, copied here) against p0000 whole and every other
point as its difference from it (after, sim.batching.points), in this one process.

Run: .venv/bin/python benchmarks/bench_points.py [--quick] [--pairs 3] [--no-write]

Cases: 1,000-point LHS sweeps of nato-2024 over two behavioural parameters and over every
member's capability and salience and every rule's weight (the non-parameter inputs of
`coalition-sim sensitivity`), and a 100-point LHS of wto-2013 over those inputs. For each:
the bytes of points/, prepare_folder (the points written, one os.sync) and the whole batch
(`run_batch`, 10 replications a point, inline) before and after, the median of `pairs`
alternating pairs, and reading every point back. Writes its own section of
benchmarks/RESULTS.md (the other sections are left as they are).
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread: a worker is one core

import numpy as np  # noqa: E402

from sim.analysis.inputs import choose_inputs  # noqa: E402
from sim.batching import InlineExecutor, folder, plan_batch, prepare_folder, read_point  # noqa: E402
from sim.batching import points as after  # noqa: E402
from sim.batching.plan import design_points  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402
from sim.scenario.schema import Scenario, Sweep  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HEADING = (
    "## A sweep's points/ folder: whole scenarios against differences (benchmarks/bench_points.py)"
)
ROWS: list[tuple[str, str, str]] = []


def before_point_texts(points: list):
    """The writer before (sim/batching/folder.py at d8a6be5): every point's whole dump, a
    parameter point spliced into the first point's text around its own parameters."""
    first = points[0].scenario
    others = [n for n in type(first).model_fields if n != "parameters"]
    whole = first.model_dump_json(by_alias=True, indent=1)

    def section(scenario) -> str:
        return '"parameters": ' + scenario.parameters.model_dump_json(
            by_alias=True, indent=1
        ).replace("\n", "\n ")

    head, found, tail = whole.partition(section(first))
    spliced, checked = bool(found) and whole.count(found) == 1, False
    for point in points:
        scenario = point.scenario
        if spliced and all(getattr(scenario, n) is getattr(first, n) for n in others):
            text = head + section(scenario) + tail
            if not checked and scenario is not first:
                checked = True
                spliced = text == scenario.model_dump_json(by_alias=True, indent=1)
                if not spliced:
                    text = scenario.model_dump_json(by_alias=True, indent=1)
            yield text
        else:
            yield scenario.model_dump_json(by_alias=True, indent=1)


def before_read(out: Path, index: int) -> Scenario:
    """The reader before: the point's file validated whole."""
    return Scenario.model_validate_json((out / "points" / f"p{index:04d}.json").read_text())


WRITERS = {"before": before_point_texts, "after": after.point_texts}
READERS = {"before": before_read, "after": read_point}


def row(case: str, measure: str, figure: str) -> None:
    ROWS.append((case, measure, figure))
    print(f"{case:<28} {measure:<58} {figure}", flush=True)


def lhs_plan(name: str, samples: int, parameters: bool, runs: int):
    """An LHS plan of `samples` points over two parameters, or over the scenario's
    non-parameter sensitivity inputs (members' capability and salience, rules' weights)."""
    path = ROOT / "scenarios" / f"{name}.yaml"
    if parameters:
        spans = {"parameters.noise": (0.05, 1.0), "parameters.w_ties": (0.5, 2.0)}
    else:
        inputs = choose_inputs(load_scenario(path))
        spans = {i.key: (i.low, i.high) for i in inputs if i.field.kind != "parameter"}
    sweep = Sweep(design="lhs", samples=samples,
                  params={k: {"min": lo, "max": hi} for k, (lo, hi) in spans.items()})  # fmt: skip
    began = time.perf_counter()
    plan = plan_batch(path, runs=runs, chunk=1000, design=design_points(sweep, 1))
    return plan, len(spans), time.perf_counter() - began


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir())


def measure(case: str, plan, pairs: int, work: Path) -> None:
    """Before against after for one plan: bytes, writing the points, the whole batch."""
    from sim.batching import run_batch

    sizes, prepare, batch = {}, {k: [] for k in WRITERS}, {k: [] for k in WRITERS}
    for n in range(pairs):
        for side, writer in WRITERS.items():
            folder.point_texts = writer  # what prepare_folder writes the points with
            out = work / f"{side}-{n}"
            began = time.perf_counter()
            prepare_folder(out, plan)
            prepare[side].append(time.perf_counter() - began)
            sizes[side] = folder_bytes(out / "points")
            shutil.rmtree(out)
            began = time.perf_counter()
            run_batch(plan, out, InlineExecutor())
            batch[side].append(time.perf_counter() - began)
            if n < pairs - 1:
                shutil.rmtree(out)
    folder.point_texts = after.point_texts
    med = statistics.median
    b, a = sizes["before"], sizes["after"]
    row(case, "bytes of points/: before -> after (after / before)",
        f"{b:,} -> {a:,} (x{a / b:.4f})")  # fmt: skip
    row(case, "  largest file after, the others' median (bytes)",
        f"{(work / f'after-{pairs - 1}' / 'points' / 'p0000.json').stat().st_size:,}; "
        f"{int(med(p.stat().st_size for p in (work / f'after-{pairs - 1}' / 'points').glob('p*.json') if p.name != 'p0000.json')):,}")  # fmt: skip
    pb, pa = med(prepare["before"]), med(prepare["after"])
    row(case, f"  prepare_folder (points written, synced), median of {pairs}: before -> after",
        f"{pb:.2f} s -> {pa:.2f} s (x{pa / pb:.2f})")  # fmt: skip
    wb, wa = med(batch["before"]), med(batch["after"])
    row(case, f"  run_batch, {plan.runs} runs a point, inline, median of {pairs}: before -> after",
        f"{wb:.2f} s -> {wa:.2f} s (x{wa / wb:.2f})")  # fmt: skip
    for side, reader in READERS.items():
        out = work / f"{side}-{pairs - 1}"
        began = time.perf_counter()
        for point in plan.points:
            assert reader(out, point.index) == point.scenario
        spent = time.perf_counter() - began
        row(case, f"  reading every point back ({side}), per point",
            f"{spent / len(plan.points) * 1e3:.2f} ms")  # fmt: skip
    for side in WRITERS:
        shutil.rmtree(work / f"{side}-{pairs - 1}")


def write_section(argv: list[str], seconds: float) -> None:
    """Replace this benchmark's section of RESULTS.md (or add it), keeping the others."""
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    command = " ".join([".venv/bin/python benchmarks/bench_points.py", *argv])
    lines = [
        HEADING,
        "",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- machine: {platform.platform()}; {cpu and cpu.group(1)}; nproc {os.cpu_count()}; "
        f"Python {platform.python_version()}; numpy {np.__version__}",
        f"- command: `{command}`",
        f"- whole benchmark: {seconds:.0f} s, load average at its end {os.getloadavg()[0]:.2f} "
        "(other jobs share the machine: compare before and after, measured alternately here)",
        "",
        "| case | measure | figure |",
        "|---|---|---|",
        *(f"| {c} | {m.strip()} | {f} |" for c, m, f in ROWS),
        "",
        "Before: every point's file its whole resolved scenario (the writer of d8a6be5, in "
        "the script). After: p0000.json whole, every other point the changes that turn "
        "p0000's JSON into its own (sim.batching.points). Planning is the same code for both "
        "and is not in the batch times.",
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
    parser.add_argument("--pairs", type=int, default=3, help="alternating before/after pairs")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    big, small = (40, 10) if args.quick else (1000, 100)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-points-") as tmp:
        for name, samples, parameters in (("nato-2024", big, True), ("nato-2024", big, False),
                                          ("wto-2013", small, False)):  # fmt: skip
            plan, keys, spent = lhs_plan(name, samples, parameters, runs=10)
            what = "2 parameters" if parameters else f"{keys} member and rule fields"
            case = f"{name}, {samples:,}-point LHS over {what}"
            row(case, "planning (same before and after)", f"{spent:.2f} s")
            measure(case, plan, args.pairs, Path(tmp))
    if not args.no_write:
        write_section(argv, time.perf_counter() - began)


if __name__ == "__main__":
    main(sys.argv[1:])
