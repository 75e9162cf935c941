"""Settlement fixtures, shared by every settlement test (statements, approvals, payments,
handover, pages).

- `settlement_project`: `SettlementProject` — the lottery test project (tests.lottery:
  12 households in groups G11/G12/G21/G22, each with binding apartments from the signed
  session S1) plus the project's price rules (`PRICES`), two over-area bands (`BANDS`: the
  first 10 ㎡ over the entitlement at 4500 元/㎡, beyond at 6000 元/㎡), every household's
  demolished area (`DEMOLISHED_AREA`) and its transition (moved out on `MOVED_OUT_ON`).
  Rows are written with the ORM directly (the services have their own tests).
- `finance_wu`, `finance_zheng`, `finance_feng`, `finance_jiang`: four finance officers
  (enough people for the seven-step chain together with reviewer, leader and `leader2`).
- `leader2`: a second leader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from households.models import Household
from lottery.models import Allocation, LotterySession
from settlement.models import OverAreaBand, PriceRules, Transition
from tests.factories import make_user
from tests.lottery.conftest import (  # noqa: F401 (fixtures used through settlement_project)
    drawing_session,
    lottery_project,
    open_session,
    operator,
    signed_session,
)

# The project's prices (元/㎡, or 元 per person per month for the subsidy).
PRICES = {
    "base_price": Decimal("3000.00"),
    "unused_area_price": Decimal("2000.00"),
    "demolition_price": Decimal("1500.00"),
    "monetised_price": Decimal("5000.00"),
    "tier_a_coefficient": Decimal("1.0200"),
    "tier_b_coefficient": Decimal("1.0100"),
    "tier_c_coefficient": Decimal("0.9800"),
    "subsidy_basis": "persons",
    "subsidy_rate": Decimal("500.00"),
}
# Over-area bands: (up_to ㎡ over the entitlement, price); the last one open-ended.
BANDS = [(Decimal("10.00"), Decimal("4500.00")), (None, Decimal("6000.00"))]
DEMOLISHED_AREA = Decimal("150.00")
MOVED_OUT_ON = dt.date(2025, 11, 20)


@dataclass
class SettlementProject:
    lp: object  # tests.lottery.factories.LotteryProject
    session: LotterySession
    price_rules: PriceRules

    @property
    def project(self):
        return self.lp.project

    @property
    def households(self) -> list[Household]:
        return self.lp.households

    @property
    def groups(self):
        return self.lp.groups

    def household(self, code: str) -> Household:
        return Household.objects.get(project=self.project, code=code)

    def apartments_of(self, household: Household):
        return [
            a.apartment
            for a in Allocation.objects.filter(household=household, binding=True)
            .select_related("apartment")
            .order_by("apartment__code")
        ]


def set_price_rules(project, actor, *, bands=BANDS, **overrides) -> PriceRules:
    """The project's price rules and bands written directly (replacing any)."""
    values = {**PRICES, **overrides}
    rules, _created = PriceRules.objects.update_or_create(
        project=project, defaults={**values, "updated_by": actor}
    )
    OverAreaBand.objects.filter(project=project).delete()
    for position, (up_to, price) in enumerate(bands, start=1):
        OverAreaBand.objects.create(project=project, position=position, up_to=up_to, price=price)
    return rules


@pytest.fixture
def settlement_project(lottery_project, signed_session, leader, clerk) -> SettlementProject:  # noqa: F811
    lp = lottery_project
    rules = set_price_rules(lp.project, leader)
    Household.objects.filter(project=lp.project).update(demolished_area=DEMOLISHED_AREA)
    for household in lp.households:
        household.demolished_area = DEMOLISHED_AREA
        Transition.objects.create(household=household, moved_out_on=MOVED_OUT_ON, recorded_by=clerk)
    return SettlementProject(lp=lp, session=signed_session, price_rules=rules)


@pytest.fixture
def finance_wu(roles):
    return make_user("finance_wu", "finance", first_name="吴财务")


@pytest.fixture
def finance_zheng(roles):
    return make_user("finance_zheng", "finance", first_name="郑财务")


@pytest.fixture
def finance_feng(roles):
    return make_user("finance_feng", "finance", first_name="冯财务")


@pytest.fixture
def finance_jiang(roles):
    return make_user("finance_jiang", "finance", first_name="蒋财务")


@pytest.fixture
def leader2(roles):
    return make_user("leader_yang", "leader", first_name="杨领导")
