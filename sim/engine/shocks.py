"""Each replication's shocks, drawn from its own stream a few rounds ahead."""

import numpy as np

from sim.engine.rules import noise_shape
from sim.engine.streams import NormalStreams
from sim.engine.world import World

# Normals per replication per draw call. A call costs about as much as 100 normals; rounds
# drawn past a replication's end are wasted. Measured on nato-2024 (96 a round, ~17 rounds):
# 512 (5 rounds a call) draws faster than 256 (2 rounds); any block gives the same numbers.
BLOCK_DRAWS = 512


class Shocks:
    """Each replication's own stream (that of `default_rng(seed)`), drawn a few rounds ahead.

    Drawing in blocks of rounds gives the same numbers as drawing round by round and
    spends less time switching streams; replications that are over draw nothing more.
    """

    def __init__(self, world: World, seeds: list[int]):
        self.streams = NormalStreams(seeds)
        # Each stream's first draws decide the uncertain events (`rules.draw_events`).
        self.event_draws = self.streams.uniforms(len(world.uncertain))
        t, n, c = noise_shape(world)
        self.candidates = len(world.candidates)
        self.block = max(1, min(t, BLOCK_DRAWS // max(n * c, 1)))
        self.rounds, self.shape = t, (n, c)
        self.rows = np.zeros(0, dtype=np.intp)  # the replications of the drawn block
        # Two arrays of one block of every replication, reused by each block: fresh ones
        # of several MB cost a page fault per 4 kB each time (measured: ~5% of the core).
        size = len(seeds) * self.block * n * c
        self.storage = np.empty(size), np.empty(size)
        self.utility = self.offers = np.zeros((self.block, 0, 0, 0))  # see `draw`
        self.drawn = 0  # rounds drawn so far

    def draw(self, t: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Round t's utility shocks (R, N, C) and offer shocks (R, N, O) of the replications
        `rows` (increasing; those of a later round of a block are among the earlier ones),
        each a view of a candidate-major array, contiguous in (C, R, N) (see
        `rules.split_shocks`, and `rules.utility` for why), valid until the next call."""
        k = (t - 1) % self.block
        if t > self.drawn:
            # Only the replications still playing draw, and only they are laid out.
            block = min(self.block, self.rounds - self.drawn)  # none past the last round
            shape = (len(rows), block, *self.shape)  # as each stream draws them
            buffer = _array(self.storage[0], shape)
            self.streams.fill(buffer, rows.tolist())
            self.utility, self.offers = _round_major(buffer, self.candidates, self.storage[1])
            self.rows = rows
            self.drawn += self.block
        util, offers = self.utility[k], self.offers[k]  # (C, R, N) and (O, R, N)
        if len(rows) != len(self.rows):  # some ended earlier in this block
            at = np.searchsorted(self.rows, rows)
            util, offers = np.take(util, at, axis=1), np.take(offers, at, axis=1)
        return util.transpose(1, 2, 0), offers.transpose(1, 2, 0)


def _array(storage: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A C-contiguous array of `shape` over the start of a flat `storage`."""
    return storage[: int(np.prod(shape))].reshape(shape)


def _round_major(buffer: np.ndarray, c: int, storage: np.ndarray | None = None):
    """(block, C, R, N) and (block, O, R, N) views of one (block, C + O, R, N) copy of a
    (R, block, N, C + O) buffer, written over `storage` (flat) if given.

    The rules read each round's shocks several times; a slice [..., :C] of the buffer has
    a short, strided last axis that numpy walks ten times slower than a contiguous array.
    One transposing copy of the whole block (measured: twice as fast as a copy per column).
    """
    source = buffer.transpose(1, 3, 0, 2)
    rounds = np.empty(source.shape) if storage is None else _array(storage, source.shape)
    np.copyto(rounds, source)
    return rounds[:, :c], rounds[:, c:]
