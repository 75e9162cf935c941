"""Where the money stands: per household, per villager group and per project.

"The whole group settled together" (seed 000): a group is settled when every approved
household in it has a settled statement. Amounts to collect and to pay count approved (and
settled) statements only; households without one are counted as pending. Each household's
paid and outstanding come from the one finance-totals rule (`selectors.totals`, signed like
the net), so the pages, the group API and the export agree. A group's totals are summed by
the database (`selectors.totals.settlement_sums_by_group`), the one rule for the project page
and a group's page alike. A fixed number of queries whatever the number of households
(pinned in tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet

from households.models import Household, HouseholdStatus, Project, VillagerGroup
from households.selectors.registration import head
from households.stages import with_stages
from settlement.models import (
    Statement,
    StatementStatus,
)
from settlement.selectors.payments import APPROVED_STATES, ZERO
from settlement.selectors.totals import money_by_statement, settlement_sums_by_group


@dataclass(frozen=True)
class HouseholdSettlement:
    household: Household
    statement: Statement | None
    # Signed like the net (`selectors.totals`): paid to (+) or collected from (−) the
    # household so far, and what is still to pay (+) or collect (−) once approved.
    paid: Decimal
    outstanding: Decimal

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


@dataclass
class Totals:
    households: int = 0
    settled_households: int = 0
    pending: int = 0  # households without an approved statement
    to_collect: Decimal = ZERO
    collected: Decimal = ZERO
    to_pay: Decimal = ZERO
    paid: Decimal = ZERO
    # What the statements still waiting for approval (draft or in the chain) would collect
    # and pay: not owed yet, but not nothing — a header saying 应收 0.00 while its rows wait
    # for approval reads as if there were nothing to collect.
    awaiting_collect: Decimal = ZERO
    awaiting_pay: Decimal = ZERO
    # Households keeping the group's payouts waiting (`payout_blocker`): collect first.
    blocked: int = 0

    def merge(self, other: Totals) -> None:
        for name in ("households", "settled_households", "pending", "blocked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in (
            "to_collect",
            "collected",
            "to_pay",
            "paid",
            "awaiting_collect",
            "awaiting_pay",
        ):
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
    def empty(self) -> bool:
        """No approved household in the group: nothing to collect, pay or settle."""
        return not self.totals.households

    @property
    def collections_done(self) -> bool:
        """Collect first: payouts may start once nothing is left to collect or approve. A
        group without households has nothing collected and nothing to pay: not done."""
        return not self.empty and not self.totals.blocked


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


def _rows(
    households: Iterable[Household], money: dict[int, tuple[Decimal, Decimal]]
) -> list[HouseholdSettlement]:
    rows = []
    for household in households:
        statement = getattr(household, "statement", None)
        paid, outstanding = money.get(statement.pk, (ZERO, ZERO)) if statement else (ZERO, ZERO)
        rows.append(
            HouseholdSettlement(
                household=household, statement=statement, paid=paid, outstanding=outstanding
            )
        )
    return rows


def _settled_statements() -> QuerySet[Statement]:
    """The statements a group settles: those of its approved households."""
    return Statement.objects.filter(household__status=HouseholdStatus.APPROVED)


def _summed(households: int, sums: dict | None) -> Totals:
    """A group's `Totals` from its approved households' count and its statements' sums
    (`totals.settlement_sums_by_group`, the one place they are computed): households
    without a statement are pending and keep the payouts waiting."""
    sums = sums or {}
    statements = sums.get("statements", 0)
    return Totals(
        households=households,
        settled_households=sums.get("settled", 0),
        pending=households - sums.get("approved", 0),
        to_collect=sums.get("to_collect", ZERO),
        collected=sums.get("collected", ZERO),
        to_pay=sums.get("to_pay", ZERO),
        paid=sums.get("paid_out", ZERO),
        awaiting_collect=sums.get("awaiting_collect", ZERO),
        awaiting_pay=sums.get("awaiting_pay", ZERO),
        blocked=households - statements + sums.get("blocked", 0),
    )


def group_settlement(group: VillagerGroup) -> GroupSettlement:
    """One villager group: each approved household's statement state and the totals (the
    same sums as the project page's, `settlement_sums_by_group`)."""
    households = with_stages(settlement_households().filter(group=group))
    money = money_by_statement(Statement.objects.filter(household__group=group))
    rows = _rows(households, money)
    sums = settlement_sums_by_group(_settled_statements().filter(household__group=group))
    return GroupSettlement(
        group=group, households=rows, totals=_summed(len(rows), sums.get(group.pk))
    )


def project_settlement(project: Project) -> ProjectSettlement:
    """Every villager group of the project with its totals, and the project's totals,
    summed by the database (three queries, whatever the number of households); the
    groups carry no household rows: a group's page (`group_settlement`) lists them."""
    groups = (
        VillagerGroup.objects.filter(project=project)
        .select_related("community")
        .order_by("community__code", "code")
    )
    counts = dict(
        Household.objects.filter(project=project, status=HouseholdStatus.APPROVED)
        .values("group")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("group", "n")
    )
    sums = settlement_sums_by_group(_settled_statements().filter(household__project=project))
    rows = [
        GroupSettlement(group=g, totals=_summed(counts.get(g.pk, 0), sums.get(g.pk)))
        for g in groups
    ]
    totals = Totals()
    for row in rows:
        totals.merge(row.totals)
    return ProjectSettlement(project=project, groups=rows, totals=totals)
