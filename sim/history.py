"""Run replications round by round and keep what each round looked like."""

from dataclasses import dataclass, field

import numpy as np

from sim.dynamics import State, initial_state, noise_shape, step
from sim.world import World


@dataclass
class History:
    """The rounds of R replications: per-round stances and objections, and the final state."""

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

    @property
    def last_round(self) -> np.ndarray:
        """(R,) the round each replication ended: its appointment, or the last round."""
        f = self.final
        return np.where(f.appointed_round >= 0, f.appointed_round, self.world.n_rounds)


class Shocks:
    """Each replication's own generator, drawing its (N, C) shocks one round at a time."""

    def __init__(self, world: World, seeds: list[int]):
        self.generators = [np.random.default_rng(s) for s in seeds]
        self.shape = noise_shape(world)[1:]

    def draw(self, playing: np.ndarray) -> np.ndarray:
        """(R, N, C) shocks for the next round; replications not playing draw nothing."""
        out = np.zeros((len(self.generators), *self.shape))
        for r in np.flatnonzero(playing):
            self.generators[r].standard_normal(out=out[r])
        return out


def simulate(world: World, seeds: list[int]) -> History:
    """Play every round for one replication per seed, stopping when all are decided."""
    shocks = Shocks(world, seeds)
    state = initial_state(world, len(seeds))
    history = History(world)
    history.record(state)
    for t in range(1, world.n_rounds + 1):
        if not state.open.any():
            break
        state = step(state, world, t, shocks.draw(state.open))
        history.record(state)
    return history
