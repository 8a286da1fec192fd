"""A batch folder's `points/`: each sweep point's resolved scenario, so that the folder can be
read, and any replication replayed, exactly, even after the scenario file changes.

`p0000.json` is the first point's whole scenario, `model_dump_json(by_alias=True, indent=1)`.
Every other point's file is its difference from that one:

    {"base": "p0000.json", "base_sha256": "<sha256 of p0000.json>",
     "changes_sha256": "<changes_digest(changes)>", "changes": [
     [["parameters", "noise"], 0.35],
     [["members", 3, "capability"], 0.12]
    ]}

Each change is a path (dict keys and list indices) into p0000's JSON and the value the point
holds there; a dict whose keys differ (or come in another order) or a list whose length
differs is replaced whole. Applied to p0000's JSON, the changes give the JSON tree of the
point's own dump, value for value: that is checked on write for the first point of each kind
(which top-level sections differ), and if it fails every point is written whole, as folders
were before. `read_point` reads both kinds; every reader of points/ goes through it.

A 1,000-point LHS of nato-2024 over two parameters wrote 51.9 MB of whole scenarios, 0.35 MB
of differences; over its 77 member and rule fields, 53 MB and 4.2 MB (benchmarks/bench_points.py).
"""

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from sim.engine.world import World, build_world
from sim.errors import Problem, ScenarioError, dotted
from sim.results.files import read_regular
from sim.scenario.schema import Scenario

BASE = "p0000.json"  # the whole scenario the other points' files are differences from
KEYS = {"base", "base_sha256", "changes_sha256", "changes"}


def point_file(out: Path, index: int) -> Path:
    """The file of point `index` in the batch folder `out`."""
    return Path(out) / "points" / f"p{index:04d}.json"


def point_texts(points: list) -> Iterator[str]:
    """Each point's points/ file, in order: the first point's whole dump, then each other
    point's difference from it (see the module's docstring).

    Args:
        points: the plan's points (`sim.batching.plan.Point`).

    Returns:
        An iterator of texts, one per point."""
    first = points[0].scenario
    whole = first.model_dump_json(by_alias=True, indent=1)
    yield whole
    if len(points) == 1:
        return
    base = _Base(whole)
    names = list(type(first).model_fields)

    def differ(scenario) -> tuple[str, ...]:  # sections not shared with the first point
        return tuple(n for n in names if getattr(scenario, n) is not getattr(first, n))

    kinds: dict[tuple[str, ...], Scenario] = {}
    for point in points[1:]:
        kinds.setdefault(differ(point.scenario), point.scenario)
    if all(_replays(base, scenario, sections) for sections, scenario in kinds.items()):
        sha = hashlib.sha256(whole.encode()).hexdigest()
        for point in points[1:]:
            scenario = point.scenario
            yield difference_text(changes_between(base, scenario, differ(scenario)), sha)
    else:
        for point in points[1:]:
            yield point.scenario.model_dump_json(by_alias=True, indent=1)


class _Base:
    """The first point's JSON tree, with each node's text (`repr`) computed once."""

    def __init__(self, text: str):
        self.text = text
        self.tree = json.loads(text)
        self._texts: dict[int, str] = {}

    def text_of(self, node) -> str:
        key = id(node)  # nodes of self.tree, which holds them, so an id is not reused
        if key not in self._texts:
            self._texts[key] = repr(node)
        return self._texts[key]


def changes_between(base: _Base, scenario: Scenario, sections: tuple[str, ...]) -> list[list]:
    """The changes that turn the first point's JSON into `scenario`'s, looking only at
    `sections` (the others are the first point's own objects)."""
    own = scenario.model_dump(mode="json", by_alias=True, include=set(sections))
    changes: list[list] = []
    if all(key in base.tree for key in own):
        _walk(base, base.tree, own.items(), [], changes)
    else:  # keys p0000 lacks: not a difference (the check on write finds it)
        changes.append([[], own])
    return changes


def json_changes(old: dict, new: dict) -> list[list]:
    """The changes that turn the JSON tree `old` into `new` (`apply_changes` applies them):
    where they differ as JSON text, the deepest dict key or list index at which they do."""
    base, changes = _Base(json.dumps(old)), []
    if list(old) == list(new):
        _walk(base, base.tree, new.items(), [], changes)
    else:
        changes.append([[], new])
    return changes


EXACT = (str, int, bool, type(None))  # JSON values whose `==` within one type is exact


def _walk(base: _Base, old, items, path: list, out: list) -> None:
    """Append [path, value] for each (key, value) of `items` that differs from old[key]
    (`old` a node of base's tree)."""
    for key, value in items:
        was = old[key]
        # Equal as text (`repr`, which tells 1 from 1.0 and True, 0.0 from -0.0, and shows
        # the keys' order; `==` tells none of these, but where it says unequal, they are).
        if (
            was == value
            and type(was) is type(value)
            and (type(value) in EXACT or base.text_of(was) == repr(value))
        ):
            continue
        at = [*path, key]
        if type(was) is dict and type(value) is dict and list(was) == list(value):
            _walk(base, was, value.items(), at, out)
        elif type(was) is list and type(value) is list and len(was) == len(value):
            _walk(base, was, enumerate(value), at, out)
        else:  # a value, or a dict of other keys, or a list of another length: whole
            out.append([at, value])


def apply_changes(tree, changes: list):
    """The JSON tree `tree` with `changes` applied (in place, where it can)."""
    for path, value in changes:
        if not path:
            tree = value
            continue
        node = tree
        for step in path[:-1]:
            node = _step(node, step)
        last = path[-1]
        if isinstance(node, dict) and isinstance(last, str):
            node[last] = value
        else:
            _step(node, last)  # an index that exists
            node[last] = value
    return tree


def _step(node, step):
    """node[step] for a dict key or a list index, else KeyError."""
    if isinstance(node, dict) and isinstance(step, str) and step in node:
        return node[step]
    if isinstance(node, list) and type(step) is int and -len(node) <= step < len(node):
        return node[step]
    raise KeyError(step)


def _lines(changes: list) -> str:
    return ",\n".join(json.dumps(c) for c in changes)


def changes_digest(changes: list) -> str:
    """sha256 of the changes as JSON, one a line: a difference file records it, so that an
    edit of them is found."""
    return hashlib.sha256(_lines(changes).encode()).hexdigest()


def difference_text(changes: list, base_sha256: str) -> str:
    """A difference file's text: the base's and the changes' digests, then one change a line."""
    lines = _lines(changes)
    head = {"base": BASE, "base_sha256": base_sha256,
            "changes_sha256": hashlib.sha256(lines.encode()).hexdigest()}  # fmt: skip
    return json.dumps(head)[:-1] + ', "changes": [' + (f"\n{lines}\n" if lines else "") + "]}\n"


def _replays(base: _Base, scenario: Scenario, sections: tuple[str, ...]) -> bool:
    """Whether the difference of `scenario` gives exactly the JSON tree of its own dump."""
    own = json.loads(scenario.model_dump_json(by_alias=True, indent=1))
    got = apply_changes(json.loads(base.text), changes_between(base, scenario, sections))
    return json.dumps(got) == json.dumps(own)


# --- reading ---------------------------------------------------------------------------------


def _refuse(path: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem(str(path), None, "", message)])


def _read_json(path: Path):
    """(text, JSON) of a point file; a one-line ScenarioError naming it if it has none."""
    try:
        text = read_regular(path)
    except FileNotFoundError:
        raise _refuse(path, "is missing; this point cannot be read") from None
    except (OSError, ValueError) as exc:  # a folder, FIFO, or not UTF-8
        reason = getattr(exc, "strerror", None) or "not a readable text file"
        raise _refuse(path, f"cannot be read ({reason})") from None
    try:
        return text, json.loads(text)
    except ValueError as exc:
        msg = f"is torn or not JSON (line {exc.lineno}, column {exc.colno}); the batch wrote it otherwise"
        raise _refuse(path, msg) from None


def read_point(out: Path, index: int = 0) -> Scenario:
    """The resolved scenario point `index` of the batch folder `out` ran, read from its
    points/ file: a whole scenario (p0000.json, and every file of folders written before
    the differences) or a difference from p0000.json.

    Args:
        out: the batch's folder.
        index: the sweep point.

    Returns:
        The Scenario.

    Raises:
        ScenarioError: one line naming the file, when it is missing, torn, edited since the
        batch wrote it (or its base was), or holds no scenario."""
    path = point_file(out, index)
    text, held = _read_json(path)
    if isinstance(held, dict) and "changes" in held:
        text = _applied(path, held)
    try:
        return Scenario.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = dotted(tuple(first.get("loc", ())))
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        msg = f"holds no valid scenario ({detail}; {exc.error_count()} problem(s)); was it edited?"
        raise _refuse(path, msg.replace("\n", " ")) from None


def _applied(path: Path, held: dict) -> str:
    """The JSON text of the scenario a difference file gives."""
    changes = held.get("changes")
    if set(held) != KEYS or held.get("base") != BASE or not isinstance(changes, list):
        msg = f"is not a difference from {BASE} as a batch writes one; was it edited?"
        raise _refuse(path, msg)
    if held["changes_sha256"] != changes_digest(changes):
        raise _refuse(path, "has been edited since the batch wrote it (its changes_sha256 differs)")
    base = path.with_name(BASE)
    text, tree = _read_json(base)
    if held["base_sha256"] != hashlib.sha256(text.encode()).hexdigest():
        msg = f"has been edited since the batch wrote it ({path.name} was written against another {BASE})"
        raise _refuse(base, msg)
    try:
        if not all(isinstance(c, list) and len(c) == 2 and isinstance(c[0], list) for c in changes):
            raise KeyError("a change is not [path, value]")
        return json.dumps(apply_changes(tree, changes))
    except KeyError as exc:
        raise _refuse(path, f"names a place {BASE} does not have ({exc}); was it edited?") from None


def point_world(out: Path, point: int = 0) -> World:
    """The World a point of a finished batch ran on (to replay one replication, say).

    Raises ScenarioError (one line naming the file) as `read_point` does."""
    return build_world(read_point(out, point))
