"""After-care defect tickets: the staff list, time to close, and a resident's after-care
record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from allocation.models import Apartment
from households.models import Household, Project
from settlement.models import DefectStatus, DefectTicket, Handover
from settlement.selectors.handover import handover_of, head_name, household_apartments

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
