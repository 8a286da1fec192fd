"""A fit's profiles on the console and in CSV: which parameters the cases pin down (the
figures are in `plots`)."""

from sim.evaluate.profile import FLAT_SPAN, Profile


def fit_lines(profile: Profile, cases: list[str], points: int) -> list[str]:
    """Console lines for the profile of one fit: per parameter, how far the summed loss of
    `cases` moves across its range, the values it cannot tell from the best, and each
    case's own span."""
    width = max(len(n) for n in profile.ranges) + 2
    lines = [
        f"profile ({points} points a parameter and the fitted value, the others at the fit): "
        "how far the summed loss moves across each range",
        "  " + "parameter".ljust(width) + "fitted".rjust(9) + "span".rjust(9) + "  "
        + f"within {FLAT_SPAN:g} of the best".ljust(26) + "span by case",
    ]  # fmt: skip
    for name in profile.ranges:
        low, high = profile.near_best(name, cases)
        span = profile.span(name, cases)
        by_case = ", ".join(f"{c} {profile.span(name, [c]):.3f}" for c in cases)
        lines.append("  " + name.ljust(width) + f"{profile.fitted[name]:9.4g}{span:9.3f}"
                     + ("*" if span < FLAT_SPAN else " ") + " "
                     + f"{low:.4g} to {high:.4g}".ljust(26) + by_case)  # fmt: skip
    lines.append(f"  * flat: the cases' summed loss moves by less than {FLAT_SPAN:g} across the "
                 "range; they do not identify it (any value fits them as well)")  # fmt: skip
    return lines


def fold_lines(folds: list[tuple[str, list[str], Profile]]) -> list[str]:
    """Console lines for each fold's profile: per parameter (rows) and left-out case
    (columns), the span of the fitted cases' summed loss and of the left-out case's loss.

    Args:
        folds: (left-out case, fitted cases, profile) per fold.
    """
    names = list(folds[0][2].ranges)
    width = max(len(n) for n in names) + 2
    cell = max(18, *(len(f"{held} out") + 2 for held, _, _ in folds))
    lines = [
        "profiles: loss span across each range at each fold's fit, fitted cases / left-out case",
        "  " + "parameter".ljust(width) + "".join(f"{held} out".rjust(cell) for held, _, _ in folds),
    ]  # fmt: skip
    for name in names:
        cells = []
        for held, fitted_on, profile in folds:
            span = profile.span(name, fitted_on)
            flat = "*" if span < FLAT_SPAN else " "
            cells.append(f"{span:.3f}{flat} / {profile.span(name, [held]):.3f}".rjust(cell))
        lines.append("  " + name.ljust(width) + "".join(cells))
    lines.append(f"  * flat on the fitted cases (span < {FLAT_SPAN:g}): they do not identify it; "
                 "a large left-out span there means the value that case gets is the search's "
                 "accident")  # fmt: skip
    for held, fitted_on, profile in folds:  # say it in words where it happens
        resting = [(n, profile.span(n, [held])) for n in names
                   if profile.span(n, fitted_on) < FLAT_SPAN
                   and profile.span(n, [held]) >= FLAT_SPAN]  # fmt: skip
        if resting:
            shown = ", ".join(f"{n} ({span:.3f})" for n, span in resting)
            them = "it" if len(resting) == 1 else "them"
            lines.append(f"  {held} left out: its score moves with {shown}, which "
                         f"{', '.join(fitted_on)} leave flat: its row in the table is the "
                         f"search's draw on {them}, not a test of {them}")  # fmt: skip
    return lines


def rows(profile: Profile, fitted_on: list[str], held: str | None = None) -> list[list]:
    """CSV rows (left_out, parameter, value, case, role, loss) of one profile."""
    return [[held or "", name, value, case, "fitted" if case in fitted_on else "left out", loss]
            for name, value, case, loss in profile.rows()]  # fmt: skip


COLUMNS = ["left_out", "parameter", "value", "case", "role", "loss"]
