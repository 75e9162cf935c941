"""Test data for approvals and payments: a project with villager groups of approved
households whose statements are written with the ORM directly (the statement arithmetic has
its own tests), and the people of the seven-step chain.

Import the fixtures a module uses: `from tests.settlement.money_fixtures import money, chain`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from households.models import (
    Community,
    Household,
    HouseholdStatus,
    HukouNature,
    Member,
    Project,
    Relation,
    VillagerGroup,
)
from settlement.models import (
    LineSide,
    Statement,
    StatementLine,
    StatementStatus,
)
from settlement.services import approvals
from tests.factories import ProjectFactory, id_number, make_user

_codes = itertools.count(1)


@dataclass
class Chain:
    """One person per step of the default chain, in order, and a spare finance officer."""

    reviewer: object
    leader: object
    director: object
    finance_leader: object
    company: object
    bank: object
    cashier: object

    @property
    def people(self) -> list:
        return [
            self.reviewer,
            self.leader,
            self.director,
            self.finance_leader,
            self.company,
            self.bank,
            self.cashier,
        ]


@dataclass
class Money:
    project: Project
    group: VillagerGroup  # G1: one household owes, two are owed
    other_group: VillagerGroup  # G2: one household owed
    owes: Household  # net -20,000.00
    owed: Household  # net +30,000.00
    owed_too: Household  # net +15,000.00
    elsewhere: Household  # G2, net +8,000.00


def make_household(group: VillagerGroup, *, actor, code: str | None = None) -> Household:
    household = Household.objects.create(
        project=group.project,
        community=group.community,
        group=group,
        code=code or f"M{next(_codes):04d}",
        address="南宫河村",
        status=HouseholdStatus.APPROVED,
        registered_by=actor,
        approved_by=actor,
        approved_at=timezone.now(),
        resettlement_population=3,
        entitlement_area=Decimal("150.00"),
        demolished_area=Decimal("180.50"),
    )
    Member.objects.create(
        project=group.project,
        household=household,
        name="王建国",
        id_number=id_number(dt.date(1970, 3, 15)),
        sex="M",
        birth_date=dt.date(1970, 3, 15),
        relation=Relation.HEAD,
        hukou_nature=HukouNature.AGRICULTURAL,
        entered_by=actor,
    )
    return household


def make_statement(household: Household, net: Decimal | str) -> Statement:
    """A draft statement with one income and one expenditure line giving `net`."""
    net = Decimal(net)
    expenditure = Decimal("100000.00")
    income = expenditure + net
    statement = Statement.objects.create(
        household=household,
        project=household.project,
        income_total=income,
        expenditure_total=expenditure,
        net=net,
        inputs={"test": True},
        computed_at=timezone.now(),
    )
    StatementLine.objects.create(
        statement=statement,
        position=1,
        side=LineSide.INCOME,
        rule="demolition",
        label="被拆迁房屋补偿",
        inputs={"area": "180.50"},
        amount=income,
    )
    StatementLine.objects.create(
        statement=statement,
        position=2,
        side=LineSide.EXPENDITURE,
        rule="within_entitlement",
        label="应安置面积内购房款",
        inputs={"area": "150.00"},
        amount=expenditure,
    )
    return statement


def approve_next(*, actor, statement: Statement, comment: str = ""):
    """Approve the step the statement waits for now, as the statement's page (showing that
    step) asks for it. A statement waiting for no step is asked for step 1."""
    step = approvals.next_step(Statement.objects.get(pk=statement.pk))
    return approvals.statement_approve(
        actor=actor,
        statement=statement,
        expected_position=step.position if step is not None else 1,
        comment=comment,
    )


def approve_through(statement: Statement, chain: Chain, *, steps: int | None = None) -> Statement:
    """Take the first `steps` steps of the default chain (all of them by default)."""
    for person in chain.people[: steps if steps is not None else len(chain.people)]:
        approve_next(actor=person, statement=statement)
    statement.refresh_from_db()
    return statement


@pytest.fixture
def chain(roles) -> Chain:
    return Chain(
        reviewer=make_user("m_reviewer", "reviewer", first_name="赵审核"),
        leader=make_user("m_leader", "leader", first_name="陈分管"),
        director=make_user("m_director", "leader", first_name="钱主任"),
        finance_leader=make_user("m_finlead", "finance", first_name="孙财务领导"),
        company=make_user("m_company", "finance", first_name="周公司"),
        bank=make_user("m_bank", "finance", first_name="吴银行"),
        cashier=make_user("m_cashier", "finance", first_name="郑出纳"),
    )


@pytest.fixture
def money(roles) -> Money:
    clerk = make_user("m_clerk", "clerk", first_name="李登记")
    project = ProjectFactory()
    community = Community.objects.create(project=project, code="C1", name="南宫河村")
    group = VillagerGroup.objects.create(
        project=project, community=community, code="G1", name="第一组"
    )
    other = VillagerGroup.objects.create(
        project=project, community=community, code="G2", name="第二组"
    )
    owes = make_household(group, actor=clerk, code="H001")
    owed = make_household(group, actor=clerk, code="H002")
    owed_too = make_household(group, actor=clerk, code="H003")
    elsewhere = make_household(other, actor=clerk, code="H101")
    make_statement(owes, "-20000.00")
    make_statement(owed, "30000.00")
    make_statement(owed_too, "15000.00")
    make_statement(elsewhere, "8000.00")
    return Money(project, group, other, owes, owed, owed_too, elsewhere)


def statement_of(household: Household) -> Statement:
    return Statement.objects.get(household=household)


__all__ = [
    "Chain",
    "Money",
    "StatementStatus",
    "approve_next",
    "approve_through",
    "chain",
    "make_household",
    "make_statement",
    "money",
    "statement_of",
]
