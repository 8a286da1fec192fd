"""Results: the tables of a run or a batch, and their files."""
