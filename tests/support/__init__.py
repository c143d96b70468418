"""Helpers the test suites share (pyproject.toml puts tests/ on pytest's pythonpath)."""
