"""Reading agreements, handovers and defect tickets: the apartments a household was given,
the per-group status table of the staff pages, the defect list and the resident's own
after-care record (reached by the lookup code on the household's notice).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from allocation.models import Apartment
from households.models import Household, Member, Project, Relation, VillagerGroup
from households.selectors.registration import head
from lottery.models import Allocation, SessionStatus
from settlement.models import Agreement, DefectStatus, DefectTicket, Handover, Statement


def signed_allocations() -> QuerySet[Allocation]:
    """The allocations that count: binding rows of a signed session."""
    return Allocation.objects.filter(binding=True, session__status=SessionStatus.SIGNED)


def binding_allocations(household: Household) -> QuerySet[Allocation]:
    """The household's allocations that count (its apartments), by apartment code."""
    return (
        signed_allocations()
        .filter(household=household)
        .select_related("apartment__apartment_type", "apartment__estate", "apartment__building")
        .order_by("apartment__code")
    )


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
    households = list(households)
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


# -- defects --------------------------------------------------------------------------------


def defect_list(
    *, project: Project | None = None, status: str | None = None
) -> QuerySet[DefectTicket]:
    tickets = DefectTicket.objects.select_related(
        "household__community", "household__group", "apartment", "answered_by"
    ).order_by("-reported_at", "-pk")
    if project is not None:
        tickets = tickets.filter(household__project=project)
    if status in DefectStatus.values:
        tickets = tickets.filter(status=status)
    return tickets


def time_to_close(ticket: DefectTicket) -> dt.timedelta | None:
    """How long the ticket was open: from the report to its closing (None while open)."""
    if ticket.closed_at is None:
        return None
    return ticket.closed_at - ticket.reported_at


def duration_text(delta: dt.timedelta | None) -> str:
    """A duration for people: "2 天 3 小时", "5 小时 10 分钟", "12 分钟"."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d 小时 %(m)d 分钟") % {"h": hours, "m": minutes}
    return _("%(m)d 分钟") % {"m": minutes}


# -- the resident's own after-care page -----------------------------------------------------


@dataclass
class AftercareRecord:
    household: Household | None
    head: str = ""
    apartments: list[Apartment] = field(default_factory=list)
    handover: Handover | None = None
    tickets: list[DefectTicket] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.household is not None


def aftercare_record(code: str) -> AftercareRecord:
    """What the household with this (normalised) lookup code may see of its after-care:
    its apartments, handover and defect tickets. Nothing of any other household."""
    household = (
        Household.objects.filter(lookup_code=code)
        .select_related("project", "community", "group")
        .first()
        if code
        else None
    )
    if household is None:
        return AftercareRecord(household=None)
    return AftercareRecord(
        household=household,
        head=head_name(household),
        apartments=household_apartments(household),
        handover=handover_of(household),
        tickets=list(
            DefectTicket.objects.filter(household=household)
            .select_related("apartment")
            .prefetch_related("photos")
            .order_by("-reported_at", "-pk")
        ),
    )
