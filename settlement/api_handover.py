"""The agreement, handover and after-care API under /api/settlement/ (schema at /api/schema/).

- /agreements/: resettlement agreements. POST issues the household's agreement (201), or
  issues it again while unsigned (200, a new text and hash); POST /{id}/sign/ records the
  signing. A signed agreement never changes: signing again is refused (400 already_signed).
- /handovers/: key handovers. POST records one (201); POST /{id}/correct/ replaces a
  recorded one (change permission); POST /{id}/move-in/ records the move-in date.
- /defects/: after-care defect tickets. POST reports one as staff, as multipart/form-data
  with up to six JPEG/PNG `photos`; POST /{id}/answer/ answers (optionally closing),
  POST /{id}/close/ closes an answered ticket.

Lists filter by project, villager group, household and status, in a fixed number of queries.
Every write calls one function of `settlement.services_handover`, which checks the caller's
permission and the rules; a refusal has the one error shape of
`resettlement.api.exceptions.exception_handler`, with `errors` naming the fields. Staff API:
full names.
Files are never served here: `pdf_url` and photo `url` lead to the permission-checked staff
downloads.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.models import Apartment
from households.access import projects_q
from households.api.fields import VisibleRelatedField
from households.models import Household
from households.selectors.registration import head
from resettlement.api.base import (
    ErrorSerializer,
    RegistryViewMixin,
    UserRefSerializer,
    id_filter,
    parsed,
)
from settlement import selectors_handover, services_handover
from settlement.models import Agreement, DefectPhoto, DefectStatus, DefectTicket, Handover

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
AGREEMENT_STATES = ("issued", "signed")
HANDOVER_STATES = ("handed_over", "moved_in")


# Named components: as plain enums they would be named after the property ("status"),
# which other endpoints use for other sets of values.
@extend_schema_field(
    {"type": "string", "enum": list(AGREEMENT_STATES)}, component_name="AgreementStatus"
)
class AgreementStatusField(serializers.CharField):
    pass


@extend_schema_field(
    {"type": "string", "enum": list(HANDOVER_STATES)}, component_name="HandoverStatus"
)
class HandoverStatusField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": DefectStatus.values}, component_name="DefectStatus")
class DefectStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(DefectStatus.choices, **kwargs)


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


# -- agreements -----------------------------------------------------------------------------


class AgreementSerializer(HouseholdRowSerializer):
    """A household's resettlement agreement: its number, the hash of the issued text and
    the signing record."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.SerializerMethodField(help_text="issued: not yet signed; signed: final.")
    pdf_sha256 = serializers.CharField(help_text="SHA-256 of the issued PDF.")
    pdf_url = serializers.SerializerMethodField(help_text="The staff download of the PDF.")
    signed_on = serializers.DateField(allow_null=True)
    signer_name = serializers.CharField(help_text="Empty until signed.")
    recorded_by = UserRefSerializer()
    recorded_at = serializers.DateTimeField()

    def get_pdf_url(self, agreement: Agreement) -> str:
        return reverse("settlement:agreement-download", args=[agreement.household_id])

    @extend_schema_field(AgreementStatusField())
    def get_status(self, agreement: Agreement) -> str:
        return "signed" if agreement.signed_on else "issued"


class AgreementFilter(HouseholdScopeFilter):
    status = serializers.ChoiceField(AGREEMENT_STATES, required=False)


class AgreementIssueSerializer(serializers.Serializer):
    household = VisibleRelatedField(queryset=Household.objects.all())


class AgreementSignSerializer(serializers.Serializer):
    signed_on = serializers.DateField(help_text="Not in the future.")
    signer_name = serializers.CharField(max_length=services_handover.NAME_MAX)


def agreement_queryset() -> QuerySet[Agreement]:
    return (
        Agreement.objects.select_related("household__group", "recorded_by")
        .annotate(head_name=head(household="household"))
        .order_by("project_id", "number", "pk")
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[AgreementFilter],
        responses={200: AgreementSerializer(many=True), **LIST_REFUSALS},
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER], responses={200: AgreementSerializer, **READ_REFUSALS}
    ),
)
class AgreementViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Resettlement agreements (安置协议) and their signing records."""

    # The services check the add/change permissions: issuing again needs change, not add.
    service_actions = ("create", "sign")
    serializer_class = AgreementSerializer
    lookup_value_regex = LOOKUP

    def get_queryset(self) -> QuerySet[Agreement]:
        return agreement_queryset().filter(projects_q(self.request.user, "household__project"))

    def filter_queryset(self, queryset: QuerySet[Agreement]) -> QuerySet[Agreement]:
        if self.action != "list":
            return queryset
        filters = self.query(AgreementFilter)
        state = filters.pop("status", None)
        if state is not None:
            queryset = queryset.filter(signed_on__isnull=state == "issued")
        lookups = HouseholdScopeFilter.lookups
        return queryset.filter(**{lookups[name]: value for name, value in filters.items()})

    def _render(self, agreement: Agreement) -> dict[str, Any]:
        return AgreementSerializer(agreement_queryset().get(pk=agreement.pk)).data

    @extend_schema(
        request=AgreementIssueSerializer,
        responses={200: AgreementSerializer, 201: AgreementSerializer, **WRITE_REFUSALS},
        summary="Issue the household's agreement, or issue it again until it is signed",
    )
    def create(self, request: Request) -> Response:
        """201 when issued for the first time; 200 when an unsigned agreement is issued again
        (a new text and hash); 400 `already_signed` once signed, `not_approved` for a
        household not approved, `no_outcome` without apartments or a monetised statement."""
        data = parsed(AgreementIssueSerializer, request.data, request=request)
        existed = Agreement.objects.filter(household=data["household"]).exists()
        agreement, _pdf = services_handover.agreement_issue(
            actor=request.user, household=data["household"]
        )
        return Response(
            self._render(agreement),
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=AgreementSignSerializer,
        responses={200: AgreementSerializer, **WRITE_REFUSALS},
        summary="Record that the household signed the issued agreement",
        parameters=[ID_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        """Signed once: signing again is refused (400 `already_signed`) and the first
        signing record stays as it was."""
        agreement = self.get_object()
        data = parsed(AgreementSignSerializer, request.data)
        services_handover.agreement_sign(
            actor=request.user,
            agreement=agreement,
            signed_on=data["signed_on"],
            signer_name=data["signer_name"],
        )
        return Response(self._render(agreement))


# -- handovers ------------------------------------------------------------------------------


def _reading(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=services_handover.MAX_READING,
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
    keys = serializers.IntegerField(min_value=1, max_value=services_handover.MAX_KEYS)
    water_reading = _reading()
    electricity_reading = _reading()
    gas_reading = _reading(required=False, allow_null=True, default=None)
    received_by = serializers.CharField(
        max_length=services_handover.NAME_MAX, help_text="Who received the keys."
    )
    signature_record = serializers.CharField(
        max_length=services_handover.SIGNATURE_RECORD_MAX,
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
        return services_handover.handover_record(
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
        services_handover.move_in_record(
            actor=request.user, household=handover.household, moved_in_on=data["moved_in_on"]
        )
        return Response(self._render(handover))


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
        delta = selectors_handover.time_to_close(ticket)
        return None if delta is None else int(delta.total_seconds())


class DefectFilter(HouseholdScopeFilter):
    status = serializers.ChoiceField(DefectStatus.choices, required=False)


class DefectReportSerializer(serializers.Serializer):
    household = VisibleRelatedField(queryset=Household.objects.all())
    apartment = VisibleRelatedField(
        queryset=Apartment.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of the household's apartments; defaults to its only one.",
    )
    location = serializers.CharField(max_length=services_handover.LOCATION_MAX)
    description = serializers.CharField(max_length=services_handover.DESCRIPTION_MAX)
    # Type (JPEG/PNG by the bytes), emptiness and size are the service's checks.
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        max_length=services_handover.MAX_DEFECT_PHOTOS,
        help_text="JPEG or PNG photos (repeat the field for several).",
    )


class DefectAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=services_handover.ANSWER_MAX)
    close = serializers.BooleanField(default=False, help_text="Close the ticket as well.")


def defect_queryset() -> QuerySet[DefectTicket]:
    return (
        DefectTicket.objects.select_related(
            "household__group", "apartment", "reported_by", "answered_by"
        )
        .prefetch_related(Prefetch("photos", queryset=DefectPhoto.objects.order_by("pk")))
        .annotate(head_name=head(household="household"))
        .order_by("-reported_at", "-pk")
    )


JSON_OR_FORM = [JSONParser, FormParser, MultiPartParser]


@extend_schema_view(
    list=extend_schema(
        parameters=[DefectFilter], responses={200: DefectSerializer(many=True), **LIST_REFUSALS}
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER], responses={200: DefectSerializer, **READ_REFUSALS}
    ),
)
class DefectViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """After-care defect tickets (售后报修), newest first."""

    service_actions = ("create", "answer", "close")
    serializer_class = DefectSerializer
    lookup_value_regex = LOOKUP
    # Reports carry photos; answering and closing take JSON too (see their actions).
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[DefectTicket]:
        return defect_queryset().filter(projects_q(self.request.user, "household__project"))

    def filter_queryset(self, queryset: QuerySet[DefectTicket]) -> QuerySet[DefectTicket]:
        if self.action != "list":
            return queryset
        filters = self.query(DefectFilter)
        lookups = {**HouseholdScopeFilter.lookups, "status": "status"}
        return queryset.filter(**{lookups[name]: value for name, value in filters.items()})

    def _render(self, ticket: DefectTicket) -> dict[str, Any]:
        return DefectSerializer(defect_queryset().get(pk=ticket.pk)).data

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
        ticket = services_handover.defect_report(
            actor=request.user,
            household=data["household"],
            apartment=data.get("apartment"),
            location=data["location"],
            description=data["description"],
            photos=data["photos"],
        )
        return Response(self._render(ticket), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DefectAnswerSerializer,
        responses={200: DefectSerializer, **WRITE_REFUSALS},
        summary="Answer a defect ticket (and optionally close it)",
        parameters=[ID_PARAMETER],
    )
    @action(detail=True, methods=["post"], parser_classes=JSON_OR_FORM)
    def answer(self, request: Request, pk: str | None = None) -> Response:
        """400 `closed` once the ticket is closed."""
        ticket = self.get_object()
        data = parsed(DefectAnswerSerializer, request.data)
        services_handover.defect_answer(
            actor=request.user, ticket=ticket, answer=data["answer"], close=data["close"]
        )
        return Response(self._render(ticket))

    @extend_schema(
        request=None,
        responses={200: DefectSerializer, **WRITE_REFUSALS},
        summary="Close an answered defect ticket",
        parameters=[ID_PARAMETER],
    )
    @action(detail=True, methods=["post"], parser_classes=JSON_OR_FORM)
    def close(self, request: Request, pk: str | None = None) -> Response:
        """400 `not_answered` before it is answered, `closed` when already closed."""
        ticket = self.get_object()
        services_handover.defect_close(actor=request.user, ticket=ticket)
        return Response(self._render(ticket))
