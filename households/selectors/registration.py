"""Reads of the register: the household list and search, one household with its members,
the head's name, the review progress."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from households import idnumbers
from households.models import (
    Household,
    Member,
    Relation,
    ReviewStatus,
)
from resettlement.personal_data import sees_full_personal_data
from resettlement.public_site import normalise_lookup_code


def head(field: str = "name", *, household: str = "pk") -> Subquery:
    """The household head's `field`, to annotate a queryset whose `household` path leads to
    a household (one head per household is a database constraint)."""
    heads = Member.objects.filter(household=OuterRef(household), relation=Relation.HEAD)
    return Subquery(heads.values(field)[:1])


def household_list(*, user=None) -> QuerySet[Household]:
    """Households with what list pages show: community, group, head's name and ID."""
    return (
        Household.objects.select_related("project", "community", "group", "registered_by")
        .annotate(
            head_name=head("name"),
            head_id_number=head("id_number"),
        )
        .order_by("project__code", "code")
    )


def household_search(queryset: QuerySet[Household], term: str, *, user=None) -> QuerySet[Household]:
    """Search by household code, head's (or any member's) name, ID number, or the lookup code
    on the household's notices (as printed, ABCD-EF23-45, or keyed in any way).

    An ID number matches by its start for those who see ID numbers in full; for everyone
    else only a whole ID number matches: searching digit by digit would read a masked
    number back one digit at a time (resettlement.personal_data)."""
    term = term.strip()
    if not term:
        return queryset
    number = idnumbers.normalise(term)
    by_number = (
        Q(id_number__startswith=number) if sees_full_personal_data(user) else Q(id_number=number)
    )
    matching_members = (
        Member.objects.filter(Q(name__contains=term) | by_number).order_by().values("household_id")
    )
    by_code = Q(code__icontains=term)
    if lookup := normalise_lookup_code(term):
        by_code |= Q(lookup_code=lookup)
    # One set of ids, each half found through its own indexes (the trigram and prefix indexes
    # of households migration 0010): "code matches OR pk IN (members)" on the list itself
    # would read every household of the province.
    matching = Household.objects.filter(by_code).order_by().values("pk").union(matching_members)
    return queryset.filter(pk__in=matching)


def household_detail(pk: int) -> Household:
    return (
        Household.objects.select_related(
            "project", "community", "group", "registered_by", "approved_by"
        )
        .prefetch_related("members__reviewed_by", "members__entered_by", "documents")
        .get(pk=pk)
    )


def review_progress_label(household: Household) -> str:
    members = list(household.members.all())
    done = sum(1 for m in members if m.review_status != ReviewStatus.PENDING)
    return _("%(done)d/%(total)d 人已审核") % {"done": done, "total": len(members)}
