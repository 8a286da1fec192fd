"""Batches: the plan (points, chunks, seeds), executors, crash-safe chunked writing, resume."""

from sim.batching.executors import InlineExecutor, make_executor
from sim.batching.folder import prepare_folder
from sim.batching.plan import Chunk, Plan, Point, plan_batch, replication_seed, replication_seeds
from sim.batching.points import point_world, read_point
from sim.batching.runner import BatchOutcome, batch_manifest, run_batch
from sim.batching.worker import run_chunk

__all__ = [
    "BatchOutcome", "Chunk", "InlineExecutor", "Plan", "Point", "batch_manifest",
    "make_executor", "plan_batch", "point_world", "prepare_folder", "read_point",
    "replication_seed", "replication_seeds", "run_batch", "run_chunk",
]  # fmt: skip
