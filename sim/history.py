"""Run replications round by round and keep what each round looked like."""

from dataclasses import dataclass, field

import numpy as np

from sim.dynamics import State, draw_noise, initial_state, step
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


def noise_for(world: World, seeds: list[int]) -> np.ndarray:
    """(T+1, R, N, C) shocks, replication r drawn from `default_rng(seeds[r])` alone."""
    draws = [draw_noise(np.random.default_rng(s), world) for s in seeds]
    return np.stack(draws, axis=1)


def simulate(world: World, noise: np.ndarray) -> History:
    """Play every round for the replications whose noise is given, stopping when all are decided."""
    state = initial_state(world, noise.shape[1])
    history = History(world)
    history.record(state)
    for t in range(1, world.n_rounds + 1):
        if not state.open.any():
            break
        state = step(state, world, t, noise[t])
        history.record(state)
    return history
