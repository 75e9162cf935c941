"""Minimum necessary (PIPL Art. 6; issue 11, finding 3): resident ID numbers and phone
numbers in full only for the clerk, the reviewer and the leader; the operator, the notary,
finance and the supervising office see them masked on every staff page, API response,
admin page, export and notice. One of them may unmask one record on purpose, with a written
reason: the value shows in that answer only, and the act is recorded and audited for the
supervising office to review."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from households.models import Relation, UnmaskRecord
from resettlement.masking import Mask, mask
from resettlement.models import AuditEntry
from resettlement.roles import ensure_roles
from tests.households.factories import VillagerGroupFactory, member_data
from tests.people import grant, make_user
from tests.publicity.test_notices import page_texts

MASKED_ROLES = ("operator", "notary", "finance", "supervisor")
FULL_ROLES = ("clerk", "reviewer", "leader")
PHONE = "13812345678"


@pytest.fixture
def household(register):
    return register(
        phone=PHONE,
        members=[
            member_data(name="王建国"),
            member_data("spouse", name="李秀英", sex="F", birth_date=dt.date(1972, 4, 5)),
        ],
    )


@pytest.fixture
def head(household):
    return household.members.get(relation=Relation.HEAD)


@pytest.fixture
def spouse(household):
    return household.members.get(relation=Relation.SPOUSE)


def _user(role: str):
    return make_user(f"{role}_person", role)


def _ids(household) -> list[str]:
    return list(household.members.values_list("id_number", flat=True))


def _assert_masked(body: str, household) -> None:
    for number in _ids(household):
        assert number not in body
        assert number[6:14] not in body  # not even the birth date
        assert mask(number, Mask.ID_NUMBER) in body
    assert PHONE not in body


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- who sees what -----------------------------------------------------------------------


def test_only_the_clerk_the_reviewer_and_the_leader_see_personal_data_in_full(roles):
    ensure_roles()
    holders = set(
        Group.objects.filter(permissions__codename="view_full_personal_data").values_list(
            "name", flat=True
        )
    )
    assert holders == set(FULL_ROLES)


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_a_role_that_does_not_need_them_sees_ids_and_phones_masked_on_the_staff_pages(
    client, household, role
):
    client.force_login(_user(role))
    listed = _get(client, reverse("staff:household-list"))
    head = household.members.get(relation=Relation.HEAD)
    assert head.id_number not in listed and mask(head.id_number, Mask.ID_NUMBER) in listed
    detail = _get(client, reverse("staff:household-detail", args=[household.pk]))
    _assert_masked(detail, household)
    assert mask(PHONE, Mask.PHONE) in detail


@pytest.mark.parametrize("role", FULL_ROLES)
def test_the_roles_that_need_them_see_ids_and_phones_in_full(client, household, role):
    client.force_login(_user(role))
    detail = _get(client, reverse("staff:household-detail", args=[household.pk]))
    for number in _ids(household):
        assert number in detail
    assert PHONE in detail
    assert 'id="unmask"' not in detail  # nothing to unmask


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_the_api_answers_a_masked_role_with_masked_ids_and_phones(client, household, role):
    client.force_login(_user(role))
    for url in (
        "/api/members/",
        f"/api/members/?household={household.pk}",
        f"/api/members/{household.members.first().pk}/",
        f"/api/households/{household.pk}/",
        "/api/households/",
    ):
        body = _get(client, url)
        for number in _ids(household):
            assert number not in body, url
        assert PHONE not in body, url
    detail = client.get(f"/api/households/{household.pk}/").json()
    assert detail["phone"] == "138****5678"
    assert {m["id_number"] for m in detail["members"]} == {
        mask(n, Mask.ID_NUMBER) for n in _ids(household)
    }


def test_the_api_answers_a_clerk_with_full_ids_and_phones(client, household, clerk):
    client.force_login(clerk)
    detail = client.get(f"/api/households/{household.pk}/").json()
    assert detail["phone"] == PHONE
    assert {m["id_number"] for m in detail["members"]} == set(_ids(household))


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_the_admin_shows_a_masked_role_masked_ids_and_phones(client, household, head, role):
    user = _user(role)
    client.force_login(user)
    pages = [
        reverse("admin:households_member_changelist"),
        reverse("admin:households_member_change", args=[head.pk]),
        reverse("admin:households_household_change", args=[household.pk]),
        reverse("admin:households_member_history", args=[head.pk]),
    ]
    version = head.history.first()
    pages.append(
        reverse("admin:households_member_simple_history", args=[head.pk, version.history_id])
    )
    for url in pages:
        body = client.get(url).content.decode()
        for number in _ids(household):
            assert number not in body, url
        assert PHONE not in body, url
    change = _get(client, reverse("admin:households_member_change", args=[head.pk]))
    assert mask(head.id_number, Mask.ID_NUMBER) in change


def test_searching_digit_by_digit_cannot_read_a_masked_id_back(client, household, head):
    client.force_login(_user("finance"))
    url = reverse("staff:household-list")
    for prefix in (head.id_number[:6], head.id_number[:14], head.id_number[:17]):
        assert household.code not in _get(client, f"{url}?q={prefix}"), prefix
        api = client.get("/api/households/", {"search": prefix}).json()
        assert api["count"] == 0, prefix
    # The whole number, as an operator types it from an ID card, finds the household.
    assert household.code in _get(client, f"{url}?q={head.id_number}")
    assert client.get("/api/households/", {"search": head.id_number}).json()["count"] == 1


def test_a_clerk_still_finds_households_by_the_start_of_an_id_number(client, household, head):
    client.force_login(_user("clerk"))
    url = reverse("staff:household-list")
    assert household.code in _get(client, f"{url}?q={head.id_number[:14]}")


def test_a_roster_export_holds_what_its_user_may_see(client, household, head):
    """Exporting is the registry roles' work; a finance officer given the export permission
    still gets the numbers masked."""
    exporter = _user("finance")
    exporter.user_permissions.add(Permission.objects.get(codename="export_households"))
    client.force_login(exporter)
    response = client.post("/admin/households/household/export/", {"format": "0", "resource": "0"})
    assert response.status_code == 200
    cells = {
        str(value)
        for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(
            values_only=True
        )
        for value in row
    }
    assert mask(head.id_number, Mask.ID_NUMBER) in cells and "138****5678" in cells
    assert not set(_ids(household)) & cells and PHONE not in cells


# --- unmasking one record on purpose -------------------------------------------------------


def _unmask(client, household, record: str, reason: str):
    return client.post(
        reverse("staff:household-unmask", args=[household.pk]),
        {"record": record, "reason": reason},
    )


def test_finance_unmasks_one_id_number_with_a_reason_and_it_is_recorded(
    client, household, head, spouse
):
    finance = _user("finance")
    client.force_login(finance)
    page = _get(client, reverse("staff:household-detail", args=[household.pk]))
    assert 'id="unmask"' in page

    response = _unmask(client, household, f"member-{spouse.pk}", "银行退回转账,核对户名和身份证")

    assert response.status_code == 200
    body = response.content.decode()
    assert spouse.id_number in body  # this record, in this answer
    assert head.id_number not in body and PHONE not in body  # nothing else
    assert "no-store" in response["Cache-Control"]
    record = UnmaskRecord.objects.get()
    assert (record.user, record.household, record.member, record.field, record.person) == (
        finance,
        household,
        spouse,
        "id_number",
        "李秀英",
    )
    assert record.reason == "银行退回转账,核对户名和身份证" and record.unmasked_at
    entry = AuditEntry.objects.get(action="personal_data.unmask")
    assert entry.actor == finance and entry.payload["member_id"] == spouse.pk
    assert entry.payload["reason"] == record.reason
    assert spouse.id_number not in str(entry.payload)  # the trail holds no ID numbers
    # The next page is masked again.
    _assert_masked(_get(client, reverse("staff:household-detail", args=[household.pk])), household)


def test_the_phone_is_unmasked_the_same_way(client, household):
    client.force_login(_user("operator"))
    response = _unmask(client, household, "phone", "签到时联系户主")
    assert response.status_code == 200 and PHONE in response.content.decode()
    assert UnmaskRecord.objects.get().field == "phone"


def test_unmasking_without_a_reason_is_refused_naming_the_field(client, household, spouse):
    client.force_login(_user("notary"))
    response = _unmask(client, household, f"member-{spouse.pk}", "   ")
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写理由" in body and "身份证号" in body and "李秀英" in body
    assert spouse.id_number not in body
    assert not UnmaskRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="personal_data.unmask").exists()


def test_unmasking_through_the_api(client, household, spouse):
    client.force_login(_user("supervisor"))
    url = f"/api/members/{spouse.pk}/unmask/"
    refused = client.post(url, {"reason": ""}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "reason_required"
    assert refused.json()["errors"][0]["field"] == "reason"
    # No reason at all (an empty body) is the same refusal, not a server error.
    for target in (url, f"/api/households/{household.pk}/unmask/"):
        empty = client.post(target, {}, content_type="application/json")
        assert empty.status_code == 400 and empty.json()["code"] == "reason_required"
    done = client.post(url, {"reason": "举报核查需要"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["id_number"] == spouse.id_number
    phone = client.post(
        f"/api/households/{household.pk}/unmask/",
        {"reason": "举报核查需要"},
        content_type="application/json",
    ).json()
    assert phone["phone"] == PHONE
    assert {m["id_number"] for m in phone["members"]} == {
        mask(n, Mask.ID_NUMBER) for n in _ids(household)
    }
    assert UnmaskRecord.objects.count() == 2
    # And the next answer is masked again.
    assert client.get(f"/api/members/{spouse.pk}/").json()["id_number"] != spouse.id_number


def test_a_household_of_a_project_not_granted_cannot_be_unmasked(client, household, spouse, roles):
    outsider = make_user("finance_elsewhere", "finance", all_projects=False)
    grant(outsider, VillagerGroupFactory().project)
    client.force_login(outsider)
    assert _unmask(client, household, f"member-{spouse.pk}", "看看").status_code == 404
    response = client.post(
        f"/api/members/{spouse.pk}/unmask/", {"reason": "看看"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not UnmaskRecord.objects.exists()


def test_the_supervising_office_reviews_who_unmasked_what_and_why(client, household, spouse):
    finance = _user("finance")
    client.force_login(finance)
    _unmask(client, household, f"member-{spouse.pk}", "银行退回转账")
    assert client.get(reverse("staff:unmask-records")).status_code == 403

    client.force_login(_user("supervisor"))
    page = _get(client, reverse("staff:unmask-records"))
    assert "finance_person" in page and household.code in page
    assert "李秀英" in page and "银行退回转账" in page
    assert spouse.id_number not in page
    record = UnmaskRecord.objects.get()
    admin_page = _get(client, reverse("admin:households_unmaskrecord_change", args=[record.pk]))
    assert "银行退回转账" in admin_page
    # Read-only there: no adding, changing or deleting the record of an unmasking.
    assert client.get(reverse("admin:households_unmaskrecord_add")).status_code == 403
    client.post(
        reverse("admin:households_unmaskrecord_change", args=[record.pk]),
        {"reason": "改掉", "person": "x"},
    )
    client.post(reverse("admin:households_unmaskrecord_delete", args=[record.pk]), {"post": "yes"})
    assert UnmaskRecord.objects.get().reason == "银行退回转账"


def test_a_notice_prints_the_members_ids_masked_whoever_prints_it(client, household):
    for role in ("finance", "clerk"):
        client.force_login(_user(role))
        response = client.get(reverse("notices:household", args=[household.pk, "registration"]))
        assert response.status_code == 200
        pdf = b"".join(response.streaming_content) if response.streaming else response.content
        text = "".join(page_texts(pdf))
        for number in _ids(household):
            assert number not in text and mask(number, Mask.ID_NUMBER) in text


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_the_history_list_shows_a_changed_number_masked_on_both_sides(
    client, household, head, clerk, role
):
    from households.services import members, registration

    old_number, old_phone = head.id_number, household.phone
    new_number = "110101197003151234"
    members.member_update(actor=clerk, member=head, data={"id_number": new_number})
    registration.household_update(actor=clerk, household=household, data={"phone": "13900001111"})
    client.force_login(_user(role))
    for url in (
        reverse("admin:households_member_history", args=[head.pk]),
        reverse("admin:households_household_history", args=[household.pk]),
    ):
        body = _get(client, url)
        for number in (old_number, new_number, old_phone, "13900001111"):
            assert number not in body, (url, number)


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_a_scanned_hukou_book_opens_only_for_the_roles_that_see_numbers_in_full(
    client, household, clerk, role, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from households.services import documents
    from tests.households.test_documents import png_bytes

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    document = documents.document_upload(
        actor=clerk,
        household=household,
        kind="hukou_book",
        upload=SimpleUploadedFile("户口簿.png", png_bytes()),
    )
    download = reverse("staff:document-download", args=[document.pk])
    client.force_login(_user(role))
    assert client.get(download).status_code == 403
    page = _get(client, reverse("staff:household-detail", args=[household.pk]))
    assert "户口簿.png" in page  # the checklist still says the scan is there
    assert download not in page
    client.force_login(clerk)
    assert client.get(download).status_code == 200
    assert download in _get(client, reverse("staff:household-detail", args=[household.pk]))
