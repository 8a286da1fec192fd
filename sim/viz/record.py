"""The observed record that goes with a scenario, when the project has one."""

from pathlib import Path

from sim.errors import ScenarioError
from sim.evaluate.record import Record, load_record
from sim.scenario.schema import Scenario
from sim.scenario.yamlfile import load_located


def find_record(path: str | Path, scenario: Scenario) -> tuple[Record | None, str | None]:
    """The record `records/<name>.yaml` of the scenario or of a scenario it extends.

    Returns:
        (record, problem): the record or None, and the loader's one-line message if the
        record file exists but does not load.
    """
    names, path = [], Path(path).resolve()
    for _ in range(10):  # an extends chain; the loader already refuses circular ones
        names.append(path.stem)
        data = load_located(path)
        parent = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(parent, str):
            break
        path = (path.parent / parent).resolve()
    for folder in Path(path).parents:
        if (folder / "records").is_dir():
            for name in names:
                file = folder / "records" / f"{name}.yaml"
                if file.is_file():
                    try:
                        return load_record(file, scenario), None
                    except ScenarioError as exc:
                        return None, str(exc.problems[0])
            break
    return None, None
