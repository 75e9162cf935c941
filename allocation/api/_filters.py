"""The allocation API's list filters, with django-filter: one FilterSet per resource.

A `ParameterFilter` parses its query parameter with a DRF serializer field (the fields every
other API input is parsed with), so a bad value is refused like any other bad input: 400
`invalid_input`, one error per parameter with the parameter as its field and DRF's message
and code. The schema documents each parameter from the same field. Filters apply to a list
only; a detail ignores the query string.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class _ParameterField(forms.Field):
    """A form field that parses its value with `parameter`, a DRF serializer field."""

    def __init__(self, *, parameter: serializers.Field, **kwargs: Any) -> None:
        self.parameter = parameter
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        if value in (None, ""):  # absent or empty: no filter, as DRF reads an optional field
            return None
        try:
            return self.parameter.run_validation(value)
        except serializers.ValidationError as exc:
            # Escaped: django-filter %-formats each message, which may quote the input.
            raise forms.ValidationError(
                [forms.ValidationError(str(e).replace("%", "%%"), code=e.code) for e in exc.detail]
            ) from None


class ParameterFilter(django_filters.Filter):
    """Rows whose `field_name` equals the query parameter, parsed by `parameter`."""

    field_class = _ParameterField

    def __init__(self, field_name: str, parameter: serializers.Field, **kwargs: Any) -> None:
        super().__init__(field_name=field_name, parameter=parameter, **kwargs)
        extend_schema_field(parameter)(self)


class ListFilterMixin:
    """A viewset whose list is filtered by its `filterset_class`."""

    filter_backends = [DjangoFilterBackend]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)
