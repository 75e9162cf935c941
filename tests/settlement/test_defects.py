"""Defect tickets: reported by staff or by the resident (actor None) after handover, photos
judged by their bytes (a PNG named .exe is a PNG; text named .jpg is refused), stored under
random names and served only to staff with permission, never as something executable;
answered, closed, and the time to close recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import DefectPhoto, DefectStatus, DefectTicket
from settlement.selectors import defects
from settlement.services import defects as settlement_defects
from tests.settlement.factories import hand_over, jpeg_bytes, png_bytes, upload

pytestmark = pytest.mark.usefixtures("private_media")


def _report(household, actor=None, photos=()):
    return settlement_defects.defect_report(
        household=household,
        location="主卧窗户",
        description="窗框漏水,下雨时窗台积水。",
        photos=photos,
        actor=actor,
    )


def test_staff_report_a_defect_with_photos(settlement_project, handed_over, clerk):
    ticket = _report(
        handed_over, clerk, [upload("窗户.jpg", jpeg_bytes()), upload("墙面.png", png_bytes())]
    )
    assert ticket.status == DefectStatus.OPEN and ticket.reported_by == clerk
    assert not ticket.reported_by_resident
    apartments = settlement_project.apartments_of(handed_over)
    # the household's only apartment is named; with several the location says where
    assert ticket.apartment == (apartments[0] if len(apartments) == 1 else None)
    types = sorted(p.content_type for p in ticket.photos.all())
    assert types == ["image/jpeg", "image/png"]
    for photo in ticket.photos.all():
        assert "窗户" not in photo.file.name and "墙面" not in photo.file.name
        assert photo.file.name.startswith(f"defects/{settlement_project.project.pk}/")


def test_the_resident_reports_without_an_actor(settlement_project, handed_over):
    ticket = _report(handed_over)
    assert ticket.reported_by_resident and ticket.reported_by is None


def test_photo_type_comes_from_the_bytes(settlement_project, handed_over):
    ticket = _report(handed_over, photos=[upload("setup.exe", png_bytes())])
    photo = ticket.photos.get()
    assert photo.content_type == "image/png" and photo.file.name.endswith(".png")
    with pytest.raises(RuleViolation) as refused:
        _report(handed_over, photos=[upload("photo.jpg", b"just some text, not a photo\n" * 20)])
    assert refused.value.code == "bad_type"
    assert refused.value.details[0]["field"] == "photos"
    assert "photo.jpg" in refused.value.message
    with pytest.raises(RuleViolation) as empty:
        _report(handed_over, photos=[upload("empty.png", b"")])
    assert empty.value.code == "empty_file" and "empty.png" in empty.value.message
    assert DefectTicket.objects.count() == 1


def test_photo_size_and_count_are_limited(settings, settlement_project, handed_over):
    settings.DEFECT_PHOTO_MAX_BYTES = 100
    with pytest.raises(RuleViolation) as large:
        _report(handed_over, photos=[upload("big.png", png_bytes() + b"\0" * 200)])
    assert large.value.code == "too_large"
    settings.DEFECT_PHOTO_MAX_BYTES = 10_000
    with pytest.raises(RuleViolation) as many:
        _report(handed_over, photos=[upload(f"{n}.png", png_bytes()) for n in range(7)])
    assert many.value.code == "too_many_photos"
    assert not DefectTicket.objects.exists() and not DefectPhoto.objects.exists()


def test_no_defects_before_handover(settlement_project, household):
    with pytest.raises(RuleViolation) as refused:
        _report(household)
    assert refused.value.code == "not_handed_over"


def test_empty_location_and_description_are_refused(settlement_project, handed_over):
    with pytest.raises(RuleViolation) as refused:
        settlement_defects.defect_report(household=handed_over, location=" ", description="")
    assert {d["field"] for d in refused.value.details} == {"location", "description"}


def test_answer_then_close_and_the_time_to_close(settlement_project, handed_over, clerk):
    ticket = _report(handed_over)
    with pytest.raises(RuleViolation) as unanswered:
        settlement_defects.defect_close(actor=clerk, ticket=ticket)
    assert unanswered.value.code == "not_answered"
    ticket.refresh_from_db()
    assert ticket.status == DefectStatus.OPEN and ticket.closed_at is None
    answered = settlement_defects.defect_answer(
        actor=clerk, ticket=ticket, answer="已安排维修,3日内上门。"
    )
    assert answered.status == DefectStatus.ANSWERED and answered.answered_by == clerk
    assert defects.time_to_close(answered) is None
    closed = settlement_defects.defect_close(actor=clerk, ticket=answered)
    assert closed.status == DefectStatus.CLOSED
    assert defects.time_to_close(closed) == closed.closed_at - closed.reported_at
    assert defects.time_to_close(closed) >= dt.timedelta(0)
    with pytest.raises(RuleViolation) as again:
        settlement_defects.defect_answer(actor=clerk, ticket=closed, answer="再答复")
    assert again.value.code == "closed"


def test_answer_and_close_at_once(settlement_project, handed_over, clerk):
    ticket = settlement_defects.defect_answer(
        actor=clerk, ticket=_report(handed_over), answer="已修好。", close=True
    )
    assert ticket.status == DefectStatus.CLOSED and ticket.closed_at is not None


def test_only_staff_with_the_permission_report_and_answer(
    settlement_project, handed_over, outsider, reviewer
):
    with pytest.raises(NotAllowed):
        _report(handed_over, outsider)
    ticket = _report(handed_over)
    for actor in (outsider, reviewer):
        with pytest.raises(NotAllowed):
            settlement_defects.defect_answer(actor=actor, ticket=ticket, answer="好")


def test_staff_pages_list_show_answer_and_serve_photos_safely(
    client, settlement_project, handed_over, clerk, outsider
):
    ticket = _report(handed_over, photos=[upload("setup.exe", png_bytes())])
    photo = ticket.photos.get()
    client.force_login(clerk)
    listing = client.get(reverse("settlement:defect-list"), {"status": "open"})
    assert listing.status_code == 200 and "主卧窗户" in listing.content.decode()
    assert (
        "主卧窗户"
        not in client.get(reverse("settlement:defect-list"), {"status": "closed"}).content.decode()
    )
    detail = client.get(reverse("settlement:defect-detail", args=[ticket.pk]))
    assert detail.status_code == 200
    served = client.get(reverse("settlement:defect-photo", args=[photo.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert served["Cache-Control"] == "private, no-store"
    assert not served.get("Content-Disposition", "").startswith("attachment")
    assert b"".join(served.streaming_content) == png_bytes()
    answered = client.post(
        reverse("settlement:defect-detail", args=[ticket.pk]),
        {"answer": "已安排维修。", "close": "on"},
    )
    assert answered.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == DefectStatus.CLOSED
    assert (
        "已安排维修"
        in client.get(reverse("settlement:defect-detail", args=[ticket.pk])).content.decode()
    )

    client.force_login(outsider)
    assert client.get(reverse("settlement:defect-list")).status_code == 403
    assert client.get(reverse("settlement:defect-detail", args=[ticket.pk])).status_code == 403
    assert client.get(reverse("settlement:defect-photo", args=[photo.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("settlement:defect-photo", args=[photo.pk])).status_code == 302


def test_staff_report_form(client, settlement_project, handed_over, clerk):
    client.force_login(clerk)
    url = reverse("settlement:defect-report", args=[handed_over.pk])
    assert client.get(url).status_code == 200
    refused = client.post(
        url, {"location": "厨房", "description": "水管漏水", "photos": [upload("x.jpg", b"text")]}
    )
    assert refused.status_code == 200 and "只接受 JPG 或 PNG" in refused.content.decode()
    done = client.post(
        url,
        {"location": "厨房", "description": "水管漏水", "photos": [upload("x.jpg", jpeg_bytes())]},
    )
    assert done.status_code == 302
    assert DefectTicket.objects.get().photos.count() == 1


def test_the_defect_list_reads_a_page_in_the_same_few_queries(
    client, settlement_project, handed_over, clerk
):
    _report(handed_over, clerk)
    client.force_login(clerk)
    url = reverse("settlement:defect-list")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    others = [h for h in settlement_project.households if h.group_id != handed_over.group_id][:3]
    for other in others:
        hand_over(other, clerk)
        _report(other, clerk, [upload("窗户.jpg", jpeg_bytes())])
    with CaptureQueriesContext(connection) as four:
        page = client.get(url)
    body = page.content.decode()
    assert all(other.code in body for other in others)
    assert len(four) == len(one)
