"""Estates, apartments and households' choices are seen only by users who may see the
project (households.access); anything else is a 404, as if it did not exist."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from allocation.models import Demand, Estate
from allocation.resources import apartments_import
from allocation.services import estates
from resettlement.errors import NotAllowed
from resettlement.imports.files import read_roster
from tests.households.factories import ProjectFactory
from tests.people import grant, make_user
from tests.xlsx import apartment_row, apartments_xlsx


@pytest.fixture
def other_project(db):
    return ProjectFactory(code="OTHER", name="另一个项目")


@pytest.fixture
def leader_b(roles, other_project):
    """A leader (who also enters choices as a clerk) of another project."""
    user = make_user("leader_b", "leader", "clerk", all_projects=False)
    grant(user, other_project)
    return user


def test_another_projects_estate_and_choices_are_not_found(client, leader_b, estate, household):
    client.force_login(leader_b)
    assert client.get(reverse("allocation:estate-detail", args=[estate.pk])).status_code == 404
    assert client.get(reverse("allocation:demand-edit", args=[household.pk])).status_code == 404
    code = household.project.code
    assert client.get(reverse("allocation:demand-list", args=[code])).status_code == 404
    assert client.get(reverse("allocation:demand-lock", args=[code])).status_code == 404
    assert client.get(reverse("allocation:apartment-export"), {"project": code}).status_code == 404
    listing = client.get(reverse("allocation:estate-list"))
    assert listing.context["rows"] == []


def test_api_lists_only_granted_estates_and_apartments(leader_b, apartment, estate):
    api = APIClient()
    api.force_authenticate(leader_b)
    assert api.get("/api/allocation/estates/").json()["results"] == []
    assert api.get(f"/api/allocation/estates/{estate.pk}/").status_code == 404
    assert api.get("/api/allocation/apartments/").json()["results"] == []
    assert api.get(f"/api/allocation/apartments/{apartment.pk}/").status_code == 404


def test_api_choosing_for_another_projects_household_says_it_does_not_exist(
    leader_b, household, types
):
    api = APIClient()
    api.force_authenticate(leader_b)
    response = api.post(
        "/api/allocation/demands/",
        {"household": household.pk, "items": {"T90": 1}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "household"
    assert not Demand.objects.filter(household=household).exists()


def test_admin_lists_only_granted_estates(client, leader_b, estate):
    client.force_login(leader_b)
    response = client.get(reverse("admin:allocation_estate_changelist"))
    assert list(response.context["cl"].queryset) == []
    adding = client.get(reverse("admin:allocation_estate_add"))
    choices = adding.context["adminform"].form.fields["project"].queryset
    assert [p.code for p in choices] == ["OTHER"]


def test_creating_an_estate_in_another_project_is_refused(leader_b, project):
    with pytest.raises(NotAllowed) as refused:
        estates.estate_create(actor=leader_b, project=project, code="E9", name="别的小区")
    assert refused.value.code == "project_not_granted"
    assert not Estate.objects.filter(code="E9").exists()


def test_once_granted_the_estate_opens(client, leader_b, estate):
    grant(leader_b, estate.project)
    client.force_login(leader_b)
    detail = client.get(reverse("allocation:estate-detail", args=[estate.pk]))
    assert detail.status_code == 200 and estate.name in detail.content.decode()
    listing = client.get(reverse("allocation:estate-list"))
    assert [shown for shown, _counts in listing.context["rows"]] == [estate]


def test_the_import_page_offers_only_granted_projects_even_after_a_failed_confirm(
    client, leader, estate, types, project, other_project
):
    scoped = make_user("leader_a", "leader", all_projects=False)
    grant(scoped, project)
    client.force_login(scoped)
    url = reverse("allocation:apartment-import")
    assert [p.code for p in client.get(url).context["form"].fields["project"].queryset] == [
        project.code
    ]
    data = apartments_xlsx([apartment_row()])
    preview = client.post(
        url, {"project": project.pk, "import_file": SimpleUploadedFile("rooms.xlsx", data)}
    )
    assert preview.context["report"].ok
    # Someone imports the same rooms before the preview is confirmed: the confirm fails and
    # the page is shown again, its form still limited to the user's projects.
    apartments_import(actor=leader, project=project, dataset=read_roster(data, "xlsx"))
    failed = client.post(url, {"confirm": "1"})
    assert failed.status_code == 200 and not failed.context["report"].ok
    assert [p.code for p in failed.context["form"].fields["project"].queryset] == [project.code]
    assert "另一个项目" not in failed.content.decode()
