"""The projects imports write into.

Every import is into one project, and projects belong to an app (households) that
resettlement does not import. That app registers here, when Django starts
(`HouseholdsConfig.ready`), how to find a project by its code, which projects a user may
see, and the check that a user may work in one; the import framework calls them. Until one
is registered an import refuses to run (never skips the check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class ProjectScope:
    model: type[Model]  # has a unique `code`
    visible: Callable[[Any], QuerySet]  # visible(user): the projects `user` may see
    require_access: Callable[[Any, Any], None]  # require_access(actor, project): raises


_registered: list[ProjectScope] = []


def register(scope: ProjectScope) -> None:
    _registered[:] = [scope]


def project_scope() -> ProjectScope:
    if not _registered:
        raise ImproperlyConfigured(
            "No app registered the projects imports write into "
            "(households does, in HouseholdsConfig.ready)."
        )
    return _registered[0]
