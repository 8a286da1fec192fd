"""Several scenarios side by side, for people: console lines, verdicts, compare.csv/.md/.png.

The first row of a comparison table is the base; every other row is a what-if, and its
verdict says on what it differs from the base (`apart`).
"""

import math
from pathlib import Path

import pandas as pd

from sim.report import plots
from sim.results.files import write_atomic
from sim.results.outcomes import DEADLOCK

NONE_APPOINTED = "none appointed"  # the median date of a scenario in which no run appoints
NOT_A_CANDIDATE = "not a candidate"  # the cell of an outcome a scenario cannot have
AS_GIVEN = "as given"  # the scenarios' own parameters, beside the parameter sets


def _date(value) -> str:
    """A date cell of the table: the ISO date, or NONE_APPOINTED (None, NaN or empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return NONE_APPOINTED
    return str(value)


def _possible(row, k: str) -> bool:
    """Whether outcome `k` can happen in the row's scenario (it lacks that candidate: NaN)."""
    return not math.isnan(float(row[f"p_{k}_high"]))


def label(outcome: str) -> str:
    """`rutte` -> `P(Rutte)`, `deadlock` -> `P(deadlock)`."""
    return f"P({outcome})" if outcome == DEADLOCK else f"P({outcome.title()})"


def apart(base_row, row, outcomes: list[str]) -> list[str]:
    """What a what-if's row differs from the base row on, in words (empty: the same).

    An outcome's probability differs when the two 95% Wilson intervals (p_<k>_low to
    p_<k>_high) do not overlap; an outcome a scenario lacks (no such candidate; its high
    is NaN) has probability exactly 0, the interval [0, 0]. The median appointment date
    differs when the two medians' 95% intervals (median_low to median_high, distribution-
    free: `outcomes.median_interval`) do not overlap; a row without them has the median
    alone. "none appointed" differs from any date and equals only itself.

    Args:
        base_row, row: rows of a comparison table (mappings or Series).
        outcomes: the outcomes to compare (winners, then deadlock).

    Returns:
        The labels of what differs, e.g. ["P(Rutte)", "P(deadlock)", "median date"].
    """
    out = []
    for k in outcomes:
        lo_a, hi_a = _interval(base_row, k)
        lo_b, hi_b = _interval(row, k)
        if hi_b < lo_a or lo_b > hi_a:
            out.append(label(k))
    dates_a, dates_b = _median_interval(base_row), _median_interval(row)
    if (dates_a is None) != (dates_b is None) or (
        dates_a and (dates_b[1] < dates_a[0] or dates_b[0] > dates_a[1])
    ):
        out.append("median date")
    return out


def _median_interval(row) -> tuple[str, str] | None:
    """(low, high) ISO days of the row's median appointment date; None: none appointed."""
    median = _date(row["median_appointment"])
    if median == NONE_APPOINTED:
        return None
    low, high = row.get("median_low"), row.get("median_high")
    if _date(low) == NONE_APPOINTED or _date(high) == NONE_APPOINTED:
        return median, median
    return str(low), str(high)


def _interval(row, k: str) -> tuple[float, float]:
    lo, hi = float(row[f"p_{k}_low"]), float(row[f"p_{k}_high"])
    return (lo, float(row[f"p_{k}"])) if math.isnan(hi) else (lo, hi)


def verdicts(table: pd.DataFrame, outcomes: list[str]) -> list[str]:
    """One line per what-if (each row after the first, the base): on what it differs.

    Args:
        table: a comparison table, the base first.
        outcomes: its outcomes.

    Returns:
        Lines like `reservations-met: differs from base on P(Rutte), median date` or
        `schengen-settled: same as base`.
    """
    rows = [r for _, r in table.iterrows()]
    out = []
    for r in rows[1:]:
        differs = apart(rows[0], r, outcomes)
        said = f"differs from base on {', '.join(differs)}" if differs else "same as base"
        out.append(f"{r['scenario']}: {said}")
    return out


def robustness(by_set: dict[str, pd.DataFrame], outcomes: list[str]) -> pd.DataFrame:
    """Per what-if, under how many of the parameter sets it differs from the base, and which.

    Args:
        by_set: set name -> that set's comparison table (the same scenarios, base first).
        outcomes: the outcomes every table holds.

    Returns:
        One row per what-if: scenario, differs_under (count), sets (how many in all),
        under (the sets' names, "; "-joined, in the order given), on (under each of
        them, what differs: "without nato-2024: P(Iohannis); ...").
    """
    tables = list(by_set.items())
    names = list(tables[0][1]["scenario"])[1:]
    rows = []
    for i, name in enumerate(names, start=1):
        differs = {s: apart(t.iloc[0], t.iloc[i], outcomes) for s, t in tables}
        under = [s for s, d in differs.items() if d]
        rows.append({"scenario": name, "differs_under": len(under), "sets": len(tables),
                     "under": "; ".join(under),
                     "on": "; ".join(f"{s}: {', '.join(differs[s])}" for s in under)})  # fmt: skip
    return pd.DataFrame(rows, columns=["scenario", "differs_under", "sets", "under", "on"])


def robustness_lines(table: pd.DataFrame) -> list[str]:
    """The robustness table as console lines: `reservations-met  differs under 5 of 5 sets`."""
    if table.empty:
        return []
    width = max(len(s) for s in table["scenario"]) + 2
    out = []
    for _, r in table.iterrows():
        which = f" ({r['on']})" if 0 < r["differs_under"] < r["sets"] else ""
        out.append(f"{r['scenario'].ljust(width)}differs under {r['differs_under']} of "
                   f"{r['sets']} sets{which}")  # fmt: skip
    return out


def lines(table: pd.DataFrame, outcomes: list[str]) -> list[str]:
    """The comparison as console lines: each outcome's probability [95% interval]."""
    width = max(len(s) for s in table["scenario"]) + 2
    head = "".ljust(width) + "".join(k[:22].rjust(24) for k in outcomes)
    head += "   median appointment [95%] (IQR)"
    out = [head]
    for _, r in table.iterrows():
        cells = "".join(
            (
                f"{r[f'p_{k}']:6.1%} [{r[f'p_{k}_low']:.1%}, {r[f'p_{k}_high']:.1%}]"
                if _possible(r, k)
                else NOT_A_CANDIDATE
            ).rjust(24)
            for k in outcomes
        )
        median = _date(r["median_appointment"])
        if median != NONE_APPOINTED:
            median += f"{_bracket(r)} ({r['appointment_q25']} to {r['appointment_q75']})"
        out.append(r["scenario"].ljust(width) + cells + f"   {median}")
    return out


def _bracket(row) -> str:
    """` [low, high]`: the 95% interval of the row's median date, or nothing without one."""
    interval = _median_interval(row)
    return "" if interval is None or "median_low" not in row else " [{}, {}]".format(*interval)


def markdown(
    table: pd.DataFrame,
    outcomes: list[str],
    note: str,
    robust: pd.DataFrame | None = None,
    sets: list[str] | None = None,
) -> str:
    """compare.md: a Markdown table of the probabilities and the median date, each
    what-if's verdict and, with parameter sets, the `robust` table."""
    head = ["scenario", "runs", *outcomes, "median appointment", "its 95% interval",
            "middle 50%"]  # fmt: skip
    md = ["# Comparison", "", note, "", "| " + " | ".join(head) + " |",
          "|---|---:|" + "---|" * len(outcomes) + "---|---|---|"]  # fmt: skip
    for _, r in table.iterrows():
        cells = [
            f"{r[f'p_{k}']:.1%} ({r[f'p_{k}_low']:.1%} to {r[f'p_{k}_high']:.1%})"
            if _possible(r, k)
            else NOT_A_CANDIDATE
            for k in outcomes
        ]
        median, interval = _date(r["median_appointment"]), _median_interval(r)
        if interval is None:
            iqr = its = "-"
        else:
            iqr = f"{r['appointment_q25']} to {r['appointment_q75']}"
            its = "{} to {}".format(*interval)
        md.append(f"| {r['scenario']} | {r['runs']:,} | " + " | ".join(cells)
                  + f" | {median} | {its} | {iqr} |")  # fmt: skip
    said = verdicts(table, outcomes)
    if said:
        md += ["", "Against the base (the first row): non-overlapping 95% Wilson intervals of a "
               "probability, or non-overlapping 95% intervals of the median date.", "",
               *(f"- {line}" for line in said)]  # fmt: skip
    if robust is not None and not robust.empty:
        md += ["", "## Under each parameter set", "",
               f"{len(sets or [])} parameter sets: {', '.join(sets or [])}; the same seeds "
               "(compare-sets.csv holds each set's table, robustness.csv this one).", "",
               "| what-if | differs under | sets |", "|---|---:|---|"]  # fmt: skip
        for _, r in robust.iterrows():
            md.append(f"| {r['scenario']} | {r['differs_under']} of {r['sets']} | "
                      f"{r['under'] or '-'} |")  # fmt: skip
    md += ["", "![outcome probabilities](compare.png)", ""]
    return "\n".join(md)


def write(
    out: Path,
    table: pd.DataFrame,
    outcomes: list[str],
    note: str,
    by_set: dict[str, pd.DataFrame] | None = None,
    robust: pd.DataFrame | None = None,
) -> None:
    """compare.csv (numeric columns), compare.md and compare.png into `out`; with
    parameter sets, compare-sets.csv (every set's table stacked, a `parameters` column
    first) and robustness.csv. compare.csv goes last: a folder holding it is complete."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if by_set:
        stacked = pd.concat([t.assign(parameters=name) for name, t in by_set.items()])
        stacked = stacked[["parameters", *table.columns]]
        write_atomic(out / "compare-sets.csv", stacked.to_csv(index=False))
    if robust is not None:
        write_atomic(out / "robustness.csv", robust.to_csv(index=False))
    sets = list(by_set) if by_set else None
    write_atomic(out / "compare.md", markdown(table, outcomes, note, robust, sets))
    rows = [
        {"scenario": r["scenario"],
         **{k: (r[f"p_{k}"], r[f"p_{k}_low"], r[f"p_{k}_high"]) for k in outcomes}}
        for _, r in table.iterrows()
    ]  # fmt: skip
    plots.compare(rows, outcomes, out / "compare.png", figure_verdict(table, outcomes))
    # last: its presence says the comparison is complete (a bare --resume passes it by)
    write_atomic(out / "compare.csv", table.to_csv(index=False))


def figure_verdict(table: pd.DataFrame, outcomes: list[str]) -> tuple[str, bool] | None:
    """compare.png's words, from the verdicts (so the figure and the console agree): which
    what-ifs differ from the base, or that none does; None with no what-if."""
    rows = [r for _, r in table.iterrows()]
    if len(rows) < 2:
        return None
    differ = [r["scenario"] for r in rows[1:] if apart(rows[0], r, outcomes)]
    same = [r["scenario"] for r in rows[1:] if r["scenario"] not in differ]
    base = rows[0]["scenario"]
    if not differ:
        return (f"no what-if differs from the base ({base}): the 95% intervals of every "
                "probability and of the median date overlap", False)  # fmt: skip
    words = f"differ from the base ({base}): {', '.join(differ)}"
    return (words + (f"; the same as it: {', '.join(same)}" if same else ""), True)
