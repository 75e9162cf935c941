"""The registry and review API.

Serializers parse input and render rows; every write to a household, member or document
calls one function in `households.services`, which checks the caller's permission and the
four-eyes rule. `RolePermission` (the default permission class) refuses anyone without the
model's view permission before that. Lists read through `households.selectors` (or a
queryset with its joins below), so the number of queries does not grow with the rows.

All 400 responses have one shape, that of `resettlement.api.exception_handler`:
{"code", "detail", "errors": [{"field", "message", "code", "member"?}]}. Input that fails to
parse here is turned into the same `invalid_input` violation the services raise.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import IntegrityError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from households import selectors, services, services_unmask
from households.access import projects_q, require_project, visible_projects
from households.models import (
    Community,
    Document,
    DocumentKind,
    Household,
    HouseholdStatus,
    HousingWelfare,
    HukouNature,
    MaritalStatus,
    Member,
    Project,
    Relation,
    ReviewStatus,
    Sex,
    SpecialStatus,
    VillagerGroup,
)
from households.qualification import REASON_LABELS
from resettlement.errors import RuleViolation
from resettlement.masking import Mask
from resettlement.personal_data import Unmasked, shown
from resettlement.reauth import OTP_PARAMETER, require_recent_authentication

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------
# Errors


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()
    code = serializers.CharField()
    member = serializers.IntegerField(
        required=False, help_text="Index of the member in the request's `members` list."
    )


class ErrorSerializer(serializers.Serializer):
    """What every refused request returns (400 rule/input, 403 permission or four-eyes)."""

    code = serializers.CharField(help_text="Stable code, e.g. invalid_input, four_eyes.")
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True, required=False)


def _field_errors(
    detail: Any, field: str = "non_field_errors", member: int | None = None
) -> Iterator[dict[str, Any]]:
    """Flatten DRF's nested errors into the services' list: {field, message, code, member?}."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if isinstance(key, int):  # DRF ≥ 3.15 keys a nested list's errors by index
                yield from _field_errors(value, field, key)
            else:
                yield from _field_errors(value, field if key == "non_field_errors" else key, member)
    elif isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        for index, item in enumerate(detail):  # one entry per item of `members`
            yield from _field_errors(item, field, index)
    else:
        for error in detail if isinstance(detail, list) else [detail]:
            row = {"field": field, "message": str(error), "code": getattr(error, "code", "invalid")}
            if member is not None:
                row["member"] = member
            yield row


def invalid_input(detail: Any) -> RuleViolation:
    errors = list(_field_errors(detail))
    first = errors[0]["message"] if errors else ""
    return RuleViolation(
        "invalid_input",
        _("输入有误,共 %(n)d 处:%(first)s") % {"n": len(errors), "first": first},
        details=errors,
    )


class RegistryViewMixin:
    """Input that does not parse is reported like a rule violation; a write that loses a
    race against a database constraint is a 409, never a 500."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, exceptions.ValidationError):
            exc = invalid_input(exc.detail)
        elif isinstance(exc, IntegrityError):
            # A service checks its rules before writing; this is a concurrent write, or a
            # rule a service failed to check first. Logged, so the latter gets fixed.
            logger.warning(
                "Integrity error on %s %s", self.request.method, self.request.path, exc_info=exc
            )
            exc = Conflict("conflict", _("数据与已有记录冲突(可能刚被他人修改),请刷新后重试。"))
        return super().handle_exception(exc)

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The request's validated query parameters."""
        params = parsed(serializer_class, self.request.query_params)
        return {name: value for name, value in params.items() if value not in (None, "")}


def parsed(
    serializer_class: type[serializers.Serializer],
    data: Any,
    *,
    partial: bool = False,
    request: Any = None,
) -> dict[str, Any]:
    """Validated input for a service call; raises ValidationError (→ invalid_input).
    Pass the `request` when the input refers to rows by id (`VisibleRelatedField`)."""
    serializer = serializer_class(data=data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# Ids are BigAutoField. A filter beyond that range matches nothing, and SQLite cannot even
# bind it (OverflowError), so such input is refused like any other invalid value.
MAX_ID = 2**63 - 1


def id_filter() -> serializers.IntegerField:
    """An optional query parameter naming an object by id."""
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class Conflict(RuleViolation):
    status_code = 409


def writes(request: Any, response: Any, *, code: int = 200, **kwargs: Any):
    """Schema for a write: its request, its success response, and the error shape."""
    return extend_schema(
        request=request,
        responses={
            code: response,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
        **kwargs,
    )


# ---------------------------------------------------------------------------------------
# Shared pieces


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A row referred to by id in the input, among those of the projects the caller may see
    (households.access): any other id is "does not exist", as if it did not."""

    def __init__(self, *, project_path: str = "project", **kwargs: Any) -> None:
        self.project_path = project_path
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return super().get_queryset().filter(projects_q(user, self.project_path))


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username


def document_download_url(document_id: int) -> str:
    """Files are never linked directly: the staff view checks the caller's permission."""
    return reverse("staff:document-download", args=[document_id])


# ---------------------------------------------------------------------------------------
# Projects, communities, villager groups


class ProjectSerializer(serializers.ModelSerializer):
    """A project and its policy. The checks across fields (the growth deadline not before
    the hukou cutoff, positive areas, a code not taken, the code fixed once given) are
    `households.services.project_create` / `project_update_policy`'s."""

    class Meta:
        model = Project
        fields = ["id", "code", *services.PROJECT_POLICY_FIELDS, "created_at"]
        read_only_fields = ["created_at"]
        # The service says a code is taken (the serializer's own check would race it anyway).
        extra_kwargs = {"code": {"validators": []}}


class CommunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Community
        fields = ["id", "project", "code", "name"]


class VillagerGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = VillagerGroup
        fields = ["id", "project", "community", "code", "name"]


class ProjectScopeFilter(serializers.Serializer):
    project = id_filter()


class VillagerGroupFilter(ProjectScopeFilter):
    community = id_filter()


@extend_schema_view(
    create=writes(ProjectSerializer, ProjectSerializer, code=201),
    update=writes(ProjectSerializer, ProjectSerializer),
    partial_update=writes(ProjectSerializer, ProjectSerializer),
)
class ProjectViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Projects and their policy. Leaders create and change them; everyone with a role reads.

    Changing a project re-applies the qualification rules to its members not yet approved,
    as the admin does. The code is fixed once the project is created.
    """

    queryset = Project.objects.all()
    serializer_class = ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        return visible_projects(self.request.user)

    def perform_create(self, serializer: ProjectSerializer) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.project_create(
            actor=self.request.user, code=data.pop("code"), policy=data
        )

    def perform_update(self, serializer: ProjectSerializer) -> None:
        change = services.project_update_policy(
            actor=self.request.user, project=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = change.project


@extend_schema_view(list=extend_schema(parameters=[ProjectScopeFilter]))
class CommunityViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Community.objects.all()
    serializer_class = CommunitySerializer

    def get_queryset(self) -> QuerySet[Community]:
        return Community.objects.filter(projects_q(self.request.user))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action == "list":
            filters = self.query(ProjectScopeFilter)
            if "project" in filters:
                queryset = queryset.filter(project_id=filters["project"])
        return queryset


@extend_schema_view(list=extend_schema(parameters=[VillagerGroupFilter]))
class VillagerGroupViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = VillagerGroup.objects.all()
    serializer_class = VillagerGroupSerializer

    def get_queryset(self) -> QuerySet[VillagerGroup]:
        return VillagerGroup.objects.filter(projects_q(self.request.user))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action == "list":
            filters = self.query(VillagerGroupFilter)
            if "project" in filters:
                queryset = queryset.filter(project_id=filters["project"])
            if "community" in filters:
                queryset = queryset.filter(community_id=filters["community"])
        return queryset


# ---------------------------------------------------------------------------------------
# Members


class VerdictCheckSerializer(serializers.Serializer):
    rule = serializers.CharField()
    passed = serializers.BooleanField()
    code = serializers.CharField(help_text="Reason code when the check failed, else empty.")
    evidence = serializers.CharField()


class PersonalDataSerializerMixin:
    """ID and phone numbers as the caller may see them (resettlement.personal_data): in full
    for the roles that need them, masked for the others, except the one record unmasked in
    this response (serializer context `unmasked`)."""

    personal_fields: dict[str, Mask] = {}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        user = getattr(self.context.get("request"), "user", None)
        unmasked = self.context.get("unmasked")
        for name, kind in self.personal_fields.items():
            if name in data:
                data[name] = shown(user, data[name], kind, record=instance, unmasked=unmasked)
        return data


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


class MemberCreateSerializer(MemberInputSerializer):
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


class MemberFilter(serializers.Serializer):
    project = id_filter()
    household = id_filter()
    community = id_filter()
    group = id_filter()
    review_status = serializers.ChoiceField(ReviewStatus.choices, required=False)
    failed_rule = serializers.ChoiceField(
        sorted(REASON_LABELS),
        required=False,
        help_text="Members whose computed verdict failed this rule.",
    )


def member_queryset() -> QuerySet[Member]:
    return Member.objects.select_related(
        "household__community", "household__group", "entered_by", "reviewed_by"
    )


@extend_schema_view(
    list=extend_schema(parameters=[MemberFilter]),
    create=writes(MemberCreateSerializer, MemberSerializer, code=201),
    partial_update=writes(MemberInputSerializer, MemberSerializer),
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

    def get_queryset(self) -> QuerySet[Member]:
        return member_queryset().filter(projects_q(self.request.user))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return {
            "list": MemberListSerializer,
            "create": MemberCreateSerializer,
            "partial_update": MemberInputSerializer,
            "review": ReviewSerializer,
            "unmask": UnmaskSerializer,
        }.get(self.action, MemberSerializer)

    def filter_queryset(self, queryset: QuerySet[Member]) -> QuerySet[Member]:
        if self.action != "list":
            return queryset
        filters = self.query(MemberFilter)
        lookups = {
            "project": "project_id",
            "household": "household_id",
            "community": "household__community_id",
            "group": "household__group_id",
            "review_status": "review_status",
        }
        queryset = queryset.filter(
            **{lookups[name]: value for name, value in filters.items() if name in lookups}
        )
        if "failed_rule" in filters:
            queryset = queryset.filter(verdict_failures__contains=f",{filters['failed_rule']},")
        return queryset

    def render(self, member: Member, code: int = status.HTTP_200_OK) -> Response:
        member = member_queryset().get(pk=member.pk)
        return Response(MemberSerializer(member, context=self.get_serializer_context()).data, code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(MemberCreateSerializer, request.data, request=request)
        household = data.pop("household")
        member = services.member_add(actor=request.user, household=household, data=data)
        return self.render(member, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.get_object()
        data = parsed(MemberInputSerializer, request.data, partial=True)
        member = services.member_update(actor=request.user, member=member, data=data)
        return self.render(member)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.member_remove(actor=request.user, member=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @writes(UnmaskSerializer, MemberSerializer, summary="See this member's ID number in full")
    @action(detail=True, methods=["post"])
    def unmask(self, request: Request, pk: str | None = None) -> Response:
        """For a role that sees ID numbers masked: the member with `id_number` in full, in
        this response only. The written `reason` is required (400 `reason_required`) and
        recorded with the caller and the time for the supervising office."""
        member = self.get_object()
        data = parsed(UnmaskSerializer, request.data)
        services_unmask.personal_data_unmask(
            actor=request.user, household=member.household, member=member, reason=data["reason"]
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
        member = services.member_review(
            actor=request.user,
            member=member,
            decision=data["decision"],
            reason=data.get("reason", ""),
        )
        return self.render(member)


# ---------------------------------------------------------------------------------------
# Documents


class DocumentSerializer(serializers.ModelSerializer):
    """A document's metadata. The file itself is only ever served by the permission-checked
    staff download view at `download_url`."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    member_name = serializers.CharField(source="member.name", read_only=True, allow_null=True)
    uploaded_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "household",
            "member",
            "member_name",
            "kind",
            "kind_label",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document: Document) -> str:
        return document_download_url(document.pk)


class DocumentUploadSerializer(serializers.Serializer):
    household = VisibleRelatedField(queryset=Household.objects.all())
    member = VisibleRelatedField(queryset=Member.objects.all(), required=False, allow_null=True)
    kind = serializers.ChoiceField(DocumentKind.choices)
    # Size, emptiness and the real content type are the service's checks.
    file = serializers.FileField(allow_empty_file=True)


class DocumentFilter(serializers.Serializer):
    project = id_filter()
    household = id_filter()
    member = id_filter()
    kind = serializers.ChoiceField(DocumentKind.choices, required=False)


@extend_schema_view(
    list=extend_schema(parameters=[DocumentFilter]),
    create=writes(DocumentUploadSerializer, DocumentSerializer, code=201),
    destroy=extend_schema(responses={204: None, 403: ErrorSerializer}),
)
class DocumentViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Uploaded documents (PDF, JPEG, PNG, judged by their bytes). Upload as
    multipart/form-data."""

    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Document]:
        return Document.objects.select_related("member", "uploaded_by").filter(
            projects_q(self.request.user, "household__project")
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DocumentUploadSerializer if self.action == "create" else DocumentSerializer

    def filter_queryset(self, queryset: QuerySet[Document]) -> QuerySet[Document]:
        if self.action != "list":
            return queryset
        filters = self.query(DocumentFilter)
        lookups = {
            "project": "household__project_id",
            "household": "household_id",
            "member": "member_id",
            "kind": "kind",
        }
        return queryset.filter(**{lookups[name]: value for name, value in filters.items()})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(DocumentUploadSerializer, request.data, request=request)
        document = services.document_upload(
            actor=request.user,
            household=data["household"],
            member=data.get("member"),
            kind=data["kind"],
            upload=data["file"],
        )
        document = self.get_queryset().get(pk=document.pk)
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Document) -> None:
        services.document_delete(actor=self.request.user, document=instance)


# ---------------------------------------------------------------------------------------
# Households


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
            "label": selectors.review_progress_label(household),
        }


class ChecklistDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document: Document) -> str:
        return document_download_url(document.pk)


class ChecklistItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(DocumentKind.choices)
    label = serializers.CharField()
    member = serializers.IntegerField(source="member_id", allow_null=True)
    member_name = serializers.CharField()
    present = serializers.BooleanField()
    documents = ChecklistDocumentSerializer(many=True)


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
        return ChecklistItemSerializer(selectors.document_checklist(household), many=True).data


class HouseholdFieldsSerializer(serializers.Serializer):
    """The household's own fields; `code` must be unique in the project."""

    code = serializers.CharField(max_length=32)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    agreement_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    demolished_area = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class HouseholdRegisterSerializer(HouseholdFieldsSerializer):
    """A new household with all its members, registered in one step."""

    project = VisibleRelatedField(queryset=Project.objects.all(), project_path="pk")
    community = VisibleRelatedField(queryset=Community.objects.all())
    group = VisibleRelatedField(queryset=VillagerGroup.objects.all())
    members = MemberInputSerializer(many=True)


class HouseholdFilter(serializers.Serializer):
    project = id_filter()
    community = id_filter()
    group = id_filter()
    status = serializers.ChoiceField(HouseholdStatus.choices, required=False)
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=(
            "Household code, a member's name, or an ID number: its start for the roles that"
            " see ID numbers in full, the whole number for the others."
        ),
    )


def household_list_queryset() -> QuerySet[Household]:
    # Only what the review progress needs, in one query for the whole page.
    progress = Prefetch(
        "members", queryset=Member.objects.only("id", "household_id", "review_status").order_by()
    )
    return selectors.household_list().prefetch_related(progress)


@extend_schema_view(
    list=extend_schema(parameters=[HouseholdFilter]),
    retrieve=extend_schema(responses=HouseholdDetailSerializer),
    create=writes(HouseholdRegisterSerializer, HouseholdDetailSerializer, code=201),
    partial_update=writes(HouseholdFieldsSerializer, HouseholdDetailSerializer),
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

    def get_queryset(self) -> QuerySet[Household]:
        return household_list_queryset().filter(projects_q(self.request.user))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return {
            "list": HouseholdSerializer,
            "create": HouseholdRegisterSerializer,
            "partial_update": HouseholdFieldsSerializer,
            "unmask": UnmaskSerializer,
        }.get(self.action, HouseholdDetailSerializer)

    def filter_queryset(self, queryset: QuerySet[Household]) -> QuerySet[Household]:
        if self.action != "list":
            return queryset
        filters = self.query(HouseholdFilter)
        lookups = {
            "project": "project_id",
            "community": "community_id",
            "group": "group_id",
            "status": "status",
        }
        queryset = queryset.filter(
            **{lookups[name]: value for name, value in filters.items() if name in lookups}
        )
        return selectors.household_search(
            queryset, filters.get("search", ""), user=self.request.user
        )

    def render(self, household_id: int, code: int = status.HTTP_200_OK) -> Response:
        try:
            household = selectors.household_detail(household_id)
        except Household.DoesNotExist:
            raise Http404 from None
        require_project(self.request.user, household.project_id)
        serializer = HouseholdDetailSerializer(household, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.render(self._pk())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(HouseholdRegisterSerializer, request.data, request=request)
        household = services.household_register(
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
        data = parsed(HouseholdFieldsSerializer, request.data, partial=True)
        services.household_update(actor=request.user, household=household, data=data)
        return self.render(household.pk)

    @writes(
        None,
        HouseholdDetailSerializer,
        summary="Approve a reviewed household",
        parameters=[OTP_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """A leader approves a household whose members are all reviewed; its resettlement
        population and entitlement area follow. Nobody who registered, entered or reviewed
        any of its members may approve it (403 `four_eyes`); a household with members still
        pending is refused (400 `not_reviewed`). With session authentication the password
        (and, with REQUIRE_2FA, a one-time code) must have been confirmed recently (403
        `reauthentication_required`); with HTTP Basic and REQUIRE_2FA the `X-OTP` header
        carries the code (403 `second_factor_required`)."""
        require_recent_authentication(request)
        household = services.household_approve(actor=request.user, household=self.get_object())
        return self.render(household.pk)

    @writes(UnmaskSerializer, HouseholdDetailSerializer, summary="See the phone in full")
    @action(detail=True, methods=["post"])
    def unmask(self, request: Request, pk: str | None = None) -> Response:
        """For a role that sees phone numbers masked: the household with `phone` in full, in
        this response only (its members' ID numbers stay masked). The written `reason` is
        required (400 `reason_required`) and recorded for the supervising office."""
        household = self.get_object()
        data = parsed(UnmaskSerializer, request.data)
        services_unmask.personal_data_unmask(
            actor=request.user, household=household, reason=data["reason"]
        )
        household = selectors.household_detail(household.pk)
        context = {**self.get_serializer_context(), "unmasked": Unmasked("phone", household)}
        return Response(HouseholdDetailSerializer(household, context=context).data)

    def _pk(self) -> int:
        try:
            return int(self.kwargs["pk"])
        except (TypeError, ValueError):
            raise Http404 from None
