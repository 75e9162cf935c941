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


def paid_so_far(statement: Statement) -> Decimal:
    """Paid to, or collected from, the household so far, in the direction of the statement's
    net: the signed paid of `selectors.totals` without its sign (a payment the other way, a
    refund, counts against it). Prefetched payments are used."""
    toward = PaymentDirection.COLLECT if statement.net < 0 else PaymentDirection.PAY
    return sum(
        (p.amount if p.direction == toward else -p.amount for p in statement.payments.all()),
        ZERO,
    )
