"""Lottery fixtures used only by the lottery tests (the shared ones, `lottery_project` and
its sessions, are in tests/lottery/fixtures.py; the people in tests/people.py).

- `choose_session`: an order-then-choose session in drawing status (nothing drawn yet).
- `lottery_flushable`: lets a transactional test that signs sessions flush on SQLite.
"""

from __future__ import annotations

import pytest

from tests.lottery.factories import clear_lottery_before_flush, create_session, start_drawing


@pytest.fixture
def choose_session(lottery_project, leader, notary):
    return start_drawing(create_session(lottery_project, leader, code="S2", mode="choose"), notary)


@pytest.fixture
def lottery_flushable():
    """For `django_db(transaction=True)` tests that sign sessions: on SQLite the closing
    flush would hit the signed-session triggers; this clears the lottery rows first."""
    yield
    clear_lottery_before_flush()
