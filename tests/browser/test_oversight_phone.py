"""A leader on a phone opens the progress dashboard and the overdue ledger: both fit a
390-pixel screen, the charts are drawn, and no inline script or style is needed."""

from __future__ import annotations

import os

import pytest

from bench._progress_setup import MONETISED, Spec, build_progress_project
from oversight.services import ledger
from tests.browser.login import log_in
from tests.oversight.test_ledger import ledger_project  # noqa: F401
from tests.publicity.factories import clear_publications_before_flush

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def flushable_database():
    yield
    clear_publications_before_flush()


def assert_fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} scrolls sideways: {width}px on a {viewport}px screen"


def test_a_leader_reads_progress_and_the_ledger_on_a_phone(phone_page, live_server, leader):
    # No drawn households: a signed lottery session cannot be flushed away after the test.
    build_progress_project(
        "PHONE",
        [
            Spec("registered", group=0, team=0),
            Spec("qualified", group=1, team=1),
            Spec("published", group=2, team=2),
            Spec(MONETISED, group=3, team=0),
        ],
        actor=leader,
    )
    ledger.ledger_refresh()
    page = phone_page
    log_in(page, live_server, leader.username)
    page.click("nav >> text=进度看板")
    page.wait_for_selector("#totals")
    assert page.inner_text("#totals [data-stage=registered] strong") == "4"
    assert page.locator("svg.funnel-bar").count() == 9
    # Nothing happened this week: no team scores, so the signed share decides — T1 signed
    # one of its two households (the monetised one), T2 and T3 none and share second place.
    ranks = {
        team: page.inner_text(f"#ranking [data-team={team}] [data-rank]")
        for team in ("T1", "T2", "T3")
    }
    assert ranks == {"T1": "1", "T2": "2", "T3": "2"}
    assert_fits_the_screen(page)
    if os.environ.get("OVERSIGHT_SCREENSHOTS"):
        page.screenshot(path=os.environ["OVERSIGHT_SCREENSHOTS"] + "/dashboard.png", full_page=True)

    page.click("nav >> text=超期回迁")
    page.wait_for_selector("#last-run")
    assert "台账最近更新" in page.inner_text("#last-run")
    assert_fits_the_screen(page)
    if os.environ.get("OVERSIGHT_SCREENSHOTS"):
        page.screenshot(path=os.environ["OVERSIGHT_SCREENSHOTS"] + "/ledger.png", full_page=True)


def test_a_leader_reads_a_households_subsidy_months_on_a_phone(
    phone_page,
    live_server,
    leader,
    ledger_project,  # noqa: F811
):
    ledger.ledger_refresh()
    page = phone_page
    log_in(page, live_server, leader.username)
    page.goto(f"{live_server.url}/staff/oversight/ledger/?project=LED&show=all")
    page.wait_for_selector("#periods")
    assert_fits_the_screen(page)
    page.click("#ledger [data-household=A] a")
    page.wait_for_selector("#months")
    # Moved out 15 Jun 2024, nothing paid: the first month is overdue by its deadline.
    assert page.locator("#months [data-month='2024-06'][data-status=unpaid]").count() == 1
    assert_fits_the_screen(page)
    if os.environ.get("OVERSIGHT_SCREENSHOTS"):
        page.screenshot(
            path=os.environ["OVERSIGHT_SCREENSHOTS"] + "/ledger-household.png", full_page=True
        )
