"""Working teams and their households: leaders form teams and give each household to a
team and one of its cadres, in the admin or through the services."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oversight.models import HouseholdAssignment, WorkingTeam
from oversight.services import ledger, teams
from resettlement.errors import NotAllowed, RuleViolation
from tests.households.factories import VillagerGroupFactory
from tests.people import make_user


@pytest.fixture
def cadres(roles):
    return [make_user(f"cadre{i}", "clerk", first_name=f"干部{i}") for i in range(3)]


@pytest.fixture
def team(leader, project, cadres):
    return teams.team_save(
        actor=leader, project=project, code="T1", name="第一工作组", members=cadres[:2]
    )


def test_a_leader_forms_a_team_and_assigns_households_to_its_cadres(leader, team, cadres, register):
    first, second = register(), register()
    assert (
        teams.households_assign(
            actor=leader, households=[first, second], team=team, cadre=cadres[0]
        )
        == 2
    )
    moved = teams.household_assign(actor=leader, household=second, team=team, cadre=cadres[1])
    assert moved.cadre == cadres[1] and moved.assigned_by == leader
    assert HouseholdAssignment.objects.filter(team=team).count() == 2


def test_assigning_many_households_costs_what_one_costs(leader, team, cadres, register):
    few = [register() for _ in range(2)]
    many = [register() for _ in range(12)]
    costs = []
    for households in (few, many):
        with CaptureQueriesContext(connection) as queries:
            teams.households_assign(actor=leader, households=households, team=team, cadre=cadres[0])
        costs.append(len(queries))
    assert costs[0] == costs[1]
    # Assigning again moves the households to the other cadre (and dates the move), in as
    # many queries.
    first = HouseholdAssignment.objects.get(household=many[0])
    with CaptureQueriesContext(connection) as queries:
        teams.households_assign(actor=leader, households=many, team=team, cadre=cadres[1])
    assert len(queries) == costs[0]
    assert HouseholdAssignment.objects.filter(team=team).count() == 14
    assert HouseholdAssignment.objects.filter(cadre=cadres[1]).count() == 12
    moved = HouseholdAssignment.objects.get(household=many[0])
    assert moved.pk == first.pk and moved.assigned_at > first.assigned_at


def test_the_admin_assigns_a_household_through_the_service(client, leader, team, cadres, register):
    household = register()
    client.force_login(leader)
    response = client.post(
        "/admin/oversight/householdassignment/add/",
        {"household": household.pk, "team": team.pk, "cadre": cadres[2].pk},
    )
    assert response.status_code == 200  # cadres[2] is not in the team: refused on its field
    assert "不是工作组“第一工作组”的组员" in response.content.decode()
    response = client.post(
        "/admin/oversight/householdassignment/add/",
        {"household": household.pk, "team": team.pk, "cadre": cadres[1].pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = HouseholdAssignment.objects.get(household=household)
    assert (assignment.cadre, assignment.assigned_by) == (cadres[1], leader)
    response = client.post(
        f"/admin/oversight/householdassignment/{assignment.pk}/change/",
        {"household": household.pk, "team": team.pk, "cadre": cadres[0].pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert HouseholdAssignment.objects.get().cadre == cadres[0]


def test_the_team_leader_is_one_of_its_members(leader, project, cadres):
    team = teams.team_save(
        actor=leader, project=project, code="T2", name="第二工作组", leader=cadres[2]
    )
    assert list(team.members.all()) == [cadres[2]]


def test_a_cadre_outside_the_team_or_a_team_of_another_project_is_refused(
    leader, team, cadres, register, register_in
):
    household = register()
    with pytest.raises(RuleViolation) as refused:
        teams.household_assign(actor=leader, household=household, team=team, cadre=cadres[2])
    assert refused.value.details[0]["field"] == "cadre"
    elsewhere = register_in(VillagerGroupFactory())
    with pytest.raises(RuleViolation) as refused:
        teams.households_assign(actor=leader, households=[household, elsewhere], team=team)
    assert refused.value.details[0]["code"] == "other_project"
    assert not HouseholdAssignment.objects.exists()  # all or nothing


def test_members_given_as_any_iterable_all_join(leader, project, cadres):
    team = teams.team_save(
        actor=leader,
        project=project,
        code="T3",
        name="第三工作组",
        members=(c for c in cadres),  # e.g. a queryset's iterator: read only once
    )
    assert set(team.members.all()) == set(cadres)


def test_team_codes_are_unique_in_a_project(leader, team, project):
    with pytest.raises(RuleViolation) as refused:
        teams.team_save(actor=leader, project=project, code="T1", name="重名")
    assert refused.value.details[0]["field"] == "code"


def test_a_clerk_cannot_form_teams_or_assign(clerk, team, register):
    with pytest.raises(NotAllowed):
        teams.team_save(actor=clerk, project=team.project, code="T9", name="第九组")
    with pytest.raises(NotAllowed):
        teams.household_assign(actor=clerk, household=register(), team=team)


def test_removing_a_cadre_who_still_has_households_is_refused(leader, team, cadres, register):
    teams.household_assign(actor=leader, household=register(), team=team, cadre=cadres[1])
    with pytest.raises(RuleViolation, match="包户"):
        teams.team_save(
            actor=leader,
            project=team.project,
            code="T1",
            name="第一工作组",
            members=cadres[:1],
            team=team,
        )
    assert set(team.members.all()) == set(cadres[:2])


def test_the_admin_saves_a_team_through_the_service(client, leader, project, cadres):
    client.force_login(leader)
    response = client.post(
        "/admin/oversight/workingteam/add/",
        {
            "project": project.pk,
            "code": "T5",
            "name": "第五工作组",
            "leader": cadres[0].pk,
            "members": [cadres[1].pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team = WorkingTeam.objects.get(code="T5")
    assert set(team.members.all()) == {cadres[0], cadres[1]}
    assert team.updated_by == leader
    # A second team with the same code: the service's message on the code field.
    response = client.post(
        "/admin/oversight/workingteam/add/",
        {"project": project.pk, "code": "T5", "name": "重名"},
    )
    assert response.status_code == 200
    assert "本项目已有编号为 T5 的工作组" in response.content.decode()


def test_the_admin_sets_a_return_plan_with_its_targets(client, leader, project):
    client.force_login(leader)
    response = client.post(
        "/admin/oversight/returnplan/add/",
        {
            "project": project.pk,
            "department": "区住建局",
            "person": "张主任",
            "phone": "",
            "subsidy_grace_days": 30,
            "targets": "2018 30\n2019 60\n2020 100",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = project.return_plan
    assert [(t.year, t.share) for t in plan.targets.all()] == [(2018, 30), (2019, 60), (2020, 100)]
    response = client.post(
        f"/admin/oversight/returnplan/{plan.pk}/change/",
        {
            "department": "区住建局",
            "person": "张主任",
            "subsidy_grace_days": 30,
            "targets": "2018 thirty",
        },
    )
    assert response.status_code == 200
    assert "第1行应为“年度 比例”两个整数" in response.content.decode()


def test_a_leader_of_another_project_cannot_form_its_teams(roles, project, register):
    from tests.people import make_user

    local = make_user("leader_local", "leader", all_projects=False)
    with pytest.raises(NotAllowed):
        teams.team_save(actor=local, project=project, code="T7", name="第七组")
    with pytest.raises(NotAllowed):
        ledger.return_plan_set(actor=local, project=project, department="办", person="人")
