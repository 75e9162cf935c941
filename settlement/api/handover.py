"""/api/settlement/handovers/: key handovers (record, correct, move in); what they share with
the agreement and defect endpoints is in `api._common`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from households.api.fields import VisibleRelatedField
from households.models import Household
from resettlement.api.base import UserRefSerializer, parsed
from resettlement.api.filters import HouseholdScopeFilterSet
from settlement.api._common import (
    WRITE_REFUSALS,
    DatedState,
    HouseholdRowSerializer,
    HouseholdRowViewSet,
    household_rows,
    row_action,
)
from settlement.models import Handover
from settlement.services import agreements
from settlement.services import handover as settlement_handover

HANDOVER_STATE = DatedState("HandoverStatus", ("handed_over", "moved_in"), "moved_in_on")


# -- handovers ------------------------------------------------------------------------------


def _reading(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=settlement_handover.MAX_READING,
        **kwargs,
    )


class HandoverSerializer(HouseholdRowSerializer):
    """A household's key handover (date, keys, meter readings, who) and its move-in date."""

    id = serializers.IntegerField()
    status = HANDOVER_STATE.field(help_text="handed_over: keys given; moved_in: moved in too.")
    handed_over_on = serializers.DateField()
    keys = serializers.IntegerField()
    water_reading = serializers.DecimalField(max_digits=10, decimal_places=2)
    electricity_reading = serializers.DecimalField(max_digits=10, decimal_places=2)
    gas_reading = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    handed_over_by = UserRefSerializer()
    received_by = serializers.CharField()
    signature_record = serializers.CharField()
    moved_in_on = serializers.DateField(allow_null=True)
    recorded_at = serializers.DateTimeField()


class HandoverFilterSet(HouseholdScopeFilterSet):
    status = HANDOVER_STATE.query()


class HandoverInputSerializer(serializers.Serializer):
    handed_over_on = serializers.DateField(help_text="Not in the future.")
    keys = serializers.IntegerField(min_value=1, max_value=settlement_handover.MAX_KEYS)
    water_reading = _reading()
    electricity_reading = _reading()
    gas_reading = _reading(required=False, allow_null=True, default=None)
    received_by = serializers.CharField(
        max_length=agreements.NAME_MAX, help_text="Who received the keys."
    )
    signature_record = serializers.CharField(
        max_length=settlement_handover.SIGNATURE_RECORD_MAX,
        help_text="The signed handover form, e.g. its number.",
    )


class HandoverRecordSerializer(HandoverInputSerializer):
    household = VisibleRelatedField(queryset=Household.objects.all())


class MoveInSerializer(serializers.Serializer):
    moved_in_on = serializers.DateField(help_text="On or after the handover, not in the future.")


@household_rows(HandoverSerializer, HandoverFilterSet)
class HandoverViewSet(HouseholdRowViewSet):
    """Key handovers (交房: date, keys, meter readings, who handed over and received) and
    moving in (入住)."""

    service_actions = ("create", "correct", "move_in")
    serializer_class = HandoverSerializer
    filterset_class = HandoverFilterSet

    def rows(self) -> QuerySet[Handover]:
        return Handover.objects.select_related("handed_over_by").order_by(
            "household__project_id", "household__code", "pk"
        )

    def _record(self, request: Request, household: Household, *, correct: bool) -> Handover:
        data = parsed(HandoverInputSerializer, request.data)
        return settlement_handover.handover_record(
            actor=request.user, household=household, correct=correct, **data
        )

    @extend_schema(
        request=HandoverRecordSerializer,
        responses={201: HandoverSerializer, **WRITE_REFUSALS},
        summary="Record the key handover of a household's apartments",
    )
    def create(self, request: Request) -> Response:
        """Recorded once (400 `already_handed_over`; put a mistake right with /correct/);
        only for a household with apartments from a signed lottery (400 `no_apartment`)."""
        household = parsed(HandoverRecordSerializer, request.data, request=request)["household"]
        handover = self._record(request, household, correct=False)
        return Response(self.row_data(handover), status=status.HTTP_201_CREATED)

    @row_action(HandoverInputSerializer, HandoverSerializer, "Correct a recorded handover")
    def correct(self, request: Request, pk: str | None = None) -> Response:
        """Replaces every value (change permission); the move-in date is kept and must still
        be on or after the handover."""
        handover = self.get_object()
        handover = self._record(request, handover.household, correct=True)
        return Response(self.row_data(handover))

    @row_action(
        MoveInSerializer,
        HandoverSerializer,
        "Record the date the household moved in",
        url_path="move-in",
    )
    def move_in(self, request: Request, pk: str | None = None) -> Response:
        handover = self.get_object()
        data = parsed(MoveInSerializer, request.data)
        settlement_handover.move_in_record(
            actor=request.user, household=handover.household, moved_in_on=data["moved_in_on"]
        )
        return Response(self.row_data(handover))
