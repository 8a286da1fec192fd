"""The record of a run: what each round looked like, and the final state."""

from dataclasses import dataclass, field

import numpy as np

from sim.engine.rules import State
from sim.engine.world import World


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
