"""Publications, their drafts and objections are seen by staff only for the projects they
may see (households.access); the public site is untouched by this."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publicity.models import Publication
from publicity.services import publications
from resettlement.errors import NotAllowed
from tests.households.factories import ProjectFactory
from tests.people import grant, make_user
from tests.reauth import recently_authenticated


@pytest.fixture
def other_project(db):
    return ProjectFactory(code="OTHER", name="另一个项目")


@pytest.fixture
def leader_b(roles, other_project):
    user = make_user("leader_b", "leader", all_projects=False)
    grant(user, other_project)
    return user


@pytest.fixture
def draft(approved_household, leader):
    return publications.publication_create(
        actor=leader, project=approved_household.project, kind="population"
    )


def test_another_projects_draft_is_not_found(client, leader_b, draft):
    client.force_login(leader_b)
    recently_authenticated(client)
    assert (
        client.get(reverse("publicity_staff:publication-detail", args=[draft.pk])).status_code
        == 404
    )
    publish = client.post(
        reverse("publicity_staff:publication-publish", args=[draft.pk]), {"confirm": "yes"}
    )
    assert publish.status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert client.get(reverse("publicity_pdf:jobs", args=[draft.pk])).status_code == 404


def test_publication_list_of_another_project_is_not_found(client, leader_b, draft):
    client.force_login(leader_b)
    asked = client.get(reverse("publicity_staff:publication-list"), {"project": draft.project.code})
    assert asked.status_code == 404
    own = client.get(reverse("publicity_staff:publication-list"))
    assert own.context["project"].code == "OTHER"
    assert draft.project.name not in own.content.decode()


def test_drafting_a_publication_for_another_project_is_refused(leader_b, approved_household):
    with pytest.raises(NotAllowed) as refused:
        publications.publication_create(
            actor=leader_b, project=approved_household.project, kind="population"
        )
    assert refused.value.code == "project_not_granted"
    assert not Publication.objects.exists()


def test_objections_of_another_project_are_not_listed(client, leader_b, published_population):
    published_population.objections.create(
        household_code="H1", contact_name="王某", contact_phone="13800000000", text="有误"
    )
    client.force_login(leader_b)
    listing = client.get(reverse("objections:list"))
    assert list(listing.context["page"]) == []
    objection = published_population.objections.get()
    assert client.get(reverse("objections:detail", args=[objection.pk])).status_code == 404


def test_admin_lists_only_granted_publications(client, leader_b, draft):
    client.force_login(leader_b)
    response = client.get(reverse("admin:publicity_publication_changelist"))
    assert list(response.context["cl"].queryset) == []


def test_once_granted_the_draft_opens(client, leader_b, draft):
    grant(leader_b, draft.project)
    client.force_login(leader_b)
    url = reverse("publicity_staff:publication-detail", args=[draft.pk])
    assert client.get(url).status_code == 200
