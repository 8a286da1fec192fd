"""compare's verdicts (on what each what-if differs from the base) and --parameter-sets (the
same comparison under each set, and under how many of them each what-if differs)."""

import json
import math

import pandas as pd
import pytest
from hostile import TINY, cli, two_cases, write

import sim
from sim.report.comparison import AS_GIVEN, apart, robustness, verdicts
from sim.scenario.schema import PRIORS

# One candidate every member backs: appointed at the first session. `same` changes nothing
# the model reads; `blocked` has C object to the only candidate (a deadlock, as given).
ONE = TINY.replace("  - {id: y, name: Y, home: B, source: press}\n", "").replace(
    "initial: y", "initial: x"
)
SAME = "extends: one.yaml\ndescription: the same contest, told again\n"
BLOCKED = "extends: one.yaml\nmembers:\n  - {code: C, objects: [x], source: press}\n"
# Under this set C lifts its objection at once: `blocked` appoints, a week later than the base.
GENEROUS = "parameters:\n  offer_rate: 1.0\n  price_base: 0.0\n  concession_size: 2.0\n  lift_threshold: 0.0\n"  # fmt: skip


@pytest.fixture
def what_ifs(tmp_path):
    """The base and its two what-ifs, as files."""
    return [write(tmp_path, ONE, "one.yaml"), write(tmp_path, SAME, "same.yaml"),
            write(tmp_path, BLOCKED, "blocked.yaml")]  # fmt: skip


def _row(p, low, high, median, k="x"):
    return {"scenario": "s", f"p_{k}": p, f"p_{k}_low": low, f"p_{k}_high": high,
            "median_appointment": median}  # fmt: skip


def test_apart_needs_the_intervals_not_to_overlap_or_another_median():
    base = _row(0.5, 0.4, 0.6, "2024-06-12")
    assert apart(base, _row(0.55, 0.45, 0.65, "2024-06-12"), ["x"]) == []  # overlapping
    assert apart(base, _row(0.7, 0.6, 0.8, "2024-06-12"), ["x"]) == []  # touching at 0.6
    assert apart(base, _row(0.75, 0.61, 0.8, "2024-06-12"), ["x"]) == ["P(X)"]
    assert apart(base, _row(0.5, 0.4, 0.6, "2024-06-19"), ["x"]) == ["median date"]
    # none appointed: equal to itself, whether written None, NaN or empty; apart from a date
    nobody = _row(0.0, 0.0, 0.1, None)
    assert apart(nobody, _row(0.0, 0.0, 0.1, float("nan")), ["x"]) == []
    assert apart(nobody, _row(0.0, 0.0, 0.1, ""), ["x"]) == []
    assert apart(base, _row(0.5, 0.4, 0.6, None), ["x"]) == ["median date"]
    # a candidate the what-if lacks (high NaN) has probability exactly 0: [0, 0]
    assert apart(_row(0.0, 0.0, 0.02, "d"), _row(0.0, 0.0, math.nan, "d"), ["x"]) == []
    assert apart(base, _row(0.0, 0.0, math.nan, "2024-06-12"), ["x"]) == ["P(X)"]
    assert apart(base, base, ["x"]) == [] and apart(base, base, []) == []


def test_the_median_date_differs_only_when_the_medians_intervals_do_not_overlap():
    def row(median, low, high):
        return {**_row(0.5, 0.4, 0.6, median), "median_low": low, "median_high": high}

    base = row("2024-06-12", "2024-06-05", "2024-06-19")
    # another median day whose interval reaches the base's: noise, not a difference
    assert apart(base, row("2024-06-19", "2024-06-19", "2024-06-26"), ["x"]) == []
    assert apart(base, row("2024-06-05", "2024-05-29", "2024-06-12"), ["x"]) == []
    assert apart(base, row("2024-06-26", "2024-06-20", "2024-07-03"), ["x"]) == ["median date"]
    assert apart(base, row("2024-05-29", "2024-05-22", "2024-06-04"), ["x"]) == ["median date"]
    assert apart(base, row(None, None, None), ["x"]) == ["median date"]  # none appointed
    assert apart(row(None, None, None), row(None, None, None), ["x"]) == []


def test_the_verdicts_say_which_what_if_differs_and_print_none_appointed(
    tmp_path, capsys, what_ifs
):
    out = tmp_path / "out"
    code, printed, err = cli(capsys, "compare", *what_ifs, "--runs", 20, "--out", out)
    assert code == 0, err
    lines = printed.splitlines()
    assert "same: same as base" in lines
    assert "blocked: differs from base on P(X), P(deadlock), median date" in lines
    table_blocked = next(x for x in lines if x.startswith("blocked "))
    assert lines.index("same: same as base") > lines.index(table_blocked)  # after the table
    assert table_blocked.endswith("   none appointed") and "nan" not in printed
    md = (out / "compare.md").read_text()
    assert "| none appointed | - |" in md and "nan" not in md
    assert "- blocked: differs from base on P(X), P(deadlock), median date" in md
    assert "- same: same as base" in md
    assert "robustness" not in printed and not (out / "robustness.csv").exists()


def test_a_candidate_only_a_what_if_has_is_not_a_candidate_in_the_base(tmp_path, capsys, what_ifs):
    # z is floated in the what-if and backed by C: the base cannot appoint z at all
    more = write(tmp_path, "extends: one.yaml\ncandidates:\n  - {id: z, name: Z, home: C, source: press}\n"
                 "members:\n  - {code: C, initial: z, source: press}\n", "more.yaml")  # fmt: skip
    out = tmp_path / "out"
    code, printed, err = cli(capsys, "compare", what_ifs[0], more, "--runs", 10, "--out", out)
    assert code == 0, err
    base = next(x for x in printed.splitlines() if x.startswith("one "))
    assert "not a candidate" in base and "nan" not in printed
    assert "| not a candidate |" in (out / "compare.md").read_text()


def test_verdicts_of_a_table_that_differs_nowhere():
    table = pd.DataFrame([{**_row(0.5, 0.4, 0.6, None), "scenario": n} for n in ("b", "w")])
    assert verdicts(table, ["x"]) == ["w: same as base"]
    assert verdicts(table.iloc[:1], ["x"]) == []  # the base alone: nothing to say


def test_robustness_counts_the_sets_under_which_each_what_if_differs():
    def table(w1, w2):  # base, then two what-ifs: each apart from the base or not
        rows = [_row(0.5, 0.4, 0.6, "d"), _row(*((0.9, 0.8, 1.0) if w1 else (0.5, 0.4, 0.6)), "d"),
                _row(*((0.9, 0.8, 1.0) if w2 else (0.5, 0.4, 0.6)), "d")]  # fmt: skip
        return pd.DataFrame([{**r, "scenario": n} for r, n in zip(rows, "bvw", strict=True)])

    sets = {AS_GIVEN: table(True, False), "s1": table(True, True), "s2": table(True, False)}
    r = robustness(sets, ["x"])
    assert list(r["scenario"]) == ["v", "w"] and list(r["sets"]) == [3, 3]
    assert list(r["differs_under"]) == [3, 1]
    assert list(r["under"]) == ["as given; s1; s2", "s1"]
    assert list(r["on"]) == ["as given: P(X); s1: P(X); s2: P(X)", "s1: P(X)"]


def test_a_yaml_parameter_set_and_priors_load_by_file_stem(tmp_path):
    fit = write(tmp_path, "# fitted\nparameters:\n  noise: 0.2\n  w_band: 2\n  assumption: true\n",
                "fit.yaml")  # fmt: skip
    old = write(tmp_path, "parameters: priors\n", "old.yaml")
    sets = sim.load_parameter_sets([fit, old])
    assert sets == {"fit": {"noise": 0.2, "w_band": 2}, "old": PRIORS}
    again = sim.load_parameter_sets([fit, fit])  # one stem twice: told apart
    assert list(again) == ["fit", "fit (2)"]


def test_a_real_crossvals_folds_give_one_set_per_left_out_case(tmp_path, capsys):
    out = tmp_path / "cv"
    code, _, err = cli(capsys, "crossval", *two_cases(tmp_path), "--params", "noise",
                       "w_band=0:5", "--budget", 2, "--runs", 2, "--set", "parameters=priors",
                       "--out", out)  # fmt: skip
    assert code == 0, err
    fitted = json.loads((out / "folds.json").read_text())["fitted"]
    sets = sim.load_parameter_sets([out / "folds.json"])
    assert list(sets) == ["without tiny", "without tiny2"]
    for case in ("tiny", "tiny2"):  # the crossval's --set parameters=priors, then its fit
        assert sets[f"without {case}"] == {**PRIORS, **fitted[case]}


BAD = [
    ("bad.yaml", "parameters:\n  noise: -1\n", "bad.yaml:2: parameters.noise: "),
    ("bad.yaml", "parameters:\n  nosie: 0.2\n", "bad.yaml:2: parameters.nosie: unknown field"),
    ("bad.yaml", "name: x\n", "bad.yaml:1: holds no parameters: block"),
    ("bad.yaml", "parameters: [1, 2]\n", "bad.yaml:1: parameters: give a mapping"),
    ("bad.yaml", "parameters: {noise: 0.2\n", "bad.yaml:2: not valid YAML"),
    (
        "folds.json",
        '{"settings": {},\n "fitted": {"a": {"noise": 0.2,}}}',
        "folds.json:2: not valid JSON",
    ),  # fmt: skip
    (
        "folds.json",
        '{"fitted": {"a": {"noise": "high"}}}',
        "folds.json: fitted.a.noise: must be a number",
    ),  # fmt: skip
    ("folds.json", '{"fitted": {"a": {"noise": 7}}}', "folds.json: fitted.a.noise: "),
    ("folds.json", '{"fitted": {}}', "folds.json: fitted: holds no fitted fold"),
    ("folds.json", "[1]", "folds.json: not a crossval's folds.json"),
    ("set.txt", "noise: 0.2\n", "set.txt: a parameter set is a .yaml file"),
]


@pytest.mark.parametrize(("name", "text", "said"), BAD)
def test_a_bad_parameter_set_is_one_located_line_before_anything_runs(
    tmp_path, capsys, what_ifs, name, text, said
):
    bad = write(tmp_path, text, name)
    out = tmp_path / "out"
    code, printed, err = cli(capsys, "compare", *what_ifs, "--runs", 5, "--out", out,
                             "--parameter-sets", bad)  # fmt: skip
    assert code == 2 and printed == "" and not out.exists()
    assert len(err.strip().splitlines()) == 1, err
    assert err.strip().startswith(str(tmp_path / said.split(":")[0])) and said in err, err


def test_compare_under_parameter_sets_writes_each_sets_table_and_the_robustness(
    tmp_path, capsys, what_ifs
):
    generous = write(tmp_path, GENEROUS, "generous.yaml")
    out = tmp_path / "out"
    code, printed, err = cli(capsys, "compare", *what_ifs, "--runs", 20, "--out", out,
                             "--parameter-sets", generous)  # fmt: skip
    assert code == 0, err
    lines = printed.splitlines()
    assert "under 2 parameter sets (as given, generous; the same seeds):" in lines
    assert "same     differs under 0 of 2 sets" in lines
    assert "blocked  differs under 2 of 2 sets" in lines
    stacked = pd.read_csv(out / "compare-sets.csv")
    assert list(stacked.columns[:2]) == ["parameters", "scenario"]
    assert list(stacked["parameters"]) == [AS_GIVEN] * 3 + ["generous"] * 3
    as_given = pd.read_csv(out / "compare.csv")
    pd.testing.assert_frame_equal(
        stacked[stacked["parameters"] == AS_GIVEN].drop(columns="parameters"), as_given
    )
    under = stacked[stacked["parameters"] == "generous"].set_index("scenario")
    # the set on top of each scenario, as --set would put it: blocked appoints, a week late
    assert under.loc["blocked", "p_x"] == 1.0
    assert under.loc["blocked", "median_appointment"] == "2024-01-15"
    assert under.loc["one", "median_appointment"] == "2024-01-08"
    r = pd.read_csv(out / "robustness.csv", keep_default_na=False)
    assert r.to_dict("records") == [
        {"scenario": "same", "differs_under": 0, "sets": 2, "under": "", "on": ""},
        {
            "scenario": "blocked",
            "differs_under": 2,
            "sets": 2,
            "under": "as given; generous",
            "on": "as given: P(X), P(deadlock), median date; generous: median date",
        },
    ]
    assert "## Under each parameter set" in (out / "compare.md").read_text()


def test_the_api_compares_under_sets_as_set_overrides_would_on_the_same_seeds(what_ifs):
    values = {"offer_rate": 1.0, "price_base": 0.0, "concession_size": 2.0, "lift_threshold": 0.0}
    c = sim.compare(what_ifs, runs=15, seed=3, parameter_sets={"generous": values}, keep=False)
    assert list(c.by_set) == [AS_GIVEN, "generous"]
    pd.testing.assert_frame_equal(c.by_set[AS_GIVEN].table, c.table)
    pd.testing.assert_frame_equal(c.table, sim.compare(what_ifs, runs=15, seed=3).table)
    overridden = sim.compare(what_ifs, runs=15, seed=3,
                             set={f"parameters.{k}": v for k, v in values.items()})  # fmt: skip
    pd.testing.assert_frame_equal(c.by_set["generous"].table, overridden.table)
    assert list(c.robustness["differs_under"]) == [0, 2]
    assert c.verdicts() == ["same: same as base",
                            "blocked: differs from base on P(X), P(deadlock), median date"]  # fmt: skip
    assert sim.compare(what_ifs, runs=5).robustness is None  # no sets: no robustness block


def test_compare_png_says_what_the_verdict_lines_say():
    import matplotlib.pyplot as plt

    from sim.report import plots
    from sim.report.comparison import figure_verdict

    # w differs from the base only on its median day: the intervals overlap, so the old
    # title ("no difference") and the verdict line disagreed
    rows = [_row(0.5, 0.4, 0.6, "2024-06-12"), _row(0.5, 0.4, 0.6, "2024-06-19"),
            _row(0.5, 0.4, 0.6, "2024-06-12")]  # fmt: skip
    table = pd.DataFrame([{**r, "scenario": n} for r, n in zip(rows, "bwv", strict=True)])
    assert verdicts(table, ["x"]) == ["w: differs from base on median date", "v: same as base"]
    words, differs = figure_verdict(table, ["x"])
    assert differs and words == "differ from the base (b): w; the same as it: v"
    bars = [{"scenario": n, "x": (0.5, 0.4, 0.6)} for n in "bwv"]
    fig = plots.compare_figure(bars, ["x"], (words, differs))
    assert "differ from the base (b): w" in fig.axes[0].get_title()
    assert "no difference" not in fig.axes[0].get_title()
    plt.close(fig)
    same = table.assign(median_appointment="2024-06-12")
    words, differs = figure_verdict(same, ["x"])
    assert not differs and words.startswith("no what-if differs from the base (b)")
    assert figure_verdict(table.iloc[:1], ["x"]) is None  # the base alone: the plot's own
