"""Every message is one line: a bad option (no argparse usage block first), Ctrl-C (the
command's line saying what it kept, no second line after it)."""

from pathlib import Path

import pytest
from failing import stop_after_chunks

from sim.cli.main import main

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "nato-2024.yaml"


@pytest.mark.parametrize(
    "args, said",
    [
        (["batch", BASE, "--runs", "0"],
         "coalition-sim batch: error: argument --runs: must be at least 1 (see coalition-sim "
         "batch --help)"),
        (["sensitivity", BASE, "--trajectories", "x"], "coalition-sim sensitivity: error: "
         "argument --trajectories: 'x' is not a whole number"),
        (["score", BASE], "coalition-sim score: error: the following arguments are required: "
         "--record (see coalition-sim score --help)"),
        (["frob"], "coalition-sim: error: argument command: invalid choice: 'frob'"),
    ],
)  # fmt: skip
def test_a_bad_option_is_one_line_and_exit_2(args, said, capsys):
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(said) and "usage:" not in err


def test_ctrl_c_is_one_line(tmp_path, capsys, monkeypatch):
    args = ["batch", str(BASE), "--runs", "300", "--chunk", "100", "--out", str(tmp_path)]
    stop_after_chunks(monkeypatch, 1)
    assert main(args) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"interrupted: the finished chunks are kept in {tmp_path}/; go on with the "
                   f"same command and --resume --out {tmp_path}"]  # fmt: skip


def test_ctrl_c_where_no_command_said_anything_still_says_so(capsys, monkeypatch):
    def stop(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.cli.main._validate", stop)
    assert main(["validate", str(BASE)]) == 130
    assert capsys.readouterr().err == "interrupted; files already written are complete\n"
