"""What the agreement, handover and defect endpoints share: refusal schemas, the id path
parameter, the household scope filter and the household row serializer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
)
from rest_framework import serializers

from resettlement.api.base import ErrorSerializer, id_filter

LIST_REFUSALS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
READ_REFUSALS = {403: ErrorSerializer, 404: ErrorSerializer}
WRITE_REFUSALS = {
    400: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    409: ErrorSerializer,
    415: ErrorSerializer,
}
# Any path segment reaches the view, so an id that is no number is a JSON 404 like any other.
LOOKUP = r"[^/]+"
# …while the schema says what a client should send.
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class HouseholdScopeFilter(serializers.Serializer):
    project = id_filter()
    group = id_filter()
    household = id_filter()

    lookups: dict[str, str] = {
        "project": "household__project_id",
        "group": "household__group_id",
        "household": "household_id",
    }


class HouseholdRowSerializer(serializers.Serializer):
    """Which household a row is about (shared by the three kinds of rows)."""

    project = serializers.IntegerField(source="household.project_id")
    household = serializers.IntegerField(source="household.pk")
    household_code = serializers.CharField(source="household.code")
    head_name = serializers.SerializerMethodField(help_text="The household head's full name.")
    group = serializers.IntegerField(source="household.group_id")
    group_code = serializers.CharField(source="household.group.code")
    group_name = serializers.CharField(source="household.group.name")

    def get_head_name(self, row: Any) -> str:
        return row.head_name or ""
