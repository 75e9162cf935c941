"""The permission class every API endpoint uses."""

from __future__ import annotations

from rest_framework import permissions


class RolePermission(permissions.DjangoModelPermissions):
    """Model permissions, with reading also requiring the `view_` permission.

    Custom actions (review, approve, …) need only read access here: the service they call
    checks the specific permission and the four-eyes rule, so those rules are written once.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) in getattr(view, "service_actions", ()):
            if not (request.user and request.user.is_authenticated):
                return False
            queryset = self._queryset(view)
            return request.user.has_perms(self.get_required_permissions("GET", queryset.model))
        return super().has_permission(request, view)
