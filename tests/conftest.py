"""Shared test setup: the tests mirror the package (tests/engine/ tests sim/engine/, and so on).

pytest's default import mode puts this folder on `sys.path` (it holds this conftest.py), so
every test imports the shared helpers beside it — `toy`, `hostile`, `folders`, `failing` — by
their plain names.
"""
