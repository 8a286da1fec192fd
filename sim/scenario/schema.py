"""The scenario schema: what a scenario file may say, with types and ranges.

Structure only; cross-references (a member named by a rule exists, a cited
source is listed, ...) are checked in `sim.scenario`, which can name them all.
"""

import warnings
from datetime import date, timedelta
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Scalar = str | int | float | bool
SweepValue = Scalar | date  # a date field is swept too; the plan carries it as ISO text


class Strict(BaseModel):
    """A schema block that rejects unknown keys, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Cited(Strict):
    """A block of facts: it cites sources by id, or says which parts are assumptions."""

    source: str | list[str] | None = None
    assumption: bool | list[str] = False
    note: str | None = None

    @model_validator(mode="after")
    def _cited(self):
        if self.needs_citation() and not self.source_ids() and not self.assumption:
            raise ValueError("cite a source (`source: id`) or mark it `assumption: true`")
        return self

    def needs_citation(self) -> bool:
        return True

    # The figures of a block: the numbers an analysis varies (sim.scenario.varied). Without a
    # source, an `assumption:` list must name each one that is set (sim.scenario.checks).
    FIGURES: ClassVar[tuple[str, ...]] = ()

    def figures(self) -> list[str]:
        """The figure fields this block sets."""
        return [name for name in self.FIGURES if getattr(self, name) is not None]

    def uncovered(self) -> list[str]:
        """The figures neither a source nor the `assumption:` list covers."""
        if self.source_ids() or not isinstance(self.assumption, list):
            return []
        return [name for name in self.figures() if name not in self.assumption]

    def source_ids(self) -> list[str]:
        if self.source is None:
            return []
        return [self.source] if isinstance(self.source, str) else list(self.source)


class Source(Strict):
    """A public document that facts in the scenario cite by `id`."""

    id: str = Field(min_length=1)
    title: str
    publisher: str | None = None
    url: str | None = None
    published: date | None = None
    note: str | None = None


class Calendar(Cited):
    """When the contest starts, how long a round of consultation is, and when it must end."""

    start: date
    round_days: int = Field(7, ge=1, le=366)
    deadline: date = Field(description="the hard date (e.g. the summit)")
    last_round: date
    weekly: bool = Field(
        True, description="with `sessions:`, also play a round every `round_days` in between"
    )


class Decision(Cited):
    """The organisation's decision rule."""

    rule: Literal["consensus", "unanimity", "qualified_majority"] = "consensus"
    threshold: float = Field(0.5, gt=0, le=1, description="share needed (qualified majority)")
    weighted: bool = Field(
        False, description="qualified majority: count shares by capability, not by heads"
    )
    veto: list[str] = Field(default_factory=list, description="members whose objection blocks")
    quorum: float = Field(
        0.0, ge=0, le=1, description="consensus: share backing the sole candidate before silence"
    )
    count: Literal["support", "encourage"] = Field(
        "support", description="qualified majority: count supporters, or encourages (approval)"
    )


class DecisionChange(Strict):
    """A decision rule for one session or from a `rule` event: the fields it changes."""

    rule: Literal["consensus", "unanimity", "qualified_majority"] | None = None
    threshold: float | None = Field(None, gt=0, le=1)
    weighted: bool | None = None
    veto: list[str] | None = None
    quorum: float | None = Field(None, ge=0, le=1)
    count: Literal["support", "encourage"] | None = Field(
        None, description="qualified majority: count supporters, or encourages (approval)"
    )


class Session(Cited):
    """A dated meeting of the organisation; the decision rule is tested only at formal ones."""

    id: str = Field(min_length=1)
    date: date
    name: str
    kind: Literal["formal", "indicative"] = "formal"
    decision: DecisionChange | None = None
    eliminate: int | None = Field(
        None, ge=1, description="the k in-race candidates with least support withdraw"
    )
    approval: bool = Field(False, description="members encourage/discourage each candidate")
    tally: Literal["capability", "members"] = Field(
        "capability", description="an elimination counts capability or members (heads)"
    )
    preferences: int | None = Field(
        None, ge=1, description="each member names its k best candidates for the elimination"
    )
    probability: float | None = Field(
        None, gt=0, le=1, description="a date not yet fixed: held on it in this share of runs"
    )
    convened_after_days: int | None = Field(
        None,
        ge=0,
        le=3650,
        description="called once the decision rule is met: held only where it has been met "
        "at the end of every round since one at least this many days before",
    )
    every_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="a recurring meeting: again every this many days, to `until`",
    )
    until: date | None = Field(None, description="a recurring meeting's last possible date")
    FIGURES: ClassVar[tuple[str, ...]] = ("convened_after_days",)
    working_days: bool = Field(False, description="a recurring meeting skips Saturdays, Sundays")
    # A recurring meeting's dates at most: as many as the rounds a scenario may have
    # (sim.scenario.limits.MAX_ROUNDS), so that none is expanded past what would be refused.
    MAX_DATES: ClassVar[int] = 5_000

    @model_validator(mode="after")
    def _tally_needs_an_elimination(self):
        if self.eliminate is None and (self.preferences is not None or self.tally != "capability"):
            raise ValueError("`tally` and `preferences` count an elimination: give `eliminate: k`")
        return self

    @model_validator(mode="after")
    def _recurring(self):
        if (self.every_days is None) != (self.until is None):
            raise ValueError("a recurring meeting gives both `every_days` and `until`")
        if self.until is not None and self.until <= self.date:
            raise ValueError(f"`until` ({self.until}) must come after `date` ({self.date})")
        if self.until is not None and self.probability is not None:
            raise ValueError(
                "a meeting held by chance lists each date with its own probability; it cannot recur"
            )
        if self.until is not None:
            n = (self.until - self.date).days // self.every_days + 1
            if n > self.MAX_DATES:
                raise ValueError(
                    f"recurs on {n:,} dates, more than the limit of {self.MAX_DATES:,}"
                )
        return self

    def dates(self) -> list[date]:
        """The meeting's dates: `date`, or for a recurring one each `every_days` to `until`
        (Saturdays and Sundays skipped with `working_days`)."""
        if self.every_days is None:
            return [self.date]
        step, days = timedelta(days=self.every_days), []
        day = self.date
        while day <= self.until:
            if not (self.working_days and day.weekday() >= 5):
                days.append(day)
            day += step
        return days

    def occurrences(self) -> list["Session"]:
        """The meeting on each of its dates: itself, or for a recurring one (`every_days`,
        `until`) a copy per date (id `<id>@<date>`)."""
        if self.every_days is None:
            return [self]
        return [self.model_copy(update={"id": f"{self.id}@{day}", "date": day, "every_days": None,
                                        "until": None}) for day in self.dates()]  # fmt: skip


class Broker(Cited):
    """A third party that offers concessions to holdouts on a candidate's behalf."""

    id: str = Field(min_length=1)
    members: dict[str, Any] | None = None
    member: str | None = None
    for_: str | None = Field(None, alias="for", description="candidate; default the leader")
    targets: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_offerer(self):
        if (self.members is None) == (self.member is None):
            raise ValueError("give exactly one of `member: code` or `members: {selector}`")
        return self


class Candidate(Cited):
    """A candidate for the post, with the state that nominates it."""

    id: str = Field(min_length=1)
    name: str
    home: str | None = None
    sponsor: str | None = Field(None, description="member that nominates it (default home)")
    nominated_by: str | None = Field(None, description="a non-member nominator (free text)")
    declared: bool = Field(True, description="false: floated, in the race after an `enter`")
    attributes: dict[str, Scalar] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_nominator(self):
        if self.sponsor is not None and self.nominated_by is not None:
            raise ValueError("give at most one of `sponsor:` and `nominated_by:`")
        return self


class Member(Cited):
    """A member state: its voice, how much it cares, what rules can select it by."""

    code: str = Field(min_length=1)
    name: str
    capability: float = Field(gt=0, le=1, description="weight of its voice, 1 = strongest")
    salience: float = Field(ge=0, le=1, description="how much it cares about the outcome")
    initial: str | None = Field(None, description="candidate it has publicly declared for")
    objects: list[str] = Field(default_factory=list, description="candidates it objects to")
    attributes: dict[str, Scalar] = Field(default_factory=dict)
    FIGURES: ClassVar[tuple[str, ...]] = ("capability", "salience")


class Targeted(Cited):
    """A rule aimed at some members and some candidates."""

    id: str = Field(min_length=1)
    members: dict[str, Any] = Field(default_factory=dict)
    candidate: str | None = None
    candidates: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_target(self):
        if (self.candidate is None) == (self.candidates is None):
            raise ValueError("give exactly one of `candidate: id` or `candidates: {selector}`")
        return self


class Preference(Targeted):
    """Policy or identity fit: adds `affinity` for the selected members and candidates."""

    affinity: float = Field(ge=-1, le=1)
    FIGURES: ClassVar[tuple[str, ...]] = ("affinity",)


class Grievance(Targeted):
    """A bilateral or personal grievance held by members against candidates."""

    weight: float = Field(ge=0, le=1)
    FIGURES: ClassVar[tuple[str, ...]] = ("weight",)


class Tie(Cited):
    """Whom members listen to: `from` members weigh the signals of `to` members."""

    id: str = Field(min_length=1)
    from_: dict[str, Any] = Field(default_factory=dict, alias="from")
    to: dict[str, Any] = Field(default_factory=dict)
    weight: float = Field(ge=0, le=100)
    FIGURES: ClassVar[tuple[str, ...]] = ("weight",)


EventKind = Literal[
    "join", "enter", "withdraw", "grievance", "tie", "preference", "parameter", "deadline",
    "declare", "object", "lift", "abstain", "reset", "rule",
]  # fmt: skip

# Events that act on each replication's state, and so may happen with a probability.
STATE_EVENTS = ("enter", "withdraw", "declare", "object", "lift", "abstain", "reset")

# Which fields each event kind needs; every other optional field must be absent.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "join": ("member",),
    "enter": ("candidate",),
    "withdraw": ("candidate",),
    "grievance": ("grievance", "value"),
    "tie": ("tie", "value"),
    "preference": ("preference", "value"),
    "parameter": ("parameter", "value"),
    "deadline": ("deadline",),
    "declare": ("member", "candidate"),
    "object": ("member", "candidate"),
    "lift": ("member", "candidate"),
    "abstain": ("member",),
    "reset": ("member",),
    "rule": ("decision",),
}
_EVENT_OPTIONAL = (
    "member", "candidate", "grievance", "tie", "preference", "parameter", "value", "decision",
)  # fmt: skip


class Event(Cited):
    """A dated change: a member joins, a candidate enters or leaves, a rule is re-weighted."""

    id: str = Field(min_length=1)
    date: date
    kind: EventKind
    member: str | None = None
    candidate: str | None = None
    grievance: str | None = None
    tie: str | None = None
    preference: str | None = None
    parameter: str | None = None
    value: float | None = None
    deadline: date | None = None
    decision: DecisionChange | None = None
    probability: float | None = Field(
        None, gt=0, le=1, description="uncertain: happens in this share of replications"
    )

    @model_validator(mode="after")
    def _fields_for_kind(self):
        needed = EVENT_FIELDS[self.kind]
        missing = [f for f in needed if getattr(self, f) is None]
        extra = [
            f
            for f in (*_EVENT_OPTIONAL, "deadline")
            if f not in needed and getattr(self, f) is not None
        ]
        if missing:
            raise ValueError(f"a `{self.kind}` event needs {', '.join(missing)}")
        if extra:
            raise ValueError(f"a `{self.kind}` event does not take {', '.join(extra)}")
        if self.probability is not None and self.kind not in STATE_EVENTS:
            kinds = ", ".join(STATE_EVENTS)
            raise ValueError(f"only these events may carry a probability: {kinds}")
        return self


# The behavioural parameters before any fitting (docs/ODD.md 7.10): a scenario that says
# `parameters: priors` runs with these, so results from before the fit can be reproduced.
PRIORS: dict[str, float] = {
    "w_pref": 1.0,
    "w_ties": 1.0,
    "w_band": 1.0,
    "w_griev": 1.0,
    "w_conc": 1.0,
    "noise": 0.15,
    "declare_threshold": 0.25,
    "declare_margin": 0.1,
    "switch_margin": 0.5,
    "object_threshold": -0.4,
    "lift_threshold": -0.2,
    "pressure_days": 28,
    "withdraw_gap": 0.4,
    "withdraw_patience": 0,
    "withdraw_share": 0.75,
    "major_capability": 0.5,
    "withdraw_notice_days": 14,
    "leverage_gain": 3.0,
    "price_base": 0.5,
    "price_grievance": 1.0,
    "price_leverage": 0.5,
    "offer_rate": 0.5,
    "offer_pivotal": 2.0,
    "offer_budget": 5.0,
    "concede_share": 0.5,
    "concession_size": 0.5,
    "concessions_per_round": 1,
}

# Fitted on the case library by `coalition-sim calibrate scenarios/cases.txt ...` (the command,
# its figures and the leave-one-contest-out check are in docs/crossval.md); the default of
# every scenario that sets none. Only behavioural parameters, never a scenario's facts.
FITTED: dict[str, float] = {
    "offer_rate": 0.3927,
    "pressure_days": 54.356,
    "price_base": 0.3082,
    "concession_size": 0.8042,
    "w_band": 5.0,
    "leverage_gain": 0.0,
    "w_ties": 0.142,
    "noise": 0.4308,
}

DEFAULTS: dict[str, float] = {**PRIORS, **FITTED}


def named_parameter_set(value) -> dict | None:
    """The `parameters:` block a named set stands for (`priors`: docs/ODD.md 7.10), as a
    scenario's `parameters: priors` reads; None for any other value."""
    if value != "priors":
        return None
    return {**PRIORS, "assumption": True, "note": "the priors (docs/ODD.md 7.10)"}


class Parameters(Cited):
    """Behavioural parameters (see docs/ODD.md). Fitted by calibration, never hand-tuned."""

    w_pref: float = Field(
        DEFAULTS["w_pref"], ge=0, le=10, description="weight of affinity (policy fit)"
    )
    w_ties: float = Field(
        DEFAULTS["w_ties"], ge=0, le=10, description="weight of the signals of tied states"
    )
    w_band: float = Field(
        DEFAULTS["w_band"], ge=0, le=10, description="weight of bandwagon momentum"
    )
    w_griev: float = Field(DEFAULTS["w_griev"], ge=0, le=10, description="weight of grievances")
    w_conc: float = Field(
        DEFAULTS["w_conc"], ge=0, le=10, description="weight of concessions received"
    )
    noise: float = Field(
        DEFAULTS["noise"], ge=0, le=5, description="sd of the per-round utility shock"
    )
    declare_threshold: float = Field(
        DEFAULTS["declare_threshold"], ge=-5, le=5, description="utility needed to declare"
    )
    declare_margin: float = Field(
        DEFAULTS["declare_margin"], ge=0, le=5, description="lead over runner-up to declare"
    )
    switch_margin: float = Field(
        DEFAULTS["switch_margin"], ge=0, le=5, description="lead needed to switch (commitment)"
    )
    object_threshold: float = Field(
        DEFAULTS["object_threshold"], ge=-5, le=5, description="utility below which to object"
    )
    lift_threshold: float = Field(
        DEFAULTS["lift_threshold"], ge=-5, le=5, description="utility at which to lift it"
    )
    pressure_days: float = Field(
        DEFAULTS["pressure_days"], gt=0, le=3650, description="days before deadline: pressure 1/2"
    )
    withdraw_gap: float = Field(
        DEFAULTS["withdraw_gap"], ge=0, le=1, description="share gap to the leader to withdraw"
    )
    withdraw_patience: int = Field(
        DEFAULTS["withdraw_patience"],
        ge=0,
        le=1000,
        description="rounds trailing before withdrawing (0: rule off)",
    )
    withdraw_share: float = Field(
        DEFAULTS["withdraw_share"],
        ge=0,
        le=1,
        description="leader's share at which rivals' sponsors withdraw",
    )
    major_capability: float = Field(
        DEFAULTS["major_capability"],
        ge=0,
        le=1,
        description="major powers: capability >= this x the largest",
    )
    withdraw_notice_days: float = Field(
        DEFAULTS["withdraw_notice_days"],
        ge=0,
        le=3650,
        description="strategic withdrawal: next formal session this near",
    )
    leverage_gain: float = Field(
        DEFAULTS["leverage_gain"],
        ge=0,
        le=100,
        description="holdout: social pull divided by 1 + gain x pressure",
    )
    price_base: float = Field(
        DEFAULTS["price_base"], ge=0, le=10, description="holdout's price: base"
    )
    price_grievance: float = Field(
        DEFAULTS["price_grievance"], ge=0, le=10, description="price per salience x grievance"
    )
    price_leverage: float = Field(
        DEFAULTS["price_leverage"], ge=0, le=10, description="price added by a blocker"
    )
    offer_rate: float = Field(
        DEFAULTS["offer_rate"], ge=0, le=1, description="chance of an offer at the deadline"
    )
    offer_pivotal: float = Field(
        DEFAULTS["offer_pivotal"],
        ge=0,
        le=100,
        description="offer chance multiplied by this for a pivotal holdout",
    )
    offer_budget: float = Field(
        DEFAULTS["offer_budget"],
        ge=0,
        le=1000,
        description="concession utility a camp or broker can give",
    )
    concede_share: float = Field(
        DEFAULTS["concede_share"], ge=0, le=1, description="leader's share to offer concessions"
    )
    concession_size: float = Field(
        DEFAULTS["concession_size"], ge=0, le=5, description="utility a concession adds"
    )
    concessions_per_round: int = Field(
        DEFAULTS["concessions_per_round"],
        ge=0,
        le=1000,
        description="offers a leader makes a round",
    )

    @model_validator(mode="after")
    def _hysteresis(self):
        if self.lift_threshold < self.object_threshold:
            raise ValueError("lift_threshold must not be below object_threshold")
        return self

    def needs_citation(self) -> bool:
        # Defaults are documented in docs/ODD.md; a scenario that changes one must say why.
        return bool(self.figures())

    def figures(self) -> list[str]:
        """The parameters changed from their defaults."""
        return [
            name
            for name, field in type(self).model_fields.items()
            if name not in ("source", "assumption", "note") and getattr(self, name) != field.default
        ]


PARAMETER_NAMES = tuple(n for n in Parameters.model_fields if n not in Cited.model_fields)


class Span(Strict):
    """A range of values for a sweep: `min` to `max`; a grid takes `num` evenly spaced values."""

    min: float
    max: float
    num: int | None = Field(None, ge=2, le=10_000)

    @model_validator(mode="after")
    def _ordered(self):
        if self.max < self.min:
            raise ValueError("max must not be below min")
        return self


class Sweep(Strict):
    """Points to run: a grid over listed values or spans, a space-filling design over spans
    (`lhs`, `sobol-sequence`), or the user's own points (`points`, one row each in `file`)."""

    design: Literal["grid", "lhs", "sobol-sequence", "sobol", "points"] = "grid"
    params: dict[str, list[SweepValue] | Span] = Field(default_factory=dict)
    samples: int | None = Field(
        None, ge=1, le=1_000_000, description="points (lhs, sobol-sequence)"
    )
    file: str | None = Field(
        None, description="points: a CSV, one column per swept key, a row per point"
    )

    @model_validator(mode="after")
    def _design_fits(self):
        if self.design == "sobol":
            warnings.warn(
                "sweep design `sobol` is deprecated: call it `sobol-sequence` (a Sobol sequence "
                "of points; Sobol indices come from `coalition-sim sensitivity --method sobol`)",
                FutureWarning,
                stacklevel=2,
            )
            self.design = "sobol-sequence"
        if self.design == "points":
            if not self.file:
                raise ValueError("a points design needs `file: design.csv`")
            if self.params:
                raise ValueError(
                    "a points design takes its keys from the file's columns, not `params`"
                )
            return self
        if self.file:
            raise ValueError(f"a {self.design} design does not take `file`")
        if not self.params:
            raise ValueError("give `params`: the keys to sweep and their values or spans")
        for key, spec in self.params.items():
            if isinstance(spec, list) and not spec:
                raise ValueError(f"{key}: an empty list of values sweeps nothing")
            if self.design == "grid" and isinstance(spec, Span) and spec.num is None:
                raise ValueError(f"{key}: a grid over a span needs `num`")
            if self.design != "grid" and not isinstance(spec, Span):
                raise ValueError(f"{key}: a {self.design} design needs a span {{min, max}}")
        if self.design != "grid" and self.samples is None:
            raise ValueError(f"a {self.design} design needs `samples`")
        if self.design == "sobol-sequence" and self.samples and self.samples & (self.samples - 1):
            raise ValueError("a sobol-sequence design needs `samples` to be a power of two")
        return self


class Batch(Strict):
    """Defaults for `coalition-sim batch`: replications per point, seed, sweep."""

    replications: int = Field(1000, ge=1, le=10_000_000)
    seed: int = Field(1, ge=0)
    chunk: int = Field(1000, ge=1, le=1_000_000, description="replications per chunk file")
    sweep: Sweep | None = None


class Sensitivity(Strict):
    """Defaults for `coalition-sim sensitivity`: the inputs to vary and their ranges.

    Each key is a field as `--set` names it (`members.HU.salience`, `grievances.schengen.weight`,
    `preferences.ID.affinity`, `ties.ID.weight`, `parameters.noise` or `noise`); its span
    replaces the default range. With `only: true` just these inputs are varied; otherwise
    they override the ranges of the default inputs (every assumption and every parameter).
    """

    inputs: dict[str, Span] = Field(default_factory=dict)
    only: bool = False
    exclude: list[str] = Field(default_factory=list, description="default inputs left out")

    @model_validator(mode="after")
    def _something(self):
        if self.only and not self.inputs:
            raise ValueError("`only: true` needs `inputs`")
        return self


class Scenario(Strict):
    """A whole leadership contest, after `extends:` has been resolved."""

    name: str
    description: str | None = None
    sources: list[Source] = Field(default_factory=list)
    calendar: Calendar
    decision: Decision = Field(default_factory=lambda: Decision(assumption=True))
    candidates: list[Candidate] = Field(min_length=1)
    members: list[Member] = Field(min_length=1)
    preferences: list[Preference] = Field(default_factory=list)
    ties: list[Tie] = Field(default_factory=list)
    grievances: list[Grievance] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    sessions: list[Session] = Field(default_factory=list)
    brokers: list[Broker] = Field(default_factory=list)
    parameters: Parameters = Field(default_factory=Parameters)
    batch: Batch = Field(default_factory=Batch)
    sensitivity: Sensitivity | None = None

    @field_validator("parameters", mode="before")
    @classmethod
    def _named_parameter_set(cls, value):
        # `parameters: priors` names the set from before the fit (PRIORS), for old results.
        if isinstance(value, str):
            named = named_parameter_set(value)
            if named is None:
                raise ValueError("give a mapping of parameters, or `priors` (the unfitted set)")
            return named
        return value

    def meetings(self) -> list[Session]:
        """Every session on each of its dates (a recurring one once per date), by date."""
        return sorted((o for s in self.sessions for o in s.occurrences()), key=lambda s: s.date)

    def round_dates(self) -> list[date]:
        """Round dates: weekly (every `round_days`) from the start, and every session date.

        Without sessions, or with `weekly: true`, the last round is the first weekly date on
        or after `last_round`, so that every event the calendar admits falls in some round.
        With `weekly: false`, rounds fall only on session dates.
        """
        cal = self.calendar
        weekly = [cal.start]
        if cal.weekly or not self.sessions:
            d = cal.start
            while d < cal.last_round:
                d += timedelta(days=cal.round_days)
                weekly.append(d)
        return sorted(set(weekly) | {d for s in self.sessions for d in s.dates()})
