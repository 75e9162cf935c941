"""Serializer pieces the registry's API shares with the later stages' APIs: rows referred to
by id among the projects the caller may see, and personal data shown as the caller may see it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from households.access import projects_q
from resettlement.masking import Mask
from resettlement.personal_data import shown


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
