"""/api/settlement/bank-accounts/: households' bank accounts (record, confirm, reject).

POST records an account or a change of it (pending, 201); POST /{id}/confirm/
(finance, not the recorder: 403 `four_eyes`) makes it the account in use, superseding the one
before; POST /{id}/reject/ sends it back with a reason. `account_number` is in full for
finance only and otherwise only its last 4 digits (`resettlement.masking.Mask.BANK_ACCOUNT`),
as on the pages; so is any number in the reasons.

"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from households.api.fields import VisibleRelatedField
from households.models import Household
from resettlement.api.base import UserRefSerializer, parsed
from resettlement.api.filters import HouseholdScopeFilterSet, QueryFilter
from resettlement.masking import Mask, mask
from resettlement.personal_data import bank_account_shown, sees_full_bank_accounts
from settlement.api._common import (
    WRITE_REFUSALS,
    HouseholdRowSerializer,
    HouseholdRowViewSet,
    household_rows,
    row_action,
)
from settlement.models import BankAccount, BankAccountStatus
from settlement.services import bank_accounts as bank_account_services

# -- bank accounts --------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "enum": list(BankAccountStatus.values)},
    component_name="BankAccountStatus",
)
class BankAccountStatusField(serializers.ReadOnlyField):
    """The status as a named enum component (a plain one would be named "status", which
    other endpoints use for other sets of values)."""


class BankAccountSerializer(HouseholdRowSerializer):
    """A household's bank account row: in use (confirmed), pending, superseded or rejected."""

    id = serializers.IntegerField()
    status = BankAccountStatusField(
        help_text="pending, confirmed (in use), superseded (replaced), rejected."
    )
    holder_name = serializers.CharField()
    holder_differs = serializers.SerializerMethodField(
        help_text="The holder is not the household head (allowed: paid to another member)."
    )
    bank_name = serializers.CharField()
    account_number = serializers.SerializerMethodField(
        help_text="In full for finance; otherwise only the last 4 digits (**** **** **** 0018)."
    )
    account_number_masked = serializers.SerializerMethodField(
        help_text="True when `account_number` shows only its last 4 digits."
    )
    reason = serializers.SerializerMethodField(help_text="Why it was recorded or changed.")
    rejection_reason = serializers.SerializerMethodField()
    recorded_by = UserRefSerializer()
    recorded_at = serializers.DateTimeField()
    confirmed_by = UserRefSerializer(allow_null=True, help_text="Who confirmed or rejected it.")
    confirmed_at = serializers.DateTimeField(allow_null=True)

    def _full(self) -> bool:
        return sees_full_bank_accounts(self.context["request"].user)

    def _text(self, value: str) -> str:
        return value if self._full() else mask(value, Mask.TEXT)

    def get_account_number(self, account: BankAccount) -> str:
        return bank_account_shown(self.context["request"].user, account.account_number)

    def get_account_number_masked(self, account: BankAccount) -> bool:
        return not self._full()

    def get_holder_differs(self, account: BankAccount) -> bool:
        return bank_account_services.holder_differs(account.holder_name, account.head_name or "")

    def get_reason(self, account: BankAccount) -> str:
        return self._text(account.reason)

    def get_rejection_reason(self, account: BankAccount) -> str:
        return self._text(account.rejection_reason)


class BankAccountFilterSet(HouseholdScopeFilterSet):
    status = QueryFilter(serializers.ChoiceField(BankAccountStatus.choices, required=False))


class BankAccountRecordSerializer(serializers.Serializer):
    household = VisibleRelatedField(queryset=Household.objects.all())
    holder_name = serializers.CharField(max_length=50, allow_blank=True)
    bank_name = serializers.CharField(max_length=100, allow_blank=True)
    account_number = serializers.CharField(
        max_length=60,
        allow_blank=True,
        help_text="12–30 digits (spaces are dropped); a bank card passes the Luhn check.",
    )
    reason = serializers.CharField(
        max_length=bank_account_services.REASON_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to change a confirmed account.",
    )


class BankAccountRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=bank_account_services.REASON_MAX)


@household_rows(BankAccountSerializer, BankAccountFilterSet)
class BankAccountViewSet(HouseholdRowViewSet):
    """Households' bank accounts for payments on their behalf (代发), newest first."""

    service_actions = ("create", "confirm", "reject")
    serializer_class = BankAccountSerializer
    filterset_class = BankAccountFilterSet

    def rows(self) -> QuerySet[BankAccount]:
        return BankAccount.objects.select_related("recorded_by", "confirmed_by").order_by(
            "household__project_id", "household__code", "-recorded_at", "-pk"
        )

    def row_data(self, row: BankAccount) -> dict[str, Any]:
        return self.serializer_class(
            self._rows().get(pk=row.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(
        request=BankAccountRecordSerializer,
        responses={201: BankAccountSerializer, **WRITE_REFUSALS},
        summary="Record a household's bank account, or a change of it, for a second person",
    )
    def create(self, request: Request) -> Response:
        """400 `bank_account_pending` while another waits for confirmation; 400 with the
        field named for a bad number (`checksum`, `length`) or a missing reason."""
        data = parsed(BankAccountRecordSerializer, request.data, request=request)
        account = bank_account_services.bank_account_record(actor=request.user, **data)
        return Response(self.row_data(account), status=status.HTTP_201_CREATED)

    @row_action(None, BankAccountSerializer, "Confirm a pending account (a second person)")
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """403 `four_eyes` for the person who recorded it."""
        account = self.get_object()
        bank_account_services.bank_account_confirm(actor=request.user, account=account)
        return Response(self.row_data(account))

    @row_action(BankAccountRejectSerializer, BankAccountSerializer, "Reject a pending account")
    def reject(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        data = parsed(BankAccountRejectSerializer, request.data)
        bank_account_services.bank_account_reject(
            actor=request.user, account=account, reason=data["reason"]
        )
        return Response(self.row_data(account))
