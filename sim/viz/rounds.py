"""What the page shows of the replication being played: the stance grid and the round's news.

Everything is read off the model (its history and world); nothing here decides anything.
"""

from html import escape

import numpy as np

from sim.engine.rules import UNDECIDED
from sim.report.plots import CANDIDATE_COLOURS

UNDECIDED_COLOUR, ABSENT_COLOUR = "#e6e6e6", "#ffffff"


# More candidates than the report's palette holds (WTO 2013 had nine): tab20, so none repeat.
MANY_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8", "#ff9896", "#98df8a", "#c5b0d5",
                "#ffbb78", "#c49c94", "#f7b6d2", "#9edae5", "#dbdb8d", "#393b79"]  # fmt: skip


def colour(c: int, n: int = 0) -> str:
    """The colour of candidate index `c` of `n`: the report's, unless there are too many."""
    palette = CANDIDATE_COLOURS if n <= len(CANDIDATE_COLOURS) else MANY_COLOURS
    return palette[c % len(palette)]


def deadline_rounds(world) -> set[int]:
    """Rounds on or just after a deadline in force (the calendar's, or one moved by an event)."""
    marks = set()
    for deadline in {setup.deadline for setup in world.rounds}:
        after = [t for t, d in enumerate(world.dates) if d >= deadline]
        if after:
            marks.add(after[0])
    return marks


def stance_grid(model) -> str:
    """HTML table: members x rounds played, coloured by stance, objections as a coloured x."""
    world, h = model.world, model.history
    rounds = range(len(h.stance))
    deadlines, cands = deadline_rounds(world), world.candidates
    head = ["<th>member</th>"]
    for t in rounds:
        mark = ""
        if t in deadlines:
            mark = " deadline"
        if world.rounds[t].events:
            mark += " event"
        title = escape(", ".join(world.rounds[t].events) or "")
        label = world.dates[t].strftime("%d %b") + ("<br>deadline" if t in deadlines else "")
        head.append(f'<th class="r{mark}" title="{title}">{label}</th>')
    rows = []
    for i, code in enumerate(world.members):
        cells = [f"<th>{escape(code)}</th>"]
        for t in rounds:
            present = world.rounds[t].active[i]
            s = int(h.stance[t][0, i])
            bg = (
                ABSENT_COLOUR
                if not present
                else (UNDECIDED_COLOUR if s == UNDECIDED else colour(s, len(cands)))
            )
            marks = "".join(
                f'<b style="color:{colour(c, len(cands))}" title="objects to {escape(cands[c])}">&#x2715;</b>'
                for c in np.flatnonzero(h.objecting[t][0, i])
            )
            state = "absent" if not present else ("-" if s == UNDECIDED else cands[s])
            cells.append(f'<td style="background:{bg}" data-s="{escape(state)}">{marks}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    legend = " ".join(
        f'<span style="background:{colour(c, len(cands))}">&nbsp;&nbsp;&nbsp;</span> {escape(cid)}'
        for c, cid in enumerate(cands)
    )
    legend += (f' <span style="background:{UNDECIDED_COLOUR}">&nbsp;&nbsp;&nbsp;</span> undecided'
               " &nbsp; <b>&#x2715;</b> objects to the candidate of its colour")  # fmt: skip
    return (
        "<style>#stance-grid td,#stance-grid th{padding:0 2px;font-size:10px;min-width:14px;"
        "text-align:center;border:1px solid #fff}#stance-grid th.deadline{color:#b00}"
        "#stance-grid th.event{text-decoration:underline dotted}</style>"
        f'<div style="font-size:11px">{legend}</div>'
        f'<table id="stance-grid" data-round="{len(h.stance) - 1}"><tr>{"".join(head)}</tr>'
        + "".join(rows)
        + "</table>"
    )


def round_news(model) -> list[str]:
    """What happened in the round just played: events, declarations, withdrawals, concessions."""
    world, h, t = model.world, model.history, model.round
    f = h.final
    lines = [f"Round {t}, {world.dates[t].isoformat()}"]
    if t == 0:
        lines.append("starting position")
    events = world.rounds[t].events
    if events:
        lines.append("events: " + ", ".join(events))
    if t > 0:
        before, now = h.stance[t - 1][0], h.stance[t][0]
        for i in np.flatnonzero(before != now):
            c = int(now[i])
            to = "undecided" if c == UNDECIDED else f"backs {world.candidates[c]}"
            lines.append(f"{world.members[i]} {to}")
        newly = h.objecting[t][0] & ~h.objecting[t - 1][0]
        lifted = h.objecting[t - 1][0] & ~h.objecting[t][0]
        for i, c in zip(*np.nonzero(newly), strict=True):
            lines.append(f"{world.members[i]} threatens to block {world.candidates[c]}")
        for i, c in zip(*np.nonzero(lifted), strict=True):
            lines.append(f"{world.members[i]} lifts its objection to {world.candidates[c]}")
    for c in np.flatnonzero(f.withdrawn_round[0] == t):
        lines.append(f"{world.candidates[c]} withdraws")
    for i, c in zip(*np.nonzero(f.conceded_round[0] == t), strict=True):
        lines.append(f"concession: {world.candidates[c]}'s camp offers {world.members[i]} "
                     f"{f.concession[0, i, c]:.2f}")  # fmt: skip
    if model.winner is not None:
        lines.append(f"**{model.winner.id} appointed** on {model.date.isoformat()}")
    elif not model.running:
        lines.append("deadlock: no appointment by the last round")
    if len(lines) == 1 + (t == 0):
        lines.append("no change")
    return lines


__all__ = ["colour", "deadline_rounds", "round_news", "stance_grid"]
