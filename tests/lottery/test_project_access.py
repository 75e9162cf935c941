"""Lottery sessions are seen only by users who may see their project (households.access).

The lottery test project's session S1 belongs to a project `hall_b` staff are not granted:
they work on another project. Opening S1 anywhere is a 404, as if it did not exist.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from resettlement.errors import NotAllowed
from tests.households.factories import ProjectFactory
from tests.lottery.factories import create_session
from tests.people import grant, make_user


@pytest.fixture
def other_project(db):
    return ProjectFactory(code="OTHER", name="另一个项目")


@pytest.fixture
def hall_b(roles, other_project):
    """An operator, notary and leader in one person, granted only the other project."""
    user = make_user("hall_b", "operator", "notary", "leader", all_projects=False)
    grant(user, other_project)
    return user


@pytest.mark.parametrize("url_name", ["console", "state", "screen", "screen-state", "record"])
def test_another_projects_session_pages_are_not_found(client, hall_b, open_session, url_name):
    client.force_login(hall_b)
    response = client.get(reverse(f"lottery:{url_name}", args=[open_session.code]))
    assert response.status_code == 404


def test_actions_on_another_projects_session_are_not_found(client, hall_b, open_session):
    client.force_login(hall_b)
    response = client.post(reverse("lottery:confirm", args=[open_session.code]), {})
    assert response.status_code == 404
    open_session.refresh_from_db()
    assert open_session.confirmed_by is None


def test_session_list_offers_only_granted_projects(client, hall_b, open_session):
    client.force_login(hall_b)
    page = client.get(reverse("lottery:session-list"))
    assert page.status_code == 200
    # Looked for as the list's row and link: the bare code "S1" also turns up at random in
    # the page's CSRF tokens.
    assert list(page.context["sessions"]) == []
    html = page.content.decode()
    assert f'data-session="{open_session.code}"' not in html
    assert reverse("lottery:console", args=[open_session.code]) not in html
    assert list(page.context["projects"]) == [hall_b.project_grants.get().project]
    asked = client.get(reverse("lottery:session-list"), {"project": open_session.project.code})
    assert asked.status_code == 404


def test_api_lists_and_opens_only_granted_sessions(hall_b, open_session):
    api = APIClient()
    api.force_authenticate(hall_b)
    assert api.get("/api/lottery/sessions/").json()["results"] == []
    assert api.get(f"/api/lottery/sessions/{open_session.code}/").status_code == 404


def test_admin_lists_only_granted_sessions(client, hall_b, open_session):
    client.force_login(hall_b)
    response = client.get(reverse("admin:lottery_lotterysession_changelist"))
    assert list(response.context["cl"].queryset) == []


def test_opening_a_session_in_another_project_is_refused(hall_b, lottery_project):
    with pytest.raises(NotAllowed) as refused:
        create_session(lottery_project, hall_b)
    assert refused.value.code == "project_not_granted"


def test_once_granted_the_session_is_listed_and_opens(client, hall_b, open_session):
    grant(hall_b, open_session.project)
    client.force_login(hall_b)
    assert client.get(reverse("lottery:console", args=[open_session.code])).status_code == 200
    listed = client.get(reverse("lottery:session-list"), {"project": open_session.project.code})
    assert list(listed.context["sessions"]) == [open_session]
    assert f'data-session="{open_session.code}"' in listed.content.decode()
    admin = client.get(reverse("admin:lottery_lotterysession_changelist"))
    assert list(admin.context["cl"].queryset) == [open_session]
    api = APIClient()
    api.force_authenticate(hall_b)
    assert [s["code"] for s in api.get("/api/lottery/sessions/").json()["results"]] == ["S1"]
