"""The command line: `coalition-sim run | validate | explain`."""

import argparse
import sys
from datetime import datetime
from pathlib import Path

from sim.errors import ScenarioError
from sim.explain import ExplainError, explain
from sim.model import ConsensusModel
from sim.results import RUNS_COLUMNS, manifest, run_rows, write_tables
from sim.scenario import load_scenario
from sim.world import build_world

DEFAULT_SEED = 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except ExplainError as exc:
        print(f"coalition-sim explain: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; files already written are complete", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coalition-sim",
        description="Simulate how an alliance's members converge on one leadership candidate.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one replication of a scenario and write its results")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 1)")
    run.add_argument("--out", type=Path, help="results folder (default results/<scenario>/<stamp>)")
    _add_set(run)
    run.set_defaults(handler=_run)

    val = sub.add_parser("validate", help="check scenario files and print every problem found")
    val.add_argument("paths", nargs="+", type=Path, help="YAML files or folders of them")
    val.set_defaults(handler=_validate)

    exp = sub.add_parser("explain", help="a member's utility for each candidate, term by term")
    exp.add_argument("scenario", help="scenario YAML file")
    exp.add_argument("--member", required=True, help="member code, e.g. HU")
    exp.add_argument("--round", type=int, default=1, help="round to explain (default 1)")
    exp.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 1)")
    _add_set(exp)
    exp.set_defaults(handler=_explain)
    return parser


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
        help="override a scenario field, e.g. parameters.noise=0.3 or grievances.schengen.weight=0",
    )  # fmt: skip


def _run(args) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    model = ConsensusModel(build_world(scenario), rng=args.seed).run()
    out = args.out or _stamped(Path("results") / scenario.name)
    meta = manifest(model.history, args.seed, 1, str(args.scenario))
    write_tables(out, model.history, [0], [args.seed], meta)
    from sim import plots

    plots.trajectory(model.history, out / "plots" / "trajectory.png")
    plots.stances(model.history, out / "plots" / "stances.png")
    row = dict(zip(RUNS_COLUMNS, run_rows(model.history, [0], [args.seed])[0], strict=True))
    print(_summary(model, row, out))
    return 0


def _stamped(base: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out, n = base / stamp, 1
    while out.exists():
        n += 1
        out = base / f"{stamp}-{n}"
    return out


def _summary(model: ConsensusModel, row: dict, out: Path) -> str:
    world = model.world
    name = world.scenario.name
    if row["winner"]:
        head = f"{name} (seed {row['seed']}): {row['winner']} appointed on {row['appointed_date']} (round {row['appointed_round']})"
    else:
        last = world.dates[int(row["rounds"])].isoformat()
        head = f"{name} (seed {row['seed']}): deadlock, no appointment by {last}"

    def dated(items: str) -> str:
        if not items:
            return "none"
        parts = []
        for item in items.split(";"):
            who, t = item.rsplit("@", 1)
            parts.append(f"{who} {world.dates[int(t)].isoformat()}")
        return ", ".join(parts)

    return "\n".join(
        [
            head,
            f"  withdrawn:     {dated(row['withdrawn'])}",
            f"  last holdouts: {row['last_holdouts'].replace(';', ', ') or 'none'}",
            f"  concessions:   {dated(row['concessions'])}",
            f"  results:       {out}/ (manifest.json, runs.csv, support.csv, declarations.csv, plots/)",
        ]
    )


def _validate(args) -> int:
    files: list[Path] = []
    for p in args.paths:
        files += sorted(p.rglob("*.yaml")) + sorted(p.rglob("*.yml")) if p.is_dir() else [p]
    bad = 0
    for f in files:
        try:
            load_scenario(f)
            print(f"ok   {f}")
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem, file=sys.stderr)
    if not files:
        print("no YAML files found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return 2
    print(f"{len(files)} file(s), {bad} with problems")
    return 2 if bad else 0


def _explain(args) -> int:
    world = build_world(load_scenario(args.scenario, args.overrides))
    print(explain(world, args.member, args.round, args.seed))
    return 0
