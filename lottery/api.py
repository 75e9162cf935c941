"""The lottery API (read-only): sessions with their public record, and the bundle of a
signed-off session for anyone with a role to download and verify.

Sessions change only through `lottery.services` (the console). The server secret and the
seed are never returned before sign-off; rehearsals have no downloadable bundle.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import projects_q
from lottery.models import LotterySession, SessionStatus
from resettlement.api.base import RegistryViewMixin
from resettlement.api.filters import ListFilterBackend, QueryFilter, QueryFilterSet


class LotterySessionSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    estate = serializers.SlugRelatedField(slug_field="code", read_only=True)
    communities = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    replaces = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    server_secret = serializers.SerializerMethodField(
        help_text="Revealed at sign-off (or when voided); empty before."
    )
    seed = serializers.SerializerMethodField(help_text="Revealed at sign-off; empty before.")
    # A plain string in the schema (its enum would collide with the households' `status`).
    status = serializers.CharField(
        read_only=True, help_text="committed, confirmed, drawing, signed or voided."
    )
    reveals = serializers.IntegerField(source="reveal_count", read_only=True)

    class Meta:
        model = LotterySession
        fields = [
            "code",
            "title",
            "project",
            "estate",
            "communities",
            "mode",
            "rehearsal",
            "fixed_village_order",
            "status",
            "paused",
            "algorithm",
            "commitment",
            "commitment_record",
            "public_value",
            "public_signature",
            "public_value_at",
            "participants_sha256",
            "inventory_sha256",
            "witness_entropy",
            "server_secret",
            "seed",
            "step_prefix",
            "reveals",
            "bundle_sha256",
            "created_at",
            "committed_at",
            "confirmed_at",
            "entropy_at",
            "closed_at",
            "voided_at",
            "void_reason",
            "replaces",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_server_secret(self, session: LotterySession) -> str:
        return session.revealed_secret

    @extend_schema_field(OpenApiTypes.STR)
    def get_seed(self, session: LotterySession) -> str:
        return session.revealed_seed


class LotterySessionFilterSet(QueryFilterSet):
    # The code as typed, untrimmed; an empty value is no filter (hence allow_blank).
    project = QueryFilter(
        serializers.CharField(
            required=False, allow_blank=True, trim_whitespace=False, help_text="A project's code."
        ),
        field_name="project__code",
    )


@extend_schema_view(list=extend_schema(parameters=[LotterySessionFilterSet.parameters()]))
class LotterySessionViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Lottery sessions, newest first. `?project=<code>` narrows to one project."""

    serializer_class = LotterySessionSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_backends = [ListFilterBackend]
    filterset_class = LotterySessionFilterSet

    def get_queryset(self) -> QuerySet[LotterySession]:
        return (
            LotterySession.objects.select_related("project", "estate", "replaces")
            .prefetch_related("communities")
            .annotate(reveal_count=Count("reveals"))
            .defer("participants", "inventory", "steps", "bundle")
            .order_by("-created_at")
            .filter(projects_q(self.request.user))
        )

    @extend_schema(
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        description="The verification bundle (DESIGN §5 item 9) of a signed-off, non-rehearsal "
        "session; 404 before sign-off and for rehearsals.",
    )
    @action(detail=True, methods=["get"])
    def bundle(self, request: Request, code: str | None = None) -> Response:
        session = (
            LotterySession.objects.filter(
                projects_q(request.user),
                code=code,
                status=SessionStatus.SIGNED,
                rehearsal=False,
                bundle__isnull=False,
            )
            .only("bundle", "bundle_sha256")
            .first()
        )
        if session is None:
            raise Http404
        response = Response(session.bundle)
        response["Content-Disposition"] = f'attachment; filename="{code}.json"'
        response["X-Bundle-SHA256"] = session.bundle_sha256
        return response
