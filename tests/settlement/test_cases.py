"""Each household's stage, derived from the records of every stage
(settlement.selectors.cases, read through households.stages)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from households.models import Household, HouseholdStatus
from households.stages import Stage, stage_of, stages_of
from settlement.models import Agreement, Outcome, StatementStatus
from tests.households.factories import ApprovedHouseholdFactory, VillagerGroupFactory
from tests.people import make_user
from tests.publicity.factories import publish
from tests.settlement.factories import hand_over, make_statement

pytestmark = pytest.mark.django_db


def _sign(household: Household, clerk) -> Agreement:
    return Agreement.objects.create(
        household=household,
        project=household.project,
        number=f"AZ-{household.code}",
        signed_on=dt.date(2026, 1, 5),
        signer_name="王建国",
        recorded_by=clerk,
    )


def _settle(household: Household) -> None:
    household.statement.status = StatementStatus.SETTLED
    household.statement.approved_at = timezone.now()
    household.statement.settled_at = timezone.now()
    household.statement.save()


def test_a_drawn_household_goes_through_signed_settled_handed_over_and_moved_in(
    household, clerk, chain
):
    assert stage_of(household) == Stage.DRAWN
    make_statement(household, "1000.00")
    _sign(household, clerk)
    assert stage_of(Household.objects.get(pk=household.pk)) == Stage.AGREEMENT_SIGNED
    _settle(Household.objects.get(pk=household.pk))
    assert stage_of(household) == Stage.SETTLED
    hand_over(household, clerk)
    assert stage_of(household) == Stage.HANDED_OVER
    household.handover.moved_in_on = dt.date(2026, 2, 1)
    household.handover.save()
    assert stage_of(household) == Stage.MOVED_IN
    assert str(Stage.MOVED_IN.label) == "已入住"


def test_an_approved_household_is_published_once_its_roster_is_out(no_apartment, leader):
    assert stage_of(no_apartment) == Stage.APPROVED
    publish(leader, no_apartment.project, "entitlement")
    assert stage_of(no_apartment) == Stage.PUBLISHED


def test_a_monetised_household_takes_the_monetised_branch(no_apartment, clerk):
    statement = make_statement(no_apartment, "500000.00")
    statement.outcome = Outcome.MONETISED
    statement.save()
    assert stage_of(no_apartment) == Stage.MONETISED
    _sign(no_apartment, clerk)
    assert stage_of(no_apartment) == Stage.AGREEMENT_SIGNED
    _settle(Household.objects.get(pk=no_apartment.pk))
    assert stage_of(no_apartment) == Stage.SETTLED


def test_a_household_sent_back_is_at_its_own_status_whatever_came_later(household):
    Household.objects.filter(pk=household.pk).update(
        status=HouseholdStatus.REGISTERED, approved_by=None, approved_at=None
    )
    household.refresh_from_db()
    assert stage_of(household) == Stage.REGISTERED


@pytest.mark.parametrize("count", [2, 50])
def test_stages_take_one_query_for_any_number_of_households(
    count, clerk, django_assert_num_queries
):
    group = VillagerGroupFactory()
    households = [ApprovedHouseholdFactory(group=group, registered_by=clerk) for _ in range(count)]
    with django_assert_num_queries(1):
        stages = stages_of(households)
    assert set(stages.values()) == {Stage.APPROVED}
    assert len(stages) == count


def test_the_stage_is_shown_on_the_household_handover_and_group_pages(household, clerk, roles):
    client = Client()
    client.force_login(clerk)
    listed = client.get("/staff/households/", {"q": household.code}).content.decode()
    assert 'class="case-stage case-drawn"' in listed and "已摇号" in listed
    detail = client.get(f"/staff/households/{household.pk}/").content.decode()
    assert "已摇号" in detail
    finance = make_user("c_finance", "finance")
    client.force_login(finance)
    handover = client.get(
        "/staff/settlement/handover/", {"project": household.project.code}
    ).content.decode()
    assert 'class="case-stage case-drawn"' in handover
    group = client.get(f"/staff/settlement/groups/{household.group_id}/").content.decode()
    assert 'class="case-stage case-drawn"' in group
