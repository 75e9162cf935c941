"""A resident on a phone reports a problem to the supervising office from the public site,
keeps the reference and check code, and later reads the office's answer with them."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from publicity.models import Complaint, ComplaintStatus
from publicity.services import complaints
from tests.browser.test_public_phone import assert_fits_the_screen
from tests.people import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_limits(settings, tmp_path):
    settings.SUPERVISION_HOTLINE = "0571-12388"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private_media"},
        },
    }
    cache.clear()
    yield
    cache.clear()


def test_a_resident_files_a_complaint_on_a_phone_and_reads_the_answer(
    phone_page, live_server, project, roles
):
    page = phone_page
    page.goto(f"{live_server.url}/public/")
    page.click("#report-channel >> text=在线举报")
    page.wait_for_selector("#complaint-form")
    assert "0571-12388" in page.inner_text("#channels")
    assert_fits_the_screen(page)

    # Submitting with nothing written says what is missing, next to the field.
    page.click("#complaint-form button[type=submit]")
    page.wait_for_selector("#error-text")
    assert page.inner_text("#error-category") == "请选择举报类别。"
    assert not Complaint.objects.exists()

    page.select_option("select[name=category]", "allocation")
    page.select_option("select[name=project]", str(project.pk))
    page.fill("textarea[name=text]", "选房当天,有人在现场私下调换房号。")
    page.fill("input[name=contact_phone]", "13905710001")
    assert_fits_the_screen(page)
    page.click("#complaint-form button[type=submit]")
    page.wait_for_selector("#receipt")
    reference = page.inner_text("#reference")
    check_code = page.inner_text("#check-code")
    assert_fits_the_screen(page)
    complaint = Complaint.objects.get()
    assert complaint.reference == reference

    supervisor = make_user("supervisor_han", "supervisor")
    complaints.complaint_answer(
        actor=supervisor, complaint=complaint, answer="经核查属实,已责令纠正。"
    )

    page.click("text=查询办理情况")
    page.wait_for_selector("#status-form")
    page.fill("input[name=reference]", reference.lower())
    page.fill("input[name=check_code]", check_code)
    page.click("#status-form button[type=submit]")
    page.wait_for_selector("#report")
    assert page.inner_text("#report-status") == str(ComplaintStatus.ANSWERED.label)
    assert "经核查属实,已责令纠正。" in page.inner_text("#answer")
    assert "139****0001" in page.inner_text("#report")
    assert "13905710001" not in page.content()
    assert_fits_the_screen(page)
