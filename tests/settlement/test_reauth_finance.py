"""Approving a statement and recording a payment need the password entered within the last
minutes: on the pages (confirm, come back, submit again) and through the API with a session.
HTTP Basic authentication carries the password on every call, so it always counts."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from rest_framework.test import APIClient

from settlement.models import Payment
from tests.reauth import recently_authenticated
from tests.settlement.factories import approve_through, statement_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def logged_in_long_ago(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_approval_waits_for_the_password_and_then_goes_through(money, chain):
    statement = statement_of(money.owed)
    page = f"/staff/settlement/statements/{statement.pk}/"
    client = logged_in_long_ago(chain.reviewer)

    asked = client.post(
        page + "approve/", {"comment": "协议无误", "expected_position": 1}, follow=True
    )
    assert asked.redirect_chain[-1][0].startswith("/accounts/confirm-password/?next=")
    html = asked.content.decode()
    assert "这一步需要再次确认您的密码" in html and 'id="confirm-password-form"' in html
    assert statement.approvals.count() == 0

    wrong = client.post(asked.redirect_chain[-1][0], {"password": "not it", "next": page})
    assert wrong.status_code == 200 and "密码不正确" in wrong.content.decode()
    assert client.post(
        page + "approve/", {"comment": "协议无误", "expected_position": 1}
    ).url.startswith("/accounts/confirm-password/")

    back = client.post("/accounts/confirm-password/", {"password": PASSWORD, "next": page})
    assert back.status_code == 302 and back.url == page
    done = client.post(
        page + "approve/", {"comment": "协议无误", "expected_position": 1}, follow=True
    )
    assert "协议无误" in done.content.decode()
    assert statement.approvals.count() == 1


def test_a_payment_is_not_recorded_without_a_recent_password(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    page = f"/staff/settlement/statements/{statement.pk}/"
    client = logged_in_long_ago(chain.cashier)
    form = {"amount": "8000.00", "reference": "BANK-9", "idempotency_key": "k-reauth"}
    response = client.post(page + "pay/", form)
    assert response.status_code == 302 and response.url.startswith("/accounts/confirm-password/")
    assert not Payment.objects.exists()
    recently_authenticated(client)
    assert client.post(page + "pay/", form).url == page
    assert Payment.objects.count() == 1


def test_the_api_refuses_a_stale_session_and_says_why(money, chain):
    statement = statement_of(money.owed)
    api = APIClient()
    api.force_login(chain.reviewer)
    url = f"/api/settlement/statements/{statement.pk}/approve/"
    response = api.post(url, {"comment": "好", "expected_position": 1}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
    assert statement.approvals.count() == 0
    paid = api.post(
        f"/api/settlement/statements/{statement.pk}/payments/",
        {"amount": "1.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert paid.status_code == 403 and paid.json()["code"] == "reauthentication_required"


def test_the_api_with_basic_authentication_needs_no_extra_step(money, chain):
    statement = statement_of(money.owed)
    api = APIClient()
    token = base64.b64encode(f"{chain.reviewer.username}:{PASSWORD}".encode()).decode()
    api.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    url = f"/api/settlement/statements/{statement.pk}/approve/"
    response = api.post(url, {"comment": "好", "expected_position": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert statement.approvals.count() == 1
