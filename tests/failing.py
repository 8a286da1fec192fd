"""A `simulate` that raises for chosen seeds: batches must record such failures and go on."""

from sim.batching import worker


def fail_for(monkeypatch, seeds) -> None:
    """Make every batch simulation that includes one of `seeds` raise FloatingPointError."""
    bad, real = set(seeds), worker.simulate

    def flaky(world, chunk_seeds, *points):
        if bad & set(chunk_seeds):
            raise FloatingPointError("injected failure")
        return real(world, chunk_seeds, *points)

    monkeypatch.setattr(worker, "simulate", flaky)
