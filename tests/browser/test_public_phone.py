"""A resident on a phone: looks up their household by the code on the notice, reads the
roster it is in, searches it, and files an objection. The pages fit a 390-pixel screen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from publicity.models import Objection
from tests.households.factories import approve, member_data
from tests.publicity.factories import clear_publications_before_flush, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_limits_and_a_flushable_database():
    cache.clear()
    yield
    cache.clear()
    clear_publications_before_flush()


@pytest.fixture
def household(register, reviewer, leader):
    household = register(
        phone="13905710001",
        members=[
            member_data(name="王建国"),
            member_data("spouse", name="李秀英", sex="F", birth_date=dt.date(1972, 4, 5)),
        ],
    )
    return approve(household, reviewer=reviewer, leader=leader)


@pytest.fixture
def roster(household, leader):
    return publish(leader, household.project, "population")


def assert_fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} scrolls sideways: {width}px on a {viewport}px screen"


def test_a_resident_checks_their_household_reads_the_roster_and_objects(
    phone_page, live_server, household, roster
):
    page = phone_page
    page.goto(f"{live_server.url}/public/")
    assert_fits_the_screen(page)

    # The code as printed on the notice, typed in lower case with dashes.
    page.click("text=输入查询码")
    code = household.lookup_code
    page.fill("input[name=code]", f"{code[:4]}-{code[4:8]}-{code[8:]}".lower())
    page.click("button[type=submit]")
    page.wait_for_selector(f"text=户编号 {household.code}")
    assert page.inner_text("#household-status") == "已审批"
    members = page.inner_text("#members")
    assert "王建国" in members and "李秀英" in members
    assert "100.00 ㎡" in page.inner_text("#entitlement")
    assert_fits_the_screen(page)

    # The roster the household is in, with its hash shown whole on a narrow screen.
    page.click(f"#publications a:has-text('{roster.title}')")
    page.wait_for_selector("#hash")
    assert roster.content_hash in page.inner_text("#hash")
    assert page.is_visible("#hash code")
    assert_fits_the_screen(page)

    page.fill("input[name=q]", household.code)
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#search-result")
    assert "找到 2 行" in page.inner_text("#search-result")
    table = page.inner_text("table.roster")
    assert "王**" in table and "李**" in table
    assert household.members.first().id_number not in page.content()
    assert_fits_the_screen(page)

    # An objection, filed from the roster page.
    page.click("text=对本公示提出异议")
    page.wait_for_selector("form textarea")
    # The honeypot is off-screen: people never see it, bots fill it in.
    box = page.locator("input[name=website]").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0
    assert_fits_the_screen(page)
    page.fill("input[name=contact_name]", "王建国")
    page.fill("input[name=contact_phone]", "13905710001")
    page.fill("input[name=household_code]", household.code)
    page.fill("textarea[name=text]", "本户儿子王小明2013年出生,未列入安置人口。")
    page.click("button[type=submit]")
    page.wait_for_selector("#thanks")
    assert "异议已提交" in page.inner_text("#thanks")
    assert_fits_the_screen(page)

    objection = Objection.objects.get()
    assert objection.household_code == household.code
    assert objection.publication_id == roster.pk


def test_a_mistyped_form_shows_what_to_fix_next_to_each_field(phone_page, live_server, roster):
    page = phone_page
    page.goto(f"{live_server.url}/public/publications/{roster.pk}/object/")
    page.fill("input[name=contact_phone]", "12")
    page.click("button[type=submit]")
    page.wait_for_selector("#error-contact_name")
    assert page.inner_text("#error-contact_name") == "请填写联系人姓名。"
    assert page.inner_text("#error-text") == "请写明异议内容。"
    assert_fits_the_screen(page)
    assert not Objection.objects.exists()


def test_an_unknown_code_is_told_so_on_the_phone(phone_page, live_server, household):
    page = phone_page
    page.goto(f"{live_server.url}/public/my/")
    page.fill("input[name=code]", "ZZZZ-ZZZZ-ZZ")
    page.click("button[type=submit]")
    page.wait_for_selector("#not-found")
    assert household.code not in page.content()
    assert_fits_the_screen(page)
