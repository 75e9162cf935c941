"""Reports to the supervising office (举报投诉): anyone files one on the public site and gets
a reference and a check code; only the supervising role reads and answers them; with both
codes the reporter sees the status and the answer."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from publicity.models import Complaint, ComplaintStatus
from publicity.services import complaints
from resettlement.errors import NotAllowed, RuleViolation
from tests.publicity.factories import PNG

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_limits_and_private_media")]

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def _form(**overrides) -> dict:
    data = {
        "category": "allocation",
        "project": "",
        "text": "第三村民小组组长在选房前私下调换了房号。",
        "contact_name": "张明",
        "contact_phone": "136 1234 5678",
        "website": "",
    }
    data.update(overrides)
    return data


def _file(client, **overrides):
    return client.post(reverse("public:complaint-file"), _form(**overrides))


def _html(response) -> str:
    return response.content.decode()


def _receipt(client) -> tuple[str, str]:
    html = _html(client.get(reverse("public:complaint-receipt")))
    reference = re.search(r'id="reference">([A-Z0-9]+)<', html).group(1)
    code = re.search(r'id="check-code">([A-Z0-9]+)<', html).group(1)
    return reference, code


def _status(client, reference: str, code: str):
    return client.post(
        reverse("public:complaint-status"), {"reference": reference, "check_code": code}
    )


# --- Filing -------------------------------------------------------------------------------


def test_a_report_is_saved_and_the_reporter_gets_its_reference_and_check_code(
    client, project, settings
):
    settings.SUPERVISION_HOTLINE = "0571-12388"
    settings.SUPERVISION_MAILBOX = "纪工委书记信箱(街道办一楼)"
    form = client.get(reverse("public:complaint-file"))
    assert "0571-12388" in _html(form) and "纪工委书记信箱" in _html(form)

    response = _file(client, project=str(project.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("public:complaint-receipt")
    reference, code = _receipt(client)
    complaint = Complaint.objects.get()
    assert complaint.reference == reference
    assert complaint.project == project
    assert complaint.status == ComplaintStatus.RECEIVED
    assert (complaint.contact_name, complaint.contact_phone) == ("张明", "136 1234 5678")
    # The check code is never stored as it was shown.
    assert code not in complaint.check_code_hash
    # Shown once: reloading the receipt (on a shared phone, say) shows no codes, and files
    # nothing twice.
    again = _html(client.get(reverse("public:complaint-receipt")))
    assert reference not in again and code not in again
    assert Complaint.objects.count() == 1


def test_a_report_may_be_anonymous_and_carry_a_photo(client):
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    response = client.post(
        reverse("public:complaint-file"),
        {**_form(contact_name="", contact_phone=""), "attachment": photo},
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.contact_name == complaint.contact_phone == ""
    assert complaint.attachment_type == "image/png"


def test_bad_input_is_told_on_each_field_and_nothing_is_saved(client):
    response = _file(client, category="", text="   ", contact_phone="call me")
    assert response.status_code == 200
    html = _html(response)
    assert 'id="error-category">请选择举报类别。' in html
    assert 'id="error-text">请写明举报或投诉的内容。' in html
    assert 'id="error-contact_phone">请填写有效的联系电话,或留空匿名举报。' in html
    assert not Complaint.objects.exists()


def test_an_over_long_report_is_refused_on_its_field(client):
    html = _html(_file(client, text="违" * 4001))
    assert 'id="error-text">内容不能超过 4000 字。' in html
    assert not Complaint.objects.exists()


def test_a_phone_number_with_too_few_digits_is_refused(client):
    html = _html(_file(client, contact_phone="12-34"))
    assert 'id="error-contact_phone">请填写有效的联系电话,或留空匿名举报。' in html
    assert not Complaint.objects.exists()


def test_an_executable_attachment_is_refused_whatever_its_name(client):
    program = SimpleUploadedFile("photo.jpg", ELF, content_type="image/jpeg")
    response = client.post(reverse("public:complaint-file"), {**_form(), "attachment": program})
    assert 'id="error-attachment">附件只接受 PDF、JPG、PNG 文件。' in _html(response)
    assert not Complaint.objects.exists()


def test_an_oversized_attachment_is_refused_with_the_limit(client, settings, tmp_path):
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024), content_type="image/png")
    response = client.post(reverse("public:complaint-file"), {**_form(), "attachment": big})
    assert 'id="error-attachment">附件过大,上限为 1 MB。' in _html(response)
    assert not Complaint.objects.exists()
    assert not (tmp_path / "private_media" / "complaints").exists()


def test_the_service_reports_every_problem_at_once(db):
    with pytest.raises(RuleViolation) as refused:
        complaints.complaint_file(category="nonsense", text="", contact_phone="x")
    fields = {detail["field"] for detail in refused.value.details}
    assert fields == {"category", "text", "contact_phone"}
    assert not Complaint.objects.exists()


def test_a_bot_filling_the_hidden_field_sees_a_receipt_but_nothing_is_saved(client):
    response = _file(client, website="http://spam.example")
    assert response.status_code == 302
    assert 'id="reference"' not in _html(client.get(response["Location"]))
    assert not Complaint.objects.exists()


def test_filing_is_rate_limited_per_client(client, settings):
    settings.PUBLIC_COMPLAINT_RATE = "2/h"
    assert _file(client).status_code == 302
    assert _file(client).status_code == 302
    refused = _file(client)
    assert refused.status_code == 429
    assert "每 60 分钟最多提交 2 次举报" in _html(refused)
    assert Complaint.objects.count() == 2
    other = client.post(reverse("public:complaint-file"), _form(), REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302


# --- The reporter's status page -----------------------------------------------------------


def test_the_status_needs_the_right_check_code(client):
    _file(client)
    reference, code = _receipt(client)
    wrong = _status(client, reference, "ABCDEFGH" if code != "ABCDEFGH" else "HGFEDCBA")
    assert 'id="not-found"' in _html(wrong)
    assert "第三村民小组" not in _html(wrong)
    unknown = _status(client, "JB00000000", code)
    assert 'id="not-found"' in _html(unknown)

    # Typed on a phone: lower case, with spaces.
    right = _status(client, reference.lower(), f"{code[:4]} {code[4:]}".lower())
    html = _html(right)
    assert 'id="report-status">已受理<' in html
    assert "第三村民小组组长在选房前私下调换了房号。" in html
    # The contact is masked even for the reporter's own page.
    assert "张*" in html and "136****5678" in html
    assert "1234 5678" not in html


def test_status_lookups_are_rate_limited(client, settings):
    settings.PUBLIC_COMPLAINT_STATUS_RATE = "3/m"
    for _attempt in range(3):
        assert _status(client, "JB23456789", "AAAAAAAA").status_code == 200
    refused = _status(client, "JB23456789", "AAAAAAAA")
    assert refused.status_code == 429
    assert "最多查询 3 次" in _html(refused)


# --- The supervising office ---------------------------------------------------------------


def test_a_leader_gets_403_on_every_supervision_page(client, leader):
    complaint, _code = complaints.complaint_file(category="funds", text="补偿款被截留。")
    client.force_login(leader)
    pages = [
        reverse("complaints:list"),
        reverse("complaints:detail", args=[complaint.pk]),
        reverse("complaints:attachment", args=[complaint.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 403, url
    answer = client.post(reverse("complaints:answer", args=[complaint.pk]), {"answer": "已核实"})
    assert answer.status_code == 403
    close = client.post(reverse("complaints:close", args=[complaint.pk]), {"answer": "重复"})
    assert close.status_code == 403
    assert "举报投诉" not in _html(client.get(reverse("staff:home")))
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED


def test_only_the_supervising_role_may_answer_through_the_service(leader):
    complaint, _code = complaints.complaint_file(category="conduct", text="收受好处费。")
    with pytest.raises(NotAllowed):
        complaints.complaint_answer(actor=leader, complaint=complaint, answer="已核实")


def test_the_supervisor_answers_and_the_reporter_reads_the_answer(client, supervisor):
    reporter = client.__class__()
    _file(reporter)
    reference, code = _receipt(reporter)
    complaint = Complaint.objects.get()

    client.force_login(supervisor)
    listing = _html(client.get(reverse("complaints:list")))
    assert reference in listing and "举报投诉" in listing
    detail = _html(client.get(reverse("complaints:detail", args=[complaint.pk])))
    assert "张明 136 1234 5678" in detail  # the supervisor sees the full contact

    started = client.post(reverse("complaints:start", args=[complaint.pk]))
    assert started.status_code == 302
    assert 'id="report-status">核查中<' in _html(_status(reporter, reference, code))

    empty = client.post(reverse("complaints:answer", args=[complaint.pk]), {"answer": " "})
    assert empty.status_code == 400
    assert "请填写答复。" in _html(empty)

    answered = client.post(
        reverse("complaints:answer", args=[complaint.pk]),
        {"answer": "经核查,房号调换属实,已责令纠正,相关人员已立案调查。"},
    )
    assert answered.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED
    assert complaint.answered_by == supervisor

    html = _html(_status(reporter, reference, code))
    assert 'id="report-status">已答复<' in html
    assert "经核查,房号调换属实,已责令纠正,相关人员已立案调查。" in html
    assert "韩纪检" not in html  # who answered stays inside the office

    closed = client.post(reverse("complaints:close", args=[complaint.pk]))
    assert closed.status_code == 302
    assert 'id="report-status">已办结<' in _html(_status(reporter, reference, code))
    assert reference not in _html(client.get(reverse("complaints:list")))
    assert reference in _html(client.get(reverse("complaints:list") + "?status=all"))


def test_an_unanswered_report_closes_only_with_a_reason(supervisor):
    complaint, _code = complaints.complaint_file(category="other", text="与 JB 重复。")
    with pytest.raises(RuleViolation) as refused:
        complaints.complaint_close(actor=supervisor, complaint=complaint)
    assert refused.value.details[0]["field"] == "answer"
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED
    complaint = complaints.complaint_close(
        actor=supervisor, complaint=complaint, answer="与已受理的举报重复,合并办理。"
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.answer == "与已受理的举报重复,合并办理。"
    assert complaint.closed_at is not None and complaint.answered_by == supervisor


def test_the_supervisor_downloads_the_attachment_as_a_file_that_cannot_run(client, supervisor):
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    complaint, _code = complaints.complaint_file(
        category="other", text="见附件。", attachment=photo
    )
    client.force_login(supervisor)
    response = client.get(reverse("complaints:attachment", args=[complaint.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"] == f'attachment; filename="{complaint.reference}.png"'
    assert "sandbox" in response["Content-Security-Policy"]


def test_odd_filters_on_the_supervisors_list_get_an_answer_never_an_error(client, supervisor):
    complaint, _code = complaints.complaint_file(category="funds", text="补偿款被截留。")
    client.force_login(supervisor)
    for query in ("?q=%00&project=%00&status=%00&category=%00", "?q=%00", "?page=x"):
        response = client.get(reverse("complaints:list") + query)
        assert response.status_code == 200, query
        # A NUL byte is no filter at all (PostgreSQL could not take it): the report is listed.
        assert complaint.reference in _html(response), query
