"""A batch's results folder: its plan, finished chunks, resume, and merging the chunks."""

import io
import json
import shutil
from pathlib import Path

import numpy as np

from sim.batching.plan import Plan
from sim.batching.worker import ARRAYS, ChunkResult
from sim.engine.world import build_world
from sim.errors import Problem, ScenarioError
from sim.results.files import write_atomic, write_json
from sim.results.tables import DECLARATIONS_COLUMNS, SUPPORT_COLUMNS
from sim.scenario.schema import Scenario


class BatchFolderError(ScenarioError):
    """An output folder that holds a different batch."""


def prepare_folder(out: Path, plan: Plan) -> None:
    """Create `out` for this plan, or check that it already belongs to this very batch."""
    recorded = out / "batch.json"
    if recorded.exists():
        key = json.loads(recorded.read_text()).get("key")
        if key != plan.key:
            msg = "holds a different batch (scenario, sweep, runs, seed or chunk differ); choose another --out"
            raise BatchFolderError([Problem(str(out), None, "", msg)])
        return
    if out.exists() and any(out.iterdir()):
        raise BatchFolderError(
            [Problem(str(out), None, "", "is not empty and holds no batch; choose another --out")]
        )
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    # Each point's resolved scenario, so the folder can be read (and any replication
    # replayed) exactly, even after the scenario file changes or from another directory.
    (out / "points").mkdir(exist_ok=True)
    for point in plan.points:
        text = point.scenario.model_dump_json(by_alias=True, indent=1)
        write_atomic(out / "points" / f"p{point.index:04d}.json", text)
    write_json(recorded, plan.describe())


def done_chunks(out: Path, plan: Plan) -> set[str]:
    """Names of chunks whose files are complete (their `.done` marker is written last)."""
    done = set()
    for chunk in plan.chunks:
        marker = out / "chunks" / f"{chunk.name}.done"
        if marker.exists() and json.loads(marker.read_text()).get("key") == plan.key:
            done.add(chunk.name)
    return done


def write_chunk(out: Path, plan: Plan, result: ChunkResult) -> None:
    """Write a chunk's files, each atomically, and then its marker."""
    base = out / "chunks" / result.chunk.name
    write_atomic(base.with_suffix(".runs.csv"), result.runs_csv)
    write_atomic(base.with_suffix(".support.csv"), result.support_csv)
    write_atomic(base.with_suffix(".declarations.csv"), result.declarations_csv)
    buf = io.BytesIO()
    np.savez(buf, **result.arrays)
    write_atomic(base.with_suffix(".npz"), buf.getvalue())
    marker = {"key": plan.key, "runs": result.chunk.stop - result.chunk.start,
              "errors": result.errors, "seconds": round(result.seconds, 4)}  # fmt: skip
    write_atomic(base.with_suffix(".done"), json.dumps(marker))


def merge(out: Path, plan: Plan) -> None:
    """Join the chunks, in order, into the batch's tables and trajectory arrays."""
    for table, columns in (
        ("runs", plan.runs_columns),
        ("support", SUPPORT_COLUMNS),
        ("declarations", DECLARATIONS_COLUMNS),
    ):
        target = out / f"{table}.csv"
        tmp = target.with_name(target.name + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(columns) + "\n")
            for chunk in plan.chunks:
                with (out / "chunks" / f"{chunk.name}.{table}.csv").open(encoding="utf-8") as part:
                    shutil.copyfileobj(part, fh)
        tmp.replace(target)
    arrays = {}
    for point in plan.points:
        parts = [
            np.load(out / "chunks" / f"{c.name}.npz") for c in plan.chunks if c.point == point.index
        ]
        for name in ARRAYS:
            arrays[f"p{point.index}_{name}"] = np.concatenate([p[name] for p in parts])
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    write_atomic(out / "trajectories.npz", buf.getvalue())


def load_trajectories(out: Path, point: int = 0) -> dict[str, np.ndarray]:
    """A point's (R, T+1, C) supporters, capability_share, objectors and (R, T+1) undecided."""
    with np.load(Path(out) / "trajectories.npz") as data:
        return {name: data[f"p{point}_{name}"] for name in ARRAYS}


def point_world(out: Path, point: int = 0):
    """The World a point of a finished batch ran on (to replay one replication, say)."""
    text = (Path(out) / "points" / f"p{point:04d}.json").read_text()
    return build_world(Scenario.model_validate_json(text))
