"""seed_demo when an approved household has nobody qualified (population 0, 0.00 ㎡, as
docs/qualification.md allows): it has nothing to choose, the lottery goes ahead without it,
and settlement resettles it with money."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import override_settings

from allocation.models import Demand
from households.models import Household, HouseholdStatus
from lottery.models import LotterySession, SessionStatus
from settlement.models import Outcome, Statement
from tests.households.demo_seeding import demo_settings

# The smallest demo found whose plan approves a household where nobody qualified
# (ZQ-04-001: every member fails a rule). If the plan changes, `get` below says so.
HOUSEHOLDS, SEED = 12, 1


def test_a_household_where_nobody_qualified_is_not_drawn_and_is_paid_instead(db, tmp_path):
    with override_settings(**demo_settings(tmp_path)):
        call_command(
            "seed_demo", "--households", str(HOUSEHOLDS), "--seed", str(SEED), stdout=io.StringIO()
        )

    nobody = Household.objects.get(
        project__code="YH2013", status=HouseholdStatus.APPROVED, resettlement_population=0
    )
    assert nobody.entitlement_area == 0
    assert not Demand.objects.filter(household=nobody).exists()
    session = LotterySession.objects.get(project__code="YH2013", rehearsal=False)
    assert session.status == SessionStatus.SIGNED
    codes = [p["code"] for p in session.participants]
    assert codes and nobody.code not in codes
    assert Statement.objects.get(household=nobody).outcome == Outcome.MONETISED
