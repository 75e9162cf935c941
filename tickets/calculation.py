"""The arithmetic of house tickets (docs/tickets.md), pure: the face value from a statement's
lines, the reward tier of a purchase, what a purchase takes from the balance, what a
buy-back pays. Money is Decimal, two places half up (`settlement.calculation.money`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from settlement.calculation import add_months, money, subsidy_months

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
INCOME = "income"


@dataclass(frozen=True)
class Line:
    side: str
    rule: str
    amount: Decimal


@dataclass(frozen=True)
class FaceValue:
    """A statement split into what the ticket carries and what is paid in cash."""

    face_value: Decimal  # included incomes − every expenditure
    excluded: Decimal  # incomes of the excluded rules: paid in cash


def face_value(lines: Iterable[Line], excluded_rules: Sequence[str]) -> FaceValue:
    """The ticket's face value: the statement's incomes other than those of the excluded
    rules, less its expenditures (deductions come off the ticket, not off the cash part)."""
    included = excluded = expenditure = ZERO
    for line in lines:
        if line.side != INCOME:
            expenditure += line.amount
        elif line.rule in excluded_rules:
            excluded += line.amount
        else:
            included += line.amount
    return FaceValue(face_value=money(included - expenditure), excluded=money(excluded))


def expiry_date(issued_on: dt.date, validity_months: int) -> dt.date:
    """The last day the ticket may be used: the issue date moved on by the validity months
    (31 January + 1 month = end of February)."""
    return add_months(issued_on, validity_months)


def month_of_use(issued_on: dt.date, on: dt.date) -> int:
    """The month after issue a use falls in: 1 on the issue date and up to one month after
    it, 2 in the next month, … (a started month counts, as for the transition subsidy)."""
    return max(subsidy_months(issued_on, on), 1)


def reward_percent(tiers: Sequence[Mapping], month: int) -> Decimal:
    """The percent of the first tier whose `up_to_month` reaches `month`; 0 beyond every
    tier."""
    for tier in sorted(tiers, key=lambda t: int(t["up_to_month"])):
        if month <= int(tier["up_to_month"]):
            return Decimal(str(tier["percent"]))
    return ZERO


def tier_problems(tiers: object) -> list[str]:
    """What is wrong with a list of reward tiers, in words (empty when it is fine)."""
    if not isinstance(tiers, list):
        return ["not_a_list"]
    problems = []
    last = 0
    for tier in tiers:
        try:
            month = int(tier["up_to_month"])
            percent = Decimal(str(tier["percent"]))
        except (KeyError, TypeError, ValueError, ArithmeticError):
            problems.append("malformed")
            continue
        if month <= last:
            problems.append("months_not_increasing")
        if not percent.is_finite() or percent < 0 or percent > HUNDRED:
            problems.append("percent_out_of_range")
        last = max(last, month)
    return problems


def usable_value(balance: Decimal, percent: Decimal) -> Decimal:
    """The most a purchase may take: the balance with the reward on it."""
    return money(balance * (HUNDRED + percent) / HUNDRED)


@dataclass(frozen=True)
class Use:
    amount: Decimal  # paid to the developer
    face_used: Decimal  # taken from the balance
    reward: Decimal  # credited at use: amount − face_used


def split_use(amount: Decimal, balance: Decimal, percent: Decimal) -> Use:
    """Split a purchase `amount` (≤ `usable_value(balance, percent)`) into the face value it
    takes and the reward credited on it: face = amount ÷ (1 + percent), to the cent, never
    beyond the balance; the reward is the rest, so amount = face + reward exactly."""
    if amount == usable_value(balance, percent):
        face = balance
    else:
        face = min(money(amount * HUNDRED / (HUNDRED + percent)), balance)
    return Use(amount=amount, face_used=face, reward=amount - face)


@dataclass(frozen=True)
class BuyBack:
    balance: Decimal
    rate: Decimal  # percent
    amount_paid: Decimal
    forfeited: Decimal


def buy_back(
    *,
    balance: Decimal,
    face: Decimal,
    small_balance_percent: Decimal,
    small_balance_rate: Decimal,
    buy_back_rate: Decimal,
) -> BuyBack:
    """A balance up to `small_balance_percent` of the face value is bought back at
    `small_balance_rate` percent of it, a larger one at `buy_back_rate` percent; what is not
    paid is forfeited."""
    small = balance <= money(face * small_balance_percent / HUNDRED)
    rate = small_balance_rate if small else buy_back_rate
    paid = money(balance * rate / HUNDRED)
    return BuyBack(balance=balance, rate=rate, amount_paid=paid, forfeited=balance - paid)


def forfeit(balance: Decimal) -> BuyBack:
    """Expiry under a policy that buys nothing back: the whole balance is forfeited."""
    return BuyBack(balance=balance, rate=ZERO, amount_paid=ZERO, forfeited=balance)
