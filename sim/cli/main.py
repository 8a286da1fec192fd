"""The command line: `coalition-sim run | batch | score | calibrate | compare | sensitivity | validate | clean | explain`."""

import argparse
import json
import os
import re
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path

from sim.engine.world import build_world
from sim.errors import FailedRunsError, Problem, ScenarioError, command_line
from sim.report.explain import ExplainError, explain
from sim.results.command import record_command
from sim.results.files import read_regular, write_json
from sim.results.paths import (
    FINISHED_ANALYSIS,
    FINISHED_BATCH,
    FINISHED_COMPARISON,
    FINISHED_SCORE,
    check_file,
    check_folder,
    holds,
)
from sim.scenario.loader import load_scenario

DEFAULT_SEED = 1
FAILED_RUNS = 3  # exit status of a batch in which some replications raised (bad input is 2)
POOL_FROM = 20_000  # below this many runs, starting worker processes costs more than it saves


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    record_command(sys.argv[1:] if argv is None else argv)  # for the manifests written
    try:
        with command_line():  # the messages name --options, not a Python call's arguments
            return args.handler(args)
    except FailedRunsError as exc:
        print(f"coalition-sim {args.command}: {exc} (runs.csv, column `error`)", file=sys.stderr)
        return FAILED_RUNS
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except ExplainError as exc:
        print(f"coalition-sim explain: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if not _SAID.get():  # else the command said in one line what it kept and how to go on
            print("interrupted; files already written are complete", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    finally:
        record_command(None)  # what the same process does next from Python is no command
        _SAID.set(False)


_SAID = ContextVar("interrupt_said", default=False)


def _interrupted(line: str) -> None:
    """An interrupted command's one line: what it kept and how to go on (main adds none)."""
    print(line, file=sys.stderr)
    _SAID.set(True)


class _Parser(argparse.ArgumentParser):
    """A bad option is one line (argparse prints its usage block first): the error and where
    the options are listed. The subcommands' parsers are of this class too."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="coalition-sim",
        description="Simulate how an alliance's members converge on one leadership candidate.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one replication of a scenario and write its results")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                     help="random seed, below 2**64 as a batch's are (default 1)")  # fmt: skip
    run.add_argument("--out", type=Path, help="results folder (default results/<scenario>/<stamp>)")
    _add_force(run)
    _add_set(run)
    run.set_defaults(handler=_run)

    bat = sub.add_parser("batch", help="many replications and sweeps: tables, plots, report")
    bat.add_argument("scenario", help="scenario YAML file")
    bat.add_argument(
        "--runs",
        type=_positive,
        help="replications per point (default: the scenario's batch: block, else 1000)",
    )
    bat.add_argument("--seed", type=_natural, help="batch seed (default: the scenario's, else 1)")
    bat.add_argument(
        "--workers", type=_positive,
        help=f"processes (default: 1 below {POOL_FROM:,} runs, else all {os.cpu_count()} cores)",
    )  # fmt: skip
    bat.add_argument("--executor", choices=["process", "dask"], default="process",
                     help="where chunks run: local processes (default) or a Dask cluster "
                     "(--scheduler; needs the cluster extra)")  # fmt: skip
    bat.add_argument("--scheduler", help="dask scheduler address, e.g. tcp://10.0.0.5:8786")
    bat.add_argument("--out", type=Path, help="results folder (default results/<scenario>/<stamp>)")
    bat.add_argument(
        "--resume", action="store_true",
        help="finish the newest unfinished batch of this scenario (or the one in --out), with its own "
        "settings (others given with it are refused)",
    )  # fmt: skip
    bat.add_argument("--chunk", type=_positive,
                     help="replications per chunk file (default: the scenario's, else 1000)")  # fmt: skip
    bat.add_argument(
        "--sweep", action="append", default=[], metavar="KEY=V1,V2,...",
        help="sweep a field over values (repeat for a grid); replaces the scenario's sweep",
    )  # fmt: skip
    bat.add_argument(
        "--no-report",
        action="store_true",
        help="tables and the outcomes printed: no plots, no report.md",
    )
    bat.add_argument(
        "--format", choices=["csv", "parquet"],
        help="tables as gzip-compressed CSV (default) or Parquet (needs the parquet extra); "
             "--resume goes on in the batch's own",
    )  # fmt: skip
    _add_set(bat)
    bat.set_defaults(handler=_batch)

    sco = sub.add_parser("score", help="score a batch against an observed record, beside baselines")
    sco.add_argument("scenario", help="scenario YAML file")
    sco.add_argument("--record", required=True, type=Path, help="observed record YAML file")
    sco.add_argument("--runs", type=_positive,
                     help="replications (default: the scenario's batch: block, else 1000)")  # fmt: skip
    sco.add_argument("--seed", type=_natural, help="batch seed (default: the scenario's, else 1)")
    sco.add_argument("--out", type=Path, help="results folder (default results/<scenario>/<stamp>)")
    sco.add_argument("--resume", action="store_true",
                     help="go on with the score interrupted in --out (default: the newest "
                     "unfinished score of these settings under results/<scenario>/): its batch "
                     "from the chunks it holds")  # fmt: skip
    _add_force(sco)
    _add_set(sco)
    sco.set_defaults(handler=_score)

    cal = sub.add_parser(
        "calibrate", help="fit behavioural parameters to part of a record, or to several cases"
    )
    cal.add_argument(
        "scenario", nargs="+",
        help="scenario YAML file (with --record); or cases: SCENARIO:RECORD pairs or case list files",
    )  # fmt: skip
    cal.add_argument("--record", type=Path, help="observed record YAML file (one scenario)")
    cal.add_argument(
        "--params", nargs="+", required=True, metavar="NAME[=LOW:HIGH]",
        help="behavioural parameters to fit, e.g. noise w_ties=0:3",
    )  # fmt: skip
    cal.add_argument("--budget", type=_positive, default=60, help="evaluations (default 60)")
    cal.add_argument(
        "--split", type=_date, help="fit before this date, check after (default: mid-record)"
    )
    cal.add_argument("--runs", type=_positive, default=200,
                     help="replications per evaluation (default 200)")  # fmt: skip
    cal.add_argument("--seed", type=_natural, default=1,
                     help="seed of the common random numbers (default 1)")  # fmt: skip
    cal.add_argument("--out", type=Path,
                     help="variant file (default: calibrated/<name>-fit-<split>.yaml beside the "
                     "scenario); with cases, the parameters: file (default: printed only)")  # fmt: skip
    _add_prior_weight(cal)
    _add_profile(cal, "the fit (several cases only)")
    _add_force(cal)
    cal.add_argument("--resume", action="store_true",
                     help="go on with an interrupted calibrate: take the evaluations its "
                     "checkpoint (beside --out) holds, simulate only the rest (same settings); over "
                     "cases without --out the same command does so by itself")  # fmt: skip
    _add_set(cal)
    cal.set_defaults(handler=_calibrate)

    cv = sub.add_parser("crossval", help="leave-one-contest-out: fit on the others, score each")
    cv.add_argument("cases", nargs="+", help="SCENARIO:RECORD pairs or case list files")
    cv.add_argument("--params", nargs="+", required=True, metavar="NAME[=LOW:HIGH]",
                    help="behavioural parameters to fit")  # fmt: skip
    cv.add_argument(
        "--budget", type=_positive, default=30, help="evaluations per fold (default 30)"
    )
    cv.add_argument("--runs", type=_positive, default=200,
                    help="replications per evaluation (default 200)")  # fmt: skip
    cv.add_argument("--seed", type=_natural, help="seed of the common random numbers (default 1)")
    cv.add_argument("--seeds", type=_natural, nargs="+", metavar="SEED",
                    help="the whole crossval once per seed (each in <out>/seed-<S>/), then how "
                    "far its results move between them (seeds.csv)")  # fmt: skip
    cv.add_argument("--out", type=Path, help="results folder (default results/crossval/<stamp>)")
    _add_force(cv)
    cv.add_argument("--resume", action="store_true",
                    help="go on with the crossval in --out: fit only the folds not yet in its "
                    "folds.json (same cases and settings)")  # fmt: skip
    _add_prior_weight(cv)
    _add_profile(cv, "each fold's fit, on every case (the left-out one too)")
    _add_set(cv)
    cv.set_defaults(handler=_crossval)

    cmp_ = sub.add_parser("compare", help="run the same batch on a scenario and its variants")
    cmp_.add_argument("scenarios", nargs="+", help="the scenario, then variants")
    cmp_.add_argument(
        "--runs",
        type=_positive,
        default=1000,
        help="replications each (default 1000; the scenarios' batch: blocks are not read, so "
        "that every scenario runs on the same seeds)",
    )
    cmp_.add_argument(
        "--seed", type=_natural, default=1, help="batch seed (default 1, for every scenario)"
    )
    cmp_.add_argument("--out", type=Path, help="results folder (default results/compare/<stamp>)")
    cmp_.add_argument("--parameter-sets", nargs="+", type=Path, default=[], metavar="FILE",
                      help="also compare under each parameter set: a .yaml file's parameters: "
                      "block, or each fold of a crossval's folds.json")  # fmt: skip
    cmp_.add_argument("--resume", action="store_true",
                      help="go on with the comparison interrupted in --out (default: the newest "
                      "unfinished one under results/compare/): each batch from the chunks it "
                      "holds (same scenarios and settings)")  # fmt: skip
    _add_force(cmp_)
    _add_set(cmp_)
    cmp_.set_defaults(handler=_compare)

    sen = sub.add_parser("sensitivity", help="which assumptions and members decide the outcome")
    sen.add_argument("scenario", help="scenario YAML file")
    sen.add_argument("--inputs", action="extend", nargs="+", default=[], metavar="KEY[=LOW:HIGH],...",
                     help="inputs to vary (default: every assumption and parameter); also "
                          "`parameters`, `assumptions`")  # fmt: skip
    sen.add_argument("--method", choices=("morris", "sobol"), default="morris",
                     help="morris (screening, default) or sobol (indices, for a few inputs)")  # fmt: skip
    sen.add_argument("--runs", type=_positive, default=50, help="replications per point (50)")
    sen.add_argument("--trajectories", type=_positive, default=20, help="Morris trajectories (20)")
    sen.add_argument("--samples", type=_positive, default=64,
                     help="Sobol base samples, a power of two (64)")  # fmt: skip
    sen.add_argument("--seed", type=_natural, default=DEFAULT_SEED, help="seed (default 1)")
    sen.add_argument("--workers", type=_positive, help="processes (default: all cores if large)")
    sen.add_argument("--no-pivotal", action="store_true", help="skip the pivotal members")
    sen.add_argument("--out", type=Path, help="folder (default results/sensitivity/<stamp>)")
    sen.add_argument("--resume", action="store_true",
                     help="go on with the analysis interrupted in --out (default: the newest "
                     "unfinished one under results/sensitivity/): simulate only the points "
                     "its checkpoint does not hold (same scenario and settings)")  # fmt: skip
    _add_force(sen)
    _add_set(sen)
    sen.set_defaults(handler=_sensitivity)

    val = sub.add_parser("validate", help="check scenario and record files; print every problem")
    val.add_argument("paths", nargs="+", type=Path, help="YAML files or folders of them")
    val.set_defaults(handler=_validate)

    cln = sub.add_parser("clean", help="remove old result folders under results/")
    cln.add_argument(
        "--keep", type=_natural, default=5,
        help="newest finished folders kept per scenario (default 5; unfinished ones are kept "
        "besides them)",
    )  # fmt: skip
    cln.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    cln.add_argument("--unfinished", action="store_true", help="remove unfinished batches too")
    cln.set_defaults(handler=_clean)

    exp = sub.add_parser("explain", help="a member's utility for each candidate, term by term")
    exp.add_argument("scenario", help="scenario YAML file")
    exp.add_argument("--member", required=True, help="member code, e.g. HU")
    exp.add_argument("--round", type=_whole, default=1, help="round to explain (default 1)")
    exp.add_argument("--seed", type=_natural, default=DEFAULT_SEED, help="random seed (default 1)")
    _add_set(exp)
    exp.set_defaults(handler=_explain)

    viz = sub.add_parser("viz", help="open the interactive page (needs the viz extra)")
    viz.add_argument("scenario", nargs="?", default="scenarios/nato-2024.yaml",
                     help="scenario YAML file (default scenarios/nato-2024.yaml)")  # fmt: skip
    viz.add_argument(
        "--port", type=_whole, default=8765, help="port (default 8765; 0: any free one)"
    )
    viz.add_argument("--host", default="localhost", help="address to listen on (default localhost)")
    viz.add_argument("--no-open", action="store_true", help="do not open a browser")
    viz.set_defaults(handler=_viz)
    return parser


def _add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force", action="store_true",
        help="write into an --out that already holds files (never over the command's inputs)",
    )  # fmt: skip


def _inputs(*scenarios, record=None) -> list[Path]:
    """Every file a command reads: the scenarios, each base they extend, the record."""
    from sim.scenario.loader import extends_chain

    files = [p for s in scenarios for p, _ in extends_chain(s)]
    return files + ([Path(record)] if record else [])


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
        help="override a scenario field, e.g. parameters.noise=0.3 or grievances.schengen.weight=0",
    )  # fmt: skip


def _run(args) -> int:
    import sim
    from sim.batching.folder import FolderLock, clear_for_run
    from sim.report import plots
    from sim.results.results import Results
    from sim.results.tables import manifest
    from sim.scenario.loader import scenario_digest

    scenario = load_scenario(args.scenario, args.overrides)
    out = args.out or _stamped(Path("results") / scenario.name)
    check_folder(out, _inputs(args.scenario), args.force)  # before any work
    try:
        model = sim.run(scenario, seed=args.seed)
    except KeyboardInterrupt:  # one replication, written only when it is done
        _interrupted(f"interrupted before anything was written to {out}/; run the same "
                     "command again (a run has no --resume: it is one replication)")  # fmt: skip
        raise
    results = Results.from_history(model.history, [0], [args.seed], seed=args.seed)
    with FolderLock(out):  # no batch starts in it meanwhile, nor this in a running batch's
        if args.force:
            clear_for_run(out)  # nothing left saying another batch is complete here
        results.save(out)
        plots.trajectory(model.history, out / "plots" / "trajectory.png")
        plots.stances(model.history, out / "plots" / "stances.png")
        # The manifest goes last: its presence says the tables beside it are complete.
        write_json(
            out / "manifest.json", manifest(results, scenario_digest(scenario), str(args.scenario))
        )
    print(_summary(results, out))
    return 0


def _stamped(base: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out, n = base / stamp, 1
    while out.exists():
        n += 1
        out = base / f"{stamp}-{n}"
    return out


def _summary(results, out: Path) -> str:
    """What one replication did, in a few lines, read off its Results."""
    row = results.runs.iloc[0]
    name, seed = results.scenario, row["seed"]
    if row["winner"] is not None:
        head = f"{name} (seed {seed}): {row['winner']} appointed on {row['appointed_date']} (round {row['appointed_round']})"
    else:
        last = results.dates[0][int(row["rounds"])].isoformat()
        head = f"{name} (seed {seed}): deadlock, no appointment by {last}"

    def dated(frame, who: str) -> str:
        return (
            ", ".join(f"{w} {d}" for w, d in zip(frame[who], frame["date"], strict=True)) or "none"
        )

    def offered(frame) -> str:  # every offer, by the member it went to, in order
        dates: dict[str, list[str]] = {}
        for who, day in zip(frame["to"], frame["date"], strict=True):
            dates.setdefault(who, []).append(str(day))
        return "; ".join(f"{w} {', '.join(d)}" for w, d in dates.items()) or "none"

    held = results.holdouts.sort_values("rank", ascending=False)["member"].tolist()
    return "\n".join(
        [
            head,
            f"  withdrawn:     {dated(results.withdrawals, 'candidate')}",
            f"  last holdouts: {', '.join(held) or 'none'}",
            f"  concessions:   {offered(results.offers)}",
            f"  results:       {out}/ (manifest.json, runs, withdrawals, holdouts, concessions, declarations and support tables, plots/)",
        ]
    )


def _whole(text: str) -> int:
    """A whole number as typed; argparse would otherwise name this function in its error."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number (digits only: 1000, not 1e3, 1,000 or 1.5)"
        ) from None


def _positive(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a finite number, 0 or more")
    return value


def _points(text: str) -> int:
    value = _whole(text)
    if not 2 <= value <= 50:
        raise argparse.ArgumentTypeError("must be 2 to 50 (points a parameter, ends included)")
    return value


def _add_profile(parser, where: str) -> None:
    parser.add_argument(
        "--profile", type=_points, default=0, metavar="K",
        help=f"profile {where}: each parameter in turn at K evenly spaced values "
        "over its range (the others at the fit), each case's loss there; says which "
        "parameters the cases leave flat (profile.csv and a figure)",
    )  # fmt: skip


def _add_prior_weight(parser) -> None:
    parser.add_argument(
        "--prior-weight", type=_weight, default=0.0, metavar="W",
        help="pull the fit towards the starting values: W x mean squared distance from them, "
        "in units of each range (default 0: none; several cases only)",
    )  # fmt: skip


def _seed(text: str) -> int:
    """A replication's seed: what runs.csv records (an unsigned 64-bit integer)."""
    value = _natural(text)
    if value >= 2**64:
        raise argparse.ArgumentTypeError(f"must be below 2**64 ({2**64:,})")
    return value


def _natural(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _batch(args) -> int:
    from sim import api

    if args.scheduler and args.executor != "dask":
        msg = "needs --executor dask (without it the batch runs on this machine)"
        raise ScenarioError([Problem(f"--scheduler {args.scheduler}", None, "", msg)])
    if args.resume:
        plan, out, format = _resumable(args)
    else:
        plan = api.plan(
            args.scenario, args.runs, args.seed, args.sweep or None, args.overrides, args.chunk
        )
        out = args.out or _stamped(Path("results") / plan.name)
        format = args.format or "csv"
    check_folder(out, _inputs(args.scenario), reuse=_batch_folder, forced_by=None)  # no --force
    workers = args.workers or (os.cpu_count() or 1 if plan.total_runs >= POOL_FROM else 1)
    try:
        from sim.batching.budget import check_budget

        for line in check_budget(plan, workers):  # before any work: a costly batch says so
            print(line, file=sys.stderr)
        lines: list[str] = []

        def report(outcome) -> None:  # written while the batch still holds the folder's lock
            lines[:] = api.batch_report(plan, outcome)

        outcome = api.execute(plan, out, workers, args.executor, args.scheduler, format=format,
                              keep=False,  # flat memory: the report reads the batch's Summary
                              finish=None if args.no_report else report)  # fmt: skip
    except KeyboardInterrupt:
        if (out / "batch.json").is_file():
            _go_on(f"the finished chunks are kept in {out}/", out)
        else:  # stopped before the folder held its batch: nothing to go on with
            _interrupted(f"interrupted before anything was kept in {out}/; the same command "
                         "(without --resume) starts the batch")  # fmt: skip
        raise
    if args.no_report:  # the outcomes still, read off the tallies (no figure drawn)
        from sim.report.batch_report import outcome_lines

        lines = outcome_lines(outcome.summary)
    for line in lines:
        print(line)
    print(_closing(outcome, out))
    if outcome.errors:
        print(f"{outcome.errors:,} of {outcome.runs:,} replications failed (runs.csv, column "
              f"`error`); exit status {FAILED_RUNS}", file=sys.stderr)  # fmt: skip
        return FAILED_RUNS
    return 0


def _batch_folder(folder: Path) -> bool:
    from sim import api

    return api.batch_folder(folder)


def _resumable(args):
    """The plan, folder and table format of the batch to resume: `--out`, or the newest
    unfinished batch of the scenario under results/. Its runs, chunk, seed, sweep and
    format come from its batch.json."""
    from sim import api
    from sim.batching.folder import done_chunks, recorded_format
    from sim.errors import Problem

    if args.out:
        out = args.out
        if not (out / "batch.json").exists():
            raise ScenarioError(
                [Problem(str(out), None, "", "holds no batch to resume (no batch.json)")]
            )
    else:
        base = Path("results") / load_scenario(args.scenario, args.overrides).name
        out = _unfinished(base)
        if out is None:
            raise ScenarioError(
                [Problem(str(base), None, "", "no unfinished batch of this scenario to resume")]
            )
    try:
        info = json.loads(read_regular(out / "batch.json"))
        design = [p["values"] for p in info["points"]]
        settings = (info["overrides"], info["runs_per_point"], info["seed"], info["chunk"])
        format = recorded_format(info)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise ScenarioError(
            [Problem(str(out / "batch.json"), None, "", "is damaged; cannot resume this batch")]
        ) from None
    overrides, runs, seed, chunk = settings
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (runs, seed, chunk))
    if (
        not whole
        or not isinstance(overrides, list)
        or not all(isinstance(o, str) for o in overrides)
        or format not in ("csv", "parquet")
    ):
        raise ScenarioError(
            [Problem(str(out / "batch.json"), None, "", "is damaged; cannot resume this batch")]
        )
    if args.format and args.format != format:
        msg = f"this batch writes {format} tables (batch.json); resume it without --format {args.format}"
        raise ScenarioError([Problem(str(out), None, "", msg)])
    _check_given(args, out, overrides, runs, seed, chunk, design)
    plan = api.plan_batch(args.scenario, overrides, runs, seed, chunk, design=design)
    if plan.key != info.get("key"):
        msg = "the scenario (or the program) has changed since this batch started; it cannot be resumed, start a new one"
        raise ScenarioError([Problem(str(out), None, "", msg)])
    if (out / "manifest.json").is_file():
        print(f"{out}: this batch is already complete", file=sys.stderr)
    else:
        left = sum(
            c.stop - c.start
            for c in plan.chunks
            if c.name not in done_chunks(out, plan, notice=lambda _: None)
        )
        print(
            f"resuming {out}: {plan.total_runs - left:,} of {plan.total_runs:,} runs done",
            file=sys.stderr,
        )
    return plan, out, format


def _check_given(args, out: Path, overrides, runs, seed, chunk, design) -> None:
    """Before a batch is resumed: a setting given with --resume (--set, --runs, --seed,
    --chunk, --sweep) that is not the folder's batch's is refused in one line, naming it as
    typed and what the folder holds (a bare --resume takes them all from the folder)."""
    from sim import api
    from sim.scenario.loader import scenario_digest

    given = []
    if args.overrides and args.overrides != overrides:
        ours = scenario_digest(load_scenario(args.scenario, args.overrides))
        if ours != scenario_digest(load_scenario(args.scenario, overrides)):
            held = " ".join(f"--set {o}" for o in overrides) or "no --set"
            given.append((" ".join(f"--set {o}" for o in args.overrides), held))
    for flag, value, held in (("--runs", args.runs, runs), ("--seed", args.seed, seed),
                              ("--chunk", args.chunk, chunk)):  # fmt: skip
        if value is not None and value != held:
            given.append((f"{flag} {value}", f"{flag} {held}"))
    if args.sweep:
        points = [p.values for p in api.plan(args.scenario, runs, seed, args.sweep, overrides,
                                             chunk).points]  # fmt: skip
        if json.dumps(points, sort_keys=True) != json.dumps(design, sort_keys=True):
            swept = design if any(design) else []
            keys = {k: [p[k] for p in swept] for k in (swept[0] if swept else {})}
            held = " ".join(f"--sweep {k}={','.join(map(str, dict.fromkeys(v)))}"
                            for k, v in keys.items()) or "no sweep"  # fmt: skip
            given.append((" ".join(f"--sweep {t}" for t in args.sweep), held))
    if given:
        said = ", ".join(f"{typed} (the batch there has {held})" for typed, held in given)
        drop = "it" if len(given) == 1 else "them"
        msg = (f"{said}: --resume goes on with the folder's batch as it was; drop {drop}, "
               "or choose another --out for a new batch")  # fmt: skip
        raise ScenarioError([Problem(f"--resume {out}", None, "", msg)])


def _date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a date, YYYY-MM-DD") from None


def _go_on(kept: str, out: Path) -> None:
    """An interrupted command says what it kept and the command that goes on from it."""
    _interrupted(f"interrupted: {kept}; go on with the same command and --resume --out {out}")


def _closing(outcome, out) -> str:
    """A batch's closing line: runs, time, how many were computed and how many reused."""
    # The rate of the runs computed here: those read back from the folder cost nothing.
    rate = (
        f" ({outcome.computed / outcome.seconds:,.0f} runs/s)"
        if outcome.computed and outcome.seconds
        else ""
    )
    return (f"{outcome.runs:,} runs in {outcome.seconds:.2f} s{rate}: "
            f"{outcome.computed:,} computed, {outcome.reused:,} reused, {outcome.errors} failed; "
            f"results in {out}/")  # fmt: skip


def _score(args) -> int:
    from sim import api

    scenario = load_scenario(args.scenario, args.overrides)
    _check_record(args.scenario, args.record, scenario)  # before the batch, not after it
    base = Path("results") / scenario.name
    out = args.out
    if args.resume and out is None:
        key = api.plan(args.scenario, args.runs, args.seed, None, args.overrides).key
        out = _unfinished_score(base, key)
        if out is None:
            msg = "no unfinished score of these settings to resume; give its folder with --out"
            raise ScenarioError([Problem(f"--resume {base}/", None, "", msg)])
    out = out or _stamped(base)

    def unfinished(folder: Path) -> str | None:  # a killed score of these settings
        key = api.plan(args.scenario, args.runs, args.seed, None, args.overrides).key
        return api.unfinished_score(key)(folder)

    check_folder(out, _inputs(args.scenario, record=args.record), args.force,
                 reuse=lambda _: args.resume, unfinished=unfinished)  # fmt: skip
    try:
        result = api.score(args.scenario, args.record, args.runs, args.seed, args.overrides,
                           out, force=args.force, keep=False, resume=args.resume)  # fmt: skip
    except KeyboardInterrupt:  # (keep=False: flat memory, the scores read off the tallies)
        _go_on(f"the finished chunks are kept in {out}/", out)
        raise
    from sim.report import scores

    print("\n".join([*result.lines, "", *scores.table(result.rows, result.keys), "",
                     *result.verdict, f"scores: {out}/scores.csv", _closing(result.outcome, out)]))  # fmt: skip
    return 0


def _check_record(path, record, scenario) -> None:
    from sim import api
    from sim.evaluate.record import load_record

    return load_record(record, scenario, api._names(path, scenario))


def _calibrate(args) -> int:
    from sim.cli.commands import (
        _middle_date,
        calibrate_cases_command,
        calibrate_command,
        checkpoint_path,
        default_variant,
        fit_settings,
        load_cases,
        open_checkpoint,
        profile_paths,
    )
    from sim.evaluate.calibrate import Case

    if args.record is None:
        cases, inputs = load_cases(args.scenario, args.overrides)  # every bad case first
        settings = fit_settings(cases, inputs, args.params, args.budget, args.runs, args.seed,
                                args.prior_weight, args.overrides)  # fmt: skip
        if args.out:  # never over an input (a case's scenario, base or record), even with --force
            check_file(args.out, inputs, args.force or args.resume)
        where = checkpoint_path(args.out, settings)
        # Printed only (no --out): the checkpoint is named by the settings and nothing is
        # replaced, so the same command takes it as --resume would (a finished fit reprinted,
        # nothing simulated; an interrupted one gone on with); --force starts anew.
        resume = args.resume or (args.out is None and not args.force and where.is_file())
        profile = None
        if args.profile:  # beside the checkpoint; checked before the fit, like the output
            profile = profile_paths(where)
            for path, suffix in zip(profile, (".csv", ".png"), strict=True):
                check_file(path, inputs, args.force or resume, "--profile", (suffix,))
        kept = open_checkpoint(where, inputs, settings, resume, args.force)
        with _saying_kept(kept):
            lines = calibrate_cases_command(
                args.scenario, args.params, args.budget, args.runs, args.seed, args.overrides,
                args.out, args.prior_weight, cases, kept, args.profile, profile,
            )  # fmt: skip
        print("\n".join(lines))
        return 0
    for flag, given in (("--prior-weight", args.prior_weight), ("--profile", args.profile)):
        if given:
            msg = "fits several cases only (give cases, without --record)"
            raise ScenarioError([Problem(flag, None, "", msg)])
    if len(args.scenario) != 1:
        raise ScenarioError(
            [Problem("calibrate", None, "", "with --record give one scenario; without, give cases")]
        )
    path = args.scenario[0]
    scenario = load_scenario(path, args.overrides)
    record = _check_record(path, args.record, scenario)
    split = args.split or _middle_date(record)
    out = args.out or default_variant(path, scenario.name, split)
    inputs = _inputs(path, record=args.record)
    check_file(out, inputs, args.force or args.resume)  # before the fit
    settings = fit_settings([Case(scenario.name, scenario, record)], inputs, args.params,
                            args.budget, args.runs, args.seed, 0.0, args.overrides, split)  # fmt: skip
    kept = open_checkpoint(checkpoint_path(out, settings), inputs, settings, args.resume,
                           args.force)  # fmt: skip
    with _saying_kept(kept):
        lines = calibrate_command(
            args.scenario[0], args.record, args.params, args.budget, split, args.runs,
            args.seed, args.overrides, out, kept,
        )  # fmt: skip
    print("\n".join(lines))
    return 0


@contextmanager
def _saying_kept(kept):
    """An interrupted calibrate says where its finished evaluations are and how to go on."""
    try:
        yield
    except KeyboardInterrupt:
        if kept.count:
            _interrupted(f"{kept.path}: {kept.count} evaluations kept; the same command with "
                         "--resume goes on from them")  # fmt: skip
        raise


def _crossval(args) -> int:
    from sim.cli.commands import (
        FOLDS,
        crossval_command,
        fit_settings,
        load_cases,
        resumed_folds,
    )

    cases, inputs = load_cases(args.cases, args.overrides)  # every bad case before any work
    if len(cases) < 2:
        msg = "leave-one-contest-out needs at least two cases (one to leave out, one to fit on)"
        raise ScenarioError([Problem("crossval", None, "", msg)])
    if args.resume and args.out is None:
        raise ScenarioError([Problem("--resume", None, "", "needs --out, the crossval to go on")])
    if args.seeds is not None and args.seed is not None:
        msg = "give --seed or --seeds, not both"
        raise ScenarioError([Problem("--seeds", None, "", msg)])
    if args.seeds is not None and len(set(args.seeds)) != len(args.seeds):
        raise ScenarioError([Problem("--seeds", None, "", "each seed once")])
    out = args.out or _stamped(Path("results") / "crossval")
    seeds = args.seeds or [1 if args.seed is None else args.seed]
    # one crossval per seed: with --seeds each in its own folder, all checked before any fold
    runs = []
    for seed in seeds:
        folder = out / f"seed-{seed}" if args.seeds else out
        settings = fit_settings(cases, inputs, args.params, args.budget, args.runs, seed,
                                args.prior_weight, args.overrides)  # fmt: skip
        known = None
        if args.resume and folder.is_dir() and any(folder.iterdir()):
            if not (folder / FOLDS).is_file():
                msg = f"holds no {FOLDS} (no crossval to resume); choose its --out"
                raise ScenarioError([Problem(f"--resume {folder}", None, "", msg)])
            known = resumed_folds(folder, settings)  # other settings: refused before any work
        runs.append((seed, folder, settings, known))

    def unfinished(folder: Path) -> str | None:  # a killed crossval: folds kept, no table
        from sim.cli.commands import FOLDS

        kept = [f for f in (folder, *folder.glob("seed-*")) if (f / FOLDS).is_file()]
        return "crossval" if any(not (f / "crossval.csv").is_file() for f in kept) else None

    reuse = (lambda _: True) if args.resume else None
    check_folder(out, inputs, args.force, reuse=reuse,
                 unfinished=unfinished)  # before the folds, not after them  # fmt: skip
    for seed, folder, settings, known in runs:
        try:
            lines = crossval_command(cases, args.params, args.budget, args.runs, seed, folder,
                                     args.prior_weight, settings, known, args.profile)  # fmt: skip
        except KeyboardInterrupt:
            _crossval_kept([f for _, f, _, _ in runs], len(cases), out)
            raise
        print("\n".join([f"seed {seed}:", *lines, ""] if args.seeds else lines))
    if args.seeds:
        from sim.cli.commands import seed_spread

        print("\n".join(seed_spread(out, seeds)))
    return 0


def _crossval_kept(folders: list[Path], cases: int, out: Path) -> None:
    """An interrupted crossval says how many folds its folds.json keep and how to go on."""
    from sim.cli.commands import FOLDS

    kept = []
    for folder in folders:
        try:
            fitted = json.loads((folder / FOLDS).read_text(encoding="utf-8"))["fitted"]
            kept.append((folder, len(fitted)))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    if not kept:
        _interrupted(f"interrupted before any fold was fitted: nothing is kept in {out}/; the "
                     "same command without --resume starts the crossval")  # fmt: skip
        return
    said = ", ".join(f"{n} of {cases} folds in {folder / FOLDS}" for folder, n in kept)
    _go_on(f"{said} kept", out)


def _compare(args) -> int:
    from sim import api
    from sim.scenario.parameter_sets import load_parameter_sets

    for path in args.scenarios:
        load_scenario(path, args.overrides)  # every problem in every file before anything runs
    sets = load_parameter_sets(args.parameter_sets) if args.parameter_sets else None
    out = args.out or (_unfinished_comparison() if args.resume else None)
    if args.resume and out is None:
        msg = "no unfinished comparison to resume; give its folder with --out"
        raise ScenarioError([Problem("--resume results/compare/", None, "", msg)])
    out = out or _stamped(Path("results") / "compare")
    check_folder(out, [*_inputs(*args.scenarios), *args.parameter_sets], args.force,
                 reuse=lambda f: args.resume or api.only_lock(f),
                 unfinished=api.unfinished_comparison)  # fmt: skip
    try:
        # keep=False: memory flat in the runs, the table read off the tallies
        kw = {"force": args.force, "keep": False, "parameter_sets": sets, "resume": args.resume}
        result = api.compare(args.scenarios, args.runs, args.seed, args.overrides, out, **kw)
    except KeyboardInterrupt:
        _go_on(f"the finished chunks are kept in {out}/", out)
        raise
    files = "compare.csv, compare.md, compare.png" + (
        ", compare-sets.csv, robustness.csv" if sets else ""
    )
    print("\n".join([*result.lines(), f"results: {out}/ ({files})"]))
    return 0


def _sensitivity(args) -> int:
    from sim import api
    from sim.analysis.inputs import choose_inputs

    scenario = load_scenario(args.scenario, args.overrides)
    texts = [t.strip() for text in args.inputs for t in text.split(",") if t.strip()]
    choose_inputs(scenario, texts)  # a bad --inputs is reported before anything runs
    if args.method == "sobol" and args.samples & (args.samples - 1):
        raise ScenarioError([Problem(f"--samples {args.samples}", None, "",
                                     "must be a power of two")])  # fmt: skip
    out = args.out or (_unfinished_analysis() if args.resume else None)
    if args.resume and out is None:
        msg = "no unfinished analysis to resume; give its folder with --out"
        raise ScenarioError([Problem("--resume results/sensitivity/", None, "", msg)])
    out = out or _stamped(Path("results") / "sensitivity")
    check_folder(out, _inputs(args.scenario), args.force, reuse=lambda _: args.resume,
                 unfinished=api.unfinished_analysis)  # fmt: skip
    try:
        result = api.sensitivity(
            scenario, texts or None, args.method, args.runs, args.trajectories, args.samples,
            args.seed, out=out, pivotal=not args.no_pivotal, workers=args.workers,
            resume=args.resume, force=args.force,
        )  # fmt: skip
    except KeyboardInterrupt:
        from sim.analysis.evaluations import FILE

        if (out / FILE).is_file():
            _go_on(f"the finished points are kept in {out}/", out)
        else:  # stopped before its first block of points was done: no checkpoint to go on from
            _interrupted(f"interrupted before any point was finished: nothing is kept in "
                         f"{out}/; the same command without --resume starts the analysis")  # fmt: skip
        raise
    files = "sensitivity.csv, sensitivity.md, plots/" + ("" if args.no_pivotal else ", pivotal.csv")
    print("\n".join([*result.lines(), f"results: {out}/ ({files})"]))
    return 0


def _newest(base: Path, started: str, finished: tuple[str, ...], mine=None) -> Path | None:
    """The newest folder under `base` holding `started` (a glob) but not every one of the
    `finished` files (and, given `mine`, for which it holds): the run a bare --resume goes
    on with."""
    if not base.is_dir():
        return None
    for folder in sorted(base.iterdir(), reverse=True):
        unfinished = any(folder.glob(started)) and not holds(folder, finished)
        if unfinished and (mine is None or mine(folder)):
            return folder
    return None


def _unfinished_comparison() -> Path | None:
    """The newest comparison under results/compare/ with a batch in it and its tables and
    figure not all written."""
    return _newest(Path("results") / "compare", "*/batch.json", FINISHED_COMPARISON)


def _unfinished_analysis() -> Path | None:
    """The newest analysis under results/sensitivity/ with a checkpoint and no report yet."""
    from sim.analysis.evaluations import FILE

    return _newest(Path("results") / "sensitivity", FILE, FINISHED_ANALYSIS)


def _unfinished_score(base: Path, key: str) -> Path | None:
    """The newest folder under `base` holding the batch `key` and not yet its scores,
    report and manifest."""
    from sim.batching.folder import recorded_batch

    return _newest(base, "batch.json", FINISHED_SCORE, lambda f: recorded_batch(f)[0] == key)


def _unfinished(base: Path) -> Path | None:
    """The newest batch folder under `base` that has no manifest yet."""
    return _newest(base, "batch.json", FINISHED_BATCH)


def _validate(args) -> int:
    files: list[Path] = []
    for p in args.paths:
        files += sorted(p.rglob("*.yaml")) + sorted(p.rglob("*.yml")) if p.is_dir() else [p]
    from sim.evaluate.record import Record
    from sim.scenario.yamlfile import load_located, where_of

    bad, loaded, scenarios = 0, {}, {}
    for f in files:
        if f.suffix.lower() not in (".yaml", ".yml") and _case_list_or_table(f):
            problems = _other_input(f)
            bad += bool(problems)
            for problem in problems:
                print(problem, file=sys.stderr)
            continue
        try:
            loaded[f] = _load_any(f)
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        if not isinstance(loaded[f], Record):
            scenarios.setdefault(loaded[f].name, f)  # records name their scenario by name
            print(f"ok   {f}")
    for f, record in loaded.items():
        if not isinstance(record, Record):
            continue
        against = scenarios.get(record.scenario)
        near = _scenario_it_could_mean(f, record, scenarios) if against is None else []
        if near:  # validated with its scenario, but naming it wrong: score refuses it
            where = where_of(load_located(f), ("scenario",)) or (str(f), None)
            msg = (f"{record.scenario!r} is none of the scenarios validated with it; did you "
                   f"mean {' or '.join(map(repr, near))}?")  # fmt: skip
            print(Problem(str(f), where[1], "scenario", msg), file=sys.stderr)
            bad += 1
            continue
        if against is None:  # a record alone: its own checks only
            name = f" {record.scenario!r}" if record.scenario else ""
            print(f"ok   {f} (not checked against a scenario: validate its scenario{name} with it)")
            continue
        try:  # as score checks it: members, candidates, dates, membership
            _check_record(against, f, loaded[against])
            print(f"ok   {f} (against {against})")
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem, file=sys.stderr)
    if not files:
        print("no YAML files found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return 2
    print(f"{len(files)} file(s), {bad} with problems")
    return 2 if bad else 0


def _scenario_it_could_mean(path: Path, record, scenarios: dict) -> list[str]:
    """The validated scenarios a record whose `scenario:` names none of them was most likely
    meant for: by spelling, or a scenario file of the same name as the record's file."""
    import difflib

    if not record.scenario:
        return []
    near = difflib.get_close_matches(record.scenario, list(scenarios), n=3, cutoff=0.75)
    same = [name for name, f in scenarios.items() if Path(f).stem == path.stem]
    return list(dict.fromkeys([*near, *same]))


_CASE_LINE = re.compile(r"\s*[^#]+\.ya?ml\s*:\s*[^#]+\.ya?ml\s*(#.*)?", re.IGNORECASE)


def _case_list_or_table(path: Path) -> bool:
    """A `.csv` file (a member table), or a file whose first line that is not a comment
    reads SCENARIO.yaml:RECORD.yaml (a case list); anything else is read as YAML."""
    if not path.is_file():
        return False
    if path.suffix.lower() == ".csv":
        return True
    try:
        lines = read_regular(path).splitlines()
    except (OSError, ValueError):
        return False
    first = next((x for x in lines if x.split("#", 1)[0].strip()), "")
    return bool(_CASE_LINE.fullmatch(first))


def _other_input(path: Path) -> list:
    """A file given to validate that is no YAML file: a member table is refused in one line
    (it is checked through its scenario); anything else is read as a case list, and each
    case's scenario and record are checked, the record against its scenario, as calibrate and
    crossval would."""
    from sim.evaluate.calibrate import case_entries, missing_case_files
    from sim.evaluate.record import load_record
    from sim.scenario.loader import extends_chain, record_names

    if path.suffix.lower() == ".csv":
        msg = ("is a member table: it is checked through the scenario that reads it "
               "(`members_table:`); validate that scenario")  # fmt: skip
        return [Problem(str(path), None, "", msg)]
    try:
        entries = case_entries([str(path)])
    except ScenarioError as exc:
        return exc.problems
    problems = missing_case_files([str(path)])
    if problems:
        return problems
    for scenario_path, record_path, _ in entries:
        try:
            scenario = load_scenario(scenario_path)
            names = record_names(scenario.name, extends_chain(scenario_path))
            load_record(record_path, scenario, names)
        except ScenarioError as exc:
            problems += exc.problems
    if not problems:
        print(f"ok   {path} (a case list: {len(entries)} case(s), each scenario and its record "
              "against it)")  # fmt: skip
    return problems


def _load_any(path: Path):
    """A scenario, or an observed record (a file with no calendar and a record's sections)."""
    from sim.evaluate.record import load_record
    from sim.scenario.loader import is_record
    from sim.scenario.yamlfile import load_located

    if is_record(load_located(path)):
        return load_record(path)
    return load_scenario(path)


def _clean(args) -> int:
    from sim.results.cleanup import human, prune

    root = Path("results")
    done = prune(root, args.keep, dry_run=args.dry_run, unfinished=args.unfinished)
    verb = "would remove" if args.dry_run else "removed"
    for f in done.removed:
        print(f"{verb} {f.path}/ ({human(f.size)})")
    for path, why in done.skipped:
        print(f"kept    {path}/: {why}")
    print(
        f"{verb} {len(done.removed)} folder(s), {human(done.freed)}; kept the newest "
        f"{args.keep} finished of each scenario under {root}/ ({len(done.kept)} folder(s))"
    )
    return 0


def _explain(args) -> int:
    world = build_world(load_scenario(args.scenario, args.overrides))
    print(explain(world, args.member, args.round, args.seed))
    print(f"  does {args.member} decide the contest? `coalition-sim sensitivity {args.scenario}`: "
          "the pivotal members (pivotal.csv, plots/pivotal.png)")  # fmt: skip
    return 0


def _viz(args) -> int:
    from sim.viz.server import serve

    return serve(args.scenario, args.port, args.host, open_browser=not args.no_open)
