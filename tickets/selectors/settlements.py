"""Reads of developers' settlements: what each developer has waiting to be settled in a
project, the project's batches, one batch with its purchases and approvals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from households.models import Project
from settlement.bank import BatchRow
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


def bank_rows(settlement: DeveloperSettlement) -> list[BatchRow]:
    """The bank batch of an approved developers' settlement: one payment of its total to the
    developer's account, referenced by the settlement's number."""
    developer = settlement.developer
    return [
        BatchRow(
            reference=settlement.number,
            holder=developer.name,
            bank=developer.bank_name,
            account=developer.bank_account,
            amount=settlement.total,
            purpose=f"房票购房款结算 {settlement.number}(购房 {settlement.purchase_count} 笔)",
        )
    ]
