"""Household members: the review queue, their verdicts and reviews, adding, changing and
removing one, and unmasking one ID number."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import projects_q
from households.api.fields import PersonalDataSerializerMixin, VisibleRelatedField
from households.models import (
    Household,
    HousingWelfare,
    HukouNature,
    MaritalStatus,
    Member,
    Relation,
    ReviewStatus,
    Sex,
    SpecialStatus,
)
from households.qualification import REASON_LABELS
from households.services import members
from households.services import review as households_review
from households.services import unmask as households_unmask
from resettlement.api.base import (
    ErrorSerializer,
    RegistryViewMixin,
    UserRefSerializer,
    parsed,
    writes,
)
from resettlement.api.filters import ListFilterBackend, ProjectScopeFilterSet, QueryFilter, id_query
from resettlement.masking import Mask
from resettlement.personal_data import Unmasked


class VerdictCheckSerializer(serializers.Serializer):
    rule = serializers.CharField()
    passed = serializers.BooleanField()
    code = serializers.CharField(help_text="Reason code when the check failed, else empty.")
    evidence = serializers.CharField()


class MemberSerializer(PersonalDataSerializerMixin, serializers.ModelSerializer):
    """A member with the computed verdict (every check and its evidence) and the review.
    `id_number` is masked for the roles that do not see ID numbers in full."""

    personal_fields = {"id_number": Mask.ID_NUMBER}

    relation_label = serializers.CharField(source="get_relation_display", read_only=True)
    verdict_checks = VerdictCheckSerializer(many=True, read_only=True)
    failed_rules = serializers.SerializerMethodField()
    review_status_label = serializers.CharField(source="get_review_status_display", read_only=True)
    entered_by = UserRefSerializer(read_only=True)
    reviewed_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "project",
            "household",
            "name",
            "id_number",
            "sex",
            "birth_date",
            "relation",
            "relation_label",
            "hukou_nature",
            "hukou_moved_in",
            "hukou_moved_out",
            "marital_status",
            "special_status",
            "one_child_certificate",
            "housing_welfare",
            "entered_by",
            "verdict_qualified",
            "verdict_checks",
            "failed_rules",
            "review_status",
            "review_status_label",
            "review_overridden",
            "review_reason",
            "reviewed_by",
            "reviewed_at",
        ]
        read_only_fields = fields

    def get_failed_rules(self, member: Member) -> list[str]:
        """The reason codes of the failed checks (see households.qualification)."""
        return [code for code in member.verdict_failures.split(",") if code]


class MemberListSerializer(MemberSerializer):
    """A member in the review queue, with where the household is."""

    household_code = serializers.CharField(source="household.code", read_only=True)
    household_status = serializers.CharField(source="household.status", read_only=True)
    community_name = serializers.CharField(source="household.community.name", read_only=True)
    group_name = serializers.CharField(source="household.group.name", read_only=True)

    class Meta(MemberSerializer.Meta):
        fields = [
            *MemberSerializer.Meta.fields[:3],
            "household_code",
            "household_status",
            "community_name",
            "group_name",
            *MemberSerializer.Meta.fields[3:],
        ]
        read_only_fields = fields


class MemberInputSerializer(serializers.Serializer):
    """A member's facts as keyed in. Sex and birth date default to those in the ID number;
    the qualification rules and the cross-field checks are the services'."""

    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=32)
    sex = serializers.ChoiceField(Sex.choices, required=False)
    birth_date = serializers.DateField(required=False, allow_null=True)
    relation = serializers.ChoiceField(Relation.choices)
    hukou_nature = serializers.ChoiceField(HukouNature.choices)
    hukou_moved_in = serializers.DateField(required=False, allow_null=True)
    hukou_moved_out = serializers.DateField(required=False, allow_null=True)
    marital_status = serializers.ChoiceField(MaritalStatus.choices, required=False)
    special_status = serializers.ChoiceField(SpecialStatus.choices, required=False)
    one_child_certificate = serializers.BooleanField(required=False)
    housing_welfare = serializers.ChoiceField(HousingWelfare.choices, required=False)


CHANGE_REASON_HELP = (
    "The written reason for the change (变更原因): required once the household or any of its "
    "members is reviewed (400 `reason_required`); the change is audited."
)


class MemberUpdateSerializer(MemberInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, help_text=CHANGE_REASON_HELP)


class MemberCreateSerializer(MemberUpdateSerializer):
    household = VisibleRelatedField(queryset=Household.objects.all())


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        [
            (ReviewStatus.PASSED.value, ReviewStatus.PASSED.label),
            (ReviewStatus.REJECTED.value, ReviewStatus.REJECTED.label),
        ]
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Required when rejecting or when deciding against the computed verdict.",
    )


class UnmaskSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Why the number is needed in full; required, recorded for the supervisor.",
    )


class MemberFilterSet(ProjectScopeFilterSet):
    household = id_query("household_id")
    community = id_query("household__community_id")
    group = id_query("household__group_id")
    review_status = QueryFilter(serializers.ChoiceField(ReviewStatus.choices, required=False))
    failed_rule = QueryFilter(
        serializers.ChoiceField(
            sorted(REASON_LABELS),
            required=False,
            help_text="Members whose computed verdict failed this rule.",
        ),
        method="filter_failed_rule",
    )

    def filter_failed_rule(self, queryset: QuerySet[Member], name: str, rule: str):
        return queryset.filter(verdict_failures__contains=f",{rule},")


def member_queryset() -> QuerySet[Member]:
    return Member.objects.select_related(
        "household__community", "household__group", "entered_by", "reviewed_by"
    )


@extend_schema_view(
    list=extend_schema(parameters=[MemberFilterSet.parameters()]),
    create=writes(MemberCreateSerializer, MemberSerializer, code=201),
    partial_update=writes(MemberUpdateSerializer, MemberSerializer),
    destroy=extend_schema(responses={204: None, 400: ErrorSerializer, 403: ErrorSerializer}),
)
class MemberViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Household members: the review queue (filter by failed rule), their verdicts and
    reviews. Adding, changing (PATCH: the fields sent) and removing a member reopens the
    household's review."""

    service_actions = ("review", "unmask")
    filter_backends = [ListFilterBackend]
    filterset_class = MemberFilterSet

    def get_queryset(self) -> QuerySet[Member]:
        return member_queryset().filter(projects_q(self.request.user))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return {
            "list": MemberListSerializer,
            "create": MemberCreateSerializer,
            "partial_update": MemberUpdateSerializer,
            "review": ReviewSerializer,
            "unmask": UnmaskSerializer,
        }.get(self.action, MemberSerializer)

    def render(self, member: Member, code: int = status.HTTP_200_OK) -> Response:
        member = member_queryset().get(pk=member.pk)
        return Response(MemberSerializer(member, context=self.get_serializer_context()).data, code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(MemberCreateSerializer, request.data, request=request)
        household = data.pop("household")
        reason = data.pop("reason", "")
        member = members.member_add(
            actor=request.user, household=household, data=data, reason=reason
        )
        return self.render(member, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.get_object()
        data = parsed(MemberUpdateSerializer, request.data, partial=True)
        reason = data.pop("reason", "")
        member = members.member_update(actor=request.user, member=member, data=data, reason=reason)
        return self.render(member)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The reason for a removal under change control: in the body, or as ?reason=.
        reason = request.data.get("reason") or request.query_params.get("reason", "")
        members.member_remove(actor=request.user, member=self.get_object(), reason=str(reason))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @writes(UnmaskSerializer, MemberSerializer, summary="See this member's ID number in full")
    @action(detail=True, methods=["post"])
    def unmask(self, request: Request, pk: str | None = None) -> Response:
        """For a role that sees ID numbers masked: the member with `id_number` in full, in
        this response only. The written `reason` is required (400 `reason_required`) and
        recorded with the caller and the time for the supervising office."""
        member = self.get_object()
        data = parsed(UnmaskSerializer, request.data)
        households_unmask.personal_data_unmask(
            actor=request.user,
            household=member.household,
            member=member,
            reason=data.get("reason", ""),
        )
        member = member_queryset().get(pk=member.pk)
        context = {**self.get_serializer_context(), "unmasked": Unmasked("id_number", member)}
        return Response(MemberSerializer(member, context=context).data)

    @writes(ReviewSerializer, MemberSerializer, summary="Record a qualification review")
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """Pass or reject a member. Rejecting, or deciding against the computed verdict,
        needs a written reason; whoever registered the household or entered the member may
        not review it (four-eyes, 403 `four_eyes`)."""
        member = self.get_object()
        data = parsed(ReviewSerializer, request.data)
        member = households_review.member_review(
            actor=request.user,
            member=member,
            decision=data["decision"],
            reason=data.get("reason", ""),
        )
        return self.render(member)
