"""Untrusted input: only regular YAML files of a bounded size are read, and an error never
echoes the content of a file that is not a scenario or a record."""

import os
import subprocess

import pytest
from hostile import REPO, TINY, cli, sim_subprocess, write

from sim.scenario import yamlfile

MAX_FILE_BYTES = 20 * 2**20

SECRET = "zqxuser: hunter2\nzqxadmin: s3cret-token\n"


def no_secret(text: str) -> None:
    for word in ("hunter2", "s3cret", "zqx"):
        assert word not in text, text


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_fifo_as_scenario_is_refused_and_does_not_hang(tmp_path, command):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    try:
        done = sim_subprocess(tmp_path, command, fifo, timeout=12)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{command} on a FIFO hung")
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_dev_zero_is_refused_without_reading_it(tmp_path):
    try:
        done = sim_subprocess(tmp_path, "validate", "/dev/zero", timeout=12, memory=2**30)
    except subprocess.TimeoutExpired:
        pytest.fail("validate /dev/zero hung")
    assert done.returncode == 2
    assert "/dev/zero: not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_symlink_to_dev_zero_is_refused(tmp_path, capsys):
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    code, _, err = cli(capsys, "validate", link)
    assert code == 2 and "not a regular file" in err


def test_a_folder_is_refused_with_a_sentence(tmp_path, capsys):
    (tmp_path / "d.yaml").mkdir()
    code, _, err = cli(capsys, "run", tmp_path / "d.yaml")
    assert code == 2 and "is a folder, not a file" in err


def test_a_file_over_the_size_limit_is_refused_and_the_limit_named(tmp_path, capsys):
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(MAX_FILE_BYTES + 1)
    code, _, err = cli(capsys, "validate", big)
    assert code == 2 and "limit" in err and "20 MB" in err


def test_the_size_limit_is_the_documented_one():
    assert getattr(yamlfile, "MAX_FILE_BYTES", None) == MAX_FILE_BYTES
    readme = (REPO / "README.md").read_text()
    assert "20 MB" in readme


@pytest.mark.parametrize("base", ["/etc/shadow", "/etc/passwd", "/dev/zero", "secret.txt"])
def test_extends_accepts_only_yaml_files(tmp_path, capsys, base):
    write(tmp_path, SECRET, "secret.txt")
    f = write(tmp_path, f"extends: {base}\n" + TINY.replace("name: tiny\n", ""))
    code, _, err = cli(capsys, "validate", f)
    assert code == 2
    assert ".yaml" in err and "extends" in err
    assert len(err.splitlines()) == 1, err
    no_secret(err)


def test_extends_of_a_yaml_file_that_is_no_scenario_does_not_echo_it(tmp_path, capsys):
    write(tmp_path, SECRET, "secret.yaml")
    f = write(tmp_path, "extends: secret.yaml\n" + TINY.replace("name: tiny\n", ""))
    code, _, err = cli(capsys, "validate", f)
    assert code == 2 and "not a scenario" in err
    no_secret(err)


def test_extends_through_a_symlink_to_a_secret_does_not_echo_it(tmp_path, capsys):
    write(tmp_path, SECRET, "secret.txt")
    (tmp_path / "base.yaml").symlink_to(tmp_path / "secret.txt")
    f = write(tmp_path, "extends: base.yaml\n" + TINY.replace("name: tiny\n", ""))
    code, _, err = cli(capsys, "validate", f)
    assert code == 2
    no_secret(err)


def test_extends_of_a_fifo_named_yaml_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "base.yaml")
    write(tmp_path, "extends: base.yaml\n" + TINY.replace("name: tiny\n", ""))
    try:
        done = sim_subprocess(tmp_path, "validate", "tiny.yaml", timeout=12)
    except subprocess.TimeoutExpired:
        pytest.fail("extends of a FIFO hung")
    assert done.returncode == 2 and "not a regular file" in done.stderr


def test_extends_of_a_folder_named_yaml_is_a_sentence(tmp_path, capsys):
    (tmp_path / "base.yaml").mkdir()
    f = write(tmp_path, "extends: base.yaml\n" + TINY.replace("name: tiny\n", ""))
    code, _, err = cli(capsys, "validate", f)
    assert code == 2 and "folder" in err


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_text_file_given_as_scenario_is_not_echoed(tmp_path, capsys, command):
    f = write(tmp_path, SECRET, "secret.txt")
    code, _, err = cli(capsys, command, f)
    assert code == 2 and "not a scenario" in err
    no_secret(err)


def test_proc_status_given_as_scenario_is_not_echoed(capsys):
    code, _, err = cli(capsys, "run", "/proc/self/status")
    assert code == 2
    for word in ("Umask", "VmPeak", "Name", "Pid"):
        assert word not in err, err


def test_a_record_that_is_no_record_is_not_echoed(tmp_path, capsys):
    write(tmp_path, TINY)
    secret = write(tmp_path, SECRET, "secret.yaml")
    code, _, err = cli(capsys, "score", tmp_path / "tiny.yaml", "--record", secret, "--runs", 2,
                       "--out", tmp_path / "o")  # fmt: skip
    assert code == 2
    no_secret(err)


def test_deeply_nested_yaml_is_a_sentence(tmp_path, capsys):
    f = write(tmp_path, "description: " + "[" * 5000 + "]" * 5000 + "\n" + TINY)
    code, _, err = cli(capsys, "validate", f)
    assert code == 2 and "nested" in err


def test_an_alias_bomb_is_refused_quickly(tmp_path, capsys):
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    text = TINY + "batch:\n  sweep:\n    params:\n" + "".join(f"      {line}\n" for line in bomb)
    f = write(tmp_path, text)
    code, _, err = cli(capsys, "validate", f)
    assert code == 2


def test_a_real_scenario_still_loads(tmp_path, capsys):
    f = write(tmp_path, TINY)
    code, out, _ = cli(capsys, "validate", f)
    assert code == 0 and "ok" in out
