"""Reads of the staff review and approval queues: members waiting for a reviewer's finding,
reviewed households waiting for a leader, filtered as the queue pages filter them, and the
missing documents of the households on a page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from households.models import (
    Community,
    Household,
    HouseholdStatus,
    Member,
    Project,
    ReviewStatus,
    VillagerGroup,
)
from households.qualification import REASON_LABELS
from households.selectors import documents
from households.selectors.registration import head, household_search


@dataclass(frozen=True)
class QueueFilters:
    """What a queue page was asked for (?community=&group=&rule=&missing=1&q=)."""

    community: Community | None = None
    group: VillagerGroup | None = None
    rule: str = ""
    documents_missing: bool = False
    term: str = ""


def queue_filters(project: Project, params) -> QueueFilters:
    """The filters of a GET query, each kept only when it belongs to `project` (a community
    or group of another project is ignored, never shown)."""

    def pk(name: str) -> int | None:
        value = params.get(name, "")
        return int(value) if value.isdigit() else None

    community = pk("community")
    group = pk("group")
    rule = params.get("rule", "")
    return QueueFilters(
        community=Community.objects.filter(project=project, pk=community).first()
        if community
        else None,
        group=VillagerGroup.objects.filter(project=project, pk=group)
        .select_related("community")
        .first()
        if group
        else None,
        rule=rule if rule in REASON_LABELS else "",
        documents_missing=params.get("missing") == "1",
        term=params.get("q", "").strip(),
    )


def households_missing_documents(households: Iterable[Household]) -> dict[int, list[str]]:
    """For each household, the documents of the project's approval checklist it still lacks,
    by label (empty: nothing missing): `documents.missing_documents`, in constant queries."""
    return documents.missing_documents(households)


def _with_missing_documents(project: Project, households: QuerySet[Household]) -> list[int]:
    """The ids of `households` (of `project`) whose document checklist is incomplete."""
    candidates = households.filter(project=project)
    return [pk for pk, missing in households_missing_documents(candidates).items() if missing]


def review_queue(project: Project, filters: QueueFilters, *, user=None) -> QuerySet[Member]:
    """Members of `project` waiting for review, by household and then the head first."""
    households = Household.objects.filter(project=project).exclude(status=HouseholdStatus.APPROVED)
    if filters.community:
        households = households.filter(community=filters.community)
    if filters.group:
        households = households.filter(group=filters.group)
    if filters.term:
        households = household_search(households, filters.term, user=user)
    if filters.documents_missing:
        households = households.filter(pk__in=_with_missing_documents(project, households))
    members = Member.objects.filter(
        household__in=households.values("pk"), review_status=ReviewStatus.PENDING
    )
    if filters.rule:
        members = members.filter(verdict_failures__contains=f",{filters.rule},")
    return members.select_related(
        "household__community", "household__group", "household__project"
    ).order_by("household__code", "pk")


def approval_queue(project: Project, filters: QueueFilters, *, user=None) -> QuerySet[Household]:
    """Households of `project` whose members are all reviewed, waiting for approval."""
    households = (
        Household.objects.filter(project=project, status=HouseholdStatus.REVIEWED)
        .select_related("project", "community", "group")
        .annotate(head_name=head("name"))
    )
    if filters.community:
        households = households.filter(community=filters.community)
    if filters.group:
        households = households.filter(group=filters.group)
    if filters.rule:
        failing = Member.objects.filter(verdict_failures__contains=f",{filters.rule},")
        households = households.filter(pk__in=failing.values("household_id"))
    if filters.term:
        households = household_search(households, filters.term, user=user)
    if filters.documents_missing:
        households = households.filter(pk__in=_with_missing_documents(project, households))
    return households.prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by("pk")), "documents"
    ).order_by("code")


def approval_household(project_q: Q, pk: int) -> Household:
    """One household for its approval page, within the projects `project_q` lets one see."""
    return (
        Household.objects.filter(project_q)
        .select_related("project", "community", "group", "approved_by")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=Member.objects.select_related("reviewed_by").order_by("pk"),
            ),
            "documents",
        )
        .get(pk=pk)
    )
