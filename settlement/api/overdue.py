"""/api/settlement/overdue/: households in transition with their overdue rights
(超期回迁权益) and the leader's switch to cash.

One row per household with a moving-out day (a `Transition`), with its promised return day,
whether it is overdue today, months overdue, the policy's multiplier and from which subsidy
month, whether it may switch to cash (`settlement.selectors.overdue`, read for a whole page
in a fixed number of queries); POST /{id}/switch-to-cash/ (a leader, with a reason) answers
with the statement's new version.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from resettlement import periods
from resettlement.api.base import parsed
from resettlement.api.filters import HouseholdScopeFilterSet
from settlement.api._common import (
    HouseholdRowSerializer,
    HouseholdRowViewSet,
    household_rows,
    row_action,
)
from settlement.models import Statement, Transition
from settlement.selectors.overdue import overdue_rights_for
from settlement.services import overdue as overdue_services


class OverdueRightsSerializer(HouseholdRowSerializer):
    """A household in transition and what its project's policy gives it when overdue."""

    id = serializers.IntegerField(help_text="The transition's id.")
    moved_out_on = serializers.DateField()
    promised_on = serializers.SerializerMethodField(
        help_text="Explicit, or moving out + the policy's transition months; null without both."
    )
    promised_by_policy = serializers.SerializerMethodField()
    handed_over_on = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField(help_text="Past the promised day, without keys.")
    months_overdue = serializers.SerializerMethodField()
    multiplier = serializers.SerializerMethodField(
        help_text="The policy's overdue multiplier of the fee; null without a policy."
    )
    multiplied_from_month = serializers.SerializerMethodField(
        help_text="The first subsidy month (from moving out) at the multiplied rate."
    )
    multiplied_from = serializers.SerializerMethodField()
    cash_option = serializers.SerializerMethodField(
        help_text="The policy lets an overdue household switch to cash."
    )
    may_switch_to_cash = serializers.SerializerMethodField()
    switched_to_cash_on = serializers.SerializerMethodField()
    cash_valued_on = serializers.SerializerMethodField()

    def _rights(self, transition: Transition):
        rights = self.context.get("rights")
        if rights is None or transition.household_id not in rights:
            rights = overdue_rights_for([transition.household], today=periods.today())
            self.context["rights"] = {**self.context.get("rights", {}), **rights}
        return self.context["rights"][transition.household_id]

    def get_promised_on(self, t: Transition) -> Any:
        return self._rights(t).promised_on

    def get_promised_by_policy(self, t: Transition) -> bool:
        return self._rights(t).promised_by_policy

    def get_handed_over_on(self, t: Transition) -> Any:
        return self._rights(t).handed_over_on

    def get_overdue(self, t: Transition) -> bool:
        return self._rights(t).overdue

    def get_months_overdue(self, t: Transition) -> int:
        return self._rights(t).months_overdue

    def get_multiplier(self, t: Transition) -> str | None:
        value = self._rights(t).multiplier
        return str(value) if value is not None else None

    def get_multiplied_from_month(self, t: Transition) -> int | None:
        return self._rights(t).multiplied_from_month

    def get_multiplied_from(self, t: Transition) -> Any:
        return self._rights(t).multiplied_from

    def get_cash_option(self, t: Transition) -> bool:
        return self._rights(t).cash_option

    def get_may_switch_to_cash(self, t: Transition) -> bool:
        return self._rights(t).may_switch_to_cash

    def get_switched_to_cash_on(self, t: Transition) -> Any:
        switch = self._rights(t).switch
        return switch.switched_on if switch else None

    def get_cash_valued_on(self, t: Transition) -> Any:
        switch = self._rights(t).switch
        return switch.valued_on if switch else None


class CashSwitchSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=overdue_services.REASON_MAX, allow_blank=True, help_text="Required."
    )


class CashSwitchResultSerializer(serializers.Serializer):
    statement = serializers.IntegerField(source="pk")
    version = serializers.IntegerField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    approval_round = serializers.IntegerField()
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    cash_valued_on = serializers.SerializerMethodField()

    def get_cash_valued_on(self, statement: Statement) -> str | None:
        return statement.inputs.get("cash_valued_on")


@household_rows(OverdueRightsSerializer, HouseholdScopeFilterSet)
class OverdueViewSet(HouseholdRowViewSet):
    """Households in transition and their overdue rights (超期回迁权益)."""

    service_actions = ("switch_to_cash",)
    serializer_class = OverdueRightsSerializer
    filterset_class = HouseholdScopeFilterSet

    def rows(self) -> QuerySet[Transition]:
        return Transition.objects.select_related("household").order_by(
            "household__project_id", "household__code"
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        # The page's rights in a fixed number of queries.
        rights = overdue_rights_for([t.household for t in rows], today=periods.today())
        data = self.serializer_class(
            rows, many=True, context={**self.get_serializer_context(), "rights": rights}
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @row_action(
        CashSwitchSerializer,
        CashSwitchResultSerializer,
        "Switch an overdue household to cash (a leader): a new statement version to approve",
        url_path="switch-to-cash",
    )
    def switch_to_cash(self, request: Request, pk: str | None = None) -> Response:
        """400 `cash_option_not_allowed`, `not_overdue`, `has_allocation`, or `invalid_input`
        naming `reason`; 403 for anyone but a leader."""
        transition = self.get_object()
        data = parsed(CashSwitchSerializer, request.data)
        statement = overdue_services.switch_to_cash(
            actor=request.user, household=transition.household, reason=data["reason"]
        )
        return Response(CashSwitchResultSerializer(statement).data)
