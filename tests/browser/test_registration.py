"""A clerk registers a household in a real browser, as they would on registration day."""

import datetime as dt

import pytest

from households.models import Household, ReviewStatus
from tests.browser.login import log_in
from tests.households.factories import id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_registers_a_household_with_two_members_and_uploads_its_agreement(
    page, live_server, clerk, group, tmp_path, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    head_id = id_number(dt.date(1965, 8, 9), "M")
    wife_id = id_number(dt.date(1967, 2, 1), "F")
    log_in(page, live_server, clerk.username)

    page.click("text=登记新安置户")
    page.select_option("#id_community", str(group.community_id))
    page.select_option("#id_group", str(group.pk))
    page.fill("#id_code", "SWQ-0701")
    page.fill("#id_address", "上湾桥社区7组21号")
    page.fill("#id_phone", "13905710001")
    page.fill("#id_demolished_area", "210.5")

    page.fill("#id_m-0-name", "沈国华")
    page.fill("#id_m-0-id_number", head_id)
    page.press("#id_m-0-id_number", "Tab")
    # The screen fills birth date and sex from the ID number as the clerk moves on.
    assert page.input_value("#id_m-0-birth_date") == "1965-08-09"
    assert page.input_value("#id_m-0-sex") == "M"
    page.select_option("#id_m-0-marital_status", "married")

    page.click("#add-member")
    page.fill("#id_m-1-name", "陆美芳")
    page.fill("#id_m-1-id_number", wife_id)
    page.press("#id_m-1-id_number", "Tab")
    page.select_option("#id_m-1-relation", "spouse")
    page.select_option("#id_m-1-marital_status", "married")
    page.click("button[type=submit].primary")

    page.wait_for_selector("text=已登记 SWQ-0701 户")
    household = Household.objects.get(code="SWQ-0701")
    assert sorted(household.members.values_list("name", flat=True)) == ["沈国华", "陆美芳"]
    assert household.members.get(name="陆美芳").sex == "F"
    assert all(m.review_status == ReviewStatus.PENDING for m in household.members.all())
    assert household.registered_by == clerk

    agreement_row = page.locator("#checklist tr", has_text="拆迁补偿安置协议")
    assert "缺" in agreement_row.inner_text()
    pdf = tmp_path / "协议.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    agreement_row.locator("input[type=file]").set_input_files(str(pdf))
    agreement_row.locator("button[type=submit]").click()
    page.wait_for_selector("text=材料已上传")
    assert "已上传" in page.locator("#checklist tr", has_text="拆迁补偿安置协议").inner_text()
    assert household.documents.get().kind == "agreement"


def test_a_wrong_id_number_is_marked_on_the_field_and_nothing_is_saved(
    page, live_server, clerk, group
):
    good = id_number(dt.date(1965, 8, 9), "M")
    wrong = good[:-1] + ("1" if good[-1] == "0" else "0")
    log_in(page, live_server, clerk.username)
    page.goto(f"{live_server.url}/staff/households/new/")
    page.select_option("#id_community", str(group.community_id))
    page.select_option("#id_group", str(group.pk))
    page.fill("#id_code", "SWQ-0702")
    page.fill("#id_m-0-name", "沈国华")
    page.fill("#id_m-0-id_number", wrong)
    page.click("button[type=submit].primary")
    error = page.locator(".field.has-error", has=page.locator("#id_m-0-id_number"))
    assert "校验码错误" in error.inner_text()
    assert not Household.objects.filter(code="SWQ-0702").exists()


def test_registration_screen_fits_a_phone(phone_page, live_server, clerk, group):
    log_in(phone_page, live_server, clerk.username)
    phone_page.goto(f"{live_server.url}/staff/households/new/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
