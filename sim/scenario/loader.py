"""Load a scenario: YAML, `extends:` inheritance, `--set` overrides, schema and cross-checks.

Every problem becomes a one-line `file:line: field.path: what is wrong`; all of a
file's problems are gathered before giving up, so a user fixes them in one pass.
"""

import difflib
import hashlib
import json
import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from sim.errors import Problem, ScenarioError, bool_hint, dotted
from sim.scenario.checks import (
    ITEM_MODELS,
    KEYED_SECTIONS,
    MAPPING_SECTIONS,
    cross_check,
    did_you_mean,
    nearest_id,
    valid_parts,
)
from sim.scenario.limits import name_problems, plain_name, size_problems
from sim.scenario.membertable import Reported, read_members_table
from sim.scenario.schema import PARAMETER_NAMES, Parameters, Scenario, named_parameter_set
from sim.scenario.yamlfile import (
    YAML_SUFFIXES,
    LocatedDict,
    LocatedList,
    bad_value_message,
    load_located,
    where_of,
)

SCENARIO_KEYS = {f.alias or n for n, f in Scenario.model_fields.items()} | {
    "extends",
    "members_table",
}


def resolve(path: str | Path):
    """A scenario file read and its `extends:` chain merged, not yet checked (to load many
    variants of one file, each with its own overrides, while reading the file once)."""
    return _resolve(Path(path), stack=())


def load_scenario(
    path: "str | Path | Scenario", overrides: list[str] | None = None, resolved=None
) -> Scenario:
    """Load, resolve and check a scenario file; raise ScenarioError listing every problem.

    Args:
        path: a scenario YAML file, or a loaded `Scenario` to apply `overrides` to.
        overrides: `key=value` texts, as `--set` takes them.
        resolved: what `resolve(path)` gave, to skip reading the file again.

    Returns:
        The validated scenario.
    """
    if isinstance(path, Scenario):
        if not overrides:
            return path
        data = path.model_dump(mode="json", by_alias=True)
        path = Path(f"<{path.name}>")
    else:
        path = Path(path)
        data = _shallow(resolved) if resolved is not None else _resolve(path, stack=())
        if is_record(data):  # else every scenario section is "missing": one line instead
            msg = ("is an observed record, not a scenario: give a scenario here, and the record "
                   "with --record")  # fmt: skip
            raise ScenarioError([Problem(str(path), None, "", msg)])
    # A variant's items that named nothing in its base: reported with everything else.
    deferred = list(getattr(data, "deferred", []))
    merged = getattr(data, "merged", False)
    for text in whole_blocks_first(overrides or []):
        _apply_override(data, text)
    data.setdefault("name", plain_name(path.stem))
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        # Report the cross-reference problems of the valid parts in the same pass.
        problems = schema_problems(exc, data, str(path))
        partial, unsure = valid_parts(data)
        problems += cross_check(partial, data, str(path), unsure)
        raise ScenarioError(
            in_order(deferred + _by_key(problems, data, merged), str(path))
        ) from None
    problems = cross_check(scenario, data, str(path))
    problems += size_problems(scenario, data, str(path)) + name_problems(scenario, data, str(path))
    if deferred or problems:
        raise ScenarioError(in_order(deferred + _by_key(problems, data, merged), str(path)))
    return scenario


def in_order(problems: list[Problem], first: str | None = None) -> list[Problem]:
    """Problems by file (`first`, the scenario, before the bases it extends, in the order
    they come up) and then by line; a problem with no line first in its file."""
    files: dict[str, int] = {first: 0} if first is not None else {}
    for p in problems:
        files.setdefault(p.file, len(files))
    return sorted(problems, key=lambda p: (files[p.file], p.line or 0))


_INDEXED = re.compile(r"^(\w+)\[(\d+)\]")


def _by_key(problems: list[Problem], data, merged) -> list[Problem]:
    """In a merged variant, `members[12].salence` -> `members.HU.salence`: an item's place
    in the merged list is in neither file, its code or id is in both (and is how `--set`
    names it). A problem of a `--set` is named so in any scenario, as it was typed.
    `merged` is True (a variant: every section) or the sections merged (`members`, onto a
    member table)."""
    out = []
    for p in problems:
        found = _INDEXED.match(p.path)
        section = found and found.group(1)
        if not (merged is True or section in (merged or ()) or p.file.startswith("--set ")):
            out.append(p)
            continue
        items = data.get(section) if section in KEYED_SECTIONS else None
        if found and isinstance(items, list) and int(found.group(2)) < len(items):
            item = items[int(found.group(2))]
            ident = item.get(KEYED_SECTIONS[section]) if isinstance(item, dict) else None
            if isinstance(ident, str):
                p = Problem(p.file, p.line, f"{section}.{ident}{p.path[found.end() :]}", p.message)
        out.append(p)
    return out


RECORD_SECTIONS = {"appointment", "declarations", "support", "withdrawals", "last_holdouts"}


def is_record(data) -> bool:
    """An observed record's data: a record's sections (appointment, declarations, ...) and
    none of a scenario's own (calendar, members, candidates, extends)."""
    return (isinstance(data, dict) and bool(RECORD_SECTIONS & set(data))
            and not {"calendar", "members", "candidates", "extends"} & set(data))  # fmt: skip


def record_names(name: str, chain: list[tuple[Path, str]]) -> list[str]:
    """The names a record's `scenario:` may give for a scenario called `name` whose
    `extends_chain` is `chain`: its own, then each base's (a base's record scores its variants)."""
    return [name, *(base for _, base in chain[1:])]


def extends_chain(path: str | Path) -> list[tuple[Path, str]]:
    """The scenario file and each base it `extends:`, in order, with the name each gives itself.

    For files that load (call it after `load_scenario`): used to protect them from being
    written over, and to accept a record of a base scenario for its variants.
    """
    chain: list[tuple[Path, str]] = []
    path = Path(path)
    while len(chain) < 100:
        data = load_located(path)
        if not isinstance(data, dict) or path.resolve() in [p for p, _ in chain]:
            break
        name = data.get("name")
        chain.append((path.resolve(), name if isinstance(name, str) else path.stem))
        ref = data.get("extends")
        if not isinstance(ref, str):
            break
        path = path.parent / ref
    return chain


def scenario_digest(scenario: Scenario) -> str:
    """sha256 of the resolved scenario (its model inputs, not its batch settings)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"batch"})
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def digest_parts(scenario: Scenario) -> dict[str, str]:
    """Each top-level section of the resolved scenario as `scenario_digest` writes it."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"batch"})
    return {key: json.dumps(value, sort_keys=True) for key, value in data.items()}


def digests_of_parts(parts: dict[str, str], key: str):
    """`scenario_digest` from `digest_parts` with section `key` replaced, as a function of
    that section's text, for many points: the text before it is hashed once, the text after
    it joined once (the text `scenario_digest` writes, so the same hash)."""
    items = [(k, parts[k]) for k in sorted({*parts, key})]
    at = [k for k, _ in items].index(key)
    before = [f"{json.dumps(k)}: {v}" for k, v in items[:at]]
    after = [f"{json.dumps(k)}: {v}" for k, v in items[at + 1 :]]
    head = hashlib.sha256(
        ("{" + "".join(f"{x}, " for x in before) + json.dumps(key) + ": ").encode()
    )
    tail = ("".join(f", {x}" for x in after) + "}").encode()

    def digest(text: str) -> str:
        h = head.copy()
        h.update(text.encode())
        h.update(tail)
        return h.hexdigest()

    return digest


def parameter_point(
    base: Scenario, resolved, overrides: list[str], sets: list[str]
) -> Scenario | None:
    """`load_scenario(path, [*overrides, *sets], resolved)` for a sweep point that sets only
    behavioural parameters, validating the `parameters:` block alone (the rest is `base`,
    loaded with `overrides`). None where this shortcut does not apply or the block does not
    validate: the caller then loads the point in full, with its located errors."""
    keys = [long_key(text.split("=", 1)[0].strip()) for text in [*overrides, *sets]]
    ours = [k.startswith("parameters.") for k in keys]
    if (
        not sets
        or not isinstance(resolved, LocatedDict)
        or "parameters" in keys
        or not all(ours[len(overrides) :])
        or any(e.kind == "parameter" for e in base.events)  # cross-checked with the block
        or not isinstance(resolved.get("parameters", {}), dict)
    ):
        return None
    data = LocatedDict()
    data.where, data.item_where = getattr(resolved, "where", None), {}
    if "parameters" in resolved:
        data["parameters"] = resolved["parameters"]
        data.item_where["parameters"] = resolved.item_where.get("parameters")
    try:
        for text, mine in zip([*overrides, *sets], ours, strict=True):
            if mine:
                _apply_override(data, text)
        parameters = Parameters.model_validate(data.get("parameters", {}))
    except (ScenarioError, ValidationError):
        return None
    return base.model_copy(update={"parameters": parameters})


# --- extends -----------------------------------------------------------------------------


def _resolve(path: Path, stack: tuple[Path, ...], shown: str | None = None) -> LocatedDict:
    data = load_located(path, shown)
    file = shown or str(path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(file, data_line(data), "", "a scenario must be a mapping")])
    if not set(data) & SCENARIO_KEYS:
        # Say what the file is, never what it holds: it may be anything a path can name.
        msg = "not a scenario: none of its top-level keys is a scenario section (calendar, members, ...)"
        raise ScenarioError([Problem(file, None, "", msg)])
    if "members_table" in data:
        _read_table(data, path, file)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    line = data.item_where.get("extends", (file, None))[1]
    if not isinstance(parent_ref, str) or not parent_ref.lower().endswith(YAML_SUFFIXES):
        msg = "must be a path to a .yaml or .yml file"
        raise ScenarioError([Problem(file, line, "extends", msg)])
    parent_path = (path.parent / parent_ref).resolve()
    if parent_path in stack or parent_path == path.resolve():
        chain = " -> ".join(p.name for p in (*stack, path.resolve(), parent_path))
        raise ScenarioError([Problem(file, line, "extends", f"circular extends: {chain}")])
    if not parent_path.exists():
        raise ScenarioError([Problem(file, line, "extends", f"file not found: {parent_ref}")])
    parent_shown = str(Path(file).parent / parent_ref)
    parent = _resolve(parent_path, (*stack, path.resolve()), shown=_tidy(parent_shown))
    parent.pop("name", None)  # a variant is its own scenario, named after its own file
    return _merge(parent, data, file)


def _read_table(data: LocatedDict, path: Path, file: str) -> None:
    """Replace `members_table:` by its rows, with the file's own `members:` merged over them."""
    ref = data.pop("members_table")
    line = data.item_where.pop("members_table", (file, None))[1]
    if not isinstance(ref, str) or not ref.endswith(".csv"):
        raise ScenarioError([Problem(file, line, "members_table", "must be a path to a .csv file")])
    table_path = path.parent / ref
    if not table_path.exists():  # anything else (a FIFO, a device, too large) read_text refuses
        raise ScenarioError([Problem(file, line, "members_table", f"file not found: {ref}")])
    raw = data.get("sources")
    # A variant may cite its base's sources; those are checked after merging instead.
    known = None
    if "extends" not in data and isinstance(raw, list):
        known = {s.get("id") for s in raw if isinstance(s, dict)}
    table, problems = read_members_table(table_path, _tidy(str(Path(file).parent / ref)), known)
    own = data.get("members")
    if isinstance(own, list):
        base = f"the member table ({_tidy(str(Path(file).parent / ref))})"
        table, unknown = _merge_keyed(table, own, "code", "members", file, base)
        problems += unknown
        data.merged = ("members",)  # its entries' places in the merged table are in no file
    data["members"] = table
    data.item_where["members"] = data.item_where.get("members", (file, line))
    if problems:  # reported with everything else wrong in the scenario (`load_scenario`)
        data.deferred = problems


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
    """`child` over `parent`. An item of `child` naming no item of the base (an id typo) is
    left out and its problem kept in the result's `deferred`, to be reported with whatever
    else is wrong in the merged scenario (`load_scenario`), in one pass."""
    out = _copy(parent)
    # a base's own, further up the chain, and the child's member table's
    problems = list(getattr(parent, "deferred", [])) + list(getattr(child, "deferred", []))
    for key, value in child.items():
        if key in KEYED_SECTIONS and isinstance(value, list) and isinstance(out.get(key), list):
            out[key], unknown = _merge_keyed(out[key], value, KEYED_SECTIONS[key], key, file)
            problems += unknown
        elif key in MAPPING_SECTIONS and isinstance(value, dict) and isinstance(out.get(key), dict):
            merged = _copy(out[key])
            for k, v in value.items():
                merged[k] = v
                merged.item_where[k] = value.item_where[k]
            out[key] = merged
        else:
            out[key] = value
        out.item_where[key] = child.item_where[key]
    out.deferred, out.merged = problems, True
    return out


def _merge_keyed(
    parent: LocatedList,
    child: LocatedList,
    key: str,
    section: str,
    file: str,
    base_name: str = "the base scenario",
):
    """(the merged list, the problems of the child's items that name nothing in the base
    (`base_name`) and are incomplete as new items: those are left out)."""
    items = LocatedList(parent)
    items.where, items.item_where = parent.where, list(parent.item_where)
    index = {item.get(key): i for i, item in enumerate(items) if isinstance(item, dict)}
    base_items = [item for item in parent if isinstance(item, dict)]
    dropped = set()
    problems = []
    for j, item in enumerate(child):
        line = child.item_where[j][1]
        if not isinstance(item, dict) or key not in item:
            raise ScenarioError([Problem(file, line, f"{section}[{j}]", f"needs `{key}`")])
        ident = item[key]
        if item.get("drop") is True:
            if ident not in index or ident in dropped:
                msg = f"cannot drop {key} {ident!r}: {base_name} has no such item"
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
            unknown, new = _unknown_item(item, key, section, base_items, base_name)
            if unknown:
                problems.append(Problem(file, line, f"{section}[{j}].{key}", unknown))
            if not new:
                continue
            index[ident] = len(items)
            items.append(item)
            items.item_where.append(child.item_where[j])
    kept = [
        (x, w) for x, w in zip(items, items.item_where, strict=True) if x.get(key) not in dropped
    ]
    out = LocatedList(x for x, _ in kept)
    out.where, out.item_where = items.where, [w for _, w in kept]
    return out, problems


def _unknown_item(
    item: dict, key: str, section: str, base: list[dict], base_name: str = "the base scenario"
) -> tuple[str | None, bool]:
    """(what to say at the id of a variant's item that matches no base item, or None;
    whether it is taken as a new item).

    An item whose id is close to a base id is most likely a typo in it: it is left out and
    the nearest id is named (`UK` finds `GB` through its name, United Kingdom). Else an
    item that gives every required field reads as a new one: it is added, and its problems
    (a bad date, an unknown field) are the schema's, each at its own line. One that lacks
    a required field is left out, with every reason it is not a whole new item.
    """
    try:
        ITEM_MODELS[section].model_validate(item)
    except ValidationError as exc:
        errors = exc.errors()
    else:
        return None, True
    singular = section.removesuffix("s")
    ident = item[key]
    head = f"no {singular} {ident!r} in {base_name}"
    near = nearest_id(str(ident), base, key)
    if near is not None:
        return f"{head} (did you mean `{near}`?)", False
    if not any(e["type"] == "missing" and len(e["loc"]) == 1 for e in errors):
        return None, True
    reasons = "; ".join(
        f"{dotted(tuple(e['loc']))}: {_message(e, tuple(e['loc']), ITEM_MODELS[section])}".lstrip(
            ": "
        )
        for e in errors
    )
    return f"{head}, and as a new {singular} it is incomplete ({reasons})", False


def _copy(d: LocatedDict) -> LocatedDict:
    out = LocatedDict(d)
    out.where, out.item_where = d.where, dict(d.item_where)
    return out


# --- overrides ---------------------------------------------------------------------------


# The plain decimal numbers YAML reads as an int or a float (PyYAML's resolver: no `_`, no
# sign on a bare `.5`, a signed exponent only): for these, Python's int() and float() give
# the value yaml.safe_load gives, many times faster (a sweep parses one per point and key).
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?")


def scalar(text: str):
    """`yaml.safe_load(text)`, with plain decimal numbers read directly."""
    plain = text.strip(" ")
    if _DECIMAL_INT.fullmatch(plain):
        return int(plain)
    if _DECIMAL_FLOAT.fullmatch(plain):
        return float(plain)
    return yaml.safe_load(text)


def whole_blocks_first(overrides: list[str]) -> list[str]:
    """`overrides` with those that set the whole `parameters:` block (`parameters=priors`, a
    named set, or a mapping) first, each group in the order given: a set, then single
    parameters on top of it (`parameters.noise=0.9`), whichever order they were typed in."""
    whole = [long_key(t.split("=", 1)[0].strip()) == "parameters" for t in overrides]
    return [t for t, w in zip(overrides, whole, strict=True) if w] + [
        t for t, w in zip(overrides, whole, strict=True) if not w
    ]


def _apply_override(data: LocatedDict, text: str) -> None:
    """Apply `a.b.c=value`; items of keyed lists are addressed by id (`members.HU.salience`)."""
    shown = f"--set {text}"
    if "=" not in text:
        raise ScenarioError([Problem(shown, None, "", "expected key=value")])
    dotted, raw = text.split("=", 1)
    dotted = long_key(dotted.strip())
    keys = [k for k in dotted.split(".") if k]
    if not keys:
        raise ScenarioError([Problem(shown, None, "", "expected key=value")])
    try:
        value = scalar(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    except ValueError as exc:  # e.g. 2024-02-30 looks like a date but is none
        raise ScenarioError(
            [Problem(shown, None, dotted, f"{raw!r} is not a valid value ({exc})")]
        ) from None
    node, path = data, []
    for k in keys[:-1]:
        child = _child(node, k, path, shown)
        # Copy on write: `data` may share its nodes with a resolved file loaded many times.
        fresh = _shallow(child)
        if isinstance(node, list):
            node[next(i for i, item in enumerate(node) if item is child)] = fresh
        else:
            node[k] = fresh
        node = fresh
        path.append(k)
    last = keys[-1]
    if not isinstance(node, dict):
        raise ScenarioError([Problem(shown, None, ".".join(path), "is not a mapping")])
    node[last] = value
    if hasattr(node, "item_where"):
        node.item_where[last] = (shown, None)
    # Run settings (batch:, sensitivity:) are no facts: they have no `assumption` to mark.
    if path and path[0] not in UNCITED and last not in ("source", "assumption", "note"):
        _mark_assumed(node, last)


UNCITED = ("sources", "batch", "sensitivity")  # top-level blocks that cite nothing


def _shallow(node):
    """A copy of one container (its items shared), keeping where it was written."""
    if isinstance(node, LocatedDict):
        out = LocatedDict(node)
        out.where, out.item_where = node.where, dict(node.item_where)
        if hasattr(node, "deferred"):  # a merged variant's problems go with it (`_merge`)
            out.deferred = node.deferred
        if hasattr(node, "merged"):
            out.merged = node.merged
        return out
    if isinstance(node, LocatedList):
        out = LocatedList(node)
        out.where, out.item_where = node.where, list(node.item_where)
        return out
    return type(node)(node) if isinstance(node, dict | list) else node


def long_key(key: str) -> str:
    """`noise` -> `parameters.noise`: a behavioural parameter may be named without its block.

    Args:
        key: a dotted field path as typed in `--set`, `--sweep` or a sweep's `params:`.

    Returns:
        The full path; any other key unchanged.
    """
    if key in PARAMETER_NAMES and key not in Scenario.model_fields:
        return f"parameters.{key}"
    return key


def _mark_assumed(block: dict, field: str) -> None:
    """A value set on the command line is the user's assumption; say so in its block."""
    marked = block.get("assumption")
    if isinstance(marked, list):
        if field not in marked:
            block["assumption"] = [*marked, field]  # a new list: the old one may be shared
    elif not marked:
        block["assumption"] = [field] if block.get("source") else True


def _child(node, key: str, path: list[str], shown: str):
    if not path and key == "parameters" and isinstance(node, dict):
        named = named_parameter_set(node.get("parameters"))
        if named is not None:  # `parameters: priors`, then one parameter set on top of it
            block = LocatedDict(named)
            where = node.item_where.get("parameters", (shown, None)) if hasattr(node, "item_where") \
                else (shown, None)  # fmt: skip
            block.where, block.item_where = where, dict.fromkeys(named, where)
            node["parameters"] = block
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and key in (item.get("id"), item.get("code")):
                return item
        items = [item for item in node if isinstance(item, dict)]
        hint = did_you_mean(key, items, "code" if any("code" in i for i in items) else "id")
        raise ScenarioError(
            [Problem(shown, None, ".".join(path), f"no item with id {key!r}{hint}")]
        )
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
    for err in _relevant(exc.errors()):
        if isinstance(err.get("input"), Reported):
            continue  # a member table's bad cell, reported as the table was read
        loc = tuple(err["loc"])
        where = where_of(data, loc) or (file, None)
        problems.append(Problem(where[0], where[1], dotted(_untagged(loc)),
                                _message(err, loc, root)))  # fmt: skip
    return problems


_SCALARS = {"str", "int", "float", "bool", "date"}
_WRONG_SHAPE = {"list_type", "dict_type", "model_type", "model_attributes_type"}


def _tagged(part) -> bool:
    """A part of an error's place that names a type of a union, not a field: pydantic's
    `list[union[str,int]]`, `function-after[_ordered(), Span]`."""
    return isinstance(part, str) and "[" in part


def _untagged(loc: tuple) -> tuple:
    """The place as the user wrote it: a union member's type tags left out
    (`params.noise.function-after[...].num` -> `params.noise.num`)."""
    out, after_tag = [], False
    for part in loc:
        if _tagged(part) or (after_tag and part in _SCALARS):
            after_tag = True
            continue
        out.append(part)
    return tuple(out)


def _relevant(errors: list[dict]) -> list[dict]:
    """Where a value may take one of several forms (a union), each form it fails reports
    an error; the ones saying "not this form at all" beside another form's precise error
    at the same field are left out (a mapping for a span is not "a valid list")."""

    def field(err) -> tuple:
        loc = tuple(err["loc"])
        k = next((i for i, p in enumerate(loc) if _tagged(p)), None)
        return loc[:k] if k is not None else loc

    precise = {field(e) for e in errors if e["type"] not in _WRONG_SHAPE
               and any(_tagged(p) for p in e["loc"])}  # fmt: skip
    return [e for e in errors if not (e["type"] in _WRONG_SHAPE and field(e) in precise
                                      and any(_tagged(p) for p in e["loc"]))]  # fmt: skip


def _message(err: dict, loc: tuple, root) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown field{_did_you_mean(loc, root)}"
    if kind == "missing":
        return "required field is missing"
    bad = bad_value_message(err.get("input"))
    if bad:  # a date YAML could not build (2024-13-13): its reason, not the schema's guess
        return bad
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "string_type" and isinstance(err.get("input"), bool):
        return f"{msg} (got {str(err['input']).lower()}: {bool_hint(err['input'])})"
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
    choices = {name: name for name in (f.alias or n for n, f in model.model_fields.items())}
    if model is Scenario and len(loc) == 1:  # `noise:` at the top belongs in `parameters:`
        choices |= {n: f"parameters.{n}" for n in PARAMETER_NAMES if n not in choices}
    close = difflib.get_close_matches(str(loc[-1]), list(choices), n=1)
    return f" (did you mean `{choices[close[0]]}`?)" if close else ""


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
