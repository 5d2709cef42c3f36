"""The pieces of `make run` (see scripts/run.py)."""
