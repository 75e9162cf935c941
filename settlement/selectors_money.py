"""Where the money stands: per household, per villager group and per project.

"The whole group settled together" (seed 000): a group is settled when every approved
household in it has a settled statement. Amounts to collect and to pay count approved (and
settled) statements only; households without one are counted as pending. A fixed number of
queries whatever the number of households (pinned in tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from households.models import Household, HouseholdStatus, Project, VillagerGroup
from households.selectors.registration import head
from settlement.models import (
    Payment,
    Statement,
    StatementApproval,
    StatementLine,
    StatementSendBack,
    StatementStatus,
)

ZERO = Decimal("0.00")
APPROVED_STATES = (StatementStatus.APPROVED, StatementStatus.SETTLED)


def outstanding(statement: Statement, paid: Decimal) -> Decimal:
    """Still to pay (net > 0) or collect (net < 0) on an approved statement, `paid` having
    been paid or collected so far; nothing before it is approved."""
    if statement.status not in APPROVED_STATES:
        return ZERO
    return abs(statement.net) - paid


def payout_blocker(statement: Statement | None) -> str | None:
    """Collect first, pay later (seed 000): why an approved household with this statement
    (None: none yet) keeps its villager group's payouts waiting, or None when it does not.
    It may still turn out to owe, or it owes and has not paid in full."""
    if statement is None:
        return _("尚无结算单")
    if statement.status not in APPROVED_STATES:
        return _("结算单尚未审批完成")
    if statement.net < 0 and statement.status != StatementStatus.SETTLED:
        return _("应收款尚未收齐")
    return None


@dataclass(frozen=True)
class HouseholdSettlement:
    household: Household
    statement: Statement | None
    paid: Decimal  # paid to, or collected from, the household so far

    @property
    def state(self) -> str:
        """none | draft | approving | approved | settled."""
        return self.statement.status if self.statement else "none"

    @property
    def net(self) -> Decimal | None:
        return self.statement.net if self.statement else None

    @property
    def approved(self) -> bool:
        return self.statement is not None and self.statement.status in APPROVED_STATES

    @property
    def settled(self) -> bool:
        return self.statement is not None and self.statement.status == StatementStatus.SETTLED

    @property
    def outstanding(self) -> Decimal:
        """Still to pay (net > 0) or collect (net < 0) on an approved statement."""
        return outstanding(self.statement, self.paid) if self.statement else ZERO


@dataclass
class Totals:
    households: int = 0
    settled_households: int = 0
    pending: int = 0  # households without an approved statement
    to_collect: Decimal = ZERO
    collected: Decimal = ZERO
    to_pay: Decimal = ZERO
    paid: Decimal = ZERO

    def add(self, row: HouseholdSettlement) -> None:
        self.households += 1
        self.settled_households += row.settled
        if not row.approved:
            self.pending += 1
            return
        net = row.statement.net
        if net < 0:
            self.to_collect += -net
            self.collected += row.paid
        elif net > 0:
            self.to_pay += net
            self.paid += row.paid

    def merge(self, other: Totals) -> None:
        for name in ("households", "settled_households", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("to_collect", "collected", "to_pay", "paid"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def collect_outstanding(self) -> Decimal:
        return self.to_collect - self.collected

    @property
    def pay_outstanding(self) -> Decimal:
        return self.to_pay - self.paid

    @property
    def settled(self) -> bool:
        return self.households > 0 and self.settled_households == self.households


@dataclass
class GroupSettlement:
    group: VillagerGroup
    households: list[HouseholdSettlement] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)

    @property
    def settled(self) -> bool:
        return self.totals.settled

    @property
    def collections_done(self) -> bool:
        """Collect first: payouts may start once nothing is left to collect or approve."""
        return all(payout_blocker(row.statement) is None for row in self.households)


@dataclass
class ProjectSettlement:
    project: Project
    groups: list[GroupSettlement]
    totals: Totals

    @property
    def settled_groups(self) -> int:
        return sum(g.settled for g in self.groups)


def settlement_households() -> QuerySet[Household]:
    """The households a group settles: approved ones, with statement and head's name."""
    return (
        Household.objects.filter(status=HouseholdStatus.APPROVED)
        .select_related("statement", "group")
        .annotate(head_name=head())
        .order_by("code")
    )


def _paid_by_statement(payments: QuerySet[Payment]) -> dict[int, Decimal]:
    return {
        row["statement_id"]: row["total"]
        for row in payments.values("statement_id").annotate(total=Sum("amount")).order_by()
    }


def _groups(
    groups: Iterable[VillagerGroup], households: Iterable[Household], paid: dict[int, Decimal]
) -> list[GroupSettlement]:
    by_group = {g.pk: GroupSettlement(group=g) for g in groups}
    for household in households:
        statement = getattr(household, "statement", None)
        row = HouseholdSettlement(
            household=household,
            statement=statement,
            paid=paid.get(statement.pk, ZERO) if statement else ZERO,
        )
        entry = by_group.get(household.group_id)
        if entry is not None:
            entry.households.append(row)
            entry.totals.add(row)
    return list(by_group.values())


def group_settlement(group: VillagerGroup) -> GroupSettlement:
    """One villager group: each approved household's statement state and the totals."""
    households = settlement_households().filter(group=group)
    paid = _paid_by_statement(Payment.objects.filter(statement__household__group=group))
    return _groups([group], households, paid)[0]


def project_settlement(project: Project) -> ProjectSettlement:
    """Every villager group of the project, and the project's totals."""
    groups = VillagerGroup.objects.filter(project=project).select_related("community")
    households = settlement_households().filter(project=project)
    paid = _paid_by_statement(Payment.objects.filter(statement__project=project))
    rows = _groups(groups.order_by("community__code", "code"), households, paid)
    totals = Totals()
    for row in rows:
        totals.merge(row.totals)
    return ProjectSettlement(project=project, groups=rows, totals=totals)


def with_detail(statements: QuerySet[Statement]) -> QuerySet[Statement]:
    """The statements with what a statement's page and the API's detail show: household,
    group, project, lines, approvals (every round), send-backs, payments."""
    return statements.select_related("household", "household__group", "project").prefetch_related(
        Prefetch("lines", queryset=StatementLine.objects.order_by("position")),
        Prefetch(
            "approvals",
            queryset=StatementApproval.objects.select_related("actor").order_by(
                "round", "position"
            ),
        ),
        Prefetch(
            "send_backs",
            queryset=StatementSendBack.objects.select_related("actor").order_by("round"),
        ),
        Prefetch(
            "payments",
            queryset=Payment.objects.select_related("recorded_by").order_by("recorded_at"),
        ),
    )


def statement_detail(pk: int) -> Statement:
    """A statement with what its page and the API show (`with_detail`)."""
    return with_detail(Statement.objects.all()).get(pk=pk)


def statement_list() -> QuerySet[Statement]:
    return Statement.objects.select_related("household", "household__group", "project").order_by(
        "project__code", "household__code"
    )


def paid_so_far(statement: Statement) -> Decimal:
    """Paid to, or collected from, the household so far (prefetched payments are used)."""
    return sum((payment.amount for payment in statement.payments.all()), ZERO)


def current_approvals(statement: Statement) -> list[StatementApproval]:
    """The approvals of the statement's current round, in step order (prefetched ones are
    used: see `statement_detail`)."""
    return sorted(
        (a for a in statement.approvals.all() if a.round == statement.approval_round),
        key=lambda a: a.position,
    )


@dataclass(frozen=True)
class SentBackRound:
    """An earlier round of the approval chain: the send-back that ended it and the
    approvals it superseded."""

    send_back: StatementSendBack
    approvals: list[StatementApproval]


def send_back_history(statement: Statement) -> list[SentBackRound]:
    """Every send-back of the statement, oldest first, each with its round's approvals
    (prefetched ones are used: see `statement_detail`)."""
    approvals = sorted(statement.approvals.all(), key=lambda a: (a.round, a.position))
    return [
        SentBackRound(send_back, [a for a in approvals if a.round == send_back.round])
        for send_back in sorted(statement.send_backs.all(), key=lambda s: s.round)
    ]
