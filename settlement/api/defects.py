"""/api/settlement/defects/: after-care defect tickets (report, answer, close); what they
share with the agreement and handover endpoints is in `api._common`."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.models import Apartment
from households.api.fields import VisibleRelatedField
from households.models import Household
from resettlement.api.base import UserRefSerializer, parsed
from resettlement.api.filters import HouseholdScopeFilterSet, QueryFilter
from settlement.api._common import (
    WRITE_REFUSALS,
    HouseholdRowSerializer,
    HouseholdRowViewSet,
    household_rows,
    row_action,
)
from settlement.models import DefectPhoto, DefectStatus, DefectTicket
from settlement.selectors import defects
from settlement.services import defects as settlement_defects


@extend_schema_field({"type": "string", "enum": DefectStatus.values}, component_name="DefectStatus")
class DefectStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(DefectStatus.choices, **kwargs)


# -- defects --------------------------------------------------------------------------------


class DefectPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The staff view of the photo.")

    def get_url(self, photo: DefectPhoto) -> str:
        return reverse("settlement:defect-photo", args=[photo.pk])


class DefectSerializer(HouseholdRowSerializer):
    """A defect ticket: where, what, photos, and its answer; `time_to_close` once closed."""

    id = serializers.IntegerField()
    apartment = serializers.IntegerField(source="apartment_id", allow_null=True)
    apartment_code = serializers.CharField(source="apartment.code", allow_null=True, default=None)
    location = serializers.CharField()
    description = serializers.CharField()
    status = DefectStatusField()
    reported_by_resident = serializers.BooleanField(
        help_text="Reported by the resident through the lookup code on their notice."
    )
    reported_by = UserRefSerializer(allow_null=True, help_text="Null when the resident reported.")
    reported_at = serializers.DateTimeField()
    answer = serializers.CharField(help_text="Empty until answered.")
    answered_by = UserRefSerializer(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    time_to_close = serializers.SerializerMethodField(
        help_text="Seconds from the report to its closing; null while open."
    )
    photos = DefectPhotoSerializer(many=True)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_time_to_close(self, ticket: DefectTicket) -> int | None:
        delta = defects.time_to_close(ticket)
        return None if delta is None else int(delta.total_seconds())


class DefectFilterSet(HouseholdScopeFilterSet):
    status = QueryFilter(serializers.ChoiceField(DefectStatus.choices, required=False))


class DefectReportSerializer(serializers.Serializer):
    household = VisibleRelatedField(queryset=Household.objects.all())
    apartment = VisibleRelatedField(
        queryset=Apartment.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of the household's apartments; defaults to its only one.",
    )
    location = serializers.CharField(max_length=settlement_defects.LOCATION_MAX)
    description = serializers.CharField(max_length=settlement_defects.DESCRIPTION_MAX)
    # Type (JPEG/PNG by the bytes), emptiness and size are the service's checks.
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        max_length=settlement_defects.MAX_DEFECT_PHOTOS,
        help_text="JPEG or PNG photos (repeat the field for several).",
    )


class DefectAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=settlement_defects.ANSWER_MAX)
    close = serializers.BooleanField(default=False, help_text="Close the ticket as well.")


JSON_OR_FORM = [JSONParser, FormParser, MultiPartParser]


@household_rows(DefectSerializer, DefectFilterSet)
class DefectViewSet(HouseholdRowViewSet):
    """After-care defect tickets (售后报修), newest first."""

    service_actions = ("create", "answer", "close")
    serializer_class = DefectSerializer
    filterset_class = DefectFilterSet
    # Reports carry photos; answering and closing take JSON too (see their actions).
    parser_classes = [MultiPartParser, FormParser]

    def rows(self) -> QuerySet[DefectTicket]:
        return (
            DefectTicket.objects.select_related("apartment", "reported_by", "answered_by")
            .prefetch_related(Prefetch("photos", queryset=DefectPhoto.objects.order_by("pk")))
            .order_by("-reported_at", "-pk")
        )

    @extend_schema(
        request=DefectReportSerializer,
        responses={201: DefectSerializer, **WRITE_REFUSALS},
        summary="Report a defect for a handed-over household (staff), with photos",
    )
    def create(self, request: Request) -> Response:
        """multipart/form-data. 400 `not_handed_over` before the keys are handed over;
        `bad_apartment` for an apartment not the household's; a photo that is not really a
        JPEG or PNG, empty or too large is refused on the `photos` field."""
        data = parsed(DefectReportSerializer, request.data, request=request)
        ticket = settlement_defects.defect_report(
            actor=request.user,
            household=data["household"],
            apartment=data.get("apartment"),
            location=data["location"],
            description=data["description"],
            photos=data["photos"],
        )
        return Response(self.row_data(ticket), status=status.HTTP_201_CREATED)

    @row_action(
        DefectAnswerSerializer,
        DefectSerializer,
        "Answer a defect ticket (and optionally close it)",
        parser_classes=JSON_OR_FORM,
    )
    def answer(self, request: Request, pk: str | None = None) -> Response:
        """400 `closed` once the ticket is closed."""
        ticket = self.get_object()
        data = parsed(DefectAnswerSerializer, request.data)
        settlement_defects.defect_answer(
            actor=request.user, ticket=ticket, answer=data["answer"], close=data["close"]
        )
        return Response(self.row_data(ticket))

    @row_action(
        None, DefectSerializer, "Close an answered defect ticket", parser_classes=JSON_OR_FORM
    )
    def close(self, request: Request, pk: str | None = None) -> Response:
        """400 `not_answered` before it is answered, `closed` when already closed."""
        ticket = self.get_object()
        settlement_defects.defect_close(actor=request.user, ticket=ticket)
        return Response(self.row_data(ticket))
