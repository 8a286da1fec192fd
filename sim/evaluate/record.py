"""An observed record: what actually happened in a contest, each entry with its source.

Loaded with the same one-line errors as scenarios (`file:line: field.path: what`),
and checked against the scenario it scores (members, candidates, dates).
"""

from datetime import date
from pathlib import Path

from pydantic import Field, ValidationError

from sim.errors import Problem, ScenarioError, dotted
from sim.scenario.loader import schema_problems
from sim.scenario.schema import Scenario, Source, Strict
from sim.scenario.yamlfile import load_located, where_of


class Sourced(Strict):
    """An observed fact: it cites one of the record's sources."""

    source: str | list[str]
    note: str | None = None

    def source_ids(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)


class Appointment(Sourced):
    date: date
    winner: str


class Withdrawal(Sourced):
    candidate: str
    date: date


class Declaration(Sourced):
    member: str
    candidate: str
    date: date


class SupportCount(Sourced):
    date: date
    candidate: str
    supporters: int = Field(ge=0)


class Record(Strict):
    """What happened: appointment, withdrawals, declarations, dated support counts."""

    name: str
    scenario: str | None = None
    sources: list[Source] = Field(min_length=1)
    appointment: Appointment | None = None
    withdrawals: list[Withdrawal] = Field(default_factory=list)
    declarations: list[Declaration] = Field(default_factory=list)
    support: list[SupportCount] = Field(default_factory=list)
    last_holdouts: list[str] = Field(default_factory=list)
    until: date | None = Field(
        None, description="the record covers only what happened before this date"
    )

    def before(self, split: date) -> "Record":
        """The part of the record dated before `split` (what a calibration may see)."""
        part = self._filtered(lambda d: d < split)
        return part.model_copy(update={"until": min(split, self.until or split)})

    def on_or_after(self, split: date) -> "Record":
        """The part dated on or after `split` (what a calibration is checked on)."""
        return self._filtered(lambda d: d >= split)

    def _filtered(self, keep) -> "Record":
        appointment = self.appointment if self.appointment and keep(self.appointment.date) else None
        holdouts = self.last_holdouts if appointment else []
        return self.model_copy(
            update={
                "appointment": appointment,
                "withdrawals": [w for w in self.withdrawals if keep(w.date)],
                "declarations": [d for d in self.declarations if keep(d.date)],
                "support": [s for s in self.support if keep(s.date)],
                "last_holdouts": holdouts,
            }
        )


def load_record(
    path: str | Path, scenario: Scenario | None = None, names: list[str] | None = None
) -> Record:
    """Load and check a record; with a scenario, also check it against that scenario.

    Args:
        path: the record's YAML file.
        scenario: the scenario it will score: members, candidates, calendar, membership
            on each date, withdrawals.
        names: the scenario's name and those of the bases it extends; when given, the
            record's `scenario:` must be one of them.

    Returns:
        The Record. Raises ScenarioError listing every problem.
    """
    shown = str(path)
    data = load_located(Path(path), shown)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(shown, None, "", "a record must be a mapping")])
    if {"calendar", "candidates", "extends"} & set(data):  # else a line per scenario section
        msg = "is a scenario, not an observed record: give the record's YAML file here"
        raise ScenarioError([Problem(shown, None, "", msg)])
    if not set(data) & set(Record.model_fields):
        msg = "not a record: none of its top-level keys is a record section (appointment, ...)"
        raise ScenarioError([Problem(shown, None, "", msg)])
    data.setdefault("name", Path(path).stem)
    try:
        record = Record.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(schema_problems(exc, data, shown, Record)) from None
    if names is not None and record.scenario is not None and record.scenario not in names:
        # A record of another contest: every member and candidate it names would be
        # reported unknown as well; this one line is what is wrong.
        where = where_of(data, ("scenario",)) or (shown, None)
        msg = (f"is a record of {record.scenario!r}, not of {' or '.join(map(repr, names))}: "
               "give the record of this scenario")  # fmt: skip
        raise ScenarioError([Problem(where[0], where[1], "scenario", msg)])
    problems = _cross_check(record, scenario, data, shown)
    problems += _duplicates(record, data, shown)
    if scenario is not None:
        problems += _against(record, scenario, names, data, shown)
    if problems:
        raise ScenarioError(problems)
    return record


def _cross_check(record: Record, scenario: Scenario | None, data, file: str) -> list[Problem]:
    problems = []

    def add(loc: tuple, message: str) -> None:
        where = where_of(data, loc) or (file, None)
        problems.append(Problem(where[0], where[1], dotted(loc), message))

    sources = {s.id for s in record.sources}
    members = {m.code for m in scenario.members} if scenario else None
    candidates = {c.id for c in scenario.candidates} if scenario else None
    start = scenario.calendar.start if scenario else None
    entries = [("appointment",), *[("withdrawals", i) for i in range(len(record.withdrawals))]]
    entries += [("declarations", i) for i in range(len(record.declarations))]
    entries += [("support", i) for i in range(len(record.support))]
    for loc in entries:
        entry = record.appointment if loc == ("appointment",) else getattr(record, loc[0])[loc[1]]
        if entry is None:
            continue
        for sid in entry.source_ids():
            if sid not in sources:
                add((*loc, "source"), f"unknown source {sid!r} (not in `sources:`)")
        cand = getattr(entry, "winner", None) or getattr(entry, "candidate", None)
        if candidates is not None and cand not in candidates:
            add(
                (*loc, "winner" if loc == ("appointment",) else "candidate"),
                f"unknown candidate {cand!r}{_nearest(cand, scenario.candidates, 'id')}",
            )
        member = getattr(entry, "member", None)
        if members is not None and member is not None and member not in members:
            add((*loc, "member"), f"unknown member {member!r}{_nearest(member, scenario.members)}")
        if start is not None and entry.date < start:
            add((*loc, "date"), f"{entry.date} is before the scenario starts ({start})")
    for i, code in enumerate(record.last_holdouts):
        if members is not None and code not in members:
            add(("last_holdouts", i), f"unknown member {code!r}{_nearest(code, scenario.members)}")
    return problems


def _nearest(ident, items, key: str = "code") -> str:
    """` (did you mean `HU`?)` for the scenario's member or candidate closest to `ident`
    (by spelling, name or initials), or nothing."""
    from sim.scenario.checks import did_you_mean

    return did_you_mean(str(ident), [{key: getattr(x, key), "name": x.name} for x in items], key)


def _adder(problems: list[Problem], data, file: str):
    def add(loc: tuple, message: str) -> None:
        where = where_of(data, loc) or (file, None)
        problems.append(Problem(where[0], where[1], dotted(loc), message))

    return add


def _duplicates(record: Record, data, file: str) -> list[Problem]:
    """The same declaration, withdrawal, count or holdout given twice."""
    problems: list[Problem] = []
    add = _adder(problems, data, file)
    keyed = [
        ("declarations", lambda d: (d.member, d.candidate), "declaration of {} for {}"),
        ("withdrawals", lambda w: (w.candidate,), "withdrawal of {}"),
        ("support", lambda s: (s.candidate, s.date), "count for {} on {}"),
    ]
    for section, key, what in keyed:
        seen: dict[tuple, int] = {}
        for i, entry in enumerate(getattr(record, section)):
            k = key(entry)
            if k in seen:
                add((section, i), f"duplicate {what.format(*k)} (first at {section}[{seen[k]}])")
            seen.setdefault(k, i)
    for i, code in enumerate(record.last_holdouts):
        if code in record.last_holdouts[:i]:
            add(("last_holdouts", i), f"duplicate holdout {code!r}")
    return problems


def _against(record: Record, scenario: Scenario, names, data, file: str) -> list[Problem]:
    """What the scenario makes impossible: counts over membership, dates past its calendar,
    a winner out of the race, a record of another scenario."""
    problems: list[Problem] = []
    add = _adder(problems, data, file)
    last = scenario.calendar.last_round
    joins = {e.member: e.date for e in scenario.events if e.kind == "join"}

    def members_on(day: date) -> int:
        return sum(1 for m in scenario.members if joins.get(m.code, day) <= day)

    for i, s in enumerate(record.support):
        if s.supporters > members_on(s.date):
            add(("support", i, "supporters"),
                f"{s.supporters} supporters, more than the {members_on(s.date)} members on {s.date}")  # fmt: skip
    dated = [(("appointment",), record.appointment)] if record.appointment else []
    for section in ("withdrawals", "declarations", "support"):
        dated += [((section, i), e) for i, e in enumerate(getattr(record, section))]
    for loc, entry in dated:
        if entry.date > last:
            add((*loc, "date"), f"{entry.date} is after the scenario's last round ({last})")
    a = record.appointment
    if a is not None:
        for i, w in enumerate(record.withdrawals):
            if w.candidate == a.winner and w.date <= a.date:
                add(
                    ("appointment", "winner"),
                    f"{a.winner!r} withdrew on {w.date} (withdrawals[{i}])",
                )
        for e in scenario.events:
            if e.kind == "withdraw" and e.candidate == a.winner and e.date <= a.date:
                add(
                    ("appointment", "winner"),
                    f"{a.winner!r} withdrew on {e.date} (scenario event {e.id!r})",
                )
            if e.kind == "enter" and e.candidate == a.winner and e.date > a.date:
                add(("appointment", "winner"), f"{a.winner!r} enters the race only on {e.date}")
    return problems
