"""The second factor (REQUIRE_2FA): a decision that cannot be taken back — here a step of a
statement's fund-approval chain and a payment; the lottery sign-off, publishing and household
approval go through the same check — needs the password and a current one-time code from
the user's authenticator. A stolen password alone decides nothing; a user without an
authenticator enrols one first; the API with HTTP Basic sends the code in `X-OTP`."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from resettlement.models import AuditEntry
from resettlement.reauth import RECENT_SECOND_FACTOR_AT
from tests.people import make_user
from tests.reauth import (
    code_for,
    current_code,
    enrolled,
    recently_authenticated,
    secret_shown,
    signed_secret,
)
from tests.settlement.factories import approve_through, statement_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
CONFIRM = "/accounts/confirm-password/"
ENROL = "/accounts/second-factor/"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.REQUIRE_2FA = True


def page_of(statement) -> str:
    return f"/staff/settlement/statements/{statement.pk}/"


def approve(client, statement, **extra):
    return client.post(
        page_of(statement) + "approve/", {"comment": "协议无误", "expected_position": 1}, **extra
    )


def logged_in(user) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    return client


def test_a_password_just_entered_at_login_is_not_enough(money, chain):
    statement = statement_of(money.owed)
    enrolled(chain.reviewer)
    client = logged_in(chain.reviewer)
    asked = approve(client, statement, follow=True)
    assert asked.redirect_chain[-1][0].startswith(CONFIRM + "?next=")
    html = asked.content.decode()
    assert "这一步需要再次确认您的密码和动态口令" in html
    assert 'name="code"' in html and 'autocomplete="one-time-code"' in html
    assert statement.approvals.count() == 0


@dataclass
class Desk:
    """The reviewer, logged in with the password and holding an authenticator, at a
    statement that waits for the first step of its chain."""

    statement: object
    device: TOTPDevice
    client: Client
    page: str


@pytest.fixture
def desk(money, chain) -> Desk:
    statement = statement_of(money.owed)
    device = enrolled(chain.reviewer)
    return Desk(statement, device, logged_in(chain.reviewer), page_of(statement))


def test_the_password_without_a_valid_code_confirms_nothing(desk):
    statement, device, client, page = desk.statement, desk.device, desk.client, desk.page
    no_code = client.post(CONFIRM, {"password": PASSWORD, "next": page})
    assert no_code.status_code == 200
    wrong = client.post(CONFIRM, {"password": PASSWORD, "code": "000000", "next": page})
    assert wrong.status_code == 200
    assert "动态口令不正确或已使用过" in wrong.content.decode()
    assert RECENT_SECOND_FACTOR_AT not in client.session
    assert approve(client, statement).url.startswith(CONFIRM)
    assert statement.approvals.count() == 0
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1  # wrong codes slow the next tries down


def test_the_password_and_a_current_code_let_the_decision_through(desk):
    statement, device, client, page = desk.statement, desk.device, desk.client, desk.page
    confirmed = client.post(
        CONFIRM, {"password": PASSWORD, "code": current_code(device), "next": page}
    )
    assert confirmed.status_code == 302 and confirmed.url == page
    done = approve(client, statement, follow=True)
    assert "密码和动态口令已确认" in done.content.decode()
    assert statement.approvals.count() == 1


def test_a_wrong_password_does_not_spend_the_code(desk):
    client, page = desk.client, desk.page
    code = current_code(desk.device)
    refused = client.post(CONFIRM, {"password": "not it", "code": code, "next": page})
    assert "密码不正确" in refused.content.decode()
    assert client.post(CONFIRM, {"password": PASSWORD, "code": code, "next": page}).url == page


def test_a_code_is_accepted_once(money, chain):
    statement = statement_of(money.owed)
    device = enrolled(chain.reviewer)
    page = page_of(statement)
    code = current_code(device)
    first = logged_in(chain.reviewer)
    assert first.post(CONFIRM, {"password": PASSWORD, "code": code, "next": page}).url == page
    # Someone who watched it being typed, in another browser, a few seconds later.
    second = logged_in(chain.reviewer)
    replay = second.post(CONFIRM, {"password": PASSWORD, "code": code, "next": page})
    assert replay.status_code == 200 and "已使用过" in replay.content.decode()


def test_the_confirmation_with_the_code_lasts_ten_minutes(money, chain):
    statement = statement_of(money.owed)
    device = enrolled(chain.reviewer)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = logged_in(chain.reviewer)
        client.post(
            CONFIRM, {"password": PASSWORD, "code": current_code(device), "next": "/staff/"}
        )
        clock.shift(dt.timedelta(minutes=11))
        assert approve(client, statement).url.startswith(CONFIRM)
        assert statement.approvals.count() == 0


def test_a_user_without_an_authenticator_is_sent_to_enrol_one(money, chain):
    statement = statement_of(money.owed)
    client = logged_in(chain.reviewer)
    page = page_of(statement)
    sent = client.get(approve(client, statement).url)
    assert sent.status_code == 302 and sent.url.startswith(ENROL + "?next=")
    enrol_page = client.get(sent.url)
    html = enrol_page.content.decode()
    assert 'id="second-factor-qr"' in html and 'src="data:image/png;base64,' in html
    assert TOTPDevice.objects.count() == 0  # showing the page wrote nothing
    secret, signed = secret_shown(html), signed_secret(html)

    enrolled_now = client.post(
        sent.url,
        {"secret": signed, "password": PASSWORD, "code": code_for(secret), "next": page},
    )
    assert enrolled_now.status_code == 302 and enrolled_now.url == page
    device = TOTPDevice.objects.get(user=chain.reviewer)
    assert device.confirmed and device.key == secret
    entry = AuditEntry.objects.get(action="second_factor.enrol")
    assert entry.actor == chain.reviewer
    # Enrolling took the password and a code: the decision goes through at once.
    approve(client, statement)
    assert statement.approvals.count() == 1


def test_enrolling_needs_the_password_and_a_right_code(money, chain):
    client = logged_in(chain.reviewer)
    html = client.get(ENROL).content.decode()
    secret, signed = secret_shown(html), signed_secret(html)
    wrong_password = client.post(
        ENROL, {"secret": signed, "password": "nope", "code": code_for(secret)}
    )
    assert "密码不正确" in wrong_password.content.decode()
    wrong_code = client.post(ENROL, {"secret": signed, "password": PASSWORD, "code": "123"})
    assert "动态口令不正确" in wrong_code.content.decode()
    forged = client.post(
        ENROL, {"secret": "x" + signed, "password": PASSWORD, "code": code_for(secret)}
    )
    assert "绑定页面已过期" in forged.content.decode()
    assert TOTPDevice.objects.count() == 0


def test_an_enrolled_authenticator_cannot_be_replaced_from_the_page(money, chain):
    enrolled(chain.reviewer)
    client = logged_in(chain.reviewer)
    html = client.get(ENROL).content.decode()
    assert 'id="second-factor-enrolled"' in html and "联系系统管理员" in html
    assert 'name="secret"' not in html


def test_an_administrator_removes_a_lost_authenticator_and_it_is_audited(
    money,
    chain,
    admin_user,
):
    enrolled(chain.reviewer)
    call_command("reset_second_factor", chain.reviewer.username, by=admin_user.username)
    assert not TOTPDevice.objects.filter(user=chain.reviewer).exists()
    entry = AuditEntry.objects.get(action="second_factor.reset")
    assert entry.actor == admin_user and entry.object_id == str(chain.reviewer.pk)


# --- the API ---------------------------------------------------------------------------------


def basic(user, **headers) -> APIClient:
    api = APIClient()
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    api.credentials(HTTP_AUTHORIZATION=f"Basic {token}", **headers)
    return api


def test_basic_authentication_needs_a_code_in_the_otp_header(money, chain):
    statement = statement_of(money.owed)
    device = enrolled(chain.reviewer)
    url = f"/api/settlement/statements/{statement.pk}/approve/"
    refused = basic(chain.reviewer).post(
        url, {"comment": "好", "expected_position": 1}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "second_factor_required"
    assert "X-OTP" in refused.json()["detail"]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        wrong = basic(chain.reviewer, HTTP_X_OTP="000000").post(url, {}, format="json")
        assert wrong.status_code == 403
        assert statement.approvals.count() == 0
        clock.shift(dt.timedelta(seconds=2))  # django-otp's wait after one wrong code

        code = current_code(device)
        done = basic(chain.reviewer, HTTP_X_OTP=code).post(
            url, {"comment": "好", "expected_position": 1}, format="json"
        )
    assert done.status_code == 200, done.json()
    assert statement.approvals.count() == 1


def test_a_code_sent_to_the_api_is_spent(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    device = enrolled(chain.cashier)
    url = f"/api/settlement/statements/{statement.pk}/payments/"
    api = basic(chain.cashier, HTTP_X_OTP=current_code(device))
    first = api.post(url, {"amount": "1000.00"}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert first.status_code == 201, first.json()
    again = api.post(url, {"amount": "1000.00"}, format="json", HTTP_IDEMPOTENCY_KEY="p2")
    assert again.status_code == 403 and again.json()["code"] == "second_factor_required"
    assert statement.payments.count() == 1


def test_a_session_needs_the_code_confirmed_recently(money, chain):
    statement = statement_of(money.owed)
    api = APIClient()
    api.force_login(chain.reviewer)
    recently_authenticated(api)  # the password only, as the login page does
    url = f"/api/settlement/statements/{statement.pk}/approve/"
    refused = api.post(url, {"comment": "好", "expected_position": 1}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "reauthentication_required"
    recently_authenticated(api, second_factor=True)
    assert (
        api.post(url, {"comment": "好", "expected_position": 1}, format="json").status_code == 200
    )


def test_a_user_without_an_authenticator_is_told_to_enrol_through_the_api(
    money,
    chain,
):
    statement = statement_of(money.owed)
    url = f"/api/settlement/statements/{statement.pk}/approve/"
    refused = basic(chain.reviewer, HTTP_X_OTP="123456").post(url, {}, format="json")
    assert refused.status_code == 403
    assert "/accounts/second-factor/" in refused.json()["detail"]


# --- on and off --------------------------------------------------------------------------------


def test_without_require_2fa_the_password_alone_confirms(settings, money, chain):
    settings.REQUIRE_2FA = False
    statement = statement_of(money.owed)
    client = Client()
    client.force_login(make_user("solo_reviewer", "reviewer"))
    html = client.get(CONFIRM).content.decode()
    assert 'name="password"' in html and 'name="code"' not in html
    client = logged_in(chain.reviewer)
    approve(client, statement)
    assert statement.approvals.count() == 1


def require_2fa_with(**environment: str) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REQUIRE_2FA"))
    }
    env.update(environment)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.REQUIRE_2FA)",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "resettlement.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_it_is_on_in_production_and_off_in_the_embedded_demo():
    assert require_2fa_with(DJANGO_DEBUG="0") == "True"
    assert require_2fa_with() == "False"  # `make run`: DEBUG on, nothing set
    assert require_2fa_with(DJANGO_DEBUG="0", REQUIRE_2FA="0") == "False"
