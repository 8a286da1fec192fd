"""Cross-references between the parts of a scenario, found all at once.

The schema (sim.scenario.schema) checks each block alone; this checks how they fit
together: cited sources exist, rules name real members and candidates, ids are
unique, events fall inside the calendar and name things that exist. When the
schema already failed, the blocks that passed are still checked, so a user sees
every problem of a file in one pass.
"""

import difflib
from datetime import timedelta
from types import SimpleNamespace

from pydantic import ValidationError

from sim.errors import Problem, bool_hint, dotted
from sim.scenario import schema
from sim.scenario.schema import PARAMETER_NAMES, Parameters
from sim.scenario.varied import range_problem, varied_field
from sim.scenario.yamlfile import where_of

# List sections whose items a variant can replace or drop by their key.
KEYED_SECTIONS = {
    "sources": "id",
    "candidates": "id",
    "members": "code",
    "preferences": "id",
    "ties": "id",
    "grievances": "id",
    "events": "id",
    "sessions": "id",
    "brokers": "id",
}
MAPPING_SECTIONS = ("calendar", "decision", "parameters", "batch", "sensitivity")
ITEM_MODELS = {
    "sources": schema.Source,
    "candidates": schema.Candidate,
    "members": schema.Member,
    "preferences": schema.Preference,
    "ties": schema.Tie,
    "grievances": schema.Grievance,
    "events": schema.Event,
    "sessions": schema.Session,
    "brokers": schema.Broker,
}


def valid_parts(data) -> tuple[SimpleNamespace, set]:
    """The blocks and items of a scenario that pass the schema on their own.

    Items that fail become None (so positions, and thus line numbers, stay right), and
    their ids are returned so that references to them are not reported as unknown.
    """
    unsure: set = set()
    parts = SimpleNamespace()
    for name, model in (("calendar", schema.Calendar), ("decision", schema.Decision),
                        ("parameters", schema.Parameters)):  # fmt: skip
        raw = data.get(name, {} if name != "calendar" else None)
        try:
            value = model.model_validate(raw if raw is not None else {"assumption": True})
        except ValidationError as exc:
            # (parameters are cross-checked as a whole: a left-out one is no default)
            value = _without_errors(model, raw, exc) if name != "parameters" else None
        setattr(parts, name, value if raw is not None or name != "calendar" else None)
    for section, model in ITEM_MODELS.items():
        raw = data.get(section)
        items = []
        for item in raw if isinstance(raw, list) else []:
            try:
                items.append(model.model_validate(item))
            except ValidationError as exc:
                items.append(_without_errors(model, item, exc))
                if isinstance(item, dict):
                    unsure.add(item.get(KEYED_SECTIONS[section]))
        setattr(parts, section, items)
    return parts, unsure


def nearest_id(ident: str, base: list[dict], key: str) -> str | None:
    """The id of `base` closest to `ident`: by spelling, or by the item's name or initials."""
    ids = [str(item.get(key)) for item in base]
    for item in base:  # `UK` -> United Kingdom -> GB; `Rutte` -> Mark Rutte -> rutte
        name = str(item.get("name", ""))
        initials = "".join(w[0] for w in name.split() if w[:1].isupper())
        aliases = {name.lower(), *name.lower().split(), initials.lower()} - {""}
        if len(initials) < 2:
            aliases.discard(initials.lower())
        if ident.lower() in aliases:
            return str(item.get(key))
    folded = {i.lower(): i for i in ids}
    if ident.lower() in folded:
        return folded[ident.lower()]
    close = difflib.get_close_matches(ident, ids, n=1, cutoff=0.75)
    return close[0] if close else None


def did_you_mean(ident, items: list[dict], key: str) -> str:
    """` (did you mean `HU`?)` for the item of `items` closest to `ident` (`nearest_id`),
    or nothing: the end of an unknown-id message."""
    found = nearest_id(ident, items, key) if isinstance(ident, str) else None
    return f" (did you mean `{found}`?)" if found is not None else ""


def _without_errors(model, raw, exc: ValidationError):
    """A block that failed the schema, with what the schema refused taken out, so that the
    rest of it is still cross-checked (`initial: zed` beside `salence: 0.3`): or None.

    Taken out are unknown fields, and invalid optional ones whose default means "not
    given" (None, an empty list or mapping), so that no default stands in for a value and
    makes a problem up; a missing citation (reported by the schema) is taken as given.
    Anything else (a required field, one with a default that means something, another
    rule of the block) leaves the block unchecked, as before.
    """
    if not isinstance(raw, dict):
        return None
    out = dict(raw)
    for err in exc.errors():
        loc = err["loc"]
        name = loc[0] if loc else None
        unknown = err["type"] == "extra_forbidden" and len(loc) == 1
        if unknown or (name is not None and _means_not_given(model, name)):
            out.pop(name, None)
        elif not loc and issubclass(model, schema.Cited):
            if out.get("source") is None and not out.get("assumption"):
                out["assumption"] = True  # else it is another rule: the retry fails
        else:
            return None
    if "attributes" in raw and "attributes" not in out:
        return None  # (selectors would then miss attributes the block meant to define)
    try:
        return model.model_validate(out)
    except ValidationError:
        return None


def _means_not_given(model, name) -> bool:
    field = next((f for n, f in model.model_fields.items() if name in (n, f.alias)), None)
    if field is None or field.is_required():
        return False
    if field.default_factory is not None:
        return field.default_factory in (list, dict)
    return field.default is None


class _Checker:
    """Collects cross-reference problems with their location in the source files."""

    def __init__(self, data, file: str):
        self.data, self.file, self.problems = data, file, []

    def add(self, loc: tuple, message: str) -> None:
        where = where_of(self.data, loc) or (self.file, None)
        self.problems.append(Problem(where[0], where[1], dotted(loc), message))

    def unique(self, section: str, items, key: str) -> None:
        seen = set()
        for i, item in items:
            ident = getattr(item, key)
            if ident in seen:
                self.add((section, i, key), f"duplicate {key} {ident!r}")
            seen.add(ident)


def cross_check(sc, data, file: str, unsure: frozenset | set = frozenset()) -> list[Problem]:
    """Problems between the parts of a scenario; items that are None (invalid) are skipped."""
    ck = _Checker(data, file)

    def valid(section: str):
        return [(i, x) for i, x in enumerate(getattr(sc, section)) if x is not None]

    for section, key in KEYED_SECTIONS.items():
        ck.unique(section, valid(section), key)

    # Events name preferences, grievances and ties by id alone, so ids must differ across them.
    rule_ids: dict[str, str] = {}
    for section in ("preferences", "grievances", "ties"):
        for i, rule in valid(section):
            if rule_ids.setdefault(rule.id, section) != section:
                ck.add((section, i, "id"), f"id {rule.id!r} is already used in {rule_ids[rule.id]}")

    sources = {s.id for _, s in valid("sources")} | unsure
    members = {m.code for _, m in valid("members")} | unsure
    candidates = {c.id for _, c in valid("candidates")} | unsure
    member_attrs = {"codes"} | {k for _, m in valid("members") for k in m.attributes}
    cand_attrs = {"ids", "home"} | {k for _, c in valid("candidates") for k in c.attributes}
    if unsure & {None} or len(valid("members")) < len(sc.members):
        member_attrs = _Anything()  # an invalid member may define any attribute
    if len(valid("candidates")) < len(sc.candidates):
        cand_attrs = _Anything()

    def cites(loc: tuple, block) -> None:
        for sid in block.source_ids():
            if sid not in sources:
                ck.add((*loc, "source"), f"unknown source {sid!r} (not in `sources:`)")
        if isinstance(block.assumption, list):
            fields = set(type(block).model_fields) | {"from"}
            for name in block.assumption:
                if name not in fields:
                    ck.add((*loc, "assumption"), f"{name!r} is not a field here")
        for name in block.uncovered():
            ck.add((*loc, name), "cite a source or list it in assumption")

    # as written, invalid ones too: `AAX` is near `AA` though AA's capability is wrong
    member_items = [m for m in _listed(data, "members") if isinstance(m.get("code"), str)]
    cand_items = [c for c in _listed(data, "candidates") if isinstance(c.get("id"), str)]

    def member_ref(loc: tuple, code) -> None:
        if code not in members:
            ck.add(loc, f"unknown member {_shown(code)}{did_you_mean(code, member_items, 'code')}")

    def cand_ref(loc: tuple, cid) -> None:
        if cid not in candidates:
            ck.add(loc, f"unknown candidate {_shown(cid)}{did_you_mean(cid, cand_items, 'id')}")

    def selector(loc: tuple, sel: dict, known: set[str], ref) -> None:
        for key, want in sel.items():
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                ck.add((*loc, key), f"unknown attribute {key!r} in selector{hint}")
            elif key in ("codes", "ids", "home"):
                for i, ident in enumerate(want if isinstance(want, list) else [want]):
                    ref((*loc, key, i) if isinstance(want, list) else (*loc, key), ident)
            elif isinstance(want, dict) and not set(want) <= {"min", "max"}:
                ck.add((*loc, key), "a range selector takes only `min` and `max`")

    def set_by(*fields: str) -> str:
        """` (set by --set calendar.start=...)` where a `--set` gave one of these dates."""
        for name in fields:
            where = where_of(data, ("calendar", name))
            if where and str(where[0]).startswith("--set "):
                return f" (set by {where[0]})"
        return ""

    cal = sc.calendar
    if cal is not None:
        cites(("calendar",), cal)
        if cal.deadline < cal.start:
            ck.add(("calendar", "deadline"),
                   f"is before calendar.start {cal.start}{set_by('deadline', 'start')}")  # fmt: skip
        if cal.last_round <= cal.start:
            ck.add(("calendar", "last_round"),
                   f"must be after calendar.start {cal.start}{set_by('last_round', 'start')}")  # fmt: skip
    if sc.decision is not None:
        cites(("decision",), sc.decision)
        for i, code in enumerate(sc.decision.veto):
            member_ref(("decision", "veto", i), code)
        _majority_only(ck, ("decision",), sc.decision)

    def decision_change(loc: tuple, change) -> None:
        for k, code in enumerate(change.veto or []):
            member_ref((*loc, "veto", k), code)
        if change.rule is not None:  # (without `rule:` it changes the rule in force)
            _majority_only(ck, loc, change)

    if sc.parameters is not None:
        cites(("parameters",), sc.parameters)
    for i, c in valid("candidates"):
        cites(("candidates", i), c)
        if c.home is not None:
            member_ref(("candidates", i, "home"), c.home)
        if c.sponsor is not None:
            member_ref(("candidates", i, "sponsor"), c.sponsor)
    for i, m in valid("members"):
        cites(("members", i), m)
        if m.initial is not None:
            cand_ref(("members", i, "initial"), m.initial)
        for k, cid in enumerate(m.objects):
            cand_ref(("members", i, "objects", k), cid)
            if cid == m.initial:
                ck.add(
                    ("members", i, "objects", k),
                    f"a member cannot object to {cid!r}, which it backs",
                )
    for i, b in valid("brokers"):
        cites(("brokers", i), b)
        if b.member is not None:
            member_ref(("brokers", i, "member"), b.member)
        else:
            selector(("brokers", i, "members"), b.members, member_attrs, member_ref)
        selector(("brokers", i, "targets"), b.targets, member_attrs, member_ref)
        if b.for_ is not None:
            cand_ref(("brokers", i, "for"), b.for_)
    for i, ses in valid("sessions"):
        cites(("sessions", i), ses)
        outside = cal is not None and _session_outside(ses.date, cal, set_by)
        if outside:
            ck.add(("sessions", i, "date"), outside)
        if cal is not None and ses.until is not None and ses.until > cal.last_round:
            late = (
                f"{ses.until} is after calendar.last_round {cal.last_round}{set_by('last_round')}"
            )
            ck.add(("sessions", i, "until"), late)
        if ses.until is not None and not ses.dates():
            ck.add(("sessions", i, "until"), "no working day from `date` to `until`")
        if ses.decision is not None:
            decision_change(("sessions", i, "decision"), ses.decision)
        if ses.approval and ses.kind != "indicative":
            ck.add(
                ("sessions", i, "approval"), "approval positions are taken at indicative sessions"
            )
        if ses.probability is not None and ses.kind != "formal":
            chance = "is the chance that a formal session is held on this date (give kind: formal)"
            ck.add(("sessions", i, "probability"), chance)
        if ses.convened_after_days is not None:
            if ses.kind != "formal":
                called = "convenes a formal session once the rule is met (give kind: formal)"
                ck.add(("sessions", i, "convened_after_days"), called)
            elif ses.probability is not None:
                both = "a session is held by chance (probability) or once the rule is met, not both"
                ck.add(("sessions", i, "convened_after_days"), both)
    days = [d for _, s in valid("sessions") for d in s.dates()]
    for code in {d for d in days if days.count(d) > 1}:
        ck.add(("sessions",), f"two sessions on {code}")
    for section in ("preferences", "grievances"):
        for i, rule in valid(section):
            cites((section, i), rule)
            selector((section, i, "members"), rule.members, member_attrs, member_ref)
            if rule.candidate is not None:
                cand_ref((section, i, "candidate"), rule.candidate)
            else:
                ref = _ref_any(cand_ref, member_ref)
                selector((section, i, "candidates"), rule.candidates, cand_attrs, ref)
    for i, tie in valid("ties"):
        cites(("ties", i), tie)
        selector(("ties", i, "from"), tie.from_, member_attrs, member_ref)
        selector(("ties", i, "to"), tie.to, member_attrs, member_ref)
    ids = {
        kind: {x.id for _, x in valid(section)} | unsure
        for kind, section in (
            ("grievance", "grievances"),
            ("tie", "ties"),
            ("preference", "preferences"),
        )
    }
    events = [ev for _, ev in valid("events")]
    for i, ev in valid("events"):
        cites(("events", i), ev)
        if cal is not None and not cal.start <= ev.date <= cal.last_round:
            side, bound = ("before", "start") if ev.date < cal.start else ("after", "last_round")
            outside = (f"{ev.date} is {side} calendar.{bound} {getattr(cal, bound)}"
                       f"{set_by(bound)} (an event falls from calendar.start to "
                       "calendar.last_round, both included)")  # fmt: skip
            ck.add(("events", i, "date"), outside)
        if ev.member is not None:
            member_ref(("events", i, "member"), ev.member)
        if ev.candidate is not None:
            cand_ref(("events", i, "candidate"), ev.candidate)
        if ev.decision is not None:
            decision_change(("events", i, "decision"), ev.decision)
        for kind, known in ids.items():
            ref = getattr(ev, kind)
            if ref is not None and ref not in known:
                ck.add(("events", i, kind), f"unknown {kind} {ref!r}")
        if ev.parameter is not None and ev.parameter not in PARAMETER_NAMES:
            close = difflib.get_close_matches(ev.parameter, PARAMETER_NAMES, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            ck.add(("events", i, "parameter"), f"unknown parameter {ev.parameter!r}{hint}")
        _check_event_value(ck, i, ev, sc.parameters or Parameters())
    start = cal.start if cal is not None else None
    entering = {
        e.candidate: e.date for e in events if e.kind == "enter" and start and e.date > start
    }
    for i, c in valid("candidates"):
        if not c.declared and c.id not in entering:
            ck.add(("candidates", i, "declared"), "a floated candidate needs a later `enter` event")
    floated = {c.id for _, c in valid("candidates") if not c.declared}
    joins = [e.member for e in events if e.kind == "join"]
    for i, m in valid("members"):
        if m.initial in entering or m.initial in floated:
            msg = f"candidate {m.initial!r} is not in the race at the start (it enters {entering.get(m.initial, 'later')})"
            ck.add(("members", i, "initial"), msg)
        if m.initial and m.code in joins:
            ck.add(("members", i, "initial"), "a member that joins later starts undecided")
    for code in {c for c in joins if joins.count(c) > 1}:
        ck.add(("events",), f"member {code!r} joins more than once")
    _check_sensitivity(ck, sc)
    return ck.problems


def _listed(data, section: str) -> list[dict]:
    items = data.get(section) if isinstance(data, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _shown(ident) -> str:
    """An id as a message names it; a bool says it was a bare NO (Norway) or the like."""
    if isinstance(ident, bool):
        return f"{str(ident).lower()} ({bool_hint(ident)})"
    return repr(ident)


def _session_outside(day, cal, set_by) -> str | None:
    """Why a session on `day` is outside the calendar, or None. A session comes after
    calendar.start (the start is round 0, the starting position, which is not played: no
    meeting is held there; an event on the start date is part of it) and on or before
    calendar.last_round."""
    if day > cal.last_round:
        return f"{day} is after calendar.last_round {cal.last_round}{set_by('last_round')}"
    if day > cal.start:
        return None
    rule = ("a session must come after the start (round 0, the starting position, holds no "
            f"meeting), so on {cal.start + timedelta(days=1)} at the earliest")  # fmt: skip
    if day == cal.start:
        return f"{day} is calendar.start{set_by('start')}; {rule}"
    return f"{day} is before calendar.start {cal.start}{set_by('start')}; {rule}"


# Fields of a decision rule that only a qualified majority reads (the engine ignores them
# under consensus and unanimity, so writing them there is a mistake that would pass silently).
MAJORITY_ONLY = ("threshold", "weighted", "count")


def _majority_only(ck: _Checker, loc: tuple, block) -> None:
    """A `threshold` (`weighted`, `count`) written for a rule other than qualified majority,
    other than its default."""
    if block.rule == "qualified_majority":
        return
    raw = ck.data
    for key in loc:
        if isinstance(raw, dict):
            raw = raw.get(key)
        elif isinstance(raw, list) and isinstance(key, int) and 0 <= key < len(raw):
            raw = raw[key]
        else:
            raw = None
    if not hasattr(raw, "item_where"):
        return  # a loaded scenario dumped again (to apply --set): checked when it was loaded
    for name in MAJORITY_ONLY:
        # (a written default, as a dumped scenario holds, changes nothing: let it pass)
        given = getattr(block, name) != type(block).model_fields[name].default
        if name in block.model_fields_set and name in raw and given:
            msg = (f"applies to rule: qualified_majority only, and this rule is {block.rule}: "
                   f"remove `{name}` (or give rule: qualified_majority)")  # fmt: skip
            ck.add((*loc, name), msg)


def _check_sensitivity(ck: _Checker, sc) -> None:
    """Each `sensitivity:` key names a field an analysis can vary, over an allowed range."""
    block = getattr(sc, "sensitivity", None)
    if block is None:
        return
    for key, span in block.inputs.items():
        try:
            found = varied_field(key, sc)
        except ValueError as exc:
            ck.add(("sensitivity", "inputs", key), str(exc))
            continue
        problem = range_problem(found, span.min, span.max)
        if problem:
            ck.add(("sensitivity", "inputs", key), problem)
    for i, key in enumerate(block.exclude):
        try:
            varied_field(key, sc)
        except ValueError as exc:
            ck.add(("sensitivity", "exclude", i), str(exc))


class _Anything:
    """Stands for an unknown set of attribute names: contains everything."""

    def __contains__(self, item) -> bool:
        return True

    def __iter__(self):
        return iter(())


# The range each re-weighting event's value must respect, as in the schema.
_EVENT_RANGES = {"grievance": (0.0, 1.0), "preference": (-1.0, 1.0), "tie": (0.0, 100.0)}


def _check_event_value(ck: _Checker, i: int, ev, params: Parameters) -> None:
    if ev.kind in _EVENT_RANGES:
        lo, hi = _EVENT_RANGES[ev.kind]
        if not lo <= ev.value <= hi:
            ck.add(
                ("events", i, "value"), f"must be between {lo:g} and {hi:g} for a {ev.kind} event"
            )
    elif ev.kind == "parameter" and ev.parameter in PARAMETER_NAMES:
        values = params.model_dump(exclude={"source", "assumption", "note"})
        try:
            Parameters.model_validate({**values, ev.parameter: ev.value, "assumption": True})
        except ValidationError as exc:
            msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
            ck.add(("events", i, "value"), f"{ev.parameter}: {msg}")


def _ref_any(cand_ref, member_ref):
    """Candidate selectors hold candidate ids under `ids` and member codes under `home`."""

    def ref(loc: tuple, ident) -> None:
        (member_ref if "home" in loc else cand_ref)(loc, ident)

    return ref
