"""ConsensusModel: one replication as a Mesa model, inspectable agent by agent.

The model owns the loop; each `step()` plays one round with the array rules of
`sim.engine.rules` (R = 1) and then writes the outcome back onto the agents, so a
notebook or SolaraViz sees `MemberAgent.stance` and `CandidateAgent.in_race` move.
"""

import mesa
import numpy as np

from sim.engine.agents import CandidateAgent, MemberAgent
from sim.engine.history import History
from sim.engine.rules import (
    NOT_APPOINTED,
    UNDECIDED,
    draw_events,
    draw_noise,
    initial_state,
    session_held,
    step,
)
from sim.engine.world import World, build_world
from sim.scenario.schema import Scenario


class ConsensusModel(mesa.Model):
    """Members converge (or not) on one candidate under the scenario's decision rule."""

    def __init__(self, scenario: Scenario | World, rng: int | None = None):
        super().__init__(rng=rng)
        self.world = scenario if isinstance(scenario, World) else build_world(scenario)
        # The uncertain events' draws, then all shocks, from this model's generator; a batch
        # replication with the same seed draws the same numbers (shocks round by round).
        self.event_draws = draw_events(self.rng, self.world)
        self.noise = draw_noise(self.rng, self.world)
        self.members = [MemberAgent(self, i) for i in range(len(self.world.members))]
        self.candidates = [CandidateAgent(self, c) for c in range(len(self.world.candidates))]
        self.state = initial_state(self.world, 1, self.event_draws[None])
        self.history = History(self.world)
        self.history.record(self.state)
        # Per round played: whether its session met in this run (one held by chance, or
        # convened once the rule is met, may not); True for a round without a session.
        self.held = [True]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                **{c.id: _supporters_of(c.index) for c in self.candidates},
                "undecided": undecided_count,
                "objectors": objector_count,
            },
            agenttype_reporters={MemberAgent: {"stance": "stance_label"}},
        )
        self._sync()
        self.datacollector.collect(self)

    @property
    def round(self) -> int:
        return len(self.history.stance) - 1

    @property
    def date(self):
        return self.world.dates[self.round]

    @property
    def winner(self) -> CandidateAgent | None:
        c = int(self.state.appointed[0])
        return None if c == NOT_APPOINTED else self.candidates[c]

    def step(self) -> None:
        t = self.round + 1
        self.held.append(bool(np.all(session_held(self.state, self.world.rounds[t].session))))
        self.state = step(self.state, self.world, t, self.noise[t - 1][None])
        self.history.record(self.state)
        self._sync()
        self.datacollector.collect(self)
        if self.winner is not None or t >= self.world.n_rounds:
            self.running = False

    def run(self) -> "ConsensusModel":
        """Step until appointment or the last round."""
        while self.running:
            self.step()
        return self

    def _sync(self) -> None:
        s = self.state
        active = self.world.rounds[self.round].active
        for m in self.members:
            c = int(s.stance[0, m.index])
            m.present = bool(active[m.index])
            m.stance = None if c == UNDECIDED else self.world.candidates[c]
            m.objections = tuple(
                cid for k, cid in enumerate(self.world.candidates) if s.objecting[0, m.index, k]
            )
        for cand in self.candidates:
            cand.in_race = bool(s.in_race[0, cand.index])
            wr = int(s.withdrawn_round[0, cand.index])
            cand.withdrawn_round = wr if wr >= 0 else None
            cand.supporters = int(np.sum(s.stance[0] == cand.index))


def _supporters_of(index: int):
    def supporters(model: ConsensusModel) -> int:
        return model.candidates[index].supporters

    return supporters


def undecided_count(model: ConsensusModel) -> int:
    """Members present that support no candidate."""
    return sum(1 for m in model.members if m.present and m.stance is None)


def objector_count(model: ConsensusModel) -> int:
    """Members present that threaten to block at least one candidate."""
    return sum(1 for m in model.members if m.present and m.objections)
