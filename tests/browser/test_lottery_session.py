"""A whole lottery session in Chromium, three browsers at once: the notary witnesses, the
operator checks a household in and draws every position while the hall's big screen shows
each reveal, the operator's page is reloaded mid-session and carries on from the same
position, the notary signs off, and the public page then offers the bundle."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from households.models import Household
from tests.browser.login import log_in
from tests.lottery.factories import (
    build_lottery_project,
    clear_lottery_before_flush,
    create_session,
)
from tests.people import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def flushable_database():
    yield
    clear_lottery_before_flush()


def new_page(browser, **options):
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_notary_operator_and_big_screen_run_a_whole_session(
    browser, live_server, clerk, leader, notary
):
    operator = make_user("operator_zhou", "operator")
    small = build_lottery_project(clerk, communities=1, groups_per_community=1)
    session = create_session(small, leader, code="2024-01")
    console = f"{live_server.url}/staff/lottery/{session.code}/"
    witness = new_page(browser)
    hall = new_page(browser)
    screen = new_page(browser, viewport={"width": 1280, "height": 720})
    try:
        # The notary compares the hashes and confirms, then types the dice thrown in the hall.
        log_in(witness, live_server, notary.username)
        witness.goto(console)
        assert witness.inner_text("#participants-sha256") == session.participants_sha256
        assert witness.inner_text("#inventory-sha256") == session.inventory_sha256
        witness.click("#confirm-form button")
        witness.wait_for_selector("#entropy-form textarea", state="visible")
        assert "确认" in witness.inner_text("#console-message")
        witness.fill("#entropy-form textarea", "6 3 1 4 4 2")
        witness.click("#entropy-form button")
        # rs-lottery-v2: the page reloads and asks for the public value named at creation,
        # as published; nothing is drawn before it is entered.
        witness.wait_for_selector("#entropy-form", state="detached")
        witness.wait_for_selector("#public-value-form input[name=value]", state="visible")
        # The message survives the reload and names the next step and the value awaited.
        witness.wait_for_selector("#console-message:has-text('下一步')")
        assert "福彩3D" in witness.inner_text("#console-message")
        witness.fill("#public-value-form input[name=value]", "3 8 1")
        witness.click("#public-value-form button")
        witness.wait_for_selector("[data-bind=witness_entropy]:has-text('6 3 1 4 4 2')")
        witness.wait_for_selector("#console-message:has-text('可以开始摇号')")
        assert witness.text_content("#public-value") == "3 8 1"

        # The big screen, read-only, in the hall.
        log_in(screen, live_server, leader.username)
        screen.goto(f"{console}screen/")
        screen.wait_for_selector("#screen .latest.empty")
        assert "摇" in screen.inner_text("#screen .screen-step")

        # The operator checks in one household by its notice code, then draws.
        log_in(hall, live_server, operator.username)
        hall.goto(console)
        present = Household.objects.get(project=small.project, code="H1101")
        hall.fill("#id_credential", present.lookup_code)
        hall.fill("#id_attendee", "王建国")
        hall.check("#id_identity_confirmed")
        hall.click("#check-in-form button")
        hall.wait_for_selector("#check-in-rows tr:has-text('H1101')")

        total = int(hall.inner_text("[data-bind=total]"))
        assert total == 1 + 1 + 3  # the village, the group, three households
        for position in range(1, total + 1):
            if position == 3:
                # A reload mid-session resumes exactly where the session is.
                hall.reload()
                hall.wait_for_selector("#reveal-list li[data-position='2']")
                assert hall.inner_text("[data-bind=position]") == "2"
            button = hall.locator("#draw-form button.draw")
            assert button.inner_text() == f"摇第 {position} 号"
            button.click()
            hall.wait_for_selector(f"#reveal-list li[data-position='{position}']")
            screen.wait_for_selector(f"#screen .latest[data-position='{position}']")
        assert hall.locator("#reveal-list li").count() == total
        assert hall.inner_text("#reveal-list li >> nth=0").startswith(f"#{total}")
        assert hall.locator("#draw-form button.draw").is_disabled()

        # The screen masks names and marks the households drawn by proxy.
        shown = screen.inner_text("#reveal-list")
        assert "代摇" in shown and "*" in shown
        assert screen.locator("#reveal-list .proxy-tag").count() == 2

        # The notary signs off; the page turns into the closed session.
        witness.wait_for_selector("#sign-off-form", state="visible")
        witness.fill("#sign-off-form textarea", "公证员 孙某\n村民代表 王某")
        witness.click("#sign-off-form button")
        witness.wait_for_selector(".badge-status.s-signed")
        session.refresh_from_db()
        assert session.status == "signed"
        screen.wait_for_selector("#screen[data-status='signed']")

        # Anyone may now download the bundle from the public page.
        public = hall.context.new_page()
        public.goto(f"{live_server.url}/public/lottery/{session.code}/")
        link = public.locator("#bundle-link")
        assert link.is_visible()
        with public.expect_download() as download:
            link.click()
        data = Path(download.value.path()).read_bytes()
        assert hashlib.sha256(data).hexdigest() == session.bundle_sha256
    finally:
        for page in (witness, hall, screen):
            page.context.close()
