"""The housing stock and demands API under /api/allocation/ (schema at /api/schema/).

Estates, apartments and demands are read-only here, except that a household's choice of
apartment types is recorded with POST /demands/ (`services.demand_choose`) and a leader locks
choices with POST /demands/lock/ (`services.demand_lock`). `RolePermission` refuses anyone
without the model's view permission (and, for POST /demands/, add_demand); the services check
the rest. Errors have the one shape of `resettlement.api.exceptions.exception_handler`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from allocation import selectors, services
from allocation.models import Apartment, ApartmentStatus, Demand, DemandStatus, Estate, FloorTier
from households.access import projects_q
from households.api.fields import VisibleRelatedField
from households.models import Community, Household, Project
from resettlement.api.base import (
    ErrorSerializer,
    RegistryViewMixin,
    UserRefSerializer,
    id_filter,
    parsed,
    writes,
)


# Named components of their own: left as plain enums, they would be named by the property
# ("status"), which the registry's households and the lottery's sessions use for other sets.
@extend_schema_field(
    {"type": "string", "enum": ApartmentStatus.values}, component_name="ApartmentStatus"
)
class ApartmentStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ApartmentStatus.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": DemandStatus.values}, component_name="DemandStatus")
class DemandStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(DemandStatus.choices, **kwargs)


# -- estates --------------------------------------------------------------------------------


class FloorTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = FloorTier
        fields = ["tier", "floor_from", "floor_to"]


class EstateSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    floor_tiers = FloorTierSerializer(many=True, read_only=True)
    building_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Estate
        fields = [
            "id",
            "project",
            "project_code",
            "code",
            "name",
            "address",
            "orientation",
            "floor_tiers",
            "building_count",
        ]
        read_only_fields = fields


class ProjectScopeFilter(serializers.Serializer):
    project = id_filter()


@extend_schema_view(list=extend_schema(parameters=[ProjectScopeFilter]))
class EstateViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Resettlement estates with their floor rule (which floors are tier A, B, C)."""

    serializer_class = EstateSerializer

    def get_queryset(self) -> QuerySet[Estate]:
        return (
            selectors.estate_list()
            .filter(projects_q(self.request.user))
            .prefetch_related(
                Prefetch("floor_tiers", queryset=FloorTier.objects.order_by("floor_from"))
            )
        )

    def filter_queryset(self, queryset: QuerySet[Estate]) -> QuerySet[Estate]:
        if self.action == "list":
            filters = self.query(ProjectScopeFilter)
            if "project" in filters:
                queryset = queryset.filter(project_id=filters["project"])
        return queryset


# -- apartments -----------------------------------------------------------------------------


class ApartmentSerializer(serializers.ModelSerializer):
    estate_code = serializers.CharField(source="estate.code", read_only=True)
    building = serializers.CharField(source="building.code", read_only=True)
    building_sequence = serializers.IntegerField(source="building.sequence", read_only=True)
    stair = serializers.CharField(source="stair.code", read_only=True)
    type = serializers.CharField(source="apartment_type.code", read_only=True)
    type_name = serializers.CharField(source="apartment_type.name", read_only=True)
    status = ApartmentStatusField(read_only=True)

    class Meta:
        model = Apartment
        fields = [
            "id",
            "project",
            "estate",
            "estate_code",
            "building",
            "building_sequence",
            "stair",
            "code",
            "floor",
            "area",
            "type",
            "type_name",
            "orientation",
            "tier",
            "status",
        ]
        read_only_fields = fields


class ApartmentFilter(serializers.Serializer):
    project = id_filter()
    estate = id_filter()
    status = serializers.ChoiceField(ApartmentStatus.choices, required=False)
    type = serializers.CharField(required=False, help_text="Apartment type code, e.g. T90.")


@extend_schema_view(list=extend_schema(parameters=[ApartmentFilter]))
class ApartmentViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Apartments in housing-orientation order (building sequence, stair, floor, room)."""

    serializer_class = ApartmentSerializer

    def get_queryset(self) -> QuerySet[Apartment]:
        return selectors.apartment_list().filter(projects_q(self.request.user))

    def filter_queryset(self, queryset: QuerySet[Apartment]) -> QuerySet[Apartment]:
        if self.action != "list":
            return queryset
        filters = self.query(ApartmentFilter)
        lookups = {
            "project": "project_id",
            "estate": "estate_id",
            "status": "status",
            "type": "apartment_type__code",
        }
        return queryset.filter(**{lookups[name]: value for name, value in filters.items()})


# -- demands --------------------------------------------------------------------------------


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
        return selectors.demand_items(demand)


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


class DemandFilter(serializers.Serializer):
    project = id_filter()
    household = id_filter()
    community = id_filter()
    status = serializers.ChoiceField(DemandStatus.choices, required=False)


@extend_schema_view(
    list=extend_schema(parameters=[DemandFilter]),
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

    def get_queryset(self) -> QuerySet[Demand]:
        return selectors.demand_list().filter(projects_q(self.request.user))

    def filter_queryset(self, queryset: QuerySet[Demand]) -> QuerySet[Demand]:
        if self.action != "list":
            return queryset
        filters = self.query(DemandFilter)
        lookups = {
            "project": "project_id",
            "household": "household_id",
            "community": "household__community_id",
            "status": "status",
        }
        return queryset.filter(**{lookups[name]: value for name, value in filters.items()})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(DemandChooseInput, request.data, request=request)
        demand = services.demand_choose(
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
        count = services.demand_lock(actor=request.user, project=project, households=households)
        return Response({"locked": count})
