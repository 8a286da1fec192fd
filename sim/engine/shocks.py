"""Each replication's shocks, drawn from its own stream a few rounds ahead."""

import numpy as np

from sim.engine.rules import noise_shape
from sim.engine.streams import NormalStreams
from sim.engine.world import World

BLOCK_DRAWS = 256  # normals per replication per draw call: a call costs about 100 normals


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
        self.buffer = np.zeros((len(seeds), self.block, n, c))  # as each stream draws them
        self.utility = self.offers = self.buffer  # round-major copies, see `draw`
        self.drawn = 0  # rounds drawn so far

    def draw(self, t: int, playing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Round t's utility shocks (R, N, C) and offer shocks (R, N, O), each a view of a
        candidate-major array, contiguous in (C, R, N) (see `rules.split_shocks`, and
        `rules.utility` for why); replications not playing get zeros."""
        if t > self.drawn:
            self.buffer[~playing] = 0.0
            self.streams.fill(self.buffer, np.flatnonzero(playing).tolist())
            self.utility, self.offers = _round_major(self.buffer, self.candidates)
            self.drawn += self.block
        k = (t - 1) % self.block
        return self.utility[k].transpose(1, 2, 0), self.offers[k].transpose(1, 2, 0)


def _round_major(buffer: np.ndarray, c: int) -> tuple[np.ndarray, np.ndarray]:
    """(block, C, R, N) and (block, O, R, N) copies of a (R, block, N, C + O) buffer.

    The rules read each round's shocks several times; a slice [..., :C] of the buffer has
    a short, strided last axis that numpy walks ten times slower than a contiguous array.
    Copied one shock column at a time (a long inner loop), not as one short-axis slice.
    """
    rounds = buffer.swapaxes(0, 1)
    utility = np.empty((rounds.shape[0], c, *rounds.shape[1:3]))
    offers = np.empty((rounds.shape[0], rounds.shape[3] - c, *rounds.shape[1:3]))
    for k in range(rounds.shape[3]):
        target = utility[:, k] if k < c else offers[:, k - c]
        target[...] = rounds[..., k]
    return utility, offers
