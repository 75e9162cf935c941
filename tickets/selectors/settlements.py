"""Reads of developers' settlements: what each developer has waiting to be settled in a
project, the project's batches, one batch with its purchases and approvals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from households.models import Project
from tickets.models import Developer, DeveloperSettlement, TicketPurchase


@dataclass(frozen=True)
class Unsettled:
    developer: Developer
    purchases: int
    total: Decimal


def unsettled_by_developer(project: Project) -> list[Unsettled]:
    """Per developer, the project's purchases not yet in a settlement (one query)."""
    rows = (
        TicketPurchase.objects.filter(ticket__project=project, settlement__isnull=True)
        .values("developer")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("developer")
    )
    developers = Developer.objects.in_bulk([r["developer"] for r in rows])
    return [Unsettled(developers[r["developer"]], r["n"], r["total"]) for r in rows]


def project_settlements(project: Project) -> QuerySet[DeveloperSettlement]:
    return (
        DeveloperSettlement.objects.filter(project=project)
        .select_related("developer")
        .order_by("-created_at", "-id")
    )


def settlement_with_history(queryset: QuerySet[DeveloperSettlement]) -> QuerySet:
    return queryset.select_related("project", "developer").prefetch_related(
        "approvals__actor", "purchases__ticket__household", "purchases__listing"
    )
