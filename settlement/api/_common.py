"""What the agreement, handover and defect endpoints share (schema at /api/schema/).

- /agreements/ (`api.agreements`): resettlement agreements. POST issues the household's
  agreement (201), or issues it again while unsigned (200, a new text and hash);
  POST /{id}/sign/ records the signing. A signed agreement never changes: signing again is
  refused (400 already_signed).
- /handovers/ (`api.handover`): key handovers. POST records one (201); POST /{id}/correct/
  replaces a recorded one (change permission); POST /{id}/move-in/ records the move-in date.
- /defects/ (`api.defects`): after-care defect tickets. POST reports one as staff, as
  multipart/form-data with up to six JPEG/PNG `photos`; POST /{id}/answer/ answers
  (optionally closing), POST /{id}/close/ closes an answered ticket.

Each is a list of rows about households (`HouseholdRowViewSet`): filtered by project,
villager group, household and status (`HouseholdScopeFilterSet`), in a fixed number of
queries. Every write calls one function of `settlement.services.agreements`, `.handover` or
`.defects`, which checks the caller's permission and the rules; a refusal has the one error
shape of `resettlement.api.exceptions.exception_handler`, with `errors` naming the fields.
Staff API: full names. Files are never served here: `pdf_url` and photo `url` lead to the
permission-checked staff downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action

from households.access import projects_q
from households.selectors.registration import head
from resettlement.api.base import ErrorSerializer, RegistryViewMixin
from resettlement.api.filters import HouseholdScopeFilterSet, ListFilterBackend, QueryFilter

LIST_REFUSALS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
READ_REFUSALS = {403: ErrorSerializer, 404: ErrorSerializer}
WRITE_REFUSALS = {
    400: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    409: ErrorSerializer,
    415: ErrorSerializer,
}
# Any path segment reaches the view, so an id that is no number is a JSON 404 like any other.
LOOKUP = r"[^/]+"
# …while the schema says what a client should send.
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@dataclass(frozen=True)
class DatedState:
    """A row's state read from one of its dates: `states[0]` while `date_field` is empty,
    `states[1]` once it is set. Shown as `status` (`field`), filtered by `?status=`
    (`query`)."""

    component_name: str
    states: tuple[str, str]
    date_field: str

    def of(self, row: Model) -> str:
        return self.states[1] if getattr(row, self.date_field) else self.states[0]

    def field(self, help_text: str) -> serializers.Field:
        """The state, as a named enum component: as a plain enum it would be named after
        the property ("status"), which other endpoints use for other sets of values."""
        state = self

        @extend_schema_field(
            {"type": "string", "enum": list(self.states)}, component_name=self.component_name
        )
        class StateField(serializers.ReadOnlyField):
            def to_representation(self, row: Model) -> str:
                return state.of(row)

        return StateField(source="*", help_text=help_text)

    def query(self) -> QueryFilter:
        def by_state(queryset: QuerySet, name: str, value: str) -> QuerySet:
            return queryset.filter(**{f"{self.date_field}__isnull": value == self.states[0]})

        return QueryFilter(serializers.ChoiceField(self.states, required=False), method=by_state)


class HouseholdRowSerializer(serializers.Serializer):
    """Which household a row is about (shared by the three kinds of rows)."""

    project = serializers.IntegerField(source="household.project_id")
    household = serializers.IntegerField(source="household.pk")
    household_code = serializers.CharField(source="household.code")
    head_name = serializers.SerializerMethodField(help_text="The household head's full name.")
    group = serializers.IntegerField(source="household.group_id")
    group_code = serializers.CharField(source="household.group.code")
    group_name = serializers.CharField(source="household.group.name")

    def get_head_name(self, row: Any) -> str:
        return row.head_name or ""


def household_rows(
    serializer: type[serializers.Serializer], filterset: type[HouseholdScopeFilterSet]
) -> Callable[[type], type]:
    """The schema of a `HouseholdRowViewSet`'s list and detail."""
    return extend_schema_view(
        list=extend_schema(
            parameters=[filterset.parameters()],
            responses={200: serializer(many=True), **LIST_REFUSALS},
        ),
        retrieve=extend_schema(
            parameters=[ID_PARAMETER], responses={200: serializer, **READ_REFUSALS}
        ),
    )


class HouseholdRowViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Rows about households, of the projects the caller sees. A subclass's `rows()` reads
    them in order with what its serializer shows beyond `HouseholdRowSerializer`; `row_data`
    answers a write with the row as read afresh."""

    lookup_value_regex = LOOKUP
    filter_backends = [ListFilterBackend]
    filterset_class: type[HouseholdScopeFilterSet]

    def rows(self) -> QuerySet:
        raise NotImplementedError

    def _rows(self) -> QuerySet:
        return (
            self.rows()
            .select_related("household__group")
            .annotate(head_name=head(household="household"))
        )

    def get_queryset(self) -> QuerySet:
        return self._rows().filter(projects_q(self.request.user, "household__project"))

    def row_data(self, row: Model) -> dict[str, Any]:
        return self.serializer_class(self._rows().get(pk=row.pk)).data


def row_action(
    request: type[serializers.Serializer] | None,
    response: type[serializers.Serializer],
    summary: str,
    **action_kwargs: Any,
) -> Callable[[Callable], Callable]:
    """A POST on one row (/{id}/<action>/) that answers with the row: its route and schema."""

    def decorate(method: Callable) -> Callable:
        routed = action(detail=True, methods=["post"], **action_kwargs)(method)
        return extend_schema(
            request=request,
            responses={200: response, **WRITE_REFUSALS},
            summary=summary,
            parameters=[ID_PARAMETER],
        )(routed)

    return decorate
