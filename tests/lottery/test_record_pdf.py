"""The notarial record (公证记录) of a session, read back as text: the commitment, the
snapshot hashes, the entropy, seed and (once signed) the secret, every step, each household's
apartments with its proxy mark, the sign-off and witnesses; never an ID number. A rehearsal
says so on every page. Staff with the view permission download it; others get 403."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from households.models import Member, Relation
from lottery.models import Allocation, Reveal
from lottery.pdf.notarial_record import notarial_record_pdf
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sessions import lottery_session_void
from tests.lottery.factories import create_session, start_drawing
from tests.pdf import pdf_pages, squeezed

FULL_ID = re.compile(r"\d{17}[\dX]")


def _text(session) -> tuple[list[str], str]:
    pdf = notarial_record_pdf(session)
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages(pdf)
    return pages, "".join(squeezed(page) for page in pages)


def test_a_signed_sessions_record_shows_what_the_notary_witnessed(signed_session, operator):
    session = signed_session
    pages, text = _text(session)
    assert "摇号公证记录" in text
    assert session.code in text and squeezed(session.title) in text
    assert session.project.name in text and "E1安置小区" in text
    for value in (
        session.commitment,
        session.participants_sha256,
        session.inventory_sha256,
        session.seed,
        session.server_secret,  # revealed at sign-off
        session.bundle_sha256,
    ):
        assert value and value in text
    assert squeezed(session.witness_entropy) in text
    assert squeezed(session.witnesses) in text  # 村民代表 王某、李某
    assert "签署公证员" in text and session.signed_by.username in text
    for step in session.steps:
        assert step["label"] in text
    assert "house" in text  # household steps: household/G11 …
    # every household's line: code, head's full name, its apartments
    allocation = Allocation.objects.select_related("household", "apartment").first()
    head = Member.objects.get(household=allocation.household, relation=Relation.HEAD)
    line = next(
        squeezed(line)
        for page in pages
        for line in page.splitlines()
        if allocation.household.code in line and "T" in line  # its row, not a step's list
    )
    assert head.name in line
    for apartment in Allocation.objects.values_list("apartment__code", flat=True):
        assert apartment in text
    # nobody checked in: all drawn by proxy, marked as such
    assert Reveal.objects.filter(session=session, proxy=True).exists()
    assert "代摇" in text
    assert "演练" not in text
    # official record, but no ID numbers (hashes, random hex, may hold a run of digits)
    assert not FULL_ID.search(re.sub(r"[0-9a-f]{64}", "", text))
    assert f"共{len(pages)}页" in squeezed(pages[-1])


def test_the_secret_stays_hidden_before_sign_off(drawing_session):
    _pages, text = _text(drawing_session)
    assert drawing_session.commitment in text
    assert drawing_session.server_secret not in text
    assert "签署或作废后公开" in text


def test_a_voided_session_shows_its_reason_and_secret(drawing_session, leader):
    session = lottery_session_void(
        actor=leader, session=drawing_session, reason="停电,现场无法继续"
    )
    _pages, text = _text(session)
    assert "本场次已作废" in text and "停电,现场无法继续" in text
    assert session.server_secret in text


def test_a_rehearsal_is_marked_as_practice_on_every_page(lottery_project, leader, notary, operator):
    session = start_drawing(
        create_session(lottery_project, leader, code="R1", rehearsal=True), notary
    )
    lottery_draw_remaining(actor=operator, session=session)
    pages, _text_all = _text(session)
    assert len(pages) >= 2
    for page in pages:
        assert "演练—非正式结果" in squeezed(page)


@pytest.mark.django_db
def test_staff_download_it_as_an_attachment_and_outsiders_get_403(
    client, signed_session, notary, outsider
):
    url = reverse("lottery:record", args=[signed_session.code])
    assert url == f"/staff/lottery/{signed_session.code}/record.pdf"
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(notary)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert signed_session.code in response["Content-Disposition"]
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


@pytest.mark.django_db
def test_the_record_is_chinese_and_an_english_copy_is_printed_on_request(
    client, signed_session, notary
):
    url = reverse("lottery:record", args=[signed_session.code])
    client.force_login(notary)
    client.cookies["django_language"] = "en"
    official = squeezed(pdf_pages(client.get(url).content)[0])
    assert "摇号公证记录" in official
    english = client.get(url + "?language=en")
    assert english["Content-Disposition"].endswith('-en.pdf"')
    first = pdf_pages(english.content)[0]
    assert "Notarial record of the lottery" in first and "摇号公证记录" not in first
    console = client.get(reverse("lottery:console", args=[signed_session.code])).content
    assert f"{url}?language=en".encode() in console
