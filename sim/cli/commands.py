"""The `calibrate` and `crossval` commands: fit, report before and after, write the fitted
variant or table; keep what is finished (checkpoints) and go on from it (`--resume`)."""

import hashlib
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from sim.errors import Problem, ScenarioError
from sim.evaluate.calibrate import (
    Evaluation,
    ReplayMismatch,
    bound_note,
    calibrate,
    parse_params,
    variant_text,
)
from sim.evaluate.record import load_record
from sim.report import scores
from sim.results.checkpoint import Checkpoint
from sim.results.files import write_atomic
from sim.results.paths import check_checkpoint
from sim.scenario.loader import load_scenario, scenario_digest
from sim.version import __version__

# --- calibrate -----------------------------------------------------------------------------


def calibrate_command(
    path, record_path, params, budget, split, runs, seed, overrides, out, kept=None
) -> list[str]:
    """Fit, report before/after on both parts, and write the fitted scenario variant; with
    `kept` (a `Kept`), keep each evaluation in its checkpoint and take those it holds."""
    scenario = load_scenario(path, overrides)
    record = load_record(record_path, scenario)
    ranges = parse_params(params)
    if split is None:
        split = _middle_date(record)
    with _replaying(kept):
        fit = calibrate(scenario, record, ranges, split, budget, runs, seed, progress=None,
                        known=kept and kept.known, on_evaluation=kept)  # fmt: skip
    out = Path(out) if out else default_variant(path, scenario.name, split)
    out.parent.mkdir(parents=True, exist_ok=True)
    extends = _relative(Path(path), out.parent)
    header = [
        f"{scenario.name} with behavioural parameters fitted to {record.name} before {split}.",
        f"command: coalition-sim calibrate {path} --record {record_path} --params {' '.join(params)} "
        f"--budget {budget} --split {split} --runs {runs} --seed {seed}",
        f"search: {len(fit.trace)} evaluations (Latin hypercube, then pattern search), "
        f"{runs} replications each with common random numbers",
        f"fit-part loss: {fit.loss_start:.4f} with the original values"
        + (" (brought into the ranges)" if fit.notes else "")
        + f" -> {fit.loss_best:.4f} fitted",
        *fit.notes,
    ]
    write_atomic(out, variant_text(fit, extends, header))
    lines = [
        f"fitted on the record before {split}: loss {fit.loss_start:.4f} -> {fit.loss_best:.4f}",
        *fit.notes,
    ]
    for name in ranges:
        lo, hi = ranges[name]
        lines.append(
            f"  {name}: {fit.start[name]:.4g} -> {fit.best[name]:.4g}  (range {lo:g} to {hi:g})"
            + bound_note(name, fit.best[name], lo, hi)
        )
    keys = sorted({k for s in fit.scores.values() for k in s}, key=lambda k: (k != "loss", k))
    lines += ["", *scores.table([(label, "", s) for label, s in fit.scores.items()], keys)]
    lines.append(f"variant: {out}")
    if kept is not None:
        lines.append(f"evaluations: {kept.path}")
    return lines


def default_variant(path, name: str, split) -> Path:
    """Where a fitted variant goes unless --out says: beside the scenario, in calibrated/."""
    return Path(path).parent / "calibrated" / f"{name}-fit-{split.isoformat()}.yaml"


def _middle_date(record):
    from sim.evaluate.score import record_dates

    days = record_dates(record)
    if len(days) < 2:
        raise ScenarioError(
            [Problem("--split", None, "", "give --split: the record has too few dates to split")]
        )
    return days[len(days) // 2]


def _relative(target: Path, base: Path) -> str:
    import os

    return Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()


def calibrate_cases_command(texts, params, budget, runs, seed, overrides, out,
                            prior_weight=0.0, cases=None, kept=None, profile_points=0,
                            profile_files=None) -> list[str]:  # fmt: skip
    """Fit one parameter set to several cases; print the per-case losses, write the set.
    `cases` are the loaded `texts` (`load_cases`; loaded here if not given); with `kept` (a
    `Kept`), each evaluation is kept in its checkpoint and those it holds are taken. With
    `profile_points`, the fit is then profiled (`profile_files`: its CSV and figure, checked
    by the caller; default `profile_paths` of the checkpoint)."""
    from sim.evaluate.calibrate import calibrate_cases

    cases = cases if cases is not None else load_cases(texts, overrides)[0]
    ranges = parse_params(params)
    with _replaying(kept):
        fit = calibrate_cases(cases, ranges, budget, runs, seed, prior_weight=prior_weight,
                              known=kept and kept.known, on_evaluation=kept)  # fmt: skip
    pull = f", prior weight {prior_weight:g}" if prior_weight else ""
    lines = [
        f"fitted on {len(cases)} cases (equal weight, {runs} replications each, common random "
        f"numbers, {len(fit.trace)} evaluations{pull}): summed loss {fit.loss_start:.4f} -> "
        f"{fit.loss_best:.4f}" + (" (with the prior pull)" if prior_weight else ""),
        *fit.notes,
    ]
    for name in ranges:
        lo, hi = ranges[name]
        lines.append(
            f"  {name}: {fit.start[name]:.4g} -> {fit.best[name]:.4g}  (range {lo:g} to {hi:g})"
            + bound_note(name, fit.best[name], lo, hi)
        )
    lines.append("  per case (loss with the first case's values -> fitted):")
    for name, (before, after) in fit.case_losses.items():
        lines.append(f"    {name}: {before:.4f} -> {after:.4f}")
    if out:
        text = ["# Fitted by: coalition-sim calibrate " + " ".join(texts)
                + f" --params {' '.join(params)} --budget {budget} --runs {runs} --seed {seed}"
                + (f" --prior-weight {prior_weight:g}" if prior_weight else "")
                + "".join(f" --set {o}" for o in overrides or ()),
                "parameters:"]  # fmt: skip
        text += [f"  {k}: {v if isinstance(v, int) else round(v, 4)}" for k, v in fit.best.items()]
        text += ["  assumption: true", "  note: fitted across cases by coalition-sim calibrate", ""]
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(Path(out), "\n".join(text))
        lines.append(f"parameters: {out}")
    if kept is not None:
        lines.append(f"evaluations: {kept.path}")
    if profile_points:
        where = profile_files or profile_paths(kept.path if kept else Path("fit"))
        lines += _fit_profile(cases, fit.best, ranges, profile_points, runs, seed, where)
    return lines


def profile_paths(checkpoint: Path) -> tuple[Path, Path]:
    """calibrate's profile files, beside its checkpoint (`fit.evaluations.jsonl` ->
    `fit.profile.csv`, `fit.profile.png`)."""
    stem = Path(checkpoint).name.removesuffix(EVALUATIONS)
    return (Path(checkpoint).with_name(stem + ".profile.csv"),
            Path(checkpoint).with_name(stem + ".profile.png"))  # fmt: skip


def _fit_profile(cases, fitted, ranges, points, runs, seed, files) -> list[str]:
    """Profile a fit on its cases: write the CSV and figure; the console lines."""
    from sim.evaluate.profile import profile
    from sim.report import plots, profiles
    from sim.results.files import csv_text

    names = [c.name for c in cases]
    made = profile(cases, fitted, ranges, points, runs, seed, progress=None)
    csv_file, figure = files
    csv_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(csv_file, csv_text(profiles.COLUMNS, profiles.rows(made, names)))
    title = f"Loss along each parameter, the others at the fit ({', '.join(names)})"
    plots.profile(made, names, figure, title)
    return ["", *profiles.fit_lines(made, names, points), f"profile: {csv_file}, {figure}"]


# --- calibrate's checkpoint ----------------------------------------------------------------

EVALUATIONS = ".evaluations.jsonl"  # calibrate's checkpoint, beside its output


def checkpoint_path(out, settings: dict) -> Path:
    """Where calibrate keeps its evaluations: beside its output (`fit.yaml` ->
    `fit.evaluations.jsonl`); with no output (several cases, printed only) under
    results/calibrate/, named by a digest of the settings, so the same command finds it."""
    if out:
        out = Path(out)
        return out.with_name(out.stem + EVALUATIONS)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    return Path("results") / "calibrate" / f"{digest[:16]}{EVALUATIONS}"


class Kept:
    """calibrate's checkpoint: each evaluation of the search appended as it finishes (the
    file is created at the first one), or, resumed, the evaluations it already holds.

    Called with an Evaluation (an `on_evaluation`), it keeps it."""

    def __init__(self, path: Path, settings: dict, resumed: Checkpoint | None = None):
        self.path, self.settings, self.checkpoint = Path(path), settings, resumed
        self.known = [] if resumed is None else [Evaluation.from_dict(e) for e in resumed.entries]

    def __call__(self, done: Evaluation) -> None:
        if self.checkpoint is None:  # not before: a refused run leaves no checkpoint behind
            self.checkpoint = Checkpoint.create(self.path, self.settings)
        self.checkpoint.append(done.as_dict())

    @property
    def count(self) -> int:
        """How many evaluations the file holds."""
        return 0 if self.checkpoint is None else len(self.checkpoint.entries)


def open_checkpoint(path, inputs, settings, resume: bool, force: bool) -> Kept:
    """calibrate's checkpoint at `path`, checked before any work: with `resume`, the one
    there, if it was written under these settings (else a one-line error naming the file
    and what differs); without, a new one (one there is refused unless `force`)."""
    check_checkpoint(path, inputs, resume, force)
    if not resume:
        return Kept(path, settings)
    try:
        kept = Kept(path, settings, Checkpoint.read(path))
    except (OSError, ValueError):  # DamagedCheckpoint and a bad evaluation are ValueErrors
        msg = "is damaged or no calibrate checkpoint; start anew with --force"
        raise ScenarioError([Problem(f"--resume {path}", None, "", msg)]) from None
    differ = settings_differ(kept.checkpoint.settings, settings)
    if differ:
        msg = (f"holds the evaluations of a calibrate with other settings ({differ}); "
               "start anew with --force, or choose another --out")  # fmt: skip
        raise ScenarioError([Problem(f"--resume {path}", None, "", msg)])
    if kept.checkpoint.torn:
        print(f"{path}: its last line was cut short (interrupted while written) and is "
              "ignored; that evaluation is made again", file=sys.stderr)  # fmt: skip
    print(f"resuming {path}: {kept.count} evaluations done", file=sys.stderr)
    return kept


@contextmanager
def _replaying(kept: Kept | None):
    """Around a resumed search: a checkpoint that is not this search's is one line."""
    try:
        yield
    except ReplayMismatch as exc:
        if kept is None:
            raise
        msg = f"{exc}: it was written by another search (another program?); start anew with --force"
        raise ScenarioError([Problem(f"--resume {kept.path}", None, "", msg)]) from None


# --- crossval ------------------------------------------------------------------------------


def load_cases(texts, overrides) -> tuple[list, list[Path]]:
    """The cases named by `texts` (SCENARIO:RECORD pairs or case list files), loaded, and
    every file they read (list files, scenarios, the bases they extend, records).

    Args:
        texts: the command's case arguments.
        overrides: `--set` texts applied to every scenario.

    Returns:
        (cases, inputs): the loaded cases, and the input files an output must never replace.
    """
    from sim.evaluate.calibrate import Case, case_paths, missing_case_files
    from sim.scenario.loader import extends_chain, record_names

    missing = missing_case_files(texts)  # every one, at its list's line
    if missing:
        raise ScenarioError(missing)
    cases, inputs, seen = [], [Path(t) for t in texts if ":" not in t], {}
    for scenario_path, record_path in case_paths(texts):
        scenario = load_scenario(scenario_path, overrides)
        chain = extends_chain(scenario_path)
        names = record_names(scenario.name, chain)  # as score checks `scenario:`
        cases.append(Case(scenario.name, scenario, load_record(record_path, scenario, names)))
        pair = (Path(scenario_path).resolve(), Path(record_path).resolve())
        if pair in seen:  # it would weigh twice, or be fitted on itself when left out
            msg = f"is given twice (as case {seen[pair] + 1} and case {len(cases)}); give each case once"
            raise ScenarioError([Problem(f"{scenario_path}:{record_path}", None, "", msg)])
        seen[pair] = len(cases) - 1
        inputs += [p for p, _ in chain] + [Path(record_path)]
    return cases, inputs


FOLDS = "folds.json"  # crossval's checkpoint: the settings and each finished fold's values


def fit_settings(cases, inputs, params, budget, runs, seed, prior_weight, overrides,
                 split=None) -> dict:  # fmt: skip
    """What a fit (calibrate's evaluations, crossval's folds) depends on: the cases (names, a
    digest of every file they read, and one of the scenarios as loaded, so defaults and
    member tables count too), the parameters and ranges in order, the search, the seeds,
    the split (one record) and the program's version. A checkpoint is resumed only under
    the same settings."""
    digest = hashlib.sha256()
    for path in inputs:
        digest.update(Path(path).read_bytes())
    loaded = hashlib.sha256("".join(scenario_digest(c.scenario) for c in cases).encode())
    ranges = [[k, lo, hi] for k, (lo, hi) in parse_params(params).items()]
    settings = {"cases": [c.name for c in cases], "inputs_sha256": digest.hexdigest(),
                "scenarios_sha256": loaded.hexdigest(), "params": ranges, "budget": budget,
                "runs": runs, "seed": seed, "prior_weight": prior_weight,
                "set": list(overrides or ()), "version": __version__}  # fmt: skip
    if split is not None:
        settings["split"] = split.isoformat()
    return settings


_CHANGED = {"inputs_sha256": "the scenario, base, record or case list files changed",
            "scenarios_sha256": "the scenarios as loaded changed (defaults or member tables)"}  # fmt: skip


def settings_differ(theirs: dict, ours: dict) -> str:
    """In words, where a checkpoint's settings `theirs` differ from `ours` ('' where none)."""
    keys = [*ours, *(k for k in theirs if k not in ours)]
    differ = [k for k in keys if theirs.get(k) != ours.get(k)]
    if "set" in differ and "scenarios_sha256" in differ:  # the --set changed what was loaded
        differ.remove("scenarios_sha256")
    return ", ".join(_CHANGED.get(k) or f"{_FLAGS.get(k, k)} {_shown(k, theirs.get(k))} there, "
                     f"{_shown(k, ours.get(k))} here" for k in differ)  # fmt: skip


_FLAGS = {"set": "--set", "params": "--params", "budget": "--budget", "runs": "--runs",
          "seed": "--seed", "prior_weight": "--prior-weight", "split": "--split"}  # fmt: skip


def _shown(key: str, value) -> str:
    """A setting as the command line gives it: `noise=0:5 w_ties=0:10`, `none`."""
    if key == "params" and isinstance(value, list):
        try:
            return " ".join(f"{n}={lo:g}:{hi:g}" for n, lo, hi in value) or "none"
        except (TypeError, ValueError):
            return repr(value)
    if isinstance(value, list):
        return " ".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def resumed_folds(out: Path, settings: dict) -> dict[str, dict[str, float]]:
    """The folds already fitted in `out`'s checkpoint, if its settings are these; a one-line
    error naming the settings that differ otherwise."""
    path = Path(out) / FOLDS
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        theirs, fitted = saved["settings"], saved["fitted"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ScenarioError(
            [Problem(f"--resume {out}", None, "", f"{FOLDS} is unreadable; start a new --out")]
        ) from None
    shown = settings_differ(theirs if isinstance(theirs, dict) else {}, settings)
    if shown:
        msg = f"holds a crossval with other settings ({shown}); start a new --out"
        raise ScenarioError([Problem(f"--resume {out}", None, "", msg)])
    return {name: dict(values) for name, values in fitted.items()}


def crossval_command(cases, params, budget, runs, seed, out, prior_weight=0.0, settings=None,
                     known=None, profile_points=0) -> list[str]:  # fmt: skip
    """Leave-one-contest-out on loaded cases (`load_cases`): print and write the table,
    draw the left-out fans. The caller has checked `out` (check_folder). With `settings`,
    each finished fold's values go to `out`/folds.json at once; `known` are folds already
    fitted (`resumed_folds`). With `profile_points`, each fold's fit is profiled on every
    case (profile.csv, plots/profiles.png; kept in folds.json as each is made)."""
    import time

    from sim.evaluate.crossval import COLUMNS, crossval
    from sim.report import plots
    from sim.results.files import csv_text

    ranges = parse_params(params)
    out = Path(out)
    fitted: dict[str, dict[str, float]] = dict(known or {})
    profiles = resumed_profiles(out, profile_points) if known and profile_points else {}
    made = {name: p.as_dict() for name, p in profiles.items()}

    def save():  # the checkpoint, rewritten whole after each fold and each profile
        if settings is not None:
            out.mkdir(parents=True, exist_ok=True)
            kept = {"settings": settings, "fitted": fitted}
            if made:
                kept["profiles"] = {"points": profile_points, "folds": made}
            write_atomic(out / FOLDS, json.dumps(kept))

    def keep(name, values):
        fitted[name] = values
        save()

    def keep_profile(name, profile):
        made[name] = profile.as_dict()
        save()

    began = time.perf_counter()
    result = crossval(cases, ranges, budget, runs, seed, prior_weight=prior_weight,
                      known=known, on_fold=keep, profile_points=profile_points,
                      known_profiles=profiles, on_profile=keep_profile)  # fmt: skip
    took = time.perf_counter() - began
    (out / "plots").mkdir(parents=True, exist_ok=True)
    rows = result.rows()
    keys = ["case", "forecaster", *COLUMNS, "fitted"]
    table_rows = [["" if r.get(k) is None else r[k] for k in keys] for r in rows]
    write_atomic(out / "crossval.csv", csv_text(keys, table_rows))
    panels = []
    for fold in result.folds:
        forecast, record, world = fold.forecast, fold.case.record, fold.forecast.world
        q = forecast.supporter_quantiles()
        seen = record.appointment
        marks = [(seen.date, f"observed: {seen.winner} {seen.date}")] if seen else []
        observed = [(s.date, s.candidate, s.supporters) for s in record.support]
        panels.append(plots.FanPanel(f"{fold.case.name} (left out)", world.dates,
                                     world.candidates, q, observed, marks,
                                     world.rounds[-1].deadline,
                                     plots.session_marks(world.dates, world.session)))  # fmt: skip
    figure = plots.fan(panels, out / "plots" / "crossval_fans.png", "Left-out cases", shared=False)
    table = [(f"{r['case']}: {r['forecaster']}", "", {k: r[k] for k in COLUMNS if r[k] is not None})
             for r in rows]  # fmt: skip
    profile_lines = _fold_profiles(result, out) if profile_points else []
    lines = [
        f"leave-one-contest-out on {len(cases)} cases, fitting {', '.join(ranges)} "
        f"({budget} evaluations x {runs} replications per fold"
        + (f", prior weight {prior_weight:g}" if prior_weight else "") + f") in {took:.0f} s"
        + (f"; {len(known)} of {len(cases)} folds from {FOLDS}" if known else ""),
        f"mean left-out loss {result.mean_loss():.4f}",
        *scores.table(table, list(COLUMNS)),
        "",
        *[f"{f.case.name}: fitted without it: "
          + ", ".join(f"{k}={v:.4g}" for k, v in f.fitted.items()) for f in result.folds],
        *profile_lines,
        f"table: {out / 'crossval.csv'}",
        f"figure: {figure}",
    ]  # fmt: skip
    if profile_points:
        lines += [f"profiles: {out / 'profile.csv'}, {out / 'plots' / 'profiles.png'}"]
    return lines


def _fold_profiles(result, out: Path) -> list[str]:
    """Write each fold's profile (profile.csv, plots/profiles.png); the console lines."""
    from sim.report import plots, profiles
    from sim.results.files import csv_text

    folds = []
    for fold in result.folds:
        held = fold.case.name
        fitted_on = [f.case.name for f in result.folds if f.case.name != held]
        folds.append((held, fitted_on, fold.profile))
    rows = [row for held, on, p in folds for row in profiles.rows(p, on, held)]
    write_atomic(out / "profile.csv", csv_text(profiles.COLUMNS, rows))
    plots.fold_profiles(folds, out / "plots" / "profiles.png")
    return ["", *profiles.fold_lines(folds)]


def resumed_profiles(out: Path, points: int) -> dict:
    """The fold profiles `out`'s checkpoint holds, case name -> Profile, if they were made
    with `points` points a parameter (else none: they are made again)."""
    from sim.evaluate.profile import Profile

    try:
        kept = json.loads((Path(out) / FOLDS).read_text(encoding="utf-8")).get("profiles")
        if not kept or kept.get("points") != points:
            return {}
        return {str(name): Profile.from_dict(p) for name, p in kept["folds"].items()}
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return {}  # unreadable: resumed_folds has said so already, or they are made again


SPREAD = ("p_observed", "brier", "date_error_days", "date_in_90", "loss")


def seed_spread(out: Path, seeds: list[int]) -> list[str]:
    """How far a crossval run once per seed (`<out>/seed-<S>/crossval.csv`) moves between
    the seeds: seeds.csv (seed, case and the model's left-out scores, with the seed's mean
    left-out loss) and console lines, one per case and score, the seeds side by side.

    Args:
        out: the folder holding each seed's crossval.
        seeds: the seeds, in the order they ran.

    Returns:
        The console lines.
    """
    import csv
    import io

    from sim.report.scores import MODEL
    from sim.results.files import csv_text

    rows, by_case = [], {}
    for seed in seeds:
        text = (out / f"seed-{seed}" / "crossval.csv").read_text(encoding="utf-8")
        model = [r for r in csv.DictReader(io.StringIO(text)) if r["forecaster"] == MODEL]
        mean = sum(float(r["loss"]) for r in model) / len(model)
        for r in model:
            rows.append([seed, r["case"], *(r[k] for k in SPREAD), f"{mean:.6g}"])
            by_case.setdefault(r["case"], {})[seed] = r
        by_case.setdefault("", {})[seed] = {"loss": mean}
    write_atomic(out / "seeds.csv", csv_text(["seed", "case", *SPREAD, "mean_left_out_loss"], rows))

    def cell(value) -> str:
        return "-" if value in (None, "") else f"{float(value):.3g}"

    head = f"across {len(seeds)} seeds ({', '.join(map(str, seeds))}), the model left out:"
    lines = [head, "  mean left-out loss".ljust(40) + "".join(cell(by_case[""][s]["loss"]).rjust(9)
                                                               for s in seeds)]  # fmt: skip
    for case, per_seed in by_case.items():
        if not case:
            continue
        for k in SPREAD:
            values = "".join(cell(per_seed[s][k]).rjust(9) for s in seeds)
            lines.append(f"  {case} {k}".ljust(40) + values)
    lines.append(f"seeds table: {out / 'seeds.csv'}")
    return lines
