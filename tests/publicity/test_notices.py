"""Written notices to households: what residents read on them, their QR codes, the group
batches for door-to-door delivery, and who may print them."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from celery.exceptions import Retry
from django.urls import resolve, reverse
from django.utils import timezone
from PIL import Image

from households import idnumbers
from households.models import Document, Household, new_lookup_code
from publicity.models import NoticeType, RenderJob, RenderPart, RenderStatus
from publicity.pdf import notices as publicity_notices
from publicity.services import notices, rendering
from publicity.tasks import render_notices_part
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.masking import Mask, mask
from resettlement.public_site import normalise_lookup_code
from tests.households.factories import VillagerGroupFactory, approve, member_data

LOTTERY = {
    "starts_at": "2031-05-17T08:30",
    "place": "开发区文体中心一楼大厅",
    "check_in_minutes": 45,
    "matters": ["请勿携带宠物进入会场。", "会场不提供停车位。"],
    "contact": "0571-86001234",
}


def _write(pdf: bytes, directory: str) -> Path:
    path = Path(directory, "notices.pdf")
    path.write_bytes(pdf)
    return path


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page, whitespace removed (CJK text comes back with stray spaces)."""
    with tempfile.TemporaryDirectory() as directory:
        path = _write(pdf, directory)
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)  # noqa: S603, S607
    pages = out.stdout.decode().split("\f")[:-1]
    return ["".join(page.split()) for page in pages]


def qr_codes(pdf: bytes, page: int = 1) -> list[str]:
    """Decode the QR codes on a page the way a phone sees it: rasterise, then read."""
    with tempfile.TemporaryDirectory() as directory:
        path = _write(pdf, directory)
        command = ["pdftoppm", "-r", "150", "-f", str(page), "-l", str(page), "-singlefile"]
        command += ["-png", str(path), str(Path(directory, "page"))]
        subprocess.run(command, check=True)  # noqa: S603
        image = Image.open(Path(directory, "page.png")).convert("L")
        return [result.text for result in zxingcpp.read_barcodes(image)]


def embedded_images(pdf: bytes) -> int:
    with tempfile.TemporaryDirectory() as directory:
        path = _write(pdf, directory)
        out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True)  # noqa: S603, S607
    return len(out.stdout.decode().splitlines()) - 2  # two header lines


def neighbour_id(id_number: str, step: int = 0) -> str:
    """A valid ID number differing from `id_number` only in the sequence digits (far enough
    along the sequence that the factories do not hand it out in the same test)."""
    parsed = idnumbers.parse(id_number)
    sequence = (int(id_number[14:16]) * 5 + int(id_number[16]) // 2 + 250 + step) % 500
    return idnumbers.make(id_number[:6], parsed.birth_date, sequence, parsed.sex)


@pytest.fixture
def neighbour(register, approved_household, reviewer, leader):
    """A second approved household in the same group, its head's ID number almost the same
    as the first household's."""
    head = approved_household.members.get(relation="head")
    household = register(
        members=[member_data(name="赵铁柱", id_number=neighbour_id(head.id_number))],
        address="南宫河村3组14号",
    )
    return approve(household, reviewer=reviewer, leader=leader)


def _ids_and_names(household: Household) -> list[str]:
    return [value for m in household.members.all() for value in (m.name, m.id_number)]


# --- what each notice says ------------------------------------------------------------------


def test_allocation_notice_tells_time_place_documents_matters_and_the_proxy_draw(
    approved_household, clerk
):
    pdf = notices.notice_pdf(
        actor=clerk, household=approved_household, notice_type="allocation", options=LOTTERY
    )
    (text,) = page_texts(pdf)
    code = approved_household.lookup_code
    assert "分房摇号通知书" in text
    assert approved_household.code in text
    assert f"{code[:4]}-{code[4:8]}-{code[8:]}" in text
    assert "王建国户" in text
    assert "安置人口2人" in text and "李秀英" in text
    assert "2031年5月17日(星期六)8:30" in text
    assert "开发区文体中心一楼大厅" in text
    assert "签到时间:7:45起,摇号开始时签到截止" in text
    for document in ("户口簿原件", "身份证原件", "本通知书", "授权委托书"):
        assert document in text
    assert "请勿携带宠物进入会场。" in text and "会场不提供停车位。" in text
    assert "代为摇号(代摇)" in text and "公证员见证" in text
    assert "0571-86001234" in text
    assert "送达回执" in text


def test_allocation_notice_is_refused_for_a_household_not_yet_approved(register, clerk):
    household = register(members=[member_data(name="钱未审")])
    with pytest.raises(RuleViolation) as error:
        notices.notice_pdf(actor=clerk, household=household, notice_type="allocation")
    assert error.value.code == "not_approved"


def test_registration_notice_lists_the_members_and_the_documents_still_missing(
    approved_household, clerk
):
    # The scans handed in for approval (tests.households.factories) are not on file here.
    Document.objects.filter(household=approved_household).delete()
    pdf = notices.notice_pdf(
        actor=clerk,
        household=approved_household,
        notice_type="registration",
        options={"deadline": "2031-03-01", "office": "南宫河社区居委会二楼"},
    )
    (text,) = page_texts(pdf)
    assert "登记确认通知书" in text
    assert approved_household.code in text
    assert approved_household.lookup_code[:4] in text
    for member in approved_household.members.all():
        assert member.name in text
        # Their own notice, but it goes door to door and can be lost: the number masked.
        assert member.id_number not in text
        assert mask(member.id_number, Mask.ID_NUMBER) in text
    # Nothing uploaded yet: agreement, hukou book and both ID cards are missing.
    assert "拆迁补偿安置协议" in text and "户口簿" in text
    assert "身份证(王建国)" in text and "身份证(李秀英)" in text
    assert "2031年3月1日" in text and "南宫河社区居委会二楼" in text


def test_publicity_notice_names_the_publications_their_period_and_how_to_object(
    published_population, approved_household, clerk
):
    pdf = notices.notice_pdf(actor=clerk, household=approved_household, notice_type="publicity")
    (text,) = page_texts(pdf)
    publication = published_population
    assert "公示通知书" in text
    assert "".join(publication.title.split()) in text
    assert f"公示期{publication.starts_on:%Y-%m-%d}至{publication.ends_on:%Y-%m-%d}" in text
    assert "列有您户2行" in text
    assert publication.content_hash[:16] in text
    assert "公示栏" in text and "/public/" in text
    assert "异议" in text and "户编号" in text


def test_publicity_notice_leaves_out_publications_that_do_not_list_the_household(
    published_population, register, clerk
):
    other = register(members=[member_data(name="孙不在")])  # registered, not in the roster
    pdf = notices.notice_pdf(actor=clerk, household=other, notice_type="publicity")
    (text,) = page_texts(pdf)
    assert "".join(published_population.title.split()) not in text
    assert "目前没有涉及您户的公示" in text


# --- the lookup code and the QR code ---------------------------------------------------------


# The result notice (printed after a signed lottery) is checked in its batch test below.
@pytest.mark.parametrize("notice_type", [t for t in NoticeType.values if t != NoticeType.RESULT])
def test_the_qr_code_opens_the_households_own_page(
    approved_household, clerk, settings, notice_type
):
    settings.PUBLIC_BASE_URL = "https://anzhi.example.gov.cn"
    pdf = notices.notice_pdf(actor=clerk, household=approved_household, notice_type=notice_type)
    expected = f"https://anzhi.example.gov.cn/public/my/{approved_household.lookup_code}/"
    assert qr_codes(pdf) == [expected]
    assert embedded_images(pdf) == 1
    assert expected in page_texts(pdf)[0]  # printed too, for those who cannot scan


def test_the_lookup_code_is_printed_in_groups_for_reading_aloud():
    assert publicity_notices.lookup_code_display("ABCDEFGHJK") == "ABCD-EFGH-JK"
    assert publicity_notices.lookup_code_display("ABCDEFGH") == "ABCD-EFGH"


def test_the_printed_code_and_the_qr_code_lead_to_the_residents_page(approved_household):
    code = approved_household.lookup_code
    match = resolve(urlsplit(publicity_notices.resident_url(code)).path)
    assert (match.view_name, match.kwargs) == ("public:resident", {"code": code})
    # What a resident types from the paper, dashes and all, is the same code.
    assert normalise_lookup_code(publicity_notices.lookup_code_display(code).lower()) == code


def test_lookup_codes_are_random_not_derived_from_the_id_number(register_in, clerk):
    # The same people registered in two projects, with almost identical ID numbers.
    first, second = VillagerGroupFactory(), VillagerGroupFactory()
    ids = [neighbour_id(member_data()["id_number"], step) for step in range(6)]
    codes: dict[str, list[str]] = {}
    for group in (first, second):
        for number in ids:
            household = register_in(group, members=[member_data(id_number=number)])
            codes.setdefault(number, []).append(household.lookup_code)
    every_code = [code for pair in codes.values() for code in pair]
    assert len(set(every_code)) == len(every_code)
    for number, (in_first, in_second) in codes.items():
        assert in_first != in_second  # same ID number, unrelated codes
        assert not any(chunk in in_first for chunk in (number[-4:], number[6:10]))
    for a in every_code:
        for b in every_code:
            if a != b:  # as unrelated as random strings: few positions agree
                assert sum(x == y for x, y in zip(a, b, strict=True)) <= 4


def test_new_lookup_codes_do_not_repeat():
    codes = {new_lookup_code() for _ in range(20000)}
    assert len(codes) == 20000
    assert all(len(code) == 10 and "0" not in code and "O" not in code for code in codes)


# --- group batches ----------------------------------------------------------------------------


@pytest.fixture
def group_of_four(register, approved_household, neighbour, reviewer, leader):
    """Four approved households in one group (and one unapproved, who gets no lottery
    notice), plus an approved household in another group of the same project."""
    third = approve(
        register(members=[member_data(name="孙大海")]), reviewer=reviewer, leader=leader
    )
    fourth = approve(
        register(members=[member_data(name="周小梅", sex="F")]), reviewer=reviewer, leader=leader
    )
    register(members=[member_data(name="吴未批")])
    return [approved_household, neighbour, third, fourth]


def _start(actor, project, notice_type, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        job = notices.notices_render_start(
            actor=actor, project=project, notice_type=notice_type, **kwargs
        )
    return job


def test_a_group_batch_has_one_page_per_household_in_code_order(
    group_of_four, clerk, django_capture_on_commit_callbacks
):
    project = group_of_four[0].project
    job = _start(clerk, project, "allocation", django_capture_on_commit_callbacks, options=LOTTERY)
    (part,) = job.parts.all()
    assert part.status == RenderStatus.DONE
    assert part.group == group_of_four[0].group
    assert part.pages == 4
    pdf = part.file.read()
    pages = page_texts(pdf)
    households = sorted(group_of_four, key=lambda h: h.code)
    assert len(pages) == 4
    for text, household in zip(pages, households, strict=True):
        assert household.code in text
        assert publicity_notices.lookup_code_display(household.lookup_code) in text
    assert "吴未批" not in "".join(pages)
    assert qr_codes(pdf, 1) == [publicity_notices.resident_url(households[0].lookup_code)]
    assert qr_codes(pdf, 4) == [publicity_notices.resident_url(households[3].lookup_code)]


def test_a_project_batch_makes_one_part_per_group_with_households_to_notify(
    group_of_four, register_in, reviewer, leader, clerk, django_capture_on_commit_callbacks
):
    project = group_of_four[0].project
    other_group = VillagerGroupFactory(project=project, community=group_of_four[0].community)
    approve(
        register_in(other_group, members=[member_data(name="郑其他")]),
        reviewer=reviewer,
        leader=leader,
    )
    VillagerGroupFactory(project=project, community=group_of_four[0].community)  # empty
    job = _start(clerk, project, "allocation", django_capture_on_commit_callbacks)
    parts = {part.group_id: part for part in job.parts.all()}
    assert set(parts) == {group_of_four[0].group_id, other_group.pk}
    assert [parts[group_of_four[0].group_id].pages, parts[other_group.pk].pages] == [4, 1]
    assert job.kind == RenderJob.Kind.NOTICES and job.notice_type == "allocation"


def test_a_notice_never_shows_another_households_names_or_id_numbers(
    group_of_four, clerk, django_capture_on_commit_callbacks
):
    project = group_of_four[0].project
    job = _start(clerk, project, "registration", django_capture_on_commit_callbacks)
    (part,) = job.parts.all()
    pages = page_texts(part.file.read())
    households = sorted(Household.objects.filter(group=part.group), key=lambda h: h.code)
    assert len(pages) == len(households) == 5
    for text, household in zip(pages, households, strict=True):
        for member in household.members.all():
            # Their own names; their ID numbers masked (a notice can be lost).
            assert member.name in text and member.id_number not in text
            assert mask(member.id_number, Mask.ID_NUMBER) in text
        for other in households:
            if other != household:
                for value in _ids_and_names(other):
                    assert value not in text
                assert other.lookup_code[:4] + "-" not in text


# --- the task -----------------------------------------------------------------------------


def test_rendering_a_part_twice_renders_it_once(
    group_of_four, clerk, django_capture_on_commit_callbacks
):
    job = _start(clerk, group_of_four[0].project, "allocation", django_capture_on_commit_callbacks)
    part = job.parts.get()
    first_file = part.file.name
    assert notices.notices_part_render(part_id=part.pk) is rendering.Outcome.SKIPPED
    part.refresh_from_db()
    assert (part.status, part.file.name) == (RenderStatus.DONE, first_file)


def test_a_running_part_is_left_alone_until_its_worker_is_presumed_lost(group_of_four, clerk):
    job = RenderJob.objects.create(
        kind=RenderJob.Kind.NOTICES,
        project=group_of_four[0].project,
        notice_type="allocation",
        options=notices.clean_options(project=group_of_four[0].project, notice_type="allocation"),
        created_by=clerk,
    )
    part = RenderPart.objects.create(
        job=job,
        label="x",
        group=group_of_four[0].group,
        status=RenderStatus.RUNNING,
        started_at=timezone.now(),
    )
    assert notices.notices_part_render(part_id=part.pk) is rendering.Outcome.BUSY
    RenderPart.objects.filter(pk=part.pk).update(
        started_at=timezone.now() - rendering.stale_after() - dt.timedelta(minutes=1)
    )
    assert notices.notices_part_render(part_id=part.pk) is rendering.Outcome.RENDERED
    part.refresh_from_db()
    assert (part.status, part.pages) == (RenderStatus.DONE, 4)


def test_a_failed_part_is_marked_failed_and_the_task_retries_it(
    group_of_four, clerk, django_capture_on_commit_callbacks, monkeypatch
):
    real_render = publicity_notices.notices_render
    monkeypatch.setattr(publicity_notices, "notices_render", lambda **kwargs: 1 / 0)
    with pytest.raises(Retry):  # the task asks Celery to run it again later
        _start(clerk, group_of_four[0].project, "allocation", django_capture_on_commit_callbacks)
    part = RenderPart.objects.get()
    assert part.status == RenderStatus.FAILED and "division by zero" in part.error
    monkeypatch.setattr(publicity_notices, "notices_render", real_render)
    assert render_notices_part.delay(part.pk).get() == "rendered"  # the retry
    part.refresh_from_db()
    assert (part.status, part.pages, part.error) == (RenderStatus.DONE, 4, "")


# --- options ------------------------------------------------------------------------------


def test_lottery_options_default_to_something_printable(approved_household):
    options = notices.clean_options(
        project=approved_household.project, notice_type="allocation", today=dt.date(2030, 1, 1)
    )
    assert options["starts_at"] == "2030-01-15T08:30"
    assert options["place"] and len(options["matters"]) >= 3
    assert options["issuer"].startswith(approved_household.project.name)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"starts_at": "next Saturday"}, "starts_at"),
        ({"place": "   "}, "place"),
        ({"check_in_minutes": "999"}, "check_in_minutes"),
    ],
)
def test_bad_lottery_options_name_the_field(approved_household, bad, field):
    with pytest.raises(RuleViolation) as error:
        notices.clean_options(
            project=approved_household.project, notice_type="allocation", options=bad
        )
    assert error.value.details[0]["field"] == field


def test_a_lottery_in_the_past_is_refused(approved_household, clerk):
    with pytest.raises(RuleViolation) as error:
        notices.notices_render_start(
            actor=clerk,
            project=approved_household.project,
            notice_type="allocation",
            options={"starts_at": "2001-01-01T08:30"},
        )
    assert error.value.details[0]["field"] == "starts_at"
    assert not RenderJob.objects.exists()


def test_groups_of_another_project_are_refused(approved_household, clerk):
    with pytest.raises(RuleViolation) as error:
        notices.notices_render_start(
            actor=clerk,
            project=approved_household.project,
            notice_type="allocation",
            groups=[VillagerGroupFactory()],
        )
    assert error.value.code == "bad_group"


def test_a_reprint_repeats_the_latest_batchs_time_and_place(
    group_of_four, clerk, django_capture_on_commit_callbacks
):
    project = group_of_four[0].project
    _start(clerk, project, "allocation", django_capture_on_commit_callbacks, options=LOTTERY)
    pdf = notices.notice_pdf(actor=clerk, household=group_of_four[2], notice_type="allocation")
    (text,) = page_texts(pdf)
    assert "2031年5月17日" in text and "开发区文体中心一楼大厅" in text


# --- staff pages and permissions ---------------------------------------------------------------


def test_someone_without_the_registry_permission_cannot_print_notices(
    approved_household, outsider, client
):
    with pytest.raises(NotAllowed):
        notices.notice_pdf(actor=outsider, household=approved_household, notice_type="publicity")
    with pytest.raises(NotAllowed):
        notices.notices_render_start(
            actor=outsider, project=approved_household.project, notice_type="publicity"
        )
    client.force_login(outsider)
    for url in (
        reverse("notices:start"),
        reverse("notices:household", args=[approved_household.pk, "allocation"]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("notices:start"), {"type": "publicity"}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(approved_household, client):
    response = client.get(reverse("notices:household", args=[approved_household.pk, "publicity"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_clerk_downloads_one_households_notice_from_its_page(approved_household, clerk, client):
    client.force_login(clerk)
    url = reverse("notices:household", args=[approved_household.pk, "allocation"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert approved_household.code in page_texts(response.content)[0]


def test_an_unknown_notice_type_is_not_found(approved_household, clerk, client):
    client.force_login(clerk)
    response = client.get(reverse("notices:household", args=[approved_household.pk, "nonsense"]))
    assert response.status_code == 404


def test_a_clerk_starts_a_lottery_batch_from_the_form_and_downloads_the_group_pdf(
    group_of_four, clerk, client, django_capture_on_commit_callbacks
):
    project = group_of_four[0].project
    client.force_login(clerk)
    page = client.get(reverse("notices:start"), {"project": project.code, "type": "allocation"})
    assert page.status_code == 200
    assert "摇号地点" in page.content.decode()
    form = {
        "project": project.code,
        "type": "allocation",
        "groups": [group_of_four[0].group_id],
        "starts_at": "2031-06-07T09:00",
        "place": "南宫河社区礼堂",
        "check_in_minutes": "30",
        "matters": "请带好雨具。\n请准时到场。",
        "issuer": "南宫河安置工作领导小组",
        "issued_on": "2031-05-20",
        "contact": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notices:start"), form)
    job = RenderJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "notices:job", args=[job.pk]
    )
    assert job.options["place"] == "南宫河社区礼堂"
    assert job.options["matters"] == ["请带好雨具。", "请准时到场。"]
    status = client.get(response["Location"]).content.decode()
    part = job.parts.get()
    assert reverse("notices:part-download", args=[part.pk]) in status
    download = client.get(reverse("notices:part-download", args=[part.pk]))
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    # Served like every private file: never sniffed or run, as a download.
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert download["Content-Disposition"].startswith("attachment;")
    pages = page_texts(b"".join(download.streaming_content))
    assert len(pages) == 4
    assert all("2031年6月7日(星期六)9:00" in text and "请带好雨具。" in text for text in pages)


def test_the_form_shows_a_bad_option_on_its_field(approved_household, clerk, client):
    client.force_login(clerk)
    response = client.post(
        reverse("notices:start"),
        {
            "project": approved_household.project.code,
            "type": "allocation",
            "starts_at": "2001-01-01T09:00",
            "place": "礼堂",
            "check_in_minutes": "30",
            "issuer": "领导小组",
            "issued_on": "2031-05-20",
        },
    )
    assert response.status_code == 200
    assert "摇号时间已过" in response.content.decode()
    assert not RenderJob.objects.exists()


def test_notice_texts_are_chinese_whatever_the_staff_language(approved_household, clerk, client):
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    response = client.get(
        reverse("notices:household", args=[approved_household.pk, "allocation"]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "分房摇号通知书" in page_texts(response.content)[0]


def test_an_english_copy_of_a_notice_is_printed_when_the_batch_asks_for_it(
    approved_household, clerk, client
):
    pdf = notices.notice_pdf(
        actor=clerk,
        household=approved_household,
        notice_type="allocation",
        options={**LOTTERY, "language": "en"},
    )
    (text,) = page_texts(pdf)
    assert "Housinglotterynotice" in text or "Housingallocationlotterynotice" in text
    assert "分房摇号通知书" not in text
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    form = client.get(reverse("notices:start")).content.decode()
    assert 'name="language"' in form and ">English</option>" in form
    # Anything else than a language of the site prints the official Chinese.
    cleaned = notices.clean_options(
        project=approved_household.project, notice_type="allocation", options={"language": "xx"}
    )
    assert cleaned["language"] == "zh-hans"


# --- the lottery result notice (分房结果通知书) ------------------------------------------------


def test_the_result_notice_is_refused_before_the_session_is_signed(drawing_session, clerk, client):
    household = drawing_session.project.households.order_by("code").first()
    with pytest.raises(RuleViolation) as refused:
        notices.notice_pdf(actor=clerk, household=household, notice_type="result")
    assert refused.value.code == "not_signed"
    assert "不能打印分房结果通知书" in refused.value.message
    with pytest.raises(RuleViolation) as refused:
        notices.notices_render_start(
            actor=clerk, project=drawing_session.project, notice_type="result"
        )
    assert refused.value.code == "not_signed"
    assert not RenderJob.objects.exists()
    client.force_login(clerk)
    page = client.get(reverse("staff:household-detail", args=[household.pk])).content.decode()
    assert reverse("notices:household", args=[household.pk, "result"]) not in page
    response = client.get(reverse("notices:household", args=[household.pk, "result"]), follow=True)
    assert "该户还没有经公证员签署的摇号结果" in response.content.decode()


def test_a_result_batch_prints_one_page_per_allocated_household_with_its_receipt(
    signed_session, clerk, client, django_capture_on_commit_callbacks
):
    from lottery.models import Allocation

    project = signed_session.project
    allocated = {
        a.household_id: a for a in Allocation.objects.filter(session=signed_session, binding=True)
    }
    client.force_login(clerk)
    page = client.get(reverse("notices:start"), {"project": project.code, "type": "result"})
    assert "分房结果通知书发给经公证员签署的摇号场次分到安置房的户" in page.content.decode()
    some = project.households.get(pk=next(iter(allocated)))
    detail = client.get(reverse("staff:household-detail", args=[some.pk])).content.decode()
    assert reverse("notices:household", args=[some.pk, "result"]) in detail
    form = {
        "project": project.code,
        "type": "result",
        "groups": [some.group_id],
        "office": "南宫河社区安置办",
        "issuer": "南宫河安置工作领导小组",
        "issued_on": "2031-05-20",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notices:start"), form)
    job = RenderJob.objects.get()
    assert response.status_code == 302 and job.notice_type == "result"
    part = job.parts.get()
    assert part.status == RenderStatus.DONE
    households = sorted(
        (h for h in project.households.filter(group=some.group) if h.pk in allocated),
        key=lambda h: h.code,
    )
    assert households and part.pages == len(households)
    pdf = b"".join(client.get(reverse("notices:part-download", args=[part.pk])).streaming_content)
    pages = page_texts(pdf)
    assert len(pages) == len(households)
    for number, (text, household) in enumerate(zip(pages, households, strict=True), start=1):
        assert household.code in text and "分房结果通知书" in text
        assert allocated[household.pk].apartment.code in text
        assert "南宫河社区安置办办理安置房合同签订和结算手续" in text
        codes = qr_codes(pdf, number)
        assert publicity_notices.resident_url(household.lookup_code) in codes
        assert any(f"/receipt/#h={household.code}&" in code for code in codes), codes


def test_a_household_sent_back_to_review_after_the_draw_still_gets_its_result_notice(
    signed_session, clerk, client
):
    """One rule gives a result notice: the household's receipt of a signed session. A member
    added after the draw sends the household back to review; what the signed session gave it
    stands, and so does the notice that says so (the household page offers it, it prints)."""
    from households.services.members import member_add

    code = signed_session.bundle["allocation"][0]["household"]
    household = signed_session.project.households.get(code=code)
    member_add(
        actor=clerk,
        household=household,
        data=member_data("child", name="王小新", birth_date=dt.date(2020, 1, 2)),
        reason="补登新生儿",
    )
    household.refresh_from_db()
    assert household.status != "approved"
    (text,) = page_texts(notices.notice_pdf(actor=clerk, household=household, notice_type="result"))
    assert household.code in text and "分房结果通知书" in text
    assert min(signed_session.bundle["allocation"][0]["apartments"]) in text
    client.force_login(clerk)
    detail = client.get(reverse("staff:household-detail", args=[household.pk])).content.decode()
    assert reverse("notices:household", args=[household.pk, "result"]) in detail
    job = notices.notices_render_start(
        actor=clerk,
        project=household.project,
        notice_type="result",
        options={"office": "安置办", "issuer": "领导小组", "issued_on": "2031-05-20"},
    )
    assert household.group_id in set(job.parts.values_list("group_id", flat=True))


def test_an_english_copy_of_the_result_notice(signed_session, clerk):
    code = signed_session.bundle["allocation"][0]["household"]
    household = signed_session.project.households.get(code=code)
    pdf = notices.notice_pdf(
        actor=clerk, household=household, notice_type="result", options={"language": "en"}
    )
    (text,) = page_texts(pdf)
    assert "Housingallocationresultnotice" in text
    assert f"Lotterysession{signed_session.code}wassignedoffbythenotary" in text
    # The apartments the draw gave this household (the seed, so the homes, differ by run).
    first = min(signed_session.bundle["allocation"][0]["apartments"])
    apartment = household.project.apartments.get(code=first)
    assert "Whathappensnext" in text
    assert f"building{apartment.building.code}" in text.replace(",", "")
    assert "分房结果通知书" not in text and "下一步" not in text
