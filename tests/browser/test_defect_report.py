"""A resident on a phone: enters the lookup code from the notice on /public/aftercare/,
reports a defect with a photo taken on the phone, and after the staff's answer sees it on
the same page. The pages fit a 390-pixel screen."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from settlement.models import DefectPhoto, DefectTicket
from settlement.services import defects
from tests.lottery.factories import (
    build_lottery_project,
    clear_lottery_before_flush,
    create_session,
    start_drawing,
)
from tests.people import make_user
from tests.settlement.factories import hand_over, jpeg_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("private_media"),
]


@pytest.fixture(autouse=True)
def fresh_limits_and_a_flushable_database():
    cache.clear()
    yield
    cache.clear()
    DefectPhoto.objects.all().delete()
    DefectTicket.objects.all().delete()
    clear_lottery_before_flush()


@pytest.fixture
def household(clerk, leader, notary):
    operator = make_user("operator_zhou", "operator")
    small = build_lottery_project(clerk, communities=1, groups_per_community=1)
    session = start_drawing(create_session(small, leader), notary)
    lottery_draw_remaining(actor=operator, session=session)
    lottery_session_sign_off(actor=notary, session=session, witnesses="王某")
    household = sorted(small.households, key=lambda h: h.code)[0]
    hand_over(household, clerk)
    return household


def assert_fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} scrolls sideways: {width}px on a {viewport}px screen"


def test_a_resident_reports_a_defect_with_a_photo_and_sees_the_answer(
    phone_page, live_server, household, clerk
):
    page = phone_page
    page.goto(f"{live_server.url}/public/aftercare/")
    assert_fits_the_screen(page)
    code = household.lookup_code
    page.fill("input[name=code]", f"{code[:4]}-{code[4:8]}-{code[8:]}".lower())
    page.click("#lookup button[type=submit]")
    page.wait_for_selector(f"text=户编号 {household.code}")
    assert_fits_the_screen(page)
    assert "暂无报修记录" in page.content()

    page.fill("input[name=location]", "主卧窗户")
    page.fill("textarea[name=description]", "窗框漏水,下雨时窗台积水。")
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
    )
    page.click("#report button[type=submit]")
    page.wait_for_selector("#reported")
    ticket = page.locator("#ticket-1")
    assert "主卧窗户" in ticket.inner_text() and "待处理" in ticket.inner_text()
    assert "1 张照片" in ticket.inner_text()
    assert_fits_the_screen(page)

    saved = DefectTicket.objects.get()
    assert saved.reported_by_resident and saved.photos.get().content_type == "image/jpeg"
    defects.defect_answer(actor=clerk, ticket=saved, answer="已安排维修师傅明天上午上门。")

    page.reload()
    page.wait_for_selector("#ticket-1 .answer")
    ticket = page.locator("#ticket-1")
    assert "已答复" in ticket.inner_text()
    assert "已安排维修师傅明天上午上门。" in ticket.inner_text()
    assert_fits_the_screen(page)
