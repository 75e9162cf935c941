"""Security in a real browser: the pages run under the strict Content-Security-Policy (the
harness fails any test that breaks it), a statement approval asks for the password when
the last one is too old, and the API documentation still loads."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from resettlement.reauth import RECENT_AUTH_AT
from settlement.models import StatementStatus
from tests.browser.login import log_in
from tests.households.factories import member_data
from tests.settlement.factories import approve_through, statement_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def forget_recent_password(page) -> None:
    """As if the officer had logged in hours ago: the session no longer holds a recent
    password check."""
    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=cookie["value"])
    session.pop(RECENT_AUTH_AT)
    session.save()


def test_an_old_login_confirms_the_password_before_approving(
    page,
    live_server,
    money,
    chain,
):
    statement = approve_through(statement_of(money.elsewhere), chain, steps=6)
    log_in(page, live_server, chain.cashier.username)
    forget_recent_password(page)
    detail = f"{live_server.url}/staff/settlement/statements/{statement.pk}/"
    page.goto(detail)
    page.fill("#id_comment", "已拨付")
    page.click("#approve-form button[type=submit]")

    page.wait_for_selector("#confirm-password-form")
    assert "这一步需要再次确认您的密码" in page.inner_text("main")
    page.fill("#confirm-password-form input[name=password]", "wrong password")
    page.click("#confirm-password-form button[type=submit]")
    page.wait_for_selector("text=密码不正确")
    page.fill("#confirm-password-form input[name=password]", "correct horse battery staple")
    page.click("#confirm-password-form button[type=submit]")

    page.wait_for_url(detail)
    assert "密码已确认" in page.inner_text(".messages")
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING  # nothing happened on its own
    page.fill("#id_comment", "已拨付")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("text=结算单审批完毕")
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVED


def test_the_language_menu_and_confirm_dialogs_work_without_inline_handlers(
    page, live_server, clerk, register
):
    household = register(members=[member_data(), member_data("spouse", name="李四", sex="F")])
    log_in(page, live_server, clerk.username)
    detail = f"{live_server.url}/staff/households/{household.pk}/"
    page.goto(detail)
    remove = f"form[action$='/members/{household.members.get(name='李四').pk}/remove/'] button"
    # data-confirm-submit asks first: dismissing keeps the member, accepting removes her.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click(remove)
    assert household.members.filter(name="李四").exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(remove)
    page.wait_for_selector(".messages")
    assert not household.members.filter(name="李四").exists()
    # data-autosubmit: choosing a language switches it at once.
    page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_swagger_ui_loads_under_the_policy(page, live_server, clerk):
    log_in(page, live_server, clerk.username)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Resettlement case management API" in page.inner_text(".swagger-ui .info .title")


def test_the_admin_pages_staff_use_keep_to_the_policy(page, live_server, register, reviewer):
    """The review queue and a member's review page (staff pages), and the admin."""
    household = register()
    member = household.members.get()
    log_in(page, live_server, reviewer.username)
    for path in (
        "/admin/",
        "/staff/review/",
        f"/staff/review/members/{member.pk}/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
    assert page.locator("table.checks").count() == 1
