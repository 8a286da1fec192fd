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


def test_a_table_too_wide_for_a_terminal_is_turned_so_every_name_shows():
    from sim.report.scores import table as score_table

    model = dict.fromkeys(KEYS, 0.1234)
    rows = [("agent-based model", "", model), ("compromise", "", {"brier": 0.17}),
            ("major powers", "", {"brier": 0.0}), ("uniform", "", {"brier": 0.5})]  # fmt: skip
    keys = [*KEYS, "p_observed", "date_in_50", "date_in_90", "support_rmse"]
    lines = score_table(rows, keys)
    assert max(len(line) for line in lines) <= 100
    for k in keys:  # a row per score, each name whole at the start of its line
        assert any(line.startswith(k + " ") for line in lines), k
    assert "major powers" in "\n".join(lines) or "major" in lines[0] + lines[1]


def test_a_narrow_table_keeps_a_column_per_score():
    from sim.report.scores import table as score_table

    lines = score_table([("model", "", {"brier": 0.1, "loss": 0.2})], ["brier", "loss"])
    assert lines[0].split() == ["brier", "loss"] and lines[1].split() == ["model", "0.1", "0.2"]
