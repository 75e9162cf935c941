"""Reads used by more than one caller, with their joins inside so no caller makes N+1.

`inventory_snapshot` and `demand_snapshot` are the exact inputs the lottery hashes: plain
codes and numbers, in a fixed order, nothing personal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from allocation.models import (
    Apartment,
    ApartmentStatus,
    ApartmentType,
    Building,
    Demand,
    DemandItem,
    DemandStatus,
    Estate,
    FloorTier,
    Tier,
)
from households.models import Household, HouseholdStatus, Project
from households.selectors.registration import head

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


def demand_snapshot(
    *,
    project: Project,
    households: Iterable[Household] | None = None,
    locked_only: bool = False,
) -> dict[str, dict[str, int]]:
    """{household code: {apartment type code: count}} for the project's demands (of
    `households` only, when given; locked ones only with `locked_only`). One query."""
    items = DemandItem.objects.filter(demand__project=project)
    if households is not None:
        items = items.filter(demand__household__in=[h.pk for h in households])
    if locked_only:
        items = items.filter(demand__status=DemandStatus.LOCKED)
    result: dict[str, dict[str, int]] = defaultdict(dict)
    rows = items.order_by("demand__household__code", "apartment_type__code").values_list(
        "demand__household__code", "apartment_type__code", "count"
    )
    for household_code, type_code, count in rows:
        result[household_code][type_code] = count
    return dict(result)


def demand_items(demand: Demand) -> dict[str, int]:
    """{type code: count} of one demand, from its prefetched items when they are."""
    return {item.apartment_type.code: item.count for item in demand.items.all()}


# -- estates --------------------------------------------------------------------------------


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


# -- demands ----------------------------------------------------------------------------------


@dataclass
class DemandRow:
    """One approved household on the demand page: its entitlement and its choice, if any."""

    household: Household
    demand: Demand | None
    items: dict[str, int]

    @property
    def locked(self) -> bool:
        return self.demand is not None and self.demand.status == DemandStatus.LOCKED

    @property
    def chosen_area(self) -> Decimal | None:
        return self.demand.chosen_area if self.demand else None


def demand_households(
    *, project: Project, community: int | None = None, group: int | None = None
) -> QuerySet[Household]:
    """Approved households of the project (with an entitlement), with their demand joined."""
    households = (
        Household.objects.filter(
            project=project, status=HouseholdStatus.APPROVED, entitlement_area__isnull=False
        )
        .select_related("community", "group", "demand__chosen_by", "demand__locked_by")
        .annotate(head_name=head())
        .order_by("community__code", "group__code", "code")
    )
    if community:
        households = households.filter(community_id=community)
    if group:
        households = households.filter(group_id=group)
    return households


def demand_rows(households: Iterable[Household]) -> list[DemandRow]:
    """Rows for a page of `demand_households`: one more query for all their items."""
    households = list(households)
    demand_ids = [h.demand.pk for h in households if _demand_or_none(h) is not None]
    items: dict[int, dict[str, int]] = defaultdict(dict)
    for demand_id, type_code, count in (
        DemandItem.objects.filter(demand_id__in=demand_ids)
        .order_by("apartment_type__code")
        .values_list("demand_id", "apartment_type__code", "count")
    ):
        items[demand_id][type_code] = count
    rows = []
    for household in households:
        demand = _demand_or_none(household)
        rows.append(DemandRow(household, demand, items.get(demand.pk, {}) if demand else {}))
    return rows


def _demand_or_none(household: Household) -> Demand | None:
    try:
        return household.demand
    except Demand.DoesNotExist:
        return None


def demand_list(*, project: Project | None = None) -> QuerySet[Demand]:
    """Demands with their household, community, group and items (for lists and the API)."""
    demands = Demand.objects.select_related(
        "household__community", "household__group", "project", "chosen_by", "locked_by"
    ).prefetch_related(
        Prefetch(
            "items",
            queryset=DemandItem.objects.select_related("apartment_type").order_by(
                "apartment_type__code"
            ),
        )
    )
    if project is not None:
        demands = demands.filter(project=project)
    return demands.order_by("project__code", "household__code")


def demand_summary(project: Project) -> dict[str, int]:
    """How many approved households have no choice, a draft one, a locked one."""
    approved = Household.objects.filter(
        project=project, status=HouseholdStatus.APPROVED, entitlement_area__isnull=False
    )
    by_status = dict(
        Demand.objects.filter(household__in=approved)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    total = approved.count()
    draft = by_status.get(DemandStatus.DRAFT, 0)
    locked = by_status.get(DemandStatus.LOCKED, 0)
    return {"total": total, "none": total - draft - locked, "draft": draft, "locked": locked}
