"""The clerks' registration screens and the staff review and approval pages, through the test
client."""

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from PIL import Image

from households.models import Household, HouseholdStatus, Member, ReviewStatus
from households.services import review
from tests.households.factories import hand_in_documents, id_number
from tests.people import make_user
from tests.reauth import recently_authenticated

PASSWORD = "correct horse battery staple"


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _register_post(group, **overrides) -> dict:
    head_id = id_number(dt.date(1968, 5, 4), "M")
    data = {
        "project": group.project_id,
        "community": group.community_id,
        "group": group.pk,
        "code": "NGH-0001",
        "address": "南宫河村3组12号",
        "phone": "13812345678",
        "agreement_number": "YH-2012-0088",
        "demolished_area": "160.00",
        "m-TOTAL_FORMS": "2",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "0",
        "m-MAX_NUM_FORMS": "15",
        "m-0-name": "王建国",
        "m-0-id_number": head_id,
        "m-0-relation": "head",
        "m-0-hukou_nature": "agricultural",
        "m-0-marital_status": "married",
        "m-0-special_status": "none",
        "m-0-housing_welfare": "none",
        "m-1-name": "",
        "m-1-id_number": "",
        "m-1-relation": "head",
        "m-1-hukou_nature": "agricultural",
        "m-1-marital_status": "unmarried",
        "m-1-special_status": "none",
        "m-1-housing_welfare": "none",
    }
    data.update(overrides)
    return data


def test_clerk_registers_a_household_and_lands_on_its_page(client, clerk, group):
    client.force_login(clerk)
    response = client.post(reverse("staff:household-register"), _register_post(group))
    household = Household.objects.get(code="NGH-0001")
    assert response.status_code == 302
    assert response.url == reverse("staff:household-detail", args=[household.pk])
    head = household.members.get()
    assert head.name == "王建国"
    assert head.birth_date == dt.date(1968, 5, 4)  # filled in from the ID number
    page = client.get(response.url)
    assert "王建国" in page.content.decode()
    assert "拆迁补偿安置协议" in page.content.decode()  # the checklist shows what is missing


def test_bad_id_number_is_shown_on_the_field_and_nothing_is_saved(client, clerk, group):
    client.force_login(clerk)
    good = id_number(dt.date(1968, 5, 4), "M")
    wrong_check = good[:-1] + ("1" if good[-1] == "0" else "0")
    response = client.post(
        reverse("staff:household-register"),
        _register_post(group, **{"m-0-id_number": wrong_check}),
    )
    assert response.status_code == 200
    assert "校验码错误" in response.content.decode()
    assert not Household.objects.exists()


def test_reviewer_cannot_open_the_registration_screen(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("staff:household-register")).status_code == 403


def test_search_finds_a_household_by_head_name_and_by_id_number(client, clerk, register):
    household = register()
    head = household.members.get()
    client.force_login(clerk)
    by_name = client.get(reverse("staff:household-list"), {"q": head.name})
    by_id = client.get(reverse("staff:household-list"), {"q": head.id_number})
    by_code = client.get(reverse("staff:household-list"), {"q": household.code})
    for response in (by_name, by_id, by_code):
        assert household.code in response.content.decode()
    nothing = client.get(reverse("staff:household-list"), {"q": "不存在的人"})
    assert household.code not in nothing.content.decode()


def test_search_finds_part_of_a_household_code_in_any_case_and_any_members_name(
    client, clerk, register
):
    """The search reads households by code and members by name or ID number through separate
    indexes (households migration 0010) and joins the two: what it finds is unchanged."""
    from tests.households.factories import member_data

    household = register(
        code="NGH-0731",
        members=[
            member_data(name="李建国"),
            member_data("spouse", name="王秀英", sex="F", birth_date=dt.date(1972, 8, 1)),
        ],
    )
    other = register(code="NGH-0840", members=[member_data(name="赵志强")])
    client.force_login(clerk)

    def found(**params) -> set[str]:
        page = client.get(reverse("staff:household-list"), params).content.decode()
        return {h.code for h in (household, other) if h.code in page}

    assert found(q="ngh-07") == {"NGH-0731"}  # part of the code, lower case
    assert found(q="NGH") == {"NGH-0731", "NGH-0840"}
    assert found(q="秀英") == {"NGH-0731"}  # a member who is not the head, part of the name
    spouse = household.members.get(relation="spouse")
    assert found(q=spouse.id_number) == {"NGH-0731"}
    # a household matching both by code and by a member's name is listed once
    page = client.get(reverse("staff:household-list"), {"q": "NGH-0731"}).content.decode()
    assert page.count(reverse("staff:household-detail", args=[household.pk])) == found_links(
        client.get(reverse("staff:household-list")).content.decode(), household
    )
    # the search narrows the other filters, it does not widen them
    assert found(q="NGH", status="approved") == set()
    # a household found both by its code and by a member's name is listed once
    both = register(code="ANNA-01", members=[member_data(name="Anna")])
    page = client.get(reverse("staff:household-list"), {"q": "Anna"}).content.decode()
    assert found_links(page, both) == found_links(
        client.get(reverse("staff:household-list")).content.decode(), both
    )
    assert found_links(page, both) >= 1 and found_links(page, household) == 0


def found_links(page: str, household) -> int:
    return page.count(reverse("staff:household-detail", args=[household.pk]))


def test_search_finds_a_household_by_the_lookup_code_as_printed_on_its_notice(
    client, clerk, register
):
    household = register()
    other = register()
    code = household.lookup_code
    printed = f"{code[:4]}-{code[4:8]}-{code[8:]}".lower()
    client.force_login(clerk)
    page = client.get(reverse("staff:household-list"), {"q": printed}).content.decode()
    assert household.code in page and other.code not in page


def test_uploaded_document_downloads_as_an_attachment_only_for_staff(
    client, clerk, outsider, register, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    household = register()
    client.force_login(clerk)
    upload = io.BytesIO(_png_bytes())
    upload.name = "户口簿.png"
    response = client.post(
        reverse("staff:document-upload", args=[household.pk]),
        {"kind": "hukou_book", "file": upload},
    )
    assert response.status_code == 302
    document = household.documents.get()
    assert "户口簿" not in document.file.name
    download = client.get(reverse("staff:document-download", args=[document.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == _png_bytes()
    client.force_login(outsider)
    assert client.get(reverse("staff:document-download", args=[document.pk])).status_code == 403
    # A scan gone from storage (a restore without media, say) is not found, not a 500.
    document.file.storage.delete(document.file.name)
    client.force_login(clerk)
    assert client.get(reverse("staff:document-download", args=[document.pk])).status_code == 404


def test_a_text_file_renamed_png_is_refused_with_a_message(client, clerk, register):
    household = register()
    client.force_login(clerk)
    upload = io.BytesIO(b"<script>alert(1)</script>")
    upload.name = "photo.png"
    response = client.post(
        reverse("staff:document-upload", args=[household.pk]),
        {"kind": "hukou_book", "file": upload},
        follow=True,
    )
    assert "只接受 PDF、JPG、PNG" in response.content.decode()
    assert not household.documents.exists()


def test_reviewer_reviews_in_the_staff_queue_and_leader_approves(
    client, reviewer, leader, register
):
    household = register()
    member = household.members.get()
    client.force_login(reviewer)
    queue = client.get(reverse("staff:review-queue"))
    assert member.name in queue.content.decode()
    review_url = reverse("staff:member-review", args=[member.pk])
    page = client.get(review_url)
    assert "户口未迁出" in page.content.decode()  # the evidence behind the verdict
    assert "户口迁入时间" in page.content.decode()  # and the rule each line is about
    client.post(review_url, {"decision": "passed", "reason": ""})
    member.refresh_from_db()
    assert member.review_status == ReviewStatus.PASSED
    client.force_login(leader)
    recently_authenticated(client)
    hand_in_documents(household)
    client.post(reverse("staff:household-approval", args=[household.pk]), {"opinion": "同意"})
    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED
    assert household.entitlement_area is not None


def test_approving_on_the_staff_page_asks_for_the_password_first(
    client, reviewer, leader, register
):
    household = register()
    review.member_review(
        actor=reviewer, member=household.members.get(), decision=ReviewStatus.PASSED
    )
    page = reverse("staff:household-approval", args=[household.pk])
    client.force_login(leader)  # logged in long ago: no password checked recently
    hand_in_documents(household)
    asked = client.post(page, {"opinion": "同意"})
    assert asked.status_code == 302
    assert asked.url == f"/accounts/confirm-password/?next={quote(page, safe='')}"
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED
    back = client.post(asked.url, {"password": PASSWORD, "next": page})
    assert back.url == page
    client.post(page, {"opinion": "同意"})
    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED


def test_registrar_reviewing_on_the_staff_page_sees_the_four_eyes_message(
    client, all_hats, register
):
    household = register(actor=all_hats)
    member = household.members.get()
    client.force_login(all_hats)
    response = client.post(
        reverse("staff:member-review", args=[member.pk]),
        {"decision": "passed", "reason": ""},
        follow=True,
    )
    assert response.content.decode().count("四眼原则") == 1
    assert Member.objects.get(pk=member.pk).review_status == ReviewStatus.PENDING


@pytest.mark.parametrize("who", ["reviewer", "leader"])
def test_history_of_a_household_is_visible_in_the_admin(client, register, request, who):
    household = register()
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:households_household_history", args=[household.pk]))
    assert response.status_code == 200
    assert "clerk_li" in response.content.decode()


def test_home_page_counts_households_per_project(client, clerk, register, project):
    register()
    client.force_login(clerk)
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    assert project.code in response.content.decode()


def test_leader_who_reviewed_cannot_approve_in_bulk_on_the_staff_page(client, register, roles):
    reviewing_leader = make_user("reviewing_leader", "reviewer", "leader")
    household = register()
    review.member_review(
        actor=reviewing_leader, member=household.members.get(), decision=ReviewStatus.PASSED
    )
    client.force_login(reviewing_leader)
    recently_authenticated(client)
    response = client.post(
        reverse("staff:approval-bulk"),
        {"project": household.project.code, "households": str(household.pk), "confirmed": "1"},
        follow=True,
    )
    assert "四眼原则" in response.content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED


def test_search_accepts_an_id_number_typed_with_full_width_digits(client, clerk, register):
    household = register()
    head = household.members.get()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in head.id_number[:10])
    client.force_login(clerk)
    response = client.get(reverse("staff:household-list"), {"q": full_width})
    assert household.code in response.content.decode()


def test_clerk_edits_the_household_and_the_form_starts_from_what_is_saved(client, clerk, register):
    household = register(address="旧地址1号")
    client.force_login(clerk)
    url = reverse("staff:household-edit", args=[household.pk])
    assert "旧地址1号" in client.get(url).content.decode()
    response = client.post(
        url,
        {"code": household.code, "address": "新地址2号", "phone": "", "demolished_area": "99.5"},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.address, str(household.demolished_area)) == ("新地址2号", "99.50")


def test_changing_a_member_on_the_staff_page_sends_an_approved_household_back_to_review(
    client, other_clerk, reviewer, leader, register
):
    household = register()
    member = household.members.get()
    review.member_review(actor=reviewer, member=member, decision=ReviewStatus.PASSED)
    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)
    client.force_login(other_clerk)
    url = reverse("staff:member-edit", args=[household.pk, member.pk])
    form = client.get(url)
    assert "重新审核" in form.content.decode()  # the clerk is warned before saving
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "relation": member.relation,
        "sex": member.sex,
        "birth_date": member.birth_date.isoformat(),
        "hukou_nature": "resident",
        "marital_status": member.marital_status,
        "special_status": member.special_status,
        "housing_welfare": member.housing_welfare,
    }
    refused = client.post(url, data)
    assert refused.status_code == 200  # the form again, with the reason asked for
    assert "请填写变更原因" in refused.content.decode()
    assert household.code in refused.content.decode()
    data["reason"] = "户口性质经派出所核实为居民户口"
    assert client.post(url, data).status_code == 302
    household.refresh_from_db()
    member.refresh_from_db()
    assert household.status == HouseholdStatus.REGISTERED
    assert member.review_status == ReviewStatus.PENDING
    assert member.hukou_nature == "resident"
    assert "户口性质经派出所核实为居民户口" in member.history.first().history_change_reason


def test_adding_a_member_with_a_bad_id_shows_the_error_on_the_page(client, clerk, register):
    household = register()
    client.force_login(clerk)
    response = client.post(
        reverse("staff:member-add", args=[household.pk]),
        {
            "name": "张小明",
            "id_number": "12345",
            "relation": "child",
            "hukou_nature": "agricultural",
            "marital_status": "unmarried",
            "special_status": "none",
            "housing_welfare": "none",
        },
    )
    assert response.status_code == 200
    assert "身份证号应为18位" in response.content.decode()
    assert household.members.count() == 1
