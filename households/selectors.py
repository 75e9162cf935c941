"""Reads used by more than one caller, with their joins inside so no caller makes N+1."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from households import idnumbers
from households.models import (
    Document,
    DocumentKind,
    Household,
    HouseholdStatus,
    Member,
    Relation,
    ReviewStatus,
    SpecialStatus,
)
from resettlement.personal_data import sees_full_personal_data


def resettled_projects_by_id(
    id_numbers: Iterable[str], *, exclude_project_id: int | None
) -> dict[str, tuple[str, ...]]:
    """For each ID number, the codes of *other* projects where that person was resettled:
    a passed member of an approved household. One query whatever the number of IDs."""
    found: dict[str, list[str]] = defaultdict(list)
    rows = (
        Member.objects.filter(
            id_number__in=set(id_numbers),
            review_status=ReviewStatus.PASSED,
            household__status=HouseholdStatus.APPROVED,
        )
        .exclude(project_id=exclude_project_id)
        .values_list("id_number", "project__code")
        .order_by("project__code")
    )
    for number, project_code in rows:
        found[number].append(project_code)
    return {number: tuple(codes) for number, codes in found.items()}


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
    """Search by household code, head's (or any member's) name, or ID number.

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
    matching_members = Member.objects.filter(Q(name__contains=term) | by_number).values(
        "household_id"
    )
    return queryset.filter(Q(code__icontains=term) | Q(pk__in=matching_members))


def household_detail(pk: int) -> Household:
    return (
        Household.objects.select_related(
            "project", "community", "group", "registered_by", "approved_by"
        )
        .prefetch_related("members__reviewed_by", "members__entered_by", "documents")
        .get(pk=pk)
    )


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    label: str
    member_id: int | None
    member_name: str
    documents: tuple[Document, ...]

    @property
    def present(self) -> bool:
        return bool(self.documents)


def document_checklist(household: Household) -> list[ChecklistItem]:
    """The documents this household must hand in and which of them are uploaded.

    Always: the compensation agreement and the hukou book. Per member aged 16 or over: an ID
    card. Per spouse who married in: a marriage certificate. Per member claiming a one-child
    certificate: that certificate. Uses prefetched members and documents when present.
    """
    members = list(household.members.all())
    documents = list(household.documents.all())
    today = timezone.localdate()

    def docs(kind: str, member_id: int | None) -> tuple[Document, ...]:
        return tuple(d for d in documents if d.kind == kind and d.member_id == member_id)

    items = [
        ChecklistItem(
            DocumentKind.AGREEMENT,
            DocumentKind.AGREEMENT.label,
            None,
            "",
            docs(DocumentKind.AGREEMENT, None),
        ),
        ChecklistItem(
            DocumentKind.HUKOU_BOOK,
            DocumentKind.HUKOU_BOOK.label,
            None,
            "",
            docs(DocumentKind.HUKOU_BOOK, None),
        ),
    ]
    for member in members:
        age = (
            today.year
            - member.birth_date.year
            - ((today.month, today.day) < (member.birth_date.month, member.birth_date.day))
        )
        wanted = []
        if age >= 16:
            wanted.append(DocumentKind.ID_CARD)
        if member.special_status == SpecialStatus.NEW_SPOUSE:
            wanted.append(DocumentKind.MARRIAGE_CERTIFICATE)
        if member.one_child_certificate:
            wanted.append(DocumentKind.ONE_CHILD_CERTIFICATE)
        for kind in wanted:
            items.append(
                ChecklistItem(kind, kind.label, member.pk, member.name, docs(kind, member.pk))
            )
    return items


def missing_documents(household: Household) -> list[str]:
    return [
        f"{item.label}({item.member_name})" if item.member_name else str(item.label)
        for item in document_checklist(household)
        if not item.present
    ]


def review_progress_label(household: Household) -> str:
    members = list(household.members.all())
    done = sum(1 for m in members if m.review_status != ReviewStatus.PENDING)
    return _("%(done)d/%(total)d 人已审核") % {"done": done, "total": len(members)}
