"""Reads of the housing stock used by more than one caller, with their joins inside so no
caller makes N+1.

`inventory_snapshot` is the exact input the lottery hashes for an estate: plain codes and
numbers, in a fixed order, nothing personal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from allocation.models import (
    Apartment,
    ApartmentStatus,
    ApartmentType,
    Building,
    Estate,
    FloorTier,
    Tier,
)
from households.models import Project

# The estate's housing orientation: buildings in their sequence, then stair, floor, room.
ORIENTATION_ORDER = ("building__sequence", "building__code", "stair__code", "floor", "code")


def inventory_snapshot(estate: Estate) -> list[dict[str, Any]]:
    """The estate's available apartments in orientation order, as the lottery hashes them:
    {"code", "building", "stair", "floor", "type", "tier", "area" (2 decimals, a string)}."""
    rows = (
        Apartment.objects.filter(estate=estate, status=ApartmentStatus.AVAILABLE)
        .order_by(*ORIENTATION_ORDER)
        .values_list(
            "code", "building__code", "stair__code", "floor", "apartment_type__code", "tier", "area"
        )
    )
    return [
        {
            "code": code,
            "building": building,
            "stair": stair,
            "floor": floor,
            "type": type_code,
            "tier": tier,
            "area": f"{area:.2f}",
        }
        for code, building, stair, floor, type_code, tier, area in rows
    ]


@dataclass
class EstateCounts:
    total: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, type_code: str, tier: str, status: str, n: int) -> None:
        self.total += n
        self.by_type[type_code] = self.by_type.get(type_code, 0) + n
        self.by_tier[tier] = self.by_tier.get(tier, 0) + n
        self.by_status[status] = self.by_status.get(status, 0) + n

    def tiers(self) -> list[tuple[str, int]]:
        return [(tier, self.by_tier.get(tier, 0)) for tier in Tier.values]

    def statuses(self) -> list[tuple[str, str, int]]:
        return [
            (value, label, self.by_status.get(value, 0)) for value, label in ApartmentStatus.choices
        ]


def estate_list(*, project: Project | None = None) -> QuerySet[Estate]:
    estates = Estate.objects.select_related("project").annotate(
        building_count=Count("buildings", distinct=True)
    )
    if project is not None:
        estates = estates.filter(project=project)
    return estates.order_by("project__code", "code")


def estate_counts(estates: Iterable[Estate]) -> dict[int, EstateCounts]:
    """Apartment counts per estate by type, tier and status, in one query."""
    ids = [e.pk for e in estates]
    counts: dict[int, EstateCounts] = {pk: EstateCounts() for pk in ids}
    rows = (
        Apartment.objects.filter(estate_id__in=ids)
        .order_by()
        .values_list("estate_id", "apartment_type__code", "tier", "status")
        .annotate(n=Count("id"))
    )
    for estate_id, type_code, tier, status, n in rows:
        counts[estate_id].add(type_code, tier, status, n)
    for value in counts.values():
        value.by_type = dict(sorted(value.by_type.items()))
    return counts


def estate_detail(pk: int) -> Estate:
    """An estate with its floor rule and buildings (in orientation sequence, with stairs)."""
    return (
        Estate.objects.select_related("project")
        .prefetch_related(
            Prefetch("floor_tiers", queryset=FloorTier.objects.order_by("floor_from")),
            Prefetch(
                "buildings",
                queryset=Building.objects.order_by("sequence").annotate(
                    apartment_count=Count("apartments")
                ),
            ),
        )
        .get(pk=pk)
    )


def apartment_list(
    *,
    project: Project | None = None,
    estate: Estate | None = None,
    building: Building | int | None = None,
    apartment_type: ApartmentType | int | None = None,
    tier: str | None = None,
    status: str | None = None,
) -> QuerySet[Apartment]:
    """Apartments with their estate, building, stair and type, in orientation order."""
    apartments = Apartment.objects.select_related("estate", "building", "stair", "apartment_type")
    filters: dict[str, Any] = {}
    if project is not None:
        filters["project"] = project
    if estate is not None:
        filters["estate"] = estate
    if building:
        filters["building"] = building
    if apartment_type:
        filters["apartment_type"] = apartment_type
    if tier in Tier.values:
        filters["tier"] = tier
    if status in ApartmentStatus.values:
        filters["status"] = status
    return apartments.filter(**filters).order_by("estate__code", *ORIENTATION_ORDER)


def apartment_types(project: Project) -> list[ApartmentType]:
    return list(ApartmentType.objects.filter(project=project).order_by("code"))
