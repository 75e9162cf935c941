"""Lottery fixtures, shared by every lottery test (services, console, public pages).

- `lottery_project`: `LotteryProject` (tests.lottery.factories) — project, communities C1/C2,
  groups G11/G12/G21/G22, 12 approved households with locked demands, estate E1 with 24
  tiered apartments of types T60/T90/T120.
- `operator`, `other_operator`, `other_notary`: users with those roles.
- `open_session`: a binding direct-mode session just created (committed) by the leader.
- `drawing_session`: the same, confirmed and its entropy entered by `notary`.
- `signed_session`: drawn completely by `operator` and signed off by `notary`.
- `choose_session`: an order-then-choose session in drawing status (nothing drawn yet).
"""

from __future__ import annotations

import pytest

from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from tests.factories import make_user
from tests.lottery.factories import (
    build_lottery_project,
    clear_lottery_before_flush,
    create_session,
    start_drawing,
)


@pytest.fixture
def operator(roles):
    return make_user("operator_zhou", "operator", first_name="周操作")


@pytest.fixture
def other_operator(roles):
    return make_user("operator_wu", "operator", first_name="吴操作")


@pytest.fixture
def other_notary(roles):
    return make_user("notary_qian", "notary")


@pytest.fixture
def lottery_project(clerk):
    return build_lottery_project(clerk)


@pytest.fixture
def open_session(lottery_project, leader):
    return create_session(lottery_project, leader)


@pytest.fixture
def drawing_session(open_session, notary):
    return start_drawing(open_session, notary)


@pytest.fixture
def signed_session(drawing_session, operator, notary):
    lottery_draw_remaining(actor=operator, session=drawing_session)
    return lottery_session_sign_off(
        actor=notary, session=drawing_session, witnesses="村民代表 王某、李某"
    )


@pytest.fixture
def choose_session(lottery_project, leader, notary):
    return start_drawing(create_session(lottery_project, leader, code="S2", mode="choose"), notary)


@pytest.fixture
def lottery_flushable():
    """For `django_db(transaction=True)` tests that sign sessions: on SQLite the closing
    flush would hit the signed-session triggers; this clears the lottery rows first."""
    yield
    clear_lottery_before_flush()
