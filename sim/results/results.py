"""`Results`: what a run or a batch produced, in memory, as arrays and as pandas tables.

One object flows from the engine to every consumer: the report, the scores, `compare`,
the interactive page and the command line's summary all read a `Results`, never a CSV
the program has just written. Internally every table is a dict of numpy columns with
members, candidates and rounds as integer codes (cheap to join, store and concatenate);
the public tables are pandas DataFrames with labels and ISO dates, built on first use.

Tables (one row per ...):
- `runs`: replication: run, seed, point, swept values, winner, appointed_round,
  appointed_date, appointed_session, rounds, offers (how many were made), one
  `withdrawn_<candidate>` column per candidate (why it left the race, empty if it stayed),
  error.
- `withdrawals`: replication x withdrawn candidate: run, point, candidate, round, date,
  session, reason (trailing, strategic, eliminated, event).
- `holdouts`: replication x last holdout: run, point, member, rank (1 = the last to
  come round), round it came round (empty if it never did), date.
- `concessions`: replication x offer: run, point, member, candidate (the offering camp),
  round, date.
- `declarations`: replication x member x candidate first declared for: run, point,
  member, candidate, round, date.
- `offers`: replication x offer, in the order made: run, point, round, date, session, by
  (`camp`: the leading camp of `for`, or a broker's id), to (the member), for (the
  candidate), size, objected (`to` objected to `for` when offered), lifted (that objection
  was gone in a later round, `for` still running), backed (`to` backed `for` later).
- `support`: replication x round x candidate, up to the last round any replication of the
  batch played; a replication that ended keeps its final position (`ended` is true on
  those rows), so a plain groupby by date gives the fan chart's numbers. `session` and
  `session_kind` name the meeting held in that round (empty for a plain weekly round).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.history import History
from sim.engine.holdouts import holdout_order
from sim.engine.rules import (
    LEADING_CAMP,
    NEVER,
    NOT_APPOINTED,
    UNDECIDED,
    WITHDRAWAL_REASONS,
)
from sim.results.files import npz_bytes
from sim.results.outcomes import (
    DEADLOCK,
    candidate_index,
    date_median_interval,
    date_quantiles,
    modal_outcome,
    outcome_modes,
    probability_rows,
)

if TYPE_CHECKING:
    import pandas as pd

EVENT_TABLES = ("withdrawals", "concessions", "holdouts", "declarations", "offers")
CUBE = ("supporters", "capability_share", "objectors", "undecided")
# The arrays behind each event table, and their types (a failed chunk gets empty ones).
_EVENT_ARRAYS = {
    "withdrawals": {"run": np.int64, "candidate": np.int32, "round": np.int32,
                    "reason": np.int8},
    "concessions": {"run": np.int64, "member": np.int32, "candidate": np.int32,
                    "round": np.int32},
    "holdouts": {"run": np.int64, "member": np.int32, "rank": np.int32, "round": np.int32},
    "declarations": {"run": np.int64, "member": np.int32, "candidate": np.int32,
                     "round": np.int32},
    "offers": {"run": np.int64, "round": np.int32, "by": np.int16, "to": np.int32,
               "for": np.int32, "size": np.float64, "objected": bool, "lifted": bool,
               "backed": bool},
}  # fmt: skip
REASON_NAMES = {0: "", **WITHDRAWAL_REASONS}  # withdrawal reason code -> its name
CAMP = "camp"  # offers.by for the leading camp (a broker is named by its id)


@dataclass
class Results:
    """Replications of one scenario (and its sweep points): tables, trajectories, metadata.

    Build one with `Results.from_history` (the engine's output), `Results.concat` (chunks of
    a batch) or `Results.load` (a results folder). Read it through the DataFrame properties
    (`runs`, `support`, ...), `probabilities()`, `appointment_dates()` and `supporters()`.
    """

    scenario: str
    members: list[str]
    candidates: list[str]
    dates: dict[int, list[date]]  # point -> date of each round (round 0 = calendar start)
    points: list[dict] = field(default_factory=lambda: [{}])  # swept values of each point
    # point -> per round, the session held in it as (name, kind), or None
    sessions: dict[int, list[tuple[str, str] | None]] = field(default_factory=dict)
    brokers: list[str] = field(default_factory=list)  # ids, in World.brokers order
    swept: list[str] = field(default_factory=list)
    seed: int | None = None
    runs_per_point: int | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)  # runs, one value per row
    events: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    cube: dict[str, np.ndarray] = field(default_factory=dict)  # (R, T+1, C); undecided (R, T+1)
    errors: dict[int, str] = field(default_factory=dict)  # run -> error of a failed replication

    # --- building -------------------------------------------------------------------------

    @classmethod
    def from_history(
        cls,
        history: History,
        runs=None,
        seeds=None,
        point: int = 0,
        *,
        points: list[dict] | None = None,
        swept: list[str] | None = None,
        seed: int | None = None,
        runs_per_point: int | None = None,
        cube: dict[str, np.ndarray] | None = None,
        played: np.ndarray | None = None,
    ) -> Results:
        """The results of the replications in `history`.

        Args:
            history: what the engine recorded (`sim.engine.loop.simulate` or a Mesa model).
            runs: run number of each replication (default 0, 1, ...).
            seeds: seed of each replication (default: unknown, recorded as 0).
            point: the sweep point these replications belong to, or (R,) each one's point
                (the rows of a stacked call, `sim.engine.world.stack_worlds`, point by point).
            points, swept, seed, runs_per_point: the batch's description, if any.
            cube: their support cube, if already counted (`support_cube`).
            played: (R,) the rounds each row's own point's history records, for a stacked
                call (default: every round recorded), so that each point's rows read as
                that point's call alone gives them.

        Returns:
            A `Results` holding every table of these replications.
        """
        world, f = history.world, history.final
        reps = len(f.appointed)
        runs = np.arange(reps, dtype=np.int64) if runs is None else np.asarray(runs, np.int64)
        seeds = np.zeros(reps, np.uint64) if seeds is None else np.asarray(seeds, np.uint64)
        point_of = np.broadcast_to(np.asarray(point, dtype=np.int32), (reps,)).copy()
        # A stacked world has the calendar and sessions of each of its points (`stackable`).
        held = np.unique(point_of).tolist() if np.ndim(point) else [int(point)]
        columns = {
            "run": runs,
            "seed": seeds,
            "point": point_of,
            "winner": f.appointed.astype(np.int16),
            "appointed_round": f.appointed_round.astype(np.int32),
            "rounds": history.last_round.astype(np.int32),
            "offers": f.offers.astype(np.int32),
            "withdrawn_reason": f.withdrawn_reason.astype(np.int8),  # (R, C)
        }
        events = {
            "withdrawals": _found(
                runs, f.withdrawn_round, ("candidate",), {"reason": f.withdrawn_reason}
            ),  # fmt: skip
            "concessions": _found(runs, f.conceded_round, ("member", "candidate")),
            "declarations": _found(runs, f.first_declared, ("member", "candidate")),
            "holdouts": _holdouts(history, runs),
            "offers": _offers(history, runs, played),
        }
        sessions = _sessions(world)
        return cls(
            scenario=world.scenario.name,
            members=list(world.members),
            candidates=list(world.candidates),
            dates={p: list(world.dates) for p in held},
            sessions={p: list(sessions) for p in held},
            brokers=[b.id for b in world.brokers],
            points=points if points is not None else [{}],
            swept=list(swept or []),
            seed=seed,
            runs_per_point=runs_per_point,
            columns=columns,
            events=events,
            cube=_support_cube(history) if cube is None else cube,
        )

    @classmethod
    def failed(cls, world, runs, seeds, point: int, error: str, **describe) -> Results:
        """Rows for replications of `world` that raised `error`: no outcome, trajectories -1.

        `describe` takes the batch's points, swept, seed and runs_per_point."""
        reps, rounds, c = len(runs), world.n_rounds + 1, len(world.candidates)
        return cls(
            scenario=world.scenario.name,
            members=list(world.members),
            candidates=list(world.candidates),
            dates={point: list(world.dates)},
            sessions={point: _sessions(world)},
            brokers=[b.id for b in world.brokers],
            points=describe.get("points") or [{}],
            swept=list(describe.get("swept") or []),
            seed=describe.get("seed"),
            runs_per_point=describe.get("runs_per_point"),
            columns={
                "run": np.asarray(runs, np.int64),
                "seed": np.asarray(seeds, np.uint64),
                "point": np.full(reps, point, dtype=np.int32),
                "winner": np.full(reps, NOT_APPOINTED, dtype=np.int16),
                "appointed_round": np.full(reps, NEVER, dtype=np.int32),
                "rounds": np.full(reps, -1, dtype=np.int32),
                "offers": np.zeros(reps, dtype=np.int32),
                "withdrawn_reason": np.zeros((reps, c), dtype=np.int8),
            },
            events={
                t: {k: np.zeros(0, kind) for k, kind in cols.items()}
                for t, cols in _EVENT_ARRAYS.items()
            },
            cube={
                "supporters": np.full((reps, rounds, c), -1, dtype=np.int16),
                "capability_share": np.full((reps, rounds, c), np.nan),
                "objectors": np.full((reps, rounds, c), -1, dtype=np.int16),
                "undecided": np.full((reps, rounds), -1, dtype=np.int16),
            },
            errors={int(r): error for r in runs},
        )

    @classmethod
    def concat(cls, parts: list[Results]) -> Results:
        """The replications of `parts`, one after the other (trajectories padded to the
        longest calendar, each replication keeping its last position)."""
        first = parts[0]
        dates: dict[int, list[date]] = {}
        sessions: dict[int, list] = {}
        for p in parts:
            dates.update(p.dates)
            sessions.update(p.sessions)
        rounds = max(p.cube["supporters"].shape[1] for p in parts)
        cube = {k: np.concatenate([_pad(p.cube[k], rounds) for p in parts]) for k in CUBE}
        return cls(
            scenario=first.scenario,
            members=first.members,
            candidates=first.candidates,
            dates=dict(sorted(dates.items())),
            sessions=dict(sorted(sessions.items())),
            brokers=first.brokers,
            points=first.points,
            swept=first.swept,
            seed=first.seed,
            runs_per_point=first.runs_per_point,
            columns={k: np.concatenate([p.columns[k] for p in parts]) for k in first.columns},
            events={
                t: {k: np.concatenate([p.events[t][k] for p in parts]) for k in cols}
                for t, cols in first.events.items()
            },
            cube=cube,
            errors={r: e for p in parts for r, e in p.errors.items()},
        )

    # --- sizes and masks ------------------------------------------------------------------

    @property
    def n_runs(self) -> int:
        """Replications held, failed ones included."""
        return len(self.columns["run"])

    @property
    def n_points(self) -> int:
        return len(self.points)

    def ok(self, point: int | None = None) -> np.ndarray:
        """(R,) replications that did not fail (of one point, if given)."""
        mask = self.columns["rounds"] >= 0
        return mask if point is None else mask & (self.columns["point"] == point)

    @property
    def labels(self) -> list[str]:
        """Outcome labels: each candidate, then deadlock."""
        return [*self.candidates, DEADLOCK]

    # --- outcomes -------------------------------------------------------------------------

    def outcome_codes(self) -> np.ndarray:
        """(R,) outcome of each replication: candidate index, len(candidates) for deadlock,
        -1 for a failed replication."""
        winner = self.columns["winner"].astype(np.int32)
        code = np.where(winner == NOT_APPOINTED, len(self.candidates), winner)
        return np.where(self.ok(), code, -1)

    def counts(self) -> np.ndarray:
        """(points, outcomes) replications per point and outcome, failed ones left out."""
        code, point = self.outcome_codes(), self.columns["point"].astype(np.int64)
        k = len(self.labels)
        keep = code >= 0
        flat = point[keep] * k + code[keep]
        return np.bincount(flat, minlength=self.n_points * k).reshape(self.n_points, k)

    def probabilities(self, by_point: bool = False) -> pd.DataFrame:
        """Share of replications ending in each outcome, with 95% Wilson intervals.

        Args:
            by_point: one block of rows per sweep point instead of all points pooled.

        Returns:
            DataFrame with columns point (absent when pooled), outcome, probability, low,
            high, replications (of that outcome), n (replications that did not fail).
        """
        import pandas as pd

        return pd.DataFrame(probability_rows(self.counts(), self.labels, by_point))

    def appointment_days(self, outcome: str | None = None, point: int | None = None) -> np.ndarray:
        """Date ordinals of the appointments (of one candidate, of one point, if given)."""
        code = self.outcome_codes()
        keep = (code >= 0) & (code < len(self.candidates))
        if outcome is not None:
            keep &= code == candidate_index(self.candidates, outcome)
        if point is not None:
            keep &= self.columns["point"] == point
        days = self._round_days()
        at = self.columns["appointed_round"]
        return np.array(
            [days[p][t] for p, t in zip(self.columns["point"][keep], at[keep], strict=True)],
            dtype=np.int64,
        )

    def appointment_dates(
        self, outcome: str | None = None, point: int | None = None
    ) -> list[date] | None:
        """5/25/50/75/95% appointment dates (the project's one quantile rule), or None."""
        return date_quantiles(self.appointment_days(outcome, point))

    def median_appointment_interval(
        self, outcome: str | None = None, point: int | None = None
    ) -> tuple[date, date] | None:
        """The 95% interval of the median appointment date (`outcomes.median_interval`)."""
        return date_median_interval(self.appointment_days(outcome, point))

    def supporters(self, point: int = 0, ok: bool = True) -> np.ndarray:
        """(R, T+1, C) supporters of each candidate by round, replications of one point."""
        keep = self.ok(point) if ok else self.columns["point"] == point
        rounds = len(self.dates[point])
        return self.cube["supporters"][keep, :rounds]

    def trajectory(self, name: str, point: int = 0) -> np.ndarray:
        """Any of supporters, capability_share, objectors, undecided for one point."""
        keep = self.ok(point)
        return self.cube[name][keep, : len(self.dates[point])]

    def modal(self, point: int = 0) -> tuple[str | None, int | None, int, int] | None:
        """The point's most frequent outcome (a winner, or deadlock), then its most frequent
        appointment round: (winner or None, round or None, first run and seed of that
        outcome in that round). Ties go to the one whose first replication came first."""
        picked = modal_outcome(self._modes(point), self.candidates)
        return picked and picked[:4]

    def share_of_modal(self, point: int = 0) -> tuple[float, float]:
        """(the modal outcome's share of the point's replications, its modal round's share
        of that outcome's), as `modal` picks them."""
        picked = modal_outcome(self._modes(point), self.candidates)
        return (0.0, 0.0) if picked is None else picked[4:]

    def _modes(self, point: int) -> dict:
        return outcome_modes(self, self.columns["point"]).get(point, {})

    def _round_days(self) -> dict[int, np.ndarray]:
        return {p: np.array([d.toordinal() for d in ds]) for p, ds in self.dates.items()}

    def _session_labels(self, point: np.ndarray, rounds: np.ndarray) -> tuple[list, list]:
        """Session names and kinds of (point, round) pairs; '' for a plain round or NEVER."""
        names = np.full(len(point), "", dtype=object)
        kinds = np.full(len(point), "", dtype=object)
        point, rounds = np.asarray(point), np.asarray(rounds)
        for p in np.unique(point).tolist():
            held = self.sessions.get(p)
            if not held or not any(held):
                continue
            at = point == p
            # one extra '' at the end: round NEVER (-1) indexes it
            names[at] = np.array([s[0] if s else "" for s in held] + [""], dtype=object)[rounds[at]]
            kinds[at] = np.array([s[1] if s else "" for s in held] + [""], dtype=object)[rounds[at]]
        return names.tolist(), kinds.tolist()

    def offerer_names(self) -> list[str]:
        """offers.by as text, indexed by `by - LEADING_CAMP`: the leading camp,
        then each broker."""
        return [CAMP, *self.brokers]

    def _dates_text(self, point: np.ndarray, rounds: np.ndarray) -> list[str]:
        """ISO dates of (point, round) pairs; '' where the round is NEVER."""
        text = {p: [d.isoformat() for d in ds] for p, ds in self.dates.items()}
        return [
            text[p][t] if t >= 0 else ""
            for p, t in zip(point.tolist(), rounds.tolist(), strict=True)
        ]

    # --- the public tables ----------------------------------------------------------------

    @cached_property
    def runs(self) -> pd.DataFrame:
        """One row per replication (see the module docstring)."""
        import pandas as pd

        c = self.columns
        df = pd.DataFrame({"run": c["run"], "seed": c["seed"], "point": c["point"]})
        values = [self.points[p] for p in c["point"].tolist()]
        for key in self.swept:
            df[key] = [v[key] for v in values]
        winner = c["winner"].astype(np.int64)
        names = np.array([*self.candidates, None], dtype=object)
        df["winner"] = names[np.where(winner == NOT_APPOINTED, len(self.candidates), winner)]
        at = c["appointed_round"]
        df["appointed_round"] = pd.array(np.where(at >= 0, at, 0), dtype="Int64")
        df.loc[at < 0, "appointed_round"] = pd.NA
        dates = self._dates_text(c["point"], at)
        df["appointed_date"] = [d or None for d in dates]
        df["appointed_session"] = [s or None for s in self._session_labels(c["point"], at)[0]]
        failed = c["rounds"] < 0
        df["rounds"] = pd.array(c["rounds"], dtype="Int64")
        df.loc[failed, "rounds"] = pd.NA
        df["offers"] = pd.array(c["offers"], dtype="Int64")
        df.loc[failed, "offers"] = pd.NA
        reasons = np.array([REASON_NAMES[k] or None for k in sorted(REASON_NAMES)], dtype=object)
        for k, cid in enumerate(self.candidates):
            df[f"withdrawn_{cid}"] = reasons[c["withdrawn_reason"][:, k]]
        df["error"] = [self.errors.get(r) for r in c["run"].tolist()]
        return df

    @cached_property
    def withdrawals(self) -> pd.DataFrame:
        """One row per withdrawal."""
        return self._event_frame("withdrawals")

    @cached_property
    def concessions(self) -> pd.DataFrame:
        """One row per concession offered."""
        return self._event_frame("concessions")

    @cached_property
    def declarations(self) -> pd.DataFrame:
        """One row per member x candidate it first declared for."""
        return self._event_frame("declarations")

    @cached_property
    def holdouts(self) -> pd.DataFrame:
        """The last holdouts of each replication with an appointment, rank 1 the very last."""
        return self._event_frame("holdouts")

    @cached_property
    def offers(self) -> pd.DataFrame:
        """One row per offer the engine made: who offered what to whom, and when."""
        return self._event_frame("offers")

    def _event_frame(self, table: str) -> pd.DataFrame:
        """The columns of `table` in the order EVENT_COLUMNS gives (labels, not codes)."""
        import pandas as pd

        cols = self.events[table]
        point = self._point_of(cols["run"])
        rounds = cols["round"]
        members = np.array(self.members, dtype=object)
        candidates = np.array(self.candidates, dtype=object)
        df = pd.DataFrame({"run": cols["run"], "point": point})
        for name in cols:
            if name in ("run", "round"):
                continue
            if name == "member" or name == "to":
                df[name] = members[cols[name]]
            elif name == "candidate" or name == "for":
                df[name] = candidates[cols[name]]
            elif name == "by":
                df[name] = np.array(self.offerer_names(), dtype=object)[cols[name] - LEADING_CAMP]
            elif name == "reason":
                df[name] = [REASON_NAMES[k] for k in cols[name].tolist()]
            else:
                df[name] = cols[name]
        df["round"] = pd.array(np.where(rounds >= 0, rounds, 0), dtype="Int64")
        df.loc[rounds < 0, "round"] = pd.NA
        df["date"] = [d or None for d in self._dates_text(point, rounds)]
        if table in ("withdrawals", "offers"):
            df["session"] = [s or None for s in self._session_labels(point, rounds)[0]]
        from sim.results.tables import EVENT_COLUMNS  # the one column order, for every writer

        return df[EVENT_COLUMNS[table]]

    def _point_of(self, runs: np.ndarray) -> np.ndarray:
        order = np.argsort(self.columns["run"], kind="stable")
        at = np.searchsorted(self.columns["run"][order], runs)
        return self.columns["point"][order][at] if len(runs) else np.zeros(0, np.int32)

    @cached_property
    def support(self) -> pd.DataFrame:
        """One row per replication x round x candidate (see the module docstring)."""
        return self.support_frame()

    def support_frame(self, rounds: int | None = None) -> pd.DataFrame:
        """The support table; `rounds` as for `support_columns` (a chunk's rows, given the
        whole batch's span, are that batch's rows of the chunk's replications)."""
        import pandas as pd

        s = self.support_columns(rounds)
        df = pd.DataFrame({"run": s["run"], "point": s["point"], "round": s["round"]})
        df["date"] = self._dates_text(s["point"], s["round"])
        names, kinds = self._session_labels(s["point"], s["round"])
        df["session"] = [x or None for x in names]  # None on a plain round, as elsewhere
        df["session_kind"] = [x or None for x in kinds]
        df["candidate"] = np.array(self.candidates, dtype=object)[s["candidate"]]
        for k in ("supporters", "capability_share", "objectors", "undecided", "ended"):
            df[k] = s[k]
        return df

    def support_rounds(self) -> int:
        """Rounds support.csv spans: 1 + the last round any replication played."""
        keep = np.flatnonzero(self.ok())
        return int(self.columns["rounds"][keep].max()) + 1 if len(keep) else 0

    def support_columns(self, rounds: int | None = None) -> dict[str, np.ndarray]:
        """support's columns as arrays, rows ordered by run, round, then candidate; failed
        replications left out. `rounds` (default `support_rounds()`) is the span of the
        whole batch when these results are one chunk of it."""
        keep = np.flatnonzero(self.ok())
        c_count = len(self.candidates)
        rounds = self.support_rounds() if rounds is None else rounds
        point = self.columns["point"][keep]
        # Each point has its own calendar; rows stop at its last round.
        limit = np.array([len(self.dates[p]) for p in point.tolist()], dtype=np.int64)
        t = np.arange(rounds)
        live = t[None, :] < np.minimum(limit, rounds)[:, None]  # (R', rounds)
        r_idx, t_idx = np.nonzero(live)
        r_idx, t_idx = np.repeat(r_idx, c_count), np.repeat(t_idx, c_count)
        c_idx = np.tile(np.arange(c_count), len(r_idx) // max(c_count, 1))
        rows = keep[r_idx]
        return {
            "run": self.columns["run"][rows],
            "point": self.columns["point"][rows],
            "round": t_idx,
            "candidate": c_idx,
            "supporters": self.cube["supporters"][rows, t_idx, c_idx],
            "capability_share": np.round(self.cube["capability_share"][rows, t_idx, c_idx], 6),
            "objectors": self.cube["objectors"][rows, t_idx, c_idx],
            "undecided": self.cube["undecided"][rows, t_idx],
            "ended": t_idx > self.columns["rounds"][rows],
        }

    # --- files ----------------------------------------------------------------------------

    def meta(self) -> dict:
        """What `save` writes to results.json: everything but the arrays."""
        return {
            "scenario": self.scenario,
            "members": self.members,
            "candidates": self.candidates,
            "dates": {str(p): [d.isoformat() for d in ds] for p, ds in self.dates.items()},
            "sessions": {
                str(p): [list(x) if x else None for x in ss] for p, ss in self.sessions.items()
            },
            "brokers": self.brokers,
            "points": self.points,
            "swept": self.swept,
            "seed": self.seed,
            "runs_per_point": self.runs_per_point,
            "errors": {str(r): e for r, e in self.errors.items()},
        }

    def to_bytes(self, cube: bool = True, level: int | None = None) -> bytes:
        """Every array and the metadata in one .npz (a zip with a CRC per member).

        Args:
            cube: include the trajectories (a results folder keeps them in trajectories.npz).
            level: zlib level to deflate at, or None to store (fastest).
        """
        arrays = {f"runs.{k}": v for k, v in self.columns.items()}
        for table, cols in self.events.items():
            arrays.update({f"{table}.{k}": v for k, v in cols.items()})
        if cube:
            arrays.update({f"cube.{k}": v for k, v in self.cube.items()})
        arrays["meta"] = np.frombuffer(json.dumps(self.meta()).encode(), dtype=np.uint8)
        return npz_bytes(arrays, level)

    @classmethod
    def from_bytes(cls, data: bytes | Path) -> Results:
        """The inverse of `to_bytes` (from bytes or a file path)."""
        # An open file, not a path: np.load leaves a path's file open when it is no zip.
        source = io.BytesIO(data) if isinstance(data, bytes) else open(data, "rb")  # noqa: SIM115
        with source, np.load(source, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(arrays.pop("meta").tobytes())
        out = cls(
            scenario=meta["scenario"],
            members=meta["members"],
            candidates=meta["candidates"],
            dates={int(p): [date.fromisoformat(d) for d in ds] for p, ds in meta["dates"].items()},
            sessions={
                int(p): [tuple(x) if x else None for x in ss]
                for p, ss in meta.get("sessions", {}).items()
            },
            brokers=meta.get("brokers", []),
            points=meta["points"],
            swept=meta["swept"],
            seed=meta["seed"],
            runs_per_point=meta["runs_per_point"],
            errors={int(r): e for r, e in meta["errors"].items()},
        )
        for key, value in arrays.items():
            table, name = key.split(".", 1)
            if table == "runs":
                out.columns[name] = value
            elif table == "cube":
                out.cube[name] = value
            else:
                out.events.setdefault(table, {})[name] = value
        return out

    def save(self, out: str | Path, format: str = "csv") -> Path:
        """Write the tables (`*.csv.gz`, or `*.parquet` with format="parquet"), the
        trajectories (trajectories.npz) and results.npz, from which `load` reads it back.

        Args:
            out: the results folder (created if missing).
            format: "csv" (gzip-compressed CSV) or "parquet" (needs the `parquet` extra).

        Returns:
            The folder.
        """
        from sim.results.tables import write_tables

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_tables(self, out, format)
        return out

    @classmethod
    def load(cls, out: str | Path) -> Results:
        """The results saved in a folder by `save` (or by a finished batch: one whose
        manifest.json, written last, is there)."""
        out = Path(out)
        if not (out / "results.npz").is_file():
            why = "does not exist" if not out.exists() else "holds no results.npz"
            raise FileNotFoundError(f"{out}: {why}: not the folder of a finished run or batch "
                                    "(an unfinished batch: coalition-sim batch ... --resume)")  # fmt: skip
        if (out / "batch.json").is_file() and not (out / "manifest.json").is_file():
            raise FileNotFoundError(f"{out}: an unfinished batch (no manifest.json yet: stopped "
                                    "before its report and figures were all written); finish it "
                                    f"with the same command and --resume --out {out}")  # fmt: skip
        results = cls.from_bytes(out / "results.npz")
        with open(out / "trajectories.npz", "rb") as fh, np.load(fh, allow_pickle=False) as z:
            results.cube = {k: z[k] for k in CUBE}
        return results


def _found(runs: np.ndarray, marks: np.ndarray, names: tuple[str, ...],
           values: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Columns of the events marked in `marks` ((R, ...) rounds, NEVER where none), ordered
    by replication, then round, then index; `values` (name -> array shaped like `marks`)
    adds a column of the value at each event."""
    found = np.argwhere(marks != NEVER)
    when = marks[tuple(found.T)] if len(found) else np.zeros(0, np.int32)
    order = np.lexsort((when, found[:, 0])) if len(found) else np.zeros(0, np.int64)
    found, when = found[order], when[order]
    cols = {"run": runs[found[:, 0]] if len(found) else np.zeros(0, np.int64)}
    for k, name in enumerate(names, start=1):
        cols[name] = found[:, k].astype(np.int32) if len(found) else np.zeros(0, np.int32)
    cols["round"] = when.astype(np.int32)
    for name, array in (values or {}).items():
        cols[name] = array[tuple(found.T)] if len(found) else np.zeros(0, array.dtype)
    return cols


def _sessions(world) -> list[tuple[str, str] | None]:
    """Per round, the session held in it as (name, kind), or None."""
    return [(s.name, s.kind) if s is not None else None for s in world.session]


def _offers(history: History, runs: np.ndarray, rows_played=None) -> dict[str, np.ndarray]:
    """Every logged offer, by replication then in the order made, with what came of it:
    whether `to` objected to `for` when offered, whether that objection was gone in a later
    round with `for` still running, and whether `to` backed `for` in a later round (later:
    among the rounds recorded, or each row's own `rows_played`)."""
    f = history.final
    made = np.arange(f.offer_round.shape[1])[None, :] < f.offers[:, None]  # (R, M)
    r, k = np.nonzero(made)  # row-major: by replication, then log order
    t = f.offer_round[r, k].astype(np.int64)
    i, c = f.offer_to[r, k].astype(np.int64), f.offer_for[r, k].astype(np.int64)
    played = len(history.stance)
    # (played, K) the offer's member and candidate in each round the loop recorded
    objecting = np.stack([o[r, i, c] for o in history.objecting]) if len(r) else None
    running = np.stack([x[r, c] for x in history.in_race]) if len(r) else None
    backs = np.stack([s[r, i] == c for s in history.stance]) if len(r) else None
    if len(r):
        limit = played if rows_played is None else np.asarray(rows_played)[r]
        later = np.arange(played)[:, None] > t[None, :]
        if rows_played is not None:
            later &= np.arange(played)[:, None] < limit[None, :]
        objected = objecting[np.minimum(t, limit - 1), np.arange(len(r))]
        lifted = objected & (later & ~objecting & running).any(axis=0)
        backed = (later & backs).any(axis=0)
    else:
        objected = lifted = backed = np.zeros(0, dtype=bool)
    return {
        "run": runs[r] if len(r) else np.zeros(0, np.int64),
        "round": t.astype(np.int32),
        "by": f.offer_by[r, k].astype(np.int16),
        "to": i.astype(np.int32),
        "for": c.astype(np.int32),
        "size": f.offer_size[r, k].astype(np.float64),
        "objected": objected,
        "lifted": lifted,
        "backed": backed,
    }


def _holdouts(history: History, runs: np.ndarray) -> dict[str, np.ndarray]:
    """The last holdouts (see `sim.engine.holdouts`), rank 1 the last to come round."""
    order = holdout_order(history)  # (R, k) in the order they came round, -1 padded
    f = history.final
    r, j = np.nonzero(order >= 0)
    member = order[r, j]
    shown = (order >= 0).sum(axis=1)
    backs = f.stance[r, member] == f.appointed[r]
    came = np.where(backs, f.since[r, member], NEVER)
    return {
        "run": runs[r],
        "member": member.astype(np.int32),
        "rank": (shown[r] - j).astype(np.int32),
        "round": came.astype(np.int32),
    }


def _support_cube(history: History) -> dict[str, np.ndarray]:
    """Per replication, round and candidate: supporters, capability share, objectors, and
    per round the undecided; a replication's last position carries on after it ended."""
    return support_cube(history, history.world.capability_units)


def support_cube(history: History, units: np.ndarray, played=None) -> dict[str, np.ndarray]:
    """`_support_cube` of a history's replications, each with its own members' weights and
    rounds: for a stacked call's rows, each row as its point's own history gives it.

    Each recorded round is counted once, every candidate in one pass; the rounds after a
    row's history stops repeat its last (sums of whole capability units: exact in any order).

    Args:
        history: what the loop recorded.
        units: (N,) capability units of the members, or (R, N) each row's own.
        played: (R,) the rounds each row's own history records (default: all recorded).

    Returns:
        supporters, capability_share, objectors (R, rounds, C) and undecided (R, rounds).
    """
    world = history.world
    reps, c_count = history.final.stance.shape[0], len(world.candidates)
    rounds, recorded = world.n_rounds + 1, len(history.stance)
    supporters = np.empty((recorded, reps, c_count), dtype=np.int16)
    share = np.empty((recorded, reps, c_count))
    objectors = np.empty((recorded, reps, c_count), dtype=np.int16)
    undecided = np.empty((recorded, reps), dtype=np.int16)
    slots, base = c_count + 1, (c_count + 1) * np.arange(reps)[:, None]  # slot 0: no candidate
    for k in range(recorded):
        stance, objecting = history.stance[k], history.objecting[k]
        active = world.rounds[k].active
        # Each (row, candidate) its own bin: the count of its backers and the sum of their
        # whole capability units (exact in any order), each row with its own weights.
        bins = (base + np.where((stance >= 0) & (stance < c_count), stance + 1, 0)).ravel()
        weight = np.broadcast_to(units * active, stance.shape)
        total = weight.sum(axis=1)
        summed = np.bincount(bins, weight.ravel(), reps * slots).reshape(reps, slots)[:, 1:]
        np.divide(summed, np.where(total > 0, total, 1.0)[:, None], out=share[k])
        supporters[k] = np.bincount(bins, None, reps * slots).reshape(reps, slots)[:, 1:]
        objectors[k] = np.matmul(active.astype(np.int64), objecting)  # (R, C) present objectors
        undecided[k] = ((stance == UNDECIDED) & active).sum(axis=1)
    last = recorded if played is None else np.asarray(played)[:, None]
    at = np.minimum(np.arange(rounds)[None, :], last - 1)  # (1 or R, rounds)
    if played is None:
        at = np.broadcast_to(at, (reps, rounds))
    row = np.arange(reps)[:, None]
    return {"supporters": supporters[at, row], "capability_share": share[at, row],
            "objectors": objectors[at, row], "undecided": undecided[at, row]}  # fmt: skip


def _pad(a: np.ndarray, rounds: int) -> np.ndarray:
    """Extend axis 1 to `rounds` by repeating the last round."""
    if a.shape[1] >= rounds:
        return a
    extra = np.repeat(a[:, -1:], rounds - a.shape[1], axis=1)
    return np.concatenate([a, extra], axis=1)
