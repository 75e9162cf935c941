"""House tickets (房票): issued against a monetised household's approved statement, used to buy
listed homes (a reward credited at use), transferred as the policy allows, bought back on
request, converted at expiry (docs/tickets.md). Every refusal names the ticket number (when
there is one) and the household.

Per ticket, at every moment: face value + rewards = purchases + buy-back paid + forfeited +
balance (the reconciliation identity; balance is 0 once the ticket is used up, bought back
or expired).
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from households import idnumbers
from households.access import require_project_access
from households.models import Member, Relation
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, field_error
from resettlement.money import money_figure
from resettlement.periods import today
from resettlement.roles import require_permission
from settlement.models import Outcome, Statement, StatementStatus
from settlement.selectors.payments import outstanding, paid_so_far
from settlement.services.payments import payment_record
from tickets import calculation
from tickets.models import (
    BuyBackReason,
    HouseTicket,
    Listing,
    OnExpiry,
    TicketBuyBack,
    TicketPolicy,
    TicketPurchase,
    TicketStatus,
    TicketTransfer,
    Transferable,
)

TWO_PLACES = Decimal("0.01")
# Verification codes are read off paper: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


# -- refusals -------------------------------------------------------------------------------


def _household_refusal(household, code: str, message: str, **kwargs) -> RuleViolation:
    return RuleViolation(
        code, _("安置户 %(h)s:%(m)s") % {"h": household.code, "m": message}, **kwargs
    )


def _refusal(ticket: HouseTicket, code: str, message: str, **kwargs) -> RuleViolation:
    return RuleViolation(
        code,
        _("房票 %(n)s(安置户 %(h)s):%(m)s")
        % {"n": ticket.number, "h": ticket.household.code, "m": message},
        **kwargs,
    )


def _not_allowed(actor, perm: str, ticket: HouseTicket | None = None, household=None) -> None:
    """The permission, and the ticket's or household's project granted to the actor; a
    refusal names the ticket and household."""
    try:
        require_permission(actor, perm)
        project = ticket.project_id if ticket is not None else None
        if household is not None:
            project = household.project_id
        require_project_access(actor, project)
    except NotAllowed as exc:
        if ticket is not None:
            exc.message = _("房票 %(n)s(安置户 %(h)s):%(m)s") % {
                "n": ticket.number,
                "h": ticket.household.code,
                "m": exc.message,
            }
        elif household is not None:
            exc.message = _("安置户 %(h)s:%(m)s") % {"h": household.code, "m": exc.message}
        exc.args = (exc.message,)
        raise


def _amount(ticket: HouseTicket, value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise _refusal(
            ticket,
            "invalid_input",
            _("金额“%(v)s”应为大于零的数字。") % {"v": value},
            details=[field_error("amount", _("请输入大于零的金额。"))],
        )
    if amount != amount.quantize(TWO_PLACES):
        raise _refusal(
            ticket,
            "invalid_input",
            _("金额最多保留两位小数(分)。"),
            details=[field_error("amount", _("金额最多保留两位小数。"))],
        )
    return amount


def _day(on: dt.date | None) -> dt.date:
    return on if on is not None else today()


def _locked(ticket: HouseTicket) -> HouseTicket:
    return (
        HouseTicket.objects.select_for_update(of=("self",))
        .select_related("household", "project__ticket_policy")
        .get(pk=ticket.pk)
    )


def _usable(ticket: HouseTicket, on: dt.date) -> None:
    """Refuse a use of a ticket that is not valid on `on`."""
    if ticket.status != TicketStatus.VALID:
        raise _refusal(
            ticket,
            "ticket_not_valid",
            _("房票状态为“%(s)s”,不能再使用。") % {"s": ticket.get_status_display()},
        )
    if on > ticket.expires_on:
        raise _refusal(
            ticket,
            "ticket_expired",
            _("房票已于 %(d)s 到期。") % {"d": ticket.expires_on.isoformat()},
        )
    if on < ticket.issued_on:
        raise _refusal(
            ticket,
            "invalid_input",
            _("日期 %(d)s 早于签发日期 %(i)s。")
            % {"d": on.isoformat(), "i": ticket.issued_on.isoformat()},
            details=[field_error("on", _("日期不能早于签发日期。"))],
        )
    if on > today():
        raise _refusal(
            ticket,
            "invalid_input",
            _("日期 %(d)s 晚于今天。") % {"d": on.isoformat()},
            details=[field_error("on", _("日期不能晚于今天。"))],
        )


# -- issue ----------------------------------------------------------------------------------


def _number(project) -> str:
    """The project's next ticket number, e.g. FP-P2025-00001. Caller holds the policy lock,
    so two issues in one project never pick the same number."""
    prefix = f"FP-{project.code}-"
    count = HouseTicket.objects.filter(project=project).count()
    number = f"{prefix}{count + 1:05d}"
    while HouseTicket.objects.filter(number=number).exists():  # pragma: no cover - defensive
        count += 1
        number = f"{prefix}{count + 1:05d}"
    return number


def _head(household) -> Member | None:
    return Member.objects.filter(household=household, relation=Relation.HEAD).first()


def ticket_face_value(statement: Statement, policy: TicketPolicy) -> calculation.FaceValue:
    """What a ticket for `statement` carries and what stays to be paid in cash."""
    lines = [
        calculation.Line(side=line.side, rule=line.rule, amount=line.amount)
        for line in statement.lines.all()
    ]
    return calculation.face_value(lines, policy.excluded_rules)


def ticket_issue(*, actor, statement: Statement, on: dt.date | None = None) -> HouseTicket:
    """Issue the ticket of a monetised household whose statement is approved: its face value
    is the statement's incomes less the policy's excluded lines, less its expenditures. The
    ticket is recorded against the statement as a payment (reference: the ticket number), so
    the statement is settled by it when nothing is excluded; the excluded lines stay to be
    paid in cash through `payment_record`."""
    household = statement.household
    _not_allowed(actor, "tickets.issue_ticket", household=household)
    issued_on = _day(on)
    with transaction.atomic():
        try:
            policy = TicketPolicy.objects.select_for_update().get(project=statement.project_id)
        except TicketPolicy.DoesNotExist:
            raise _household_refusal(
                household, "no_ticket_policy", _("项目尚未设置房票政策,不能签发房票。")
            ) from None
        statement = (
            Statement.objects.select_for_update(of=("self",))
            .select_related("household", "project")
            .get(pk=statement.pk)
        )
        if HouseTicket.objects.filter(statement=statement).exists():
            raise _household_refusal(household, "ticket_exists", _("已签发房票,不能重复签发。"))
        if statement.outcome != Outcome.MONETISED:
            raise _household_refusal(
                household,
                "not_monetised",
                _("安置方式为“%(o)s”,只有货币化安置(房票)的安置户可以签发房票。")
                % {"o": statement.get_outcome_display()},
            )
        if statement.status != StatementStatus.APPROVED:
            raise _household_refusal(
                household,
                "not_approved",
                _("结算单状态为“%(s)s”,资金审批完成且未结清的结算单才能签发房票。")
                % {"s": statement.get_status_display()},
            )
        split = ticket_face_value(statement, policy)
        if split.face_value <= 0:
            raise _household_refusal(
                household, "no_face_value", _("扣除不计入房票的项目后,房票面值不大于零。")
            )
        remaining = outstanding(statement, paid_so_far(statement))
        if split.face_value > remaining:
            raise _household_refusal(
                household,
                "face_value_beyond_outstanding",
                _("房票面值 %(f)s 元超过结算单尚未支付的 %(r)s 元。")
                % {"f": money_figure(split.face_value), "r": money_figure(remaining)},
            )
        if issued_on > today():
            raise _household_refusal(
                household,
                "invalid_input",
                _("签发日期不能晚于今天。"),
                details=[field_error("on", _("签发日期不能晚于今天。"))],
            )
        number = _number(statement.project)
        payment, _created = payment_record(
            actor=actor,
            statement=statement,
            amount=split.face_value,
            idempotency_key=f"house-ticket-{number}",
            reference=number,
        )
        head = _head(household)
        ticket = HouseTicket.objects.create(
            number=number,
            verification_code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
            project=statement.project,
            household=household,
            statement=statement,
            payment=payment,
            holder_name=head.name if head else household.code,
            holder_id_number=head.id_number if head else "",
            face_value=split.face_value,
            balance=split.face_value,
            issued_on=issued_on,
            expires_on=calculation.expiry_date(issued_on, policy.validity_months),
            issued_by=actor,
        )
        audit_record(
            actor=actor,
            action="ticket.issue",
            obj=ticket,
            payload={
                "number": number,
                "household": household.code,
                "statement_id": statement.pk,
                "face_value": ticket.face_value,
                "excluded_in_cash": split.excluded,
                "issued_on": issued_on,
                "expires_on": ticket.expires_on,
            },
        )
    return ticket


# -- purchase -------------------------------------------------------------------------------


def ticket_purchase(
    *,
    actor,
    ticket: HouseTicket,
    listing: Listing,
    contract_number: str,
    amount: Decimal | str,
    on: dt.date | None = None,
) -> TicketPurchase:
    """Record a home bought with the ticket: `amount` is what the ticket pays the developer
    under the contract. The reward tier of the month of use is credited on the face value
    used (amount = face used + reward), so at most balance × (1 + reward %) can be used; a
    policy that does not split a ticket takes only the whole of it."""
    _not_allowed(actor, "tickets.record_ticket_use", ticket=ticket)
    purchased_on = _day(on)
    contract = (contract_number or "").strip()
    with transaction.atomic():
        ticket = _locked(ticket)
        policy = ticket.project.ticket_policy
        _usable(ticket, purchased_on)
        amount = _amount(ticket, amount)
        if not contract:
            raise _refusal(
                ticket,
                "invalid_input",
                _("请填写购房合同编号。"),
                details=[field_error("contract_number", _("请填写购房合同编号。"))],
            )
        listing = Listing.objects.select_for_update().select_related("developer").get(pk=listing.pk)
        if listing.project_id != ticket.project_id:
            raise _refusal(
                ticket,
                "listing_of_another_project",
                _("房源“%(l)s”不属于本项目,不能用本项目的房票购买。") % {"l": listing},
            )
        if listing.available < 1:
            raise _refusal(
                ticket, "listing_sold_out", _("房源“%(l)s”已无可售房屋。") % {"l": listing}
            )
        if TicketPurchase.objects.filter(
            developer=listing.developer, contract_number=contract
        ).exists():
            raise _refusal(
                ticket,
                "contract_repeated",
                _("开发企业“%(d)s”的购房合同 %(c)s 已登记过。")
                % {"d": listing.developer, "c": contract},
                details=[field_error("contract_number", _("该合同编号已登记。"))],
            )
        month = calculation.month_of_use(ticket.issued_on, purchased_on)
        percent = calculation.reward_percent(policy.reward_tiers, month)
        usable = calculation.usable_value(ticket.balance, percent)
        if amount > usable:
            raise _refusal(
                ticket,
                "beyond_balance",
                _(
                    "金额 %(a)s 元超过房票可用金额 %(u)s 元"
                    "(余额 %(b)s 元,第 %(m)d 个月奖励 %(p)s%%)。"
                )
                % {
                    "a": money_figure(amount),
                    "u": money_figure(usable),
                    "b": money_figure(ticket.balance),
                    "m": month,
                    "p": percent,
                },
                details=[field_error("amount", _("超过房票可用金额。"))],
            )
        if not policy.splittable and amount != usable:
            raise _refusal(
                ticket,
                "not_splittable",
                _("本项目房票不可分次使用,须一次用完全部可用金额 %(u)s 元。")
                % {"u": money_figure(usable)},
                details=[field_error("amount", _("须一次用完。"))],
            )
        use = calculation.split_use(amount, ticket.balance, percent)
        try:
            with transaction.atomic():
                purchase = TicketPurchase.objects.create(
                    ticket=ticket,
                    developer=listing.developer,
                    listing=listing,
                    contract_number=contract,
                    amount=use.amount,
                    face_used=use.face_used,
                    reward=use.reward,
                    reward_percent=percent,
                    month=month,
                    purchased_on=purchased_on,
                    recorded_by=actor,
                )
        except IntegrityError:
            # Another developer-contract pair with this number won a race.
            raise _refusal(
                ticket,
                "contract_repeated",
                _("开发企业“%(d)s”的购房合同 %(c)s 已登记过。")
                % {"d": listing.developer, "c": contract},
            ) from None
        ticket.balance -= use.face_used
        ticket.reward_total += use.reward
        if ticket.balance == 0:
            ticket.status = TicketStatus.USED
        ticket.save(update_fields=["balance", "reward_total", "status"])
        listing.available -= 1
        listing.save(update_fields=["available"])
        audit_record(
            actor=actor,
            action="ticket.purchase",
            obj=purchase,
            payload={
                "number": ticket.number,
                "household": ticket.household.code,
                "developer": listing.developer.credit_code,
                "listing": listing.name,
                "contract_number": contract,
                "amount": use.amount,
                "face_used": use.face_used,
                "reward": use.reward,
                "reward_percent": percent,
                "month": month,
                "purchased_on": purchased_on,
                "balance": ticket.balance,
            },
        )
    return purchase


# -- transfer -------------------------------------------------------------------------------


def ticket_transfer(
    *,
    actor,
    ticket: HouseTicket,
    to_name: str,
    to_id_number: str,
    reason: str,
    on: dt.date | None = None,
) -> TicketTransfer:
    """Transfer the ticket to a named person (real-name use), as the policy allows: never,
    or once."""
    _not_allowed(actor, "tickets.record_ticket_use", ticket=ticket)
    transferred_on = _day(on)
    with transaction.atomic():
        ticket = _locked(ticket)
        policy = ticket.project.ticket_policy
        if policy.transferable == Transferable.NEVER:
            raise _refusal(ticket, "not_transferable", _("本项目房票不可转让。"))
        if ticket.transfer_count >= 1:
            raise _refusal(ticket, "transferred_before", _("房票已转让过一次,不能再次转让。"))
        _usable(ticket, transferred_on)
        errors = []
        to_name = (to_name or "").strip()
        reason = (reason or "").strip()
        if not to_name:
            errors.append(field_error("to_name", _("请填写受让人姓名。")))
        try:
            number = idnumbers.parse(to_id_number).number
        except idnumbers.InvalidIDNumber as exc:
            number = ""
            errors.append(field_error("to_id_number", str(exc)))
        if not reason:
            errors.append(field_error("reason", _("请填写转让原因。")))
        if errors:
            raise _refusal(ticket, "invalid_input", errors[0]["message"], details=errors)
        transfer = TicketTransfer.objects.create(
            ticket=ticket,
            from_name=ticket.holder_name,
            to_name=to_name,
            to_id_number=number,
            transferred_on=transferred_on,
            reason=reason,
            actor=actor,
        )
        ticket.holder_name = to_name
        ticket.holder_id_number = number
        ticket.transfer_count += 1
        ticket.save(update_fields=["holder_name", "holder_id_number", "transfer_count"])
        audit_record(
            actor=actor,
            action="ticket.transfer",
            obj=transfer,
            payload={
                "number": ticket.number,
                "household": ticket.household.code,
                "from_name": transfer.from_name,
                "to_name": to_name,
                "to_id_number": number,
                "reason": reason,
                "transferred_on": transferred_on,
            },
        )
    return transfer


# -- buy-back and expiry --------------------------------------------------------------------


def _buy_back_terms(ticket: HouseTicket, policy: TicketPolicy) -> calculation.BuyBack:
    return calculation.buy_back(
        balance=ticket.balance,
        face=ticket.face_value,
        small_balance_percent=policy.small_balance_percent,
        small_balance_rate=policy.small_balance_rate,
        buy_back_rate=policy.buy_back_rate,
    )


def _close(
    ticket: HouseTicket,
    terms: calculation.BuyBack,
    *,
    actor,
    reason: str,
    on: dt.date,
    status: str,
    action: str,
) -> TicketBuyBack:
    buy_back = TicketBuyBack.objects.create(
        ticket=ticket,
        balance=terms.balance,
        amount_paid=terms.amount_paid,
        forfeited=terms.forfeited,
        rate=terms.rate,
        reason=reason,
        on=on,
        actor=actor,
    )
    ticket.balance = Decimal("0.00")
    ticket.status = status
    ticket.save(update_fields=["balance", "status"])
    audit_record(
        actor=actor,
        action=action,
        obj=buy_back,
        payload={
            "number": ticket.number,
            "household": ticket.household.code,
            "balance": terms.balance,
            "rate": terms.rate,
            "amount_paid": terms.amount_paid,
            "forfeited": terms.forfeited,
            "reason": reason,
            "on": on,
        },
    )
    return buy_back


def ticket_buy_back(*, actor, ticket: HouseTicket, on: dt.date | None = None) -> TicketBuyBack:
    """Buy back the ticket's balance at the holder's request, by the policy's rule: a small
    balance (up to the threshold percent of the face value) at its rate, a larger one at
    the buy-back rate; the rest is forfeited."""
    _not_allowed(actor, "tickets.record_ticket_use", ticket=ticket)
    bought_on = _day(on)
    with transaction.atomic():
        ticket = _locked(ticket)
        _usable(ticket, bought_on)
        if ticket.balance <= 0:  # pragma: no cover - such a ticket is used up
            raise _refusal(ticket, "no_balance", _("房票已无余额。"))
        terms = _buy_back_terms(ticket, ticket.project.ticket_policy)
        return _close(
            ticket,
            terms,
            actor=actor,
            reason=BuyBackReason.REQUEST,
            on=bought_on,
            status=TicketStatus.BOUGHT_BACK,
            action="ticket.buy_back",
        )


def ticket_expire(*, ticket: HouseTicket, on: dt.date) -> TicketBuyBack | None:
    """Convert one ticket past its expiry date on `on` (the system's decision): the balance
    bought back by the policy's rule, or forfeited, as the policy says. A ticket no longer
    valid, or not yet past its expiry date, is left alone (None)."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status != TicketStatus.VALID or on <= ticket.expires_on:
            return None
        policy = ticket.project.ticket_policy
        terms = (
            _buy_back_terms(ticket, policy)
            if policy.on_expiry == OnExpiry.BUY_BACK
            else calculation.forfeit(ticket.balance)
        )
        return _close(
            ticket,
            terms,
            actor=None,
            reason=BuyBackReason.EXPIRY,
            on=on,
            status=TicketStatus.EXPIRED,
            action="ticket.expire",
        )


def tickets_expire(on: dt.date | None = None) -> list[str]:
    """Convert every valid ticket whose expiry date has passed on `on` (today by default);
    the numbers converted. Each ticket in its own transaction: one failure leaves the
    others done (the next run picks it up)."""
    day = _day(on)
    numbers = []
    due = HouseTicket.objects.filter(status=TicketStatus.VALID, expires_on__lt=day).order_by(
        "number"
    )
    for pk, number in due.values_list("pk", "number"):
        if ticket_expire(ticket=HouseTicket(pk=pk), on=day) is not None:
            numbers.append(number)
    return numbers
