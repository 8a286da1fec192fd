"""A sensitivity analysis's checkpoint: the outputs of every point simulated so far.

`sensitivity.evaluations.jsonl` in the analysis's folder: a settings line (what the points'
outputs depend on), then one line per finished task, `{"stage", "points", "outputs"}`, appended
and fsync'd as the task ends (sim.results.checkpoint). A resumed analysis takes the outputs
of the points it holds and simulates only the rest; every point is simulated with the same
seeds whatever task it falls in, so the result is the one an uninterrupted run gives.
"""

import sys
from pathlib import Path

import numpy as np

from sim.errors import Problem, ScenarioError, arg
from sim.results.checkpoint import Checkpoint

FILE = "sensitivity.evaluations.jsonl"


class Evaluations:
    """The points' outputs a sensitivity analysis has kept, by stage (`analysis`, `pivotal`).

    Args:
        path: the checkpoint file.
        settings: what the outputs depend on (the scenario as loaded, inputs, seeds...).
        checkpoint: the file as read, when resumed; else it is created at the first task.
    """

    def __init__(self, path: Path, settings: dict, checkpoint: Checkpoint | None = None):
        self.path, self.settings, self.checkpoint = Path(path), settings, checkpoint

    @classmethod
    def open(cls, folder: Path, settings: dict, resume: bool) -> "Evaluations":
        """The checkpoint in `folder`: the one there with `resume` (refused in one line if
        missing, damaged, or written under other settings), else a new one."""
        path = Path(folder) / FILE
        if not resume:
            return cls(path, settings)
        if not path.is_file():
            msg = f"holds no sensitivity checkpoint to resume; run without {arg('resume')}"
            raise ScenarioError([Problem(f"{arg('resume')} {path.parent}", None, "", msg)])
        try:
            checkpoint = Checkpoint.read(path)
            kept = cls(path, settings, checkpoint)
            for stage in {e.get("stage") for e in checkpoint.entries}:
                kept.rows(stage)  # every entry well formed
        except (OSError, ValueError, TypeError, KeyError):
            msg = f"is damaged or no sensitivity checkpoint; start anew with {arg('force')}"
            raise ScenarioError([Problem(f"{arg('resume')} {path}", None, "", msg)]) from None
        differ = [k for k in sorted(settings.keys() | checkpoint.settings.keys())
                  if settings.get(k) != checkpoint.settings.get(k)]  # fmt: skip
        if differ:
            msg = (f"holds an analysis with other settings ({', '.join(differ)}); start "
                   f"anew with {arg('force')}, or choose another {arg('out')}")  # fmt: skip
            raise ScenarioError([Problem(f"{arg('resume')} {path}", None, "", msg)])
        if checkpoint.torn:
            print(f"{path}: its last line was cut short (interrupted while written) and is "
                  "ignored; those points are simulated again", file=sys.stderr)  # fmt: skip
        return kept

    def rows(self, stage: str) -> dict[int, np.ndarray]:
        """The kept outputs of one stage: point index -> (K,) outputs."""
        out: dict[int, np.ndarray] = {}
        for entry in self.checkpoint.entries if self.checkpoint else ():
            if entry["stage"] != stage:
                continue
            points, outputs = entry["points"], entry["outputs"]
            if len(points) != len(outputs):
                raise ValueError("points and outputs differ in length")
            for k, row in zip(points, outputs, strict=True):
                out[int(k)] = np.array(row, dtype=float)
        return out

    def add(self, stage: str, points: list[int], outputs: np.ndarray) -> None:
        """Keep one finished task's outputs; they are on disk when this returns."""
        if self.checkpoint is None:  # not before: a refused run leaves no file behind
            self.checkpoint = Checkpoint.create(self.path, self.settings)
        rows = [[float(v) for v in row] for row in outputs]
        self.checkpoint.append({"stage": stage, "points": list(map(int, points)), "outputs": rows})
