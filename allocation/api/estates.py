"""The housing stock API under /api/allocation/ (schema at /api/schema/): estates with their
floor rule, and apartments, read-only. `RolePermission` refuses anyone without the model's
view permission. Errors have the one shape of `resettlement.api.exceptions.exception_handler`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from allocation.models import Apartment, ApartmentStatus, Estate, FloorTier
from allocation.selectors import estates as estate_selectors
from households.access import projects_q
from resettlement.api.base import RegistryViewMixin
from resettlement.api.filters import ListFilterBackend, ProjectScopeFilterSet, QueryFilter, id_query


# Named components of their own: left as plain enums, they would be named by the property
# ("status"), which the registry's households and the lottery's sessions use for other sets.
@extend_schema_field(
    {"type": "string", "enum": ApartmentStatus.values}, component_name="ApartmentStatus"
)
class ApartmentStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ApartmentStatus.choices, **kwargs)


# -- estates ------------------------------------------------------------------------------


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


@extend_schema_view(list=extend_schema(parameters=[ProjectScopeFilterSet.parameters()]))
class EstateViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Resettlement estates with their floor rule (which floors are tier A, B, C)."""

    serializer_class = EstateSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = ProjectScopeFilterSet

    def get_queryset(self) -> QuerySet[Estate]:
        return (
            estate_selectors.estate_list()
            .filter(projects_q(self.request.user))
            .prefetch_related(
                Prefetch("floor_tiers", queryset=FloorTier.objects.order_by("floor_from"))
            )
        )


# -- apartments ---------------------------------------------------------------------------


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


class ApartmentFilterSet(ProjectScopeFilterSet):
    estate = id_query("estate_id")
    status = QueryFilter(serializers.ChoiceField(ApartmentStatus.choices, required=False))
    type = QueryFilter(
        serializers.CharField(required=False, help_text="Apartment type code, e.g. T90."),
        field_name="apartment_type__code",
    )


@extend_schema_view(list=extend_schema(parameters=[ApartmentFilterSet.parameters()]))
class ApartmentViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Apartments in housing-orientation order (building sequence, stair, floor, room)."""

    serializer_class = ApartmentSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = ApartmentFilterSet

    def get_queryset(self) -> QuerySet[Apartment]:
        return estate_selectors.apartment_list().filter(projects_q(self.request.user))
