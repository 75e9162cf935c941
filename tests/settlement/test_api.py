"""The settlement API: statements with their lines and approval record, approving the next
step, payments that need an Idempotency-Key, and group settlement summaries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from settlement.models import Payment
from settlement.services import approvals, payments
from tests.reauth import recently_authenticated
from tests.settlement.factories import approve_through, make_household, make_statement, statement_of

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    """Logged in with a session whose password was just checked: approving and paying
    need that (tests/resettlement/test_reauth.py covers the refusal)."""
    client = APIClient()
    client.force_login(user)
    return recently_authenticated(client)


def test_statements_are_listed_and_filtered(money, chain):
    response = client_for(chain.cashier).get(
        "/api/settlement/statements/", {"group": money.group.pk}
    )
    assert response.status_code == 200
    rows = response.json()["results"] if "results" in response.json() else response.json()
    assert [r["household_code"] for r in rows] == ["H001", "H002", "H003"]
    assert rows[0]["net"] == "-20000.00"
    assert rows[0]["status"] == "draft"


def test_the_statement_list_takes_the_same_queries_whatever_its_size(money, chain):
    client = client_for(chain.cashier)
    client.get("/api/settlement/statements/")
    with CaptureQueriesContext(connection) as small:
        client.get("/api/settlement/statements/")
    for n in range(5):
        make_statement(make_household(money.group, actor=chain.reviewer, code=f"X{n}"), "10.00")
    with CaptureQueriesContext(connection) as big:
        client.get("/api/settlement/statements/")
    assert len(big) == len(small)


def test_a_statement_shows_its_lines_approvals_and_next_step(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    body = client_for(chain.cashier).get(f"/api/settlement/statements/{statement.pk}/").json()
    assert [line["label"] for line in body["lines"]] == [
        "被拆迁房屋补偿",
        "扣减:应安置面积内购房款",
    ]
    assert [a["actor"]["username"] for a in body["approvals"]] == ["m_reviewer", "m_leader"]
    assert body["next_step"]["label"] == "办公室主任审核"
    assert body["next_step"]["role"] == "leader"
    assert body["status"] == "approving"


def test_a_statement_reads_in_the_same_queries_whatever_its_record(money, chain):
    plain = approve_through(statement_of(money.owed_too), chain)
    busy = approve_through(statement_of(money.elsewhere), chain, steps=2)
    approvals.statement_send_back(actor=chain.director, statement=busy, reason="面积有误")
    busy = approve_through(busy, chain)
    for key, amount in (("k1", "1000.00"), ("k2", "2000.00")):
        payments.payment_record(
            actor=chain.cashier, statement=busy, amount=amount, idempotency_key=key
        )
    client = client_for(chain.cashier)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/settlement/statements/{plain.pk}/")
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"/api/settlement/statements/{busy.pk}/").json()
    assert len(body["approvals"]) == 7 and len(body["send_backs"]) == 1
    assert len(body["send_backs"][0]["superseded_approvals"]) == 2
    assert len(body["payments"]) == 2 and body["outstanding"] == "5000.00"
    assert len(many) == len(few)


def test_approving_through_the_api(money, chain):
    statement = statement_of(money.owed)
    response = client_for(chain.reviewer).post(
        f"/api/settlement/statements/{statement.pk}/approve/",
        {"comment": "协议无误", "expected_position": 1},
    )
    assert response.status_code == 200
    assert response.json()["approvals"][0]["comment"] == "协议无误"
    step_two = {"expected_position": 2}
    again = client_for(chain.reviewer).post(
        f"/api/settlement/statements/{statement.pk}/approve/", step_two
    )
    assert again.status_code == 403
    assert again.json()["code"] == "wrong_role"  # step 2 is a leader's; separation: test_approvals
    wrong = client_for(chain.cashier).post(
        f"/api/settlement/statements/{statement.pk}/approve/", step_two
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_role"


def test_nobody_outside_the_roles_reads_statements(money, outsider):
    assert client_for(outsider).get("/api/settlement/statements/").status_code == 403
    assert (
        client_for(outsider)
        .get("/api/settlement/groups/", {"project": money.project.pk})
        .status_code
        == 403
    )
    assert APIClient().get("/api/settlement/statements/").status_code in {401, 403}


def test_a_payment_needs_an_idempotency_key(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    url = f"/api/settlement/statements/{statement.pk}/payments/"
    response = client_for(chain.cashier).post(url, {"amount": "8000.00"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert Payment.objects.count() == 0


def test_a_repeated_payment_request_answers_200_with_the_same_payment(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    url = f"/api/settlement/statements/{statement.pk}/payments/"
    client = client_for(chain.cashier)
    data = {"amount": "8000.00", "reference": "BANK-7"}
    first = client.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == 201
    assert first.json()["direction"] == "pay"
    again = client.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Payment.objects.count() == 1
    other = client.post(url, {"amount": "7000.00"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert other.status_code == 400
    assert other.json()["code"] == "idempotency_key_reused"
    detail = client.get(f"/api/settlement/statements/{statement.pk}/").json()
    assert detail["status"] == "settled"
    assert detail["outstanding"] == "0.00"
    assert len(detail["payments"]) == 1


def test_collect_first_over_the_api(money, chain):
    for household in (money.owes, money.owed, money.owed_too):
        approve_through(statement_of(household), chain)
    owed = statement_of(money.owed)
    response = client_for(chain.cashier).post(
        f"/api/settlement/statements/{owed.pk}/payments/",
        {"amount": "30000.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "collect_first"
    assert "H001" in response.json()["detail"]


def test_only_finance_records_payments_over_the_api(money, chain, leader):
    statement = approve_through(statement_of(money.elsewhere), chain)
    response = client_for(leader).post(
        f"/api/settlement/statements/{statement.pk}/payments/",
        {"amount": "1.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 403


def test_group_settlements(money, chain):
    approve_through(statement_of(money.elsewhere), chain)
    client = client_for(chain.cashier)
    client.post(
        f"/api/settlement/statements/{statement_of(money.elsewhere).pk}/payments/",
        {"amount": "8000.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    listing = client.get("/api/settlement/groups/", {"project": money.project.pk}).json()
    assert listing["count"] == 2  # paged like every list of the API
    groups = listing["results"]
    assert [(g["group_code"], g["settled"]) for g in groups] == [("G1", False), ("G2", True)]
    assert groups[1]["totals"]["paid"] == "8000.00"
    assert groups[0]["totals"]["pending"] == 3
    assert groups[0]["totals"]["households"] == 3
    assert "households" not in groups[0]  # a group's households are on its own resource
    one = client.get(f"/api/settlement/groups/{money.group.pk}/").json()
    assert [h["state"] for h in one["households"]] == ["draft"] * 3
    assert client.get("/api/settlement/groups/").status_code == 400
    assert client.get("/api/settlement/groups/999999/").status_code == 404


def test_the_api_approval_names_the_step_and_a_stale_one_is_refused(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=1)
    url = f"/api/settlement/statements/{statement.pk}/approve/"
    shown = client_for(chain.director).get(f"/api/settlement/statements/{statement.pk}/")
    assert shown.json()["next_step"]["position"] == 2
    missing = client_for(chain.director).post(url, {"comment": "同意"}, format="json")
    assert missing.status_code == 400
    assert [e["field"] for e in missing.json()["errors"]] == ["expected_position"]
    assert client_for(chain.leader).post(url, {"expected_position": 2}).status_code == 200
    stale = client_for(chain.director).post(url, {"expected_position": 2}, format="json")
    assert stale.status_code == 400
    body = stale.json()
    assert body["code"] == "approval_step_changed" and "第 3 步" in body["detail"]
    assert body["errors"][0]["field"] == "expected_position"
    assert statement.approvals.count() == 2


def test_the_schema_requires_the_expected_position(money, chain):
    schema = client_for(chain.reviewer).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/settlement/statements/{id}/approve/"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert "expected_position" in component["required"]
    assert "approval_step_changed" in component["properties"]["expected_position"]["description"]
