"""Run replications round by round and keep what each round looked like."""

from dataclasses import dataclass, field

import numpy as np

from sim.dynamics import State, initial_state, noise_shape, step
from sim.streams import NormalStreams
from sim.world import World

BLOCK_DRAWS = 256  # normals per replication per draw call: a call costs about 100 normals
# Replications played together. Larger groups amortise numpy's per-call cost no further
# and their arrays no longer fit the CPU cache (measured: 1,000 at a time is ~20% faster
# than 10,000).
BLOCK_REPS = 1024


@dataclass
class History:
    """The rounds of R replications: per-round stances and objections, and the final state."""

    PER_ROUND = ("stance", "objecting", "in_race")  # fields kept round by round

    world: World
    stance: list[np.ndarray] = field(default_factory=list)  # per round, (R, N)
    objecting: list[np.ndarray] = field(default_factory=list)  # per round, (R, N, C)
    in_race: list[np.ndarray] = field(default_factory=list)  # per round, (R, C)
    final: State | None = None

    def record(self, state: State) -> None:
        self.stance.append(state.stance)
        self.objecting.append(state.objecting)
        self.in_race.append(state.in_race)
        self.final = state

    @classmethod
    def joined(cls, parts: list["History"]) -> "History":
        """One history of the replications of `parts`, in order. A part that ended early
        holds its last position in the rounds the others played on."""
        rounds = max(len(h.stance) for h in parts)
        whole = cls(parts[0].world)
        for name in cls.PER_ROUND:
            per_part = [getattr(h, name) for h in parts]
            for t in range(rounds):
                pieces = [rows[min(t, len(rows) - 1)] for rows in per_part]
                getattr(whole, name).append(np.concatenate(pieces))
        whole.final = State.joined([h.final for h in parts])
        return whole

    @property
    def last_round(self) -> np.ndarray:
        """(R,) the round each replication ended: its appointment, or the last round."""
        f = self.final
        return np.where(f.appointed_round >= 0, f.appointed_round, self.world.n_rounds)


class Shocks:
    """Each replication's own stream (that of `default_rng(seed)`), drawn a few rounds ahead.

    Drawing in blocks of rounds gives the same numbers as drawing round by round and
    spends less time switching streams; replications that are over draw nothing more.
    """

    def __init__(self, world: World, seeds: list[int]):
        self.streams = NormalStreams(seeds)
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


def simulate(world: World, seeds: list[int]) -> History:
    """Play every round for one replication per seed, stopping when all are decided."""
    if len(seeds) <= BLOCK_REPS:
        return _simulate(world, seeds)
    blocks = range(0, len(seeds), BLOCK_REPS)
    return History.joined([_simulate(world, seeds[k : k + BLOCK_REPS]) for k in blocks])


def _simulate(world: World, seeds: list[int]) -> History:
    """Play one group of replications; only those still open are played each round."""
    shocks = Shocks(world, seeds)
    state = initial_state(world, len(seeds))
    history = History(world)
    history.record(state)
    live, rows = state, np.arange(len(seeds))  # the open replications, and which they are
    for t in range(1, world.n_rounds + 1):
        if not len(rows):
            break
        playing = np.zeros(len(seeds), dtype=bool)
        playing[rows] = True
        eps = shocks.draw(t, playing)
        everyone = len(rows) == len(seeds)
        played = step(live, world, t, eps if everyone else eps[rows])
        # Once some have ended, merge; the arrays History keeps per round stay untouched.
        state = played if everyone else state.put(rows, played, fresh=History.PER_ROUND)
        history.record(state)
        still = played.open
        if not still.all():
            live, rows = played.take(still), rows[still]
        else:
            live = played
    return history
