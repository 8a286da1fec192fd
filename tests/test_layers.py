"""The package's layers: each subpackage imports only from the layers below it."""

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
# Lowest first. A module may import from its own layer and from any layer before it.
LAYERS = [
    {"errors", "version"},
    {"scenario"},
    {"engine"},
    {"results"},
    {"batching"},
    {"evaluate"},
    {"analysis"},
    {"report"},
    {"api"},
    {"viz"},
    {"cli", "__main__", "__init__"},
]
RANK = {name: k for k, names in enumerate(LAYERS) for name in names}


def _part(module: str) -> str | None:
    """`sim.engine.rules` -> `engine`; `sim` (the package itself, i.e. the API) -> `__init__`."""
    parts = module.split(".")
    if parts[0] != "sim":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sim":  # `from sim import x`: x is a subpackage or the API
                for alias in node.names:
                    yield node.lineno, f"sim.{alias.name}"
            else:
                yield node.lineno, node.module


def layer_violations() -> list[str]:
    found = []
    for path in sorted(SIM.rglob("*.py")):
        rel = path.relative_to(SIM)
        own = rel.parts[0].removesuffix(".py")
        for line, module in _imports(path):
            target = _part(module)
            if target is None or target == own:
                continue
            if target not in RANK or own not in RANK:
                found.append(f"sim/{rel}:{line}: {module} is in no layer")
            elif RANK[target] > RANK[own]:
                found.append(f"sim/{rel}:{line}: imports {module}, a higher layer")
    return found


def test_every_subpackage_is_in_a_layer():
    parts = {p.name.removesuffix(".py") for p in SIM.iterdir() if p.suffix == ".py" or p.is_dir()}
    parts.discard("__pycache__")
    assert parts <= set(RANK), parts - set(RANK)


def test_no_module_imports_from_a_higher_layer():
    assert layer_violations() == []


def test_the_check_finds_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "sim"
    (fake / "engine").mkdir(parents=True)
    (fake / "engine" / "rules.py").write_text("from sim.report import plots\n")
    (fake / "report").mkdir()
    (fake / "report" / "plots.py").write_text("from sim.engine import rules\n")
    monkeypatch.setattr(__import__(__name__), "SIM", fake)
    assert layer_violations() == ["sim/engine/rules.py:1: imports sim.report, a higher layer"]
