"""The house-ticket stage of the demo (`demo.tickets.seed_tickets`), run after seed_demo."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from demo import households as demo_households
from demo.lottery import hall_users
from demo.tickets import seed_tickets
from households.models import Project
from tests.demo.seeding import demo_settings, seed
from tests.tickets.test_reconciliation import identity_holds
from tickets.models import HouseTicket, TicketStatus
from tickets.selectors.figures import ticket_figures


@pytest.fixture(scope="module")
def demo_tickets(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        seed()
        users = hall_users(demo_households.demo_actors())
        yield seed_tickets(seed=7, users=users)
        transaction.set_rollback(True)


def test_the_demo_issues_uses_transfers_and_expires_tickets(demo_tickets, db):
    summary = demo_tickets
    assert len(summary.issued) >= 2, summary.lines()
    first = HouseTicket.objects.get(number=summary.issued[0])
    second = HouseTicket.objects.get(number=summary.issued[1])
    assert first.transfer_count == 1 and first.purchases.count() == 2
    assert first.status == TicketStatus.VALID and first.balance > 0
    assert second.status == TicketStatus.EXPIRED and second.buy_back.amount_paid > 0
    for ticket in HouseTicket.objects.all():
        identity_holds(ticket)
    figures = ticket_figures(Project.objects.get(code="YH2013"))
    assert figures.tickets_issued == len(summary.issued)
    assert figures.apartments_bought == 3
    assert summary.settlement is not None
