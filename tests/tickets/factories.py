"""House-ticket test data: monetised households with approved statements (through the
settlement services, so the ticket service finds them as it would in use), a project's
ticket policy, developers and listings, tickets issued through the service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from households.models import Community, Household, Project, VillagerGroup
from resettlement.periods import today
from settlement.models import Outcome, PriceRules, Statement, Transition
from settlement.services import statements as settlement_statements
from tests.households.factories import ProjectFactory
from tests.settlement.factories import (
    approve_through,
    make_household,
    make_statement,
    set_price_rules,
)
from tickets.models import Developer, HouseTicket, Listing
from tickets.services import developers, policies, tickets

# Valid credit codes (统一社会信用代码, checked by python-stdnum).
CREDIT_CODES = ("91110000600037341L", "91330000MA27U8QX43", "91440300MA5FPFQD0B")

# Xiamen's terms (LAW.md): 5 % within 12 months, 2 % in months 13–24.
XIAMEN_TIERS = [{"up_to_month": 12, "percent": "5"}, {"up_to_month": 24, "percent": "2"}]


def ticket_project(leader, **policy) -> tuple[Project, VillagerGroup]:
    """A project with one community and one villager group, and its ticket policy."""
    project = ProjectFactory()
    community = Community.objects.create(project=project, code="C1", name="迎江村")
    group = VillagerGroup.objects.create(
        project=project, community=community, code="G1", name="第一组"
    )
    set_policy(project, leader, **policy)
    return project, group


def set_policy(project, leader, **overrides):
    values = {
        "validity_months": 24,
        "reward_tiers": XIAMEN_TIERS,
        "transferable": "once",
        "splittable": True,
        "excluded_rules": ["transition_subsidy"],
        "on_expiry": "buy_back",
        **overrides,
    }
    return policies.ticket_policy_set(actor=leader, project=project, **values)


def approved_statement(household: Household, net: Decimal | str, chain) -> Statement:
    """A monetised draft statement of net `net` (tests.settlement.factories.make_statement:
    an income less a deduction of 100,000.00) taken through the whole approval chain."""
    statement = make_statement(household, net)
    return approve_through(statement, chain)


def subsidised_statement(household: Household, chain, *, actor) -> Statement:
    """A monetised statement with a transition-subsidy line (moved out 45 days ago: two
    started months) besides its demolition and monetised lines, approved."""
    if not PriceRules.objects.filter(project=household.project).exists():
        set_price_rules(
            household.project,
            actor,
            bands=[(None, Decimal("0.00"))],
            demolition_price=Decimal("1000.00"),
            monetised_price=Decimal("2000.00"),
            subsidy_rate=Decimal("500.00"),
        )
    Transition.objects.create(
        household=household, moved_out_on=today() - dt.timedelta(days=45), recorded_by=actor
    )
    with transaction.atomic():
        statement = settlement_statements._compute(household, actor=None, outcome=Outcome.MONETISED)
    return approve_through(statement, chain)


def ticketed(
    group, *, code: str, net: Decimal | str, chain, finance, on: dt.date | None = None
) -> HouseTicket:
    """A household of `group` with an approved monetised statement of net `net` and its
    ticket, issued on `on` (today by default)."""
    household = make_household(group, actor=finance, code=code)
    statement = approved_statement(household, net, chain)
    return tickets.ticket_issue(actor=finance, statement=statement, on=on)


def developer(finance, number: int = 0, name: str = "安庆华润置地有限公司") -> Developer:
    return developers.developer_save(
        actor=finance,
        name=name,
        credit_code=CREDIT_CODES[number],
        bank_name="中国工商银行安庆分行",
        bank_account="1307012345678901234",
        contact_name="王经理",
        contact_phone="13800001111",
    )


def listing(
    finance, dev: Developer, project: Project, name: str = "润园1-101", **values
) -> Listing:
    return developers.listing_save(
        actor=finance,
        developer=dev,
        project=project,
        name=name,
        area=values.pop("area", "89.50"),
        ticket_price=values.pop("ticket_price", "8800.00"),
        cash_price=values.pop("cash_price", "8200.00"),
        available=values.pop("available", 20),
        address=values.pop("address", "安庆市迎江区华中路"),
        **values,
    )
