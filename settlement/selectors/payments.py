"""What has been paid and what is outstanding on one statement, in the direction of its net
(the payment services' view), and why a household keeps its group's payouts waiting."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from settlement.models import (
    PaymentDirection,
    Statement,
    StatementStatus,
)

ZERO = Decimal("0.00")
APPROVED_STATES = (StatementStatus.APPROVED, StatementStatus.SETTLED)


def signed_paid(statement: Statement) -> Decimal:
    """Paid to (+) or collected from (−) the household so far, signed like the net (the
    `paid` of `selectors.totals`). Prefetched payments are used."""
    return sum(
        (
            -p.amount if p.direction == PaymentDirection.COLLECT else p.amount
            for p in statement.payments.all()
        ),
        ZERO,
    )


def direction(statement: Statement) -> str | None:
    """Which way the money still goes: the sign of what remains (`net − paid`, signed) on an
    approved statement, else of the net. A corrected statement (a new version after
    settlement) nets off what was paid: when it gives less than was paid, the remainder is
    collected back, whatever the sign of its net."""
    remaining = statement.net
    if statement.status in APPROVED_STATES:
        remaining = statement.net - signed_paid(statement)
        if remaining == 0:
            remaining = statement.net
    if remaining > 0:
        return PaymentDirection.PAY
    if remaining < 0:
        return PaymentDirection.COLLECT
    return None


def outstanding(statement: Statement, paid: Decimal) -> Decimal:
    """Still to pay or collect (in `direction`) on an approved statement, `paid` having
    been paid or collected so far in that direction (`paid_so_far`); nothing before it is
    approved."""
    if statement.status not in APPROVED_STATES:
        return ZERO
    toward_net = (
        statement.net if direction(statement) != PaymentDirection.COLLECT else -statement.net
    )
    return toward_net - paid


def payout_blocker(statement: Statement | None, outstanding: Decimal | None = None) -> str | None:
    """Collect first, pay later (seed 000): why an approved household with this statement
    (None: none yet) keeps its villager group's payouts waiting, or None when it does not.
    It may still turn out to owe, or it owes and has not paid in full. `outstanding` is what
    remains, signed like the net (`remaining`, or the finance totals' figure) when the caller
    has it: a corrected version may owe a collection back whatever its net's sign; without
    it, the net's sign says who owes."""
    if statement is None:
        return _("尚无结算单")
    if statement.status not in APPROVED_STATES:
        return _("结算单尚未审批完成")
    owes = outstanding < 0 if outstanding is not None else statement.net < 0
    if owes and statement.status != StatementStatus.SETTLED:
        return _("应收款尚未收齐")
    return None


def paid_so_far(statement: Statement) -> Decimal:
    """Paid to, or collected from, the household so far, in the statement's `direction`: the
    signed paid of `selectors.totals` without its sign (a payment the other way, a refund,
    counts against it). Prefetched payments are used."""
    paid = signed_paid(statement)
    return -paid if direction(statement) == PaymentDirection.COLLECT else paid


def remaining(statement: Statement) -> Decimal:
    """What is still to pay (+) or collect (−), signed like the net: `net − paid` on an
    approved statement (the `outstanding` of `selectors.totals`), nothing before."""
    if statement.status not in APPROVED_STATES:
        return ZERO
    return statement.net - signed_paid(statement)
