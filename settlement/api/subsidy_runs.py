"""Transition-subsidy runs under /api/settlement/ (schema at /api/schema/).

- /transition-policies/: each visible project's transition policy; POST sets a project's
  (`services.subsidy_runs.transition_policy_set`, leaders).
- /subsidy-runs/: runs (filter by project, status); POST computes the run of a period
  (`subsidy_run_compute`, finance: a new draft or the period's draft recomputed);
  POST /{id}/approve/ takes the step the caller saw as next (`expected_position`),
  /{id}/send-back/ sends it back to draft with a reason, /{id}/send/ makes the bank batch
  (finance), /{id}/result/ imports the bank's result file (multipart `file`, all or
  nothing: 400 `import_rejected` lists every row's problem).
- /subsidy-lines/: the runs' lines (filter by run, project, household, status). Account
  numbers are shown in full to finance only, masked (last four digits) to everyone else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import projects_q
from households.models import Project
from resettlement.api.base import ErrorSerializer, RegistryViewMixin, UserRefSerializer, parsed
from resettlement.api.filters import ListFilterBackend, ProjectScopeFilterSet, QueryFilter, id_query
from resettlement.masking import Mask, mask
from resettlement.reauth import OTP_PARAMETER, require_recent_authentication
from settlement.models import (
    CashValuationDay,
    SubsidyLineStatus,
    SubsidyRun,
    SubsidyRunApproval,
    SubsidyRunLine,
    SubsidyRunStatus,
    SubsidySchedule,
    TransitionPolicy,
)
from settlement.selectors import subsidy_runs as selectors
from settlement.services import subsidy_runs as services
from settlement.services.approvals import APPROVAL_COMMENT_MAX

WRITE_REFUSALS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_field(
    {"type": "string", "enum": SubsidyRunStatus.values}, component_name="SubsidyRunStatus"
)
class RunStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(SubsidyRunStatus.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": SubsidyLineStatus.values}, component_name="SubsidyLineStatus"
)
class LineStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(SubsidyLineStatus.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": SubsidySchedule.values}, component_name="SubsidySchedule"
)
class ScheduleField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(SubsidySchedule.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": CashValuationDay.values}, component_name="CashValuationDay"
)
class ValuationDayField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(CashValuationDay.choices, **kwargs)


# -- the policy ---------------------------------------------------------------------------------


class TransitionPolicySerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    schedule = ScheduleField()
    cash_valuation_day = ValuationDayField(required=False)

    class Meta:
        model = TransitionPolicy
        fields = [
            "project",
            "project_code",
            "schedule",
            "transition_months",
            "overdue_multiplier",
            "months_after_handover",
            "overdue_cash_option",
            "cash_valuation_day",
            "updated_at",
        ]
        read_only_fields = ["project_code", "updated_at"]
        extra_kwargs = {"project": {"validators": []}}


class PolicyFilterSet(ProjectScopeFilterSet):
    pass


@extend_schema_view(
    list=extend_schema(parameters=[PolicyFilterSet.parameters()]),
    create=extend_schema(
        responses={200: TransitionPolicySerializer, **WRITE_REFUSALS},
        summary="Set a project's transition policy",
    ),
)
class TransitionPolicyViewSet(
    RegistryViewMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = TransitionPolicySerializer
    filter_backends = [ListFilterBackend]
    filterset_class = PolicyFilterSet
    service_actions = ("create",)

    def get_queryset(self) -> QuerySet[TransitionPolicy]:
        return (
            TransitionPolicy.objects.filter(projects_q(self.request.user))
            .select_related("project")
            .order_by("project__code")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(TransitionPolicySerializer, request.data)
        project = get_object_or_404(
            Project.objects.filter(projects_q(request.user, "pk")), pk=data.pop("project").pk
        )
        policy = services.transition_policy_set(actor=request.user, project=project, **data)
        return Response(TransitionPolicySerializer(policy).data)


# -- runs -----------------------------------------------------------------------------------------


class RunApprovalSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True)

    class Meta:
        model = SubsidyRunApproval
        fields = [
            "round",
            "position",
            "code",
            "label",
            "actor",
            "comment",
            "sent_back",
            "created_at",
        ]
        read_only_fields = fields


class SubsidyRunSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    status = RunStatusField(read_only=True)
    created_by = UserRefSerializer(read_only=True)

    class Meta:
        model = SubsidyRun
        fields = [
            "id",
            "project",
            "project_code",
            "number",
            "label",
            "period_start",
            "period_end",
            "status",
            "approval_round",
            "created_by",
            "computed_at",
            "approved_at",
            "sent_at",
            "closed_at",
        ]
        read_only_fields = fields


class StepRefSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()
    role = serializers.CharField()


class SubsidyRunDetailSerializer(SubsidyRunSerializer):
    approvals = RunApprovalSerializer(many=True, read_only=True)
    next_step = serializers.SerializerMethodField()

    class Meta(SubsidyRunSerializer.Meta):
        fields = [*SubsidyRunSerializer.Meta.fields, "approvals", "next_step"]
        read_only_fields = fields

    @extend_schema_field(StepRefSerializer(allow_null=True))
    def get_next_step(self, run: SubsidyRun) -> dict[str, Any] | None:
        step = services.run_next_step(run)
        if step is None:
            return None
        return {
            "position": step.position,
            "code": step.code,
            "label": step.label,
            "role": step.role,
        }


class ComputeSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1)
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class RunApproveSerializer(serializers.Serializer):
    expected_position = serializers.IntegerField(min_value=1, max_value=1000)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=APPROVAL_COMMENT_MAX
    )


class RunSendBackSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ResultSerializer(serializers.Serializer):
    file = serializers.FileField()
    paid_on = serializers.DateField(required=False, allow_null=True, default=None)


class ResultCountsSerializer(serializers.Serializer):
    paid = serializers.IntegerField()
    failed = serializers.IntegerField()
    waiting = serializers.IntegerField()


class RunFilterSet(ProjectScopeFilterSet):
    status = QueryFilter(serializers.ChoiceField(SubsidyRunStatus.choices, required=False))


@extend_schema_view(
    list=extend_schema(parameters=[RunFilterSet.parameters()]),
    create=extend_schema(
        request=ComputeSerializer,
        responses={201: SubsidyRunDetailSerializer, **WRITE_REFUSALS},
        summary="Compute the run of a period (a new draft, or the period's draft again)",
    ),
)
class SubsidyRunViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SubsidyRunSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = RunFilterSet
    service_actions = ("create", "approve", "send_back", "send", "result")

    def get_queryset(self) -> QuerySet[SubsidyRun]:
        runs = (
            SubsidyRun.objects.filter(projects_q(self.request.user))
            .select_related("project", "created_by")
            .order_by("project__code", "-period_start")
        )
        if self.action == "retrieve":
            return runs.prefetch_related("approvals__actor")
        return runs

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return SubsidyRunSerializer if self.action == "list" else SubsidyRunDetailSerializer

    def _detail(self, run: SubsidyRun) -> dict[str, Any]:
        return SubsidyRunDetailSerializer(selectors.run_detail(run.pk)).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(ComputeSerializer, request.data)
        project = get_object_or_404(
            Project.objects.filter(projects_q(request.user, "pk")), pk=data["project"]
        )
        run = services.subsidy_run_compute(
            actor=request.user,
            project=project,
            period_start=data["period_start"],
            period_end=data["period_end"],
        )
        return Response(self._detail(run), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RunApproveSerializer,
        responses={200: SubsidyRunDetailSerializer, **WRITE_REFUSALS},
        summary="Take the step the run waits for",
        parameters=[OTP_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """403 `four_eyes` for the person who computed the run, `wrong_role`,
        `separation_of_duties`; 400 `approval_step_changed` when the chain moved on."""
        require_recent_authentication(request)
        data = parsed(RunApproveSerializer, request.data)
        run = self.get_object()
        services.subsidy_run_approve(
            actor=request.user,
            run=run,
            expected_position=data["expected_position"],
            comment=data["comment"],
        )
        return Response(self._detail(run))

    @extend_schema(
        request=RunSendBackSerializer,
        responses={200: SubsidyRunDetailSerializer, **WRITE_REFUSALS},
        summary="Send a run in approval back to draft, with a reason",
    )
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        data = parsed(RunSendBackSerializer, request.data)
        run = self.get_object()
        services.subsidy_run_send_back(actor=request.user, run=run, reason=data["reason"])
        return Response(self._detail(run))

    @extend_schema(
        request=None,
        responses={200: SubsidyRunDetailSerializer, **WRITE_REFUSALS},
        summary="Make the approved run's bank batch (finance)",
        parameters=[OTP_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        require_recent_authentication(request)
        run = self.get_object()
        services.subsidy_run_send(actor=request.user, run=run)
        return Response(self._detail(run))

    @extend_schema(
        request={"multipart/form-data": ResultSerializer},
        responses={200: ResultCountsSerializer, **WRITE_REFUSALS},
        summary="Import the bank's result file (all or nothing)",
        parameters=[OTP_PARAMETER],
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def result(self, request: Request, pk: str | None = None) -> Response:
        require_recent_authentication(request)
        data = parsed(ResultSerializer, request.data)
        run = self.get_object()
        upload = data["file"]
        counts = services.subsidy_run_import_result(
            actor=request.user,
            run=run,
            data=upload.read(),
            name=upload.name,
            paid_on=data["paid_on"],
        )
        return Response(counts)


# -- lines ----------------------------------------------------------------------------------------


class SubsidyLineSerializer(serializers.ModelSerializer):
    household_code = serializers.CharField(source="household.code", read_only=True)
    status = LineStatusField(read_only=True)
    account_number = serializers.SerializerMethodField()

    class Meta:
        model = SubsidyRunLine
        fields = [
            "id",
            "run",
            "household",
            "household_code",
            "first_month",
            "last_month",
            "months",
            "arrears_months",
            "overdue_months",
            "basis",
            "quantity",
            "rate",
            "multiplier",
            "amount",
            "arrears_amount",
            "status",
            "blocked_reason",
            "reference",
            "holder_name",
            "bank_name",
            "account_number",
            "failure_reason",
            "bank_serial",
            "paid_on",
        ]
        read_only_fields = fields

    def get_account_number(self, line: SubsidyRunLine) -> str:
        """In full for finance; the last four digits for everyone else."""
        if self.context.get("finance"):
            return line.account_number
        return mask(line.account_number, Mask.BANK_ACCOUNT)


class LineFilterSet(ProjectScopeFilterSet):
    project = id_query("run__project_id")
    run = id_query("run_id")
    household = id_query("household_id")
    status = QueryFilter(serializers.ChoiceField(SubsidyLineStatus.choices, required=False))


@extend_schema_view(list=extend_schema(parameters=[LineFilterSet.parameters()]))
class SubsidyLineViewSet(
    RegistryViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = SubsidyLineSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = LineFilterSet

    def get_queryset(self) -> QuerySet[SubsidyRunLine]:
        return (
            SubsidyRunLine.objects.filter(projects_q(self.request.user, "run__project"))
            .select_related("household")
            .order_by("run_id", "household__code")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["finance"] = services.may_handle_bank_files(self.request.user)
        return context
