"""Running a batch: chunks on an executor, crash-safe writing, resume, merging.

A batch is a list of sweep points, each run for `runs` replications. Replications
are cut into chunks; a chunk runs vectorised (`history.simulate`) on any
`concurrent.futures.Executor` and comes back as finished table text, which this
process writes under temporary names and renames when whole, marking the chunk
done last. A rerun of the same batch into the same folder reuses every chunk
marked done, so a killed batch resumes where it stopped and an unchanged batch
recomputes nothing. Results never depend on the number of workers or on chunking:
each replication draws from its own seed, derived from (batch seed, point,
replication) by `numpy.random.SeedSequence`.
"""

import json
import sys
import time
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sim.batching.folder import done_chunks, merge, prepare_folder, write_chunk
from sim.batching.plan import Plan
from sim.batching.worker import run_chunk
from sim.results.files import write_json
from sim.scenario.loader import scenario_digest
from sim.version import __version__


@dataclass
class BatchOutcome:
    """What a batch call did."""

    out: Path
    runs: int
    computed: int
    reused: int
    errors: int
    seconds: float


def run_batch(
    plan: Plan,
    out: Path,
    executor: Executor,
    progress=None,
) -> BatchOutcome:
    """Run the chunks not yet done, writing each as it finishes; merge; write the manifest."""
    began = time.perf_counter()
    prepare_folder(out, plan)
    done = done_chunks(out, plan)
    todo = [c for c in plan.chunks if c.name not in done]
    extra = {p.index: [p.values[k] for k in plan.swept] for p in plan.points}
    scenarios = {p.index: (p.scenario, scenario_digest(p.scenario)) for p in plan.points}
    total = plan.total_runs
    finished = total - sum(c.stop - c.start for c in todo)
    if progress:
        progress.start(total, finished)
    errors = 0
    futures = {
        executor.submit(
            run_chunk, (c, *scenarios[c.point], plan.seed, plan.runs, extra[c.point])
        ): c
        for c in todo
    }
    try:
        for future in as_completed(list(futures)):
            result = future.result()
            del futures[future]  # drop the finished chunk, so a long batch streams to disk
            write_chunk(out, plan, result)
            errors += result.errors
            finished += result.chunk.stop - result.chunk.start
            if progress:
                progress.update(finished)
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    merge(out, plan)
    for c in plan.chunks:
        if c.name in done:
            errors += json.loads((out / "chunks" / f"{c.name}.done").read_text()).get("errors", 0)
    outcome = BatchOutcome(
        out=out,
        runs=total,
        computed=sum(c.stop - c.start for c in todo),
        reused=total - sum(c.stop - c.start for c in todo),
        errors=errors,
        seconds=time.perf_counter() - began,
    )
    # The manifest goes last: its presence says the folder is complete.
    created = datetime.now(UTC).isoformat(timespec="seconds")
    command = " ".join(["coalition-sim", *sys.argv[1:]])
    write_json(out / "manifest.json", batch_manifest(plan, outcome, command, created))
    return outcome


def batch_manifest(plan: Plan, outcome: BatchOutcome, command: str, created: str) -> dict:
    """manifest.json of a batch: what produced it and how it went."""
    return {
        "scenario": plan.name,
        "scenario_path": plan.scenario_path,
        "scenario_sha256": scenario_digest(plan.points[0].scenario),
        "package_version": __version__,
        "seed": plan.seed,
        "runs": outcome.runs,
        "runs_per_point": plan.runs,
        "points": len(plan.points),
        "swept": plan.swept,
        "overrides": plan.overrides,
        "errors": outcome.errors,
        "command": command,
        "created": created,
    }
