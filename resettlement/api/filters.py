"""List filters for every app's API: a django-filter FilterSet per resource.

Each filter parses its query parameter with a DRF serializer field, so a bad value is
refused with the message and code the API's serializers give (and, through
`resettlement.api.base.RegistryViewMixin`, the one `invalid_input` body, one error per
parameter); an empty value is no filter. The same fields document the parameters in the
schema (`parameters()`, `ListFilterSchema`). Lists alone are filtered (`ListFilterBackend`):
a detail URL or an action ignores its query string.

    class DefectFilterSet(HouseholdScopeFilterSet):
        status = QueryFilter(serializers.ChoiceField(DefectStatus.choices, required=False))

    @extend_schema_view(list=extend_schema(parameters=[DefectFilterSet.parameters()]))
    class DefectViewSet(RegistryViewMixin, ...):
        filter_backends = [ListFilterBackend]
        filterset_class = DefectFilterSet

`ProjectScopeFilterSet` and `HouseholdScopeFilterSet` are the scopes most lists share.
"""

from __future__ import annotations

import copy
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiFilterExtension
from rest_framework import serializers

from resettlement.api.base import id_filter


class _QueryField(forms.Field):
    """A form field that parses its value with a DRF serializer field."""

    def __init__(self, *, serializer_field: serializers.Field, **kwargs: Any) -> None:
        self.serializer_field = serializer_field
        kwargs["required"] = False
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            return self.serializer_field.run_validation(value)
        except serializers.ValidationError as exc:
            # django-filter formats each message with its params: keep a literal "%" (the
            # input quoted in a message may hold one) from being read as a placeholder.
            raise forms.ValidationError(
                [
                    forms.ValidationError(str(detail).replace("%", "%%"), code=detail.code)
                    for detail in exc.detail
                ]
            ) from None


class QueryFilter(django_filters.Filter):
    """A filter on one query parameter, parsed by `serializer_field` (required=False); the
    lookup is `field_name` (the parameter's name by default) or the FilterSet's `method`."""

    field_class = _QueryField

    def __init__(self, serializer_field: serializers.Field, **kwargs: Any) -> None:
        self.serializer_field = serializer_field
        super().__init__(serializer_field=serializer_field, **kwargs)


def id_query(field_name: str | None = None, **kwargs: Any) -> QueryFilter:
    """A filter naming an object by id (`resettlement.api.base.id_filter`)."""
    return QueryFilter(id_filter(), field_name=field_name, **kwargs)


class QueryFilterSet(django_filters.FilterSet):
    """A FilterSet of `QueryFilter`s (see the module doc)."""

    @classmethod
    def parameters(cls) -> type[serializers.Serializer]:
        """The query parameters as a serializer, for `extend_schema(parameters=[...])`."""
        fields = {
            name: copy.deepcopy(filter_.serializer_field)
            for name, filter_ in cls.base_filters.items()
        }
        return type(cls.__name__.removesuffix("Set"), (serializers.Serializer,), fields)


class ProjectScopeFilterSet(QueryFilterSet):
    """Rows of one project (`?project=<id>`), for a model with a `project` foreign key."""

    project = id_query("project_id")


class HouseholdScopeFilterSet(QueryFilterSet):
    """Rows about households, for a model with a `household` foreign key: of one project,
    villager group or household."""

    project = id_query("household__project_id")
    group = id_query("household__group_id")
    household = id_query("household_id")


class ListFilterBackend(DjangoFilterBackend):
    """Filters lists only: a detail URL or an action (approve, review…) ignores its query
    string, as a list's filters do not apply to one object."""

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        if getattr(view, "action", None) != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)


class ListFilterSchema(OpenApiFilterExtension):
    """The schema of a `ListFilterBackend` list: its parameters are the FilterSet's serializer
    fields, documented on the view (`extend_schema(parameters=[FilterSet.parameters()])`),
    not guessed from the model as drf-spectacular does for a plain DjangoFilterBackend."""

    target_class = ListFilterBackend
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args: Any, **kwargs: Any) -> list:
        return []
