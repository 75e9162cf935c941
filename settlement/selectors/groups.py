"""Where the money stands: per household, per villager group and per project.

"The whole group settled together" (seed 000): a group is settled when every approved
household in it has a settled statement. Amounts to collect and to pay count approved (and
settled) statements only; households without one are counted as pending. Each household's
paid and outstanding come from the one finance-totals rule (`selectors.totals`, signed like
the net), so the pages, the group API and the export agree. A fixed number of queries
whatever the number of households (pinned in tests).
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
from settlement.selectors.payments import APPROVED_STATES, ZERO, payout_blocker
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

    def add(self, row: HouseholdSettlement) -> None:
        self.households += 1
        self.settled_households += row.settled
        self.blocked += payout_blocker(row.statement, row.outstanding) is not None
        if not row.approved:
            self.pending += 1
            if row.statement is not None:
                # What its approval will leave owed: the net less what was paid on it
                # already (a corrected version nets off its settled payments).
                owed = row.statement.net - row.paid
                if owed < 0:
                    self.awaiting_collect += -owed
                elif owed > 0:
                    self.awaiting_pay += owed
            return
        # The two sides of the signed figures: amounts to collect are the negative nets,
        # collected is minus what was "paid" on them.
        net = row.statement.net
        if net < 0:
            self.to_collect += -net
            self.collected += -row.paid
        elif net > 0:
            self.to_pay += net
            self.paid += row.paid

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


def _groups(
    groups: Iterable[VillagerGroup],
    households: Iterable[Household],
    money: dict[int, tuple[Decimal, Decimal]],
) -> list[GroupSettlement]:
    by_group = {g.pk: GroupSettlement(group=g) for g in groups}
    for household in households:
        statement = getattr(household, "statement", None)
        paid, outstanding = money.get(statement.pk, (ZERO, ZERO)) if statement else (ZERO, ZERO)
        row = HouseholdSettlement(
            household=household, statement=statement, paid=paid, outstanding=outstanding
        )
        entry = by_group.get(household.group_id)
        if entry is not None:
            entry.households.append(row)
            entry.totals.add(row)
    return list(by_group.values())


def group_settlement(group: VillagerGroup) -> GroupSettlement:
    """One villager group: each approved household's statement state and the totals."""
    households = with_stages(settlement_households().filter(group=group))
    money = money_by_statement(Statement.objects.filter(household__group=group))
    return _groups([group], households, money)[0]


def _summed(households: int, sums: dict | None) -> Totals:
    """A group's `Totals` from its approved households' count and its statements' sums
    (`totals.settlement_sums_by_group`): the same figures `Totals.add` gives row by row."""
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
    sums = settlement_sums_by_group(
        Statement.objects.filter(
            household__project=project, household__status=HouseholdStatus.APPROVED
        )
    )
    rows = [
        GroupSettlement(group=g, totals=_summed(counts.get(g.pk, 0), sums.get(g.pk)))
        for g in groups
    ]
    totals = Totals()
    for row in rows:
        totals.merge(row.totals)
    return ProjectSettlement(project=project, groups=rows, totals=totals)
