"""Object-level access: a user of one project never sees another's households unless granted.

Two projects, A and B, each with a household registered by a district clerk (who sees every
project). `clerk_a` is a clerk of project A only. District-level users are what the shared
`make_user` builds by default; `all_projects=False` builds a project-scoped one.
"""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from households import access
from households.models import Document, DocumentKind, ProjectAccess
from households.resources import roster_import
from households.services import documents, registration
from households.services.access import project_access_grant, project_access_revoke
from oversight.models import WorkingTeam
from resettlement.errors import NotAllowed
from resettlement.imports.files import read_roster
from tests.households.factories import VillagerGroupFactory, household_data, member_data
from tests.people import grant, make_user
from tests.xlsx import household_rows, roster_xlsx

# Uploads go to the test's own folder, not the developer's private_media/.
pytestmark = pytest.mark.usefixtures("private_media")


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def group_a(db):
    return VillagerGroupFactory(community__project__code="PA", community__project__name="甲项目")


@pytest.fixture
def group_b(db):
    return VillagerGroupFactory(community__project__code="PB", community__project__name="乙项目")


@pytest.fixture
def household_a(register_in, group_a):
    return register_in(group_a, code="HA001")


@pytest.fixture
def household_b(register_in, group_b, clerk):
    household = register_in(group_b, code="HB001")
    documents.document_upload(
        actor=clerk,
        household=household,
        kind=DocumentKind.HUKOU_BOOK,
        upload=SimpleUploadedFile("户口簿.png", PNG, content_type="image/png"),
    )
    return household


@pytest.fixture
def clerk_a(roles, group_a):
    user = make_user("clerk_a", "clerk", all_projects=False, first_name="甲项目登记员")
    grant(user, group_a.project)
    return user


@pytest.fixture
def reviewer_a(roles, group_a):
    user = make_user("reviewer_a", "reviewer", all_projects=False)
    grant(user, group_a.project)
    return user


@pytest.fixture
def api(clerk_a) -> APIClient:
    client = APIClient()
    client.force_authenticate(clerk_a)
    return client


def codes(response) -> set[str]:
    return {row["code"] for row in response.json()["results"]}


# -- the staff pages ----------------------------------------------------------------------


def test_clerk_of_project_a_lists_only_project_a_households(
    client, clerk_a, household_a, household_b
):
    client.force_login(clerk_a)
    response = client.get(reverse("staff:household-list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "HA001" in page
    assert "HB001" not in page
    assert "乙项目" not in page  # not even offered in the project filter


def test_searching_for_another_projects_household_finds_nothing(
    client, clerk_a, household_a, household_b
):
    client.force_login(clerk_a)
    response = client.get(reverse("staff:household-list"), {"q": "HB001"})
    assert list(response.context["page"]) == []


def test_staff_home_shows_only_granted_projects(client, clerk_a, household_a, household_b):
    client.force_login(clerk_a)
    page = client.get(reverse("staff:home")).content.decode()
    assert "甲项目" in page and "乙项目" not in page


@pytest.mark.parametrize(
    "url_name",
    ["staff:household-detail", "staff:household-edit", "staff:member-add"],
)
def test_another_projects_household_pages_are_not_found(client, clerk_a, household_b, url_name):
    client.force_login(clerk_a)
    assert client.get(reverse(url_name, args=[household_b.pk])).status_code == 404


def test_another_projects_member_and_document_are_not_found(client, clerk_a, household_b):
    client.force_login(clerk_a)
    member = household_b.members.get()
    document = Document.objects.get(household=household_b)
    edit = reverse("staff:member-edit", args=[household_b.pk, member.pk])
    remove = reverse("staff:member-remove", args=[household_b.pk, member.pk])
    upload = reverse("staff:document-upload", args=[household_b.pk])
    assert client.get(edit).status_code == 404
    assert client.post(remove).status_code == 404
    assert client.post(upload, {"kind": "other"}).status_code == 404
    assert client.get(reverse("staff:document-download", args=[document.pk])).status_code == 404
    assert household_b.members.count() == 1
    assert list(Document.objects.filter(household=household_b)) == [document]


def test_register_form_offers_only_granted_projects(client, clerk_a, group_a, group_b):
    client.force_login(clerk_a)
    response = client.get(reverse("staff:household-register"))
    form = response.context["form"]
    assert list(form.fields["project"].queryset) == [group_a.project]
    assert list(form.fields["group"].queryset) == [group_a]


def test_registering_in_another_project_is_refused_by_the_service(clerk_a, group_b):
    with pytest.raises(NotAllowed) as refused:
        registration.household_register(
            actor=clerk_a,
            project=group_b.project,
            community=group_b.community,
            group=group_b,
            household=household_data(),
            members=[member_data()],
        )
    assert refused.value.code == "project_not_granted"
    assert not group_b.project.households.exists()


def test_importing_into_another_project_is_refused(roles, roster_project):
    clerk_elsewhere = make_user("clerk_elsewhere", "clerk", all_projects=False)
    dataset = read_roster(roster_xlsx(household_rows("H001")), "xlsx")
    with pytest.raises(NotAllowed):
        roster_import(actor=clerk_elsewhere, project=roster_project, dataset=dataset)
    assert not roster_project.households.exists()
    grant(clerk_elsewhere, roster_project)
    assert roster_import(actor=clerk_elsewhere, project=roster_project, dataset=dataset).ok


# -- the API ------------------------------------------------------------------------------


def test_api_lists_only_granted_households_members_documents_and_projects(
    api, household_a, household_b, group_a
):
    assert codes(api.get("/api/households/")) == {"HA001"}
    assert codes(api.get("/api/projects/")) == {"PA"}
    members = api.get("/api/members/").json()["results"]
    assert {m["household"] for m in members} == {household_a.pk}
    assert api.get("/api/documents/").json()["results"] == []
    groups = api.get("/api/villager-groups/").json()["results"]
    assert [g["id"] for g in groups] == [group_a.pk]


def test_api_details_of_another_project_are_not_found(api, household_b):
    member = household_b.members.get()
    document = Document.objects.get(household=household_b)
    assert api.get(f"/api/households/{household_b.pk}/").status_code == 404
    assert api.get(f"/api/members/{member.pk}/").status_code == 404
    assert api.get(f"/api/documents/{document.pk}/").status_code == 404
    assert api.get(f"/api/projects/{household_b.project_id}/").status_code == 404
    patch = api.patch(f"/api/households/{household_b.pk}/", {"notes": "x"}, format="json")
    assert patch.status_code == 404


def test_api_review_of_another_projects_member_is_not_found(client, reviewer_a, household_b):
    api = APIClient()
    api.force_authenticate(reviewer_a)
    member = household_b.members.get()
    response = api.post(f"/api/members/{member.pk}/review/", {"decision": "passed"})
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.review_status == "pending"


def test_api_writes_naming_another_projects_rows_say_they_do_not_exist(api, household_b, group_b):
    adding = api.post(
        "/api/members/",
        {"household": household_b.pk, **_member_json()},
        format="json",
    )
    assert adding.status_code == 400
    assert adding.json()["errors"][0]["field"] == "household"
    registering = api.post(
        "/api/households/",
        {
            "project": group_b.project_id,
            "community": group_b.community_id,
            "group": group_b.pk,
            "code": "HB999",
            "members": [_member_json()],
        },
        format="json",
    )
    assert registering.status_code == 400
    assert {e["field"] for e in registering.json()["errors"]} == {"project", "community", "group"}
    assert household_b.members.count() == 1


def _member_json() -> dict:
    data = member_data(relation="spouse")
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in data.items()
        if value is not None
    }


# -- the admin ----------------------------------------------------------------------------


def test_admin_changelists_show_only_granted_rows(
    client, reviewer_a, household_a, household_b, group_a
):
    client.force_login(reviewer_a)
    households = client.get(reverse("admin:households_household_changelist"))
    assert list(households.context["cl"].queryset) == [household_a]
    members = client.get(reverse("admin:households_member_changelist"))
    assert {m.household_id for m in members.context["cl"].queryset} == {household_a.pk}
    projects = client.get(reverse("admin:households_project_changelist"))
    assert list(projects.context["cl"].queryset) == [group_a.project]
    assert "乙项目" not in households.content.decode()  # nor in the project filter


def test_no_admin_changelist_names_another_project(client, household_a, household_b, roles):
    """Every changelist a project-scoped user may open, rows and filters alike, keeps to
    their projects: none names project B, its households or its working teams."""
    scoped = make_user("scoped_admin", is_staff=True, all_projects=False)
    scoped.user_permissions.add(*Permission.objects.exclude(codename="access_all_projects"))
    grant(scoped, household_a.project)
    WorkingTeam.objects.create(
        project=household_b.project, code="TB", name="乙项目工作组", updated_by=scoped
    )
    client.force_login(scoped)
    opened = []
    for model in admin.site._registry:
        meta = model._meta
        response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if response.status_code == 403:
            continue  # the audit trail: district-level staff only
        assert response.status_code == 200, meta.label
        page = response.content.decode()
        assert "乙项目" not in page and "HB001" not in page, meta.label
        opened.append(meta.label)
        adding = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        if adding.status_code == 200:  # and the choices of the forms that add rows
            page = adding.content.decode()
            assert "乙项目" not in page and "HB001" not in page, f"{meta.label} add"
    assert {"households.Household", "oversight.WorkingTeam", "settlement.Statement"} <= set(opened)


def test_admin_pages_of_another_projects_rows_are_not_found(client, reviewer_a, household_b):
    client.force_login(reviewer_a)
    member = household_b.members.get()
    review = client.get(reverse("staff:member-review", args=[member.pk]))
    assert review.status_code == 404
    change = client.get(reverse("admin:households_household_change", args=[household_b.pk]))
    # The admin answers a row it cannot find with a redirect and "does not exist".
    assert change.status_code == 302 and change.url == reverse("admin:index")
    told = [str(message) for message in get_messages(change.wsgi_request)]
    assert len(told) == 1 and "不存在" in told[0], told


# -- granting and revoking ----------------------------------------------------------------


def test_granting_project_b_shows_its_households_and_revoking_hides_them_again(
    api, clerk_a, household_a, household_b, group_b, roles
):
    admin = make_user("district_admin", is_superuser=True, is_staff=True)
    assert api.get(f"/api/households/{household_b.pk}/").status_code == 404
    access_b = project_access_grant(actor=admin, user=clerk_a, project=group_b.project)
    assert access_b.granted_by == admin and access_b.granted_at is not None
    assert codes(api.get("/api/households/")) == {"HA001", "HB001"}
    assert api.get(f"/api/households/{household_b.pk}/").status_code == 200
    project_access_revoke(actor=admin, grant=access_b)
    assert codes(api.get("/api/households/")) == {"HA001"}
    assert api.get(f"/api/households/{household_b.pk}/").status_code == 404


def test_an_administrator_grants_and_revokes_in_the_projects_admin_page(
    client, clerk_a, household_b, group_b, roles
):
    admin = make_user("district_admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("admin:households_project_change", args=[group_b.project_id])
    project = group_b.project
    data = {
        name: getattr(project, name)
        for name in (
            "code",
            "name",
            "hukou_cutoff_date",
            "growth_deadline",
            "area_per_person",
            "one_child_bonus_area",
            "single_person_bonus_area",
        )
    }
    data.update(
        {
            name: "on"
            for name in ("agricultural_eligible", "non_agricultural_eligible", "resident_eligible")
            if getattr(project, name)
        }
    )
    inline = {
        "access_grants-TOTAL_FORMS": "1",
        "access_grants-INITIAL_FORMS": "0",
        "access_grants-0-user": str(clerk_a.pk),
        "access_grants-0-project": str(group_b.project_id),
    }
    response = client.post(url, {**data, **inline})
    assert response.status_code == 302, response.context and response.context["errors"]
    access_b = ProjectAccess.objects.get(user=clerk_a, project=group_b.project)
    assert access_b.granted_by == admin
    assert access.can_see_project(clerk_a, group_b.project)

    revoke = {
        "access_grants-TOTAL_FORMS": "1",
        "access_grants-INITIAL_FORMS": "1",
        "access_grants-0-id": str(access_b.pk),
        "access_grants-0-user": str(clerk_a.pk),
        "access_grants-0-project": str(group_b.project_id),
        "access_grants-0-DELETE": "on",
    }
    response = client.post(url, {**data, **revoke})
    assert response.status_code == 302
    assert not ProjectAccess.objects.filter(user=clerk_a, project=group_b.project).exists()


def test_only_someone_allowed_to_grant_may_grant(clerk_a, group_a, roles):
    other = make_user("clerk_b", "clerk", all_projects=False)
    with pytest.raises(NotAllowed):
        project_access_grant(actor=clerk_a, user=other, project=group_a.project)
    assert not ProjectAccess.objects.filter(user=other).exists()


def test_a_user_with_no_grants_sees_no_project(roles, household_a, household_b):
    nobody = make_user("new_clerk", "clerk", all_projects=False)
    assert not access.visible_projects(nobody).exists()
    api = APIClient()
    api.force_authenticate(nobody)
    assert codes(api.get("/api/households/")) == set()


def test_district_staff_and_superusers_see_every_project(clerk, household_a, household_b, roles):
    admin = make_user("district_admin", is_superuser=True, is_staff=True, all_projects=False)
    for user in (clerk, admin):
        assert set(access.visible_projects(user).values_list("code", flat=True)) == {"PA", "PB"}


def test_an_inactive_user_sees_nothing_even_when_granted(clerk_a, group_a):
    clerk_a.is_active = False
    clerk_a.save(update_fields=["is_active"])
    assert not access.can_see_project(clerk_a, group_a.project)


# -- query counts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        reverse("staff:household-list"),
        "/api/households/",
        "/api/members/",
        reverse("admin:households_household_changelist"),
    ],
)
def test_scoping_adds_no_query_to_the_main_lists(client, url, household_a, household_b, roles):
    scoped = make_user("reviewer_clerk_a", "clerk", "reviewer", all_projects=False)
    district = make_user("reviewer_clerk_d", "clerk", "reviewer")
    grant(scoped, household_a.project, household_b.project)  # the same rows to show

    def queries(user) -> int:
        client.force_login(user)
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(scoped) == queries(district)


# -- the demo users -----------------------------------------------------------------------


def test_demo_users_are_district_staff_unless_asked_otherwise(settings, roles):
    settings.DEBUG = True
    call_command("create_demo_users", stdout=io.StringIO())
    everything = Permission.objects.get(codename="access_all_projects")
    district = set(everything.user_set.values_list("username", flat=True))
    assert {"clerk", "reviewer", "leader", "finance"} <= district
    assert "clerk2011" not in district
    call_command("create_demo_users", "--no-district-access", stdout=io.StringIO())
    assert not everything.user_set.exists()
