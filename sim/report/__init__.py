"""Reports: figures, report.md, and `explain`."""
