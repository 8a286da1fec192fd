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
        self.block = max(1, min(t, BLOCK_DRAWS // max(n * c, 1)))
        self.buffer = np.zeros((len(seeds), self.block, n, c))
        self.drawn = 0  # rounds drawn so far

    def draw(self, t: int, playing: np.ndarray) -> np.ndarray:
        """(R, N, C) shocks of round t; replications not playing get zeros."""
        if t > self.drawn:
            self.buffer[~playing] = 0.0
            self.streams.fill(self.buffer, np.flatnonzero(playing).tolist())
            self.drawn += self.block
        return self.buffer[:, (t - 1) % self.block]
