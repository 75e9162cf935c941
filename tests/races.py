"""Many callers at the same moment, for the tests of races. They need real concurrent
transactions: PostgreSQL (SQLite serialises every write on one file lock)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection, connections

from resettlement.errors import RuleViolation

# For a module of races: skipped where the race cannot even be set up.
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent row locks need PostgreSQL (set DATABASE_URL); CI runs it there",
)


def at_once(calls: Sequence[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run each call in a thread of its own (so on a database connection of its own), all
    released at the same moment. For each call, in order: ("ok", what it returned), or (the
    code of the RuleViolation it raised, None). Any other exception is an outcome too
    ("error: …"), so what would be a server error shows in the assertion."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any]] = [("not run", None)] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = ("ok", call())
        except RuleViolation as exc:
            outcomes[index] = (exc.code, None)
        except Exception as exc:
            outcomes[index] = (f"error: {type(exc).__name__}: {exc}", None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
