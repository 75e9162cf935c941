"""Who may call which API endpoint: every role, a user with no role, and anonymous callers.

Each row of the matrix names an endpoint and the roles it serves; every other caller gets
403 and nothing changes. Anonymous callers get 403 rather than 401 because the first
authentication class is the session (DRF only answers 401 when that class can send a
WWW-Authenticate challenge).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from households.models import Document, Household, Member, Project, ReviewStatus
from households.services import documents, review
from households.services import registration as households_registration
from tests.households.factories import hand_in_documents, household_data, member_data
from tests.people import make_user
from tests.reauth import recently_authenticated

ROLES = ("clerk", "reviewer", "leader", "operator", "notary", "finance")
CALLERS = (*ROLES, "no role", "anonymous")


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


@dataclass
class World:
    """Records registered by a clerk who is not the caller, so four-eyes never interferes."""

    project: Project
    household: Household  # head and child, pending review
    head: Member
    child: Member
    reviewed: Household  # every member passed by another reviewer: ready for approval
    document: Document


@pytest.fixture
def world(other_clerk, group) -> World:
    second_reviewer = make_user("reviewer_qian", "reviewer")

    def register(code: str, members: list[dict]) -> Household:
        return households_registration.household_register(
            actor=other_clerk,
            project=group.project,
            community=group.community,
            group=group,
            household=household_data(code=code),
            members=members,
        )

    household = register("W-1", [member_data(), member_data("child", name="王小明")])
    reviewed = register("W-2", [member_data()])
    hand_in_documents(reviewed)  # the approval checklist is complete
    review.member_review(
        actor=second_reviewer, member=reviewed.members.get(), decision=ReviewStatus.PASSED
    )
    document = documents.document_upload(
        actor=other_clerk, household=household, kind="agreement", upload=pdf()
    )
    return World(
        project=group.project,
        household=household,
        head=household.members.get(relation="head"),
        child=household.members.get(relation="child"),
        reviewed=reviewed,
        document=document,
    )


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")


def state(world: World) -> tuple:
    """What a refused request must leave as it was."""
    return (
        Project.objects.count(),
        list(Project.objects.values_list("name", flat=True)),
        list(Household.objects.values_list("code", "address", "status")),
        list(Member.objects.values_list("name", "review_status")),
        Document.objects.count(),
    )


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    url: Callable[[World], str]
    allowed: tuple[str, ...]
    success: int = 200
    body: Callable[[World], dict] | None = None
    multipart: bool = False

    @property
    def writes(self) -> bool:
        return self.method != "get"


def registration(w: World) -> dict:
    return {
        "project": w.project.pk,
        "community": w.household.community_id,
        "group": w.household.group_id,
        **household_data(code="NEW-1"),
        "members": [member_data()],
    }


def new_project(w: World) -> dict:
    return {
        "code": "NEW",
        "name": "新项目",
        "hukou_cutoff_date": "2015-06-30",
        "growth_deadline": "2015-12-31",
        "area_per_person": "45.00",
    }


CALLS = (
    Call("list projects", "get", lambda w: "/api/projects/", ROLES),
    Call("read a project", "get", lambda w: f"/api/projects/{w.project.pk}/", ROLES),
    Call("create a project", "post", lambda w: "/api/projects/", ("leader",), 201, new_project),
    Call(
        "change a project",
        "patch",
        lambda w: f"/api/projects/{w.project.pk}/",
        ("leader",),
        body=lambda w: {"name": "改名后的项目"},
    ),
    Call("list communities", "get", lambda w: "/api/communities/", ROLES),
    Call("list villager groups", "get", lambda w: "/api/villager-groups/", ROLES),
    Call("list households", "get", lambda w: "/api/households/", ROLES),
    Call("read a household", "get", lambda w: f"/api/households/{w.household.pk}/", ROLES),
    Call(
        "register a household", "post", lambda w: "/api/households/", ("clerk",), 201, registration
    ),
    Call(
        "change a household",
        "patch",
        lambda w: f"/api/households/{w.household.pk}/",
        ("clerk",),
        body=lambda w: {"address": "新地址"},
    ),
    Call(
        "approve a household",
        "post",
        lambda w: f"/api/households/{w.reviewed.pk}/approve/",
        ("leader",),
    ),
    Call("list members", "get", lambda w: "/api/members/", ROLES),
    Call("read a member", "get", lambda w: f"/api/members/{w.head.pk}/", ROLES),
    Call(
        "add a member",
        "post",
        lambda w: "/api/members/",
        ("clerk",),
        201,
        lambda w: {
            "household": w.household.pk,
            **member_data("child", name="王小红", sex="F", birth_date=dt.date(2003, 4, 5)),
        },
    ),
    Call(
        "change a member",
        "patch",
        lambda w: f"/api/members/{w.child.pk}/",
        ("clerk",),
        body=lambda w: {"name": "王晓明"},
    ),
    Call("remove a member", "delete", lambda w: f"/api/members/{w.child.pk}/", ("clerk",), 204),
    Call(
        "review a member",
        "post",
        lambda w: f"/api/members/{w.head.pk}/review/",
        ("reviewer",),
        body=lambda w: {"decision": "passed"},
    ),
    Call("list documents", "get", lambda w: "/api/documents/", ROLES),
    Call("read a document", "get", lambda w: f"/api/documents/{w.document.pk}/", ROLES),
    Call(
        "upload a document",
        "post",
        lambda w: "/api/documents/",
        ("clerk",),
        201,
        lambda w: {"household": w.household.pk, "kind": "hukou_book", "file": pdf()},
        multipart=True,
    ),
    Call(
        "delete a document",
        "delete",
        lambda w: f"/api/documents/{w.document.pk}/",
        ("clerk",),
        204,
    ),
)


def matrix() -> list:
    """One case per caller and call, named like "reviewer may not approve a household"."""
    return [
        pytest.param(
            call,
            caller,
            call.success if caller in call.allowed else 403,
            id=f"{caller} {'may' if caller in call.allowed else 'may not'} {call.name}",
        )
        for call in CALLS
        for caller in CALLERS
    ]


@pytest.fixture
def client_for(roles):
    def _client_for(caller: str) -> APIClient:
        client = APIClient()
        if caller == "anonymous":
            return client
        user = make_user(
            f"caller_{caller.replace(' ', '_')}", *([] if caller == "no role" else [caller])
        )
        client.force_login(user)
        return recently_authenticated(client)  # as after logging in with the password

    return _client_for


@pytest.mark.parametrize(("call", "caller", "expected"), matrix())
def test_permission_matrix(world, client_for, call: Call, caller: str, expected: int):
    client = client_for(caller)
    before = state(world)
    body = call.body(world) if call.body else None

    response = getattr(client, call.method)(
        call.url(world), body, format="multipart" if call.multipart else "json"
    )

    assert response.status_code == expected, response.content.decode()[:300]
    if expected == 403:
        assert response.json()["detail"]
        if call.writes:
            assert state(world) == before


# --- what a refused caller is told ------------------------------------------------------


def test_a_reviewer_who_tries_to_approve_is_told_the_permission_is_missing(world, client_for):
    response = client_for("reviewer").post(f"/api/households/{world.reviewed.pk}/approve/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "households.approve_household" in response.json()["detail"]


def test_a_clerk_who_tries_to_review_is_told_the_permission_is_missing(world, client_for):
    response = client_for("clerk").post(
        f"/api/members/{world.head.pk}/review/", {"decision": "passed"}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_user_with_no_role_cannot_even_see_that_a_household_exists(world, client_for):
    client = client_for("no role")

    assert client.get(f"/api/households/{world.household.pk}/").status_code == 403
    assert client.get("/api/households/424242/").status_code == 403


def test_the_schema_and_its_docs_need_a_login_but_no_role(client_for):
    assert client_for("anonymous").get("/api/schema/").status_code == 403
    roleless = client_for("no role")
    assert roleless.get("/api/schema/").status_code == 200
    assert roleless.get("/api/docs/").status_code == 200
