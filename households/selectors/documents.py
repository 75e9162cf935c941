"""Reads of a household's documents: the checklist of what it must hold and what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from households.models import (
    Document,
    DocumentKind,
    Household,
    SpecialStatus,
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
