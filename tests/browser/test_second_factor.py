"""The second factor in a real browser: with REQUIRE_2FA on, a leader who has no
authenticator yet is sent from a decision to enrol one (QR code and secret on the page),
confirms it with the password and a code, comes back and signs the decision; the next
confirmation asks for the password and a fresh code."""

from __future__ import annotations

import base64
import datetime as dt
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from settlement.models import StatementApproval
from tests.browser.login import log_in
from tests.browser.test_security import forget_recent_password
from tests.settlement.factories import approve_through, statement_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def code_from_app(secret_base32: str, *, at: float | None = None) -> str:
    """What the leader's authenticator app shows for the secret typed into it."""
    text = secret_base32.replace(" ", "")
    totp = TOTP(base64.b32decode(text + "=" * (-len(text) % 8)))
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def test_a_leader_enrols_an_authenticator_and_signs_an_approval(
    page,
    live_server,
    settings,
    money,
    chain,
):
    settings.REQUIRE_2FA = True
    statement = approve_through(statement_of(money.owed), chain, steps=1)  # waits for a leader
    log_in(page, live_server, chain.leader.username)
    detail = f"{live_server.url}/staff/settlement/statements/{statement.pk}/"
    page.goto(detail)
    page.fill("#id_comment", "同意")
    page.click("#approve-form button[type=submit]")

    # No authenticator yet: the confirm step sends the leader to enrol one.
    page.wait_for_selector("#second-factor-form")
    expect(page.locator("#second-factor-qr")).to_be_visible()
    secret = page.inner_text("#second-factor-secret")
    page.fill("#second-factor-form input[name=password]", PASSWORD)
    page.fill("#second-factor-form input[name=code]", "000000")
    page.click("#second-factor-form button[type=submit]")
    expect(page.locator("#second-factor-form .error")).to_contain_text("动态口令不正确")
    assert not TOTPDevice.objects.exists()
    page.fill("#second-factor-form input[name=password]", PASSWORD)
    page.fill("#second-factor-form input[name=code]", code_from_app(secret))
    page.click("#second-factor-form button[type=submit]")

    page.wait_for_url(detail)
    expect(page.locator(".messages")).to_contain_text("身份验证器已绑定")
    assert TOTPDevice.objects.get(user=chain.leader).confirmed
    assert not StatementApproval.objects.filter(actor=chain.leader).exists()
    page.fill("#id_comment", "同意")
    page.click("#approve-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已完成")
    assert StatementApproval.objects.filter(statement=statement, actor=chain.leader).exists()

    # Later, the confirmation has run out: the password and a fresh code, on one page.
    forget_recent_password(page)
    page.goto(f"{live_server.url}/accounts/confirm-password/?next=/staff/")
    expect(page.locator("#confirm-password-form input[name=code]")).to_be_visible()
    page.fill("#confirm-password-form input[name=password]", PASSWORD)
    later = time.time() + dt.timedelta(seconds=30).total_seconds()  # the app's next code
    page.fill("#confirm-password-form input[name=code]", code_from_app(secret, at=later))
    page.click("#confirm-password-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/")
    expect(page.locator(".messages")).to_contain_text("密码和动态口令已确认")
