"""The registry and review API, used as a client program would use it.

Who may call what is in test_api_permissions.py; here: what each endpoint does, the
four-eyes rule through the API, error bodies, query counts and the OpenAPI schema.
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from households.models import (
    Document,
    Household,
    HouseholdStatus,
    Member,
    Project,
    ReviewStatus,
)
from households.services import documents, review
from households.services import registration as households_registration
from tests.households.factories import (
    VillagerGroupFactory,
    hand_in_documents,
    household_data,
    member_data,
)
from tests.people import make_user
from tests.reauth import recently_authenticated

HOUSEHOLDS = "/api/households/"
MEMBERS = "/api/members/"
DOCUMENTS = "/api/documents/"


@pytest.fixture(autouse=True)
def fast_passwords_and_private_media(settings, tmp_path):
    # Test users log in by session; hashing each one's password properly costs 0.3 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private_media"},
        },
    }


@pytest.fixture
def api():
    """An API client logged in (by session) as the given user, who has just entered the
    password (as the login page records it)."""

    def _as(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return recently_authenticated(client)

    return _as


def registration(group, *, members=None, **household_fields) -> dict:
    return {
        "project": group.project_id,
        "community": group.community_id,
        "group": group.pk,
        **household_data(**household_fields),
        "members": members if members is not None else [member_data()],
    }


def pass_all(household: Household, reviewer) -> None:
    hand_in_documents(household)
    for member in household.members.all():
        review.member_review(actor=reviewer, member=member, decision=ReviewStatus.PASSED)


def pdf_upload(name: str = "协议.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", "application/pdf")


def png_upload(name: str = "身份证.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def with_wrong_check_character(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


# --- registering and changing households -----------------------------------------------


def test_clerk_registers_a_household_with_its_members(api, clerk, group):
    wife = member_data("spouse", name="李四", sex="F", birth_date=dt.date(1972, 8, 1))
    response = api(clerk).post(
        HOUSEHOLDS,
        registration(group, code="NGH-001", members=[member_data(name="王建国"), wife]),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "NGH-001"
    assert body["status"] == HouseholdStatus.REGISTERED
    assert body["head_name"] == "王建国"
    assert body["registered_by"]["username"] == clerk.username
    assert [m["name"] for m in body["members"]] == ["王建国", "李四"]
    assert all(m["verdict_qualified"] for m in body["members"])
    assert body["review_progress"] == {"reviewed": 0, "total": 2, "label": "0/2 人已审核"}
    household = Household.objects.get(code="NGH-001")
    assert household.members.count() == 2
    assert household.registered_by == clerk


def test_a_bad_id_checksum_names_the_member_and_field_and_nothing_is_saved(api, clerk, group):
    bad = member_data("child", name="王小明", birth_date=dt.date(2001, 2, 3))
    bad["id_number"] = with_wrong_check_character(bad["id_number"])

    response = api(clerk).post(
        HOUSEHOLDS, registration(group, members=[member_data(), bad]), format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert {"member": 1, "field": "id_number", "code": "id_checksum"}.items() <= body["errors"][
        0
    ].items()
    assert "校验码" in body["errors"][0]["message"]
    assert Household.objects.count() == 0
    assert Member.objects.count() == 0


def test_every_problem_in_a_registration_is_listed_at_once(api, clerk, group):
    no_head = member_data("child", hukou_moved_out=dt.date(1960, 1, 1))  # before birth
    response = api(clerk).post(
        HOUSEHOLDS, registration(group, phone="12345", members=[no_head]), format="json"
    )

    assert response.status_code == 400
    problems = {(e.get("member"), e["field"]) for e in response.json()["errors"]}
    assert {(None, "phone"), (0, "relation"), (0, "hukou_moved_out")} <= problems
    assert Household.objects.count() == 0


def test_input_that_does_not_parse_is_reported_in_the_same_shape(api, clerk, group):
    member = member_data()
    member["birth_date"] = "15/03/1970"
    response = api(clerk).post(
        HOUSEHOLDS,
        registration(group, demolished_area="a lot", members=[member]) | {"group": 999999},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    problems = {(e.get("member"), e["field"]) for e in body["errors"]}
    assert problems == {(None, "demolished_area"), (None, "group"), (0, "birth_date")}
    assert all(e["message"] for e in body["errors"])


def test_a_body_sent_without_a_content_type_is_a_documented_415(api, clerk):
    response = api(clerk).generic("POST", HOUSEHOLDS, b"code=H-1", content_type="")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    documented = api(clerk).get("/api/schema/", {"format": "json"}).json()
    assert "415" in documented["paths"]["/api/households/"]["post"]["responses"]
    assert "415" not in documented["paths"]["/api/households/"]["get"]["responses"]


def test_a_household_code_already_used_in_the_project_is_refused(api, clerk, group, register):
    register(code="NGH-001")
    response = api(clerk).post(HOUSEHOLDS, registration(group, code="NGH-001"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "code"
    assert Household.objects.count() == 1


def test_clerk_changes_a_households_own_fields(api, clerk, register):
    household = register(address="旧地址")

    response = api(clerk).patch(
        f"{HOUSEHOLDS}{household.pk}/", {"address": "南宫河村5组1号"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["address"] == "南宫河村5组1号"
    household.refresh_from_db()
    assert household.address == "南宫河村5组1号"
    assert household.phone == "13812345678"  # untouched


def test_a_bad_phone_number_is_refused_and_the_household_unchanged(api, clerk, register):
    household = register()

    response = api(clerk).patch(f"{HOUSEHOLDS}{household.pk}/", {"phone": "12"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "phone"
    household.refresh_from_db()
    assert household.phone == "13812345678"


def test_households_cannot_be_replaced_wholesale_or_deleted(api, clerk, register):
    household = register()
    client = api(clerk)

    assert client.put(f"{HOUSEHOLDS}{household.pk}/", {}, format="json").status_code == 405
    # No role holds delete_household, so the permission check answers before the router.
    assert client.delete(f"{HOUSEHOLDS}{household.pk}/").status_code in (403, 405)
    assert Household.objects.filter(pk=household.pk).exists()


# --- reading households -----------------------------------------------------------------


def test_household_list_shows_where_who_and_how_far_the_review_is(api, reviewer, register):
    household = register(
        code="NGH-007", members=[member_data(name="王建国"), member_data("child", name="王小明")]
    )
    review.member_review(
        actor=reviewer, member=household.members.get(name="王建国"), decision="passed"
    )

    [row] = api(reviewer).get(HOUSEHOLDS).json()["results"]

    assert row["code"] == "NGH-007"
    assert row["community_name"] == household.community.name
    assert row["group_name"] == household.group.name
    assert row["head_name"] == "王建国"
    assert row["status"] == HouseholdStatus.REGISTERED
    assert row["review_progress"] == {"reviewed": 1, "total": 2, "label": "1/2 人已审核"}


def test_households_filter_by_project_community_group_and_status(api, reviewer, register, group):
    register(code="A-1")
    reviewed = register(code="A-2")
    pass_all(reviewed, reviewer)
    elsewhere = VillagerGroupFactory()
    households_registration.household_register(
        actor=reviewed.registered_by,
        project=elsewhere.project,
        community=elsewhere.community,
        group=elsewhere,
        household=household_data(code="B-1"),
        members=[member_data()],
    )
    client = api(reviewer)

    def codes(**params) -> list[str]:
        response = client.get(HOUSEHOLDS, params)
        assert response.status_code == 200, response.json()
        return [row["code"] for row in response.json()["results"]]

    assert codes() == ["A-1", "A-2", "B-1"]
    assert codes(project=group.project_id) == ["A-1", "A-2"]
    assert codes(community=elsewhere.community_id) == ["B-1"]
    assert codes(group=group.pk) == ["A-1", "A-2"]
    assert codes(status="reviewed") == ["A-2"]
    assert codes(project=group.project_id, status="registered") == ["A-1"]


def test_households_are_found_by_code_head_name_or_id_number(api, reviewer, register):
    head_id = register(code="NGH-100", members=[member_data(name="欧阳修")]).members.get().id_number
    register(code="NGH-200", members=[member_data(name="苏轼")])
    client = api(reviewer)

    def found(term: str) -> list[str]:
        return [row["code"] for row in client.get(HOUSEHOLDS, {"search": term}).json()["results"]]

    assert found("NGH-2") == ["NGH-200"]
    assert found("欧阳") == ["NGH-100"]
    assert found(head_id) == ["NGH-100"]
    assert found("nobody") == []


def test_a_bad_filter_value_is_a_400_naming_the_parameter(api, reviewer):
    response = api(reviewer).get(HOUSEHOLDS, {"status": "lost", "group": "x"})

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"status", "group"}


def test_household_detail_has_members_and_the_document_checklist(api, clerk, reviewer, register):
    household = register(members=[member_data(name="王建国")])
    documents.document_upload(
        actor=clerk, household=household, kind="agreement", upload=pdf_upload()
    )

    body = api(reviewer).get(f"{HOUSEHOLDS}{household.pk}/").json()

    assert [m["name"] for m in body["members"]] == ["王建国"]
    checklist = {(item["kind"], item["member_name"]): item for item in body["document_checklist"]}
    assert checklist[("agreement", "")]["present"] is True
    assert checklist[("hukou_book", "")]["present"] is False
    assert checklist[("id_card", "王建国")]["present"] is False
    [document] = checklist[("agreement", "")]["documents"]
    assert document["download_url"] == reverse("staff:document-download", args=[document["id"]])


def test_an_unknown_household_is_a_404(api, reviewer, db):
    assert api(reviewer).get(f"{HOUSEHOLDS}424242/").status_code == 404


# --- members ----------------------------------------------------------------------------


def test_clerk_adds_a_member_to_a_household(api, clerk, register):
    household = register()

    response = api(clerk).post(
        MEMBERS,
        {
            "household": household.pk,
            **member_data("child", name="王小明", birth_date=dt.date(2005, 6, 1)),
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "王小明"
    assert response.json()["verdict_qualified"] is True
    assert household.members.count() == 2


def test_a_second_head_is_refused_by_name(api, clerk, register):
    household = register()

    response = api(clerk).post(
        MEMBERS, {"household": household.pk, **member_data("head")}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "relation"
    assert household.members.count() == 1


def test_changing_a_reviewed_member_sends_the_household_back_to_review(
    api, clerk, reviewer, register
):
    household = register()
    pass_all(household, reviewer)
    head = household.members.get()

    refused = api(clerk).patch(
        f"{MEMBERS}{head.pk}/", {"hukou_moved_in": "2014-03-01"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "reason_required"
    assert household.code in refused.json()["detail"]

    response = api(clerk).patch(
        f"{MEMBERS}{head.pk}/",
        {"hukou_moved_in": "2014-03-01", "reason": "派出所更正迁入日期"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["review_status"] == ReviewStatus.PENDING
    assert body["verdict_qualified"] is False
    assert body["failed_rules"] == ["HUKOU_AFTER_CUTOFF"]
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REGISTERED


def test_clerk_removes_a_member_but_not_the_head(api, clerk, register):
    household = register(members=[member_data(), member_data("child", name="王小明")])
    head, child = household.members.order_by("id")
    client = api(clerk)

    assert client.delete(f"{MEMBERS}{child.pk}/").status_code == 204
    refused = client.delete(f"{MEMBERS}{head.pk}/")

    assert refused.status_code == 400
    assert refused.json()["code"] == "one_head"
    assert list(household.members.all()) == [head]


def test_members_are_changed_field_by_field_not_replaced(api, clerk, register):
    head = register().members.get()

    response = api(clerk).put(f"{MEMBERS}{head.pk}/", member_data(), format="json")

    assert response.status_code == 405


def test_a_write_that_loses_a_race_is_a_409_not_a_server_error(api, clerk, register, monkeypatch):
    # Two clerks saving at once: the service's own check passed, the database refused.
    def lose_the_race(**kwargs):
        raise IntegrityError(
            'duplicate key value violates unique constraint "household_code_unique"'
        )

    monkeypatch.setattr(households_registration, "household_update", lose_the_race)
    household = register()

    response = api(clerk).patch(f"{HOUSEHOLDS}{household.pk}/", {"code": "X-1"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_member_shows_each_check_with_its_evidence(api, reviewer, register):
    household = register(members=[member_data(housing_welfare="affordable")])

    body = api(reviewer).get(f"{MEMBERS}{household.members.get().pk}/").json()

    assert body["verdict_qualified"] is False
    assert body["failed_rules"] == ["HOUSING_WELFARE_ENJOYED"]
    welfare = next(c for c in body["verdict_checks"] if c["rule"] == "housing_welfare")
    assert welfare["passed"] is False
    assert "经济适用房" in welfare["evidence"]


def test_members_filter_by_failed_rule_review_status_and_household(api, reviewer, register):
    welfare = register(code="H-1", members=[member_data(name="甲", housing_welfare="low_rent")])
    moved = register(code="H-2", members=[member_data(name="乙", hukou_moved_out="2010-01-01")])
    fine = register(code="H-3", members=[member_data(name="丙")])
    pass_all(fine, reviewer)
    client = api(reviewer)

    def names(**params) -> list[str]:
        response = client.get(MEMBERS, params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names(failed_rule="HOUSING_WELFARE_ENJOYED") == ["甲"]
    assert names(failed_rule="HUKOU_MOVED_OUT") == ["乙"]
    assert names(review_status="passed") == ["丙"]
    assert names(household=moved.pk) == ["乙"]
    assert names(project=welfare.project_id) == ["甲", "乙", "丙"]
    assert client.get(MEMBERS, {"failed_rule": "NOT_A_RULE"}).status_code == 400


def test_member_list_rows_say_which_household_and_group(api, reviewer, register):
    household = register(code="NGH-009")

    [row] = api(reviewer).get(MEMBERS).json()["results"]

    assert row["household_code"] == "NGH-009"
    assert row["community_name"] == household.community.name
    assert row["group_name"] == household.group.name


# --- review and approval ----------------------------------------------------------------


def test_reviewer_passes_the_last_member_and_the_household_is_reviewed(api, reviewer, register):
    household = register()
    head = household.members.get()

    response = api(reviewer).post(f"{MEMBERS}{head.pk}/review/", {"decision": "passed"})

    assert response.status_code == 200, response.json()
    assert response.json()["review_status"] == ReviewStatus.PASSED
    assert response.json()["reviewed_by"]["username"] == reviewer.username
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED


def test_rejecting_without_a_reason_is_refused(api, reviewer, register):
    head = register().members.get()

    response = api(reviewer).post(f"{MEMBERS}{head.pk}/review/", {"decision": "rejected"})

    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    assert response.json()["errors"][0]["field"] == "reason"
    head.refresh_from_db()
    assert head.review_status == ReviewStatus.PENDING


def test_overriding_the_verdict_with_a_reason_is_recorded(api, reviewer, register):
    head = register(members=[member_data(housing_welfare="low_rent")]).members.get()

    response = api(reviewer).post(
        f"{MEMBERS}{head.pk}/review/",
        {"decision": "passed", "reason": "廉租房已退还,经核实予以通过"},
    )

    assert response.status_code == 200
    assert response.json()["review_overridden"] is True
    assert response.json()["review_reason"] == "廉租房已退还,经核实予以通过"


def test_an_unknown_decision_is_refused(api, reviewer, register):
    head = register().members.get()

    response = api(reviewer).post(f"{MEMBERS}{head.pk}/review/", {"decision": "maybe"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "decision"


def test_whoever_registered_a_household_cannot_review_its_members(api, all_hats, group):
    client = api(all_hats)
    created = client.post(HOUSEHOLDS, registration(group), format="json")
    assert created.status_code == 201
    head_id = created.json()["members"][0]["id"]

    response = client.post(f"{MEMBERS}{head_id}/review/", {"decision": "passed"})

    assert response.status_code == 403
    assert response.json()["code"] == "four_eyes"
    assert Member.objects.get(pk=head_id).review_status == ReviewStatus.PENDING


def test_a_reviewer_cannot_approve_a_household_they_reviewed(api, register, roles):
    reviewing_leader = make_user("reviewer_and_leader", "reviewer", "leader")
    household = register()
    client = api(reviewing_leader)
    head = household.members.get()
    assert client.post(f"{MEMBERS}{head.pk}/review/", {"decision": "passed"}).status_code == 200

    response = client.post(f"{HOUSEHOLDS}{household.pk}/approve/")

    assert response.status_code == 403
    assert response.json()["code"] == "four_eyes"
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED


def test_approving_before_every_member_is_reviewed_is_refused(api, leader, reviewer, register):
    household = register(members=[member_data(), member_data("child", name="王小明")])
    review.member_review(
        actor=reviewer, member=household.members.get(relation="head"), decision="passed"
    )

    response = api(leader).post(f"{HOUSEHOLDS}{household.pk}/approve/")

    assert response.status_code == 400
    assert response.json()["code"] == "not_reviewed"
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REGISTERED
    assert household.approved_by is None


def test_approving_with_a_session_not_confirmed_recently_is_refused(leader, reviewer, register):
    household = register()
    pass_all(household, reviewer)
    client = APIClient()
    client.force_login(leader)  # logged in long ago

    response = client.post(f"{HOUSEHOLDS}{household.pk}/approve/")

    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED
    # HTTP Basic carries the password with the call itself.
    basic = APIClient()
    basic.credentials(HTTP_AUTHORIZATION=basic_auth(leader.username))
    assert basic.post(f"{HOUSEHOLDS}{household.pk}/approve/").status_code == 200


def test_leader_approves_and_the_entitlement_follows(api, leader, reviewer, register):
    household = register(members=[member_data(), member_data("spouse", sex="F")])
    pass_all(household, reviewer)

    response = api(leader).post(f"{HOUSEHOLDS}{household.pk}/approve/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == HouseholdStatus.APPROVED
    assert body["approved_by"]["username"] == leader.username
    assert body["resettlement_population"] == 2
    assert body["entitlement_area"] == "100.00"


def test_approving_without_the_id_scans_needs_a_written_reason_in_the_api(
    api, leader, reviewer, register
):
    household = register()
    pass_all(household, reviewer)
    Document.objects.filter(household=household, kind="id_card").delete()
    url = f"{HOUSEHOLDS}{household.pk}/approve/"

    refused = api(leader).post(url, {"opinion": "同意"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "documents_missing"
    assert household.code in refused.json()["detail"]
    approved = api(leader).post(
        url,
        {"opinion": "同意", "documents_override_reason": "身份证原件已现场核验"},
        format="json",
    )
    assert approved.status_code == 200, approved.json()
    household.refresh_from_db()
    assert (household.approval_opinion, household.documents_override_reason) == (
        "同意",
        "身份证原件已现场核验",
    )


# --- documents --------------------------------------------------------------------------


def test_clerk_uploads_a_document_and_gets_metadata_without_a_file_url(api, clerk, register):
    household = register()
    head = household.members.get()

    response = api(clerk).post(
        DOCUMENTS,
        {"household": household.pk, "member": head.pk, "kind": "id_card", "file": png_upload()},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    document = Document.objects.get()
    assert body["kind"] == "id_card"
    assert body["member_name"] == head.name
    assert body["content_type"] == "image/png"
    assert body["original_name"] == "身份证.png"
    assert body["sha256"] == document.sha256
    assert body["download_url"] == reverse("staff:document-download", args=[document.pk])
    assert "file" not in body
    assert document.file.name not in response.content.decode()


def test_a_file_that_is_not_really_a_pdf_is_refused_and_not_stored(api, clerk, register):
    household = register()
    fake = SimpleUploadedFile("协议.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")

    response = api(clerk).post(
        DOCUMENTS, {"household": household.pk, "kind": "agreement", "file": fake}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_type"
    assert Document.objects.count() == 0


def test_a_member_of_another_household_is_refused_for_a_document(api, clerk, register):
    household, other = register(), register()

    response = api(clerk).post(
        DOCUMENTS,
        {
            "household": household.pk,
            "member": other.members.get().pk,
            "kind": "id_card",
            "file": png_upload(),
        },
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_member"
    assert Document.objects.count() == 0


def test_document_list_filters_by_household_and_never_shows_storage_paths(
    api, clerk, reviewer, register
):
    first, second = register(), register()
    for household in (first, second):
        documents.document_upload(
            actor=clerk, household=household, kind="agreement", upload=pdf_upload()
        )

    response = api(reviewer).get(DOCUMENTS, {"household": second.pk})

    [row] = response.json()["results"]
    assert row["household"] == second.pk
    stored = second.documents.get().file.name
    assert stored not in response.content.decode()
    assert "private_media" not in response.content.decode()


def test_clerk_deletes_a_document(api, clerk, register):
    household = register()
    document = documents.document_upload(
        actor=clerk, household=household, kind="agreement", upload=pdf_upload()
    )

    assert api(clerk).delete(f"{DOCUMENTS}{document.pk}/").status_code == 204
    assert Document.objects.count() == 0


# --- projects ---------------------------------------------------------------------------


def project_payload(**overrides) -> dict:
    return {
        "code": "NGH-2013",
        "name": "南宫河社区2013年安置项目",
        "hukou_cutoff_date": "2013-06-30",
        "growth_deadline": "2013-12-31",
        "area_per_person": "50.00",
        **overrides,
    }


def test_leader_creates_a_project(api, leader):
    response = api(leader).post("/api/projects/", project_payload(), format="json")

    assert response.status_code == 201, response.json()
    assert Project.objects.get(code="NGH-2013").area_per_person == 50


def test_a_growth_deadline_before_the_cutoff_is_a_400_not_a_server_error(api, leader):
    response = api(leader).post(
        "/api/projects/", project_payload(growth_deadline="2013-01-01"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert not Project.objects.filter(code="NGH-2013").exists()


def test_changing_the_cutoff_re_judges_members_not_yet_approved(api, leader, register, project):
    member = register(members=[member_data(hukou_moved_in=dt.date(2013, 5, 1))]).members.get()
    assert member.verdict_qualified

    response = api(leader).patch(
        f"/api/projects/{project.pk}/",
        {"hukou_cutoff_date": "2013-04-30", "growth_deadline": "2013-12-31"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    member.refresh_from_db()
    assert not member.verdict_qualified
    assert member.verdict_failures == ",HUKOU_AFTER_CUTOFF,"


def test_a_project_change_by_basic_auth_records_the_leader_in_the_history(leader, project):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(leader.username))

    response = client.patch(f"/api/projects/{project.pk}/", {"name": "新名称"}, format="json")

    assert response.status_code == 200, response.json()
    assert project.history.latest().history_user == leader


def basic_auth(username: str) -> str:
    token = base64.b64encode(f"{username}:correct horse battery staple".encode()).decode()
    return f"Basic {token}"


def test_villager_groups_filter_by_project(api, reviewer, group):
    VillagerGroupFactory()  # another project's group

    response = api(reviewer).get("/api/villager-groups/", {"project": group.project_id})

    assert [row["id"] for row in response.json()["results"]] == [group.pk]


def test_communities_filter_by_project(api, reviewer, group):
    VillagerGroupFactory()

    response = api(reviewer).get("/api/communities/", {"project": group.project_id})

    assert [row["id"] for row in response.json()["results"]] == [group.community_id]


# --- query counts -----------------------------------------------------------------------


def add_households(group, clerk, reviewer, *, start: int, count: int) -> None:
    """Rows straight into the tables (no services, no history): only list reads are tested."""
    households = Household.objects.bulk_create(
        [
            Household(
                project=group.project,
                community=group.community,
                group=group,
                code=f"Q{n:05d}",
                registered_by=clerk,
            )
            for n in range(start, start + count)
        ],
        batch_size=500,
    )
    members = []
    for n, household in enumerate(households, start=start):
        for relation, sex in (("head", "M"), ("spouse", "F")):
            members.append(
                Member(
                    project=group.project,
                    household=household,
                    name=f"成员{n}{relation}",
                    id_number=f"{n:08d}{sex}{relation[:1]}".rjust(18, "0"),
                    sex=sex,
                    birth_date=dt.date(1970, 1, 1),
                    relation=relation,
                    hukou_nature="agricultural",
                    entered_by=clerk,
                    verdict_qualified=relation == "head",
                    verdict_failures="" if relation == "head" else ",HUKOU_MOVED_OUT,",
                    review_status="passed" if n % 2 else "pending",
                    reviewed_by=reviewer if n % 2 else None,
                )
            )
    Member.objects.bulk_create(members, batch_size=500)
    Document.objects.bulk_create(
        [
            Document(
                household=household,
                kind="agreement",
                file=f"documents/{household.code}.pdf",
                original_name="协议.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                uploaded_by=clerk,
            )
            for household in households
        ],
        batch_size=500,
    )


# Session, user, the user's and the user's groups' permissions: 4 queries; then the count,
# the page, and (households) the page's members for the review progress.
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        (HOUSEHOLDS, 7),
        (f"{HOUSEHOLDS}?status=registered&search=Q0", 7),
        (MEMBERS, 6),
        (f"{MEMBERS}?page=2&review_status=pending", 6),
        (DOCUMENTS, 6),
    ],
    ids=["households", "households filtered", "members", "members page 2", "documents"],
)
def test_list_queries_do_not_grow_with_the_number_of_households(
    api, clerk, reviewer, group, url, queries
):
    client = api(reviewer)
    add_households(group, clerk, reviewer, start=0, count=100)
    with CaptureQueriesContext(connection) as at_100:
        small = client.get(url)
    add_households(group, clerk, reviewer, start=100, count=1900)
    with CaptureQueriesContext(connection) as at_2000:
        large = client.get(url)

    assert small.status_code == large.status_code == 200
    assert len(large.json()["results"]) == 50
    assert large.json()["count"] > small.json()["count"]
    assert len(at_2000) == len(at_100) == queries, [q["sql"][:100] for q in at_2000]


# --- the schema and its documentation page ----------------------------------------------


def test_the_openapi_schema_describes_review_and_approve(api, clerk):
    response = api(clerk).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "post" in paths["/api/members/{id}/review/"]
    assert "post" in paths["/api/households/{id}/approve/"]
    assert "post" in paths["/api/households/"]


def test_the_api_docs_page_loads_its_scripts_from_this_server(api, clerk):
    response = api(clerk).get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    bundle = "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in page
    assert finders.find(bundle)  # shipped with the app, served by whitenoise
    assert "cdn.jsdelivr.net" not in page
