"""Login lockout: django-axes with two limits instead of one.

- An **account** is locked after `AXES_FAILURE_LIMIT` wrong passwords within the cool-off
  period, from whatever addresses they came: guessing one password from many machines does
  not get more tries, and a locked user cannot log in from another computer either.
- An **address** is locked after `AXES_ADDRESS_FAILURE_LIMIT` wrong passwords on any
  accounts: spreading guesses over many accounts (a few each, below the account limit) stops
  there too.

Axes counts failures per lockout parameter (`AXES_LOCKOUT_PARAMETERS = ["username",
"ip_address"]`: one count per account, one per address) but compares the larger of them with
a single limit. The handler below keeps axes' records, its admin and its reset commands as
they are and changes only the comparison, so each count meets its own limit.

A successful login clears only the failures of that account from that address: a user who
mistyped a few times starts afresh, while someone else's guesses at the account from another
address, and the guesses from this address at other accounts, still count.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import HttpRequest

from resettlement.audit import AuditAction, audit_record
from resettlement.roles import require_permission


@dataclass(frozen=True)
class FailureCounts:
    account: int
    address: int

    @property
    def address_locked(self) -> bool:
        return self.address >= settings.AXES_ADDRESS_FAILURE_LIMIT


class AccountOrAddressHandler(AxesDatabaseHandler):
    def failure_counts(
        self, request: HttpRequest, credentials: dict | None = None
    ) -> FailureCounts:
        """Recent failures (within the cool-off period) for the account named in the request
        and for the request's address."""
        by_account, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return FailureCounts(account=by_account, address=by_address)

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """What axes compares with `AXES_FAILURE_LIMIT`: the account's failures, or the limit
        itself once the address has reached its own limit."""
        counts = self.failure_counts(request, credentials)
        if counts.address_locked:
            return max(counts.account, get_failure_limit(request, credentials))
        return counts.account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


def failure_counts(request: HttpRequest, credentials: dict | None = None) -> FailureCounts:
    """For the lockout page: which of the two limits the request ran into."""
    return AccountOrAddressHandler().failure_counts(request, credentials)


def lockout_release(*, actor, attempts: QuerySet[AccessAttempt]) -> int:
    """Unlock: forget the recorded failures `attempts` (accounts and addresses alike), as an
    administrator does for a user who rang the office. Recorded in the audit chain (who
    released which accounts and addresses). Returns how many records were removed."""
    require_permission(actor, "axes.delete_accessattempt")
    with transaction.atomic():
        released = sorted(set(attempts.values_list("username", "ip_address")))
        count, _ = attempts.delete()
        if count:
            audit_record(
                actor=actor,
                action=AuditAction.LOGIN_UNLOCK,
                obj=None,
                payload={"released": [[username, address] for username, address in released]},
            )
    return count
