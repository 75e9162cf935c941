"""Objections: anyone files one on the public site during the period; staff answer each in
writing; an upheld one sends the household back to review and the correction appears in a
new version of the publication, never as an edit of the old one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from households.models import HouseholdStatus, ReviewStatus
from households.services import review
from publicity.models import Objection, ObjectionStatus, Publication, PublicationStatus
from publicity.services import objections, publications
from tests.households.factories import hand_in_documents
from tests.publicity.factories import PNG, drafter, publish

pytestmark = pytest.mark.usefixtures("fresh_limits_and_private_media")


def _form(**overrides) -> dict:
    data = {
        "contact_name": "张明",
        "contact_phone": "13612345678",
        "household_code": "",
        "text": "李秀英的户口已于2012年迁出本村,不应列入安置人口。",
        "website": "",
    }
    data.update(overrides)
    return data


def _object(client, publication, **overrides):
    return client.post(reverse("public:objection-file", args=[publication.pk]), _form(**overrides))


def _html(response) -> str:
    return response.content.decode()


# --- Filing -------------------------------------------------------------------------------


def test_anyone_files_an_objection_during_the_period(client, published_population):
    form = client.get(reverse("public:objection-file", args=[published_population.pk]))
    assert form.status_code == 200
    assert 'name="contact_phone"' in _html(form)

    response = _object(client, published_population)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "public:objection-thanks", args=[published_population.pk]
    )
    objection = Objection.objects.get()
    assert (objection.contact_name, objection.contact_phone) == ("张明", "13612345678")
    assert objection.status == ObjectionStatus.OPEN
    thanks = client.get(response["Location"])
    assert "异议已提交" in _html(thanks)


def test_an_objection_may_name_a_household_and_attach_a_photo(
    client, published_population, approved_household
):
    photo = SimpleUploadedFile("证明.png", PNG, content_type="image/png")
    response = client.post(
        reverse("public:objection-file", args=[published_population.pk]),
        {**_form(household_code=approved_household.code), "attachment": photo},
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.household_code == approved_household.code
    assert objection.attachment_type == "image/png"


def test_a_bot_filling_the_hidden_field_is_thanked_but_nothing_is_saved(
    client, published_population
):
    response = _object(client, published_population, website="http://spam.example")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "public:objection-thanks", args=[published_population.pk]
    )
    assert not Objection.objects.exists()


def test_the_hidden_field_is_out_of_sight_and_out_of_the_tab_order(client, published_population):
    html = _html(client.get(reverse("public:objection-file", args=[published_population.pk])))
    assert '<div class="hp" aria-hidden="true">' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html


def test_errors_are_shown_on_each_field_in_chinese(client, published_population):
    response = _object(
        client,
        published_population,
        contact_name="",
        contact_phone="12",
        household_code="NO-SUCH",
        text="",
    )
    assert response.status_code == 200
    html = _html(response)
    assert 'id="error-contact_name">请填写联系人姓名。' in html
    assert 'id="error-text">请写明异议内容。' in html
    assert not Objection.objects.exists()
    # The service's checks, also on their fields, once the form's own pass.
    response = _object(client, published_population, contact_phone="12", household_code="NO")
    html = _html(response)
    assert 'id="error-contact_phone">请填写有效的联系电话。' in html
    assert 'id="error-household_code">本项目中没有这个户编号。' in html
    assert not Objection.objects.exists()


def test_an_empty_submission_is_answered_with_what_is_missing(client, published_population):
    response = client.post(reverse("public:objection-file", args=[published_population.pk]))
    assert response.status_code == 200
    assert "请填写联系人姓名。" in _html(response)
    assert not Objection.objects.exists()


def test_an_attachment_of_the_wrong_type_is_refused_on_its_field(client, published_population):
    script = SimpleUploadedFile("a.png", b"#!/bin/sh\necho hi\n", content_type="image/png")
    response = client.post(
        reverse("public:objection-file", args=[published_population.pk]),
        {**_form(), "attachment": script},
    )
    assert 'id="error-attachment">附件只接受 PDF、JPG、PNG 文件。' in _html(response)
    assert not Objection.objects.exists()


def test_an_oversized_attachment_is_refused_with_the_limit_along_with_other_problems(
    client, published_population, settings, tmp_path
):
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024), content_type="image/png")
    response = client.post(
        reverse("public:objection-file", args=[published_population.pk]),
        {**_form(contact_phone="12-34"), "attachment": big},
    )
    html = _html(response)
    # Every problem at once, the limit as configured (the same check as a report's).
    assert 'id="error-attachment">附件过大,上限为 1 MB。' in html
    assert 'id="error-contact_phone">请填写有效的联系电话。' in html
    assert not Objection.objects.exists()
    assert not (tmp_path / "private_media" / "objections").exists()


def test_no_objection_outside_the_period(client, approved_household, leader):
    ended = publish(
        leader,
        approved_household.project,
        starts_on=dt.date(2024, 3, 1),
        ends_on=dt.date(2024, 3, 7),
    )
    page = client.get(reverse("public:objection-file", args=[ended.pk]))
    assert "该公示不在公示期内,不能提出异议。" in _html(page)
    assert 'name="contact_phone"' not in _html(page)
    response = _object(client, ended)
    assert response.status_code == 400
    assert not Objection.objects.exists()
    assert reverse("public:objection-file", args=[ended.pk]) not in _html(
        client.get(reverse("public:publication-detail", args=[ended.pk]))
    )


def test_no_objection_before_the_period_starts(client, approved_household, leader):
    later = publish(
        leader,
        approved_household.project,
        starts_on=dt.date.today().replace(year=dt.date.today().year + 1),
    )
    assert _object(client, later).status_code == 400
    assert not Objection.objects.exists()


def test_no_objection_to_a_withdrawn_publication(client, published_population, leader):
    publications.publication_withdraw(actor=leader, publication=published_population, reason="更正")
    assert _object(client, published_population).status_code == 400
    assert not Objection.objects.exists()


def test_filing_is_rate_limited_per_client(client, published_population, settings):
    settings.PUBLIC_OBJECTION_RATE = "2/h"
    assert _object(client, published_population).status_code == 302
    assert _object(client, published_population).status_code == 302
    refused = _object(client, published_population)
    assert refused.status_code == 429
    assert "每 60 分钟最多提交 2 次异议" in _html(refused)
    assert Objection.objects.count() == 2
    # A bot is counted too, and another address is not affected.
    assert _object(client, published_population, website="x").status_code == 429
    other = client.post(
        reverse("public:objection-file", args=[published_population.pk]),
        _form(),
        REMOTE_ADDR="10.9.8.7",
    )
    assert other.status_code == 302


def test_the_default_limit_is_five_objections_an_hour(client, published_population):
    statuses = [_object(client, published_population).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]


# --- Answering ----------------------------------------------------------------------------


@pytest.fixture
def objection(published_population, approved_household):
    return objections.objection_file(
        publication=published_population,
        contact_name="张明",
        contact_phone="13612345678",
        household_code=approved_household.code,
        text="李秀英的户口已于2012年迁出本村,不应列入安置人口。",
    )


def test_staff_without_the_permission_cannot_see_objections(client, clerk, objection):
    client.force_login(clerk)
    assert client.get(reverse("objections:list")).status_code == 403
    assert client.get(reverse("objections:detail", args=[objection.pk])).status_code == 403


def test_a_visitor_is_sent_to_log_in(client, objection):
    response = client.get(reverse("objections:list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_reviewer_sees_the_open_objections_with_contact_details(
    client, reviewer, objection, published_population, leader
):
    answered = objections.objection_file(
        publication=published_population,
        contact_name="钱多多",
        contact_phone="13511112222",
        text="另一件异议",
    )
    objections.objection_answer(actor=leader, objection=answered, answer="已核实。", upheld=False)
    client.force_login(reviewer)
    html = _html(client.get(reverse("objections:list")))
    assert "张明" in html and "13612345678" in html  # staff see who to call back
    assert "钱多多" not in html  # answered: not in the default (open) list
    html = _html(client.get(reverse("objections:list"), {"status": "answered"}))
    assert "钱多多" in html and "张明" not in html
    html = _html(client.get(reverse("objections:list"), {"status": "all", "q": "另一件"}))
    assert "钱多多" in html and "张明" not in html
    other_project = _html(client.get(reverse("objections:list"), {"project": "NOPE"}))
    assert "没有符合条件的异议。" in other_project


def test_an_answer_needs_text_and_a_decision(client, reviewer, objection):
    client.force_login(reviewer)
    response = client.post(reverse("objections:detail", args=[objection.pk]), {"answer": ""})
    html = _html(response)
    assert "请选择异议是否成立。" in html and "请填写书面答复。" in html
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN


def test_an_objection_not_upheld_is_answered_and_shown_publicly_masked(
    client, reviewer, objection, published_population, approved_household
):
    client.force_login(reviewer)
    response = client.post(
        reverse("objections:detail", args=[objection.pk]),
        {"upheld": "no", "answer": "经核实,李秀英户口未迁出,异议不成立。"},
        follow=True,
    )
    assert "已答复:异议不成立。" in _html(response)
    objection.refresh_from_db()
    assert (objection.status, objection.upheld) == (ObjectionStatus.ANSWERED, False)
    approved_household.refresh_from_db()
    assert approved_household.status == HouseholdStatus.APPROVED

    client.logout()
    html = _html(client.get(reverse("public:publication-detail", args=[published_population.pk])))
    assert "经核实,李秀英户口未迁出,异议不成立。" in html
    assert "张* 于" in html  # the contact's surname only
    assert "张明" not in html
    assert "13612345678" not in html and "136****5678" not in html


def test_an_upheld_objection_sends_the_household_back_to_review(
    client, reviewer, objection, approved_household
):
    client.force_login(reviewer)
    response = client.post(
        reverse("objections:detail", args=[objection.pk]),
        {"upheld": "yes", "answer": "经核实异议成立,退回重新审核。"},
        follow=True,
    )
    html = _html(response)
    assert f"安置户 {approved_household.code} 已退回重新审核" in html
    assert 'id="consequence"' in html
    approved_household.refresh_from_db()
    assert approved_household.status == HouseholdStatus.REGISTERED
    assert approved_household.entitlement_area is None
    assert set(approved_household.members.values_list("review_status", flat=True)) == {
        ReviewStatus.PENDING
    }


def test_an_answered_objection_cannot_be_answered_again(client, reviewer, leader, objection):
    objections.objection_answer(actor=leader, objection=objection, answer="不成立。", upheld=False)
    client.force_login(reviewer)
    response = client.post(
        reverse("objections:detail", args=[objection.pk]),
        {"upheld": "yes", "answer": "改为成立"},
    )
    assert 'id="answer-form"' not in _html(response)
    objection.refresh_from_db()
    assert (objection.answer, objection.upheld) == ("不成立。", False)


def test_staff_open_the_attachment(client, reviewer, published_population):
    objection = objections.objection_file(
        publication=published_population,
        contact_name="张明",
        contact_phone="13612345678",
        text="见附件",
        attachment=SimpleUploadedFile("x.png", PNG, content_type="image/png"),
    )
    client.force_login(reviewer)
    response = client.get(reverse("objections:attachment", args=[objection.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    # Uploaded by anyone on the public site: a download that no browser sniffs, caches or runs.
    assert response["Content-Disposition"].startswith("attachment;")
    assert f'filename="objection-{objection.pk}.png"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]


# --- The whole flow -----------------------------------------------------------------------


def test_an_upheld_objection_leads_to_a_new_version_and_the_old_one_stays_as_it_was(
    client, reviewer, leader, published_population, approved_household
):
    v1 = published_population
    v1_rows, v1_hash = v1.rows, v1.content_hash
    spouse = approved_household.members.get(relation="spouse")

    # A villager objects on the public site, naming the household.
    _object(client, v1, household_code=approved_household.code)
    objection = Objection.objects.get()

    # Staff uphold it: the household goes back to review.
    client.force_login(reviewer)
    client.post(
        reverse("objections:detail", args=[objection.pk]),
        {"upheld": "yes", "answer": "经核实,李秀英户口已迁出,退回重新审核。"},
    )
    client.logout()

    # Re-review: the spouse is rejected this time; the leader approves again.
    review.member_review(
        actor=reviewer,
        member=spouse,
        decision=ReviewStatus.REJECTED,
        reason="户口已于2012年迁出",
    )
    review.member_review(
        actor=reviewer,
        member=approved_household.members.get(relation="head"),
        decision=ReviewStatus.PASSED,
    )
    hand_in_documents(approved_household)
    household = review.household_approve(actor=leader, household=approved_household)
    assert household.resettlement_population == 1

    # The correction is published as version 2.
    v2 = publications.publication_new_version(actor=drafter(), publication=v1)
    v2 = publications.publication_publish(actor=leader, publication=v2)
    assert v2.version == 2 and v2.row_count == 1

    v1 = Publication.objects.get(pk=v1.pk)
    assert (v1.rows, v1.content_hash) == (v1_rows, v1_hash)
    assert v1.status == PublicationStatus.CLOSED

    v1_html = _html(client.get(reverse("public:publication-detail", args=[v1.pk])))
    v2_html = _html(client.get(reverse("public:publication-detail", args=[v2.pk])))
    assert "李**" in v1_html and "李**" not in v2_html
    assert v1_hash in v1_html and v2.content_hash in v2_html and v1_hash not in v2_html
    assert "经核实,李秀英户口已迁出,退回重新审核。" in v1_html
    assert reverse("public:publication-detail", args=[v2.pk]) in v1_html

    # The resident's own page tells the same story.
    mine = _html(client.get(reverse("public:resident", args=[approved_household.lookup_code])))
    assert "户口已于2012年迁出" in mine  # the rejection's reason
    assert "经核实,李秀英户口已迁出,退回重新审核。" in mine
    assert v2.title in mine and "第 2 版" in mine and "第 1 版" not in mine


# --- Admin: view only ---------------------------------------------------------------------


def test_the_admin_shows_a_publication_but_cannot_change_it(
    client, admin_user, published_population, objection
):
    client.force_login(admin_user)
    url = reverse("admin:publicity_publication_change", args=[published_population.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = _html(response)
    assert published_population.content_hash in html
    # Its course, in local time: created, published, an objection filed (and by whom).
    published = timezone.localtime(published_population.published_at)
    assert f"{published:%Y-%m-%d %H:%M} · 发布 · 陈领导" in html
    assert "收到异议" in html
    assert 'name="_save"' not in html
    response = client.post(url, {"title": "改过的标题"})
    assert response.status_code == 403
    assert client.get(reverse("admin:publicity_publication_add")).status_code == 403
    delete = reverse("admin:publicity_publication_delete", args=[published_population.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    published_population.refresh_from_db()
    assert published_population.title != "改过的标题"


def test_the_admin_shows_objections_read_only_with_a_link_to_answer(client, admin_user, objection):
    client.force_login(admin_user)
    response = client.get(reverse("admin:publicity_objection_change", args=[objection.pk]))
    assert response.status_code == 200
    html = _html(response)
    assert reverse("objections:detail", args=[objection.pk]) in html
    assert 'name="_save"' not in html
    listing = client.get(reverse("admin:publicity_objection_changelist"))
    assert listing.status_code == 200


def test_odd_filters_get_an_answer_never_an_error(client, reviewer, objection):
    client.force_login(reviewer)
    for query in (
        "?q=%00&project=%00&status=%00",
        "?publication=%C2%B2",  # a superscript two: a digit to str.isdigit, not to int()
        "?publication=99999999999999999999",
        "?page=x",
    ):
        assert client.get(reverse("objections:list") + query).status_code == 200, query
