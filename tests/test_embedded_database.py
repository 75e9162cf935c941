"""`make run` works on a fresh machine: the embedded SQLite database takes every migration
(SQLite rebuilds a table to add a column, and triggers naming that table must not break it),
and the signed-session and published-snapshot triggers are all there afterwards."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_fresh_sqlite_database_takes_every_migration_with_its_triggers(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(database) as connection:
        triggers = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'lottery_%'"
            )
        }
    # The session's two and three for each of its five child tables (0003).
    assert len(triggers) == 17
    assert {"lottery_session_frozen", "lottery_reveal_frozen_insert"} <= triggers
    with sqlite3.connect(database) as connection:
        publicity = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'publicity_%'"
            )
        }
    # A published snapshot (0002) and its rows (0008) are frozen too.
    assert publicity == {
        "publicity_publication_frozen",
        "publicity_publication_no_delete",
        "publicity_publicationrow_frozen",
        "publicity_publicationrow_no_delete",
    }
