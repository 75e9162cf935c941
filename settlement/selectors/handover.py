"""Reading agreements, handovers and defect tickets: the apartments a household was given,
the per-group status table of the staff pages, the defect list and the resident's own
after-care record (reached by the lookup code on the household's notice).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allocation.models import Apartment
from households.models import Household, Member, Project, Relation, VillagerGroup
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
    group: VillagerGroup
    rows: list[HouseholdProgress] = field(default_factory=list)

    @property
    def signed(self) -> int:
        return sum(1 for r in self.rows if r.agreement and r.agreement.signed_on)

    @property
    def handed_over(self) -> int:
        return sum(1 for r in self.rows if r.handover)

    @property
    def moved_in(self) -> int:
        return sum(1 for r in self.rows if r.handover and r.handover.moved_in_on)


def project_progress(
    project: Project, *, group: VillagerGroup | None = None
) -> list[GroupProgress]:
    """Every approved household of the project (or of one group) with its agreement,
    handover and move-in state, grouped by villager group."""
    households = (
        Household.objects.filter(project=project, status="approved")
        .select_related("community", "group__community")
        .annotate(head_name=head())
        .order_by("community__code", "group__code", "code")
    )
    if group is not None:
        households = households.filter(group=group)
    households = with_stages(households)
    ids = [h.pk for h in households]
    agreements = {a.household_id: a for a in Agreement.objects.filter(household_id__in=ids)}
    handovers = {h.household_id: h for h in Handover.objects.filter(household_id__in=ids)}
    counts: dict[int, int] = {}
    for household_id in (
        signed_allocations().filter(household_id__in=ids).values_list("household_id", flat=True)
    ):
        counts[household_id] = counts.get(household_id, 0) + 1
    open_defects: dict[int, int] = {}
    for household_id in (
        DefectTicket.objects.filter(household_id__in=ids)
        .exclude(status=DefectStatus.CLOSED)
        .values_list("household_id", flat=True)
    ):
        open_defects[household_id] = open_defects.get(household_id, 0) + 1
    groups: dict[int, GroupProgress] = {}
    for h in households:
        entry = groups.setdefault(h.group_id, GroupProgress(group=h.group))
        entry.rows.append(
            HouseholdProgress(
                household=h,
                head=h.head_name or "",
                apartments=counts.get(h.pk, 0),
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
