"""The group settlement API (/api/settlement/groups/): each villager group's totals (the
list, paged like every list of the API) and its households (a group's resource), collected
first, paid later."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
)
from rest_framework import permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from households.access import projects_q, visible_projects
from households.models import VillagerGroup
from resettlement.api.base import MAX_ID, ErrorSerializer, RegistryViewMixin
from settlement.models import (
    StatementStatus,
)
from settlement.selectors import groups as settlement_groups


@extend_schema_field(
    {"type": "string", "enum": ["none", *StatementStatus.values]},
    component_name="HouseholdSettlementState",
)
class HouseholdStateField(serializers.CharField):
    pass


# -- group settlement -----------------------------------------------------------------------


class HouseholdSettlementSerializer(serializers.Serializer):
    household = serializers.IntegerField(source="household.pk")
    household_code = serializers.CharField(source="household.code")
    statement = serializers.IntegerField(source="statement.pk", allow_null=True, default=None)
    state = HouseholdStateField()
    net = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    paid = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Paid to (+) or collected from (−) the household so far, signed like net.",
    )
    outstanding = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Still to pay (+) or collect (−) on an approved statement; 0 before.",
    )


class TotalsSerializer(serializers.Serializer):
    households = serializers.IntegerField()
    settled_households = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Households without an approved statement.")
    to_collect = serializers.DecimalField(max_digits=14, decimal_places=2)
    collected = serializers.DecimalField(max_digits=14, decimal_places=2)
    to_pay = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    settled = serializers.BooleanField()


class GroupSummarySerializer(serializers.Serializer):
    """A group of the project's list: its totals, without its households (read them at
    /api/settlement/groups/{group}/)."""

    group = serializers.IntegerField(source="group.pk")
    group_code = serializers.CharField(source="group.code")
    group_name = serializers.CharField(source="group.name")
    project = serializers.IntegerField(source="group.project_id")
    settled = serializers.BooleanField()
    collections_done = serializers.BooleanField(
        help_text="Nothing left to collect or approve: payouts may start."
    )
    totals = TotalsSerializer()


class GroupSettlementSerializer(GroupSummarySerializer):
    households = HouseholdSettlementSerializer(many=True)


class GroupFilter(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ViewStatements(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("settlement.view_statement"))


class GroupSettlementViewSet(RegistryViewMixin, viewsets.ViewSet):
    """Each villager group's settlement: collected first, paid later, settled when every
    approved household of the group is."""

    permission_classes = [ViewStatements]
    # A plain ViewSet pages nothing by itself: the API's own paginator, as every list.
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS
    lookup_value_regex = r"\d+"

    @extend_schema(
        parameters=[GroupFilter],
        responses={
            200: GroupSummarySerializer(many=True),
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def list(self, request: Request) -> Response:
        """The project's groups with their totals, a page of them at a time (?page=, as
        every list of the API); a group's households are on its own resource."""
        project = self.query(GroupFilter)["project"]
        groups = settlement_groups.project_settlement(
            get_object_or_404(visible_projects(request.user), pk=project)
        ).groups
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(groups, request, view=self)
        return paginator.get_paginated_response(GroupSummarySerializer(page, many=True).data)

    @extend_schema(responses={200: GroupSettlementSerializer, 404: ErrorSerializer})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        group = get_object_or_404(VillagerGroup.objects.filter(projects_q(request.user)), pk=pk)
        return Response(GroupSettlementSerializer(settlement_groups.group_settlement(group)).data)
