"""The Mesa agents: member states and candidates, carrying what the rules decided."""

import mesa


class MemberAgent(mesa.Agent):
    """A member state as a Mesa agent: its voice, its stance, and the candidates it threatens to block."""

    def __init__(self, model, index: int):
        super().__init__(model)
        spec = model.world.scenario.members[index]
        self.index = index
        self.code, self.name = spec.code, spec.name
        self.capability, self.salience = spec.capability, spec.salience
        self.attributes = dict(spec.attributes)
        self.stance: str | None = None  # candidate id, or None while undecided
        self.objections: tuple[str, ...] = ()
        self.present = False

    @property
    def stance_label(self) -> str:
        if not self.present:
            return "absent"
        return self.stance or "undecided"


class CandidateAgent(mesa.Agent):
    """A candidate as a Mesa agent: in the race or withdrawn, with its camp's supporters."""

    def __init__(self, model, index: int):
        super().__init__(model)
        spec = model.world.scenario.candidates[index]
        self.index = index
        self.id, self.name, self.home = spec.id, spec.name, spec.home
        self.attributes = dict(spec.attributes)
        self.in_race = False
        self.withdrawn_round: int | None = None
        self.supporters = 0
