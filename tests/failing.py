"""Faults injected into batches: a `simulate` that raises for chosen seeds (batches must
record such failures and go on), a batch stopped after some chunks (as Ctrl-C would), a
guard that fails if a whole batch is put together in memory, and a command killed (SIGKILL)
once it has written enough."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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


def kill_when(script: str, args: list[str], written: Callable[[], bool]) -> None:
    """Run `python -c script ARGS` in a child and SIGKILL it as soon as `written()` holds
    (no handler runs: only what the child has on disk counts)."""
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    child = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        give_up = time.monotonic() + 120  # a guard against a hung child, not a timing
        while not written():
            assert child.poll() is None and time.monotonic() < give_up
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()


# A command whose chunks are each written 0.3 s late: time for a parent to SIGKILL it
# between chunks (`kill_when`).
SLOW_CHUNKS_CHILD = """\
import sys, time
import sim.batching.runner as runner
real = runner.write_chunk
def slow(*a):  # time for the parent to kill it between chunks
    time.sleep(0.3)
    return real(*a)
runner.write_chunk = slow
from sim.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def count_chunks(monkeypatch) -> list[str]:
    """The names of the chunks written from now on (the list grows as they are)."""
    import sim.batching.runner as runner

    real, written = runner.write_chunk, []

    def counted(out, plan, result):
        written.append(result.chunk.name)
        real(out, plan, result)

    monkeypatch.setattr(runner, "write_chunk", counted)
    return written


def counted_calls(monkeypatch, module, name: str):
    """Count the calls of `module.name`; `calls.stop_at = k` interrupts the k-th (as Ctrl-C
    or a kill in the middle of it would). Returns the counter (`count`, `stop_at`)."""
    real = getattr(module, name)

    class Calls:
        count, stop_at = 0, None

    def counted(*a, **k):
        Calls.count += 1
        if Calls.count == Calls.stop_at:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(module, name, counted)
    return Calls
