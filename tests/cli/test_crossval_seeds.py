"""crossval --seeds: the whole crossval once per seed, each in its own folder exactly as a
crossval with that --seed writes it, then how far the left-out scores move between seeds."""

import csv
import io

from hostile import cli, two_cases

CV = ["--params", "noise", "--budget", 2, "--runs", 4]


def test_each_seed_is_the_crossval_with_that_seed_and_seeds_csv_sets_them_side_by_side(
    tmp_path, capsys
):
    cases = two_cases(tmp_path)
    out = tmp_path / "cv"
    code, printed, err = cli(capsys, "crossval", *cases, *CV, "--seeds", 1, 4, "--out", out)
    assert code == 0, err
    for seed in (1, 4):
        alone = tmp_path / f"alone-{seed}"
        assert cli(capsys, "crossval", *cases, *CV, "--seed", seed, "--out", alone)[0] == 0
        for name in ("crossval.csv", "folds.json"):
            assert (out / f"seed-{seed}" / name).read_bytes() == (alone / name).read_bytes()
    rows = list(csv.DictReader(io.StringIO((out / "seeds.csv").read_text())))
    assert [(r["seed"], r["case"]) for r in rows] == [("1", "tiny"), ("1", "tiny2"), ("4", "tiny"),
                                                     ("4", "tiny2")]  # fmt: skip
    for r in rows:  # the model's own row of that seed's table
        table = (out / f"seed-{r['seed']}" / "crossval.csv").read_text()
        model = next(x for x in csv.DictReader(io.StringIO(table))
                     if x["case"] == r["case"] and x["forecaster"] == "agent-based model")  # fmt: skip
        assert r["p_observed"] == model["p_observed"] and r["loss"] == model["loss"]
    assert "across 2 seeds (1, 4), the model left out:" in printed
    assert printed.count("mean left-out loss") == 3  # each seed's, and the spread's line
    assert f"seeds table: {out / 'seeds.csv'}" in printed


def test_seeds_and_seed_together_or_a_seed_twice_are_refused(tmp_path, capsys):
    cases = two_cases(tmp_path)
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--seeds", 1, 2, "--seed", 3)
    assert code == 2 and err.strip() == "--seeds: give --seed or --seeds, not both"
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--seeds", 2, 2)
    assert code == 2 and err.strip() == "--seeds: each seed once"


def test_an_interrupted_multi_seed_crossval_resumes_seed_by_seed(tmp_path, capsys):
    cases = two_cases(tmp_path)
    out = tmp_path / "cv"
    assert cli(capsys, "crossval", *cases, *CV, "--seeds", 1, 4, "--out", out)[0] == 0
    whole = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")}
    (out / "seed-4" / "crossval.csv").unlink()  # as if stopped while seed 4 was scored
    (out / "seeds.csv").unlink()
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--seeds", 1, 4, "--out", out, "--resume")
    assert code == 0, err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")} == whole
