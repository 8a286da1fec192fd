"""An interrupted compare loses no finished chunk: each scenario's batch (and each parameter
set's) is a batch folder under `--out`, and `--resume` goes on in each from the chunks it
holds, to the tables an uninterrupted compare writes, byte for byte. A folder holding a batch
of other settings is refused in one line before anything runs."""

from pathlib import Path

import pytest
import yaml
from failing import SLOW_CHUNKS_CHILD, count_chunks, kill_when, stop_after_chunks
from hostile import cli

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
VARIANT = ROOT / "scenarios" / "what-if" / "reservations-met.yaml"
ARGS = [BASE, VARIANT, "--runs", 40, "--set", "batch.chunk=10"]  # four chunks each
TABLES = ("compare.csv", "compare.md", "compare.png")


@pytest.fixture
def chunks(monkeypatch):
    """Count the chunks simulated and written."""
    return count_chunks(monkeypatch)


def _interrupted(capsys, monkeypatch, after: int, *args) -> str:
    """Run compare ARGS, stopped (as Ctrl-C would) once `after` chunks are written; its
    stderr."""
    with monkeypatch.context() as m:
        stop_after_chunks(m, after)
        code, _, err = cli(capsys, "compare", *args)
    assert code == 130
    return err


def _tables(out, names=TABLES):
    return {name: (out / name).read_bytes() for name in names}


def test_an_interrupted_compare_resumes_to_the_uninterrupted_tables(tmp_path, capsys,
                                                                    monkeypatch):  # fmt: skip
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert cli(capsys, "compare", *ARGS, "--out", whole)[0] == 0
    err = _interrupted(capsys, monkeypatch, 6, *ARGS, "--out", cut)  # the base's 4, 2 more
    assert "--resume --out" in err
    assert not (cut / "compare.csv").exists()
    written = count_chunks(monkeypatch)
    code, printed, err = cli(capsys, "compare", *ARGS, "--out", cut, "--resume")
    assert code == 0, err
    assert len(written) == 2  # only the variant's last two chunks
    assert _tables(cut) == _tables(whole)
    assert "reservations-met: differs from base" in printed


def test_a_bare_resume_finds_the_newest_unfinished_comparison(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "compare", *ARGS, "--resume")
    assert code == 2
    assert err.strip() == (
        "--resume results/compare/: no unfinished comparison to resume; give its folder with --out"
    )
    _interrupted(capsys, monkeypatch, 3, *ARGS)
    code, printed, err = cli(capsys, "compare", *ARGS, "--resume")
    assert code == 0, err
    (folder,) = (tmp_path / "results" / "compare").iterdir()
    assert (
        folder / "compare.csv"
    ).is_file() and f"results: {folder.relative_to(tmp_path)}/" in printed


def test_resume_refuses_a_folder_of_other_settings_before_anything_runs(tmp_path, capsys,
                                                                         monkeypatch, chunks):  # fmt: skip
    out = tmp_path / "out"
    _interrupted(capsys, monkeypatch, 6, *ARGS, "--out", out)
    chunks.clear()
    code, _, err = cli(capsys, "compare", *ARGS, "--seed", 2, "--out", out, "--resume")
    assert code == 2 and chunks == []
    assert err.strip() == (
        f"--resume {out}: holds another comparison (--seed: 1 there, 2 here); resume it with "
        "its own scenarios and settings, or choose another --out (--force replaces it)"
    )
    (out / "compare.json").unlink()  # a folder written before there was one: its batches say
    code, _, err = cli(capsys, "compare", *ARGS, "--seed", 2, "--out", out, "--resume")
    assert code == 2 and chunks == []
    assert err.strip() == (
        f"--resume {out / 'nato-2024'}: holds a batch of other settings (scenario, runs, seed "
        "or chunk differ); start anew with --force, or choose another --out"
    )


def test_without_resume_an_interrupted_folder_is_refused_unless_forced(tmp_path, capsys,
                                                                       monkeypatch, chunks):  # fmt: skip
    out = tmp_path / "out"
    _interrupted(capsys, monkeypatch, 3, *ARGS, "--out", out)
    chunks.clear()
    code, _, err = cli(capsys, "compare", *ARGS, "--out", out)
    assert code == 2 and chunks == [] and "--force" in err
    assert cli(capsys, "compare", *ARGS, "--out", out, "--force")[0] == 0
    assert len(chunks) == 8 - 3  # as `batch --force`: the same batch goes on from its chunks


def test_parameter_set_batches_resume_too(tmp_path, capsys, monkeypatch, chunks):
    sets = tmp_path / "low-noise.yaml"
    sets.write_text(yaml.safe_dump({"parameters": {"noise": 0.2}}))
    given = [*ARGS, "--parameter-sets", sets]
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert cli(capsys, "compare", *given, "--out", whole)[0] == 0
    assert (whole / "sets" / "low-noise" / "nato-2024" / "manifest.json").is_file()
    _interrupted(
        capsys, monkeypatch, 11, *given, "--out", cut
    )  # as given (8), then three of the set's
    chunks.clear()
    code, _, err = cli(capsys, "compare", *given, "--out", cut, "--resume")
    assert code == 0, err
    assert len(chunks) == 16 - 11
    names = (*TABLES, "compare-sets.csv", "robustness.csv")
    assert _tables(cut, names) == _tables(whole, names)


def test_a_killed_compare_resumes_from_what_it_had_written(tmp_path, capsys):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert cli(capsys, "compare", *ARGS, "--out", whole)[0] == 0
    kill_when(SLOW_CHUNKS_CHILD, ["compare", *ARGS, "--out", cut],
              lambda: len(list(cut.glob("*/chunks/*"))) >= 5)  # fmt: skip
    assert not (cut / "compare.csv").exists()
    code, _, err = cli(capsys, "compare", *ARGS, "--out", cut, "--resume")
    assert code == 0, err
    assert _tables(cut) == _tables(whole)


OTHER = ROOT / "scenarios" / "what-if" / "schengen-settled.yaml"
SMALL = ["--runs", 20, "--set", "batch.chunk=10"]


def test_resume_refuses_another_list_of_scenarios_and_keeps_the_tables(tmp_path, capsys,
                                                                        chunks):  # fmt: skip
    out = tmp_path / "out"
    assert cli(capsys, "compare", BASE, VARIANT, OTHER, *SMALL, "--out", out)[0] == 0
    before = _tables(out)
    chunks.clear()
    for given in ([BASE, OTHER], [BASE, OTHER, VARIANT]):  # fewer, or another order
        code, _, err = cli(capsys, "compare", *given, *SMALL, "--out", out, "--resume")
        assert code == 2 and chunks == []
        assert err.strip() == (
            f"--resume {out}: holds another comparison (the scenarios: nato-2024, "
            "reservations-met, schengen-settled there, "
            + ", ".join(Path(p).stem for p in given)
            + " here); resume it with its own scenarios and settings, or choose another "
            "--out (--force replaces it)"
        )
    code, _, err = cli(capsys, "compare", BASE, VARIANT, OTHER, "--runs", 30, "--set",
                       "batch.chunk=10", "--out", out, "--resume")  # fmt: skip
    assert code == 2 and "--runs: 20 there, 30 here" in err
    assert _tables(out) == before
    # the same list: a finished comparison is read back and reprinted, nothing run
    code, printed, err = cli(capsys, "compare", BASE, VARIANT, OTHER, *SMALL, "--out", out,
                             "--resume")  # fmt: skip
    assert code == 0, err
    assert chunks == [] and _tables(out) == before and "schengen-settled" in printed


def test_a_comparison_written_before_compare_json_is_checked_by_its_table(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(capsys, "compare", BASE, VARIANT, *SMALL, "--out", out)[0] == 0
    (out / "compare.json").unlink()
    code, _, err = cli(capsys, "compare", BASE, OTHER, *SMALL, "--out", out, "--resume")
    assert code == 2 and "(the scenarios: nato-2024, reservations-met there" in err
    assert cli(capsys, "compare", BASE, VARIANT, *SMALL, "--out", out, "--resume")[0] == 0
