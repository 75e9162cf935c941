"""The registry and review API: households (register one with its members, change its own
fields, approve) and, in households.api.members, their members.

Serializers parse input and render rows; every write to a household, member or document
calls one function in `households.services`, which checks the caller's permission and the
four-eyes rule. `RolePermission` (the default permission class) refuses anyone without the
model's view permission before that. Lists read through `households.selectors` (or a
queryset with its joins below), so the number of queries does not grow with the rows.

All 400 responses have one shape, that of `resettlement.api.exceptions.exception_handler`:
{"code", "detail", "errors": [{"field", "message", "code", "member"?}]}. Input that fails to
parse is turned into the same `invalid_input` violation the services raise
(`resettlement.api.base`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import projects_q, require_project
from households.api.documents import ChecklistItemSerializer
from households.api.fields import PersonalDataSerializerMixin, VisibleRelatedField
from households.api.members import MemberInputSerializer, MemberSerializer, UnmaskSerializer
from households.models import (
    Community,
    Household,
    HouseholdStatus,
    Member,
    Project,
    Relation,
    ReviewStatus,
    VillagerGroup,
)
from households.selectors import documents, registration
from households.services import registration as households_registration
from households.services import review
from households.services import unmask as households_unmask
from resettlement.api.base import RegistryViewMixin, UserRefSerializer, parsed, writes
from resettlement.api.filters import ListFilterBackend, ProjectScopeFilterSet, QueryFilter, id_query
from resettlement.masking import Mask
from resettlement.personal_data import Unmasked
from resettlement.reauth import OTP_PARAMETER, require_recent_authentication


class ReviewProgressSerializer(serializers.Serializer):
    reviewed = serializers.IntegerField()
    total = serializers.IntegerField()
    label = serializers.CharField()


class HouseholdSerializer(serializers.ModelSerializer):
    """A household as lists show it."""

    project_code = serializers.CharField(source="project.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True)
    head_name = serializers.CharField(read_only=True, allow_null=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    review_progress = serializers.SerializerMethodField()
    registered_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "project",
            "project_code",
            "community",
            "community_name",
            "group",
            "group_name",
            "code",
            "head_name",
            "status",
            "status_label",
            "review_progress",
            "resettlement_population",
            "entitlement_area",
            "registered_by",
            "registered_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewProgressSerializer)
    def get_review_progress(self, household: Household) -> dict[str, Any]:
        members = household.members.all()  # prefetched
        return {
            "reviewed": sum(1 for m in members if m.review_status != ReviewStatus.PENDING),
            "total": len(members),
            "label": registration.review_progress_label(household),
        }


class HouseholdDetailSerializer(PersonalDataSerializerMixin, HouseholdSerializer):
    """A household with its members (verdicts and reviews) and its document checklist.
    `phone` and the members' `id_number` are masked for the roles that do not see them in
    full."""

    personal_fields = {"phone": Mask.PHONE}

    head_name = serializers.SerializerMethodField()
    approved_by = UserRefSerializer(read_only=True, allow_null=True)
    members = MemberSerializer(many=True, read_only=True)
    document_checklist = serializers.SerializerMethodField()

    class Meta(HouseholdSerializer.Meta):
        fields = [
            *HouseholdSerializer.Meta.fields,
            "address",
            "phone",
            "agreement_number",
            "demolished_area",
            "notes",
            "approved_by",
            "approved_at",
            "members",
            "document_checklist",
        ]
        read_only_fields = fields

    def get_head_name(self, household: Household) -> str | None:
        heads = [m.name for m in household.members.all() if m.relation == Relation.HEAD]
        return heads[0] if heads else None

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_document_checklist(self, household: Household) -> list[dict[str, Any]]:
        return ChecklistItemSerializer(documents.document_checklist(household), many=True).data


class HouseholdFieldsSerializer(serializers.Serializer):
    """The household's own fields; `code` must be unique in the project."""

    code = serializers.CharField(max_length=32)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    agreement_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    demolished_area = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


CHANGE_REASON_HELP = (
    "The written reason for the change (变更原因): required once the household or any of its "
    "members is reviewed, for a change to the members, the agreement number or the demolished "
    "area (400 `reason_required`). The change is audited and sends the household back to review."
)


class HouseholdUpdateSerializer(HouseholdFieldsSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, help_text=CHANGE_REASON_HELP)


class HouseholdApproveSerializer(serializers.Serializer):
    opinion = serializers.CharField(
        required=False, allow_blank=True, help_text="The approver's opinion (审批意见)."
    )
    documents_override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Why the household is approved although a required document is missing; "
        "without it such an approval is refused (400 `documents_missing`).",
    )


class HouseholdRegisterSerializer(HouseholdFieldsSerializer):
    """A new household with all its members, registered in one step."""

    project = VisibleRelatedField(queryset=Project.objects.all(), project_path="pk")
    community = VisibleRelatedField(queryset=Community.objects.all())
    group = VisibleRelatedField(queryset=VillagerGroup.objects.all())
    members = MemberInputSerializer(many=True)


class HouseholdFilterSet(ProjectScopeFilterSet):
    community = id_query("community_id")
    group = id_query("group_id")
    status = QueryFilter(serializers.ChoiceField(HouseholdStatus.choices, required=False))
    search = QueryFilter(
        serializers.CharField(
            required=False,
            allow_blank=True,
            help_text=(
                "Household code, a member's name, or an ID number: its start for the roles that"
                " see ID numbers in full, the whole number for the others."
            ),
        ),
        method="filter_search",
    )

    def filter_search(self, queryset: QuerySet[Household], name: str, term: str):
        user = getattr(self.request, "user", None)
        return registration.household_search(queryset, term, user=user)


def household_list_queryset() -> QuerySet[Household]:
    # Only what the review progress needs, in one query for the whole page.
    progress = Prefetch(
        "members", queryset=Member.objects.only("id", "household_id", "review_status").order_by()
    )
    return registration.household_list().prefetch_related(progress)


@extend_schema_view(
    list=extend_schema(parameters=[HouseholdFilterSet.parameters()]),
    retrieve=extend_schema(responses=HouseholdDetailSerializer),
    create=writes(HouseholdRegisterSerializer, HouseholdDetailSerializer, code=201),
    partial_update=writes(HouseholdUpdateSerializer, HouseholdDetailSerializer),
)
class HouseholdViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Households: register one with its members, change its own fields (PATCH), approve.

    Members are changed through /api/members/, which reopens the household's review.
    """

    service_actions = ("approve", "unmask")
    filter_backends = [ListFilterBackend]
    filterset_class = HouseholdFilterSet

    def get_queryset(self) -> QuerySet[Household]:
        return household_list_queryset().filter(projects_q(self.request.user))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return {
            "list": HouseholdSerializer,
            "create": HouseholdRegisterSerializer,
            "partial_update": HouseholdUpdateSerializer,
            "unmask": UnmaskSerializer,
        }.get(self.action, HouseholdDetailSerializer)

    def render(self, household_id: int, code: int = status.HTTP_200_OK) -> Response:
        try:
            household = registration.household_detail(household_id)
        except Household.DoesNotExist:
            raise Http404 from None
        require_project(self.request.user, household.project_id)
        serializer = HouseholdDetailSerializer(household, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.render(self._pk())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(HouseholdRegisterSerializer, request.data, request=request)
        household = households_registration.household_register(
            actor=request.user,
            project=data.pop("project"),
            community=data.pop("community"),
            group=data.pop("group"),
            members=[dict(member) for member in data.pop("members")],
            household=data,
        )
        return self.render(household.pk, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        household = self.get_object()
        data = parsed(HouseholdUpdateSerializer, request.data, partial=True)
        reason = data.pop("reason", "")
        households_registration.household_update(
            actor=request.user, household=household, data=data, reason=reason
        )
        return self.render(household.pk)

    @writes(
        HouseholdApproveSerializer,
        HouseholdDetailSerializer,
        summary="Approve a reviewed household",
        parameters=[OTP_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """A leader approves a household whose members are all reviewed; its resettlement
        population and entitlement area follow. Nobody who registered, entered or reviewed
        any of its members may approve it (403 `four_eyes`); a household with members still
        pending is refused (400 `not_reviewed`), one lacking a required document without a
        written `documents_override_reason` too (400 `documents_missing`), and one with a
        member already resettled in another project (400 `resettled_elsewhere`). With session
        authentication the password (and, with REQUIRE_2FA, a one-time code) must have been
        confirmed recently (403 `reauthentication_required`); with HTTP Basic and REQUIRE_2FA
        the `X-OTP` header carries the code (403 `second_factor_required`)."""
        require_recent_authentication(request)
        data = parsed(HouseholdApproveSerializer, request.data)
        household = review.household_approve(
            actor=request.user,
            household=self.get_object(),
            opinion=data.get("opinion", ""),
            documents_override_reason=data.get("documents_override_reason", ""),
        )
        return self.render(household.pk)

    @writes(UnmaskSerializer, HouseholdDetailSerializer, summary="See the phone in full")
    @action(detail=True, methods=["post"])
    def unmask(self, request: Request, pk: str | None = None) -> Response:
        """For a role that sees phone numbers masked: the household with `phone` in full, in
        this response only (its members' ID numbers stay masked). The written `reason` is
        required (400 `reason_required`) and recorded for the supervising office."""
        household = self.get_object()
        data = parsed(UnmaskSerializer, request.data)
        households_unmask.personal_data_unmask(
            actor=request.user, household=household, reason=data.get("reason", "")
        )
        household = registration.household_detail(household.pk)
        context = {**self.get_serializer_context(), "unmasked": Unmasked("phone", household)}
        return Response(HouseholdDetailSerializer(household, context=context).data)

    def _pk(self) -> int:
        try:
            return int(self.kwargs["pk"])
        except (TypeError, ValueError):
            raise Http404 from None
