"""Configuring a project: its policy, its villages and communities, its villager groups.

Only through `households.services` (project_create, project_update_policy, community_create /
update, villager_group_create / update), from the admin and the API alike: each checks the
permission and the project, records the actor in the history and writes an audit entry.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from households.models import Community, Project, VillagerGroup
from households.services import configuration
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.models import AuditEntry
from tests.households.factories import VillagerGroupFactory, member_data
from tests.people import grant, make_user

POLICY = {
    "name": "南宫河社区2015年安置项目",
    "hukou_cutoff_date": dt.date(2015, 6, 30),
    "growth_deadline": dt.date(2015, 12, 31),
    "area_per_person": Decimal("45.00"),
}


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


def only_entry(action: str) -> AuditEntry:
    (entry,) = AuditEntry.objects.filter(action=action)
    return entry


@pytest.fixture
def scoped_leader(roles):
    """A leader of no project yet: grants are given per test."""
    return make_user("leader_scoped", "leader", all_projects=False)


# -- projects -----------------------------------------------------------------------------


def test_a_leader_creates_a_project_and_the_trail_records_its_policy(leader):
    project = configuration.project_create(actor=leader, code="NGH-2015", policy=POLICY)

    assert project.area_per_person == Decimal("45.00")
    assert project.history.get().history_user == leader
    entry = only_entry("project.create")
    assert (entry.actor, entry.object_id) == (leader, str(project.pk))
    assert entry.payload["project"] == "NGH-2015"
    assert entry.payload["policy"]["area_per_person"] == "45.00"
    assert entry.payload["policy"]["hukou_cutoff_date"] == "2015-06-30"


@pytest.mark.parametrize("person", ["clerk", "reviewer", "notary", "outsider"])
def test_only_leaders_create_projects(request, person):
    with pytest.raises(NotAllowed):
        configuration.project_create(
            actor=request.getfixturevalue(person), code="NGH-2015", policy=POLICY
        )
    assert not Project.objects.filter(code="NGH-2015").exists()
    assert audit_actions() == []


def test_a_project_with_a_growth_deadline_before_its_cutoff_is_refused_on_that_field(leader):
    with pytest.raises(RuleViolation) as refused:
        configuration.project_create(
            actor=leader,
            code="NGH-2015",
            policy={**POLICY, "growth_deadline": dt.date(2015, 1, 1)},
        )
    assert [d["field"] for d in refused.value.details] == ["growth_deadline"]
    assert audit_actions() == []


def test_a_taken_project_code_is_refused(leader, project):
    with pytest.raises(RuleViolation) as refused:
        configuration.project_create(actor=leader, code=project.code, policy=POLICY)
    assert [d["field"] for d in refused.value.details] == ["code"]


def test_a_policy_change_re_judges_open_members_and_is_audited(leader, register, project):
    member = register(members=[member_data(hukou_moved_in=dt.date(2013, 5, 1))]).members.get()
    assert member.verdict_qualified

    change = configuration.project_update_policy(
        actor=leader, project=project, data={"hukou_cutoff_date": dt.date(2013, 4, 30)}
    )

    member.refresh_from_db()
    assert member.verdict_failures == ",HUKOU_AFTER_CUTOFF,"
    assert change.recomputed == 1
    assert project.history.latest().history_user == leader
    entry = only_entry("project.update")
    assert entry.actor == leader
    assert entry.payload["changed"] == {"hukou_cutoff_date": ["2013-06-30", "2013-04-30"]}
    assert entry.payload["recomputed"] == 1


def test_changing_nothing_writes_nothing(leader, project):
    change = configuration.project_update_policy(
        actor=leader, project=project, data={"name": project.name, "code": project.code}
    )
    assert change.changed == {} and audit_actions() == []


def test_a_project_code_never_changes(leader, project):
    with pytest.raises(RuleViolation) as refused:
        configuration.project_update_policy(actor=leader, project=project, data={"code": "OTHER"})
    assert [d["field"] for d in refused.value.details] == ["code"]
    assert Project.objects.get(pk=project.pk).code == project.code


def test_a_leader_of_another_project_cannot_change_this_ones_policy(scoped_leader, project):
    grant(scoped_leader, VillagerGroupFactory().project)
    with pytest.raises(NotAllowed):
        configuration.project_update_policy(
            actor=scoped_leader, project=project, data={"area_per_person": Decimal("999")}
        )
    assert Project.objects.get(pk=project.pk).area_per_person == Decimal("50.00")
    assert audit_actions() == []


@pytest.mark.parametrize("person", ["clerk", "reviewer", "finance", "supervisor"])
def test_only_leaders_change_a_policy(request, roles, project, person):
    actor = make_user(f"{person}_x", person)
    with pytest.raises(NotAllowed):
        configuration.project_update_policy(
            actor=actor, project=project, data={"area_per_person": Decimal("999")}
        )
    assert audit_actions() == []


# -- communities and villager groups ------------------------------------------------------


def test_a_clerk_adds_a_community_and_a_leader_renames_it(clerk, leader, project):
    community = configuration.community_create(actor=clerk, project=project, code="C9", name="新村")
    renamed = configuration.community_update(actor=leader, community=community, name="新村社区")

    assert renamed.name == "新村社区"
    assert community.history.latest().history_user == leader
    assert audit_actions() == ["community.create", "community.update"]
    assert only_entry("community.update").payload["name"] == ["新村", "新村社区"]


def test_a_clerk_cannot_rename_a_community(clerk, group):
    with pytest.raises(NotAllowed):
        configuration.community_update(actor=clerk, community=group.community, name="改名")
    assert Community.objects.get(pk=group.community_id).name == group.community.name


def test_a_community_code_is_unique_in_the_project(clerk, group):
    with pytest.raises(RuleViolation) as refused:
        configuration.community_create(
            actor=clerk, project=group.project, code=group.community.code, name="重复"
        )
    assert [d["field"] for d in refused.value.details] == ["code"]


def test_nobody_configures_a_project_they_do_not_see(roles, group):
    outsider_clerk = make_user("clerk_elsewhere", "clerk", "leader", all_projects=False)
    with pytest.raises(NotAllowed):
        configuration.community_create(
            actor=outsider_clerk, project=group.project, code="X", name="X"
        )
    with pytest.raises(NotAllowed):
        configuration.villager_group_create(
            actor=outsider_clerk, community=group.community, code="X", name="X"
        )
    with pytest.raises(NotAllowed):
        configuration.villager_group_update(actor=outsider_clerk, group=group, name="X")
    assert audit_actions() == []


def test_a_villager_group_takes_its_communitys_project(clerk, leader, group):
    new = configuration.villager_group_create(
        actor=clerk, community=group.community, code="G900", name="第九组"
    )
    configuration.villager_group_update(actor=leader, group=new, name="第九村民小组")

    new.refresh_from_db()
    assert (new.project_id, new.name) == (group.project_id, "第九村民小组")
    assert audit_actions() == ["villager_group.create", "villager_group.update"]
    with pytest.raises(RuleViolation):
        configuration.villager_group_create(
            actor=clerk, community=group.community, code="G900", name="重复"
        )


# -- the admin and the API call them ------------------------------------------------------


def policy_form(project: Project, **changes) -> dict:
    data = {
        name: getattr(project, name)
        for name in ("code", *configuration.PROJECT_POLICY_FIELDS)
        if not isinstance(getattr(project, name), bool)
    }
    data.update(
        {
            name: "on"
            for name in configuration.PROJECT_POLICY_FIELDS
            if getattr(project, name) is True
        }
    )
    data.update({"access_grants-TOTAL_FORMS": "0", "access_grants-INITIAL_FORMS": "0"})
    data.update(changes)
    return data


def test_the_admin_project_page_changes_the_policy_through_the_service(
    client, leader, register, project
):
    member = register(members=[member_data(hukou_moved_in=dt.date(2013, 5, 1))]).members.get()
    client.force_login(leader)

    response = client.post(
        reverse("admin:households_project_change", args=[project.pk]),
        policy_form(project, hukou_cutoff_date="2013-04-30", code="CHANGED"),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    project.refresh_from_db()
    assert project.hukou_cutoff_date == dt.date(2013, 4, 30)
    assert project.code != "CHANGED"  # shown, not editable
    member.refresh_from_db()
    assert not member.verdict_qualified
    assert only_entry("project.update").actor == leader


def test_the_admin_shows_a_refused_policy_on_its_field(client, leader, project):
    client.force_login(leader)
    response = client.post(
        reverse("admin:households_project_change", args=[project.pk]),
        policy_form(project, growth_deadline="2012-01-01"),
    )
    assert response.status_code == 200
    assert "growth_deadline" in response.context["adminform"].form.errors
    assert audit_actions() == []


@pytest.mark.parametrize(
    ("changes", "status"),
    [({"area_per_person": "40"}, 302), ({"growth_deadline": "2012-01-01"}, 200)],
)
def test_the_admin_runs_the_policy_service_once_per_save(
    client, leader, project, monkeypatch, changes, status
):
    calls = []
    real = configuration.project_update_policy

    def counted(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(configuration, "project_update_policy", counted)
    client.force_login(leader)
    response = client.post(
        reverse("admin:households_project_change", args=[project.pk]),
        policy_form(project, **changes),
    )
    assert response.status_code == status
    assert len(calls) == 1


def test_the_admin_adds_a_project_community_and_group_through_the_services(client, leader, clerk):
    """A leader sets up the project, a clerk its villages and groups (as the roles say)."""
    client.force_login(leader)
    added = client.post(
        reverse("admin:households_project_add"),
        {
            "code": "NGH-2015",
            **{k: str(v) for k, v in POLICY.items()},
            "one_child_bonus_area": "0",
            "single_person_bonus_area": "0",
            "access_grants-TOTAL_FORMS": "0",
            "access_grants-INITIAL_FORMS": "0",
        },
    )
    assert added.status_code == 302, added.context and added.context["errors"]
    project = Project.objects.get(code="NGH-2015")
    client.force_login(clerk)
    client.post(
        reverse("admin:households_community_add"),
        {"project": project.pk, "code": "C1", "name": "一村"},
    )
    community = Community.objects.get(project=project)
    client.post(
        reverse("admin:households_villagergroup_add"),
        {"community": community.pk, "code": "G1", "name": "一组"},
    )
    assert VillagerGroup.objects.get(community=community).project == project
    trail = AuditEntry.objects.order_by("sequence").values_list("action", "actor")
    assert list(trail) == [
        ("project.create", leader.pk),
        ("community.create", clerk.pk),
        ("villager_group.create", clerk.pk),
    ]


def test_a_clerk_cannot_rename_a_community_in_the_admin(client, clerk, group):
    client.force_login(clerk)
    response = client.post(
        reverse("admin:households_community_change", args=[group.community_id]),
        {"project": group.project_id, "code": group.community.code, "name": "改名"},
    )
    assert response.status_code == 403
    assert Community.objects.get(pk=group.community_id).name == group.community.name


def test_the_admin_deletes_no_configuration(client, roles, group):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    for name, obj in (
        ("community", group.community),
        ("villagergroup", group),
        ("project", group.project),
    ):
        url = reverse(f"admin:households_{name}_delete", args=[obj.pk])
        assert client.post(url, {"post": "yes"}).status_code == 403
    assert VillagerGroup.objects.filter(pk=group.pk).exists()


def test_the_projects_api_creates_and_changes_through_the_services(leader):
    api = APIClient()
    api.force_login(leader)
    created = api.post(
        "/api/projects/",
        {"code": "NGH-2015", **{k: str(v) for k, v in POLICY.items()}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]

    changed = api.patch(f"/api/projects/{pk}/", {"area_per_person": "48.00"}, format="json")

    assert changed.status_code == 200, changed.json()
    assert changed.json()["area_per_person"] == "48.00"
    assert audit_actions() == ["project.create", "project.update"]
    assert only_entry("project.update").payload["changed"] == {
        "area_per_person": ["45.00", "48.00"]
    }


def test_the_projects_api_refuses_a_new_code_with_400(leader, project):
    api = APIClient()
    api.force_login(leader)

    response = api.patch(f"/api/projects/{project.pk}/", {"code": "OTHER"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "code"
    assert Project.objects.get(pk=project.pk).code == project.code
