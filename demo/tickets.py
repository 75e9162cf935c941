"""The house-ticket stage of the demo data (issue 14; docs/tickets.md): the ticket project.

House tickets get a project of their own, the earlier project YH2011 (seed 002, Anqing
Yingjiang: a project settled 100 % by monetised resettlement), so the main project YH2013 is
left as the other stages leave it (its households held back at the lottery's publicity gate
stay waiting, its one settled villager group stays the only one). YH2011's households are
all approved with their entitlements and settled by no other stage; with every household
monetised nobody owes anything, so no collection has to come first and the payouts (the
tickets) may follow. Through the settlement and tickets services only:

- `leader` sets YH2011's prices (the demo's price rules) and its ticket policy: 6 months'
  validity (short, so the demo shows a ticket expire), 5 % reward within 3 months and 2 % in
  months 4–6, transferable once, split across purchases, the transition subsidy kept out of
  the face value (Huiyang 2025; none is due here: YH2011's families are not in transition),
  balances bought back at expiry (up to 5 % of the face value at 100 %, above at 90 %);
- `finance` registers two developers and their listed homes, with ticket prices above cash
  prices (seed 002's complaint);
- every household chooses monetised resettlement (`finance` records the choice and computes
  the statement), each statement goes through the fund-approval chain (one person a step,
  as demo.settlement does), and each household is issued its house ticket:
  - the first ticket (issued on day −100) is transferred once to a relative, who then uses it
    in two purchases (day −90, in month 1 with 5 %, and day −20, in month 3), leaving a balance;
  - the second (issued on day −200, past its six months) is used once on day −190 and then
    expires: the daily conversion buys its balance back by the rule;
  - the third (issued on day −60) buys one home on day −45; any further ticket (issued on
    day −30, −40, …) is left valid and unused;
- the first developer's redeemed purchases are gathered into a developers' settlement that
  waits for the chain's first step.

Dates: the issue, purchase and transfer dates are in the past (demo.dates' practice for dates
a service takes); the choices, approvals and payments carry the seeding's time. Everything
here is deterministic for a given seed but the tickets' verification codes (random, as the
service makes them). Runs inside seed_demo's transaction, after the settlement stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from demo.households import EARLIER_PROJECT_CODE
from demo.settlement import BANDS, CASHIER, PRICES, _approve, settlement_users
from households.models import Household, HouseholdStatus, Project
from resettlement.periods import today
from settlement.models import Outcome, Statement, StatementStatus
from settlement.selectors.payments import remaining
from settlement.services import payments, prices
from settlement.services import statements as settlement_statements
from tickets.models import HouseTicket
from tickets.services import developers, policies, settlements, tickets

TICKET_PROJECT_CODE = EARLIER_PROJECT_CODE

POLICY = {
    "validity_months": 6,
    "reward_tiers": [{"up_to_month": 3, "percent": "5"}, {"up_to_month": 6, "percent": "2"}],
    "transferable": "once",
    "splittable": True,
    "small_balance_percent": "5",
    "small_balance_rate": "100",
    "buy_back_rate": "90",
    "excluded_rules": ["transition_subsidy"],
    "on_expiry": "buy_back",
}
DEVELOPERS = (
    {
        "name": "杭州余杭城建置业有限公司",
        "credit_code": "91330110MA2H0RN59N",
        "bank_name": "中国农业银行杭州余杭支行",
        "bank_account": "19045101040012345",
        "contact_name": "沈经理",
        "contact_phone": "0571-86100001",
    },
    {
        "name": "杭州临平安居房地产开发有限公司",
        "credit_code": "91330110MA2KDQ2A4D",
        "bank_name": "杭州联合农村商业银行临平支行",
        "bank_account": "201000123456789",
        "contact_name": "陆经理",
        "contact_phone": "0571-86100002",
    },
)
# (developer index, name, area, ticket price, cash price, homes available)
LISTINGS = (
    (0, "良渚文化村 玉鸟苑 3-1", "89.00", "26800.00", "25500.00", 12),
    (0, "良渚文化村 玉鸟苑 5-2", "118.00", "26500.00", "25500.00", 6),
    (1, "临平新城 安居苑 2-1", "96.00", "19800.00", "18600.00", 20),
    (1, "临平新城 安居苑 7-3", "128.00", "19500.00", "18800.00", 4),
)
TRANSFER = ("王建军", "330184198512170632", "持票人将房票转让给其子购房使用")
FIRST_ISSUED, FIRST_PURCHASES = 100, (90, 20)
SECOND_ISSUED, SECOND_PURCHASE = 200, 190
THIRD_ISSUED, THIRD_PURCHASE = 60, 45


@dataclass
class TicketSummary:
    issued: list[str] = field(default_factory=list)
    purchases: int = 0
    transferred: str | None = None
    expired: list[str] = field(default_factory=list)
    settlement: str | None = None
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"{TICKET_PROJECT_CODE} house tickets: {len(self.issued)} issued"
            f" ({', '.join(self.issued)}), {self.purchases} purchases"
        ]
        if self.transferred:
            lines.append(f"  transferred once: {self.transferred}")
        if self.expired:
            lines.append(f"  expired and bought back: {', '.join(self.expired)}")
        if self.settlement:
            lines.append(f"  developers' settlement {self.settlement} waiting for approval")
        if self.skipped:
            lines.append(f"  no ticket: {'; '.join(self.skipped)}")
        return lines


def _day(days_ago: int) -> dt.date:
    return today() - dt.timedelta(days=days_ago)


def _issued_days_ago(index: int) -> int:
    """Days before today the `index`th ticket (in household code order) is issued."""
    if index < 3:
        return (FIRST_ISSUED, SECOND_ISSUED, THIRD_ISSUED)[index]
    return 30 + 10 * (index - 3)


def _monetised(project: Project, users: dict) -> list[Statement]:
    """Every approved household chooses monetised resettlement (seed 002), its statement
    computed and taken through the whole chain."""
    households = Household.objects.filter(
        project=project, status=HouseholdStatus.APPROVED
    ).order_by("code")
    approved = []
    for household in households:
        statement = settlement_statements.outcome_choose(
            actor=users["finance"], household=household, outcome=Outcome.MONETISED
        )
        _approve(statement, users)
        statement.refresh_from_db()
        if statement.status == StatementStatus.APPROVED:
            approved.append(statement)
    return approved


def _cash_part(ticket: HouseTicket, users: dict) -> None:
    """What the ticket leaves to be paid in cash (the excluded lines), paid."""
    statement = Statement.objects.get(pk=ticket.statement_id)
    owed = remaining(statement)
    if owed > 0:
        key = f"{TICKET_PROJECT_CODE}-{statement.household.code}-excluded-cash"
        payments.payment_record(
            actor=users[CASHIER],
            statement=statement,
            amount=owed,
            idempotency_key=key,
            reference=f"转账凭证 {key}(房票不含的部分)",
        )


def _use(ticket: HouseTicket, listing, contract: str, share: Decimal, on: dt.date, users) -> None:
    ticket.refresh_from_db()
    amount = (ticket.balance * share).quantize(Decimal("0.01"))
    tickets.ticket_purchase(
        actor=users[CASHIER],
        ticket=ticket,
        listing=listing,
        contract_number=contract,
        amount=amount,
        on=on,
    )


def seed_tickets(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> TicketSummary:
    """The ticket project: prices, the ticket policy, developers and listings, every
    household monetised and issued a ticket, tickets used, transferred, expired, and a
    developers' settlement (see the module docstring). Precondition: the registry stage has
    built YH2011 in this transaction."""
    users = settlement_users(users)
    finance = users[CASHIER]
    summary = TicketSummary()
    project = Project.objects.get(code=TICKET_PROJECT_CODE)
    prices.price_rules_set(actor=users["leader"], project=project, **PRICES, bands=BANDS)
    policies.ticket_policy_set(actor=users["leader"], project=project, **POLICY)
    companies = [developers.developer_save(actor=finance, **values) for values in DEVELOPERS]
    listings = [
        developers.listing_save(
            actor=finance,
            developer=companies[index],
            project=project,
            name=name,
            area=area,
            ticket_price=ticket_price,
            cash_price=cash_price,
            available=available,
            address="杭州市余杭区",
        )
        for index, name, area, ticket_price, cash_price, available in LISTINGS
    ]
    progress(f"  {TICKET_PROJECT_CODE}: prices, ticket policy, {len(listings)} listings")

    issued: list[HouseTicket] = []
    for index, statement in enumerate(_monetised(project, users)):
        ticket = tickets.ticket_issue(
            actor=finance, statement=statement, on=_day(_issued_days_ago(index))
        )
        _cash_part(ticket, users)
        issued.append(ticket)
        summary.issued.append(ticket.number)

    if issued:
        first = issued[0]
        tickets.ticket_transfer(
            actor=finance,
            ticket=first,
            to_name=TRANSFER[0],
            to_id_number=TRANSFER[1],
            reason=TRANSFER[2],
            on=_day(FIRST_ISSUED - 5),
        )
        summary.transferred = first.number
        _use(first, listings[0], "YZ-2026-0031", Decimal("0.6"), _day(FIRST_PURCHASES[0]), users)
        _use(first, listings[2], "AJ-2026-0107", Decimal("0.5"), _day(FIRST_PURCHASES[1]), users)
        summary.purchases += 2
    if len(issued) > 1:
        second = issued[1]
        _use(second, listings[3], "AJ-2026-0012", Decimal("0.8"), _day(SECOND_PURCHASE), users)
        summary.purchases += 1
        summary.expired = tickets.tickets_expire()
    if len(issued) > 2:
        third = issued[2]
        _use(third, listings[1], "YZ-2026-0058", Decimal("0.9"), _day(THIRD_PURCHASE), users)
        summary.purchases += 1
    if issued:
        batch = settlements.developer_settlement_open(
            actor=finance, project=project, developer=companies[0]
        )
        summary.settlement = batch.number
    for household in Household.objects.filter(project=project, status=HouseholdStatus.APPROVED):
        if not HouseTicket.objects.filter(household=household).exists():
            summary.skipped.append(household.code)
    progress(f"  {TICKET_PROJECT_CODE}: {len(issued)} house tickets issued")
    return summary
