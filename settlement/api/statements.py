"""The settlement money API under /api/settlement/ (schema at /api/schema/).

Statements are read here (list, and detail with lines, the approval record and payments);
POST /statements/{id}/approve/ takes the next step of the fund-approval chain, the one the
caller names as `expected_position` (`services.approvals.statement_approve`),
POST /statements/{id}/send-back/ sends a statement in the chain back to draft with a reason
(`services.approvals.statement_send_back`; the approvals of the round stay in `send_backs`, the
chain starts again from step 1) and POST /statements/{id}/payments/ records a payment or
collection (`services.payments.payment_record`). A payment needs an `Idempotency-Key` header:
a repeat with the same key and data answers 200 with the first payment instead of 201, and
never pays twice. GET /groups/?project= gives each villager group's settlement. The services
check roles, the chain order, separation of duties and the amounts; errors have the one shape
of `resettlement.api.exceptions.exception_handler`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import projects_q
from resettlement.api.base import (
    MAX_ID,
    ErrorSerializer,
    RegistryViewMixin,
    UserRefSerializer,
    parsed,
)
from resettlement.api.filters import ListFilterBackend, ProjectScopeFilterSet, QueryFilter, id_query
from resettlement.errors import RuleViolation
from resettlement.reauth import OTP_PARAMETER, require_recent_authentication
from settlement.models import (
    LineSide,
    Outcome,
    Payment,
    PaymentDirection,
    Statement,
    StatementApproval,
    StatementLine,
    StatementSendBack,
    StatementStatus,
)
from settlement.selectors import approvals as approvals_selectors
from settlement.selectors import payments as payments_selectors
from settlement.selectors import statements as settlement_statements
from settlement.services import approvals as settlement_approvals
from settlement.services import payments as settlement_payments

IDEMPOTENCY_HEADER = "Idempotency-Key"


# Named components of their own: left as plain enums, they would be named by the property
# ("status"), which other apps use for other sets of values.
@extend_schema_field(
    {"type": "string", "enum": StatementStatus.values}, component_name="StatementStatus"
)
class StatementStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(StatementStatus.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": Outcome.values}, component_name="StatementOutcome")
class OutcomeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Outcome.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": LineSide.values}, component_name="LineSide")
class LineSideField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(LineSide.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": PaymentDirection.values}, component_name="PaymentDirection"
)
class DirectionField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PaymentDirection.choices, **kwargs)


# -- statements -----------------------------------------------------------------------------


class StatementLineSerializer(serializers.ModelSerializer):
    side = LineSideField(read_only=True)
    inputs = serializers.JSONField(read_only=True)

    class Meta:
        model = StatementLine
        fields = ["position", "side", "rule", "label", "inputs", "amount"]
        read_only_fields = fields


class ApprovalSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True)

    class Meta:
        model = StatementApproval
        fields = ["round", "position", "code", "label", "actor", "at", "comment"]
        read_only_fields = fields


class SendBackSerializer(serializers.ModelSerializer):
    """A send-back, with the approvals of the round it ended (kept, superseded). The caller
    passes them in the context as `approvals_by_round` (`selectors.approvals.send_back_history`),
    so a list of send-backs makes no query per row."""

    actor = UserRefSerializer(read_only=True)
    superseded_approvals = serializers.SerializerMethodField()

    class Meta:
        model = StatementSendBack
        fields = ["round", "position", "label", "actor", "at", "reason", "superseded_approvals"]
        read_only_fields = fields

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_superseded_approvals(self, send_back: StatementSendBack) -> list[dict[str, Any]]:
        approvals = self.context["approvals_by_round"][send_back.round]
        return ApprovalSerializer(approvals, many=True).data


class PaymentSerializer(serializers.ModelSerializer):
    direction = DirectionField(read_only=True)
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "statement",
            "direction",
            "amount",
            "idempotency_key",
            "reference",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class StepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()
    role = serializers.CharField()


class StatementSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    household_code = serializers.CharField(source="household.code", read_only=True)
    group = serializers.CharField(source="household.group.code", read_only=True)
    outcome = OutcomeField(read_only=True)
    status = StatementStatusField(read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "project",
            "project_code",
            "household",
            "household_code",
            "group",
            "outcome",
            "status",
            "income_total",
            "expenditure_total",
            "net",
            "version",
            "computed_at",
            "approved_at",
            "settled_at",
        ]
        read_only_fields = fields


class StatementDetailSerializer(StatementSerializer):
    inputs = serializers.JSONField(read_only=True)
    lines = StatementLineSerializer(many=True, read_only=True)
    approvals = serializers.SerializerMethodField()
    send_backs = serializers.SerializerMethodField()
    payments = PaymentSerializer(many=True, read_only=True)
    next_step = serializers.SerializerMethodField()
    outstanding = serializers.SerializerMethodField()

    class Meta(StatementSerializer.Meta):
        fields = [
            *StatementSerializer.Meta.fields,
            "inputs",
            "lines",
            "approval_round",
            "approvals",
            "next_step",
            "send_backs",
            "payments",
            "outstanding",
        ]
        read_only_fields = fields

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_approvals(self, statement: Statement) -> list[dict[str, Any]]:
        """The steps taken in the current round (`approval_round`), in order."""
        return ApprovalSerializer(approvals_selectors.current_approvals(statement), many=True).data

    @extend_schema_field(SendBackSerializer(many=True))
    def get_send_backs(self, statement: Statement) -> list[dict[str, Any]]:
        """Each send-back, oldest first, with the approvals of the round it ended."""
        history = approvals_selectors.send_back_history(statement)
        by_round = {r.send_back.round: r.approvals for r in history}
        return SendBackSerializer(
            [r.send_back for r in history], many=True, context={"approvals_by_round": by_round}
        ).data

    @extend_schema_field(StepSerializer(allow_null=True))
    def get_next_step(self, statement: Statement) -> dict[str, Any] | None:
        """The step of the chain the statement waits for (null once approved)."""
        step = settlement_approvals.next_step(statement)
        if step is None:
            return None
        return {
            "position": step.position,
            "code": step.code,
            "label": step.label,
            "role": step.role,
        }

    # A decimal string, as every money field (OpenApiTypes.DECIMAL would say number).
    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_outstanding(self, statement: Statement) -> str:
        """Still to pay or collect on an approved statement."""
        return str(
            payments_selectors.outstanding(statement, payments_selectors.paid_so_far(statement))
        )


class StatementApproveSerializer(serializers.Serializer):
    expected_position = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text=(
            "The position of the step the caller saw as next (`next_step.position` of the "
            "statement). Refused with 400 `approval_step_changed` when the chain has moved on "
            "since (someone else took that step): nothing is approved, read the statement "
            "again."
        ),
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=settlement_approvals.APPROVAL_COMMENT_MAX,
    )


class SendBackInputSerializer(serializers.Serializer):
    # Required and non-blank is the service's rule (400 `send_back_reason_required`).
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)


class StatementFilterSet(ProjectScopeFilterSet):
    group = id_query("household__group_id")
    household = id_query("household_id")
    status = QueryFilter(serializers.ChoiceField(StatementStatus.choices, required=False))


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description="A key the client makes once per payment it means (at most 64 characters). "
    "Sending it again with the same data returns the first payment (200); with other data "
    "it is refused (400 idempotency_key_reused).",
)


@extend_schema_view(list=extend_schema(parameters=[StatementFilterSet.parameters()]))
class StatementViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Household statements: the net is positive when paid to the household, negative when
    collected from it."""

    service_actions = ("approve", "send_back", "payments")
    serializer_class = StatementSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = StatementFilterSet

    def get_queryset(self) -> QuerySet[Statement]:
        statements = settlement_statements.statement_list().filter(projects_q(self.request.user))
        if self.action == "retrieve":
            return settlement_statements.with_detail(statements)
        # The actions call a service, which locks and reads the row afresh, and answer with
        # `_detail`: nothing prefetched here would be used.
        return statements

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "list":
            return StatementSerializer
        return StatementDetailSerializer

    def _detail(self, statement: Statement) -> dict[str, Any]:
        return StatementDetailSerializer(settlement_statements.statement_detail(statement.pk)).data

    @extend_schema(
        request=StatementApproveSerializer,
        responses={
            200: StatementDetailSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Take the next step of the fund-approval chain",
        parameters=[OTP_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """The caller names the step they saw as next (`expected_position`); when another
        approver took it first the call is refused (400 `approval_step_changed`) rather than
        taking the step after it. The caller must hold the step's role and not have taken
        another step on this statement (403 `separation_of_duties`, `wrong_role`). With
        session authentication the password (and, with REQUIRE_2FA, a one-time code) must
        have been confirmed recently (403 `reauthentication_required`); with HTTP Basic and
        REQUIRE_2FA the `X-OTP` header carries the code (403 `second_factor_required`)."""
        require_recent_authentication(request)
        data = parsed(StatementApproveSerializer, request.data)
        statement = self.get_object()
        settlement_approvals.statement_approve(
            actor=request.user,
            statement=statement,
            expected_position=data["expected_position"],
            comment=data["comment"],
        )
        return Response(self._detail(statement))

    @extend_schema(
        request=SendBackInputSerializer,
        responses={
            200: StatementDetailSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Send a statement in the approval chain back to draft, with a reason",
    )
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        """By whoever may take the step the statement waits for (403 `wrong_role`,
        `separation_of_duties` otherwise); 400 `not_in_chain` unless it is approving,
        `send_back_reason_required` without a reason. The approvals given so far are kept
        under `send_backs`; the statement is a draft again, recomputed, and the chain starts
        again from step 1 (`approval_round` + 1)."""
        data = parsed(SendBackInputSerializer, request.data)
        statement = self.get_object()
        settlement_approvals.statement_send_back(
            actor=request.user, statement=statement, reason=data["reason"]
        )
        return Response(self._detail(statement))

    @extend_schema(
        request=PaymentInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER, OTP_PARAMETER],
        responses={
            200: PaymentSerializer,
            201: PaymentSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Record a payment to, or a collection from, the household",
    )
    @action(detail=True, methods=["post"])
    def payments(self, request: Request, pk: str | None = None) -> Response:
        """The direction follows the net. 201 when recorded; 200 with the first payment when
        the Idempotency-Key was already used for the same request; 400 `collect_first` while
        a household of the group still owes, `over_payment` beyond the approved amount; 403
        `reauthentication_required` for a session not confirmed recently, 403
        `second_factor_required` for HTTP Basic without a valid `X-OTP` code when REQUIRE_2FA
        is on."""
        require_recent_authentication(request)
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key:
            raise RuleViolation(
                "idempotency_key_missing",
                _("请在请求头 Idempotency-Key 中提供幂等键,重复提交时才不会重复付款。"),
            )
        data = parsed(PaymentInputSerializer, request.data)
        statement = self.get_object()
        payment, created = settlement_payments.payment_record(
            actor=request.user,
            statement=statement,
            amount=data["amount"],
            idempotency_key=key,
            reference=data["reference"],
        )
        return Response(
            PaymentSerializer(payment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
