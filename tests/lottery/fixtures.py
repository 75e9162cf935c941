"""Lottery fixtures other test directories use too (a pytest plugin registered in
tests/conftest.py; settlement builds on the signed session).

- `lottery_project`: `LotteryProject` (tests.lottery.factories) — project, communities C1/C2,
  groups G11/G12/G21/G22, 12 approved households with locked demands, estate E1 with 24
  tiered apartments of types T60/T90/T120.
- `open_session`: a binding direct-mode session just created (committed) by the leader.
- `drawing_session`: the same, confirmed and its entropy entered by `notary`.
- `signed_session`: drawn completely by `operator` and signed off by `notary`.

The people (`operator`, `notary`, …) are in tests/people.py.
"""

from __future__ import annotations

import pytest

from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from tests.lottery.factories import build_lottery_project, create_session, start_drawing


@pytest.fixture
def lottery_project(clerk):
    return build_lottery_project(clerk)


@pytest.fixture
def open_session(lottery_project, leader):
    return create_session(lottery_project, leader)


@pytest.fixture
def v1_open_session(lottery_project, leader):
    """An rs-lottery-v1 session, as binding sessions were made before v2 (the service's
    `legacy_v1` route, which the form and the API never take): for the tests of v1."""
    return create_session(lottery_project, leader, legacy_v1=True)


@pytest.fixture
def v1_signed_session(v1_open_session, operator, notary):
    session = start_drawing(v1_open_session, notary)
    lottery_draw_remaining(actor=operator, session=session)
    return lottery_session_sign_off(actor=notary, session=session, witnesses="村民代表 王某、李某")


@pytest.fixture
def drawing_session(open_session, notary):
    return start_drawing(open_session, notary)


@pytest.fixture
def signed_session(drawing_session, operator, notary):
    lottery_draw_remaining(actor=operator, session=drawing_session)
    return lottery_session_sign_off(
        actor=notary, session=drawing_session, witnesses="村民代表 王某、李某"
    )
