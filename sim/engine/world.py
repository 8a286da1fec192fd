"""The scenario as arrays: who the members and candidates are, and what holds in each round.

`World` is built once from a validated `Scenario` and shared by every replication:
rules become member x candidate matrices, dated events become the state of the
rules in each round (`World.rounds[t]`). Nothing here is random.
"""

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, timedelta
from functools import cached_property

import numpy as np

from sim.scenario.schema import (
    PARAMETER_NAMES,
    STATE_EVENTS,
    Decision,
    DecisionChange,
    Event,
    Parameters,
    Scenario,
)


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


@dataclass(frozen=True, eq=False)
class ByPoint:
    """A value that differs between the points stacked in one world (`stack_worlds`): one
    per point along the leading axis, (P, ...). The rules read each replication's own
    (`values[state.point]`)."""

    values: np.ndarray


def merged(items: list):
    """One dataclass from same-typed ones, one per stacked point: a field equal in all of
    them keeps its value; a field that differs becomes a `ByPoint` of every point's value."""
    first = items[0]
    if len(items) == 1:
        return first
    changes = {}
    for f in fields(first):
        stacked = np.array([getattr(x, f.name) for x in items])
        if not (stacked == stacked[0]).all():
            changes[f.name] = ByPoint(stacked)
    return replace(first, **changes) if changes else first


@dataclass(frozen=True, slots=True)
class Params:
    """The behavioural parameters of one round, typed and frozen (docs/ODD.md 7.10).

    Built once per round from the validated `Parameters`; the rules read attributes,
    never string keys. Field names are those of `Parameters` (a test holds them equal).
    In a world of stacked points a parameter that differs between them is a `ByPoint`.
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
    withdraw_share: float
    major_capability: float
    withdraw_notice_days: float
    leverage_gain: float
    price_base: float
    price_grievance: float
    price_leverage: float
    offer_rate: float
    offer_pivotal: float
    offer_budget: float
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
class Act:
    """A dated event that acts on each replication's state (`STATE_EVENTS`)."""

    kind: str  # enter, withdraw, declare, object, lift, abstain, reset
    member: int  # member index, -1 if none
    candidate: int  # candidate index, -1 if none
    uncertain: int  # index into World.uncertain, -1 if certain


@dataclass(frozen=True)
class SessionInfo:
    """A meeting of the organisation held in this round."""

    id: str
    name: str
    kind: str  # formal or indicative
    eliminate: int  # candidates asked to withdraw at it, 0 if none
    approval: bool  # members give approval positions at it
    by_members: bool = False  # the elimination counts heads, not capability
    preferences: int = 0  # each member names its k best for the elimination; 0: its stance
    uncertain: int = -1  # index into World.uncertain if it is held only by chance, else -1
    notice: int = -1  # days: convened once the rule is met (`convened_after_days`); -1 not
    ready_by: int = -1  # convened: the rule must have held since this round or an earlier one

    @property
    def convened(self) -> bool:
        """Called once the decision rule is met (`convened_after_days:`)."""
        return self.notice >= 0


@dataclass(frozen=True)
class BrokerInfo:
    """A third party that offers concessions (`brokers:`), as masks."""

    id: str
    members: np.ndarray  # (N,) the broker's members
    candidate: int  # candidate index it courts for, -1 = whoever leads
    targets: np.ndarray  # (N,) members it may court


@dataclass(frozen=True)
class RoundSetup:
    """What holds in one round: rule values, members present, parameters, deadline, rule."""

    values: dict[str, float]  # rule id -> affinity, grievance weight or tie weight
    active: np.ndarray  # (N,) members of the organisation this round
    params: Params
    deadline: date  # the hard date (calendar.deadline, or a `deadline` event)
    decision: Decision  # the rule in force (a `rule` event changes it; a session overrides)
    acts: tuple[Act, ...] = ()  # state events this round, in date order
    events: tuple[str, ...] = ()  # ids of the events applied this round
    session: SessionInfo | None = None
    formal: bool = True  # the decision rule is tested this round
    pressure_date: date | None = None  # the deadline for pressure: the last formal session
    days_to_formal: float = 0.0  # days to the next formal session (this one: 0)


@dataclass
class World:
    """A compiled scenario: fixed facts plus the per-round state of the rules."""

    scenario: Scenario
    members: list[str]
    candidates: list[str]
    capability: np.ndarray  # (N,)
    salience: np.ndarray  # (N,)
    home: np.ndarray  # (C,) member index of each candidate's home state, -1 if none
    sponsor: np.ndarray  # (C,) member index of the member that nominates it, -1 if a non-member
    initial: np.ndarray  # (N,) candidate index declared at the start, -1 if none
    in_race0: np.ndarray  # (C,) in the race at the start
    objects0: np.ndarray  # (N, C) objections held at the start (`objects:`)
    rules: dict[str, Rule]
    dates: list[date]  # date of each round, round 0 = calendar start
    rounds: list[RoundSetup] = field(default_factory=list)
    brokers: list[BrokerInfo] = field(default_factory=list)
    uncertain: list[tuple[str, float]] = field(default_factory=list)  # (event id, probability)
    bargaining: bool = False  # sessions or brokers: offers at sessions, drawn by chance
    convenes: bool = False  # some session is convened once the rule is met: track readiness
    stack: list["World"] = field(default_factory=list)  # the point worlds stacked (empty: one)
    # the world `reparameterised` made this one from: they share all but the parameters
    compiled_from: "World | None" = field(default=None, repr=False, compare=False)
    _matrices: dict = field(default_factory=dict, repr=False)
    _rule_constants: dict = field(default_factory=dict, repr=False)  # rules.constants, per round

    @cached_property
    def home_mask(self) -> np.ndarray:
        """(N, C) True where the member is the candidate's home state."""
        mask = np.zeros((len(self.members), len(self.candidates)), dtype=bool)
        has = self.home >= 0
        mask[self.home[has], np.flatnonzero(has)] = True
        return mask

    @cached_property
    def home_siblings(self) -> list[tuple[int, ...]]:
        """Per candidate, the other candidates with the same home state."""
        return [
            tuple(k for k, j in enumerate(self.home) if k != c and j == i and i >= 0)
            for c, i in enumerate(self.home)
        ]

    @cached_property
    def may_hold_out(self) -> bool:
        """Standing objections can exist (`objects:` or `object` events), or bargaining."""
        acts = any(a.kind == "object" for r in self.rounds for a in r.acts)
        return self.bargaining or acts or bool(self.objects0.any())

    @property
    def session(self) -> list[SessionInfo | None]:
        """Per round, the session held in it (name, kind) or None."""
        return [r.session for r in self.rounds]

    @cached_property
    def offerers(self) -> int:
        """Who can offer concessions: the leading camp and each broker (0 without bargaining)."""
        return 1 + len(self.brokers) if self.bargaining else 0

    @cached_property
    def max_offers(self) -> int:
        """An upper bound on the offers one replication can make (the offer log's length)."""
        if self.stack:
            return max(w.max_offers for w in self.stack)
        per = [r.params.concessions_per_round for r in self.rounds[1:]]
        if not self.bargaining:
            return min(sum(per), len(self.members) * len(self.candidates))
        held = [p for p, r in zip(per, self.rounds[1:], strict=True) if r.session is not None]
        return sum(held) * self.offerers

    def can_block(self, t: int) -> np.ndarray:
        """(N,) members whose objection alone blocks an appointment in round t."""
        rule, active = self.rounds[t].decision, self.rounds[t].active
        if rule.rule == "qualified_majority":
            return np.isin(self.members, rule.veto) & active
        return active.copy()

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

    dates = scenario.round_dates()
    joining = {e.member for e in scenario.events if e.kind == "join"}
    start = scenario.calendar.start
    entering = {
        e.candidate
        for e in scenario.events
        if e.kind == "enter" and (e.date > start or e.probability is not None)
    }
    out_at_start = {
        e.candidate
        for e in scenario.events
        if e.kind == "withdraw" and e.date <= start and e.probability is None
    }
    floated = {c.id for c in scenario.candidates if not c.declared}
    objects0 = np.zeros((len(members), len(candidates)), dtype=bool)
    for i, m in enumerate(scenario.members):
        for cid in m.objects:
            objects0[i, c_index[cid]] = True
    world = World(
        scenario=scenario,
        members=members,
        candidates=candidates,
        capability=np.array([m.capability for m in scenario.members]),
        salience=np.array([m.salience for m in scenario.members]),
        home=np.array([m_index.get(c.home, -1) for c in scenario.candidates], dtype=np.int64),
        sponsor=np.array(
            [
                m_index.get(c.sponsor or (c.home if c.nominated_by is None else None), -1)
                for c in scenario.candidates
            ],
            dtype=np.int64,
        ),  # fmt: skip
        initial=np.array([c_index[m.initial] if m.initial else -1 for m in scenario.members]),
        in_race0=np.array([cid not in entering | out_at_start | floated for cid in candidates]),
        objects0=objects0,
        rules=rules,
        dates=dates,
        brokers=[_broker(b, scenario, m_index, c_index) for b in scenario.brokers],
        bargaining=bool(scenario.sessions or scenario.brokers),
        convenes=any(s.convened_after_days is not None for s in scenario.sessions),
    )
    world.rounds = _timeline(world, scenario, joining, m_index, c_index)
    return world


# What build_world compiles besides `parameters` (and a world keeps `scenario` itself).
_COMPILED = ("calendar", "decision", "candidates", "members", "preferences", "ties",
             "grievances", "events", "sessions", "brokers")  # fmt: skip


def reparameterised(world: World, scenario: Scenario) -> World | None:
    """`build_world(scenario)` for a scenario that differs from `world.scenario` at most in
    its `parameters:` block (a sweep point that sets only parameters), made from `world`
    without compiling again: every round's parameters are rebuilt, the rest is shared.

    Args:
        world: a world from `build_world` (not a stacked one).
        scenario: the other scenario.

    Returns:
        The new World, or None where `scenario` differs in another section.
    """
    old = world.scenario
    if world.stack or not all(
        getattr(old, n) is getattr(scenario, n) or getattr(old, n) == getattr(scenario, n)
        for n in _COMPILED
    ):
        return None
    # Each round's parameters as _timeline gives them: the block, then `parameter` events.
    events = {e.id: e for e in scenario.events if e.kind == "parameter"}
    params, rounds = Params.of(scenario.parameters), []
    for r in world.rounds:
        for e in (events[i] for i in r.events if i in events):
            params = params.with_value(e.parameter, e.value)
        rounds.append(_with_params(r, params))
    return replace(
        world,
        scenario=scenario,
        rounds=rounds,
        compiled_from=world.compiled_from or world,
        brokers=list(world.brokers),
        uncertain=list(world.uncertain),
        _matrices=world._matrices,  # rule values and members present: the same
        _rule_constants={},  # these read the parameters
    )


def _with_params(setup: RoundSetup, params: Params) -> RoundSetup:
    """`replace(setup, params=params)` without running the frozen class's __init__ again
    (a sweep of many points rebuilds every round of every point)."""
    out = object.__new__(RoundSetup)
    out.__dict__.update(setup.__dict__, params=params)
    return out


def _broker(b, scenario: Scenario, m_index, c_index) -> BrokerInfo:
    if b.member is not None:
        who = np.zeros(len(m_index), dtype=bool)
        who[m_index[b.member]] = True
    else:
        who = select_members(b.members, scenario)
    cand = c_index[b.for_] if b.for_ is not None else -1
    return BrokerInfo(b.id, who, cand, select_members(b.targets, scenario))


def changed(rule: Decision, change: DecisionChange | None) -> Decision:
    """The decision rule with the fields a session or `rule` event sets."""
    if change is None:
        return rule
    return rule.model_copy(update=change.model_dump(exclude_none=True))


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
        decision=scenario.decision,
    )
    # Events in date order (the file's order among equal dates); uncertain ones numbered.
    events = sorted(scenario.events, key=lambda e: e.date)
    for e in events:
        if e.probability is not None:
            world.uncertain.append((e.id, e.probability))
    # Sessions held by chance draw after the events, so that adding one leaves every
    # event's draw where it was.
    meetings = scenario.meetings()
    for s in meetings:
        if s.probability is not None:
            world.uncertain.append((s.id, s.probability))
    uncertain = {e_id: k for k, (e_id, _) in enumerate(world.uncertain)}
    sessions = {s.date: s for s in meetings}
    rounds, pending = [], list(events)
    for t, day in enumerate(world.dates):
        # Round 0 is the starting position; events on the start date are part of it.
        due = [e for e in pending if e.date <= day]
        pending = [e for e in pending if e.date > day]
        setup = _apply(setup, due, m_index, c_index, uncertain)
        if t == 0:  # a certain entry or withdrawal at the start is in `in_race0`
            acts = tuple(a for a in setup.acts
                         if a.kind not in ("enter", "withdraw") or a.uncertain >= 0)  # fmt: skip
            setup = replace(setup, acts=acts)
        ses = sessions.get(day) if t else None
        rounds.append(_with_session(setup, ses, scenario, uncertain, world.dates[:t]))
    return _with_formal_dates(rounds, world.dates, bool(scenario.sessions))


def _with_session(setup: RoundSetup, ses, scenario: Scenario, uncertain, before) -> RoundSetup:
    """The round's setup with its session (`before`: the dates of the earlier rounds)."""
    if ses is None:
        return replace(setup, session=None, formal=not scenario.sessions)
    chance = uncertain[ses.id] if ses.probability is not None else -1
    notice = ses.convened_after_days
    ready_by = -1 if notice is None else ready_round(before, ses.date, notice)
    info = SessionInfo(ses.id, ses.name, ses.kind, ses.eliminate or 0, ses.approval,
                       ses.tally == "members", ses.preferences or 0, chance,
                       -1 if notice is None else notice, ready_by)  # fmt: skip
    rule = changed(setup.decision, ses.decision)
    return replace(setup, session=info, formal=ses.kind == "formal", decision=rule)


def ready_round(before: list[date], day: date, notice: int) -> int:
    """The last of the rounds dated `before` a convened session on `day` that is at least
    `notice` days before it (`SessionInfo.ready_by`); -1 if none: never held."""
    return sum(d <= day - timedelta(notice) for d in before) - 1


def _with_formal_dates(rounds: list[RoundSetup], dates: list[date], sessions: bool):
    """Each round's pressure deadline (the last formal session on or before the hard date)
    and the days to the next formal session. Without sessions every round is formal and the
    pressure deadline is the hard date."""
    formal = [d for d, r in zip(dates, rounds, strict=True) if r.formal and r.session]
    out = []
    for day, r in zip(dates, rounds, strict=True):
        if not sessions:
            out.append(replace(r, pressure_date=r.deadline, days_to_formal=0.0))
            continue
        before = [d for d in formal if d <= r.deadline]
        ahead = [d for d in formal if d >= day]
        days = float((ahead[0] - day).days) if ahead else float("inf")
        out.append(replace(r, pressure_date=before[-1] if before else r.deadline,
                           days_to_formal=days))  # fmt: skip
    return out


def _apply(setup: RoundSetup, events: list[Event], m_index, c_index, uncertain) -> RoundSetup:
    values, active, params = dict(setup.values), setup.active.copy(), setup.params
    deadline, decision, acts = setup.deadline, setup.decision, []
    for e in events:
        if e.kind in STATE_EVENTS:
            member = m_index[e.member] if e.member is not None else -1
            cand = c_index[e.candidate] if e.candidate is not None else -1
            acts.append(Act(e.kind, member, cand, uncertain.get(e.id, -1)))
            continue
        match e.kind:
            case "join":
                active[m_index[e.member]] = True
            case "grievance" | "tie" | "preference":
                values[getattr(e, e.kind)] = e.value
            case "parameter":
                params = params.with_value(e.parameter, e.value)
            case "deadline":
                deadline = e.deadline
            case "rule":
                decision = changed(decision, e.decision)
    return RoundSetup(
        values, active, params, deadline, decision, tuple(acts), tuple(e.id for e in events)
    )


# --- points stacked on the replication axis ----------------------------------------------

# What the rules read from a world itself rather than from its per-round constants or
# parameters: stacked points must agree on all of it (`stackable`).
_STRUCTURE = ("members", "candidates", "dates", "home", "sponsor", "initial", "in_race0",
              "objects0", "uncertain", "bargaining", "convenes")  # fmt: skip
_ROUND_STRUCTURE = ("deadline", "decision", "acts", "session", "formal", "pressure_date",
                    "days_to_formal")  # fmt: skip


def _same(a, b) -> bool:
    if a is b:  # worlds from `reparameterised` share their structure
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def stackable(a: World, b: World) -> bool:
    """Whether two worlds can share one vectorised call: the same members, candidates,
    calendar, sessions, events, brokers and starting positions; they may differ in
    capability, salience, rule values and parameters (read per replication)."""
    if a is b:
        return True
    if a.stack or b.stack or len(a.rounds) != len(b.rounds):
        return False
    if (a.compiled_from or a) is (b.compiled_from or b):  # all but the parameters shared
        return True
    if not all(_same(getattr(a, n), getattr(b, n)) for n in _STRUCTURE):
        return False
    if a.rules is not b.rules and (list(a.rules) != list(b.rules) or not all(
        r is q or (r.kind == q.kind and np.array_equal(r.mask, q.mask))
        for r, q in zip(a.rules.values(), b.rules.values(), strict=True)
    )):  # fmt: skip
        return False
    for x, y in zip(a.brokers, b.brokers, strict=False):
        if x is not y and not (
            x.id == y.id
            and x.candidate == y.candidate
            and np.array_equal(x.members, y.members)
            and np.array_equal(x.targets, y.targets)
        ):
            return False  # fmt: skip
    if len(a.brokers) != len(b.brokers):
        return False
    for r, q in zip(a.rounds, b.rounds, strict=True):
        if not _same(r.active, q.active):
            return False
        if not all(_same(getattr(r, n), getattr(q, n)) for n in _ROUND_STRUCTURE):
            return False
    return True


def stack_worlds(worlds: list[World]) -> World:
    """One world for several `stackable` point worlds: point p's replications read p's
    parameters, capability and per-round constants (`ByPoint` where the points differ),
    so that each replication plays exactly as it does in its own point's world.

    Args:
        worlds: the point worlds, in order (index p in `stack` is point p of the call).

    Returns:
        The stacked world (`stack` holds the point worlds); a single world is returned as is.
    """
    if len(worlds) == 1:
        return worlds[0]
    first = worlds[0]
    rounds, done = [], {}  # the rounds whose points hold the same parameters merge once
    for t, r in enumerate(first.rounds):
        params = [w.rounds[t].params for w in worlds]
        key = tuple(map(id, params))  # (alive: the worlds hold them)
        if key not in done:
            done[key] = merged(params)
        rounds.append(replace(r, params=done[key]))
    capability = merged_array([w.capability for w in worlds])
    salience = merged_array([w.salience for w in worlds])
    return replace(
        first,
        capability=capability,
        salience=salience,
        rounds=rounds,
        stack=list(worlds),
        **{f.name: {} for f in fields(World) if f.name.startswith("_")},  # caches: fresh
    )


def merged_array(arrays: list[np.ndarray]):
    """The array itself when every point's is equal, else a `ByPoint` of them."""
    stacked = np.stack(arrays)
    return arrays[0] if (stacked == stacked[0]).all() else ByPoint(stacked)
