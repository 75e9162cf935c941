"""Developers' settlement (开发企业结算): the redeemed purchases not yet settled, through the
chain's paying steps, one person a step."""

from __future__ import annotations

from decimal import Decimal

import pytest

from resettlement.errors import NotAllowed, RuleViolation
from tests.tickets.factories import ticketed
from tickets.models import DeveloperSettlementStatus
from tickets.services import settlements, tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def redeemed(tp, chain, finance_wu):
    first = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    second = ticketed(tp.group, code="H002", net="20000.00", chain=chain, finance=finance_wu)
    for ticket, contract, amount in ((first, "HT-1", "10500.00"), (second, "HT-2", "21000.00")):
        tickets.ticket_purchase(
            actor=finance_wu,
            ticket=ticket,
            listing=tp.listing,
            contract_number=contract,
            amount=amount,
        )
    return tp


def approve_all(settlement, chain):
    for person in chain.people:
        step = settlements.settlement_next_step(settlement)
        if step is None:
            break
        settlements.developer_settlement_approve(
            actor=person, settlement=settlement, expected_position=step.position
        )
    settlement.refresh_from_db()
    return settlement


def test_a_developers_redeemed_purchases_are_settled_after_the_paying_steps(
    redeemed, chain, finance_wu
):
    settlement = settlements.developer_settlement_open(
        actor=finance_wu, project=redeemed.project, developer=redeemed.developer
    )
    assert settlement.total == Decimal("31500.00")
    assert settlement.purchase_count == 2
    assert settlement.status == DeveloperSettlementStatus.APPROVING

    settlement = approve_all(settlement, chain)

    assert settlement.status == DeveloperSettlementStatus.APPROVED
    codes = list(settlement.approvals.values_list("code", flat=True))
    assert "bank_payment" in codes and "collection_receipt" not in codes
    # Nothing is left to settle: a second batch is refused.
    with pytest.raises(RuleViolation) as caught:
        settlements.developer_settlement_open(
            actor=finance_wu, project=redeemed.project, developer=redeemed.developer
        )
    assert caught.value.code == "nothing_to_settle"


def test_one_person_takes_one_step_of_a_developers_settlement(redeemed, chain, finance_wu):
    settlement = settlements.developer_settlement_open(
        actor=finance_wu, project=redeemed.project, developer=redeemed.developer
    )
    settlements.developer_settlement_approve(
        actor=chain.reviewer, settlement=settlement, expected_position=1
    )
    with pytest.raises(NotAllowed):
        settlements.developer_settlement_approve(
            actor=chain.reviewer, settlement=settlement, expected_position=2
        )


def test_a_step_needs_its_role(redeemed, chain, finance_wu):
    settlement = settlements.developer_settlement_open(
        actor=finance_wu, project=redeemed.project, developer=redeemed.developer
    )
    with pytest.raises(NotAllowed) as caught:
        settlements.developer_settlement_approve(
            actor=finance_wu, settlement=settlement, expected_position=1
        )
    assert caught.value.code == "wrong_role"


def test_the_settlement_pages_open_and_approve_a_batch(client, redeemed, chain, finance_wu):
    from django.urls import reverse

    from tests.reauth import recently_authenticated
    from tickets.models import DeveloperSettlement

    client.force_login(finance_wu)
    recently_authenticated(client)
    page = client.get(reverse("tickets:project-settlements", args=[redeemed.project.code]))
    assert "31,500.00" in page.content.decode()
    client.post(
        reverse("tickets:settlement-open", args=[redeemed.project.code]),
        {"developer": redeemed.developer.pk},
    )
    settlement = DeveloperSettlement.objects.get()
    client.force_login(chain.reviewer)
    recently_authenticated(client)
    client.post(
        reverse("tickets:settlement-approve", args=[settlement.pk]), {"expected_position": 1}
    )
    detail = client.get(reverse("tickets:settlement-detail", args=[settlement.pk]))
    assert settlement.approvals.count() == 1
    assert "HT-2" in detail.content.decode()


def test_an_approved_settlement_gives_the_bank_file_paying_the_developer(
    client, redeemed, chain, finance_wu
):
    from django.urls import reverse

    from settlement.bank import BATCH_HEADERS

    settlement = settlements.developer_settlement_open(
        actor=finance_wu, project=redeemed.project, developer=redeemed.developer
    )
    client.force_login(finance_wu)
    url = reverse("tickets:settlement-bank", args=[settlement.pk, "csv"])
    assert client.get(url).status_code == 404  # not approved yet
    approve_all(settlement, chain)

    response = client.get(url)
    # It carries full account numbers: no cache may keep it.
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("attachment")
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    header, row = text.strip().splitlines()
    assert header.split(",") == list(BATCH_HEADERS)
    cells = row.split(",")
    assert cells[1:6] == [
        settlement.number,
        redeemed.developer.name,
        redeemed.developer.bank_name,
        redeemed.developer.bank_account,
        "31500.00",
    ]
    xlsx = client.get(reverse("tickets:settlement-bank", args=[settlement.pk, "xlsx"]))
    assert b"".join(xlsx.streaming_content).startswith(b"PK")
    # The reviewer approves steps but is no finance officer: no account numbers for them.
    client.force_login(chain.reviewer)
    assert client.get(url).status_code == 403
