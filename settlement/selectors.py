"""Reads of household statements shared by the pages, the API, the admin and the PDF, with
their joins and prefetches inside so no caller makes a query per statement; and the totals
per villager group and per project (income, expenditure, net to pay, net to collect)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Abs, Coalesce

from households.models import Member, Project, Relation, VillagerGroup

from .models import Statement, StatementApproval, StatementLine

ZERO = Decimal("0.00")


def statement_list(
    project: Project, *, group: VillagerGroup | None = None, status: str | None = None
) -> QuerySet[Statement]:
    """The project's statements (of one group, in one status), in household order, with
    household, group, lines (in order) and approvals (in order) loaded: a constant number of
    queries however many statements."""
    statements = Statement.objects.filter(project=project)
    if group is not None:
        statements = statements.filter(household__group=group)
    if status:
        statements = statements.filter(status=status)
    return (
        statements.select_related(
            "household", "household__group", "household__community", "project"
        )
        .prefetch_related(
            Prefetch("lines", queryset=StatementLine.objects.order_by("position")),
            Prefetch(
                "approvals",
                queryset=StatementApproval.objects.select_related("actor").order_by("position"),
            ),
            Prefetch(
                "household__members",
                queryset=Member.objects.filter(relation=Relation.HEAD),
                to_attr="heads",
            ),
        )
        .order_by("household__group__code", "household__code")
    )


@dataclass(frozen=True)
class Totals:
    statements: int
    income: Decimal
    expenditure: Decimal
    to_pay: Decimal  # the sum of the positive nets: paid to households
    to_collect: Decimal  # the sum of the negative nets, as a positive amount

    @property
    def net(self) -> Decimal:
        return self.income - self.expenditure


@dataclass(frozen=True)
class GroupTotals:
    group: VillagerGroup
    totals: Totals


def _money(expression) -> Coalesce:
    return Coalesce(
        expression, Value(ZERO), output_field=DecimalField(max_digits=16, decimal_places=2)
    )


_AGGREGATES = {
    "count": Count("id"),
    "income": _money(Sum("income_total")),
    "expenditure": _money(Sum("expenditure_total")),
    "to_pay": _money(Sum("net", filter=Q(net__gt=0))),
    "to_collect": _money(Sum(Abs("net"), filter=Q(net__lt=0))),
}


def _totals(row: dict | None) -> Totals:
    row = row or {}
    return Totals(
        statements=row.get("count", 0),
        income=Decimal(row.get("income", ZERO)).quantize(ZERO),
        expenditure=Decimal(row.get("expenditure", ZERO)).quantize(ZERO),
        to_pay=Decimal(row.get("to_pay", ZERO)).quantize(ZERO),
        to_collect=Decimal(row.get("to_collect", ZERO)).quantize(ZERO),
    )


def project_totals(project: Project, *, status: str | None = None) -> Totals:
    """The totals of the project's statements (in one status, if given): one query."""
    statements = Statement.objects.filter(project=project)
    if status:
        statements = statements.filter(status=status)
    return _totals(statements.aggregate(**_AGGREGATES))


def group_totals(project: Project, *, status: str | None = None) -> list[GroupTotals]:
    """Every villager group of the project with the totals of its households' statements
    (zeros for a group without statements), in group code order: two queries."""
    statements = Statement.objects.filter(project=project)
    if status:
        statements = statements.filter(status=status)
    rows = {
        row["household__group"]: row
        for row in statements.values("household__group").annotate(**_AGGREGATES).order_by()
    }
    return [
        GroupTotals(group=group, totals=_totals(rows.get(group.pk)))
        for group in VillagerGroup.objects.filter(project=project)
        .select_related("community")
        .order_by("code")
    ]
