"""The lottery's signed (binding) allocations, as settlement reads them. A lottery concept:
the lottery app gets its own copy and callers move there, then this module goes."""

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
