"""The audit trail in the admin: district-level leaders, the supervising office and
superusers can read and filter it (a leader of one project cannot: it spans all projects);
nobody, not even a superuser, can add, change or delete an entry there."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.people import grant, make_user
from tests.resettlement.audit_helpers import make_chain

pytestmark = pytest.mark.django_db

LIST = "admin:resettlement_auditentry_changelist"


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", password="correct horse battery")


def test_a_leader_reads_the_trail_and_filters_it_by_action(client, leader):
    make_chain(leader, 3)
    client.force_login(leader)
    page = client.get(reverse(LIST)).content.decode()
    assert page.count('class="field-action_label"') == 3 and "安置户审批" in page
    filtered = client.get(reverse(LIST), {"action": "payment.record"}).content.decode()
    assert filtered.count('class="field-action_label"') == 0
    same = client.get(reverse(LIST), {"action": "household.approve"}).content.decode()
    assert same.count('class="field-action_label"') == 3


def test_a_leader_of_one_project_cannot_see_the_trail_of_all(client, roles, leader, project):
    make_chain(leader, 1)
    local = make_user("leader_local", "leader", all_projects=False)
    grant(local, project)
    client.force_login(local)
    assert client.get(reverse(LIST)).status_code == 403


def test_the_supervising_office_reads_the_trail(client, roles, leader):
    make_chain(leader, 2)
    client.force_login(make_user("supervisor_he", "supervisor"))
    assert client.get(reverse(LIST)).content.decode().count('class="field-action_label"') == 2


def test_a_clerk_cannot_see_the_trail(client, clerk, leader):
    make_chain(leader, 1)
    client.force_login(clerk)
    assert client.get(reverse(LIST)).status_code == 403


def test_not_even_a_superuser_can_add_change_or_delete_an_entry(client, superuser, leader):
    entry = make_chain(leader, 1)[0]
    client.force_login(superuser)
    assert client.get(reverse(LIST)).status_code == 200
    assert client.get(reverse("admin:resettlement_auditentry_add")).status_code == 403
    change = reverse("admin:resettlement_auditentry_change", args=[entry.pk])
    page = client.get(change)
    assert page.status_code == 200 and entry.hash in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change, {"action": "payment.record"}).status_code == 403
    delete = reverse("admin:resettlement_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "household.approve"
