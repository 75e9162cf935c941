"""How far a project's households have come, counted per villager group: the one definition
of each stage as a filter on households (`stage_filters`, which oversight's dashboard counts
with too) and the per-group counts the progress publication (工作进展情况公示,
`settlement.publicity`) shows.

Settlement is the latest stage that can read every record a stage leaves (publications,
lottery allocations, statements, agreements, handovers), so the definitions live here and
oversight imports them. Two queries whatever the number of households: the counts grouped
by villager group, then the groups with their communities.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from django.db.models import Count, Exists, OuterRef, Q

from households.models import Community, Household, HouseholdStatus, Project, VillagerGroup
from lottery.selectors.sign_off import signed_allocations
from publicity.selectors.overview import published_after_approval
from settlement.models import Outcome, StatementStatus


def stage_filters() -> dict[str, Q]:
    """Each stage (and the monetised count) as a filter on households. Unlike the publicity
    overview these are not all nested: a monetised household is settled without drawing an
    apartment or receiving keys.

    - registered: every household; qualified: approved (审批通过) now;
    - published: approved and shown in a roster published after its approval;
    - drawn: a binding allocation of a signed (binding, not rehearsal) lottery session;
    - signed: its agreement has a signing date; settled: its statement is 已结清;
    - handed over: keys handed over; moved in: a moving-in date recorded;
    - monetised: its statement's outcome is 货币化安置; resolved: drawn or monetised."""
    qualified = Q(status=HouseholdStatus.APPROVED)
    drawn = Q(Exists(signed_allocations().filter(household=OuterRef("pk"))))
    monetised = Q(statement__outcome=Outcome.MONETISED)
    return {
        "registered": Q(),
        "qualified": qualified,
        "published": qualified & Q(published_after_approval()),
        "drawn": drawn,
        "signed": Q(agreement__signed_on__isnull=False),
        "settled": Q(statement__status=StatementStatus.SETTLED),
        "handed_over": Q(handover__isnull=False),
        "moved_in": Q(handover__moved_in_on__isnull=False),
        "monetised": monetised,
        "resolved": drawn | monetised,
    }


@dataclass
class StageCounts:
    registered: int = 0
    qualified: int = 0
    published: int = 0
    drawn: int = 0
    signed: int = 0
    settled: int = 0
    handed_over: int = 0
    moved_in: int = 0
    monetised: int = 0

    def add(self, other: StageCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class GroupProgress:
    community: Community
    group: VillagerGroup
    counts: StageCounts = field(default_factory=StageCounts)


def group_progress(project: Project, community: Community | None = None) -> list[GroupProgress]:
    """Every villager group of the project (or of one community), in community and group
    order, with how many of its households reached each stage (`stage_filters`); a group
    without households counts zeros. Two queries."""
    wanted = [f.name for f in fields(StageCounts)]
    filters = stage_filters()
    households = Household.objects.filter(project=project)
    groups = VillagerGroup.objects.filter(project=project)
    if community is not None:
        households = households.filter(community=community)
        groups = groups.filter(community=community)
    counted = {
        row.pop("group_id"): StageCounts(**row)
        for row in households.values("group_id")
        .annotate(**{name: Count("id", filter=filters[name]) for name in wanted})
        .order_by()
    }
    return [
        GroupProgress(group.community, group, counted.get(group.pk, StageCounts()))
        for group in groups.select_related("community").order_by("community__code", "code")
    ]
