"""An interrupted score loses no finished chunk: its batch goes on with `--resume` from the
chunks it holds, to the scores and tables an uninterrupted score writes, byte for byte. A
folder of other settings is refused in one line before anything runs."""

import re
from pathlib import Path

import pytest
from failing import SLOW_CHUNKS_CHILD, count_chunks, kill_when, stop_after_chunks
from hostile import cli

ROOT = Path(__file__).resolve().parents[2]
ARGS = [
    ROOT / "scenarios" / "nato-2024.yaml",
    "--record",
    ROOT / "records" / "nato-2024.yaml",
    "--runs",
    40,
    "--set",
    "batch.chunk=10",
]  # fmt: skip (four chunks)
FILES = ("scores.csv", "report.md", "runs.csv.gz", "support.csv.gz")


@pytest.fixture
def chunks(monkeypatch):
    """The names of the chunks written."""
    return count_chunks(monkeypatch)


def _interrupted(capsys, monkeypatch, after: int, *args) -> str:
    """Run score ARGS, stopped (as Ctrl-C would) once `after` chunks are written; its stderr."""
    with monkeypatch.context() as m:
        stop_after_chunks(m, after)
        code, _, err = cli(capsys, "score", *args)
    assert code == 130
    return err


def _files(out):
    """The files a score writes, report.md without the minute it was written at and the
    command line (which names the folder, and the --resume that finished it)."""
    got = {name: (out / name).read_bytes() for name in FILES}
    got["report.md"], n = re.subn(rb", run \d{4}-\d\d-\d\d \d\d:\d\d UTC", b"", got["report.md"])
    got["report.md"], m = re.subn(rb"\nCommand: `coalition-sim score .*\n", b"\n", got["report.md"])
    assert n == m == 1
    return got


def test_an_interrupted_score_resumes_to_the_uninterrupted_scores(tmp_path, capsys, monkeypatch,
                                                                  chunks):  # fmt: skip
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    code, printed_whole, _ = cli(capsys, "score", *ARGS, "--out", whole)
    assert code == 0
    err = _interrupted(capsys, monkeypatch, 2, *ARGS, "--out", cut)
    assert f"--resume --out {cut}" in err and not (cut / "scores.csv").exists()
    chunks.clear()
    code, printed, err = cli(capsys, "score", *ARGS, "--out", cut, "--resume")
    assert code == 0, err
    assert len(chunks) == 2  # only the two chunks it had not written
    assert printed.splitlines()[-1].startswith("40 runs in ")  # and it says so
    assert ": 20 computed, 20 reused, 0 failed; " in printed.splitlines()[-1]
    assert _files(cut) == _files(whole)
    table = [x for x in printed.splitlines() if x.startswith("agent-based model")]
    assert table == [x for x in printed_whole.splitlines() if x.startswith("agent-based model")]


def test_a_bare_resume_finds_the_newest_unfinished_score_of_these_settings(tmp_path, capsys,
                                                                           monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "score", *ARGS, "--resume")
    assert code == 2
    assert err.strip() == ("--resume results/nato-2024/: no unfinished score of these settings "
                           "to resume; give its folder with --out")  # fmt: skip
    _interrupted(capsys, monkeypatch, 1, *ARGS)
    _interrupted(capsys, monkeypatch, 1, *ARGS[:-4], "--runs", 30, "--set", "batch.chunk=10")
    code, printed, err = cli(capsys, "score", *ARGS, "--resume")  # the 40-run one, not the newest
    assert code == 0, err
    done = [
        f for f in (tmp_path / "results" / "nato-2024").iterdir() if (f / "scores.csv").exists()
    ]
    assert len(done) == 1 and '"runs_per_point": 40' in (done[0] / "batch.json").read_text()
    assert f"scores: {done[0].relative_to(tmp_path)}/scores.csv" in printed


def test_resume_refuses_a_folder_of_other_settings_before_anything_runs(tmp_path, capsys,
                                                                         monkeypatch, chunks):  # fmt: skip
    out = tmp_path / "out"
    _interrupted(capsys, monkeypatch, 2, *ARGS, "--out", out)
    chunks.clear()
    code, _, err = cli(capsys, "score", *ARGS, "--seed", 2, "--out", out, "--resume")
    assert code == 2 and chunks == []
    assert err.strip() == (
        f"--resume {out}: holds a batch of other settings (scenario, runs, seed or chunk "
        "differ); start anew with --force, or choose another --out"
    )
    code, _, err = cli(capsys, "score", *ARGS, "--out", out)  # without --resume: refused too
    assert code == 2 and chunks == [] and "--force" in err


def test_a_killed_score_resumes_from_what_it_had_written(tmp_path, capsys):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert cli(capsys, "score", *ARGS, "--out", whole)[0] == 0
    kill_when(SLOW_CHUNKS_CHILD, ["score", *ARGS, "--out", cut],
              lambda: len(list(cut.glob("chunks/*"))) >= 2)  # fmt: skip
    assert not (cut / "scores.csv").exists()
    code, _, err = cli(capsys, "score", *ARGS, "--out", cut, "--resume")
    assert code == 0, err
    assert _files(cut) == _files(whole)
    began = "coalition-sim score " + " ".join(map(str, ARGS)) + f" --out {cut}"
    said = f"Command: `{began}`, interrupted and finished by `{began} --resume`."
    assert said in (cut / "report.md").read_text()
