"""Reading agreements, handovers and defect tickets: the apartments a household was given,
the per-group status table of the staff pages, the defect list and the resident's own
after-care record (reached by the lookup code on the household's notice).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from allocation.models import Apartment
from households.models import (
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    VillagerGroup,
)
from households.selectors.registration import head
from households.stages import with_stages
from lottery.selectors.sign_off import binding_allocations, signed_allocations
from settlement.models import Agreement, DefectStatus, DefectTicket, Handover, Statement


def household_apartments(household: Household) -> list[Apartment]:
    return [allocation.apartment for allocation in binding_allocations(household)]


def head_name(household: Household) -> str:
    head = (
        Member.objects.filter(household=household, relation=Relation.HEAD)
        .order_by("id")
        .values_list("name", flat=True)
        .first()
    )
    return head or ""


def statement_of(household: Household) -> Statement | None:
    return Statement.objects.filter(household=household).first()


def agreement_of(household: Household) -> Agreement | None:
    return Agreement.objects.filter(household=household).select_related("recorded_by").first()


def handover_of(household: Household) -> Handover | None:
    return Handover.objects.filter(household=household).select_related("handed_over_by").first()


# -- the staff's status table ---------------------------------------------------------------


@dataclass
class HouseholdProgress:
    household: Household
    head: str
    apartments: int
    agreement: Agreement | None
    handover: Handover | None
    open_defects: int = 0


@dataclass
class GroupProgress:
    """A villager group's rows on the page shown, and its counts over all its households
    (every page shows the same counts for a group)."""

    group: VillagerGroup
    rows: list[HouseholdProgress] = field(default_factory=list)
    households: int = 0
    signed: int = 0
    handed_over: int = 0
    moved_in: int = 0


def progress_households(
    project: Project, *, group: VillagerGroup | None = None
) -> QuerySet[Household]:
    """Every approved household of the project (or of one group), by community, group and
    code, with its place and head's name: the status table's rows, for a page of them."""
    households = (
        Household.objects.filter(project=project, status=HouseholdStatus.APPROVED)
        .select_related("community", "group__community")
        .annotate(head_name=head())
        .order_by("community__code", "group__code", "code")
    )
    if group is not None:
        households = households.filter(group=group)
    return households


def group_counts(project: Project, *, group: VillagerGroup | None = None) -> dict[int, dict]:
    """Per villager group (by id): its approved households, how many signed their
    agreement, were handed their keys and moved in — one aggregate query."""
    households = Household.objects.filter(project=project, status=HouseholdStatus.APPROVED)
    if group is not None:
        households = households.filter(group=group)
    rows = households.values("group_id").annotate(
        households=Count("id"),
        signed=Count("id", filter=Q(agreement__signed_on__isnull=False)),
        handed_over=Count("id", filter=Q(handover__isnull=False)),
        moved_in=Count("id", filter=Q(handover__moved_in_on__isnull=False)),
    )
    return {row.pop("group_id"): row for row in rows.order_by()}


def project_progress(
    households: Iterable[Household], counts: dict[int, dict]
) -> list[GroupProgress]:
    """The status table of `households` (a page of `progress_households`) with each one's
    agreement, handover, apartments and open defects, grouped by villager group, each group
    with its `counts` (`group_counts`). A fixed number of queries whatever the page."""
    households = with_stages(households)
    ids = [h.pk for h in households]
    agreements = {a.household_id: a for a in Agreement.objects.filter(household_id__in=ids)}
    handovers = {h.household_id: h for h in Handover.objects.filter(household_id__in=ids)}
    apartments: dict[int, int] = {}
    for household_id in (
        signed_allocations().filter(household_id__in=ids).values_list("household_id", flat=True)
    ):
        apartments[household_id] = apartments.get(household_id, 0) + 1
    open_defects: dict[int, int] = {}
    for household_id in (
        DefectTicket.objects.filter(household_id__in=ids)
        .exclude(status=DefectStatus.CLOSED)
        .values_list("household_id", flat=True)
    ):
        open_defects[household_id] = open_defects.get(household_id, 0) + 1
    groups: dict[int, GroupProgress] = {}
    for h in households:
        entry = groups.get(h.group_id)
        if entry is None:
            entry = groups[h.group_id] = GroupProgress(group=h.group, **counts.get(h.group_id, {}))
        entry.rows.append(
            HouseholdProgress(
                household=h,
                head=h.head_name or "",
                apartments=apartments.get(h.pk, 0),
                agreement=agreements.get(h.pk),
                handover=handovers.get(h.pk),
                open_defects=open_defects.get(h.pk, 0),
            )
        )
    return list(groups.values())


def group_choices(project: Project) -> list[VillagerGroup]:
    """The project's villager groups for a filter, each once, by community then group code;
    each carries `choice_label`, “南宫河村 第一村民小组”: many communities have a group of the
    same name, so a group is named with its community."""
    groups = list(
        VillagerGroup.objects.filter(project=project)
        .select_related("community")
        .order_by("community__code", "code", "pk")
    )
    for group in groups:
        group.choice_label = f"{group.community.name} {group.name}"
    return groups
