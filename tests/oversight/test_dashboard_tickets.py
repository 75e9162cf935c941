"""The progress dashboard shows a project's house-ticket figures (seed 002: households settled
in cash and by tickets, tickets issued, apartments bought, the amounts) in a card, for a
project with tickets, at the same query cost however many tickets it has."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tickets.factories import developer, listing, ticket_project, ticketed
from tickets.services import tickets

pytestmark = pytest.mark.django_db


def figure(page: str, name: str) -> str:
    start = page.index(f'data-ticket="{name}"')
    return page[page.index(">", start) + 1 : page.index("</dd>", start)]


def dashboard(client, project) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/staff/oversight/", {"project": project.code})
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_project_with_tickets_shows_its_ticket_figures_at_a_flat_cost(
    client, leader, finance_wu, chain
):
    project, group = ticket_project(leader)
    home = listing(finance_wu, developer(finance_wu), project)
    client.force_login(leader)
    _page, no_tickets = dashboard(client, project)
    assert 'id="tickets"' not in _page  # no ticket issued yet: no card

    first = ticketed(group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    tickets.ticket_purchase(
        actor=finance_wu, ticket=first, listing=home, contract_number="C1", amount="10000.00"
    )
    page, one_ticket = dashboard(client, project)
    assert 'id="tickets"' in page
    assert figure(page, "households_by_tickets") == "1"
    assert figure(page, "apartments_bought") == "1"
    assert f"{first.face_value:,.2f}" in figure(page, "face_value_total")

    second = ticketed(group, code="H002", net="20000.00", chain=chain, finance=finance_wu)
    for number in ("C2", "C3"):
        tickets.ticket_purchase(
            actor=finance_wu, ticket=second, listing=home, contract_number=number, amount="5000"
        )
    page, more_tickets = dashboard(client, project)
    assert figure(page, "households_by_tickets") == "2"
    assert figure(page, "apartments_bought") == "3"
    assert "2 张" in figure(page, "tickets_issued")
    assert "20,000.00" in figure(page, "purchases_total")  # 10,000 + 5,000 + 5,000
    face = first.face_value + second.face_value
    assert f"{face:,.2f}" in figure(page, "face_value_total")
    assert no_tickets == one_ticket == more_tickets
