"""Console tables whose headers are never cut: a long header wraps at `_` onto more lines."""

WIDTH = 12  # a column is at least its widest cell; a longer header wraps to about this


def table(headers: list[str], rows: list[list[str]], width: int = WIDTH) -> list[str]:
    """A plain-text table: the first column left-aligned, the others right-aligned.

    Args:
        headers: one per column (the first may be "").
        rows: cells as strings, as many as headers.
        width: the width a header wraps to (at `_`, keeping it at the end of the line).

    Returns:
        The lines: header lines (bottom-aligned), then one per row, all of one length.
    """
    cols = len(headers)
    wrapped = [wrap(h, max(width, *(len(r[c]) for r in rows))) for c, h in enumerate(headers)]
    widths = [
        max(len(piece) for piece in [*wrapped[c], *(r[c] for r in rows)]) for c in range(cols)
    ]
    depth = max(len(w) for w in wrapped)
    lines = []
    for k in range(depth):
        cells = []
        for c in range(cols):
            pieces = [""] * (depth - len(wrapped[c])) + wrapped[c]
            cells.append(_align(pieces[k], widths[c], c))
        lines.append("  ".join(cells).rstrip())
    for r in rows:
        lines.append("  ".join(_align(cell, widths[c], c) for c, cell in enumerate(r)).rstrip())
    return lines


def wrap(header: str, width: int) -> list[str]:
    """`declaration_rank_rho` at 12 -> [`declaration_`, `rank_rho`]; `major powers` at 8 ->
    [`major`, `powers`]; a word is never split."""
    words, word = [], ""
    for ch in header:
        word += ch
        if ch in "_ ":
            words.append(word)
            word = ""
    words.append(word)
    lines = [""]
    for word in (w for w in words if w):
        if lines[-1] and len(lines[-1].rstrip()) + len(word.rstrip()) > width:
            lines.append("")
        lines[-1] += word
    return [line.rstrip() for line in lines]


def fitted(headers: list[str], rows: list[list[str]], limit: int = 100) -> list[str]:
    """`table`, or the same table turned (columns as rows) when only that fits `limit`."""
    wide = table(headers, rows)
    if max(len(line) for line in wide) <= limit:
        return wide
    turned = table(["", *(r[0] for r in rows)],
                   [[h, *(r[c] for r in rows)] for c, h in enumerate(headers) if c])  # fmt: skip
    return turned if max(len(line) for line in turned) < max(len(line) for line in wide) else wide


def _align(text: str, width: int, column: int) -> str:
    return text.ljust(width) if column == 0 else text.rjust(width)
