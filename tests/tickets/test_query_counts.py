"""The ticket lists read their rows in a fixed number of queries, however many tickets and
purchases there are (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.tickets.factories import ticketed
from tickets.selectors.figures import ticket_figures
from tickets.services import tickets

pytestmark = pytest.mark.django_db


def add_ticket(tp, chain, finance, code: str, contract: str) -> None:
    ticket = ticketed(tp.group, code=code, net="30000.00", chain=chain, finance=finance)
    tickets.ticket_purchase(
        actor=finance, ticket=ticket, listing=tp.listing, contract_number=contract, amount="100"
    )


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_the_project_page_and_the_api_list_cost_the_same_for_more_tickets(
    client, tp, chain, finance_wu
):
    add_ticket(tp, chain, finance_wu, "H001", "C1")
    client.force_login(finance_wu)
    page = reverse("tickets:project-tickets", args=[tp.project.code])

    def api():
        return client.get("/api/tickets/tickets/", {"project": tp.project.pk})

    few = (queries(lambda: client.get(page)), queries(api))
    add_ticket(tp, chain, finance_wu, "H002", "C2")
    add_ticket(tp, chain, finance_wu, "H003", "C3")
    assert (queries(lambda: client.get(page)), queries(api)) == few


def test_the_figures_take_five_queries(tp, django_assert_num_queries):
    with django_assert_num_queries(5):
        ticket_figures(tp.project)
