"""Reads of the progress dashboard and the weekly team ranking.

Every count is made by the database (Count with a filter, Exists subqueries) in a fixed
number of queries, however many households a project has: the dashboard of 5,000
households costs what the dashboard of 100 costs (pinned in tests/oversight and measured by
`python -m bench dashboard`). Definitions of each stage: docs/oversight.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import Community, Household, HouseholdStatus, Project, VillagerGroup
from lottery.selectors.sign_off import signed_allocations
from oversight.models import WorkingTeam
from publicity.selectors.overview import published_after_approval
from settlement.models import StatementStatus
from settlement.selectors.progress import stage_filters

# (field, label) in workflow order. Unlike the publicity overview these are not all nested:
# a monetised household is settled without drawing an apartment or receiving keys.
STAGES = (
    ("registered", gettext_lazy("已登记")),
    ("qualified", gettext_lazy("已审批")),
    ("published", gettext_lazy("已公示")),
    ("drawn", gettext_lazy("已摇号")),
    ("signed", gettext_lazy("已签协议")),
    ("settled", gettext_lazy("已结清")),
    ("handed_over", gettext_lazy("已交房")),
    ("moved_in", gettext_lazy("已入住")),
)


# -- what each stage means, as database expressions --------------------------------------------


def _drawn(*, closed_before: dt.datetime | None = None, closed_from: dt.datetime | None = None):
    """The household has a binding allocation of a signed (binding, not rehearsal) session,
    optionally one closed in [closed_from, closed_before)."""
    allocations = signed_allocations().filter(household=OuterRef("pk"))
    if closed_from is not None:
        allocations = allocations.filter(session__closed_at__gte=closed_from)
    if closed_before is not None:
        allocations = allocations.filter(session__closed_at__lt=closed_before)
    return Exists(allocations)


# -- the dashboard -----------------------------------------------------------------------------


@dataclass
class Counts:
    registered: int = 0
    qualified: int = 0
    published: int = 0
    drawn: int = 0
    signed: int = 0
    settled: int = 0
    handed_over: int = 0
    moved_in: int = 0
    monetised: int = 0
    # Households whose form of resettlement is decided: an apartment drawn, or monetised.
    resolved: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def share(self, stage: str) -> int:
        """A stage's count as a whole percentage of the registered households."""
        if not self.registered:
            return 0
        return round(100 * getattr(self, stage) / self.registered)

    @property
    def monetised_share(self) -> int:
        """货币化安置率: monetised households as a whole percentage of those whose form of
        resettlement is decided (drawn an apartment, or monetised)."""
        if not self.resolved:
            return 0
        return round(100 * self.monetised / self.resolved)

    def stages(self) -> list[tuple[str, str, int, int]]:
        """(field, label, count, share of registered) for each stage, for the charts."""
        return [(f, str(label), getattr(self, f), self.share(f)) for f, label in STAGES]


@dataclass
class ProgressRow:
    kind: str  # "community", "group" or "team"
    code: str
    name: str
    counts: Counts = field(default_factory=Counts)


@dataclass
class ProjectProgress:
    project: Project
    totals: Counts
    communities: list[ProgressRow]
    groups: list[ProgressRow]
    teams: list[ProgressRow]

    def sections(self) -> list[tuple[str, str, str, list[ProgressRow], int]]:
        """(kind, title, column heading, rows, the largest row's registered count — the full
        width of the bars) for the dashboard's tables."""
        return [
            (kind, title, heading, rows, max((r.counts.registered for r in rows), default=0))
            for kind, title, heading, rows in (
                ("community", _("各村/社区"), _("村/社区"), self.communities),
                ("group", _("各村民小组"), _("村民小组"), self.groups),
                ("team", _("各工作组"), _("工作组"), self.teams),
            )
        ]


UNASSIGNED = "-"


def project_progress(project: Project) -> ProjectProgress:
    """Stage counts for the project, each community, villager group and working team (four
    queries: the counts grouped by group × team, then the names of communities, groups and
    teams)."""
    rows = (
        Household.objects.filter(project=project)
        .values("group_id", "team_assignment__team_id")
        .annotate(**{name: Count("id", filter=q) for name, q in stage_filters().items()})
        .order_by()
    )
    by_group: dict[int, Counts] = {}
    by_team: dict[int | None, Counts] = {}
    totals = Counts()
    for row in rows:
        group_id = row.pop("group_id")
        team_id = row.pop("team_assignment__team_id")
        counts = Counts(**row)
        by_group.setdefault(group_id, Counts()).add(counts)
        by_team.setdefault(team_id, Counts()).add(counts)
        totals.add(counts)

    communities = {
        c.pk: ProgressRow("community", c.code, c.name)
        for c in Community.objects.filter(project=project).order_by("code")
    }
    groups = []
    for g in VillagerGroup.objects.filter(project=project).order_by("community__code", "code"):
        counts = by_group.get(g.pk, Counts())
        community = communities[g.community_id]
        community.counts.add(counts)
        groups.append(ProgressRow("group", g.code, f"{community.name} {g.name}", counts))
    teams = [
        ProgressRow("team", t.code, t.name, by_team.get(t.pk, Counts()))
        for t in WorkingTeam.objects.filter(project=project).order_by("code")
    ]
    if by_team.get(None) is not None:
        teams.append(ProgressRow("team", UNASSIGNED, _("未分配工作组"), by_team[None]))
    return ProjectProgress(
        project=project,
        totals=totals,
        communities=list(communities.values()),
        groups=groups,
        teams=teams,
    )


# -- the weekly ranking of teams ---------------------------------------------------------------


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def of(cls, day: dt.date) -> IsoWeek:
        year, week, _weekday = day.isocalendar()
        return cls(year, week)

    @classmethod
    def parse(cls, text: str) -> IsoWeek | None:
        """“2026-W47” → IsoWeek(2026, 47); None for anything else."""
        try:
            year, week = text.upper().split("-W")
            monday = dt.date.fromisocalendar(int(year), int(week), 1)
        except (ValueError, TypeError):
            return None
        return cls.of(monday)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + dt.timedelta(weeks=weeks))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[Monday 00:00, next Monday 00:00) in the site's time zone."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.monday, dt.time.min, tzinfo=zone)
        return start, start + dt.timedelta(weeks=1)


# (field, label) of the stage transitions a team scores for in a week.
WEEK_EVENTS = (
    ("qualified", gettext_lazy("审批")),
    ("published", gettext_lazy("公示")),
    ("drawn", gettext_lazy("摇号")),
    ("signed", gettext_lazy("签协议")),
    ("settled", gettext_lazy("结清")),
    ("handed_over", gettext_lazy("交房")),
    ("moved_in", gettext_lazy("入住")),
)


def week_event_filters(week: IsoWeek) -> dict[str, Q]:
    """Each stage a household reached during `week`, as a filter on households. A stage
    reached again (a second publication, a second session) counts only the first time."""
    start, end = week.bounds()
    monday, sunday = week.monday, week.sunday
    qualified = Q(status=HouseholdStatus.APPROVED)
    return {
        "qualified": qualified & Q(approved_at__gte=start, approved_at__lt=end),
        "published": qualified
        & Q(published_after_approval(since=start, before=end))
        & ~Q(published_after_approval(before=start)),
        "drawn": Q(_drawn(closed_from=start, closed_before=end)) & ~Q(_drawn(closed_before=start)),
        "signed": Q(agreement__signed_on__gte=monday, agreement__signed_on__lte=sunday),
        "settled": Q(
            statement__status=StatementStatus.SETTLED,
            statement__settled_at__gte=start,
            statement__settled_at__lt=end,
        ),
        "handed_over": Q(
            handover__handed_over_on__gte=monday, handover__handed_over_on__lte=sunday
        ),
        "moved_in": Q(handover__moved_in_on__gte=monday, handover__moved_in_on__lte=sunday),
    }


@dataclass
class TeamRank:
    rank: int
    code: str
    name: str
    households: int
    events: dict[str, int]
    signed: int
    handed_over: int

    @property
    def points(self) -> int:
        return sum(self.events.values())

    @property
    def signed_share(self) -> int:
        return round(100 * self.signed / self.households) if self.households else 0

    @property
    def handed_over_share(self) -> int:
        return round(100 * self.handed_over / self.households) if self.households else 0

    def event_cells(self) -> list[tuple[str, str, int]]:
        """(field, label, count) of each week event, in WEEK_EVENTS order."""
        return [(f, str(label), self.events.get(f, 0)) for f, label in WEEK_EVENTS]


def team_ranking(project: Project, week: IsoWeek) -> list[TeamRank]:
    """The project's working teams ranked for `week` (two queries): most stage transitions
    of their households during the week first; ties by the share of households with a
    signed agreement, then by team code. Teams sharing points and share share a rank."""
    stages = stage_filters()
    counts = {
        row.pop("team_assignment__team_id"): row
        for row in Household.objects.filter(project=project, team_assignment__isnull=False)
        .values("team_assignment__team_id")
        .annotate(
            households=Count("id"),
            signed=Count("id", filter=stages["signed"]),
            handed_over=Count("id", filter=stages["handed_over"]),
            **{
                f"week_{name}": Count("id", filter=q)
                for name, q in week_event_filters(week).items()
            },
        )
        .order_by()
    }
    ranks = []
    for team in WorkingTeam.objects.filter(project=project):
        row = counts.get(team.pk, {})
        ranks.append(
            TeamRank(
                rank=0,
                code=team.code,
                name=team.name,
                households=row.get("households", 0),
                events={f: row.get(f"week_{f}", 0) for f, _label in WEEK_EVENTS},
                signed=row.get("signed", 0),
                handed_over=row.get("handed_over", 0),
            )
        )
    ranks.sort(key=lambda r: (-r.points, -r.signed_share, r.code))
    previous = None
    for position, rank in enumerate(ranks, start=1):
        key = (rank.points, rank.signed_share)
        rank.rank = ranks[position - 2].rank if key == previous else position
        previous = key
    return ranks
