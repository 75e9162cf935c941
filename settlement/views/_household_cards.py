"""The bank account and overdue-rights cards of a household's settlement page
(`views.statements._page`): what each shows for the reader. The number of a bank account is
in full for finance only (`resettlement.personal_data`); any number in a reason is masked
for the others too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from households.models import Household
from resettlement import periods
from resettlement.masking import Mask, mask
from resettlement.personal_data import bank_account_shown, sees_full_bank_accounts
from settlement.forms.bank_accounts import BankAccountForm, BankAccountRejectForm
from settlement.forms.overdue import CashSwitchForm
from settlement.models import BankAccount, BankAccountStatus
from settlement.selectors.bank_accounts import household_accounts
from settlement.selectors.overdue import overdue_rights
from settlement.services import bank_accounts as bank_account_services
from settlement.services import overdue as overdue_services


@dataclass(frozen=True)
class AccountRow:
    """One account as the reader may see it."""

    account: BankAccount
    number: str
    reason: str
    rejection_reason: str
    holder_differs: bool


def bank_account_context(user, household: Household, head: str, **bound: Any) -> dict[str, Any]:
    """What the household page shows of its bank accounts, for `user`."""
    full = sees_full_bank_accounts(user)

    def text(value: str) -> str:
        return value if full else mask(value, Mask.TEXT)

    rows = [
        AccountRow(
            account=a,
            number=bank_account_shown(user, a.account_number),
            reason=text(a.reason),
            rejection_reason=text(a.rejection_reason),
            holder_differs=bank_account_services.holder_differs(a.holder_name, head),
        )
        for a in household_accounts(household.pk)
    ]
    confirmed = next((r for r in rows if r.account.status == BankAccountStatus.CONFIRMED), None)
    pending = next((r for r in rows if r.account.status == BankAccountStatus.PENDING), None)
    refusal = bank_account_services.confirm_refusal(user, pending.account) if pending else None
    return {
        "bank_account": confirmed,
        "bank_account_pending": pending,
        "bank_account_history": [r for r in rows if r not in (confirmed, pending)],
        "may_record_bank_account": user.has_perm("settlement.add_bankaccount") and pending is None,
        "may_confirm_bank_account": pending is not None and refusal is None,
        # A finance user who recorded it is told why they may not confirm it (four eyes).
        "bank_account_confirm_refusal": (
            refusal.message
            if refusal is not None and user.has_perm("settlement.confirm_bank_account")
            else ""
        ),
        "bank_account_form": bound.get("bank_account_form")
        or BankAccountForm(initial={"holder_name": head}),
        "bank_account_reject_form": bound.get("bank_account_reject_form")
        or BankAccountRejectForm(),
        "bank_account_confirm_form": bound.get("bank_account_confirm_form") or forms.Form(),
    }


def overdue_context(user, household: Household, **bound: Any) -> dict[str, Any]:
    rights = overdue_rights(household, today=periods.today())
    return {
        "overdue": rights,
        "may_switch_to_cash": user.has_perm("settlement.add_overduecashswitch")
        and overdue_services.switch_refusal(rights, household) is None,
        "cash_switch_form": bound.get("cash_switch_form") or CashSwitchForm(),
    }
