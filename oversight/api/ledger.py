"""/api/oversight/ledger/: the overdue-return ledger (超期回迁台账, seed 004) of one project —
who is owed what for which months, and whether it was paid on time. Read-only; every figure
comes from `oversight.selectors.ledger`, the selectors the staff ledger pages use
(definitions: docs/oversight.md).

- GET /ledger/?project=<id> (&overdue, &in_arrears, &paid_late): the project's ledger rows as
  of the last refresh, every household in transition without its keys, most overdue first.
- GET /ledger/{household_id}/months/: one household's months computed today from the
  payments recorded, as its ledger page shows them (owed, paid, on which day, by which run
  or by its settled statement, days late).
- GET /ledger/periods/?project=<id>: the sums per run period (`LedgerPeriod`) and the
  project's totals.

Needs `oversight.view_ledger` (else 403) and the project (else 404). The head's name is
masked unless the caller's role sees personal data in full (`resettlement.personal_data`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import require_project
from oversight.api._common import REFUSALS, ProjectQuery, holding, money_field, project_of
from oversight.models import LedgerEntry, LedgerMonthSource, LedgerMonthStatus
from oversight.selectors import ledger as ledger_selectors
from resettlement.api.base import MAX_ID, ErrorSerializer, RegistryViewMixin
from resettlement.api.filters import ListFilterBackend, QueryFilter, QueryFilterSet
from resettlement.masking import Mask
from resettlement.personal_data import shown

VIEW_LEDGER = "oversight.view_ledger"


class HeadNameField(serializers.CharField):
    """The household head's name, masked unless the caller sees personal data in full."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, name: Any) -> str:
        return shown(self.context["request"].user, name or "", Mask.NAME)


class LedgerEntrySerializer(serializers.Serializer):
    """A household's row of the ledger as of the last refresh (`as_of`)."""

    household = serializers.IntegerField(source="household_id")
    household_code = serializers.CharField(source="household.code")
    head_name = HeadNameField(
        help_text="Masked (surname only) unless the role sees personal data in full."
    )
    project = serializers.IntegerField(source="project_id")
    moved_out_on = serializers.DateField()
    promised_by = serializers.DateField(allow_null=True)
    months_in_transition = serializers.IntegerField()
    months_overdue = serializers.IntegerField()
    subsidy_owed = money_field(allow_null=True, help_text="Owed to date; null without prices.")
    subsidy_paid = money_field()
    paid_months = serializers.IntegerField()
    subsidy_arrears = money_field(
        allow_null=True, help_text="What the months due lack; null without prices."
    )
    subsidy_late = serializers.BooleanField(
        help_text="A month due is still unpaid past its deadline."
    )
    late_since = serializers.DateField(allow_null=True)
    paid_late_months = serializers.IntegerField()
    days_late_max = serializers.IntegerField(help_text="The worst month's days late.")
    days_late_total = serializers.IntegerField()
    as_of = serializers.DateField(help_text="The day of the refresh these figures are of.")


def _flag(condition: Q) -> QueryFilter:
    def by_flag(queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(condition if value else ~condition)

    return QueryFilter(serializers.BooleanField(required=False), method=by_flag)


class LedgerFilterSet(QueryFilterSet):
    project = QueryFilter(
        serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Required."),
        method=lambda queryset, name, value: queryset,  # the view reads the project
    )
    overdue = _flag(ledger_selectors.OVERDUE)
    in_arrears = _flag(ledger_selectors.IN_ARREARS)
    paid_late = _flag(ledger_selectors.PAID_LATE)


# -- a household's months --------------------------------------------------------------------


class RunRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    label = serializers.CharField()


@extend_schema_field(
    {"type": "string", "enum": list(LedgerMonthStatus.values)}, component_name="LedgerMonthStatus"
)
class MonthStatusField(serializers.CharField):
    pass


@extend_schema_field(
    {"type": "string", "enum": ["", *LedgerMonthSource.values]}, component_name="LedgerMonthSource"
)
class MonthSourceField(serializers.CharField):
    pass


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField(source="month.month", help_text="First day of the month.")
    starts_on = serializers.DateField(source="month.starts_on", help_text="The due day.")
    deadline = serializers.DateField(source="month.deadline", help_text="Due day + grace.")
    due = serializers.BooleanField(source="month.due", help_text="False: paid ahead.")
    overdue = serializers.BooleanField(
        source="month.overdue", help_text="On or after the promised return day."
    )
    factor = serializers.DecimalField(
        source="month.factor", max_digits=6, decimal_places=2, read_only=True
    )
    owed = money_field(source="month.owed")
    paid = money_field(source="month.paid")
    paid_on = serializers.DateField(source="month.paid_on", allow_null=True)
    status = MonthStatusField(source="month.status")
    source = MonthSourceField(
        source="month.source",
        help_text="What paid it: a run or the settled statement; empty when nothing did.",
    )
    run = RunRefSerializer(allow_null=True)
    days_late = serializers.IntegerField(
        source="month.days_late",
        help_text="Paid: days after the deadline; not paid: days past it so far.",
    )


class FiguresSerializer(serializers.Serializer):
    months_in_transition = serializers.IntegerField()
    months_overdue = serializers.IntegerField()
    subsidy_owed = money_field(allow_null=True)
    subsidy_paid = money_field()
    paid_months = serializers.IntegerField()
    subsidy_arrears = money_field(allow_null=True)
    subsidy_late = serializers.BooleanField()
    paid_late_months = serializers.IntegerField()
    days_late_max = serializers.IntegerField()
    days_late_total = serializers.IntegerField()


class HouseholdLedgerSerializer(serializers.Serializer):
    """A household's ledger computed on `today` from the payments recorded (nothing is
    written); `entry` is its stored row, as of the last refresh."""

    household = serializers.IntegerField(source="entry.household_id")
    household_code = serializers.CharField(source="entry.household.code")
    head_name = HeadNameField(source="entry.head_name")
    project = serializers.IntegerField(source="entry.project_id")
    today = serializers.DateField()
    grace_days = serializers.IntegerField()
    figures = FiguresSerializer()
    months = MonthSerializer(many=True, help_text="Newest first.")
    entry = LedgerEntrySerializer()


# -- per run period ----------------------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    label = serializers.CharField()
    households = serializers.IntegerField(help_text="With a month of the period due or paid.")
    owed = money_field()
    paid = money_field()
    arrears = money_field()
    in_arrears = serializers.IntegerField()
    paid_late = serializers.IntegerField()
    runs = RunRefSerializer(many=True)


class LedgerTotalsSerializer(serializers.Serializer):
    households = serializers.IntegerField(help_text="In transition, keys not handed over.")
    overdue = serializers.IntegerField()
    late = serializers.IntegerField(help_text="Subsidy not paid on time (overdue or not).")
    owed = money_field(allow_null=True, help_text="Owed to the overdue households.")
    paid = money_field(allow_null=True, help_text="Paid to the overdue households.")
    owed_all = money_field(allow_null=True)
    paid_all = money_field(allow_null=True)
    arrears_all = money_field(allow_null=True)
    in_arrears = serializers.IntegerField()
    paid_late = serializers.IntegerField()
    as_of = serializers.DateField(allow_null=True, help_text="Null: never refreshed.")


class LedgerPeriodsSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="project.pk")
    project_code = serializers.CharField(source="project.code")
    totals = LedgerTotalsSerializer()
    periods = PeriodSerializer(many=True, help_text="Newest first.")


HOUSEHOLD_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(
        parameters=[LedgerFilterSet.parameters()],
        responses={200: LedgerEntrySerializer(many=True), **REFUSALS},
    )
)
class LedgerViewSet(RegistryViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The overdue-return ledger of a project (read-only)."""

    permission_classes = [holding(VIEW_LEDGER)]
    serializer_class = LedgerEntrySerializer
    filter_backends = [ListFilterBackend]
    filterset_class = LedgerFilterSet
    lookup_value_regex = r"[^/]+"
    queryset = LedgerEntry.objects.none()  # for the schema; `get_queryset` reads the project's

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        return ledger_selectors.ledger_entries(project_of(self.request), overdue_only=False)

    @extend_schema(
        parameters=[HOUSEHOLD_ID],
        responses={200: HouseholdLedgerSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        summary="A household's subsidy months, computed today from the payments recorded",
    )
    @action(detail=True, methods=["get"], url_path="months")
    def months(self, request: Request, pk: str | None = None) -> Response:
        """404 for a household not in the ledger or of a project the caller may not see."""
        if not (pk or "").isdigit() or not 0 < int(pk) <= MAX_ID:
            raise Http404
        detail = ledger_selectors.household_ledger(int(pk))
        if detail is None:
            raise Http404
        require_project(request.user, detail.entry.project_id)
        return Response(HouseholdLedgerSerializer(detail, context={"request": request}).data)

    @extend_schema(
        parameters=[ProjectQuery],
        responses={200: LedgerPeriodsSerializer, **REFUSALS},
        summary="The project's ledger per run period, with its totals",
    )
    @action(detail=False, methods=["get"], url_path="periods")
    def periods(self, request: Request) -> Response:
        project = project_of(request)
        data = {
            "project": project,
            "totals": ledger_selectors.ledger_totals(project),
            "periods": ledger_selectors.ledger_periods(project),
        }
        return Response(LedgerPeriodsSerializer(data).data)
