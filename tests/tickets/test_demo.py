"""The house-ticket project of the demo (`demo.tickets.seed_tickets`, run by seed_demo): the
earlier project YH2011, every household monetised and issued a ticket (seed 002), seeded
once for the class."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from households.models import Household, HouseholdStatus, Project
from settlement.models import Outcome, Statement, StatementStatus
from tests.demo.seeding import demo_settings, seed
from tests.tickets.test_reconciliation import identity_holds
from tickets.models import DeveloperSettlement, HouseTicket, TicketPolicy, TicketStatus
from tickets.selectors.figures import ticket_figures


@pytest.fixture(scope="class")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        output = seed()
        yield output
        transaction.set_rollback(True)  # leave the database empty for the next tests


@pytest.mark.usefixtures("demo_output")
class TestTheDemosTicketProject:
    def test_every_household_of_the_ticket_project_is_monetised_and_holds_a_ticket(self, db):
        project = Project.objects.get(code="YH2011")
        households = Household.objects.filter(project=project)
        assert households.count() >= 2
        assert not households.exclude(status=HouseholdStatus.APPROVED).exists()
        statements = Statement.objects.filter(project=project)
        assert statements.count() == households.count()
        assert not statements.exclude(outcome=Outcome.MONETISED).exists()
        assert HouseTicket.objects.filter(project=project).count() == households.count()
        assert TicketPolicy.objects.get(project=project).validity_months == 6

    def test_one_ticket_is_transferred_and_used_twice_and_one_expires_and_is_bought_back(self, db):
        tickets = HouseTicket.objects.filter(project__code="YH2011").order_by("number")
        first, second = tickets[0], tickets[1]
        assert first.transfer_count == 1 and first.purchases.count() == 2
        assert first.status == TicketStatus.VALID and first.balance > 0
        assert second.status == TicketStatus.EXPIRED and second.buy_back.amount_paid > 0
        for ticket in HouseTicket.objects.all():
            identity_holds(ticket)

    def test_the_dashboard_reproduces_the_ticket_projects_figures(self, db):
        project = Project.objects.get(code="YH2011")
        households = Household.objects.filter(project=project).count()
        figures = ticket_figures(project)
        assert figures.households_by_tickets == figures.tickets_issued == households
        assert figures.households_in_cash == 0
        assert figures.apartments_bought == (4 if households > 2 else 3)
        assert figures.tickets_valid == households - 1
        assert figures.purchases_total > 0 and figures.bought_back_total > 0

    def test_the_main_project_gets_no_tickets_and_keeps_its_one_settled_group(self, db):
        main = Project.objects.get(code="YH2013")
        assert not HouseTicket.objects.filter(project=main).exists()
        settled = Statement.objects.filter(project=main, status=StatementStatus.SETTLED)
        assert settled.values("household__group").distinct().count() == 1

    def test_the_first_developers_purchases_wait_in_a_settlement(self, db, demo_output):
        batch = DeveloperSettlement.objects.get(project__code="YH2011")
        assert batch.developer.name == "杭州余杭城建置业有限公司"
        assert "YH2011 house tickets:" in demo_output
        assert f"developers' settlement {batch.number} waiting for approval" in demo_output
