"""Settlement fixtures, shared by the settlement tests (statements, approvals, payments,
handover, pages).

- `settlement_project`: `SettlementProject` (tests.settlement.factories) — the lottery test
  project (tests/lottery/fixtures.py: 12 households in groups G11/G12/G21/G22, each with
  binding apartments from the signed session S1) plus the project's price rules (`PRICES`),
  two over-area bands (`BANDS`: the first 10 ㎡ over the entitlement at 4500 元/㎡, beyond
  at 6000 元/㎡), every household's demolished area (`DEMOLISHED_AREA`) and its transition
  (moved out on `MOVED_OUT_ON`). Rows are written with the ORM directly (the services have
  their own tests).
- `household`: household G11-01 of `settlement_project`; `handed_over`: the same with its
  keys handed over; `no_apartment`: an approved household of the project without any
  allocation.

The people (finance officers, `leader2`, `chain`) are in tests/people.py; `money` is in
tests/settlement/fixtures.py (other directories use it too).
"""

from __future__ import annotations

import datetime as dt

import pytest

from households.models import Household
from settlement.models import Transition
from tests.households.factories import ApprovedHouseholdFactory, HeadFactory
from tests.settlement.factories import (
    DEMOLISHED_AREA,
    MOVED_OUT_ON,
    SettlementProject,
    first_household,
    hand_over,
    set_price_rules,
)


@pytest.fixture
def settlement_project(lottery_project, signed_session, leader, clerk) -> SettlementProject:
    lp = lottery_project
    rules = set_price_rules(lp.project, leader)
    Household.objects.filter(project=lp.project).update(demolished_area=DEMOLISHED_AREA)
    for household in lp.households:
        household.demolished_area = DEMOLISHED_AREA
        Transition.objects.create(household=household, moved_out_on=MOVED_OUT_ON, recorded_by=clerk)
    return SettlementProject(lp=lp, session=signed_session, price_rules=rules)


@pytest.fixture
def household(settlement_project) -> Household:
    return first_household(settlement_project)


@pytest.fixture
def handed_over(household, clerk) -> Household:
    hand_over(household, clerk)
    return household


@pytest.fixture
def no_apartment(settlement_project, clerk) -> Household:
    """An approved household of the project that took part in no lottery."""
    other = first_household(settlement_project)
    household = ApprovedHouseholdFactory(
        group=other.group,
        code="G11-99",
        address="",
        registered_by=clerk,
        resettlement_population=2,
        entitlement_area="80.00",
    )
    HeadFactory(household=household, name="赵无房", birth_date=dt.date(1960, 1, 1))
    return household
