"""Households' bank accounts: the confirmed one each household is paid into, a household's
account history, and the changes waiting for a second person."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from households.access import projects_q
from settlement.models import BankAccount, BankAccountStatus


def confirmed_accounts(household_ids: Iterable[int]) -> dict[int, BankAccount]:
    """The confirmed (in use) account of each of the households that has one, by household
    id, in one query."""
    accounts = BankAccount.objects.filter(
        household_id__in=list(household_ids), status=BankAccountStatus.CONFIRMED
    )
    return {account.household_id: account for account in accounts}


def household_accounts(household_id: int) -> list[BankAccount]:
    """Every account row of the household, newest first (the confirmed one, a pending
    change, and the history), with who recorded and who confirmed them."""
    return list(
        BankAccount.objects.filter(household_id=household_id)
        .select_related("household", "recorded_by", "confirmed_by")
        .order_by("-recorded_at", "-pk")
    )


def accounts_waiting(user) -> QuerySet[BankAccount]:
    """Pending accounts `user` may confirm: in projects they see, recorded by someone else
    (four eyes)."""
    return BankAccount.objects.filter(
        projects_q(user, "household__project"), status=BankAccountStatus.PENDING
    ).exclude(recorded_by=user.pk)
