"""A household's documents: upload, list, delete, and the checklist rows of a household."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import projects_q
from households.api.fields import VisibleRelatedField
from households.models import (
    Document,
    DocumentKind,
    Household,
    Member,
)
from households.services import documents as households_documents
from resettlement.api.base import (
    ErrorSerializer,
    RegistryViewMixin,
    UserRefSerializer,
    parsed,
    writes,
)
from resettlement.api.filters import ListFilterBackend, QueryFilter, QueryFilterSet, id_query


def document_download_url(document_id: int) -> str:
    """Files are never linked directly: the staff view checks the caller's permission."""
    return reverse("staff:document-download", args=[document_id])


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


class DocumentFilterSet(QueryFilterSet):
    project = id_query("household__project_id")
    household = id_query("household_id")
    member = id_query("member_id")
    kind = QueryFilter(serializers.ChoiceField(DocumentKind.choices, required=False))


@extend_schema_view(
    list=extend_schema(parameters=[DocumentFilterSet.parameters()]),
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
    filter_backends = [ListFilterBackend]
    filterset_class = DocumentFilterSet

    def get_queryset(self) -> QuerySet[Document]:
        return Document.objects.select_related("member", "uploaded_by").filter(
            projects_q(self.request.user, "household__project")
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DocumentUploadSerializer if self.action == "create" else DocumentSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(DocumentUploadSerializer, request.data, request=request)
        document = households_documents.document_upload(
            actor=request.user,
            household=data["household"],
            member=data.get("member"),
            kind=data["kind"],
            upload=data["file"],
        )
        document = self.get_queryset().get(pk=document.pk)
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Document) -> None:
        households_documents.document_delete(actor=self.request.user, document=instance)


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
