"""The console lines of a crossval's profiles: spans per parameter and fold, and a sentence
for each fold whose left-out score moves with a parameter its fitted cases leave flat."""

from sim.evaluate.profile import Profile, ProfilePoint
from sim.report.profiles import fold_lines


def made(fitted_on: dict[str, float], held: tuple[str, float]) -> Profile:
    """A two-point profile of `a` (the fitted cases' losses rise by the given amounts, the
    left-out case's by its own) and of `b` (nothing moves)."""

    def at(value, k):
        return {**{c: 0.1 + k * rise for c, rise in fitted_on.items()}, held[0]: 0.2 + k * held[1]}

    points = [ProfilePoint("a", 0.0, at(0.0, 0)), ProfilePoint("a", 1.0, at(1.0, 1)),
              ProfilePoint("b", 0.0, at(0.0, 0)), ProfilePoint("b", 1.0, at(0.0, 0))]  # fmt: skip
    return Profile({"a": 0.0, "b": 0.0}, {"a": (0.0, 1.0), "b": (0.0, 1.0)}, points)


def test_a_fold_resting_on_a_flat_parameter_is_named():
    folds = [("x", ["y", "z"], made({"y": 0.001, "z": 0.002}, ("x", 0.3)))]
    lines = fold_lines(folds)
    row = next(line for line in lines if line.strip().startswith("a "))
    assert "0.003* / 0.300" in row
    assert ("  x left out: its score moves with a (0.300), which y, z leave flat: its row in "
            "the table is the search's draw on it, not a test of it") in lines  # fmt: skip


def test_no_sentence_where_the_fitted_cases_pin_the_parameter_or_nothing_moves():
    pinned = [("x", ["y"], made({"y": 0.2}, ("x", 0.3)))]  # the fitted case's loss moves
    quiet = [("x", ["y"], made({"y": 0.0}, ("x", 0.0)))]  # flat for everyone: no harm done
    for folds in (pinned, quiet):
        assert not [line for line in fold_lines(folds) if "left out:" in line]
