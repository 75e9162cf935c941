"""The oversight stage of the demo data (`seed_demo`), last, through the oversight services
(and the settlement service for moving-out dates), as the office would set it up:

- `leader` forms three working teams of YH2013 from the demo staff (seed 001: each cadre
  liaises with a few households) and gives every villager group's households to a team,
  each household to one of the team's cadres in turn;
- `leader` names the responsible department and person and the yearly return targets
  (seed 004's 30% / 60% / all, from last year on);
- the clerk corrects the moving-out dates of a few households still waiting for their keys
  (draft statements only): they moved out two and a half years ago and were promised their
  new home some months ago, so the ledger has overdue households;
- the ledger is refreshed once, as the daily beat task would.

Runs inside seed_demo's transaction, after the settlement stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from demo.households import MAIN_PROJECT_CODE, DemoUsersMissing
from households.models import Household, HouseholdStatus, Project
from oversight.models import WorkingTeam
from oversight.services import ledger
from oversight.services import teams as oversight_teams
from settlement.calculation import add_months
from settlement.models import Handover, StatementStatus
from settlement.services import statements

# (code, name, leader, other cadres): demo staff, by username.
TEAMS = (
    ("T1", "第一工作组", "leader2", ("clerk", "clerk2")),
    ("T2", "第二工作组", "reviewer", ("reviewer2",)),
    ("T3", "第三工作组", "finance", ("finance2",)),
)
ORGANISER = "leader"
CLERK = "clerk"
# Who acts in this stage, and what each needs.
OVERSIGHT_ROLES = {
    ORGANISER: "oversight.add_workingteam",
    CLERK: "settlement.change_transition",
}
DEPARTMENT = "区住房和城乡建设局征收办"
RESPONSIBLE = "陈领导"
PHONE = "0571-8888 6666"
# (months before today moved out, months before today promised): a few overdue households.
OVERDUE = ((30, 6), (26, 2), (18, 1))


@dataclass
class OversightSummary:
    teams: int
    assigned: int
    overdue: list[str]
    late: int

    def lines(self) -> list[str]:
        return [
            f"{MAIN_PROJECT_CODE} oversight",
            f"  {self.teams} working teams, {self.assigned} households assigned",
            f"  overdue for return: {', '.join(self.overdue) or 'none'};"
            f" subsidy not paid on time: {self.late}",
        ]


def missing_oversight_users() -> list[str]:
    """Demo users that are missing or lack their permission (roles set up before oversight
    existed): create_demo_users sets the roles again."""
    found = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=_usernames(), is_active=True)
    }
    needs = {**{name: None for name in _usernames()}, **OVERSIGHT_ROLES}
    return [
        name
        for name, perm in needs.items()
        if name not in found or (perm is not None and not found[name].has_perm(perm))
    ]


def _usernames() -> list[str]:
    names = [ORGANISER, CLERK]
    for _code, _name, leader, cadres in TEAMS:
        names += [leader, *cadres]
    return list(dict.fromkeys(names))


def _people() -> dict:
    missing = missing_oversight_users()
    if missing:
        raise DemoUsersMissing(
            f"Demo users are not ready for oversight ({', '.join(missing)}). "
            "Run `python manage.py create_demo_users` first."
        )
    return {u.username: u for u in get_user_model().objects.filter(username__in=_usernames())}


def _teams(project: Project, people: dict) -> list[tuple[WorkingTeam, list]]:
    teams = []
    for code, name, leader, others in TEAMS:
        cadres = [people[leader], *(people[o] for o in others)]
        team = oversight_teams.team_save(
            actor=people[ORGANISER],
            project=project,
            code=code,
            name=name,
            leader=people[leader],
            members=cadres,
        )
        teams.append((team, cadres))
    return teams


def _assign(project: Project, teams: list[tuple[WorkingTeam, list]], people: dict) -> int:
    """Villager groups in code order go to the teams in turn; within a team each cadre
    takes the next household (one bulk assignment per cadre)."""
    households = list(
        Household.objects.filter(project=project)
        .select_related("group")
        .order_by("group__code", "code")
    )
    group_codes = sorted({h.group.code for h in households})
    turn: dict[int, int] = {}
    by_cadre: dict[tuple[WorkingTeam, object], list[Household]] = {}
    for household in households:
        team, cadres = teams[group_codes.index(household.group.code) % len(teams)]
        position = turn.get(team.pk, 0)
        turn[team.pk] = position + 1
        by_cadre.setdefault((team, cadres[position % len(cadres)]), []).append(household)
    return sum(
        oversight_teams.households_assign(
            actor=people[ORGANISER], households=given, team=team, cadre=cadre
        )
        for (team, cadre), given in by_cadre.items()
    )


def _overdue(project: Project, people: dict, today: dt.date) -> list[str]:
    """Earlier moving-out and promised dates for a few households without keys whose
    statements are still drafts."""
    waiting = list(
        Household.objects.filter(
            project=project,
            status=HouseholdStatus.APPROVED,
            transition__isnull=False,
            statement__status=StatementStatus.DRAFT,
        )
        .exclude(pk__in=Handover.objects.values("household"))
        .order_by("code")[: len(OVERDUE)]
    )
    for household, (moved, promised) in zip(waiting, OVERDUE, strict=False):
        statements.transition_record(
            actor=people[CLERK],
            household=household,
            moved_out_on=add_months(today, -moved),
            promised_by=add_months(today, -promised),
        )
    return [h.code for h in waiting]


def seed_oversight(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> OversightSummary:
    """Teams, assignments, the return plan, a few overdue households and one ledger
    refresh (see the module docstring). Deterministic: `seed` is not needed."""
    people = _people()
    project = Project.objects.get(code=MAIN_PROJECT_CODE)
    today = timezone.localdate()
    teams = _teams(project, people)
    assigned = _assign(project, teams, people)
    progress(f"  {MAIN_PROJECT_CODE}: {len(teams)} working teams, {assigned} households assigned")
    ledger.return_plan_set(
        actor=people[ORGANISER],
        project=project,
        department=DEPARTMENT,
        person=RESPONSIBLE,
        phone=PHONE,
        targets=[(today.year - 1, 30), (today.year, 60), (today.year + 1, 100)],
    )
    overdue = _overdue(project, people, today)
    run = ledger.ledger_refresh(today=today)
    progress(f"  {MAIN_PROJECT_CODE}: ledger refreshed, {run.overdue} overdue households")
    return OversightSummary(teams=len(teams), assigned=assigned, overdue=overdue, late=run.late)
