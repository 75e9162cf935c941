"""Households' bank accounts: the confirmed one each household is paid into."""

from __future__ import annotations

from collections.abc import Iterable

from settlement.models import BankAccount, BankAccountStatus


def confirmed_accounts(household_ids: Iterable[int]) -> dict[int, BankAccount]:
    """The confirmed (in use) account of each of the households that has one, by household
    id, in one query."""
    accounts = BankAccount.objects.filter(
        household_id__in=list(household_ids), status=BankAccountStatus.CONFIRMED
    )
    return {account.household_id: account for account in accounts}
