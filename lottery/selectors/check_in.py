"""Reading who checked in to a session."""

from __future__ import annotations

from collections.abc import Iterable

from lottery.models import CheckIn, LotterySession


def checked_in_codes(session: LotterySession, among: Iterable[str]) -> set[str]:
    """Which of the households `among` (codes) have checked in to the session."""
    return set(
        CheckIn.objects.filter(session=session, household__code__in=list(among)).values_list(
            "household__code", flat=True
        )
    )
