"""Free text the public reads — objections and their answers, reports to the supervising
office and their answers, defect reports and their answers, review reasons on the
resident's page — has every ID and phone number in it masked, however it was written
(broken by spaces or dashes, or with letters stuck to it)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from households.models import Member
from publicity.models import Objection
from publicity.services import complaints, objections
from resettlement.public_site import normalise_lookup_code
from settlement.models import DefectTicket
from tests.people import make_user

pytestmark = pytest.mark.usefixtures("fresh_limits_and_private_media")

# As residents and staff actually wrote them (issue 11, finding 5).
SPACED_ID = "330125 19800101 1234"
GLUED_ID = "ID330125198001011234"
DASHED_MOBILE = "138-1234-5678"
SPACED_MOBILE = "139 8765 4321"
# What a reader could still piece a number together from.
PIECES = ("19800101", "198*0101", "0125198", "1234-5678", "8765 4321", "87654321", "12345678")


def _assert_masked(body: str) -> None:
    for written in (SPACED_ID, GLUED_ID, DASHED_MOBILE, SPACED_MOBILE):
        assert written not in body
    for piece in PIECES:
        assert piece not in body, piece
    assert "33*************234" in body  # the ID, as the masking function shows IDs


@pytest.fixture(autouse=True)
def _clean_limits():
    cache.clear()
    yield
    cache.clear()


def test_an_objection_and_its_answer_are_published_with_numbers_masked(
    client, published_population, reviewer
):
    objection = objections.objection_file(
        publication=published_population,
        contact_name="张明",
        contact_phone="13612345678",
        household_code="",
        text=f"李秀英身份证 {SPACED_ID},已迁出,电话 {DASHED_MOBILE}。",
    )
    objections.objection_answer(
        actor=reviewer,
        objection=Objection.objects.get(pk=objection.pk),
        answer=f"经核实 {GLUED_ID} 户口仍在本村;已电话 {SPACED_MOBILE} 告知。",
        upheld=False,
    )
    cache.clear()
    body = client.get(
        reverse("public:publication-detail", args=[published_population.pk])
    ).content.decode()
    assert "李秀英身份证" in body and "经核实" in body
    _assert_masked(body)
    assert "138****5678" in body and "139****4321" in body


def test_a_report_and_its_answer_are_shown_to_the_reporter_with_numbers_masked(client, roles):
    supervisor = make_user("supervisor_han", "supervisor")
    complaint, check_code = complaints.complaint_file(
        category="funds", text=f"补偿款被截留,我的身份证 {SPACED_ID},电话 {DASHED_MOBILE}。"
    )
    complaints.complaint_answer(
        actor=supervisor, complaint=complaint, answer=f"已联系 {GLUED_ID},电话 {SPACED_MOBILE}。"
    )
    body = client.post(
        reverse("public:complaint-status"),
        {"reference": complaint.reference, "check_code": check_code},
    ).content.decode()
    assert "补偿款被截留" in body and "已联系" in body
    _assert_masked(body)


def test_defect_reports_and_answers_on_the_aftercare_page_are_masked(client, approved_household):
    DefectTicket.objects.create(
        household=approved_household,
        location=f"厨房(联系 {DASHED_MOBILE})",
        description=f"水管漏水。户主身份证 {SPACED_ID}",
        reported_by_resident=True,
        answer=f"已上门维修,回访电话 {SPACED_MOBILE},核对 {GLUED_ID}。",
    )
    code = normalise_lookup_code(approved_household.lookup_code)
    body = client.get(reverse("settlement-public:household", args=[code])).content.decode()
    assert "水管漏水" in body and "已上门维修" in body
    _assert_masked(body)


def test_a_review_reason_on_the_residents_page_is_masked(client, approved_household):
    Member.objects.filter(household=approved_household).update(
        review_reason=f"与 {GLUED_ID}(电话 {DASHED_MOBILE})核对无误,另见 {SPACED_ID}"
    )
    body = client.get(
        reverse("public:resident", args=[approved_household.lookup_code])
    ).content.decode()
    assert "核对无误" in body
    _assert_masked(body)
