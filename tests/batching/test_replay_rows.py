"""Every row of a batch replays: `run --seed <its seed> --set <its point>` gives the same
outcome, row by row, for all 2,000 rows of a high-noise sweep (through `sim.run`) and for a
sample through the command line. Issue 12: a recorded run once replayed as a deadlock."""

import csv
import gzip

import numpy as np
import pandas as pd
import yaml
from toy import toy, week

import sim
from sim.cli.main import main

NOISE = [1.0, 2.0, 3.0, 4.0]  # high noise: where last-bit differences used to flip outcomes
RUNS = 500  # per point: 2,000 rows
ROW = ("winner", "appointed_round", "appointed_date", "appointed_session", "rounds", "offers")


def bargaining_scenario():
    """A small contest with every block that draws: sessions, a broker, objections, offers."""
    broker = {"id": "b", "member": "D", "targets": {"codes": ["C", "E"]}}
    sessions = [{"id": f"s{n}", "date": week(n), "name": f"meeting {n}", "kind": k}
                for n, k in ((2, "indicative"), (4, "formal"), (6, "formal"), (8, "formal"))]  # fmt: skip
    world = toy(members=("A", "B", "C", "D", "E"), candidates=(("x", "A"), ("y", "B")),
                objects={"C": ["x"], "E": ["y"]}, brokers=[broker], sessions=sessions, weeks=8,
                w_band=0.5, w_ties=0.0, concessions_per_round=1, offer_rate=0.5,
                concession_size=0.5)  # fmt: skip
    return world.scenario


def test_every_row_of_a_high_noise_sweep_replays_exactly(tmp_path):
    scenario = bargaining_scenario()
    results = sim.batch(scenario, runs=RUNS, seed=3, sweep={"parameters.noise": NOISE})
    runs = results.runs
    assert len(runs) == len(NOISE) * RUNS and results.points[1] == {"parameters.noise": 2.0}
    assert runs["winner"].nunique(dropna=False) == 3 and runs["offers"].sum() > 0  # varied
    loaded = {v: sim.load(scenario, set={"parameters.noise": v}) for v in NOISE}
    c = results.columns  # the batch's own arrays: compared with no table in between
    for k, (point, seed) in enumerate(zip(c["point"].tolist(), c["seed"].tolist(), strict=True)):
        h = sim.run(loaded[NOISE[point]], seed=seed).history
        f = h.final
        got = (int(f.appointed[0]), int(f.appointed_round[0]), int(h.last_round[0]),
               int(f.offers[0]), f.withdrawn_reason[0].tolist())  # fmt: skip
        want = (int(c["winner"][k]), int(c["appointed_round"][k]), int(c["rounds"][k]),
                int(c["offers"][k]), c["withdrawn_reason"][k].tolist())  # fmt: skip
        assert got == want, (k, seed, got, want)

    # A sample through the command line, from a scenario file, exactly as a user replays it.
    path = tmp_path / "bargain.yaml"
    data = scenario.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    picks = np.random.default_rng(0).choice(len(runs), size=4, replace=False)
    for k in picks.tolist():
        row = runs.iloc[k]
        out = tmp_path / f"replay-{k}"
        noise = row["parameters.noise"]
        argv = ["run", str(path), "--seed", str(row["seed"]), "--set",
                f"parameters.noise={noise}", "--out", str(out)]  # fmt: skip
        assert main(argv) == 0
        with gzip.open(out / "runs.csv.gz", "rt", encoding="utf-8") as f:
            (got,) = list(csv.DictReader(f))
        want = {c: "" if pd.isna(row[c]) else str(row[c]) for c in ROW}
        assert {c: got[c] for c in ROW} == want, k
