"""The demands API under /api/allocation/demands/ (schema at /api/schema/).

Demands are read-only here, except that a household's choice of apartment types is recorded
with POST /demands/ (`demand_choose`) and a leader locks choices with POST /demands/lock/
(`demand_lock`). `RolePermission` refuses anyone without the model's view permission (and,
for POST /demands/, add_demand); the services check the rest. Errors have the one shape of
`resettlement.api.exceptions.exception_handler`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.models import Demand, DemandStatus
from allocation.selectors import demands as demand_selectors
from allocation.services import demands as demand_services
from households.access import projects_q
from households.api.fields import VisibleRelatedField
from households.models import Community, Household, Project
from resettlement.api.base import (
    ErrorSerializer,
    RegistryViewMixin,
    UserRefSerializer,
    parsed,
    writes,
)
from resettlement.api.filters import ListFilterBackend, ProjectScopeFilterSet, QueryFilter, id_query


@extend_schema_field({"type": "string", "enum": DemandStatus.values}, component_name="DemandStatus")
class DemandStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(DemandStatus.choices, **kwargs)


class DemandSerializer(serializers.ModelSerializer):
    household_code = serializers.CharField(source="household.code", read_only=True)
    community = serializers.CharField(source="household.community.code", read_only=True)
    group = serializers.CharField(source="household.group.code", read_only=True)
    items = serializers.SerializerMethodField()
    chosen_by = UserRefSerializer(read_only=True)
    locked_by = UserRefSerializer(read_only=True, allow_null=True)
    status = DemandStatusField(read_only=True)

    class Meta:
        model = Demand
        fields = [
            "id",
            "project",
            "household",
            "household_code",
            "community",
            "group",
            "status",
            "items",
            "entitlement_area",
            "chosen_area",
            "area_difference",
            "area_fit",
            "chosen_by",
            "chosen_at",
            "locked_by",
            "locked_at",
        ]
        read_only_fields = fields

    def get_items(self, demand: Demand) -> dict[str, int]:
        """Apartment type code → number of apartments of that type."""
        return demand_selectors.demand_items(demand)


class DemandChooseSerializer(serializers.Serializer):
    household = VisibleRelatedField(queryset=Household.objects.all())
    items = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Apartment type code → how many apartments of that type, e.g. "
        '{"T90": 1, "T60": 1}.',
    )


class DemandChooseInput(serializers.Serializer):
    """What POST /demands/ parses: the counts are left to the service, so that a bad one is
    reported as `items.<type code>` like every other problem with the items."""

    household = VisibleRelatedField(queryset=Household.objects.all())
    items = serializers.DictField(child=serializers.JSONField())


class DemandLockSerializer(serializers.Serializer):
    project = VisibleRelatedField(queryset=Project.objects.all(), project_path="pk")
    community = VisibleRelatedField(
        queryset=Community.objects.all(),
        required=False,
        help_text="Lock only this community's households.",
    )


class LockedCountSerializer(serializers.Serializer):
    locked = serializers.IntegerField()


class DemandFilterSet(ProjectScopeFilterSet):
    household = id_query("household_id")
    community = id_query("household__community_id")
    status = QueryFilter(serializers.ChoiceField(DemandStatus.choices, required=False))


@extend_schema_view(
    list=extend_schema(parameters=[DemandFilterSet.parameters()]),
    create=writes(DemandChooseSerializer, DemandSerializer, code=201),
)
class DemandViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Households' apartment-type choices. POST records (or replaces) a household's choice:
    it must be approved, and the chosen area may exceed its entitlement by at most the
    project's over-area cap (400 `over_cap`); a locked choice is refused (400
    `demand_locked`)."""

    service_actions = ("lock",)
    serializer_class = DemandSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = DemandFilterSet

    def get_queryset(self) -> QuerySet[Demand]:
        return demand_selectors.demand_list().filter(projects_q(self.request.user))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(DemandChooseInput, request.data, request=request)
        demand = demand_services.demand_choose(
            actor=request.user, household=data["household"], items=data["items"]
        )
        demand = self.get_queryset().get(pk=demand.pk)
        return Response(DemandSerializer(demand).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DemandLockSerializer,
        responses={200: LockedCountSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        summary="Lock the draft choices of a project (or one community)",
    )
    @action(detail=False, methods=["post"])
    def lock(self, request: Request) -> Response:
        """A leader locks the draft choices; nobody may lock a choice they entered
        (403 `four_eyes`), all or none."""
        data = parsed(DemandLockSerializer, request.data, request=request)
        project = data["project"]
        households = None
        if data.get("community") is not None:
            households = Household.objects.filter(project=project, community=data["community"])
        count = demand_services.demand_lock(
            actor=request.user, project=project, households=households
        )
        return Response({"locked": count})
