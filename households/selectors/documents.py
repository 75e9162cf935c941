"""Reads of a household's documents: the checklist of what it must hold and what is missing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import prefetch_related_objects

from households.models import (
    Document,
    DocumentKind,
    Household,
    SpecialStatus,
)
from resettlement.periods import today as local_today


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    label: str
    member_id: int | None
    member_name: str
    documents: tuple[Document, ...]
    # On the project's approval checklist (Project.required_documents): missing blocks
    # approval unless the approver writes why (households.gates).
    required: bool = False

    @property
    def present(self) -> bool:
        return bool(self.documents)

    @property
    def display(self) -> str:
        return f"{self.label}({self.member_name})" if self.member_name else str(self.label)


def document_checklist(household: Household) -> list[ChecklistItem]:
    """The documents this household must hand in and which of them are uploaded.

    Always: the compensation agreement and the hukou book. Per member aged 16 or over: an ID
    card. Per spouse who married in: a marriage certificate. Per member claiming a one-child
    certificate: that certificate. Uses prefetched members and documents when present. An item
    is `required` when its kind is on the project's approval checklist.
    """
    members = list(household.members.all())
    documents = list(household.documents.all())
    today = local_today()
    required = set(household.project.required_documents or ())

    def docs(kind: str, member_id: int | None) -> tuple[Document, ...]:
        return tuple(d for d in documents if d.kind == kind and d.member_id == member_id)

    items = [
        ChecklistItem(
            DocumentKind.AGREEMENT,
            DocumentKind.AGREEMENT.label,
            None,
            "",
            docs(DocumentKind.AGREEMENT, None),
            DocumentKind.AGREEMENT in required,
        ),
        ChecklistItem(
            DocumentKind.HUKOU_BOOK,
            DocumentKind.HUKOU_BOOK.label,
            None,
            "",
            docs(DocumentKind.HUKOU_BOOK, None),
            DocumentKind.HUKOU_BOOK in required,
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
                ChecklistItem(
                    kind,
                    kind.label,
                    member.pk,
                    member.name,
                    docs(kind, member.pk),
                    kind in required,
                )
            )
    return items


def checklist_missing(household: Household) -> list[str]:
    """Every item of the checklist not yet uploaded, as people read it (the notices)."""
    return [item.display for item in document_checklist(household) if not item.present]


def required_missing(household: Household) -> list[str]:
    """The items of the project's approval checklist not yet uploaded (households.gates)."""
    return [
        item.display for item in document_checklist(household) if item.required and not item.present
    ]


def missing_documents(households: Iterable[Household]) -> dict[int, list[str]]:
    """For each household, the approval-checklist documents it still lacks (human labels,
    e.g. "身份证(王建国)"); households lacking none map to []. Three queries whatever the
    number of households (members, documents, projects)."""
    households = list(households)
    prefetch_related_objects(households, "members", "documents", "project")
    return {household.pk: required_missing(household) for household in households}
