"""/api/settlement/agreements/: resettlement agreements (issue, sign); what they share with
the handover and defect endpoints is in `api._common`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
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
from settlement.models import Agreement
from settlement.services import agreements

AGREEMENT_STATE = DatedState("AgreementStatus", ("issued", "signed"), "signed_on")


# -- agreements -----------------------------------------------------------------------------


class AgreementSerializer(HouseholdRowSerializer):
    """A household's resettlement agreement: its number, the hash of the issued text and
    the signing record."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = AGREEMENT_STATE.field(help_text="issued: not yet signed; signed: final.")
    pdf_sha256 = serializers.CharField(help_text="SHA-256 of the issued PDF.")
    pdf_url = serializers.SerializerMethodField(help_text="The staff download of the PDF.")
    signed_on = serializers.DateField(allow_null=True)
    signer_name = serializers.CharField(help_text="Empty until signed.")
    recorded_by = UserRefSerializer()
    recorded_at = serializers.DateTimeField()

    def get_pdf_url(self, agreement: Agreement) -> str:
        return reverse("settlement:agreement-download", args=[agreement.household_id])


class AgreementFilterSet(HouseholdScopeFilterSet):
    status = AGREEMENT_STATE.query()


class AgreementIssueSerializer(serializers.Serializer):
    household = VisibleRelatedField(queryset=Household.objects.all())


class AgreementSignSerializer(serializers.Serializer):
    signed_on = serializers.DateField(help_text="Not in the future.")
    signer_name = serializers.CharField(max_length=agreements.NAME_MAX)


@household_rows(AgreementSerializer, AgreementFilterSet)
class AgreementViewSet(HouseholdRowViewSet):
    """Resettlement agreements (安置协议) and their signing records."""

    # The services check the add/change permissions: issuing again needs change, not add.
    service_actions = ("create", "sign")
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet

    def rows(self) -> QuerySet[Agreement]:
        return Agreement.objects.select_related("recorded_by").order_by(
            "project_id", "number", "pk"
        )

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
        agreement, _pdf = agreements.agreement_issue(
            actor=request.user, household=data["household"]
        )
        return Response(
            self.row_data(agreement),
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @row_action(
        AgreementSignSerializer,
        AgreementSerializer,
        "Record that the household signed the issued agreement",
    )
    def sign(self, request: Request, pk: str | None = None) -> Response:
        """Signed once: signing again is refused (400 `already_signed`) and the first
        signing record stays as it was."""
        agreement = self.get_object()
        data = parsed(AgreementSignSerializer, request.data)
        agreements.agreement_sign(
            actor=request.user,
            agreement=agreement,
            signed_on=data["signed_on"],
            signer_name=data["signer_name"],
        )
        return Response(self.row_data(agreement))
