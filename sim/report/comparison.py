"""Several scenarios side by side, for people: console lines, compare.csv/.md/.png."""

from pathlib import Path

import pandas as pd

from sim.report import plots
from sim.results.files import write_atomic


def lines(table: pd.DataFrame, outcomes: list[str]) -> list[str]:
    """The comparison as console lines: each outcome's probability [95% interval]."""
    width = max(len(s) for s in table["scenario"]) + 2
    head = "".ljust(width) + "".join(k[:22].rjust(24) for k in outcomes)
    head += "   median appointment (IQR)"
    out = [head]
    for _, r in table.iterrows():
        cells = "".join(
            f"{r[f'p_{k}']:6.1%} [{r[f'p_{k}_low']:.1%}, {r[f'p_{k}_high']:.1%}]".rjust(24)
            for k in outcomes
        )
        iqr = f"{r['appointment_q25'] or ''} to {r['appointment_q75'] or ''}"
        out.append(
            r["scenario"].ljust(width) + cells + f"   {r['median_appointment'] or ''} ({iqr})"
        )
    return out


def markdown(table: pd.DataFrame, outcomes: list[str], note: str) -> str:
    """compare.md: a Markdown table of the probabilities and the median date."""
    head = ["scenario", "runs", *outcomes, "median appointment", "middle 50%"]
    md = ["# Comparison", "", note, "", "| " + " | ".join(head) + " |",
          "|---|---:|" + "---|" * len(outcomes) + "---|---|"]  # fmt: skip
    for _, r in table.iterrows():
        cells = [
            f"{r[f'p_{k}']:.1%} ({r[f'p_{k}_low']:.1%} to {r[f'p_{k}_high']:.1%})" for k in outcomes
        ]
        iqr = f"{r['appointment_q25']} to {r['appointment_q75']}" if r["appointment_q25"] else "-"
        md.append(f"| {r['scenario']} | {r['runs']:,} | " + " | ".join(cells)
                  + f" | {r['median_appointment'] or '-'} | {iqr} |")  # fmt: skip
    md += ["", "![outcome probabilities](compare.png)", ""]
    return "\n".join(md)


def write(out: Path, table: pd.DataFrame, outcomes: list[str], note: str) -> None:
    """compare.csv (numeric columns), compare.md and compare.png into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "compare.csv", table.to_csv(index=False))
    write_atomic(out / "compare.md", markdown(table, outcomes, note))
    rows = [
        {"scenario": r["scenario"],
         **{k: (r[f"p_{k}"], r[f"p_{k}_low"], r[f"p_{k}_high"]) for k in outcomes}}
        for _, r in table.iterrows()
    ]  # fmt: skip
    plots.compare(rows, outcomes, out / "compare.png")
