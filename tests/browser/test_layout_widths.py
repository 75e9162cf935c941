"""Layouts at the widths people use: the staff menu on a 1366-pixel office screen, the
public lottery results on a phone."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.browser.login import log_in
from tests.people import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENU_LINES = """() => {
  const links = Array.from(document.querySelectorAll('header.topbar nav a'));
  return new Set(links.map(a => Math.round(a.getBoundingClientRect().top))).size;
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_full_staff_menu_takes_at_most_two_lines_at_1366_pixels(browser, live_server, language):
    make_user("everything", is_superuser=True, is_staff=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    try:
        log_in(page, live_server, "everything")
        links = page.locator("header.topbar nav a").count()
        assert links >= 18  # every entry a superuser sees, 通知书 included
        lines = page.evaluate(MENU_LINES)
        height = page.evaluate("document.querySelector('header.topbar').offsetHeight")
        assert lines <= 2, f"the menu wraps to {lines} lines ({height}px) in {language}"
    finally:
        context.close()


def test_the_lottery_results_on_a_phone_are_two_short_lines_a_household_and_paged(
    phone_page, live_server, signed_session, monkeypatch
):
    from lottery.views import public

    cache.clear()
    monkeypatch.setattr(public, "RESULTS_PAGE_SIZE", 5)
    page = phone_page
    page.goto(f"{live_server.url}/public/lottery/{signed_session.code}/")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 5
    heights = [rows.nth(i).bounding_box()["height"] for i in range(5)]
    # Five labelled lines a household made 500 households a 33,000-pixel page.
    assert sum(heights) / 5 <= 75 and max(heights) <= 100, f"rows of {heights}px on a phone"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert rows.first.locator("td").first.inner_text() == "1"
    # Search by apartment, on the phone.
    apartment = signed_session.bundle["allocation"][0]["apartments"][0]
    page.fill("#results input[name=q]", apartment)
    page.click("#results button[type=submit]")
    page.wait_for_url("**q=*")
    assert rows.count() == 1 and apartment in rows.first.inner_text()
    cache.clear()
