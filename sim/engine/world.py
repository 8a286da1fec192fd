"""The scenario as arrays: who the members and candidates are, and what holds in each round.

`World` is built once from a validated `Scenario` and shared by every replication:
rules become member x candidate matrices, dated events become the state of the
rules in each round (`World.rounds[t]`). Nothing here is random.
"""

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, timedelta
from functools import cached_property

import numpy as np

from sim.scenario.schema import PARAMETER_NAMES, Event, Parameters, Scenario


def select_members(selector: dict, scenario: Scenario) -> np.ndarray:
    """Boolean mask (N,) of members matching a selector; `{}` selects everyone."""
    return np.array([_matches(selector, m.code, m.attributes, "codes") for m in scenario.members])


def select_candidates(selector: dict, scenario: Scenario) -> np.ndarray:
    """Boolean mask (C,) of candidates matching a selector (`ids`, `home`, attributes)."""
    out = []
    for c in scenario.candidates:
        attrs = {**c.attributes, "home": c.home}
        out.append(_matches(selector, c.id, attrs, "ids"))
    return np.array(out)


def _matches(selector: dict, ident: str, attrs: dict, id_key: str) -> bool:
    for key, want in selector.items():
        have = ident if key == id_key else attrs.get(key)
        if isinstance(want, dict):  # range
            if not isinstance(have, int | float) or isinstance(have, bool):
                return False
            if "min" in want and have < want["min"]:
                return False
            if "max" in want and have > want["max"]:
                return False
        elif isinstance(want, list):
            if have not in want:
                return False
        elif have != want:
            return False
    return True


@dataclass(frozen=True)
class Rule:
    """One preference, grievance or tie rule: where it applies, how much, and why."""

    id: str
    kind: str
    mask: np.ndarray  # (N, C) for preferences and grievances, (N, N) for ties
    sources: tuple[str, ...]
    assumption: bool


# Capabilities and tie weights are counted in whole units of these sizes, held as floats:
# every sum of them a rule takes is then a whole number below 2**53, exact whatever the
# order of addition, so a share or a tie signal cannot depend on how many replications a
# matrix product holds (BLAS splits the work by shape). See docs/ODD.md 7.3.
CAPABILITY_UNIT = 2.0**-20  # capability lies in (0, 1]
TIE_UNIT = 2.0**-16  # tie weights lie in [0, 100] per rule


def in_units(values: np.ndarray, unit: float) -> np.ndarray:
    """`values` rounded to whole multiples of `unit`, counted in units (whole-valued floats)."""
    return np.rint(np.asarray(values, dtype=float) / unit)


@dataclass(frozen=True, slots=True)
class Params:
    """The behavioural parameters of one round, typed and frozen (docs/ODD.md 7.10).

    Built once per round from the validated `Parameters`; the rules read attributes,
    never string keys. Field names are those of `Parameters` (a test holds them equal).
    """

    w_pref: float
    w_ties: float
    w_band: float
    w_griev: float
    w_conc: float
    noise: float
    declare_threshold: float
    declare_margin: float
    switch_margin: float
    object_threshold: float
    lift_threshold: float
    pressure_days: float
    withdraw_gap: float
    withdraw_patience: int
    concede_share: float
    concession_size: float
    concessions_per_round: int

    @classmethod
    def of(cls, parameters: Parameters) -> "Params":
        """The typed copy of a scenario's `parameters:` block."""
        return cls(**{name: getattr(parameters, name) for name in PARAMETER_NAMES})

    def with_value(self, name: str, value: float) -> "Params":
        """A copy with one parameter changed (a `parameter` event), cast to its type."""
        kind = type(getattr(self, name))
        return replace(self, **{name: kind(value)})

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


PARAM_FIELDS = tuple(f.name for f in fields(Params))


@dataclass(frozen=True)
class RoundSetup:
    """What holds in one round: rule values, members present, parameters, deadline."""

    values: dict[str, float]  # rule id -> affinity, grievance weight or tie weight
    active: np.ndarray  # (N,) members of the organisation this round
    params: Params
    deadline: date
    enter: tuple[int, ...] = ()  # candidates entering the race this round
    withdraw: tuple[int, ...] = ()  # candidates forced out this round
    events: tuple[str, ...] = ()  # ids of the events applied this round


@dataclass
class World:
    """A compiled scenario: fixed facts plus the per-round state of the rules."""

    scenario: Scenario
    members: list[str]
    candidates: list[str]
    capability: np.ndarray  # (N,)
    salience: np.ndarray  # (N,)
    home: np.ndarray  # (C,) member index of each candidate's home state
    initial: np.ndarray  # (N,) candidate index declared at the start, -1 if none
    in_race0: np.ndarray  # (C,) in the race at the start
    rules: dict[str, Rule]
    dates: list[date]  # date of each round, round 0 = calendar start
    rounds: list[RoundSetup] = field(default_factory=list)
    _matrices: dict = field(default_factory=dict, repr=False)

    @cached_property
    def home_mask(self) -> np.ndarray:
        """(N, C) True where the member is the candidate's home state."""
        mask = np.zeros((len(self.members), len(self.candidates)), dtype=bool)
        mask[self.home, np.arange(len(self.candidates))] = True
        return mask

    @cached_property
    def capability_units(self) -> np.ndarray:
        """(N,) capability in whole units of CAPABILITY_UNIT (exact sums, any order)."""
        return in_units(self.capability, CAPABILITY_UNIT)

    @property
    def n_rounds(self) -> int:
        """Rounds simulated after the start (round 0 is the starting position)."""
        return len(self.dates) - 1

    def matrices(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Affinity (N,C), grievance (N,C) and row-normalised ties (N,N) in round t."""
        return self._round_matrices(t)[:3]

    def tie_units(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Round t's ties as whole TIE_UNITs (N, N) and each row's total (N,): the normalised
        tie i -> j is units[i, j] / total[i] (0 for a silent row)."""
        return self._round_matrices(t)[3:]

    def _round_matrices(self, t: int):
        if t not in self._matrices:
            self._matrices[t] = self._build_matrices(t)
        return self._matrices[t]

    def _build_matrices(self, t: int):
        setup = self.rounds[t]
        n, c = len(self.members), len(self.candidates)
        affinity, grievance, ties = np.zeros((n, c)), np.zeros((n, c)), np.zeros((n, n))
        for rule in self.rules.values():
            target = {"preference": affinity, "grievance": grievance, "tie": ties}[rule.kind]
            target += setup.values[rule.id] * rule.mask
        units, totals = tie_units(ties, setup.active)
        return affinity, grievance, normalise_ties(units, totals), units, totals


def tie_units(raw: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tie weights to the other members present, in whole TIE_UNITs, and each row's total."""
    units = in_units(raw, TIE_UNIT) * active[None, :] * (1 - np.eye(len(active)))
    return units, units.sum(axis=1)


def normalise_ties(units: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Row-normalised ties from units and row totals; a silent row stays zero."""
    col = totals[:, None]
    return np.divide(units, col, out=np.zeros_like(units), where=col > 0)


def build_world(scenario: Scenario) -> World:
    """Compile a validated scenario into arrays and a round-by-round setup."""
    members = [m.code for m in scenario.members]
    candidates = [c.id for c in scenario.candidates]
    m_index = {code: i for i, code in enumerate(members)}
    c_index = {cid: i for i, cid in enumerate(candidates)}

    rules: dict[str, Rule] = {}
    for kind, items in (("preference", scenario.preferences), ("grievance", scenario.grievances)):
        for r in items:
            who = select_members(r.members, scenario)
            if r.candidate is not None:
                whom = np.array([cid == r.candidate for cid in candidates])
            else:
                whom = select_candidates(r.candidates, scenario)
            mask = np.outer(who, whom).astype(float)
            rules[r.id] = Rule(r.id, kind, mask, tuple(r.source_ids()), bool(r.assumption))
    for t in scenario.ties:
        mask = np.outer(select_members(t.from_, scenario), select_members(t.to, scenario))
        rules[t.id] = Rule(
            t.id, "tie", mask.astype(float), tuple(t.source_ids()), bool(t.assumption)
        )

    cal = scenario.calendar
    # The last round is the first round date on or after `last_round`, so that every
    # event the calendar admits falls in some round.
    dates, d = [cal.start], cal.start
    while d < cal.last_round:
        d += timedelta(days=cal.round_days)
        dates.append(d)

    joining = {e.member for e in scenario.events if e.kind == "join"}
    start = scenario.calendar.start
    entering = {e.candidate for e in scenario.events if e.kind == "enter" and e.date > start}
    out_at_start = {
        e.candidate for e in scenario.events if e.kind == "withdraw" and e.date <= start
    }
    world = World(
        scenario=scenario,
        members=members,
        candidates=candidates,
        capability=np.array([m.capability for m in scenario.members]),
        salience=np.array([m.salience for m in scenario.members]),
        home=np.array([m_index[c.home] for c in scenario.candidates]),
        initial=np.array([c_index[m.initial] if m.initial else -1 for m in scenario.members]),
        in_race0=np.array([cid not in entering | out_at_start for cid in candidates]),
        rules=rules,
        dates=dates,
    )
    world.rounds = _timeline(world, scenario, joining, m_index, c_index)
    return world


def _timeline(world: World, scenario: Scenario, joining, m_index, c_index) -> list[RoundSetup]:
    """Apply dated events in order: an event dated after round t-1's date acts in round t."""
    setup = RoundSetup(
        values={
            **{p.id: p.affinity for p in scenario.preferences},
            **{g.id: g.weight for g in scenario.grievances},
            **{t.id: t.weight for t in scenario.ties},
        },
        active=np.array([code not in joining for code in world.members]),
        params=Params.of(scenario.parameters),
        deadline=scenario.calendar.deadline,
    )
    events = sorted(scenario.events, key=lambda e: e.date)
    rounds, pending = [], list(events)
    for t, day in enumerate(world.dates):
        # Round 0 is the starting position; events on the start date are part of it.
        due = [e for e in pending if e.date <= day]
        pending = [e for e in pending if e.date > day]
        setup = _apply(setup, due, m_index, c_index)
        if t == 0:
            setup = replace(setup, enter=(), withdraw=())
        rounds.append(setup)
    return rounds


def _apply(setup: RoundSetup, events: list[Event], m_index, c_index) -> RoundSetup:
    values, active, params = dict(setup.values), setup.active.copy(), setup.params
    deadline, enter, withdraw = setup.deadline, [], []
    for e in events:
        match e.kind:
            case "join":
                active[m_index[e.member]] = True
            case "enter":
                enter.append(c_index[e.candidate])
            case "withdraw":
                withdraw.append(c_index[e.candidate])
            case "grievance" | "tie" | "preference":
                values[getattr(e, e.kind)] = e.value
            case "parameter":
                params = params.with_value(e.parameter, e.value)
            case "deadline":
                deadline = e.deadline
    return RoundSetup(
        values, active, params, deadline, tuple(enter), tuple(withdraw), tuple(e.id for e in events)
    )
