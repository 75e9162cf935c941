"""The publicity kinds whose rows come from the registry (公示: 安置人口、安置面积、登记调查结果).

Registered with `resettlement.publicity_kinds`; the publicity app freezes and masks them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from households.models import Household, HouseholdStatus, Member, ReviewStatus
from households.selectors.registration import head
from resettlement.masking import Mask
from resettlement.publicity_kinds import (
    COMMUNITY,
    GROUP,
    HOUSEHOLD,
    HOUSEHOLD_HEAD_LAST,
    Column,
    household_cells,
    register,
)


def _scope(queryset, project, community):
    queryset = queryset.filter(project=project)
    if community is not None:
        queryset = (
            queryset.filter(community=community)
            if queryset.model is Household
            else (queryset.filter(household__community=community))
        )
    return queryset


def population_rows(project, community=None) -> list[dict[str, Any]]:
    """Every person passed in review in an approved household: the resettlement population."""
    members = _scope(
        Member.objects.filter(
            review_status=ReviewStatus.PASSED, household__status=HouseholdStatus.APPROVED
        ),
        project,
        community,
    ).select_related("household__community", "household__group")
    members = members.order_by("household__community__code", "household__code", "id")
    return [
        household_cells(m.household)
        | {
            "name": m.name,
            "relation": str(m.get_relation_display()),
            "id_number": m.id_number,
            "hukou_nature": str(m.get_hukou_nature_display()),
        }
        for m in members
    ]


def entitlement_rows(project, community=None) -> list[dict[str, Any]]:
    """Each approved household's resettlement population and entitlement area."""
    households = (
        _scope(Household.objects.filter(status=HouseholdStatus.APPROVED), project, community)
        .select_related("community", "group")
        .annotate(head_name=head())
        .order_by("community__code", "code")
    )
    return [
        household_cells(h, head=h.head_name)
        | {
            "population": h.resettlement_population,
            "entitlement_area": f"{h.entitlement_area:.2f}",
        }
        for h in households
    ]


def registration_rows(project, community=None) -> list[dict[str, Any]]:
    """Registration and survey results: every registered household, whatever its stage."""
    households = (
        _scope(Household.objects.all(), project, community)
        .select_related("community", "group")
        .annotate(
            head_name=head(),
            member_count=Count("members", distinct=True),
            passed=Count("members", filter=Q(members__review_status=ReviewStatus.PASSED)),
        )
        .order_by("community__code", "code")
    )
    return [
        household_cells(h, head=h.head_name)
        | {
            "address": h.address,
            "members": h.member_count,
            "demolished_area": f"{h.demolished_area:.2f}",
            "agreement_number": h.agreement_number,
            "status": str(h.get_status_display()),
        }
        for h in households
    ]


POPULATION = register(
    code="population",
    label=_("安置人口公示"),
    columns=(
        HOUSEHOLD,
        COMMUNITY,
        GROUP,
        Column("name", _("姓名"), Mask.NAME),
        Column("relation", _("与户主关系")),
        Column("id_number", _("身份证号"), Mask.ID_NUMBER),
        Column("hukou_nature", _("户口性质")),
    ),
    build_rows=population_rows,
)

ENTITLEMENT = register(
    code="entitlement",
    label=_("安置面积公示"),
    columns=(
        *HOUSEHOLD_HEAD_LAST,
        Column("population", _("安置人口")),
        Column("entitlement_area", _("应安置面积(㎡)")),
    ),
    build_rows=entitlement_rows,
    # A compensation and resettlement plan: 30 days of public scrutiny.
    default_days=30,
)

REGISTRATION = register(
    code="registration",
    label=_("登记调查结果公示"),
    columns=(
        *HOUSEHOLD_HEAD_LAST,
        Column("address", _("原住址"), Mask.ADDRESS),
        Column("members", _("家庭人口")),
        Column("demolished_area", _("被拆迁房屋面积(㎡)")),
        Column("agreement_number", _("协议编号")),
        Column("status", _("审核状态")),
    ),
    build_rows=registration_rows,
)
