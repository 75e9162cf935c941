"""Payments (收付款) against an approved statement: in the direction the net says, never
beyond what was approved, collect first and pay later within a villager group, idempotent
(see `services.approvals` for the chain that approves the statement first)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household, HouseholdStatus
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.money import money_figure
from resettlement.roles import require_permission
from settlement import gates
from settlement.models import (
    Payment,
    PaymentDirection,
    Statement,
    StatementStatus,
)
from settlement.selectors.payments import (
    direction,
    outstanding,
    paid_so_far,
    payout_blocker,
)
from settlement.selectors.payments import (
    remaining as signed_remaining,
)
from settlement.services.corrections import correction_close_if_settled

TWO_PLACES = Decimal("0.01")
IDEMPOTENCY_KEY_MAX = 64


# -- payments -------------------------------------------------------------------------------


def direction_of(statement: Statement) -> str | None:
    """Pay or collect: the sign of what remains (`selectors.payments.direction`)."""
    return direction(statement)


def payment_refusal(actor, statement: Statement, paid: Decimal) -> RuleViolation | None:
    """Why `actor` may not record a payment on `statement` now, `paid` having been paid or
    collected so far, or None when they may. The amount and collect-first are checked with
    the payment itself (`payment_record`)."""
    try:
        require_permission(actor, "settlement.record_payment")
    except NotAllowed as exc:
        return exc
    if statement.status == StatementStatus.SETTLED:
        return RuleViolation(
            "already_settled",
            _("结算单“%(s)s”已结清,不能再登记收付款。") % {"s": statement},
        )
    if statement.status != StatementStatus.APPROVED:
        return RuleViolation(
            "not_approved",
            _("结算单“%(s)s”尚未完成资金审批(当前:%(status)s),不能登记收付款。")
            % {"s": statement, "status": statement.get_status_display()},
        )
    if outstanding(statement, paid) <= 0:  # pragma: no cover - such a statement is settled
        return RuleViolation("already_settled", _("结算单“%(s)s”已结清。") % {"s": statement})
    try:
        gates.payable(statement)
    except RuleViolation as exc:
        return exc
    return None


@dataclass(frozen=True)
class Blocker:
    """A household of the group that keeps payouts waiting, and why."""

    household: Household
    reason: str


def payout_blockers(statement: Statement) -> list[Blocker]:
    """Collect first, pay later: the approved households of the statement's villager group
    that still owe a collection, or whose statement is not approved yet (it may turn out to
    owe)."""
    household = statement.household
    households = (
        Household.objects.filter(group_id=household.group_id, status=HouseholdStatus.APPROVED)
        .exclude(pk=household.pk)
        .select_related("statement")
        .prefetch_related("statement__payments")  # what remains on each: one query, not one each
        .order_by("code")
    )
    blockers = []
    for other in households:
        theirs = getattr(other, "statement", None)
        reason = payout_blocker(theirs, signed_remaining(theirs) if theirs is not None else None)
        if reason is not None:
            blockers.append(Blocker(other, reason))
    return blockers


def _money(value, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite():
        raise RuleViolation(
            "invalid_input",
            _("金额“%(v)s”不是有效的数字。") % {"v": value},
            details=[{"field": field, "message": _("请输入有效的金额。"), "code": "invalid"}],
        )
    if amount != amount.quantize(TWO_PLACES):
        raise RuleViolation(
            "invalid_input",
            _("金额最多保留两位小数(分)。"),
            details=[{"field": field, "message": _("金额最多保留两位小数。"), "code": "invalid"}],
        )
    if amount <= 0:
        raise RuleViolation(
            "invalid_input",
            _("金额必须大于零。"),
            details=[{"field": field, "message": _("金额必须大于零。"), "code": "invalid"}],
        )
    return amount.quantize(TWO_PLACES)


def _repeat(payment: Payment, *, statement: Statement, amount: Decimal, reference: str) -> Payment:
    """A request whose key was used before: the same request again, or a reused key."""
    if (
        payment.statement_id != statement.pk
        or payment.amount != amount
        or payment.reference != reference
    ):
        raise RuleViolation(
            "idempotency_key_reused",
            _("该幂等键已用于另一笔不同的收付款(%(s)s,%(a)s 元),本次请求未登记。")
            % {"s": payment.statement, "a": money_figure(payment.amount)},
        )
    return payment


def payment_record(
    *,
    actor,
    statement: Statement,
    amount: Decimal | str,
    idempotency_key: str,
    reference: str = "",
) -> tuple[Payment, bool]:
    """Record money paid to or collected from the household of an approved statement.

    Returns (payment, created). A request repeating an earlier one's idempotency key with the
    same statement, amount and reference returns that payment with created=False; the same
    key with different data is refused. The statement row is locked while the payment is
    checked and written.
    """
    require_permission(actor, "settlement.record_payment")
    key = (idempotency_key or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise RuleViolation(
            "idempotency_key_invalid",
            _("缺少幂等键,或幂等键超过 %(n)d 个字符。") % {"n": IDEMPOTENCY_KEY_MAX},
        )
    amount = _money(amount)
    reference = (reference or "").strip()
    earlier = Payment.objects.filter(idempotency_key=key).select_related("statement").first()
    if earlier is not None:
        return _repeat(earlier, statement=statement, amount=amount, reference=reference), False
    try:
        with transaction.atomic():
            return _payment_write(
                actor=actor, statement=statement, amount=amount, key=key, reference=reference
            )
    except IntegrityError:
        # A concurrent request with the same key (on another statement's lock) won the race.
        earlier = Payment.objects.filter(idempotency_key=key).select_related("statement").first()
        if earlier is None:
            raise
        return _repeat(earlier, statement=statement, amount=amount, reference=reference), False


def _payment_write(
    *, actor, statement: Statement, amount: Decimal, key: str, reference: str
) -> tuple[Payment, bool]:
    """Caller holds a transaction. Locks the statement, re-checks everything, writes."""
    statement = (
        Statement.objects.select_for_update().select_related("household").get(pk=statement.pk)
    )
    # Waiting for the lock, a request with this key may have committed its payment.
    earlier = Payment.objects.filter(idempotency_key=key).select_related("statement").first()
    if earlier is not None:
        return _repeat(earlier, statement=statement, amount=amount, reference=reference), False
    paid = paid_so_far(statement)
    refusal = payment_refusal(actor, statement, paid)
    if refusal is not None:
        raise refusal
    direction = direction_of(statement)
    remaining = outstanding(statement, paid)
    if amount > remaining:
        raise RuleViolation(
            "over_payment",
            _("金额 %(a)s 元超过尚未%(what)s的 %(r)s 元。")
            % {
                "a": money_figure(amount),
                "what": _("支付") if direction == PaymentDirection.PAY else _("收取"),
                "r": money_figure(remaining),
            },
        )
    if direction == PaymentDirection.PAY:
        blockers = payout_blockers(statement)
        if blockers:
            names = "、".join(f"{b.household.code}({b.reason})" for b in blockers[:10])
            more = len(blockers) - 10
            raise RuleViolation(
                "collect_first",
                _("先收后支:本村民小组还有 %(n)d 户未收齐或未审批完成,暂不能付款:%(names)s")
                % {"n": len(blockers), "names": names + ("…" if more > 0 else "")},
                details=[
                    {"household": b.household.code, "reason": str(b.reason)} for b in blockers
                ],
            )
    payment = Payment.objects.create(
        statement=statement,
        direction=direction,
        amount=amount,
        idempotency_key=key,
        reference=reference,
        recorded_by=actor,
    )
    if amount == remaining:
        statement.status = StatementStatus.SETTLED
        statement.settled_at = timezone.now()
        statement.save(update_fields=["status", "settled_at"])
        correction_close_if_settled(statement, actor=actor)
    audit_record(actor=actor, action="payment.record", obj=payment, payload=_payment_facts(payment))
    return payment, True


def _payment_facts(payment: Payment) -> dict:
    return {
        "statement_id": payment.statement_id,
        "household": payment.statement.household.code,
        "direction": payment.direction,
        "amount": payment.amount,
        "reference": payment.reference,
        "idempotency_key": payment.idempotency_key,
        "statement_status": payment.statement.status,
    }
