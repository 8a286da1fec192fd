"""Which members decide the contest: each member's assumptions changed alone.

For each member, one at a time and with common random numbers: its assumed inputs
(capability, salience) pushed to the low and to the high ends of their ranges, its initial
stance made undecided (if it had one), its grievances removed (if it holds any) and its
standing objections removed (if it holds any). The change in every output against the
scenario as it is says how much the contest turns on that member.
"""

import time
from dataclasses import dataclass

import numpy as np

from sim.analysis.evaluations import Evaluations
from sim.analysis.inputs import Input
from sim.analysis.sensitivity import (
    MEDIAN_DAYS,
    Change,
    base_world,
    default_workers,
    evaluate,
    output_names,
)
from sim.scenario.loader import scenario_digest
from sim.scenario.schema import Scenario

CHANGES = ("low", "high", "undecided", "no_grievances", "no_objections")
CHANGE_WORDS = {
    "low": "its assumptions at the low end",
    "high": "its assumptions at the high end",
    "undecided": "undecided at the start",
    "no_grievances": "without its grievances",
    "no_objections": "without its standing objections",
}


@dataclass
class Pivotal:
    """Per member and change, each output's change against the scenario as it is.

    `table`: member, change, one `d_<output>` column per output (probabilities in points of
    probability, median_days in days), `swing` (the largest absolute change of any outcome
    probability), and `rank` of the member by its largest swing (1 = most pivotal)."""

    scenario: str
    base: dict[str, float]
    runs: int
    seed: int
    seconds: float
    table: object  # pandas DataFrame

    def members(self):
        """One row per member: its largest swing and the change that gives it, ranked."""
        t = self.table
        best = t.loc[t.groupby("member")["swing"].idxmax()]
        return best.sort_values(["rank"]).reset_index(drop=True)


def pivotal(
    scenario: Scenario,
    inputs: list[Input],
    runs: int = 50,
    seed: int = 1,
    workers: int | None = None,
    kept: Evaluations | None = None,
) -> Pivotal:
    """Push each member's assumptions, one member at a time, and measure the outputs.

    Args:
        scenario: the validated scenario.
        inputs: the varied inputs; a member's own (capability, salience) give its ends.
        runs, seed: replications per point and their seed (common random numbers).
        workers: processes (default: every core for a large analysis).
        kept: a checkpoint to take finished points from and add to (`Evaluations`).

    Returns:
        The `Pivotal` table.
    """
    import pandas as pd

    began = time.perf_counter()
    world = base_world(scenario, scenario_digest(scenario))
    base_values = tuple(i.base for i in inputs)
    labels, changes = [("", "base")], [Change(base_values)]
    grieving = set()
    for rule in world.rules.values():
        if rule.kind == "grievance":
            grieving |= {world.members[i] for i in np.flatnonzero(rule.mask.any(axis=1))}
    for k, code in enumerate(world.members):
        own = [j for j, i in enumerate(inputs) if i.member == code]
        if own:
            for end in ("low", "high"):
                vals = list(base_values)
                for j in own:
                    vals[j] = getattr(inputs[j], end)
                labels.append((code, end))
                changes.append(Change(tuple(vals)))
        if world.initial[k] >= 0 and world.home_mask[k].sum() == 0:
            labels.append((code, "undecided"))
            changes.append(Change(base_values, undecided=(code,)))
        if code in grieving:
            labels.append((code, "no_grievances"))
            changes.append(Change(base_values, no_grievances=(code,)))
        if world.objects0[k].any():
            labels.append((code, "no_objections"))
            changes.append(Change(base_values, no_objections=(code,)))
    workers = default_workers(len(changes), runs) if workers is None else workers
    Y = evaluate(scenario, inputs, changes, runs, seed, workers, kept, "pivotal")
    outputs = output_names(world)
    base = dict(zip(outputs, map(float, Y[0]), strict=True))
    probs = [k for k, o in enumerate(outputs) if o != MEDIAN_DAYS]
    rows = []
    for (code, change), y in zip(labels[1:], Y[1:], strict=True):
        delta = y - Y[0]
        rows.append(
            {
                "member": code,
                "change": change,
                **{f"d_{o}": float(d) for o, d in zip(outputs, delta, strict=True)},
                "swing": float(np.abs(delta[probs]).max()),
            }
        )
    table = pd.DataFrame(rows)
    if len(table):
        order = table.groupby("member")["swing"].max().sort_values(ascending=False, kind="stable")
        rank = {m: r for r, m in enumerate(order.index, start=1)}
        table["rank"] = table["member"].map(rank)
        table = table.sort_values(["rank", "swing"], ascending=[True, False], kind="stable")
        table = table.reset_index(drop=True)
    return Pivotal(scenario.name, base, runs, seed, time.perf_counter() - began, table)
