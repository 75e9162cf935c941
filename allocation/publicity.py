"""The publicity kinds whose rows come from the housing stock and the demands (公示: 安置房源、
应安置面积及户型). Registered with `resettlement.publicity_kinds`; the publicity app freezes
and masks them (this module never imports the publicity app). The household's choice is also a
section of the resident's own page (`resettlement.resident_journey`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from allocation.models import Demand
from allocation.selectors import demands, estates
from resettlement.publicity_kinds import (
    HOUSEHOLD_HEAD_FIRST,
    Column,
    household_cells,
    register,
)
from resettlement.resident_journey import Fact, JourneySection, register_section


def housing_rows(project, community=None) -> list[dict[str, Any]]:
    """Every apartment of the project, estate by estate in housing-orientation order. The
    stock is not per community: a community's publication lists the same apartments."""
    return [
        {
            "household": "",
            "community": "",
            "estate": a.estate.name,
            "building": a.building.code,
            "stair": a.stair.code,
            "code": a.code,
            "floor": a.floor,
            "area": f"{a.area:.2f}",
            "type": f"{a.apartment_type.name}({a.apartment_type.code})",
            "orientation": str(a.get_orientation_display()),
            "tier": a.tier,
            "status": str(a.get_status_display()),
        }
        for a in estates.apartment_list(project=project)
    ]


def demand_rows(project, community=None) -> list[dict[str, Any]]:
    """Each approved household's entitlement and the apartment types it chose (blank when it
    has not chosen yet)."""
    households = list(
        demands.demand_households(
            project=project, community=community.pk if community is not None else None
        )
    )
    rows = []
    for row in demands.demand_rows(households):
        household, demand = row.household, row.demand
        rows.append(
            household_cells(household, head=household.head_name)
            | {
                "entitlement_area": f"{household.entitlement_area:.2f}",
                "types": "、".join(f"{code}×{n}" for code, n in row.items.items()),
                "chosen_area": f"{demand.chosen_area:.2f}" if demand else "",
                "difference": f"{demand.area_difference:.2f}" if demand else "",
                "fit": str(demand.get_area_fit_display()) if demand else "",
            }
        )
    return rows


HOUSING = register(
    code="housing",
    label=_("安置房源公示"),
    columns=(
        Column("estate", _("安置小区")),
        Column("building", _("楼栋")),
        Column("stair", _("单元")),
        Column("code", _("房号")),
        Column("floor", _("楼层")),
        Column("area", _("建筑面积(㎡)")),
        Column("type", _("户型")),
        Column("orientation", _("朝向")),
        Column("tier", _("档次")),
        Column("status", _("状态")),
    ),
    build_rows=housing_rows,
)

DEMAND = register(
    code="demand",
    label=_("应安置面积及户型公示"),
    columns=(
        *HOUSEHOLD_HEAD_FIRST,
        Column("entitlement_area", _("应安置面积(㎡)")),
        Column("types", _("所选户型")),
        Column("chosen_area", _("所选面积(㎡)")),
        Column("difference", _("面积差(㎡)")),
        Column("fit", _("面积情况")),
    ),
    build_rows=demand_rows,
)


# --- The resident's own page (resettlement.resident_journey) -------------------------------


def journey_choice(lookup_code: str) -> JourneySection | None:
    """The apartment types the household chose (户型选择) and how they fit its entitlement."""
    demand = (
        Demand.objects.filter(household__lookup_code=lookup_code)
        .prefetch_related("items__apartment_type")
        .first()
    )
    if demand is None:
        return None
    types = "、".join(f"{item.apartment_type.name}×{item.count}" for item in demand.items.all())
    return JourneySection(
        key="choice",
        title=_("户型选择"),
        facts=[
            Fact(_("所选户型"), types),
            Fact(_("所选面积"), f"{demand.chosen_area:.2f} ㎡"),
            Fact(_("应安置面积"), f"{demand.entitlement_area:.2f} ㎡"),
            Fact(_("面积情况"), str(demand.get_area_fit_display())),
            Fact(_("状态"), str(demand.get_status_display())),
        ],
    )


register_section("choice", journey_choice, order=20)
