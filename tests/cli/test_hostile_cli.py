"""A sentence, never a traceback, for every mistake on the command line; honest exit codes."""

import time
from pathlib import Path

import pytest
from failing import fail_for
from hostile import RECORD, TINY, cli, write

from sim.batching import executors
from sim.batching.plan import replication_seed


@pytest.fixture
def tiny(tmp_path):
    return write(tmp_path, TINY)


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["batch", "--runs", "2"],
        ["explain", "--member", "A"],
        ["score", "--record", "REC", "--runs", "2"],
        ["calibrate", "--record", "REC", "--params", "noise", "--budget", "2", "--runs", "2"],
        ["compare", "--runs", "2"],
    ],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize("seed", ["-1", "-99999999999999999999"])
def test_a_negative_seed_is_a_sentence_on_every_command(tmp_path, capsys, tiny, command, seed):
    record = write(tmp_path, RECORD, "rec.yaml")
    args = [command[0], tiny, *[str(record) if a == "REC" else a for a in command[1:]]]
    code, _, err = cli(capsys, *args, "--seed", seed)
    assert code == 2 and "seed" in err and "negative" in err


@pytest.mark.parametrize(
    "sweep, phrase",
    [
        ("parameters.noise=0.1,,0.2", "empty value"),
        ("parameters.noise=0.1,0.2,", "empty value"),
        ("parameters.noise=,", "empty value"),
        ("parameters.noise={a: 1}", "a single value"),
        ("parameters.noise=[1, 2]", "parameters.noise"),
        ("=0.1,0.2", "expected key=v1,v2"),
        ("parameters.noise", "expected key=v1,v2"),
        ("parameters.nosie=0.1,0.2", "parameters.nosie"),
        ("parameters.noise=a,b", "parameters.noise"),
        ("parameters.noise=0.2,0.3,0.2", "0.2 given twice; give each point once"),
    ],
)
def test_a_bad_sweep_on_the_command_line_is_a_sentence(tmp_path, capsys, tiny, sweep, phrase):
    code, _, err = cli(
        capsys, "batch", tiny, "--runs", 2, "--out", tmp_path / "o", "--sweep", sweep
    )
    assert code == 2 and phrase in err, err
    assert not (tmp_path / "o").exists()


def test_a_sweep_key_given_twice_is_refused(tmp_path, capsys, tiny):
    code, _, err = cli(capsys, "batch", tiny, "--runs", 2, "--out", tmp_path / "o",
                       "--sweep", "parameters.noise=0.1,0.2", "--sweep", "parameters.noise=0.3")  # fmt: skip
    assert code == 2 and "twice" in err


def test_distinct_values_of_a_sweep_run_and_a_swept_key_cannot_be_set_too(tmp_path, capsys, tiny):
    code, _, err = cli(capsys, "batch", tiny, "--runs", 2, "--out", tmp_path / "o", "--no-report",
                       "--sweep", "parameters.noise=0.2,0.20001,1")  # fmt: skip
    assert code == 0, err
    code, _, err = cli(capsys, "batch", tiny, "--runs", 2, "--out", tmp_path / "p",
                       "--sweep", "noise=0.1,0.3", "--set", "parameters.noise=0.5")  # fmt: skip
    assert code == 2 and err.strip() == (
        "--set parameters.noise=0.5: parameters.noise: also swept (by --sweep), which sets it "
        "at every point; drop one"
    )
    assert not (tmp_path / "p").exists()
    code, _, _ = cli(capsys, "batch", tiny, "--runs", 2, "--out", tmp_path / "q", "--no-report",
                     "--sweep", "noise=0.1,0.3", "--set", "parameters.w_ties=0.5")  # fmt: skip
    assert code == 0  # another key may be set


@pytest.mark.parametrize("spec", ["[]", "{}"])
def test_an_empty_yaml_sweep_is_caught_by_validate(tmp_path, capsys, spec):
    f = write(tmp_path, TINY + f"batch:\n  sweep:\n    params:\n      parameters.noise: {spec}\n")
    code, _, err = cli(capsys, "validate", f)
    assert code == 2 and "batch.sweep" in err and "empty" in err, err
    code, _, err = cli(capsys, "batch", f, "--runs", 2, "--out", tmp_path / "o")
    assert code == 2


@pytest.mark.parametrize("value", ["1.5", "1e3", "1,000", "ten"])
def test_a_count_that_is_not_a_whole_number_is_a_sentence(capsys, tiny, value):
    code, _, err = cli(capsys, "batch", tiny, "--runs", value)
    assert code == 2 and f"argument --runs: {value!r} is not a whole number" in err
    assert "_positive" not in err and "invalid" not in err


def test_a_bad_dask_scheduler_fails_fast(tmp_path, capsys, tiny):
    pytest.importorskip("distributed")
    began = time.perf_counter()
    code, _, err = cli(capsys, "batch", tiny, "--runs", 2, "--out", tmp_path / "o",
                       "--executor", "dask", "--scheduler", "not an address")  # fmt: skip
    assert code == 2 and "--scheduler" in err
    assert time.perf_counter() - began < 10


def test_an_unreachable_dask_scheduler_is_a_sentence(tmp_path, capsys, tiny, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "CONNECT_SECONDS", 1)  # Dask retries until the time is up
    code, _, err = cli(capsys, "batch", tiny, "--runs", 2, "--out", tmp_path / "o",
                       "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")  # fmt: skip
    assert code == 2 and "cannot reach the Dask scheduler within 1 s" in err


def test_a_scheduler_without_the_dask_executor_is_refused(tmp_path, capsys, tiny):
    code, _, err = cli(capsys, "batch", tiny, "--runs", 2, "--out", tmp_path / "o",
                       "--scheduler", "tcp://127.0.0.1:8786")  # fmt: skip
    assert code == 2 and "--executor dask" in err
    assert not (tmp_path / "o").exists()


def test_a_batch_with_failed_replications_exits_3_and_counts_them(tmp_path, capsys, monkeypatch):
    tiny = write(tmp_path, TINY)
    fail_for(monkeypatch, [replication_seed(1, 0, 1)])
    code, out, err = cli(capsys, "batch", tiny, "--runs", 4, "--chunk", 2, "--out",
                         tmp_path / "o", "--no-report")  # fmt: skip
    assert code == 3
    assert "1 of 4 replications failed" in err


def test_a_batch_without_failures_exits_0(tmp_path, capsys, tiny):
    code, _, _ = cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "o", "--no-report")
    assert code == 0


def test_score_when_every_replication_failed_is_a_sentence(tmp_path, capsys, monkeypatch):
    tiny = write(tmp_path, TINY)
    record = write(tmp_path, RECORD, "rec.yaml")
    fail_for(monkeypatch, [replication_seed(1, 0, k) for k in range(3)])
    code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 3, "--out",
                       tmp_path / "o")  # fmt: skip
    assert code == 3 and "every replication failed" in err


@pytest.mark.parametrize("round_", ["-1", "100000"])
def test_explain_a_round_out_of_range_is_a_sentence(capsys, tiny, round_):
    code, _, err = cli(capsys, "explain", tiny, "--member", "A", "--round", round_)
    assert code == 2 and "round" in err


def test_explain_an_unknown_member_is_a_sentence(capsys, tiny):
    code, _, err = cli(capsys, "explain", tiny, "--member", "ZZ")
    assert code == 2


@pytest.mark.parametrize("given", ["HU", "hu", "Hungary", "HUNGARY"])
def test_explain_finds_a_member_by_code_or_name_in_any_case(capsys, given):
    nato = Path(__file__).resolve().parents[2] / "scenarios" / "nato-2024.yaml"
    code, printed, err = cli(capsys, "explain", nato, "--member", given, "--round", 2)
    assert code == 0, err
    assert printed.startswith("HU (Hungary), round 2")


def test_explain_round_0_says_it_is_the_starting_position(capsys, tiny):
    code, _, err = cli(capsys, "explain", tiny, "--member", "A", "--round", "0")
    assert code == 2 and "round 0 is the starting position" in err


@pytest.mark.parametrize("runs", ["0", "-5", "1.5", "many"])
def test_bad_run_counts_are_sentences(tmp_path, capsys, tiny, runs):
    code, _, err = cli(capsys, "batch", tiny, "--runs", runs, "--out", tmp_path / "o")
    assert code == 2 and "--runs" in err


def test_an_override_without_a_key_is_a_sentence(tmp_path, capsys, tiny):
    code, _, err = cli(capsys, "run", tiny, "--set", "=1", "--out", tmp_path / "o")
    assert code == 2


def test_a_run_setting_set_on_the_command_line_needs_no_assumption_mark(tmp_path, capsys, tiny):
    # found this session: `--set batch.chunk=3` was refused ("batch.assumption: unknown
    # field"), since every value set on the command line was marked an assumption
    out = tmp_path / "b"
    code, said, err = cli(capsys, "batch", tiny, "--runs", 6, "--set", "batch.chunk=3",
                          "--set", "batch.seed=4", "--out", out, "--no-report")  # fmt: skip
    assert code == 0, err
    assert "6 computed" in said and (out / "manifest.json").exists()
    assert cli(capsys, "validate", tiny, "--set", "batch.replications=0")[0] == 2


@pytest.mark.parametrize("seed", [2**64, 10**26])
def test_a_run_seed_too_large_for_the_runs_table_is_refused(tmp_path, capsys, seed):
    f = write(tmp_path, TINY)
    code, _, err = cli(capsys, "run", f, "--seed", seed, "--out", tmp_path / "r")
    assert code == 2 and "--seed" in err and "2**64" in err
    assert not (tmp_path / "r").exists()


def test_the_largest_run_seed_runs_and_is_recorded(tmp_path, capsys):
    f = write(tmp_path, TINY)
    code, printed, err = cli(capsys, "run", f, "--seed", 2**64 - 1, "--out", tmp_path / "r")
    assert code == 0, err
    assert f"(seed {2**64 - 1})" in printed
