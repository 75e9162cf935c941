"""The house-ticket pages: the public verification page, the staff pages and forms, the
certificate PDF, the API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from resettlement.masking import Mask, mask
from tests.pdf import pdf_pages, squeezed
from tests.reauth import recently_authenticated
from tests.settlement.factories import make_household
from tests.tickets.factories import approved_statement, ticketed
from tickets.models import HouseTicket, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ticket(tp, chain, finance_wu) -> HouseTicket:
    return ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)


VERIFY = "tickets-public:verify"


def without_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


# -- the public verification page -----------------------------------------------------------


def test_the_number_and_code_show_the_masked_holder_and_the_balance(client, ticket):
    response = client.post(
        reverse(VERIFY), {"number": ticket.number, "code": ticket.verification_code.lower()}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert mask(ticket.holder_name, Mask.NAME) in page
    assert ticket.holder_name not in page
    assert "30,000.00" in page
    assert "有效" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_wrong_code_and_an_unknown_number_get_the_same_answer(client, ticket):
    wrong = client.post(reverse(VERIFY), {"number": ticket.number, "code": "AAAAAAAA"})
    unknown = client.post(reverse(VERIFY), {"number": "FP-X-99999", "code": "AAAAAAAA"})
    assert wrong.status_code == unknown.status_code == 404
    assert 'id="not-found"' in wrong.content.decode()
    # Nothing but the form's token differs: no hint that the number exists.
    assert without_token(wrong) == without_token(unknown)
    assert ticket.holder_name[0] + "*" not in wrong.content.decode()


def test_guessing_codes_is_rate_limited(client, settings, ticket):
    settings.PUBLIC_LOOKUP_RATE = "3/m"
    for _n in range(3):
        client.post(reverse(VERIFY), {"number": ticket.number, "code": "AAAAAAAA"})
    limited = client.post(
        reverse(VERIFY), {"number": ticket.number, "code": ticket.verification_code}
    )
    assert limited.status_code == 429


def test_the_certificates_qr_code_fills_in_the_number(client, ticket):
    response = client.get(reverse(VERIFY), {"number": ticket.number})
    assert response.status_code == 200
    assert f'value="{ticket.number}"' in response.content.decode()


# -- staff pages ----------------------------------------------------------------------------


def test_finance_sees_the_projects_tickets_filtered_by_status(client, tp, ticket, finance_wu):
    client.force_login(finance_wu)
    url = reverse("tickets:project-tickets", args=[tp.project.code])
    page = client.get(url).content.decode()
    assert ticket.number in page
    assert mask(ticket.holder_name, Mask.NAME) in page
    assert ticket.number not in client.get(url, {"status": "expired"}).content.decode()


def test_the_settlement_pages_lead_to_the_tickets(client, tp, finance_wu):
    client.force_login(finance_wu)
    page = client.get(reverse("settlement:project-groups", args=[tp.project.code]))
    assert reverse("tickets:project-tickets", args=[tp.project.code]) in page.content.decode()


def test_finance_issues_a_ticket_from_the_project_page(client, tp, chain, finance_wu):
    household = make_household(tp.group, actor=finance_wu, code="H009")
    statement = approved_statement(household, "20000.00", chain)
    client.force_login(finance_wu)
    recently_authenticated(client)
    page = client.get(reverse("tickets:project-tickets", args=[tp.project.code]))
    assert "H009" in page.content.decode()

    response = client.post(
        reverse("tickets:ticket-issue", args=[tp.project.code]), {"statement": statement.pk}
    )

    ticket = HouseTicket.objects.get(household=household)
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:ticket-detail", args=[ticket.pk])
    assert ticket.face_value == Decimal("20000.00")


def test_a_purchase_form_records_the_purchase_and_a_refusal_is_shown(
    client, tp, ticket, finance_wu
):
    client.force_login(finance_wu)
    recently_authenticated(client)
    url = reverse("tickets:ticket-purchase", args=[ticket.pk])
    client.post(url, {"listing": tp.listing.pk, "contract_number": "HT-1", "amount": "10500.00"})
    refused = client.post(
        url,
        {"listing": tp.listing.pk, "contract_number": "HT-2", "amount": "99999.00"},
        follow=True,
    )
    page = refused.content.decode()
    assert ticket.number in page and "超过房票可用金额" in page
    assert "HT-1" in page
    ticket.refresh_from_db()
    assert ticket.balance == Decimal("20000.00")


def test_transfer_and_buy_back_forms(client, tp, ticket, finance_wu):
    from tests.tickets.test_tickets import STRANGER_ID

    client.force_login(finance_wu)
    recently_authenticated(client)
    client.post(
        reverse("tickets:ticket-transfer", args=[ticket.pk]),
        {"to_name": "钱受让", "to_id_number": STRANGER_ID, "reason": "赠与"},
    )
    client.post(reverse("tickets:ticket-buy-back", args=[ticket.pk]), {"confirm": "on"})
    ticket.refresh_from_db()
    assert (ticket.holder_name, ticket.status) == ("钱受让", TicketStatus.BOUGHT_BACK)


def test_a_get_never_issues(client, tp, chain, finance_wu):
    client.force_login(finance_wu)
    response = client.get(reverse("tickets:ticket-issue", args=[tp.project.code]))
    assert response.status_code == 405


def test_the_listings_show_ticket_and_cash_prices_side_by_side(client, tp, finance_wu):
    client.force_login(finance_wu)
    page = client.get(reverse("tickets:project-listings", args=[tp.project.code])).content
    page = page.decode()
    assert "8,800.00" in page and "8,200.00" in page and "600.00" in page


def test_an_outsider_sees_no_ticket(client, ticket, roles):
    from tests.people import make_user

    client.force_login(make_user("nobody_x"))
    assert client.get(reverse("tickets:ticket-detail", args=[ticket.pk])).status_code == 403


def test_the_certificate_is_a_pdf_with_the_masked_holder(client, ticket, finance_wu):
    client.force_login(finance_wu)
    response = client.get(reverse("tickets:ticket-certificate", args=[ticket.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = squeezed("".join(pdf_pages(response.content)))
    assert ticket.number in text
    assert ticket.verification_code in text
    assert "叁万元整" in text
    assert ticket.holder_name not in text


# -- API ------------------------------------------------------------------------------------


def test_the_api_lists_tickets_and_records_a_purchase(client, tp, ticket, finance_wu):
    client.force_login(finance_wu)
    listed = client.get("/api/tickets/tickets/", {"project": tp.project.pk}).json()
    assert listed["results"][0]["number"] == ticket.number
    assert "verification_code" not in listed["results"][0]

    response = client.post(
        f"/api/tickets/tickets/{ticket.pk}/purchase/",
        {"listing": tp.listing.pk, "contract_number": "API-1", "amount": "10500.00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["balance"] == "20000.00"

    refused = client.post(
        f"/api/tickets/tickets/{ticket.pk}/purchase/",
        {"listing": tp.listing.pk, "contract_number": "API-1", "amount": "10.00"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "contract_repeated"
    assert ticket.number in refused.json()["detail"]


def test_the_api_lists_listings_with_their_price_difference(client, tp, finance_wu):
    client.force_login(finance_wu)
    rows = client.get("/api/tickets/listings/", {"project": tp.project.pk}).json()["results"]
    assert rows[0]["price_difference"] == "600.00"


def test_the_api_issues_a_ticket_and_registers_developers_and_listings(
    client, tp, chain, finance_wu
):
    household = make_household(tp.group, actor=finance_wu, code="H008")
    statement = approved_statement(household, "20000.00", chain)
    client.force_login(finance_wu)

    issued = client.post(
        "/api/tickets/tickets/issue/", {"statement": statement.pk}, content_type="application/json"
    )
    assert issued.status_code == 201, issued.content
    assert issued.json()["face_value"] == "20000.00"

    developer = client.post(
        "/api/tickets/developers/",
        {
            "name": "安庆新城置业有限公司",
            "credit_code": "91330000MA27U8QX43",
            "bank_name": "建设银行",
            "bank_account": "6217000012345678",
        },
        content_type="application/json",
    )
    assert developer.status_code == 201, developer.content
    assert "bank_account" not in developer.json()
    listing = client.post(
        "/api/tickets/listings/",
        {
            "project": tp.project.pk,
            "developer": developer.json()["id"],
            "name": "新城1-1",
            "area": "90.00",
            "ticket_price": "9000.00",
            "cash_price": "8500.00",
            "available": 2,
        },
        content_type="application/json",
    )
    assert listing.status_code == 201, listing.content
    assert listing.json()["price_difference"] == "500.00"


def test_the_api_refuses_a_clerk_issuing_a_ticket(client, tp, chain, finance_wu, clerk):
    household = make_household(tp.group, actor=finance_wu, code="H008")
    statement = approved_statement(household, "20000.00", chain)
    client.force_login(clerk)
    refused = client.post(
        "/api/tickets/tickets/issue/", {"statement": statement.pk}, content_type="application/json"
    )
    assert refused.status_code == 403
