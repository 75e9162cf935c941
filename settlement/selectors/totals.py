"""Finance totals: the one rule for what has been paid and what is outstanding on a
statement, and its sums per villager group and per project (docs/settlement.md, "Finance
totals: one rule, one sign").

Amounts are signed like a statement's `net`: positive is paid to the household, negative
collected from it. `paid` is what has been paid (+) or collected (−) so far — a payment the
other way (a refund) counts with its own sign; `outstanding` is what is still to pay or
collect on an approved statement (`net − paid`), nothing before it is approved. The finance
export (`settlement.export.statements`) shows these figures; the group pages and the group
API (`settlement.selectors.groups`) read each household's from `money_by_statement` and
split the sums into to collect / collected / to pay / paid. The export's totals are summed by
the database, independently of the rows, in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from households.models import Project, VillagerGroup
from households.selectors.registration import head
from settlement.models import Payment, PaymentDirection, Statement, StatementStatus
from settlement.selectors.payments import APPROVED_STATES

ZERO = Decimal("0.00")
MONEY_OUTPUT = DecimalField(max_digits=16, decimal_places=2)


def _money(expression) -> Coalesce:
    return Coalesce(expression, Value(ZERO), output_field=MONEY_OUTPUT)


def _paid() -> Coalesce:
    """Paid to (+) or collected from (−) the household on the statement so far."""
    signed = Case(
        When(direction=PaymentDirection.COLLECT, then=-F("amount")),
        default=F("amount"),
        output_field=MONEY_OUTPUT,
    )
    payments = (
        Payment.objects.filter(statement=OuterRef("pk"))
        .values("statement")
        .annotate(total=Sum(signed))
        .values("total")
    )
    return _money(Subquery(payments, output_field=MONEY_OUTPUT))


def _with_money(statements: QuerySet[Statement]) -> QuerySet[Statement]:
    return statements.annotate(paid=_paid()).annotate(
        outstanding=Case(
            When(status__in=APPROVED_STATES, then=F("net") - F("paid")),
            default=Value(ZERO),
            output_field=MONEY_OUTPUT,
        )
    )


def statement_list(project: Project) -> QuerySet[Statement]:
    """The project's statements in group and household order, with household, group, the
    head's name (`head_name`), `paid` and `outstanding`: one query however many statements."""
    return (
        _with_money(Statement.objects.filter(project=project))
        .select_related("household__group__community")
        .annotate(head_name=head(household="household"))
        .order_by("household__group__code", "household__code", "pk")
    )


def money_by_statement(statements: QuerySet[Statement]) -> dict[int, tuple[Decimal, Decimal]]:
    """(paid, outstanding) of each of the statements by id, signed like its net, as the
    export's rows have them: one query. The group pages and the group API read their
    per-household money here."""
    return {
        pk: (paid, outstanding)
        for pk, paid, outstanding in _with_money(statements).values_list(
            "pk", "paid", "outstanding"
        )
    }


@dataclass(frozen=True)
class Totals:
    statements: int
    income: Decimal
    expenditure: Decimal
    net: Decimal
    paid: Decimal
    outstanding: Decimal


@dataclass(frozen=True)
class GroupTotals:
    group: VillagerGroup
    totals: Totals


_AGGREGATES = {
    "count": Count("id"),
    "income": _money(Sum("income_total")),
    "expenditure": _money(Sum("expenditure_total")),
    "net_total": _money(Sum("net")),
    "paid_total": _money(Sum("paid")),
    "outstanding_total": _money(Sum("outstanding")),
}


def _totals(row: dict | None) -> Totals:
    row = row or {}

    def amount(name: str) -> Decimal:
        return Decimal(row.get(name, ZERO)).quantize(ZERO)

    return Totals(
        statements=row.get("count", 0),
        income=amount("income"),
        expenditure=amount("expenditure"),
        net=amount("net_total"),
        paid=amount("paid_total"),
        outstanding=amount("outstanding_total"),
    )


def project_totals(project: Project) -> Totals:
    """The totals of the project's statements: one query."""
    return _totals(_with_money(Statement.objects.filter(project=project)).aggregate(**_AGGREGATES))


def group_totals(project: Project) -> list[GroupTotals]:
    """Every villager group of the project with the totals of its households' statements
    (zeros for a group without statements), in group code order: two queries."""
    rows = {
        row["household__group"]: row
        for row in _with_money(Statement.objects.filter(project=project))
        .values("household__group")
        .annotate(**_AGGREGATES)
        .order_by()
    }
    return [
        GroupTotals(group=group, totals=_totals(rows.get(group.pk)))
        for group in VillagerGroup.objects.filter(project=project)
        .select_related("community")
        .order_by("code", "pk")
    ]


def settlement_sums_by_group(statements: QuerySet[Statement]) -> dict[int, dict]:
    """Per villager group (by id), the sums the group pages show, of `statements` (one
    query, summed by the database with `paid` and `outstanding` above): how many statements,
    approved, settled and keeping payouts waiting (`payments.payout_blocker`: not approved,
    or still owing a collection unsettled); to collect / collected and to pay / paid over the
    approved ones, split by the net's sign; and what the statements awaiting approval will
    leave to collect / pay (their net less what was paid on them already). Amounts unsigned.
    The project page and a group's page both read their group totals here
    (`groups.project_settlement`, `groups.group_settlement`)."""
    approved = Q(status__in=APPROVED_STATES)
    owed = F("net") - F("paid")
    rows = (
        _with_money(statements)
        .annotate(owed=owed)
        .values("household__group")
        .annotate(
            statements=Count("id"),
            approved=Count("id", filter=approved),
            settled=Count("id", filter=Q(status=StatementStatus.SETTLED)),
            blocked=Count(
                "id",
                filter=~approved | (Q(outstanding__lt=0) & ~Q(status=StatementStatus.SETTLED)),
            ),
            to_collect=_money(Sum(-F("net"), filter=approved & Q(net__lt=0))),
            collected=_money(Sum(-F("paid"), filter=approved & Q(net__lt=0))),
            to_pay=_money(Sum("net", filter=approved & Q(net__gt=0))),
            paid_out=_money(Sum("paid", filter=approved & Q(net__gt=0))),
            awaiting_collect=_money(Sum(-F("owed"), filter=~approved & Q(owed__lt=0))),
            awaiting_pay=_money(Sum("owed", filter=~approved & Q(owed__gt=0))),
        )
        .order_by()
    )
    return {row.pop("household__group"): row for row in rows}
