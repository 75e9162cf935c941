"""The rules that change working teams and their households.

Keyword-only, `actor` first; `require_permission` holds for every caller (admin, demo,
commands).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Household, Project
from oversight.models import (
    HouseholdAssignment,
    WorkingTeam,
)
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission


@transaction.atomic
def team_save(
    *,
    actor,
    project: Project,
    code: str,
    name: str,
    leader=None,
    members: Iterable = (),
    team: WorkingTeam | None = None,
) -> WorkingTeam:
    """Create a working team of `project` (or change `team`): code unique in the project,
    a name, an optional leader and its cadres. The leader is always one of the members."""
    require_permission(
        actor, "oversight.change_workingteam" if team else "oversight.add_workingteam"
    )
    require_project_access(actor, project)
    if team is not None:
        require_project_access(actor, team.project_id)
    code, name = (code or "").strip(), (name or "").strip()
    members = list(members)  # read twice below: checked, then set
    errors = []
    if not code:
        errors.append(field_error("code", _("请填写工作组编号")))
    elif (
        WorkingTeam.objects.filter(project=project, code=code)
        .exclude(pk=team.pk if team else None)
        .exists()
    ):
        errors.append(
            field_error("code", _("本项目已有编号为 %(c)s 的工作组") % {"c": code}, "duplicate")
        )
    if not name:
        errors.append(field_error("name", _("请填写工作组名称")))
    if team is not None and team.project_id != project.pk and team.assignments.exists():
        errors.append(field_error("project", _("工作组已分配安置户,不能改到其他项目")))
    inactive = [m for m in [*members, leader] if m is not None and not m.is_active]
    if inactive:
        errors.append(
            field_error(
                "members", _("%(u)s 的账号已停用,不能加入工作组") % {"u": inactive[0].username}
            )
        )
    if errors:
        raise invalid_input(errors)
    created = team is None
    if team is None:
        team = WorkingTeam(project=project)
    team.project, team.code, team.name, team.leader = project, code, name, leader
    team.updated_by = actor
    team.save()
    people = {m.pk for m in members} | ({leader.pk} if leader else set())
    removed = set(team.members.values_list("pk", flat=True)) - people
    if removed and team.assignments.filter(cadre_id__in=removed).exists():
        raise RuleViolation(
            "cadre_has_households",
            _("被移出的组员仍有包户安置户,请先调整包户分配。"),
            details=[field_error("members", _("被移出的组员仍有包户安置户"))],
        )
    team.members.set(people)
    audit_record(
        actor=actor,
        action="team.save",
        obj=team,
        payload={
            "project": project.code,
            "code": code,
            "name": name,
            "created": created,
            "leader": leader.get_username() if leader else "",
            "members": sorted(team.members.values_list("username", flat=True)),
        },
    )
    return team


def assignment_problems(households: Sequence[Household], team: WorkingTeam, cadre) -> list[dict]:
    """Every household must be of the team's project, the cadre (if any) one of its members
    (asked once, however many households)."""
    problems = [
        field_error(
            "team",
            _("安置户 %(h)s 与工作组“%(t)s”不属于同一项目") % {"h": h.code, "t": team.name},
            "other_project",
        )
        for h in households
        if h.project_id != team.project_id
    ]
    if cadre is not None and not team.members.filter(pk=cadre.pk).exists():
        problems.append(
            field_error(
                "cadre",
                _("%(u)s 不是工作组“%(t)s”的组员")
                % {"u": cadre.get_full_name() or cadre.username, "t": team.name},
                "not_member",
            )
        )
    return problems


@transaction.atomic
def _assign(*, actor, households: Sequence[Household], team: WorkingTeam, cadre) -> list:
    require_permission(actor, "oversight.add_householdassignment")
    for project_id in {h.project_id for h in households} | {team.project_id}:
        require_project_access(actor, project_id)
    problems = assignment_problems(households, team, cadre)
    if problems:
        raise invalid_input(problems)
    # One statement for all: a household assigned before gets the new team and cadre.
    return HouseholdAssignment.objects.bulk_create(
        [
            HouseholdAssignment(household=h, team=team, cadre=cadre, assigned_by=actor)
            for h in households
        ],
        update_conflicts=True,
        unique_fields=["household"],
        update_fields=["team", "cadre", "assigned_by", "assigned_at"],
    )


def household_assign(
    *, actor, household: Household, team: WorkingTeam, cadre=None
) -> HouseholdAssignment:
    """Give `household` to `team` (and to one of its cadres): replaces an earlier
    assignment. The team must be of the household's project, the cadre one of its members."""
    (assignment,) = _assign(actor=actor, households=[household], team=team, cadre=cadre)
    return assignment


def households_assign(
    *, actor, households: Sequence[Household], team: WorkingTeam, cadre=None
) -> int:
    """Assign several households at once, as `household_assign` does one: all or none
    (every problem is reported), in a fixed number of queries however many households."""
    return len(_assign(actor=actor, households=households, team=team, cadre=cadre))
