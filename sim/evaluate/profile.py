"""How far the cases pin each fitted parameter down: the loss along one parameter at a time.

After a fit, each parameter in turn is moved across its range (evenly spaced points and the
fitted value, the others held at the fit) and every case's loss is simulated on the fit's
common random numbers. A parameter along which the fitted cases' losses do not move is not
identified by them: any value in its range fits them as well, and the value the search
returned is an accident of its path. A left-out case's loss along the same line shows
whether it would have told the values apart.
"""

from dataclasses import dataclass

import numpy as np

from sim.evaluate.calibrate import Case, CasesObjective, _as_simulated

# A parameter is called flat for a set of cases when their summed loss moves by less than
# this across its whole range (the loss of docs/crossval.md; 0.01 is ~1-4% of one case's).
FLAT_SPAN = 0.01


@dataclass
class ProfilePoint:
    """One point of a profile: a parameter's value (the others at the fit) and each
    case's loss there."""

    parameter: str
    value: float
    losses: dict[str, float]  # case name -> loss


@dataclass
class Profile:
    """Every parameter's profile around one fitted set."""

    fitted: dict[str, float]
    ranges: dict[str, tuple[float, float]]
    points: list[ProfilePoint]

    def along(self, parameter: str, cases: list[str]) -> tuple[list[float], list[float]]:
        """(values, summed loss of `cases`) along `parameter`, in increasing value."""
        line = sorted((p for p in self.points if p.parameter == parameter), key=lambda p: p.value)
        return [p.value for p in line], [sum(p.losses[c] for c in cases) for p in line]

    def span(self, parameter: str, cases: list[str]) -> float:
        """How far the summed loss of `cases` moves along `parameter` (max - min)."""
        _, losses = self.along(parameter, cases)
        return float(max(losses) - min(losses))

    def near_best(self, parameter: str, cases: list[str], tolerance: float = FLAT_SPAN):
        """(lowest, highest) value along `parameter` whose summed loss of `cases` is within
        `tolerance` of the lowest on the profile: the values the cases cannot tell apart
        from the best one."""
        values, losses = self.along(parameter, cases)
        best = min(losses)
        near = [v for v, loss in zip(values, losses, strict=True) if loss <= best + tolerance]
        return min(near), max(near)

    def rows(self) -> list[list]:
        """(parameter, value, case, loss) rows, one per point and case."""
        return [[p.parameter, p.value, case, loss] for p in self.points
                for case, loss in p.losses.items()]  # fmt: skip

    def as_dict(self) -> dict:
        """As a checkpoint keeps it (JSON)."""
        return {"fitted": self.fitted, "ranges": {k: list(v) for k, v in self.ranges.items()},
                "points": [[p.parameter, p.value, p.losses] for p in self.points]}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> "Profile":
        """From `as_dict`; ValueError if it is not one."""
        try:
            ranges = {str(k): (float(lo), float(hi)) for k, (lo, hi) in data["ranges"].items()}
            points = [ProfilePoint(str(n), float(v), {str(c): float(x) for c, x in losses.items()})
                      for n, v, losses in data["points"]]  # fmt: skip
            fitted = {str(k): float(v) for k, v in data["fitted"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError("not a profile") from None
        return cls(fitted, ranges, points)


def profile_values(name: str, fitted: float, low: float, high: float, points: int) -> list[float]:
    """The values a profile visits: `points` evenly spaced over [low, high] and the fitted
    value, as they are simulated (an integer parameter rounded), each once, increasing."""
    grid = [*np.linspace(low, high, points).tolist(), fitted] if points > 1 else [fitted]
    return sorted({_as_simulated({name: float(v)})[name] for v in grid})


def profile(
    cases: list[Case],
    fitted: dict[str, float],
    ranges: dict[str, tuple[float, float]],
    points: int = 5,
    runs: int = 200,
    seed: int = 1,
    progress: bool | None = False,
) -> Profile:
    """Every case's loss along each parameter of `ranges`, the others at `fitted`.

    Args:
        cases: the contests whose losses are profiled (the fitted ones, and any left out).
        fitted: the fitted values (every parameter of `ranges`).
        ranges: parameter -> (low, high), the ranges the fit searched.
        points: evenly spaced values per parameter (ends included), besides the fitted one.
        runs, seed: replications per case and point, their seed: those of the fit, so
            that the fitted value's losses are the fit's own (common random numbers).
        progress: show a bar of the points simulated (None: on a terminal or in a notebook).

    Returns:
        A Profile.
    """
    from sim.batching.progress import bar

    objective = CasesObjective(cases, runs, seed)
    names = [c.name for c in cases]
    lines = {n: profile_values(n, fitted[n], lo, hi, points) for n, (lo, hi) in ranges.items()}
    done: dict[tuple, dict[str, float]] = {}  # the fitted set lies on every line: once
    out = []
    total = 1 + sum(len(v) - 1 for v in lines.values())
    with bar(total, 0, "profile points", progress) as shown:
        for name, values in lines.items():
            for value in values:
                at = _as_simulated({**fitted, name: value})
                key = tuple(sorted(at.items()))
                if key not in done:
                    done[key] = dict(zip(names, objective.losses(at), strict=True))
                    shown.update(1)
                out.append(ProfilePoint(name, value, done[key]))
    return Profile(dict(fitted), dict(ranges), out)
