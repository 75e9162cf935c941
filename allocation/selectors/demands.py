"""Reads of the households' demands used by more than one caller, with their joins inside so no
caller makes N+1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet

from allocation.models import (
    Demand,
    DemandItem,
    DemandStatus,
)
from households.models import Household, HouseholdStatus, Project
from households.selectors.registration import head


def demand_items(demand: Demand) -> dict[str, int]:
    """{type code: count} of one demand, from its prefetched items when they are."""
    return {item.apartment_type.code: item.count for item in demand.items.all()}


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
