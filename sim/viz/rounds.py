"""What the page shows of the replication being played: the stance grid and the round's news.

Everything is read off the model (its history and world); nothing here decides anything.
"""

from html import escape

import numpy as np

from sim.engine.rules import LEADING_CAMP, UNDECIDED
from sim.report.plots import colour  # the report's colours: one candidate, one colour

UNDECIDED_COLOUR, ABSENT_COLOUR = "#e6e6e6", "#ffffff"


def deadline_rounds(world) -> set[int]:
    """Rounds on or just after a deadline in force (the calendar's, or one moved by an event)."""
    marks = set()
    for deadline in {setup.deadline for setup in world.rounds}:
        after = [t for t, d in enumerate(world.dates) if d >= deadline]
        if after:
            marks.add(after[0])
    return marks


def session_rounds(world) -> list[tuple[int, str, str]]:
    """(round, name, kind) of every round that holds a session."""
    return [(t, s.name, s.kind) for t, s in enumerate(world.session) if s is not None]


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
        session = world.rounds[t].session
        if session is not None:
            mark += f" session {session.kind}"
        about = [f"{session.name} ({session.kind} session)"] if session is not None else []
        title = escape(", ".join([*about, *world.rounds[t].events]))
        label = world.dates[t].strftime("%d %b") + ("<br>deadline" if t in deadlines else "")
        if session is not None:  # F: formal session, i: indicative (the name on hover)
            label += "<br>" + ("F" if session.kind == "formal" else "i")
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
    entries = [_swatch(colour(c, len(cands)), escape(cid)) for c, cid in enumerate(cands)]
    entries += [_swatch(UNDECIDED_COLOUR, "undecided"),
                _item("<b>&#x2715;</b> objects to the candidate of its colour")]  # fmt: skip
    if any(world.session):
        entries.append(_item("F/i under a date: a formal/indicative session"))
    legend = "".join(entries)
    return (
        "<style>#stance-grid td,#stance-grid th{padding:0 2px;font-size:10px;min-width:14px;"
        "text-align:center;border:1px solid #fff}#stance-grid th.deadline{color:#b00}"
        "#stance-grid th.session{border-bottom:2px solid #555}"
        "#stance-grid th.indicative{border-bottom:2px dashed #17becf}"
        "#stance-grid th.event{text-decoration:underline dotted}</style>"
        f'<div class="grid-legend" style="font-size:11px;line-height:16px">{legend}</div>'
        f'<table id="stance-grid" data-round="{len(h.stance) - 1}"><tr>{"".join(head)}</tr>'
        + "".join(rows)
        + "</table>"
    )


def round_news(model) -> list[str]:
    """What happened in the round just played: events, declarations, withdrawals, concessions."""
    world, h, t = model.world, model.history, model.round
    f = h.final
    session = world.rounds[t].session
    held = f": {session.name} ({session.kind} session)" if session is not None else ""
    if session is not None and not model.held[t]:
        held += ", not held in this run"
    lines = [f"Round {t}, {world.dates[t].isoformat()}{held}"]
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
    for k in np.flatnonzero(f.offer_round[0, : f.offers[0]] == t):
        i, c, b = int(f.offer_to[0, k]), int(f.offer_for[0, k]), int(f.offer_by[0, k])
        who = world.brokers[b].id if b != LEADING_CAMP else f"{world.candidates[c]}'s camp"
        lines.append(f"concession: {who} offers {world.members[i]} {f.offer_size[0, k]:.2f} "
                     f"for {world.candidates[c]}")  # fmt: skip
    if model.winner is not None:
        lines.append(f"**{model.winner.id} appointed** on {model.date.isoformat()}")
    elif not model.running:
        lines.append("deadlock: no appointment by the last round")
    if len(lines) == 1 + (t == 0):
        lines.append("no change")
    return lines


__all__ = ["colour", "deadline_rounds", "round_news", "session_rounds", "stance_grid"]


def _item(html: str) -> str:
    """One legend entry, kept on one line; entries wrap between each other, not inside."""
    return f'<span style="display:inline-block;white-space:nowrap;margin-right:10px">{html}</span>'


def _swatch(background: str, name: str) -> str:
    """A legend entry: a colour square beside (not over) its name."""
    square = (f'<span style="display:inline-block;width:10px;height:10px;margin-right:4px;'
              f'vertical-align:-1px;border:1px solid #ccc;background:{background}"></span>')  # fmt: skip
    return _item(square + name)
