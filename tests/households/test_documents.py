"""Documents (证明材料): uploads judged by their bytes, stored under a name nobody can guess;
and the checklist of what each household still has to hand in."""

import datetime as dt
import hashlib
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from households.models import Document, DocumentKind
from households.selectors import documents
from households.services import documents as households_documents
from resettlement.errors import RuleViolation
from tests.households.factories import member_data

# Uploads go to the test's own folder, not the developer's private_media/.
pytestmark = pytest.mark.usefixtures("private_media")

STORED_NAME = re.compile(r"^documents/(\d+)/([0-9a-f]{32})\.(pdf|png|jpg)$")


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def png_bytes() -> bytes:
    """A real PNG: a small scan-coloured image, as a phone camera app would save it."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (230, 225, 210)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF, written by Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (255, 255, 255)).save(buffer, format="PDF")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def household(register):
    return register()


@pytest.fixture
def upload(clerk, household):
    def _upload(name: str, content: bytes, kind: str = DocumentKind.HUKOU_BOOK, **kwargs):
        return households_documents.document_upload(
            actor=kwargs.pop("actor", clerk),
            household=kwargs.pop("household", household),
            kind=kind,
            upload=SimpleUploadedFile(name, content, content_type="application/octet-stream"),
            **kwargs,
        )

    return _upload


def refusal(call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as error:
        call(*args, **kwargs)
    return error.value


# Accepted uploads


def test_a_png_is_stored_under_a_server_made_name_with_its_digest(
    upload, household, clerk, private_media
):
    content = png_bytes()

    document = upload("户口簿首页.png", content)

    document = Document.objects.get(pk=document.pk)
    match = STORED_NAME.match(document.file.name)
    assert match, document.file.name
    assert match.group(1) == str(household.project_id)
    assert match.group(3) == "png"
    assert "户口簿" not in document.file.name
    assert document.original_name == "户口簿首页.png"
    assert document.content_type == "image/png"
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.uploaded_by == clerk
    assert (private_media / document.file.name).read_bytes() == content


def test_a_pdf_is_accepted_and_stored_as_pdf(upload, private_media):
    content = pdf_bytes()

    document = upload("协议.pdf", content, kind=DocumentKind.AGREEMENT)

    assert document.content_type == "application/pdf"
    assert STORED_NAME.match(document.file.name).group(3) == "pdf"
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    with document.file.open("rb") as stored:
        assert stored.read() == content


def test_a_jpeg_is_accepted(upload):
    assert upload("身份证.jpg", jpeg_bytes(), kind=DocumentKind.ID_CARD).content_type == (
        "image/jpeg"
    )


def test_the_same_file_uploaded_twice_gets_two_different_names(upload):
    content = png_bytes()
    first, second = upload("scan.png", content), upload("scan.png", content)
    assert first.file.name != second.file.name
    assert first.sha256 == second.sha256


def test_the_stored_extension_follows_the_content_not_the_uploaded_name(upload):
    document = upload("scan.pdf", png_bytes())
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")


def test_a_path_in_the_uploaded_name_cannot_place_the_file_elsewhere(upload, private_media):
    document = upload("../../../etc/cron.d/evil.png", png_bytes())
    assert STORED_NAME.match(document.file.name)
    assert stored_files(private_media) == [private_media / document.file.name]


def test_the_upload_is_recorded_in_the_history_with_who_did_it(upload, clerk):
    document = upload("scan.png", png_bytes())
    entry = document.history.get()
    assert entry.history_user == clerk
    assert entry.history_change_reason == "上传材料"


def test_a_document_can_belong_to_one_member(upload, household):
    head = household.members.get()
    document = upload("身份证.png", png_bytes(), kind=DocumentKind.ID_CARD, member=head)
    assert document.member == head


# Refused uploads: nothing is recorded and nothing is written


def test_a_text_file_renamed_pdf_is_refused(upload, private_media):
    error = refusal(upload, "协议.pdf", "这不是PDF,只是改了扩展名的文本。\n".encode())
    assert error.code == "bad_type"
    assert "协议.pdf" in error.message
    assert Document.objects.count() == 0
    assert stored_files(private_media) == []


def test_an_html_page_renamed_png_is_refused(upload):
    error = refusal(upload, "photo.png", b"<html><script>alert(1)</script></html>")
    assert error.code == "bad_type"


def test_an_image_in_another_format_is_refused_even_though_it_is_real(upload):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    assert refusal(upload, "scan.gif", buffer.getvalue()).code == "bad_type"


def test_an_empty_file_is_refused(upload, private_media):
    error = refusal(upload, "空白.pdf", b"")
    assert error.code == "empty_file"
    assert Document.objects.count() == 0
    assert stored_files(private_media) == []


def test_a_file_over_the_size_limit_is_refused(upload, settings, private_media):
    settings.DOCUMENT_MAX_BYTES = 2048
    content = png_bytes()
    too_big = content + b"\0" * (2049 - len(content))

    error = refusal(upload, "大图.png", too_big)

    assert error.code == "too_large"
    assert Document.objects.count() == 0
    assert stored_files(private_media) == []


def test_a_file_exactly_at_the_size_limit_is_accepted(upload, settings):
    settings.DOCUMENT_MAX_BYTES = 2048
    content = png_bytes()
    at_limit = content + b"\0" * (2048 - len(content))

    assert upload("刚好.png", at_limit).size == 2048


def test_an_unknown_kind_of_document_is_refused(upload):
    assert refusal(upload, "scan.png", png_bytes(), kind="passport").code == "bad_kind"


def test_a_member_of_another_household_is_refused(upload, register):
    stranger = register().members.get()
    error = refusal(upload, "身份证.png", png_bytes(), kind=DocumentKind.ID_CARD, member=stranger)
    assert error.code == "bad_member"


@pytest.mark.parametrize("who", ["reviewer", "outsider"])
def test_only_a_clerk_may_upload(upload, request, who, private_media):
    error = refusal(upload, "scan.png", png_bytes(), actor=request.getfixturevalue(who))
    assert error.code == "permission_denied"
    assert stored_files(private_media) == []


# The checklist (材料清单)

TODAY = dt.datetime(2014, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def checklist(household) -> list[tuple[str, str, bool]]:
    return [
        (item.kind, item.member_name, item.present)
        for item in documents.document_checklist(household)
    ]


@pytest.fixture
def family(register):
    """Head, a wife who married in, and their young son with a one-child certificate."""
    return register(
        members=[
            member_data(name="张三", birth_date=dt.date(1965, 4, 2)),
            member_data(
                relation="spouse",
                name="刘芳",
                sex="F",
                birth_date=dt.date(1990, 5, 6),
                special_status="new_spouse",
                hukou_moved_in=dt.date(2013, 9, 1),
            ),
            member_data(
                relation="child",
                name="张小宝",
                birth_date=dt.date(2010, 7, 7),
                marital_status="unmarried",
                one_child_certificate=True,
            ),
        ]
    )


@time_machine.travel(TODAY)
def test_the_checklist_lists_what_the_household_must_hand_in(family):
    assert checklist(family) == [
        ("agreement", "", False),
        ("hukou_book", "", False),
        ("id_card", "张三", False),
        ("id_card", "刘芳", False),
        ("marriage_certificate", "刘芳", False),
        ("one_child_certificate", "张小宝", False),
    ]


@time_machine.travel(TODAY)
def test_uploaded_documents_are_ticked_off_and_the_rest_listed_as_missing(family, upload):
    wife = family.members.get(name="刘芳")
    upload("协议.pdf", pdf_bytes(), kind=DocumentKind.AGREEMENT, household=family)
    upload(
        "结婚证.png", png_bytes(), DocumentKind.MARRIAGE_CERTIFICATE, household=family, member=wife
    )

    assert checklist(family) == [
        ("agreement", "", True),
        ("hukou_book", "", False),
        ("id_card", "张三", False),
        ("id_card", "刘芳", False),
        ("marriage_certificate", "刘芳", True),
        ("one_child_certificate", "张小宝", False),
    ]
    assert documents.checklist_missing(family) == [
        "户口簿",
        "身份证(张三)",
        "身份证(刘芳)",
        "独生子女证(张小宝)",
    ]
    # the approval checklist (the project's default): hukou book and ID cards only
    assert documents.missing_documents([family]) == {
        family.pk: ["户口簿", "身份证(张三)", "身份证(刘芳)"]
    }


@time_machine.travel(TODAY)
def test_an_id_card_uploaded_for_one_member_does_not_tick_off_another(family, upload):
    head = family.members.get(name="张三")
    upload("身份证.png", png_bytes(), DocumentKind.ID_CARD, household=family, member=head)

    present = {(kind, name) for kind, name, ok in checklist(family) if ok}

    assert present == {("id_card", "张三")}


@time_machine.travel(TODAY)
def test_a_member_who_turns_16_today_needs_an_id_card(register):
    household = register(
        members=[
            member_data(),
            member_data(
                relation="child",
                name="张十六",
                birth_date=dt.date(1998, 3, 1),
                marital_status="unmarried",
            ),
        ]
    )
    assert ("id_card", "张十六", False) in checklist(household)


@time_machine.travel(TODAY)
def test_a_member_who_turns_16_tomorrow_does_not_need_an_id_card_yet(register):
    household = register(
        members=[
            member_data(),
            member_data(
                relation="child",
                name="张十五",
                birth_date=dt.date(1998, 3, 2),
                marital_status="unmarried",
            ),
        ]
    )
    assert [name for kind, name, _ in checklist(household) if kind == "id_card"] == ["张三"]
