"""Performance targets, each measured against a baseline in the same run (`make bench`).

Every module here except `__main__` is a benchmark exposing `run() -> None`, which prints
its figures and, last, its ratio against the target. `python -m bench` runs them all
against a throw-away database (see `bench.__main__`).
"""
