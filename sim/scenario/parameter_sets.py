"""Parameter sets to compare under: a YAML file's `parameters:` block, or each fold of a
crossval's folds.json, checked as a scenario's `parameters:` block is.

    >>> sets = load_parameter_sets(["fit.yaml", "results/crossval/folds.json"])
    >>> list(sets)                          # ["fit", "without wto-2013", ...]
"""

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.loader import long_key, scalar, schema_problems, whole_blocks_first
from sim.scenario.schema import DEFAULTS, PARAMETER_NAMES, PRIORS, Parameters
from sim.scenario.yamlfile import YAML_SUFFIXES, load_located, read_text


def load_parameter_sets(paths) -> dict[str, dict]:
    """Each file's parameter sets, by name, in the order given.

    A YAML file gives one set, named by its stem: its `parameters:` block (a mapping of
    behavioural parameters, or `priors`), the form a scenario's block takes; nothing else
    in the file is read (not what it `extends:`). A crossval's folds.json gives one set
    per fitted fold, named "without <left-out case>": the values fitted without that case,
    over the parameters the crossval's own `--set` gave (`parameters=priors` and
    `parameters.<name>=...`; its other overrides concern the cases, not the set).

    Args:
        paths: the files (str or Path), `.yaml`/`.yml` or `.json`.

    Returns:
        {name: {parameter: value}}; a name given twice gets " (2)", " (3)", ... Raises
        `ScenarioError` with one located line per problem (file, line or field).
    """
    if isinstance(paths, str | Path):  # one file, not its characters
        paths = [paths]
    sets: dict[str, dict] = {}
    for path in paths:
        path = Path(path)
        if path.suffix.lower() in YAML_SUFFIXES:
            found = {path.stem: _from_yaml(path)}
        elif path.suffix.lower() == ".json":
            found = _from_folds(path)
        else:
            msg = "a parameter set is a .yaml file with a parameters: block or a crossval's folds.json"
            raise ScenarioError([Problem(str(path), None, "", msg)])
        for name, values in found.items():
            shown = name
            k = 2
            while shown in sets:  # two files of one stem, or two crossvals of the same cases
                shown, k = f"{name} ({k})", k + 1
            sets[shown] = values
    return sets


def _from_yaml(path: Path) -> dict:
    data = load_located(path)
    file = str(path)
    if not isinstance(data, dict) or "parameters" not in data:
        line = getattr(data, "where", (None, None))[1]
        msg = "holds no parameters: block (a mapping of behavioural parameters, or priors)"
        raise ScenarioError([Problem(file, line, "", msg)])
    block = data["parameters"]
    line = data.item_where.get("parameters", (file, None))[1]
    if block == "priors":
        return dict(PRIORS)
    if not isinstance(block, dict):
        msg = "give a mapping of parameters, or `priors` (the unfitted set)"
        raise ScenarioError([Problem(file, line, "parameters", msg)])
    return _checked(block, file)


def _checked(block: dict, file: str, prefix: str = "parameters") -> dict:
    """The block's parameter values, validated as a scenario's `parameters:` block."""
    cited = "source" in block or "assumption" in block
    try:  # applied as `--set` texts, which mark them assumed: a set need not cite
        Parameters.model_validate(block if cited else {**block, "assumption": True})
    except ValidationError as exc:
        problems = schema_problems(exc, block, file, root=Parameters)
        raise ScenarioError(
            [Problem(p.file, p.line, f"{prefix}.{p.path}" if p.path else prefix, p.message)
             for p in problems]
        ) from None  # fmt: skip
    # Values only: a set's `source:`/`note:` would cite sources the scenario may not have.
    return {k: v for k, v in block.items() if k in PARAMETER_NAMES}


def _from_folds(path: Path) -> dict[str, dict]:
    file = str(path)
    text = read_text(path, file, "a folds.json")
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        msg = f"not valid JSON: {getattr(exc, 'msg', exc)}"
        raise ScenarioError([Problem(file, line, "", msg)]) from None

    def refuse(field: str, msg: str) -> ScenarioError:
        return ScenarioError([Problem(file, None, field, msg)])

    if not isinstance(data, dict) or not isinstance(data.get("fitted"), dict):
        raise refuse("", "not a crossval's folds.json (no `fitted` mapping of case -> values)")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise refuse("settings", "must be a mapping")
    carried = settings.get("set", [])
    if not isinstance(carried, list) or not all(isinstance(t, str) for t in carried):
        raise refuse("settings.set", "must be a list of --set texts")
    start = _carried(carried, file)
    cases = settings.get("cases", [])
    order = [c for c in cases if c in data["fitted"]] if isinstance(cases, list) else []
    order += [c for c in data["fitted"] if c not in order]
    if not order:
        raise refuse("fitted", "holds no fitted fold (the crossval finished none)")
    out = {}
    for case in order:
        values = data["fitted"][case]
        if not isinstance(values, dict) or not values:
            raise refuse(f"fitted.{case}", "must be a mapping of parameter -> value")
        for k, v in values.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise refuse(f"fitted.{case}.{k}", f"must be a number (got {v!r:.40})")
        out[f"without {case}"] = _checked({**start, **values}, file, f"fitted.{case}")
    return out


def _carried(texts: list[str], file: str) -> dict:
    """The parameters a crossval's `--set` texts gave every fold before its fit."""
    start: dict = {}
    for text in whole_blocks_first(texts):  # as the crossval applied them: a set, then one by one
        key, _, raw = text.partition("=")
        key = long_key(key.strip())
        try:
            value = scalar(raw)
        except (yaml.YAMLError, ValueError):  # a text the crossval refused: no parameter
            continue
        if key == "parameters" and value == "priors":
            start = dict(PRIORS)
        elif key == "parameters" and isinstance(value, dict):
            start = {**DEFAULTS, **value}
        elif key.startswith("parameters.") and key.count(".") == 1:
            start[key.split(".", 1)[1]] = value
    return _checked(start, file, "settings.set") if start else start
