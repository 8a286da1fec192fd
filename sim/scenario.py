"""Load a scenario: YAML, `extends:` inheritance, `--set` overrides, schema and cross-checks.

Every problem becomes a one-line `file:line: field.path: what is wrong`; all of a
file's problems are gathered before giving up, so a user fixes them in one pass.
"""

import difflib
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import yaml
from pydantic import ValidationError

from sim import schema
from sim.errors import Problem, ScenarioError
from sim.schema import PARAMETER_NAMES, Parameters, Scenario
from sim.yamlfile import LocatedDict, LocatedList, load_located, where_of

# List sections whose items a variant can replace or drop by their key.
KEYED_SECTIONS = {
    "sources": "id",
    "candidates": "id",
    "members": "code",
    "preferences": "id",
    "ties": "id",
    "grievances": "id",
    "events": "id",
}
MAPPING_SECTIONS = ("calendar", "decision", "parameters", "batch")
ITEM_MODELS = {
    "sources": schema.Source,
    "candidates": schema.Candidate,
    "members": schema.Member,
    "preferences": schema.Preference,
    "ties": schema.Tie,
    "grievances": schema.Grievance,
    "events": schema.Event,
}


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load, resolve and check a scenario file; raise ScenarioError listing every problem."""
    path = Path(path)
    data = _resolve(path, stack=())
    for text in overrides or []:
        _apply_override(data, text)
    data.setdefault("name", path.stem)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        # Report the cross-reference problems of the valid parts in the same pass.
        problems = schema_problems(exc, data, str(path))
        partial, unsure = _valid_parts(data)
        problems += _cross_check(partial, data, str(path), unsure)
        raise ScenarioError(problems) from None
    problems = _cross_check(scenario, data, str(path))
    if problems:
        raise ScenarioError(problems)
    return scenario


def _valid_parts(data) -> tuple[SimpleNamespace, set]:
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
        except ValidationError:
            value = None
        setattr(parts, name, value if raw is not None or name != "calendar" else None)
    for section, model in ITEM_MODELS.items():
        raw = data.get(section)
        items = []
        for item in raw if isinstance(raw, list) else []:
            try:
                items.append(model.model_validate(item))
            except ValidationError:
                items.append(None)
                if isinstance(item, dict):
                    unsure.add(item.get(KEYED_SECTIONS[section]))
        setattr(parts, section, items)
    return parts, unsure


def scenario_digest(scenario: Scenario) -> str:
    """sha256 of the resolved scenario (its model inputs, not its batch settings)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"batch"})
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


# --- extends -----------------------------------------------------------------------------


def _resolve(path: Path, stack: tuple[Path, ...], shown: str | None = None) -> LocatedDict:
    data = load_located(path, shown)
    file = shown or str(path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(file, data_line(data), "", "a scenario must be a mapping")])
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    line = data.item_where.get("extends", (file, None))[1]
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem(file, line, "extends", "must be a path to a YAML file")])
    parent_path = (path.parent / parent_ref).resolve()
    if parent_path in stack or parent_path == path.resolve():
        chain = " -> ".join(p.name for p in (*stack, path.resolve(), parent_path))
        raise ScenarioError([Problem(file, line, "extends", f"circular extends: {chain}")])
    if not parent_path.is_file():
        raise ScenarioError([Problem(file, line, "extends", f"file not found: {parent_ref}")])
    parent_shown = str(Path(file).parent / parent_ref)
    parent = _resolve(parent_path, (*stack, path.resolve()), shown=_tidy(parent_shown))
    parent.pop("name", None)  # a variant is its own scenario, named after its own file
    return _merge(parent, data, file)


def _tidy(shown: str) -> str:
    """`scenarios/what-if/../nato.yaml` -> `scenarios/nato.yaml`, keeping it relative."""
    parts: list[str] = []
    for part in Path(shown).parts:
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        else:
            parts.append(part)
    return str(Path(*parts)) if parts else shown


def data_line(data) -> int | None:
    return getattr(data, "where", (None, None))[1]


def _merge(parent: LocatedDict, child: LocatedDict, file: str) -> LocatedDict:
    out = _copy(parent)
    for key, value in child.items():
        if key in KEYED_SECTIONS and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = _merge_keyed(out[key], value, KEYED_SECTIONS[key], key, file)
        elif key in MAPPING_SECTIONS and isinstance(value, dict) and isinstance(out.get(key), dict):
            merged = _copy(out[key])
            for k, v in value.items():
                merged[k] = v
                merged.item_where[k] = value.item_where[k]
            out[key] = merged
        else:
            out[key] = value
        out.item_where[key] = child.item_where[key]
    return out


def _merge_keyed(parent: LocatedList, child: LocatedList, key: str, section: str, file: str):
    items = LocatedList(parent)
    items.where, items.item_where = parent.where, list(parent.item_where)
    index = {item.get(key): i for i, item in enumerate(items) if isinstance(item, dict)}
    dropped = set()
    for j, item in enumerate(child):
        line = child.item_where[j][1]
        if not isinstance(item, dict) or key not in item:
            raise ScenarioError([Problem(file, line, f"{section}[{j}]", f"needs `{key}`")])
        ident = item[key]
        if item.get("drop") is True:
            if ident not in index or ident in dropped:
                msg = f"cannot drop {key} {ident!r}: the base scenario has no such item"
                raise ScenarioError([Problem(file, line, f"{section}[{j}].drop", msg)])
            dropped.add(ident)
        elif ident in index:
            i = index[ident]
            merged = _copy(items[i])
            for k, v in item.items():
                merged[k] = v
                merged.item_where[k] = item.item_where[k]
            items[i], items.item_where[i] = merged, child.item_where[j]
        else:
            index[ident] = len(items)
            items.append(item)
            items.item_where.append(child.item_where[j])
    kept = [
        (x, w) for x, w in zip(items, items.item_where, strict=True) if x.get(key) not in dropped
    ]
    out = LocatedList(x for x, _ in kept)
    out.where, out.item_where = items.where, [w for _, w in kept]
    return out


def _copy(d: LocatedDict) -> LocatedDict:
    out = LocatedDict(d)
    out.where, out.item_where = d.where, dict(d.item_where)
    return out


# --- overrides ---------------------------------------------------------------------------


def _apply_override(data: LocatedDict, text: str) -> None:
    """Apply `a.b.c=value`; items of keyed lists are addressed by id (`members.HU.salience`)."""
    shown = f"--set {text}"
    if "=" not in text:
        raise ScenarioError([Problem(shown, None, "", "expected key=value")])
    dotted, raw = text.split("=", 1)
    keys = [k for k in dotted.strip().split(".") if k]
    if not keys:
        raise ScenarioError([Problem(shown, None, "", "expected key=value")])
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    except ValueError as exc:  # e.g. 2024-02-30 looks like a date but is none
        raise ScenarioError(
            [Problem(shown, None, dotted, f"{raw!r} is not a valid value ({exc})")]
        ) from None
    node, path = data, []
    for k in keys[:-1]:
        node = _child(node, k, path, shown)
        path.append(k)
    last = keys[-1]
    if not isinstance(node, dict):
        raise ScenarioError([Problem(shown, None, ".".join(path), "is not a mapping")])
    node[last] = value
    if hasattr(node, "item_where"):
        node.item_where[last] = (shown, None)
    if path and path[0] != "sources" and last not in ("source", "assumption", "note"):
        _mark_assumed(node, last)


def _mark_assumed(block: dict, field: str) -> None:
    """A value set on the command line is the user's assumption; say so in its block."""
    marked = block.get("assumption")
    if isinstance(marked, list):
        if field not in marked:
            marked.append(field)
    elif not marked:
        block["assumption"] = [field] if block.get("source") else True


def _child(node, key: str, path: list[str], shown: str):
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and key in (item.get("id"), item.get("code")):
                return item
        raise ScenarioError([Problem(shown, None, ".".join(path), f"no item with id {key!r}")])
    if isinstance(node, dict):
        if key not in node:
            if ".".join([*path, key]) in MAPPING_SECTIONS:
                node[key] = LocatedDict()
                node[key].where, node[key].item_where = (shown, None), {}
                node.item_where[key] = (shown, None)
            else:
                raise ScenarioError([Problem(shown, None, ".".join([*path, key]), "no such field")])
        return node[key]
    raise ScenarioError([Problem(shown, None, ".".join(path), "is not a mapping or list")])


# --- schema errors -----------------------------------------------------------------------


def schema_problems(exc: ValidationError, data, file: str, root=Scenario) -> list[Problem]:
    """One located Problem per schema error of `root` validated from `data`."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = where_of(data, loc) or (file, None)
        problems.append(Problem(where[0], where[1], dotted(loc), _message(err, loc, root)))
    return problems


def dotted(loc: tuple) -> str:
    """`("members", 3, "capability")` -> `members[3].capability`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(err: dict, loc: tuple, root) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown field{_did_you_mean(loc, root)}"
    if kind == "missing":
        return "required field is missing"
    msg = err["msg"].removeprefix("Value error, ")
    if "input" in err and not isinstance(err["input"], dict | list):
        shown = repr(err["input"])
        msg += f" (got {shown[:40]})"
    return msg


def _did_you_mean(loc: tuple, root) -> str:
    """Suggest the closest field name of the block the unknown key was written in."""
    model = root
    for key in loc[:-1]:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(key) if model else None
        model = _model_in(field.annotation) if field else None
    if model is None:
        return ""
    names = [f.alias or n for n, f in model.model_fields.items()]
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _model_in(annotation):
    """The pydantic model inside `X`, `list[X]` or `X | None`, if any."""
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# --- cross-references --------------------------------------------------------------------


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


def _cross_check(sc, data, file: str, unsure: frozenset | set = frozenset()) -> list[Problem]:
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
    homes: dict[str, str] = {}
    for i, c in valid("candidates"):
        if homes.setdefault(c.home, c.id) != c.id:
            ck.add(("candidates", i, "home"), f"{c.home} is already home to {homes[c.home]!r}")

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

    def member_ref(loc: tuple, code) -> None:
        if code not in members:
            ck.add(loc, f"unknown member {code!r}")

    def cand_ref(loc: tuple, cid) -> None:
        if cid not in candidates:
            ck.add(loc, f"unknown candidate {cid!r}")

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

    cal = sc.calendar
    if cal is not None:
        cites(("calendar",), cal)
        if cal.deadline < cal.start:
            ck.add(("calendar", "deadline"), "is before calendar.start")
        if cal.last_round <= cal.start:
            ck.add(("calendar", "last_round"), "must be after calendar.start")
    if sc.decision is not None:
        cites(("decision",), sc.decision)
        for i, code in enumerate(sc.decision.veto):
            member_ref(("decision", "veto", i), code)
    if sc.parameters is not None:
        cites(("parameters",), sc.parameters)
    for i, c in valid("candidates"):
        cites(("candidates", i), c)
        member_ref(("candidates", i, "home"), c.home)
    for i, m in valid("members"):
        cites(("members", i), m)
        if m.initial is not None:
            cand_ref(("members", i, "initial"), m.initial)
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
            outside = f"{ev.date} is outside the calendar ({cal.start} to {cal.last_round})"
            ck.add(("events", i, "date"), outside)
        if ev.member is not None:
            member_ref(("events", i, "member"), ev.member)
        if ev.candidate is not None:
            cand_ref(("events", i, "candidate"), ev.candidate)
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
    joins = [e.member for e in events if e.kind == "join"]
    for i, m in valid("members"):
        if m.initial in entering:
            msg = f"candidate {m.initial!r} is not in the race at the start (it enters {entering[m.initial]})"
            ck.add(("members", i, "initial"), msg)
        if m.initial and m.code in joins:
            ck.add(("members", i, "initial"), "a member that joins later starts undecided")
    for code in {c for c in joins if joins.count(c) > 1}:
        ck.add(("events",), f"member {code!r} joins more than once")
    return ck.problems


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
