"""Households' bank accounts (安置户银行账户), for payments made on their behalf (代发).

An account is recorded with the agreement by a clerk or finance (`bank_account_record`): a
new row, pending. A second person — finance (`settlement.confirm_bank_account`), never the
one who recorded it (four eyes) — checks it against the household's bank card or passbook
and confirms it (`bank_account_confirm`) or sends it back with a reason
(`bank_account_reject`). A change is recorded the same way, with a reason, and replaces the
account in use only when it is confirmed: until then payments still go to the confirmed one.
The household's rows are its account history (superseded, rejected).

The number is checked here (`number_errors`): spaces are dropped; what remains must be digits
only, 12 to 30 of them (mainland bank cards have 16–19 digits, settlement and passbook
accounts up to about 25; 30 leaves room for a sub-account suffix); a bank card — 16 to 19
digits starting with 62 (UnionPay) or 4 or 5 (Visa, Mastercard) — must pass the Luhn check
its last digit carries. Every act is audited with the number masked
(`resettlement.masking.Mask.BANK_ACCOUNT`): the audit chain is read by roles that may not see
it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import luhn

from households.access import require_project_access
from households.models import Household
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation, field_error, invalid_input
from resettlement.masking import Mask, mask
from resettlement.roles import require_permission
from settlement.models import BankAccount, BankAccountStatus

NUMBER_MIN = 12
NUMBER_MAX = 30
CARD_LENGTHS = range(16, 20)
CARD_PREFIXES = ("62", "4", "5")
REASON_MAX = 200


def normalised_number(value: object) -> str:
    """The account number as typed, without its spaces (of any width)."""
    return "".join(str(value or "").split())


def is_card_number(number: str) -> bool:
    """Whether `number` (digits) is shaped like a bank card, whose last digit is a Luhn check."""
    return len(number) in CARD_LENGTHS and number.startswith(CARD_PREFIXES)


def number_errors(number: str) -> list[dict[str, str]]:
    """What is wrong with an account number (already without spaces), as field errors."""
    if not number:
        return [field_error("account_number", _("请填写银行账号"), "required")]
    if not number.isascii() or not number.isdigit():
        return [field_error("account_number", _("银行账号只能由数字组成(空格会自动去掉)"))]
    if not NUMBER_MIN <= len(number) <= NUMBER_MAX:
        return [
            field_error(
                "account_number",
                _("银行账号应为%(min)d至%(max)d位数字,现为%(n)d位")
                % {"min": NUMBER_MIN, "max": NUMBER_MAX, "n": len(number)},
                "length",
            )
        ]
    if is_card_number(number) and not luhn.is_valid(number):
        return [
            field_error(
                "account_number",
                _("银行卡号校验位不符(Luhn 校验未通过),请核对卡号是否录错"),
                "checksum",
            )
        ]
    return []


def holder_differs(holder_name: str, head: str) -> bool:
    """Whether the account holder is someone other than the household head (allowed: a
    payment on the household's behalf may go to another member; the form warns)."""
    return bool(head) and holder_name.strip() != head.strip()


def masked_facts(account: BankAccount) -> dict[str, object]:
    """The account as the audit chain records it: the number masked, never in full."""
    return {
        "bank_account_id": account.pk,
        "household": account.household.code,
        "holder_name": account.holder_name,
        "bank_name": account.bank_name,
        "account_number": mask(account.account_number, Mask.BANK_ACCOUNT),
        "status": account.status,
    }


def _text(value: object, field: str, label: str, limit: int, errors: list) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        errors.append(field_error(field, _("请填写%(l)s") % {"l": label}, "required"))
    elif len(text) > limit:
        errors.append(
            field_error(field, _("%(l)s最多%(n)d字") % {"l": label, "n": limit}, "too_long")
        )
    return text


@transaction.atomic
def bank_account_record(
    *,
    actor,
    household: Household,
    holder_name: str,
    bank_name: str,
    account_number: str,
    reason: str = "",
) -> BankAccount:
    """Record the household's bank account, or a change of it, as a pending row for a second
    person to confirm (a clerk or finance: `settlement.add_bankaccount`). Refused while
    another is pending; a change of a confirmed account needs a reason."""
    require_permission(actor, "settlement.add_bankaccount")
    require_project_access(actor, household.project)
    household = Household.objects.select_for_update().get(pk=household.pk)
    errors: list[dict[str, str]] = []
    holder = _text(holder_name, "holder_name", _("户名"), 50, errors)
    bank = _text(bank_name, "bank_name", _("开户银行"), 100, errors)
    number = normalised_number(account_number)
    errors += number_errors(number)
    reason = (reason or "").strip()
    accounts = BankAccount.objects.filter(household=household)
    if accounts.filter(status=BankAccountStatus.CONFIRMED).exists() and not reason:
        errors.append(field_error("reason", _("变更在用的银行账户须写明原因"), "required"))
    elif len(reason) > REASON_MAX:
        errors.append(field_error("reason", _("原因最多%(n)d字") % {"n": REASON_MAX}, "too_long"))
    if errors:
        raise invalid_input(errors, "bad_bank_account")
    if accounts.filter(status=BankAccountStatus.PENDING).exists():
        raise RuleViolation(
            "bank_account_pending",
            _("户 %(h)s 已有一个待复核的银行账户,须先复核确认或退回后才能再录入。")
            % {"h": household.code},
            details=[field_error("account_number", _("已有待复核的银行账户"), "pending")],
        )
    account = BankAccount.objects.create(
        household=household,
        holder_name=holder,
        bank_name=bank,
        account_number=number,
        reason=reason,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="bank_account.record",
        obj=account,
        payload={**masked_facts(account), "reason": mask(reason, Mask.TEXT)},
    )
    return account


def _pending(account: BankAccount) -> BankAccount:
    """The account, locked, if it is still pending (caller is in a transaction)."""
    account = BankAccount.objects.select_for_update().select_related("household").get(pk=account.pk)
    if account.status != BankAccountStatus.PENDING:
        raise RuleViolation(
            "bank_account_decided",
            _("户 %(h)s 的这个银行账户已经复核过(%(s)s)。")
            % {"h": account.household.code, "s": account.get_status_display()},
        )
    return account


def confirm_refusal(actor, account: BankAccount) -> NotAllowed | None:
    """Why `actor` may not confirm or reject `account` (the permission, the four-eyes rule),
    or None."""
    if (
        actor is None
        or not actor.is_active
        or not actor.has_perm("settlement.confirm_bank_account")
    ):
        return NotAllowed("permission_denied", _("只有财务人员可以复核银行账户。"))
    if account.recorded_by_id == actor.pk:
        return NotAllowed(
            "four_eyes",
            _("四眼原则:银行账户须由录入人以外的第二人复核,录入人不能复核自己录入的账户。"),
        )
    return None


def _check_reviewer(actor, account: BankAccount) -> None:
    refusal = confirm_refusal(actor, account)
    if refusal is not None:
        raise refusal
    require_project_access(actor, account.household.project)


@transaction.atomic
def bank_account_confirm(*, actor, account: BankAccount) -> BankAccount:
    """A second person (finance, not the recorder) confirms the pending account: it becomes
    the one in use, and the one confirmed before it is superseded."""
    account = _pending(account)
    _check_reviewer(actor, account)
    previous = (
        BankAccount.objects.select_for_update()
        .filter(household_id=account.household_id, status=BankAccountStatus.CONFIRMED)
        .first()
    )
    if previous is not None:
        previous.status = BankAccountStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    account.status = BankAccountStatus.CONFIRMED
    account.confirmed_by = actor
    account.confirmed_at = timezone.now()
    account.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit_record(
        actor=actor,
        action="bank_account.confirm",
        obj=account,
        payload={
            **masked_facts(account),
            "recorded_by": account.recorded_by.get_username(),
            "superseded_id": previous.pk if previous is not None else None,
            "superseded_number": (
                mask(previous.account_number, Mask.BANK_ACCOUNT) if previous is not None else ""
            ),
        },
    )
    return account


@transaction.atomic
def bank_account_reject(*, actor, account: BankAccount, reason: str) -> BankAccount:
    """A second person (finance, not the recorder) sends the pending account back with a
    reason; the confirmed account, if any, stays in use."""
    account = _pending(account)
    _check_reviewer(actor, account)
    reason = (reason or "").strip()
    if not reason:
        raise invalid_input([field_error("reason", _("请填写退回原因"), "required")])
    if len(reason) > REASON_MAX:
        raise invalid_input(
            [field_error("reason", _("原因最多%(n)d字") % {"n": REASON_MAX}, "too_long")]
        )
    account.status = BankAccountStatus.REJECTED
    account.rejection_reason = reason
    account.confirmed_by = actor
    account.confirmed_at = timezone.now()
    account.save(update_fields=["status", "rejection_reason", "confirmed_by", "confirmed_at"])
    audit_record(
        actor=actor,
        action="bank_account.reject",
        obj=account,
        payload={**masked_facts(account), "reason": mask(reason, Mask.TEXT)},
    )
    return account
