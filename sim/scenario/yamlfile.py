"""Safe YAML loading that remembers the file and line of every value.

Mappings and sequences come back as `Located` containers: a plain dict or list
that also knows where each of its items was written, so that errors found much
later (by the schema, by cross-reference checks, after `extends:` merging) can
still point at `file:line`.
"""

import os
import stat
from pathlib import Path

import yaml

from sim.errors import Problem, ScenarioError, dotted


class LocatedDict(dict):
    """A dict that knows the (file, line) of itself and of each key."""

    where: tuple[str, int]
    item_where: dict


class LocatedList(list):
    """A list that knows the (file, line) of itself and of each item."""

    where: tuple[str, int]
    item_where: list


class BadScalar(str):
    """The text of a value YAML recognised but could not build (`2024-13-13`: a date with
    no such month). A field that wants a date, a number ... refuses it, and the schema's
    message says why (`bad_value_message`); a loader never stops at the first one."""

    reason: str

    def __new__(cls, text: str, reason: str):
        out = super().__new__(cls, text)
        out.reason = reason
        return out


def bad_value_message(value) -> str | None:
    """`'2024-13-13' is not a valid value (month must be in 1..12)` for a BadScalar."""
    if isinstance(value, BadScalar):
        return f"{str(value)!r} is not a valid value ({value.reason})"
    return None


def _locate(container, where, item_where):
    container.where = where
    container.item_where = item_where
    return container


_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
}


class _Builder:
    """Turns a YAML node tree into Located containers, refusing anything but plain data."""

    def __init__(self, loader: yaml.SafeLoader, file: str):
        self.loader, self.file = loader, file
        self.built: dict[int, object] = {}  # an alias reuses its anchor's result

    def build(self, node: yaml.Node, path: tuple = ()):
        if id(node) in self.built:
            return self.built[id(node)]
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self.problem(node, path, f"tag {tag} is not allowed (only plain YAML data)")
        where = (self.file, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolve `<<:` merge keys the way PyYAML does
            out, lines = LocatedDict(), {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node, path)
                if not isinstance(key, str | int | float | bool):
                    raise self.problem(key_node, path, "mapping keys must be plain scalars")
                if key in out:
                    raise self.problem(key_node, (*path, key), "duplicate key")
                out[key] = self.build(value_node, (*path, key))
                lines[key] = (self.file, key_node.start_mark.line + 1)
            result = _locate(out, where, lines)
        elif isinstance(node, yaml.SequenceNode):
            items = [self.build(n, (*path, i)) for i, n in enumerate(node.value)]
            lines = [(self.file, n.start_mark.line + 1) for n in node.value]
            result = _locate(LocatedList(items), where, lines)
        else:
            result = self.scalar(node, path)
        self.built[id(node)] = result
        return result

    def scalar(self, node: yaml.Node, path: tuple):
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError as exc:  # e.g. 2024-02-30 looks like a date but is none
            # Kept as its text, to be reported with every other problem of the file.
            return BadScalar(node.value, str(exc))

    def problem(self, node: yaml.Node, path: tuple, message: str) -> ScenarioError:
        line = node.start_mark.line + 1
        return ScenarioError([Problem(self.file, line, dotted(path), message)])


MAX_FILE_BYTES = 20 * 2**20  # 20 MB: a scenario or record is text a person wrote
YAML_SUFFIXES = (".yaml", ".yml")


def read_text(path: Path, shown: str | None = None, what: str = "a YAML file") -> str:
    """A regular file's text, refusing FIFOs, devices, folders and files over 20 MB.

    The file is opened without blocking and checked on its open descriptor, so a
    FIFO or a device swapped in after a check is never read. `what` names the kind of
    file in the size message (a member table is read the same way).
    """
    shown = shown or str(path)

    def refuse(message: str) -> ScenarioError:
        return ScenarioError([Problem(shown, None, "", message)])

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise refuse("file not found") from None
    except IsADirectoryError:
        raise refuse("is a folder, not a file") from None
    except OSError as exc:
        raise refuse(f"cannot read file: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise refuse("is a folder, not a file")
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
        raise refuse(f"not a regular file ({kind}); only regular files are read")
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(MAX_FILE_BYTES + 1)  # /proc files say size 0: cap the read itself
        except OSError as exc:
            raise refuse(f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"larger than the {MAX_FILE_BYTES // 2**20} MB limit for {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(f"cannot read file: not UTF-8 text ({exc.reason})") from None


def load_located(path: Path, shown: str | None = None):
    """Load one YAML document safely, returning Located containers.

    Raises ScenarioError for a missing, unreadable, empty, oversized, non-regular or
    non-YAML file, and for tags that would build Python objects (never executed).
    """
    shown = shown or str(path)
    text = read_text(Path(path), shown)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # the C parser when present
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([Problem(shown, None, "", "file is empty")])
        return _Builder(loader, shown).build(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "not valid YAML"
        if "could not determine a constructor" in what:
            what = f"tag {what.split('tag')[-1].strip()} is not allowed (only plain YAML data)"
        elif exc.context and exc.context_mark and exc.context_mark is not mark:
            # Point at the opening of what was left unclosed, not only where parsing stopped.
            what += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise ScenarioError([Problem(shown, line, "", f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(shown, None, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(shown, None, "", "not usable: nested too deeply")]) from None
    finally:
        loader.dispose()


def where_of(data, path: tuple) -> tuple[str, int] | None:
    """The (file, line) of the deepest Located item along `path` in `data`."""
    found = getattr(data, "where", None)
    node = data
    for key in path:
        item_where = getattr(node, "item_where", None)
        try:
            if isinstance(node, dict) and key in node:
                found = item_where[key] if item_where and key in item_where else found
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                found = item_where[key] if item_where else found
                node = node[key]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return found
