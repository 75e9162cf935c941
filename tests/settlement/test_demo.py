"""seed_demo's settlement and handover stage: one villager group approved through the seven
steps by seven people, collected before paid, settled, its keys handed over, and a resident's
defect answered; another group partly through the chain."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings

from households.models import Household, HouseholdStatus, VillagerGroup
from settlement.models import (
    Adjustment,
    Agreement,
    DefectStatus,
    DefectTicket,
    Handover,
    Payment,
    PaymentDirection,
    PriceRules,
    Statement,
    StatementStatus,
    Transition,
)
from settlement.selectors.groups import group_settlement
from tests.households.demo_seeding import demo_settings, seed


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        output = seed()
        yield output
        transaction.set_rollback(True)  # leave the database empty for the next module


@pytest.fixture
def settled_group(demo_output, db) -> VillagerGroup:
    settled = [g for g in VillagerGroup.objects.all() if group_settlement(g).settled]
    assert len(settled) == 1
    return settled[0]


def test_prices_transitions_and_every_approved_household_statement(demo_output, db):
    approved = Household.objects.filter(project__code="YH2013", status=HouseholdStatus.APPROVED)
    assert PriceRules.objects.filter(project__code="YH2013").exists()
    assert Statement.objects.filter(household__in=approved).count() == approved.count() > 0
    moved_out = list(Transition.objects.values_list("moved_out_on", flat=True))
    assert len(moved_out) == approved.count()
    assert any(d.month in (11, 12) for d in moved_out)
    kinds = set(Adjustment.objects.values_list("kind", flat=True))
    assert kinds == {"reward", "deduction"}
    assert all(Adjustment.objects.values_list("reason", flat=True))


def test_one_group_is_settled_through_the_seven_steps_by_seven_people(settled_group):
    summary = group_settlement(settled_group)
    assert len(summary.households) >= 2
    for row in summary.households:
        statement = row.statement
        assert statement.status in (StatementStatus.APPROVED, StatementStatus.SETTLED)
        assert statement.status == StatementStatus.SETTLED
        approvals = list(statement.approvals.order_by("position"))
        assert [a.position for a in approvals] == list(range(1, 8))
        assert len({a.actor_id for a in approvals}) == 7
        assert {a.actor.username for a in approvals} == {
            "reviewer",
            "leader",
            "leader2",
            "finance",
            "finance2",
            "finance3",
            "finance4",
        }


def test_payments_never_exceed_the_net_and_collections_come_first(settled_group):
    payments = Payment.objects.filter(statement__household__group=settled_group)
    assert payments.exists()
    for statement in Statement.objects.filter(household__group=settled_group):
        total = statement.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
        assert total <= abs(statement.net)
        assert total == abs(statement.net)  # settled: in full
        assert all(len(p.idempotency_key) > 0 for p in statement.payments.all())
    collections = payments.filter(direction=PaymentDirection.COLLECT)
    payouts = payments.filter(direction=PaymentDirection.PAY)
    if collections.exists() and payouts.exists():
        assert max(p.pk for p in collections) < min(p.pk for p in payouts)
    for statement in Statement.objects.filter(payments__isnull=False).distinct():
        paid = statement.payments.aggregate(total=Sum("amount"))["total"]
        assert paid <= abs(statement.net)


def test_agreements_signed_and_keys_handed_over(settled_group):
    households = Household.objects.filter(group=settled_group, status=HouseholdStatus.APPROVED)
    for household in households:
        agreement = Agreement.objects.get(household=household)
        assert agreement.signed_on and agreement.signer_name
        handover = Handover.objects.get(household=household)
        assert handover.keys >= 1 and handover.water_reading is not None
        assert handover.electricity_reading is not None and handover.received_by
    assert Handover.objects.filter(
        household__group=settled_group, moved_in_on__isnull=False
    ).exists()


def test_a_resident_reported_defect_was_answered_and_one_is_still_open(settled_group):
    tickets = DefectTicket.objects.filter(household__group=settled_group)
    answered = tickets.get(reported_by_resident=True, status=DefectStatus.ANSWERED)
    assert answered.reported_by is None and answered.answer
    assert answered.answered_by.username == "clerk"
    assert tickets.filter(status=DefectStatus.OPEN, reported_by_resident=True).exists()
    assert tickets.filter(status=DefectStatus.CLOSED, reported_by__username="clerk2").exists()


def test_another_group_waits_mid_chain(demo_output, db):
    approving = Statement.objects.filter(status=StatementStatus.APPROVING)
    assert approving.exists()
    for statement in approving:
        assert 1 <= statement.approvals.count() < 7


def test_the_summary_names_the_settled_group(demo_output, settled_group):
    assert "YH2013 settlement and handover" in demo_output
    assert f"group {settled_group.code}: settled" in demo_output
