"""`coalition-sim run`, `explain` and `validate` on the shipped scenarios, end to end."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from folders import text

from sim.cli.main import main
from sim.results.tables import EVENT_COLUMNS, SUPPORT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))
BASE = ROOT / "scenarios" / "nato-2024.yaml"


def read(path: Path) -> tuple[list[str], list[dict]]:
    """A CSV file's header and rows; `x.csv` of a results folder is read as `x.csv.gz`."""
    if path.suffix == ".csv" and not path.exists():
        content = text(path.parent, path.stem)
    else:
        content = path.read_text()
    reader = csv.DictReader(io.StringIO(content))
    return list(reader.fieldnames or []), list(reader)


def test_there_are_shipped_scenarios():
    names = {p.relative_to(ROOT / "scenarios").as_posix() for p in SCENARIOS}
    assert {"nato-2024.yaml", "nato-2024-article.yaml"} <= names
    assert len([n for n in names if n.startswith("what-if/")]) >= 3


def test_every_shipped_scenario_validates(capsys):
    assert main(["validate", str(ROOT / "scenarios")]) == 0
    out = capsys.readouterr().out
    assert f"{len(SCENARIOS)} file(s), 0 with problems" in out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_runs_to_a_result(path, tmp_path, capsys):
    assert main(["run", str(path), "--seed", "1", "--out", str(tmp_path)]) == 0
    _, runs = read(tmp_path / "runs.csv")
    assert len(runs) == 1
    row = runs[0]
    assert row["winner"] or int(row["rounds"]) > 0  # a winner, or a deadlock to the end
    assert "appointed" in capsys.readouterr().out or not row["winner"]


def test_run_writes_the_four_tables_with_the_design_columns_and_both_plots(tmp_path, capsys):
    # Seed 42: Rutte appointed after Iohannis withdrew and holdouts were offered concessions.
    assert main(["run", str(BASE), "--seed", "42", "--out", str(tmp_path)]) == 0
    summary = capsys.readouterr().out
    runs_header = [
        "run",
        "seed",
        "point",
        "winner",
        "appointed_round",
        "appointed_date",
        "appointed_session",
        "rounds",
        "offers",
        "withdrawn_rutte",
        "withdrawn_iohannis",
        "error",
    ]
    for table, columns in (
        ("runs.csv", runs_header),
        ("support.csv", SUPPORT_COLUMNS),
        ("declarations.csv", EVENT_COLUMNS["declarations"]),
        ("withdrawals.csv", EVENT_COLUMNS["withdrawals"]),
        ("holdouts.csv", EVENT_COLUMNS["holdouts"]),
        ("concessions.csv", EVENT_COLUMNS["concessions"]),
        ("offers.csv", EVENT_COLUMNS["offers"]),
    ):
        header, rows = read(tmp_path / table)
        assert header == columns
        assert rows
    meta = json.loads((tmp_path / "manifest.json").read_text())
    for key in (
        "scenario",
        "scenario_sha256",
        "package_version",
        "seed",
        "runs",
        "command",
        "created",
    ):
        assert key in meta
    assert meta["seed"] == 42 and meta["runs"] == 1 and len(meta["scenario_sha256"]) == 64
    for plot in ("trajectory.png", "stances.png"):
        png = tmp_path / "plots" / plot
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000  # a drawn figure, not an empty canvas
    _, runs = read(tmp_path / "runs.csv")
    assert runs[0]["seed"] == "42"
    assert ("appointed on" in summary) == bool(runs[0]["winner"])
    assert "last holdouts" in summary and "withdrawn" in summary


def test_support_rows_agree_with_the_outcome(tmp_path):
    main(["run", str(BASE), "--seed", "2", "--out", str(tmp_path)])
    _, runs = read(tmp_path / "runs.csv")
    _, support = read(tmp_path / "support.csv")
    last = max(int(r["round"]) for r in support)
    assert last == int(runs[0]["rounds"])
    if runs[0]["winner"]:
        final = {r["candidate"]: r for r in support if int(r["round"]) == last}
        assert int(final[runs[0]["winner"]]["objectors"]) == 0


def test_same_seed_writes_the_same_tables(tmp_path):
    for name in ("a", "b"):
        main(["run", str(BASE), "--seed", "4", "--out", str(tmp_path / name)])
    for table in ("runs", "support", "declarations", "withdrawals", "holdouts", "concessions"):
        assert text(tmp_path / "a", table) == text(tmp_path / "b", table)


def test_set_override_changes_the_run(tmp_path):
    main(["run", str(BASE), "--seed", "1", "--out", str(tmp_path / "a")])
    main(
        [
            "run",
            str(BASE),
            "--seed",
            "1",
            "--out",
            str(tmp_path / "b"),
            "--set",
            "parameters.noise=0",
        ]
    )
    a = json.loads((tmp_path / "a" / "manifest.json").read_text())
    b = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert a["scenario_sha256"] != b["scenario_sha256"]


def test_default_out_is_a_stamped_folder_under_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(BASE)]) == 0
    folders = list((tmp_path / "results" / "nato-2024").iterdir())
    assert len(folders) == 1 and (folders[0] / "runs.csv.gz").exists()


def test_explain_splits_utility_into_named_terms_with_rules_and_sources(capsys):
    assert main(["explain", str(BASE), "--member", "RO", "--round", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    for term in ("affinity", "ties", "bandwagon", "grievance", "concession", "noise"):
        assert f"  {term}" in out
    assert "schengen" in out  # the rule behind Romania's grievance against Rutte
    assert "source:" in out
    assert "candidate rutte" in out and "candidate iohannis" in out


def test_explain_s_tie_parts_add_up_to_the_ties_term(capsys):
    import re

    assert main(["explain", str(BASE), "--member", "HU", "--round", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if x.strip().startswith("ties ") and "other tied" in x]
    assert lines, out  # more tied members than are named one by one: the rest in one sum
    for line in lines:
        term = float(line.split()[1])
        parts = [float(v) for v in re.findall(r" it ([+-]\d+\.\d+) via", line)]
        parts.append(float(re.search(r"other tied members? ([+-]\d+\.\d+)", line).group(1)))
        assert abs(sum(parts) - term) <= 0.0005 * (len(parts) + 1), (term, parts)


def test_explain_s_concession_names_every_offer_its_value_sums(capsys):
    import re

    # seed 1: HU is offered concessions by Rutte's camp in rounds 8 and 10; the term is
    # w_conc x their sum, and the text names both, with their count and size
    assert main(["explain", str(BASE), "--member", "HU", "--round", "12", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("concession ") and "offer" in x)
    assert "round 8 (2024-04-17), round 10 (2024-05-01)" in line
    count, size = re.search(r"\((\d+) offers x size ([\d.]+)\)", line).groups()
    assert abs(float(line.split()[1]) - int(count) * float(size)) < 0.001  # 2 x 0.8042
    # a camp that offered nothing still says so
    assert any("no concession offered by this camp" in x for x in out.splitlines())


def test_run_s_summary_dates_every_offer(tmp_path, capsys):
    # seed 1: two offers each to TR (rounds 5, 6) and HU (rounds 8, 10); not one a member
    assert main(["run", str(BASE), "--seed", "1", "--out", str(tmp_path / "r")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "concessions:" in x)
    assert line.split("concessions:")[1].strip() == (
        "TR 2024-03-27, 2024-04-04; HU 2024-04-17, 2024-05-01"
    )


def test_explain_rejects_an_unknown_member_and_round(capsys):
    assert main(["explain", str(BASE), "--member", "XX"]) == 2
    assert main(["explain", str(BASE), "--member", "HU", "--round", "999"]) == 2
    err = capsys.readouterr().err
    assert "unknown member 'XX'" in err and "--round" in err
    assert "did you mean" not in err  # XX is close to no member
    assert main(["explain", str(BASE), "--member", "UK"]) == 2  # United Kingdom's code is GB
    assert "unknown member 'UK' (did you mean `GB`? one of AL, BE," in capsys.readouterr().err


def test_python_dash_m_sim_works_like_the_console_script(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(BASE), "--seed", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "nato-2024 (seed 1)" in out.stdout
    assert (tmp_path / "runs.csv.gz").exists()


# A Ctrl-C that lands while the program still imports its modules (as if typed in the
# first half second): the import of sim.cli.main is what it interrupts.
INTERRUPTED_IMPORT = """
import sys
class Stop:
    def find_spec(self, name, path=None, target=None):
        if name == "sim.cli.main":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Stop())
from sim.cli import console
sys.exit(console())
"""


def test_a_ctrl_c_while_the_command_is_still_loading_is_one_line():
    out = subprocess.run([sys.executable, "-c", INTERRUPTED_IMPORT, "batch", str(BASE)],
                         capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert out.returncode == 130
    assert out.stderr == "interrupted while starting; nothing was written\n"


def test_the_console_entry_point_is_the_guarded_one():
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"coalition-sim": "sim.cli:console"}


def test_shipped_records_validate_against_their_scenario(capsys):
    from sim.evaluate.record import load_record
    from sim.scenario.loader import load_scenario

    record = load_record(ROOT / "records" / "nato-2024.yaml", load_scenario(BASE))
    assert record.appointment.winner == "rutte"
    assert main(["validate", str(ROOT / "records")]) == 0


RECORD = ROOT / "records" / "nato-2024.yaml"


def test_score_writes_scores_beside_baselines_and_says_where_the_model_wins(tmp_path, capsys):
    assert (
        main(["score", str(BASE), "--record", str(RECORD), "--runs", "200", "--out", str(tmp_path)])
        == 0
    )
    out = capsys.readouterr().out
    # With the default priors the 2024 case mostly deadlocks: the line says where it stands.
    assert "against uniform: model " in out
    header, rows = read(tmp_path / "scores.csv")
    assert header[:4] == ["forecast", "description", "brier", "log_score"]
    assert [r["forecast"] for r in rows] == [
        "agent-based model",
        "compromise",
        "major powers",
        "uniform",
    ]
    assert rows[3]["brier"] == "0.5"  # a uniform guess over two candidates
    assert rows[0]["date_error_days"] and not rows[3]["date_error_days"]
    report = (tmp_path / "report.md").read_text()
    assert "## Scores against the record" in report and "plots/score_fan.png" in report
    assert (tmp_path / "plots" / "score_fan.png").stat().st_size > 10_000


def test_calibrate_writes_a_variant_that_extends_the_original(tmp_path, capsys):
    variant = tmp_path / "fit.yaml"
    args = ["calibrate", str(BASE), "--record", str(RECORD), "--params", "noise", "w_ties=0:3",
            "--budget", "6", "--runs", "50", "--split", "2024-06-18", "--out", str(variant)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "fitted on the record before 2024-06-18" in out and "check part" in out
    text = variant.read_text()
    assert text.startswith("# nato-2024 with behavioural parameters fitted")
    assert "extends: " in text and "parameters:" in text
    assert main(["validate", str(variant)]) == 0
    assert main(["run", str(variant), "--out", str(tmp_path / "r")]) == 0


def test_calibrate_refuses_facts_and_a_split_with_nothing_before_it(tmp_path, capsys):
    base = ["calibrate", str(BASE), "--record", str(RECORD), "--budget", "2", "--runs", "10"]
    assert main([*base, "--params", "capability"]) == 2
    assert main([*base, "--params", "noise", "--split", "2024-01-01"]) == 2
    err = capsys.readouterr().err
    assert "not a behavioural parameter" in err and "nothing before 2024-01-01" in err


def test_compare_puts_variants_side_by_side(tmp_path, capsys):
    variant = ROOT / "scenarios" / "what-if" / "us-backs-iohannis.yaml"
    args = ["compare", str(BASE), str(variant), "--runs", "100", "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "nato-2024" in out and "us-backs-iohannis" in out and "median appointment" in out
    header, rows = read(tmp_path / "compare.csv")
    assert [r["scenario"] for r in rows] == ["nato-2024", "us-backs-iohannis"]
    assert {"p_rutte", "p_iohannis", "p_deadlock", "p_rutte_low", "p_rutte_high"} <= set(header)
    assert (
        0
        <= float(rows[0]["p_rutte_low"])
        <= float(rows[0]["p_rutte"])
        <= float(rows[0]["p_rutte_high"])
    )
    md = (tmp_path / "compare.md").read_text()
    assert "| scenario | runs |" in md and "```" not in md  # a real Markdown table
    assert (tmp_path / "compare.png").stat().st_size > 10_000


def test_calibrate_over_cases_writes_a_set_whose_header_reproduces_it(tmp_path, capsys):
    from hostile import RECORD, TINY, cli, write

    tiny, record = write(tmp_path, TINY), write(tmp_path, RECORD, "record.yaml")
    out = tmp_path / "fit.yaml"
    code, printed, err = cli(capsys, "calibrate", f"{tiny}:{record}", "--params", "noise",
                             "--budget", 2, "--runs", 5, "--set", "parameters=priors",
                             "--out", out)  # fmt: skip
    assert code == 0, err
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# Fitted by: coalition-sim calibrate ")
    assert "--params noise --budget 2 --runs 5 --seed" in header
    assert header.endswith("--set parameters=priors")
    assert "fitted on 1 cases" in printed


def _readme_block(after: str) -> list[str]:
    """The lines of the first ``` output block after the line holding `after` in README.md."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    at = next(k for k, line in enumerate(lines) if after in line)
    # An output block opens with a bare fence after a blank line (a command's block closes
    # with a bare fence right after the command).
    start = next(k for k in range(at + 1, len(lines)) if lines[k] == "```" and not lines[k - 1])
    end = next(k for k in range(start + 1, len(lines)) if lines[k].startswith("```"))
    return lines[start + 1 : end]


def test_the_readme_shows_what_run_seed_1_prints(tmp_path, capsys):
    from hostile import cli

    shown = _readme_block(".venv/bin/coalition-sim run scenarios/nato-2024.yaml --seed 1")
    code, printed, err = cli(capsys, "run", ROOT / "scenarios" / "nato-2024.yaml", "--seed", 1,
                             "--out", tmp_path / "r")  # fmt: skip
    assert code == 0, err
    assert printed.splitlines()[:4] == shown[:4]


def test_the_readme_shows_what_the_main_job_prints(tmp_path, capsys):
    from hostile import cli

    shown = _readme_block("This installs the package and runs the main job")
    code, printed, err = cli(capsys, "batch", ROOT / "scenarios" / "nato-2024.yaml", "--runs",
                             2000, "--seed", 1, "--out", tmp_path / "b")  # fmt: skip
    assert code == 0, err
    assert shown[-1].startswith("2,000 runs in ")  # the timing line (printed last)
    assert printed.splitlines()[:3] == shown[:3]  # the probabilities and dates, exactly


def test_an_interrupted_run_says_nothing_was_written(tmp_path, capsys, monkeypatch):
    def stop(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.run", stop)
    out = tmp_path / "r"
    assert main(["run", str(BASE), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert f"interrupted before anything was written to {out}/; run the same command again" in err
    assert not out.exists()
