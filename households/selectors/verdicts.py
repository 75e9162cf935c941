"""Reads the qualification verdicts need: where else a person was resettled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from households.models import (
    HouseholdStatus,
    Member,
    ReviewStatus,
)


def resettled_projects_by_id(
    id_numbers: Iterable[str], *, exclude_project_id: int | None
) -> dict[str, tuple[str, ...]]:
    """For each ID number, the codes of *other* projects where that person was resettled:
    a passed member of an approved household. One query whatever the number of IDs."""
    found: dict[str, list[str]] = defaultdict(list)
    rows = (
        Member.objects.filter(
            id_number__in=set(id_numbers),
            review_status=ReviewStatus.PASSED,
            household__status=HouseholdStatus.APPROVED,
        )
        .exclude(project_id=exclude_project_id)
        .values_list("id_number", "project__code")
        .order_by("project__code")
    )
    for number, project_code in rows:
        found[number].append(project_code)
    return {number: tuple(codes) for number, codes in found.items()}
