"""Reading what a signed session settled: the allocations that count."""

from __future__ import annotations

from django.db.models import QuerySet

from households.models import Household
from lottery.models import Allocation, SessionStatus


def signed_allocations() -> QuerySet[Allocation]:
    """The allocations that count: binding rows of a signed session."""
    return Allocation.objects.filter(binding=True, session__status=SessionStatus.SIGNED)


def binding_allocations(household: Household) -> QuerySet[Allocation]:
    """The household's allocations that count (its apartments), by apartment code."""
    return (
        signed_allocations()
        .filter(household=household)
        .select_related("apartment__apartment_type", "apartment__estate", "apartment__building")
        .order_by("apartment__code")
    )
