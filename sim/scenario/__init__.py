"""Scenarios: the schema, YAML loading with `extends:` and `--set`, and cross-checks."""
