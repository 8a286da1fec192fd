"""Console tables show every header whole: nothing is cut to fit a column."""

from sim.report.console import table, wrap

KEYS = ["brier", "log_score", "date_error_days", "declaration_rank_rho", "holdout_hit_rate"]


def headers_read_back(lines: list[str], depth: int, row: list[str]) -> list[str]:
    """Each right-aligned column's header, read off the header lines above its data cell."""
    out, last_end = [], len(row[0])
    for cell in row[1:]:
        end = lines[depth].index(cell, last_end) + len(cell)
        out.append("".join(line[last_end + 2 : end].strip() for line in lines[:depth]))
        last_end = end
    return out


def test_every_header_survives_whole():
    rows = [["agent-based model", "0.001", "-0.0005", "-97", "0.4105", "0.6667"],
            ["uniform", "0.5", "-0.6931", "n/a", "n/a", "n/a"]]  # fmt: skip
    lines = table(["", *KEYS], rows)
    depth = len(lines) - len(rows)
    assert depth == 2  # the long names wrap onto a second line
    assert headers_read_back(lines, depth, rows[0]) == KEYS
    assert max(len(line) for line in lines) < 80  # fits a terminal


def test_the_old_layout_would_fail_this_check():
    old = "".join(k[:14].rjust(15) for k in KEYS)
    assert "declaration_rank_rho" not in old and "declaration_ra" in old


def test_wrap_splits_at_underscores_only():
    assert wrap("declaration_rank_rho", 12) == ["declaration_", "rank_rho"]
    assert wrap("brier", 12) == ["brier"]
    assert wrap("holdout_hit_rate", 12) == ["holdout_hit_", "rate"]
    assert wrap("averyveryverylongword", 5) == ["averyveryverylongword"]


def test_a_wide_cell_widens_its_column_and_short_tables_stay_one_line():
    lines = table(["", "loss"], [["x", "123456789012345"]])
    assert lines == ["   " + "loss".rjust(15), "x  123456789012345"]
