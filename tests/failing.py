"""Faults injected into batches: a `simulate` that raises for chosen seeds (batches must
record such failures and go on), a batch stopped after some chunks (as Ctrl-C would), and a
guard that fails if a whole batch is put together in memory."""

from sim.batching import folder as batch_folder
from sim.batching import worker
from sim.results.results import Results


def fail_for(monkeypatch, seeds) -> None:
    """Make every batch simulation that includes one of `seeds` raise FloatingPointError."""
    bad, real = set(seeds), worker.simulate

    def flaky(world, chunk_seeds, *points):
        if bad & set(chunk_seeds):
            raise FloatingPointError("injected failure")
        return real(world, chunk_seeds, *points)

    monkeypatch.setattr(worker, "simulate", flaky)


def stop_after_chunks(monkeypatch, after: int) -> None:
    """Stop the batch (as Ctrl-C would) once `after` chunks are written."""
    real, written = batch_folder.write_chunk, []

    def write_then_stop(out, plan, result):
        real(out, plan, result)
        written.append(result.chunk.name)
        if len(written) >= after:
            raise KeyboardInterrupt

    monkeypatch.setattr("sim.batching.runner.write_chunk", write_then_stop)


def forbid_merging(monkeypatch, most: int = 20) -> None:
    """Fail if more than a chunk (at most `most` replications) is put together in memory:
    a worker joins the points of its chunk, nothing joins the batch."""
    real = Results.concat.__func__

    def guarded(cls, parts):
        if sum(p.n_runs for p in parts) > most:
            raise AssertionError("the batch was merged in memory")
        return real(cls, parts)

    monkeypatch.setattr(Results, "concat", classmethod(guarded))
