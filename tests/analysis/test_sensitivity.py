"""Sensitivity analysis: Morris finds the decisive input and the inert one, Sobol indices of a
toy with a known answer, a varied World equals the varied scenario compiled, pivotal members,
located errors for bad inputs."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.analysis.inputs import choose_inputs, default_fields
from sim.analysis.pivotal import pivotal
from sim.analysis.sensitivity import Change, analyse, evaluate
from sim.analysis.variant import varied_world
from sim.batching.plan import replication_seeds
from sim.cli.main import main
from sim.engine.loop import simulate
from sim.engine.world import build_world
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.varied import varied_field

pytest.importorskip("SALib")

ROOT = Path(__file__).resolve().parents[2]
NATO = ROOT / "scenarios" / "nato-2024.yaml"
DECISIVE, INERT = "grievances.c-against-x.weight", "ties.listen.weight"


def toy_data() -> dict:
    """One candidate (x, home A); C's grievance against x decides whether C blocks it (so
    whether x is appointed); ties carry no weight (w_ties = 0), so a tie weight is inert."""
    member = {"salience": 1.0, "capability": 0.5, "assumption": True, "attributes": {}}
    return {
        "name": "toy",
        "calendar": {
            "start": date(2024, 1, 1),
            "deadline": date(2024, 3, 1),
            "last_round": date(2024, 3, 1),
            "assumption": True,
        },
        "decision": {"rule": "consensus", "assumption": True},
        "candidates": [{"id": "x", "name": "X", "home": "A", "assumption": True}],
        "members": [{"code": c, "name": c, **member} for c in "ABCD"],
        "preferences": [
            {"id": "fit", "members": {}, "candidate": "x", "affinity": 0.3, "assumption": True}
        ],
        "grievances": [
            {
                "id": "c-against-x",
                "members": {"codes": ["C"]},
                "candidate": "x",
                "weight": 1.0,
                "assumption": True,
            }
        ],
        "ties": [{"id": "listen", "from": {}, "to": {}, "weight": 1.0, "assumption": True}],
        "parameters": {
            "noise": 0.1,
            "w_ties": 0.0,
            "w_band": 0.0,
            "concessions_per_round": 0,
            "assumption": True,
        },
    }


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate(toy_data())


def test_morris_ranks_the_decisive_input_first_and_the_inert_one_near_zero(scenario):
    inputs = choose_inputs(scenario, [f"{DECISIVE}=0:1", INERT, "members.D.salience"])
    s = analyse(scenario, inputs, "morris", runs=40, seed=3, trajectories=8, workers=1)
    rows = s.ranked("p_deadlock").set_index("input")
    assert rows.loc[DECISIVE, "rank"] == 1
    assert rows.loc[DECISIVE, "mu_star"] > 0.3
    assert rows.loc[INERT, "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert s.base["p_deadlock"] == pytest.approx(1 - s.base["p_x"])


def test_the_words_name_no_input_of_zero_effect_as_a_mover(scenario):
    from sim.report.sensitivity import words

    inputs = choose_inputs(scenario, [f"{DECISIVE}=0:1", INERT, "members.D.salience"])
    s = analyse(scenario, inputs, "morris", runs=40, seed=3, trajectories=8, workers=1)
    line = next(x for x in words(s) if x.startswith("- P(deadlock)"))
    moving = s.ranked("p_deadlock").query("mu_star > 0")["input"].tolist()
    assert DECISIVE in line and INERT not in line, line  # its mu* is 0: not "moving" it
    assert ("moves only with" in line) == (len(moving) < 3), (line, moving)


def test_sobol_indices_of_a_toy_that_depends_on_one_input(scenario):
    inputs = choose_inputs(scenario, [f"{DECISIVE}=0:1", INERT])
    s = analyse(scenario, inputs, "sobol", runs=40, seed=3, samples=32, workers=1)
    rows = s.ranked("p_x").set_index("input")
    assert list(rows.index) == [DECISIVE, INERT]
    assert rows.loc[DECISIVE, "ST"] == pytest.approx(1.0, abs=0.25)
    assert rows.loc[DECISIVE, "S1"] == pytest.approx(1.0, abs=0.25)
    assert rows.loc[INERT, "ST"] == pytest.approx(0.0, abs=1e-12)
    assert {"S1_conf", "ST_conf"} <= set(s.table.columns)


def test_a_constant_output_is_reported_not_analysed(scenario):
    inputs = choose_inputs(scenario, [INERT])
    s = analyse(scenario, inputs, "sobol", runs=10, seed=1, samples=4, workers=1)
    assert set(s.constant) == set(s.outputs)
    assert (s.table["ST"] == 0).all()


def test_pivotal_members_put_the_decisive_member_first(scenario):
    p = pivotal(scenario, choose_inputs(scenario), runs=40, seed=3, workers=1)
    top = p.members().iloc[0]
    assert (top["member"], top["change"]) == ("C", "no_grievances")
    assert top["d_p_x"] > 0.3
    quiet = p.table[p.table["member"] == "D"]
    assert (quiet["swing"] < 0.1).all()


def test_default_inputs_are_every_assumption_and_every_parameter():
    s = load_scenario(NATO)
    keys = {f.key for f in default_fields(s)}
    assert "members.HU.salience" in keys and "grievances.schengen.weight" in keys
    assert "ties.us-lead.weight" in keys and "parameters.noise" in keys
    chosen = choose_inputs(s)
    noise = next(i for i in chosen if i.key == "parameters.noise")
    v = s.parameters.noise
    assert (noise.low, noise.high) == pytest.approx((0.5 * v, 1.5 * v))
    for i in chosen:
        lo, hi = i.field.allowed
        assert lo <= i.low < i.high <= hi


def test_a_varied_world_equals_the_varied_scenario_compiled():
    base = load_scenario(NATO)
    sets = {
        "members.HU.salience": 0.95,
        "members.TR.capability": 0.3,
        "grievances.schengen.weight": 0.2,  # an event sets it later: only rounds before change
        "ties.us-lead.weight": 2.5,
        "parameters.noise": 0.6,
        "parameters.offer_rate": 0.9,
        "parameters.concessions_per_round": 2,
    }
    fields = [(varied_field(k, base), v) for k, v in sets.items()]
    world = build_world(base)
    simulate(world, [1])  # a world that has run holds caches; a varied copy must not reuse them
    varied = varied_world(world, fields)
    texts = [f"{k}={v}" for k, v in sets.items()]
    compiled = build_world(load_scenario(NATO, texts))
    seeds = replication_seeds(1, 0, 0, 40)
    a, b = simulate(varied, seeds), simulate(compiled, seeds)
    assert len(a.stance) == len(b.stance)
    for x, y in zip(a.stance, b.stance, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.final.appointed, b.final.appointed)
    np.testing.assert_array_equal(a.final.appointed_round, b.final.appointed_round)
    for t in range(len(varied.rounds)):
        assert varied.rounds[t].params == compiled.rounds[t].params
        assert varied.rounds[t].values == compiled.rounds[t].values


def test_points_do_not_depend_on_the_workers(scenario):
    inputs = choose_inputs(scenario, [f"{DECISIVE}=0:1", "parameters.noise"])
    changes = [Change((w, n)) for w in (0.2, 0.6, 0.9) for n in (0.1, 0.4)] * 12
    one = evaluate(scenario, inputs, changes, 20, 5, workers=1)
    two = evaluate(scenario, inputs, changes, 20, 5, workers=2)
    np.testing.assert_array_equal(one, two)


def test_stacked_points_give_the_outputs_each_point_gives_alone(monkeypatch):
    """Morris points of nato-2024 (every default input) and pivotal changes (some stack,
    some change a world's structure) evaluated in stacked calls and one call per point."""
    from sim.analysis import sensitivity

    scenario = load_scenario(NATO)
    inputs = choose_inputs(scenario)
    rng = np.random.default_rng(3)
    changes = [Change(tuple(float(rng.uniform(i.low, i.high)) for i in inputs)) for _ in range(6)]
    base = tuple(i.base for i in inputs)
    changes += [Change(base, undecided=("HU",)), Change(base), Change(base, no_grievances=("TR",))]
    stacked = evaluate(scenario, inputs, changes, 15, 2, workers=1)
    monkeypatch.setattr(sensitivity, "stackable", lambda a, b: False)
    alone = evaluate(scenario, inputs, changes, 15, 2, workers=1)
    np.testing.assert_array_equal(stacked, alone)
    assert len(np.unique(stacked[:6], axis=0)) > 1  # the points differ


def test_one_process_simulates_a_bounded_number_of_cells_at_once(scenario, monkeypatch):
    """With one worker the points are still cut into tasks of at most CELLS_PER_TASK
    replication cells (runs x members x options), so memory does not grow with the points
    (a 10-trajectory Morris of wto-2013 had grown past 22 GB), and the outputs are those of
    one task."""
    from sim.analysis import sensitivity

    inputs = choose_inputs(scenario, [f"{DECISIVE}=0:1", "parameters.noise"])
    changes = [Change((w, n)) for w in (0.2, 0.6, 0.9) for n in (0.1, 0.4)] * 4
    whole = evaluate(scenario, inputs, changes, 20, 5, workers=1)
    world = build_world(scenario)
    cells = 20 * len(world.members) * (len(world.candidates) + 1)
    sizes = []
    real = sensitivity.evaluate_task
    monkeypatch.setattr(sensitivity, "CELLS_PER_TASK", 5 * cells)
    monkeypatch.setattr(
        sensitivity, "evaluate_task", lambda t: sizes.append(len(t.changes)) or real(t)
    )
    cut = evaluate(scenario, inputs, changes, 20, 5, workers=1)
    assert sizes == [5, 5, 5, 5, 4]
    np.testing.assert_array_equal(cut, whole)


def test_a_small_analysis_is_one_task_in_one_process(scenario, monkeypatch):
    from sim.analysis import sensitivity

    inputs = choose_inputs(scenario, [f"{DECISIVE}=0:1"])
    sizes = []
    real = sensitivity.evaluate_task
    monkeypatch.setattr(
        sensitivity, "evaluate_task", lambda t: sizes.append(len(t.changes)) or real(t)
    )
    evaluate(scenario, inputs, [Change((w,)) for w in (0.1, 0.5, 0.9)], 20, 5, workers=1)
    assert sizes == [3]


@pytest.mark.parametrize(
    "inputs, expected",
    [
        (
            "nois",
            "--inputs nois: nois: not a field an analysis can vary (did you mean `parameters.noise`?)",
        ),
        (
            "members.XX.salience",
            "--inputs members.XX.salience: members.XX.salience: unknown member 'XX'",
        ),
        (
            "members.HU.salience=0.5:2",
            "--inputs members.HU.salience=0.5:2: members.HU.salience: range must lie in [0, 1]",
        ),
        (
            "parameters.noise=a:b",
            "--inputs parameters.noise=a:b: parameters.noise: range must be LOW:HIGH",
        ),
    ],
)
def test_a_bad_inputs_text_is_one_line_and_exit_2(inputs, expected, capsys, tmp_path):
    code = main(["sensitivity", str(NATO), "--inputs", inputs, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(expected)


def test_a_bad_sensitivity_block_is_located(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    block = {
        "sensitivity": {
            "inputs": {
                "members.HU.salinece": {"min": 0, "max": 1},
                "grievances.schengen.weight": {"min": 0, "max": 3},
            },
            "exclude": ["ties.peer.weight"],
        }
    }
    path.write_text(f"extends: {NATO}\n" + yaml.safe_dump(block, sort_keys=False))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    lines = [str(p) for p in exc.value.problems]
    assert lines == [
        f"{path}:4: sensitivity.inputs.members.HU.salinece: a member's varied field is capability or salience, not 'salinece'",
        f"{path}:7: sensitivity.inputs.grievances.schengen.weight: range must lie in [0, 1]",
        f"{path}:11: sensitivity.exclude[0]: unknown tie 'peer' (did you mean `peers`?)",
    ]
    code = main(["sensitivity", str(path), "--out", str(tmp_path / "o")])
    assert code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 3


def test_a_sensitivity_block_sets_ranges_and_only_limits_the_inputs(tmp_path):
    path = tmp_path / "mine.yaml"
    block = {
        "sensitivity": {
            "inputs": {
                "noise": {"min": 0.05, "max": 0.5},
                "members.HU.salience": {"min": 0.5, "max": 1.0},
            },
            "only": True,
        }
    }
    path.write_text(f"extends: {NATO}\n" + yaml.safe_dump(block))
    chosen = choose_inputs(load_scenario(path))
    assert sorted((i.key, i.low, i.high) for i in chosen) == [
        ("members.HU.salience", 0.5, 1.0),
        ("parameters.noise", 0.05, 0.5),
    ]


def test_the_command_writes_the_table_the_charts_and_the_words(tmp_path, capsys):
    data = toy_data()
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    code = main(
        [
            "sensitivity",
            str(path),
            "--inputs",
            f"{DECISIVE}=0:1,{INERT}",
            "--runs",
            "20",
            "--trajectories",
            "4",
            "--out",
            str(out),
        ]
    )
    said = capsys.readouterr().out
    assert code == 0
    assert "P(deadlock) " in said and DECISIVE in said and "which allies decide" in said.lower()
    for name in (
        "sensitivity.csv",
        "sensitivity.md",
        "pivotal.csv",
        "plots/pivotal.png",
        "plots/sensitivity_p_deadlock.png",
    ):
        assert (out / name).exists(), name
    import pandas as pd

    table = pd.read_csv(out / "sensitivity.csv")
    assert {"output", "input", "mu_star", "sigma", "rank"} <= set(table.columns)


CONVENED = ROOT / "docs" / "experiments" / "wto-2013-convened.yaml"
NOTICE = "sessions.special.convened_after_days"


def test_a_convened_sessions_notice_is_an_input_when_it_is_assumed():
    sc = load_scenario(CONVENED)
    (field,) = [f for f in default_fields(sc) if f.kind == "notice"]
    assert field.key == NOTICE and field.integer
    (notice,) = [i for i in choose_inputs(sc) if i.key == NOTICE]
    assert (notice.base, notice.low, notice.high) == (7, 3, 11)  # half its days, whole days
    assert not [f for f in default_fields(load_scenario(NATO)) if f.kind == "notice"]
    with pytest.raises(ValueError, match="unknown session convened once the rule is met 'specal'"):
        varied_field("sessions.specal.convened_after_days", sc)
    with pytest.raises(ValueError, match="a session's varied field is convened_after_days"):
        varied_field("sessions.special.date", sc)


def test_a_varied_notice_equals_the_varied_scenario_compiled():
    base = load_scenario(CONVENED)
    world = build_world(base)
    seeds = replication_seeds(1, 0, 0, 40)
    for days in (0, 3, 12):
        varied = varied_world(world, [(varied_field(NOTICE, base), days)])
        compiled = build_world(load_scenario(CONVENED, [f"{NOTICE}={days}"]))
        assert [r.session for r in varied.rounds] == [r.session for r in compiled.rounds]
        a, b = simulate(varied, seeds), simulate(compiled, seeds)
        np.testing.assert_array_equal(a.final.appointed_round, b.final.appointed_round)


def test_the_notice_moves_the_median_date_where_it_binds():
    # one candidate everyone backs after round 1; a meeting that may be called any week:
    # the notice sets the appointment date, and the analysis sees it (points not stacked)
    data = toy_data()
    data["decision"] = {"rule": "consensus", "quorum": 1.0, "assumption": True}
    data["preferences"] = [{"id": f"p{m}", "members": {"codes": [m]}, "candidate": "x",
                            "affinity": 0.8, "assumption": True} for m in "BCD"]  # fmt: skip
    data["grievances"] = []
    data["sessions"] = [{"id": "called", "date": date(2024, 1, 8), "name": "Called meeting",
                         "every_days": 7, "until": date(2024, 2, 26),
                         "convened_after_days": 7, "assumption": True}]  # fmt: skip
    sc = Scenario.model_validate(data)
    inputs = choose_inputs(sc, ["sessions.called.convened_after_days=0:28"])
    out = evaluate(sc, inputs, [Change((d,)) for d in (0, 14, 28)], 10, 1)
    days = out[:, -1]  # median_days, the last output
    assert days[0] < days[1] < days[2], days
    # met after round 1 (8 Jan): held at the next meeting (0 days), 2 and 4 weeks on
    assert list(days) == [14, 21, 35]


def test_inputs_may_be_given_apart_as_calibrate_takes_its_params():
    from sim.cli.main import _parser

    args = ["sensitivity", str(NATO), "--inputs", "parameters.noise", "parameters.w_band=0:2",
            "--inputs", "grievances.schengen.weight,parameters.w_ties"]  # fmt: skip
    assert _parser().parse_args(args).inputs == [
        "parameters.noise",
        "parameters.w_band=0:2",
        "grievances.schengen.weight,parameters.w_ties",
    ]  # then split at the commas, as before


def test_the_median_date_is_a_day_that_occurred_never_a_midpoint():
    from types import SimpleNamespace

    from sim.analysis.sensitivity import outputs_of

    world = build_world(Scenario.model_validate(toy_data()))
    # four replications: two appoint in round 1, two in round 2 (a week later)
    final = SimpleNamespace(
        appointed=np.array([0, 0, 0, 0]), appointed_round=np.array([1, 1, 2, 2])
    )
    days = outputs_of(world, SimpleNamespace(final=final))[-1]
    first = (world.dates[1] - world.dates[0]).days
    assert days == first  # the lower of the two middle days (np.median would say first + 3.5)
    final.appointed_round = np.array([1, 2, 2, 2])
    assert (
        outputs_of(world, SimpleNamespace(final=final))[-1]
        == (world.dates[2] - world.dates[0]).days
    )


def test_the_morris_interval_is_drawn_cut_at_zero():
    from types import SimpleNamespace

    import pandas as pd
    from matplotlib.collections import LineCollection

    from sim.report.sensitivity import bars_figure

    rows = pd.DataFrame({"input": ["a", "b"], "mu_star": [0.3, 0.05], "mu_star_conf": [0.1, 0.2],
                         "sigma": [0.2, 0.1]})  # fmt: skip
    sens = SimpleNamespace(method="morris", scenario="toy", points=10, runs=5,
                           ranked=lambda output: rows)  # fmt: skip
    ax = bars_figure(sens, "p_x").axes[0]
    (whiskers,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    ends = sorted((round(s[0][0], 6), round(s[1][0], 6)) for s in whiskers.get_segments())
    assert ends == [(0.0, 0.25), (0.2, 0.4)]  # b's 0.05 - 0.2 is cut at 0; a's is whole


def test_a_deadlock_counts_as_the_day_the_scores_count_it():
    # nato-2024's last two rounds are 6 days apart but its rounds are 7 days (round_days):
    # a deadlock is one round_days after the last round, as `score` counts it
    from types import SimpleNamespace

    from sim.analysis.sensitivity import outputs_of
    from sim.evaluate.forecast import deadlock_day

    world = build_world(load_scenario(NATO))
    assert (world.dates[-1] - world.dates[-2]).days != world.scenario.calendar.round_days
    final = SimpleNamespace(appointed=np.array([-1, -1, -1]), appointed_round=np.array([-1] * 3))
    days = outputs_of(world, SimpleNamespace(final=final))[-1]
    assert days == deadlock_day(world) - world.dates[0].toordinal()
    assert days == (world.dates[-1] - world.dates[0]).days + world.scenario.calendar.round_days
    # an appointing run is counted at its round's date, as before
    final = SimpleNamespace(appointed=np.array([0]), appointed_round=np.array([3]))
    assert (
        outputs_of(world, SimpleNamespace(final=final))[-1]
        == (world.dates[3] - world.dates[0]).days
    )


# --- Morris on whole-number inputs: the effect over the step actually taken ----------------


def _morris_toy(ranges: dict[str, tuple[float, float]], trajectories=6, levels=4, seed=3):
    from SALib.sample import morris as morris_sample

    from sim.analysis.inputs import Input, problem_of

    sc = load_scenario(NATO)
    inputs = [Input(varied_field(k, sc), lo, lo, hi) for k, (lo, hi) in ranges.items()]
    X = morris_sample.sample(problem_of(inputs), trajectories, num_levels=levels, seed=seed)
    return inputs, X


def test_morris_of_a_whole_number_input_divides_by_the_step_rounding_took():
    from sim.analysis.sensitivity import morris_indices

    # y = 0.7 x round(concessions_per_round) + 0.2 x noise: crossing each input's range
    # moves y by 0.7 x (its span in whole numbers) and 0.2 x 1, so mu* is known exactly
    for span in (1, 2):
        inputs, X = _morris_toy({"parameters.concessions_per_round": (0, span),
                                 "parameters.noise": (0, 1)})  # fmt: skip
        y = 0.7 * np.round(X[:, 0]) + 0.2 * X[:, 1]
        res, counts = morris_indices(inputs, X, y, 4, 3)
        assert res["mu_star"][0] == pytest.approx(0.7 * span)  # SALib: 1.05, then 0.7 x 1.5
        assert res["mu"][0] == pytest.approx(0.7 * span) and res["sigma"][0] == pytest.approx(0)
        assert res["mu_star"][1] == pytest.approx(0.2) and counts == [6, 6]


def test_a_step_rounding_makes_zero_is_no_effect_and_an_input_may_have_none_left():
    from sim.analysis.sensitivity import morris_indices

    # on 0.6:1.4 every grid level (0.6, 0.87, 1.13, 1.4) rounds to 1: no step is taken
    inputs, X = _morris_toy({"parameters.concessions_per_round": (0.6, 1.4),
                             "parameters.noise": (0, 1)})  # fmt: skip
    y = 0.2 * X[:, 1]
    res, counts = morris_indices(inputs, X, y, 4, 3)
    assert counts == [0, 6]
    assert all(np.isnan(res[k][0]) for k in res) and res["mu_star"][1] == pytest.approx(0.2)
    # on 0:3 with 6 levels, steps of 0.6 of the range: 0 -> 1.8 rounds to 0 -> 2, and
    # 0.6 -> 2.4 to 1 -> 2: kept, each divided by its own step; a zero step would be dropped
    inputs, X = _morris_toy({"parameters.concessions_per_round": (0, 3),
                             "parameters.noise": (0, 1)}, levels=6)  # fmt: skip
    y = 0.5 * np.round(X[:, 0])
    res, counts = morris_indices(inputs, X, y, 6, 3)
    assert res["mu_star"][0] == pytest.approx(0.5 * 3)


def test_morris_of_continuous_inputs_is_salibs_to_the_last_digit():
    from SALib.analyze import morris as morris_analyze

    from sim.analysis.inputs import problem_of
    from sim.analysis.sensitivity import morris_indices

    inputs, X = _morris_toy({"parameters.noise": (0.05, 1), "parameters.w_band": (0, 5),
                             "parameters.concessions_per_round": (0, 2),
                             "parameters.w_ties": (0, 5)}, trajectories=8)  # fmt: skip
    y = np.random.default_rng(0).random(len(X))
    ours, _ = morris_indices(inputs, X, y, 4, 1)
    theirs = morris_analyze.analyze(problem_of(inputs), X, y, num_levels=4, seed=1)
    for name in ("mu", "mu_star", "sigma", "mu_star_conf"):
        for j in (0, 1, 3):  # the continuous ones, whatever the whole-number one does
            assert ours[name][j] == theirs[name][j], (name, j)


def test_an_analysis_names_a_whole_number_input_with_no_step_left():
    from sim.analysis.inputs import Input
    from sim.report.sensitivity import words

    sc = Scenario.model_validate(toy_data())
    field = varied_field("parameters.concessions_per_round", sc)
    inputs = [Input(field, 1.0, 0.6, 1.4), *choose_inputs(sc, ["parameters.noise=0:1"])]
    sens = analyse(sc, inputs, runs=4, trajectories=2, seed=1, workers=1)
    assert sens.no_effects == ["parameters.concessions_per_round"]
    rows = sens.table[sens.table["input"] == "parameters.concessions_per_round"]
    assert rows["mu_star"].isna().all() and (rows["rank"] == 2).all()  # ranked last
    line = next(w for w in words(sens) if w.startswith("No effect measured"))
    assert "parameters.concessions_per_round" in line and "noise" not in line
