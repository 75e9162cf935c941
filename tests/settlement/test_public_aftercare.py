"""The resident's after-care pages (/public/aftercare/): the lookup code from the notice
opens the household's own page (apartments, handover, tickets and answers) and its report
form; a wrong code gets a plain message, guessing is rate-limited (together with /public/my/),
and nothing of another household ever shows."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from households.models import Member, Relation
from settlement.models import DefectStatus, DefectTicket
from settlement.services import defects
from tests.settlement.factories import hand_over, jpeg_bytes, png_bytes, upload

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _page_url(household) -> str:
    return reverse("settlement-public:household", args=[household.lookup_code])


def _other(settlement_project, household):
    return next(h for h in settlement_project.households if h.pk != household.pk)


def test_the_code_leads_to_the_households_own_page(client, settlement_project, handed_over):
    code = handed_over.lookup_code
    typed = f"{code[:4]}-{code[4:8]} {code[8:]}".lower()
    response = client.post(reverse("settlement-public:lookup"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == _page_url(handed_over)
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    assert handed_over.code in body
    for apartment in settlement_project.apartments_of(handed_over):
        assert apartment.code in body
    assert "2026-01-10" in body and 'id="report"' in body


def test_a_wrong_code_gets_a_clear_message(client, settlement_project, handed_over):
    response = client.post(reverse("settlement-public:lookup"), {"code": "NOPE-NOPE-00"})
    assert response.status_code == 404
    assert "没有找到与该查询码对应的安置户" in response.content.decode()
    by_url = client.get(reverse("settlement-public:household", args=["ZZZZZZZZZZZZ"]))
    assert by_url.status_code == 404 and "没有找到" in by_url.content.decode()
    odd = client.get("/public/aftercare/%00%FF%20/")
    assert odd.status_code == 404
    empty = client.post(reverse("settlement-public:lookup"), {"code": ""})
    assert empty.status_code == 200 and "请输入通知书上的查询码" in empty.content.decode()


def test_guessing_is_rate_limited_together_with_my_page(
    client, settings, settlement_project, handed_over
):
    settings.PUBLIC_LOOKUP_RATE = "3/m"
    client.post(reverse("public:resident-lookup"), {"code": "AAAA-AAAA-AA"})
    for _n in range(2):
        assert (
            client.post(reverse("settlement-public:lookup"), {"code": "BBBBBBBB"}).status_code
            == 404
        )
    limited = client.post(reverse("settlement-public:lookup"), {"code": handed_over.lookup_code})
    assert limited.status_code == 429
    assert "为防止他人猜测查询码" in limited.content.decode()
    assert client.get(_page_url(handed_over)).status_code == 429
    # The way back leads to the after-care lookup, not the publicity home page.
    assert f'href="{reverse("settlement-public:lookup")}"' in limited.content.decode()
    assert limited["Retry-After"] == "60"


def test_reports_have_a_limit_of_their_own(client, settings, settlement_project, handed_over):
    settings.PUBLIC_DEFECT_RATE = "1/h"
    url = reverse("settlement-public:report", args=[handed_over.lookup_code])
    report = {
        "location": "卫生间",
        "description": "地漏返水",
        "photos": [upload("a.jpg", jpeg_bytes())],
    }
    assert client.post(url, report).status_code == 302
    refused = client.post(url, {**report, "photos": [upload("b.jpg", jpeg_bytes())]})
    assert refused.status_code == 429
    assert "每 60 分钟最多提交 1 次报修" in refused.content.decode()
    assert refused["Retry-After"] == "3600"
    assert DefectTicket.objects.count() == 1
    # Looking at the page is not a report.
    assert client.get(_page_url(handed_over)).status_code == 200


def test_the_resident_reports_and_then_sees_the_answer(
    client, settlement_project, handed_over, clerk
):
    url = reverse("settlement-public:report", args=[handed_over.lookup_code])
    refused = client.post(
        url,
        {
            "location": "卫生间",
            "description": "地漏返水",
            "photos": [upload("x.jpg", b"not a photo")],
        },
    )
    assert refused.status_code == 400 and "只接受 JPG 或 PNG" in refused.content.decode()
    assert not DefectTicket.objects.exists()
    done = client.post(
        url,
        {
            "location": "卫生间",
            "description": "地漏返水",
            "photos": [upload("a.jpg", jpeg_bytes()), upload("b.exe", png_bytes())],
        },
    )
    assert done.status_code == 302
    ticket = DefectTicket.objects.get()
    assert ticket.reported_by_resident and ticket.photos.count() == 2
    page = client.get(done["Location"]).content.decode()
    assert "报修已提交" in page and "地漏返水" in page and "待处理" in page
    defects.defect_answer(actor=clerk, ticket=ticket, answer="明天上午上门疏通。")
    page = client.get(_page_url(handed_over)).content.decode()
    assert "明天上午上门疏通" in page and "已答复" in page
    assert DefectTicket.objects.get().status == DefectStatus.ANSWERED


def test_no_report_before_handover_and_none_to_a_wrong_code(client, settlement_project, household):
    page = client.get(_page_url(household)).content.decode()
    assert "交房后可在此报修" in page and 'id="report"' not in page
    response = client.post(
        reverse("settlement-public:report", args=[household.lookup_code]),
        {"location": "客厅", "description": "墙面开裂"},
    )
    assert response.status_code == 400 and "交房后才能报修" in response.content.decode()
    wrong = client.post(
        reverse("settlement-public:report", args=["WRONGCODE123"]),
        {"location": "客厅", "description": "墙面开裂"},
    )
    assert wrong.status_code == 404
    assert not DefectTicket.objects.exists()


def test_nothing_of_another_household_shows(client, settlement_project, handed_over, clerk):
    other = _other(settlement_project, handed_over)
    hand_over(other, clerk)
    defects.defect_report(household=other, location="邻居家阳台", description="栏杆松动")
    other_head = Member.objects.get(household=other, relation=Relation.HEAD).name
    page = client.get(_page_url(handed_over)).content.decode()
    assert other.code not in page and "邻居家阳台" not in page
    own_apartments = {a.code for a in settlement_project.apartments_of(handed_over)}
    for apartment in settlement_project.apartments_of(other):
        if apartment.code not in own_apartments:
            assert apartment.code not in page
    head = Member.objects.get(household=handed_over, relation=Relation.HEAD).name
    if other_head != head:
        assert other_head not in page
    assert other.lookup_code not in page
