"""The page's controls: one per field a `--set` override can address, read from the scenario.

A control's key is the override's key (`parameters.noise`, `members.HU.salience`), so the
page's settings are a list of `key=value` overrides, applied by the loader exactly as the
command line applies them, and saved as a what-if file that `extends:` the scenario.
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.results.files import write_atomic
from sim.scenario.checks import KEYED_SECTIONS
from sim.scenario.loader import load_scenario
from sim.scenario.schema import PARAMETER_NAMES, Parameters, Scenario

NONE = "(none)"  # the Select value for "no initial stance"
RACE_EVENTS = ("enter", "withdraw")


@dataclass(frozen=True)
class Control:
    """One control: the override key, its label, kind and range, and the file's value.

    A number's step is fine enough to hold the file's value exactly (0.142 gets 0.001), so
    an untouched slider reports the file's value and adds no override.
    """

    key: str
    label: str
    kind: str  # "float", "int", "choice" or "text"
    value: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind == "float":
            object.__setattr__(self, "step", _step_holding(self.value, self.low, self.step))

    @property
    def shown(self):
        """The value an untouched slider reports: the file's, on the slider's grid."""
        if self.kind != "float":
            return self.value
        return _on_grid(float(self.value), self.low, self.high, self.step)


MAX_DECIMALS = 6  # finer steps print as 1e-07 in the browser, which the slider misreads


def _decimals(x: float) -> int:
    return next((d for d in range(MAX_DECIMALS + 1) if math.isclose(x, round(x, d),
                                                                      abs_tol=1e-12)),
                MAX_DECIMALS)  # fmt: skip


def _step_holding(value, low, step) -> float:
    """`step`, or a finer power of ten that puts `value` (and `low`) on the slider's grid."""
    d = max(_decimals(float(value)), _decimals(float(low)), _decimals(float(step)))
    return min(float(step), 10.0**-d) if d else float(step)


def _on_grid(value: float, low: float, high: float, step: float) -> float:
    """Where the browser's slider puts `value`: its grid from `low`, rounded to step's decimals."""
    snapped = round((value - low % step) / step) * step + low % step
    return round(min(snapped, high), _decimals(step))


def controls(scenario: Scenario) -> list[Control]:
    """Every control of the page for this scenario, with the file's values."""
    out = [_parameter(name, getattr(scenario.parameters, name)) for name in PARAMETER_NAMES]
    for g in scenario.grievances:
        out.append(Control(f"grievances.{g.id}.weight", f"grievance {g.id}", "float",
                           g.weight, 0.0, 1.0, 0.01))  # fmt: skip
    for p in scenario.preferences:
        out.append(Control(f"preferences.{p.id}.affinity", f"preference {p.id}", "float",
                           p.affinity, -1.0, 1.0, 0.01))  # fmt: skip
    for t in scenario.ties:
        high = float(max(10, math.ceil(2 * t.weight)))  # the schema allows up to 100
        out.append(Control(f"ties.{t.id}.weight", f"tie {t.id}", "float", t.weight, 0.0,
                           min(high, 100.0), 0.05))  # fmt: skip
    stances = (NONE, *(c.id for c in scenario.candidates))
    for m in scenario.members:
        out += [
            Control(f"members.{m.code}.salience", f"{m.code} salience", "float", m.salience,
                    0.0, 1.0, 0.01),
            Control(f"members.{m.code}.capability", f"{m.code} capability", "float",
                    m.capability, 0.01, 1.0, 0.01),
            Control(f"members.{m.code}.initial", f"{m.code} initial stance", "choice",
                    m.initial or NONE, choices=stances),
        ]  # fmt: skip
    for e in scenario.events:
        if e.kind in RACE_EVENTS:
            label = f"{e.candidate} {'enters' if e.kind == 'enter' else 'withdraws'} on"
            out.append(Control(f"events.{e.id}.date", label, "text", e.date.isoformat()))
    return out


def _parameter(name: str, value) -> Control:
    field = Parameters.model_fields[name]
    low = high = None
    for rule in field.metadata:
        low = getattr(rule, "ge", None) if getattr(rule, "ge", None) is not None else low
        low = getattr(rule, "gt", None) if getattr(rule, "gt", None) is not None else low
        high = getattr(rule, "le", None) if getattr(rule, "le", None) is not None else high
    if field.annotation is int:
        return Control(f"parameters.{name}", name, "int", value, low, high, 1)
    step = 0.01 if high - low <= 10 else 1.0
    return Control(f"parameters.{name}", name, "float", value, float(low), float(high), step)


def overrides(scenario: Scenario, values: dict[str, Any], typed: str = "") -> list[str]:
    """The `key=value` overrides for the controls that differ from the file, then `typed`.

    Args:
        scenario: the scenario as the file says it (no overrides).
        values: control key -> value shown on the page.
        typed: extra overrides typed on the page, one `key=value` per line or `;`-separated.
    Returns:
        overrides in the command line's form, for `load_scenario(path, overrides)`.
    """
    out = []
    for c in controls(scenario):
        if c.key not in values:
            continue
        v = values[c.key]
        if c.kind in ("float", "int"):
            # The file's value, or where an untouched slider puts it (a value with more than
            # MAX_DECIMALS decimals): not an override.
            if any(math.isclose(float(v), float(x), rel_tol=1e-9, abs_tol=1e-12)
                   for x in (c.value, c.shown)):  # fmt: skip
                continue
            text = str(int(v)) if c.kind == "int" else _number(float(v))
        elif c.kind == "choice":
            if v == c.value:
                continue
            text = "" if v == NONE else str(v)
        else:
            if str(v).strip() == str(c.value):
                continue
            text = str(v).strip()
        out.append(f"{c.key}={text}")
    out += [t.strip() for t in typed.replace(";", "\n").splitlines() if t.strip()]
    return out


def _number(x: float) -> str:
    """Slider floats without binary noise: 0.30000000000000004 -> 0.3."""
    return repr(round(x, 10))


def what_if(base: str | Path, out: str | Path, sets: list[str], runs: int, seed: int,
            force: bool = False) -> Path:  # fmt: skip
    """Write `sets` as a variant of `base` that `extends:` it; return the file written.

    Each changed block carries the assumption marks the loader gives a `--set` override,
    so the variant resolves to the very scenario the page ran, and its `batch:` block
    (runs, seed) makes `coalition-sim batch OUT` repeat the page's batch exactly.

    Args:
        force: replace an existing file at `out`. The base and every file it extends are
            never written over, even so (ScenarioError, one line).
    """
    from sim.results.paths import check_file
    from sim.scenario.loader import extends_chain

    base, out = Path(base), Path(out)
    changed = load_scenario(base, sets)  # raises ScenarioError on a bad value, as the CLI does
    check_file(out, [p for p, _ in extends_chain(base)], force, flag="what-if file",
               forced_by="tick 'replace it if it exists'")  # fmt: skip
    doc: dict[str, Any] = {
        "extends": Path(_relative(base.resolve(), out.resolve().parent)).as_posix()
    }
    for text in sets:
        key = text.split("=", 1)[0].strip()
        section, *rest = key.split(".")
        if section in KEYED_SECTIONS and len(rest) >= 2:
            ident, field = rest[0], ".".join(rest[1:])
            id_key = KEYED_SECTIONS[section]
            item = next(x for x in getattr(changed, section) if getattr(x, id_key) == ident)
            items = doc.setdefault(section, [])
            entry = next((x for x in items if x[id_key] == ident), None)
            if entry is None:
                entry = {id_key: ident}
                items.append(entry)
            entry[field] = _plain(getattr(item, field))
            entry["assumption"] = _plain(item.assumption)
        elif section in ("calendar", "decision", "parameters") and len(rest) == 1:
            block, source = doc.setdefault(section, {}), getattr(changed, section)
            block[rest[0]] = _plain(getattr(source, rest[0]))
            block["assumption"] = _plain(source.assumption)
        else:
            _put(doc, key.split("."), _plain(_get(changed, key.split("."))))
    doc["batch"] = {"replications": runs, "seed": seed}
    head = (
        f"# What-if saved from the coalition-sim page: {base.name} with these changes:\n"
        + "".join(f"#   --set {s}\n" for s in sets)
        + f"# `coalition-sim batch {out}` repeats the page's batch ({runs} runs, seed {seed}).\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return out


def _relative(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target, start)


def _plain(value):
    """A schema value as YAML can hold it (dates as ISO text, lists as lists)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _get(scenario: Scenario, keys: list[str]):
    node: Any = scenario
    for k in keys:
        node = node.get(k) if isinstance(node, dict) else getattr(node, k)
    return node


def _put(doc: dict, keys: list[str], value) -> None:
    node = doc
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
