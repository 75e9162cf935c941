"""Reading corrections after settlement: a household's corrections, the open one first."""

from __future__ import annotations

from households.models import Household
from settlement.models import StatementCorrection


def household_corrections(household: Household) -> list[StatementCorrection]:
    """The household's corrections, newest first, with who opened them."""
    return list(
        StatementCorrection.objects.filter(household=household)
        .select_related("opened_by")
        .order_by("-opened_at", "-pk")
    )
