"""The key handover API, /api/settlement/handovers/, and what the agreement and after-care
endpoints (`api.agreements`, `api.defects`) share with it (schema at /api/schema/).

- /agreements/: resettlement agreements. POST issues the household's agreement (201), or
  issues it again while unsigned (200, a new text and hash); POST /{id}/sign/ records the
  signing. A signed agreement never changes: signing again is refused (400 already_signed).
- /handovers/: key handovers. POST records one (201); POST /{id}/correct/ replaces a
  recorded one (change permission); POST /{id}/move-in/ records the move-in date.
- /defects/: after-care defect tickets. POST reports one as staff, as multipart/form-data
  with up to six JPEG/PNG `photos`; POST /{id}/answer/ answers (optionally closing),
  POST /{id}/close/ closes an answered ticket.

Lists filter by project, villager group, household and status, in a fixed number of queries.
Every write calls one function of `settlement.services.agreements`, `.handover` or
`.defects`, which checks the caller's
permission and the rules; a refusal has the one error shape of
`resettlement.api.exceptions.exception_handler`, with `errors` naming the fields. Staff API:
full names.
Files are never served here: `pdf_url` and photo `url` lead to the permission-checked staff
downloads.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import projects_q
from households.api.fields import VisibleRelatedField
from households.models import Household
from households.selectors.registration import head
from resettlement.api.base import RegistryViewMixin, UserRefSerializer, parsed
from settlement.api._common import (
    ID_PARAMETER,
    LIST_REFUSALS,
    LOOKUP,
    READ_REFUSALS,
    WRITE_REFUSALS,
    HouseholdRowSerializer,
    HouseholdScopeFilter,
)
from settlement.models import Handover
from settlement.services import agreements
from settlement.services import handover as settlement_handover

HANDOVER_STATES = ("handed_over", "moved_in")


@extend_schema_field(
    {"type": "string", "enum": list(HANDOVER_STATES)}, component_name="HandoverStatus"
)
class HandoverStatusField(serializers.CharField):
    pass


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
    status = serializers.SerializerMethodField(
        help_text="handed_over: keys given; moved_in: moved in too."
    )
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

    @extend_schema_field(HandoverStatusField())
    def get_status(self, handover: Handover) -> str:
        return "moved_in" if handover.moved_in_on else "handed_over"


class HandoverFilter(HouseholdScopeFilter):
    status = serializers.ChoiceField(HANDOVER_STATES, required=False)


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


def handover_queryset() -> QuerySet[Handover]:
    return (
        Handover.objects.select_related("household__group", "handed_over_by")
        .annotate(head_name=head(household="household"))
        .order_by("household__project_id", "household__code", "pk")
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[HandoverFilter], responses={200: HandoverSerializer(many=True), **LIST_REFUSALS}
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER], responses={200: HandoverSerializer, **READ_REFUSALS}
    ),
)
class HandoverViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Key handovers (交房: date, keys, meter readings, who handed over and received) and
    moving in (入住)."""

    service_actions = ("create", "correct", "move_in")
    serializer_class = HandoverSerializer
    lookup_value_regex = LOOKUP

    def get_queryset(self) -> QuerySet[Handover]:
        return handover_queryset().filter(projects_q(self.request.user, "household__project"))

    def filter_queryset(self, queryset: QuerySet[Handover]) -> QuerySet[Handover]:
        if self.action != "list":
            return queryset
        filters = self.query(HandoverFilter)
        state = filters.pop("status", None)
        if state is not None:
            queryset = queryset.filter(moved_in_on__isnull=state == "handed_over")
        lookups = HouseholdScopeFilter.lookups
        return queryset.filter(**{lookups[name]: value for name, value in filters.items()})

    def _render(self, handover: Handover) -> dict[str, Any]:
        return HandoverSerializer(handover_queryset().get(pk=handover.pk)).data

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
        return Response(self._render(handover), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=HandoverInputSerializer,
        responses={200: HandoverSerializer, **WRITE_REFUSALS},
        summary="Correct a recorded handover",
        parameters=[ID_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        """Replaces every value (change permission); the move-in date is kept and must still
        be on or after the handover."""
        handover = self.get_object()
        handover = self._record(request, handover.household, correct=True)
        return Response(self._render(handover))

    @extend_schema(
        request=MoveInSerializer,
        responses={200: HandoverSerializer, **WRITE_REFUSALS},
        summary="Record the date the household moved in",
        parameters=[ID_PARAMETER],
    )
    @action(detail=True, methods=["post"], url_path="move-in")
    def move_in(self, request: Request, pk: str | None = None) -> Response:
        handover = self.get_object()
        data = parsed(MoveInSerializer, request.data)
        settlement_handover.move_in_record(
            actor=request.user, household=handover.household, moved_in_on=data["moved_in_on"]
        )
        return Response(self._render(handover))
