"""Unbounded work is refused, or estimated, before it starts; pooled workers die with their parent."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from hostile import REPO, TINY, cli, sim_subprocess, write


@pytest.fixture
def tiny(tmp_path):
    return write(tmp_path, TINY)


def members_yaml(n: int) -> str:
    rows = [f"  - {{code: M{i}, name: M{i}, capability: 0.5, salience: 0.5, source: press}}"
            for i in range(n)]  # fmt: skip
    return "members:\n" + "\n".join(rows) + "\n"


def with_members(n: int) -> str:
    head, _, _ = TINY.partition("members:\n")
    text = head.replace("home: A", "home: M0").replace("home: B", "home: M1")
    return text + members_yaml(n)


def test_runs_beyond_the_cap_are_refused_at_once(tmp_path, tiny):
    try:
        done = sim_subprocess(tmp_path, "batch", tiny, "--runs", "100000000000", "--out",
                              tmp_path / "o", timeout=30)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("--runs 100000000000 was not refused")
    assert done.returncode == 2 and "limit" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()


def test_total_runs_over_a_sweep_beyond_the_cap_are_refused(tmp_path, capsys, tiny):
    values = ",".join(str(v / 100) for v in range(20))
    code, _, err = cli(capsys, "batch", tiny, "--runs", 10_000_000, "--out", tmp_path / "o",
                       "--sweep", f"parameters.noise={values}")  # fmt: skip
    assert code == 2 and "limit" in err


def test_too_many_chunks_are_refused(tmp_path, capsys, tiny):
    code, _, err = cli(
        capsys, "batch", tiny, "--runs", 1_000_000, "--chunk", 1, "--out", tmp_path / "o"
    )
    assert code == 2 and "--chunk" in err


def test_replications_in_the_batch_block_beyond_the_cap_are_refused(tmp_path, capsys):
    f = write(tmp_path, TINY + "batch:\n  replications: 100000000000\n")
    code, _, err = cli(capsys, "validate", f)
    assert code == 2 and "batch.replications" in err


@pytest.mark.parametrize("workers", [64, 10_000])
def test_workers_beyond_a_small_multiple_of_the_cores_are_refused(tmp_path, capsys, tiny, workers):
    code, _, err = cli(
        capsys, "batch", tiny, "--runs", 2, "--workers", workers, "--out", tmp_path / "o"
    )
    assert code == 2 and "--workers" in err and "cores" in err
    assert not (tmp_path / "o").exists()


def test_the_worker_cap_is_the_documented_one():
    from sim.scenario import limits

    assert limits.max_workers() == 4 * (os.cpu_count() or 1)
    assert "4 per core" in (REPO / "README.md").read_text()


def test_a_5000_member_scenario_is_refused_by_validate_and_run(tmp_path, capsys):
    f = write(tmp_path, with_members(5000))
    code, _, err = cli(capsys, "validate", f)
    assert code == 2 and "members: 5,000 members, more than the limit" in err
    code, _, err = cli(capsys, "run", f, "--out", tmp_path / "o")
    assert code == 2 and not (tmp_path / "o").exists()


def test_a_1000_member_scenario_is_accepted(tmp_path, capsys):
    f = write(tmp_path, with_members(1000))
    code, _, err = cli(capsys, "validate", f)
    assert code == 0, err


def test_too_many_candidates_are_refused(tmp_path, capsys):
    rows = "".join(f"  - {{id: c{i}, name: C{i}, home: A, source: press}}\n" for i in range(60))
    text = TINY.replace(
        "  - {id: x, name: X, home: A, source: press}\n",
        rows + "  - {id: x, name: X, home: A, source: press}\n",
    )
    code, _, err = cli(capsys, "validate", write(tmp_path, text))
    assert code == 2 and "candidates" in err and "limit" in err


@pytest.mark.parametrize("last", ["9999-12-31", "2200-01-01"])
def test_daily_rounds_for_centuries_are_refused(tmp_path, capsys, last):
    text = TINY.replace("round_days: 7", "round_days: 1").replace(
        "last_round: 2024-03-01", f"last_round: {last}"
    )
    f = write(tmp_path, text)
    code, _, err = cli(capsys, "validate", f)
    assert code == 2 and "calendar.last_round" in err and "rounds" in err
    code, _, err = cli(capsys, "explain", f, "--member", "A")
    assert code == 2


def test_a_meeting_recurring_daily_for_decades_is_refused_before_it_is_expanded(tmp_path, capsys):
    long = TINY.replace("last_round: 2024-03-01", "last_round: 2080-01-01")
    text = long + ("sessions:\n  - {id: d, date: 2024-01-02, name: D, every_days: 1,"
                   " until: 2079-12-31, source: press}\n")  # fmt: skip
    code, _, err = cli(capsys, "validate", write(tmp_path, text))
    assert code == 2 and "sessions[0]: recurs on 20,453 dates, more than the limit of 5,000" in err


def test_recurring_meetings_that_add_too_many_rounds_together_are_refused(tmp_path, capsys):
    # weekly rounds for 60 years (3,131) and two weekly meetings of 2,996 dates between them
    long = TINY.replace("last_round: 2024-03-01", "last_round: 2084-01-01")
    text = long + "sessions:\n" + "".join(
        f"  - {{id: m{k}, date: 2024-01-0{2 + k}, name: M, every_days: 7, until: 2081-06-01,"
        " source: press}\n" for k in range(2))  # fmt: skip
    code, _, err = cli(capsys, "validate", write(tmp_path, text))
    assert (
        code == 2 and "sessions: 9,123 rounds with the sessions' dates, more than the limit" in err
    )
    fewer = long.replace("last_round: 2084-01-01", "last_round: 2030-01-01") + (
        "sessions:\n  - {id: m, date: 2024-01-02, name: M, every_days: 7, until: 2029-12-01,"
        " source: press}\n")  # fmt: skip
    assert cli(capsys, "validate", write(tmp_path, fewer, "fewer.yaml"))[0] == 0


def test_the_recurring_meeting_cap_is_the_rounds_cap():
    from sim.scenario.limits import MAX_ROUNDS
    from sim.scenario.schema import Session

    assert Session.MAX_DATES == MAX_ROUNDS


def test_a_last_round_at_the_end_of_the_calendar_is_a_sentence(tmp_path, capsys):
    text = TINY.replace("last_round: 2024-03-01", "last_round: 9999-12-30").replace(
        "round_days: 7", "round_days: 366"
    )
    code, _, err = cli(capsys, "run", write(tmp_path, text), "--out", tmp_path / "o")
    assert code == 2


def test_a_huge_yaml_grid_is_refused_before_it_is_built(tmp_path):
    sweep = ("batch:\n  sweep:\n    params:\n"
             "      parameters.noise: {min: 0, max: 1, num: 10000}\n"
             "      parameters.w_ties: {min: 0, max: 1, num: 10000}\n")  # fmt: skip
    f = write(tmp_path, TINY + sweep)
    try:
        done = sim_subprocess(
            tmp_path, "batch", f, "--runs", 1, "--out", tmp_path / "o", timeout=30
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a 10^4 x 10^4 grid was not refused")
    assert done.returncode == 2 and "sweep points" in done.stderr and "Traceback" not in done.stderr


def test_a_huge_command_line_grid_is_refused(tmp_path, capsys, tiny):
    values = ",".join(str(v) for v in range(200))
    code, _, err = cli(capsys, "batch", tiny, "--runs", 1, "--out", tmp_path / "o",
                       "--sweep", f"parameters.w_ties={values}", "--sweep", f"parameters.w_pref={values}")  # fmt: skip
    assert code == 2 and "sweep points" in err


def test_a_huge_space_filling_sample_is_refused(tmp_path, capsys):
    sweep = ("batch:\n  sweep:\n    design: lhs\n    samples: 1000000\n    params:\n"
             "      parameters.noise: {min: 0, max: 1}\n")  # fmt: skip
    code, _, err = cli(
        capsys, "batch", write(tmp_path, TINY + sweep), "--runs", 1, "--out", tmp_path / "o"
    )
    assert code == 2 and "sweep points" in err


def test_a_large_batch_is_estimated_before_it_starts(tmp_path, capsys, tiny, monkeypatch):
    from sim.batching import budget

    monkeypatch.setattr(budget, "WARN_SECONDS", 0.0)
    code, _, err = cli(capsys, "batch", tiny, "--runs", 5, "--out", tmp_path / "o", "--no-report")
    assert code == 0
    assert "estimated" in err and "GB" in err and " s" in err


def test_a_batch_that_cannot_fit_in_memory_is_refused(tmp_path, capsys, tiny, monkeypatch):
    from sim.batching import budget

    monkeypatch.setattr(budget, "available_memory", lambda: 1000)
    code, _, err = cli(capsys, "batch", tiny, "--runs", 5, "--out", tmp_path / "o")
    assert code == 2 and "memory" in err
    assert not (tmp_path / "o").exists()


def test_the_estimate_grows_with_runs_members_and_rounds(tmp_path):
    from sim.batching import budget
    from sim.batching.plan import plan_batch

    small = budget.estimate(plan_batch(write(tmp_path, TINY)), workers=1)
    more = budget.estimate(plan_batch(write(tmp_path, TINY), runs=10_000), workers=1)
    wide = budget.estimate(plan_batch(write(tmp_path, with_members(300), "wide.yaml")), workers=1)
    assert more.seconds > small.seconds and wide.seconds > small.seconds
    assert wide.memory > small.memory


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "\nState:\tZ" not in fh.read()
    except (FileNotFoundError, ProcessLookupError):  # gone, or going as /proc is read
        return False


def test_pool_workers_exit_when_their_parent_is_killed(tmp_path):
    script = textwrap.dedent("""
        import sys, time
        from sim.batching.executors import make_executor
        pool, close = make_executor("process", 2)
        futures = [pool.submit(time.sleep, 120) for _ in range(2)]
        while len(pool._processes) < 2:
            time.sleep(0.05)
        time.sleep(1.0)  # let both workers start their task
        print(" ".join(str(p) for p in pool._processes), flush=True)
        time.sleep(120)
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    ) as parent:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for p in pids if _alive(p)]
        for p in left:  # clean up what this test started, by pid
            os.kill(p, signal.SIGKILL)
        assert not left, "workers outlived their parent"
