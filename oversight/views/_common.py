"""What the oversight pages share."""

from __future__ import annotations

from django.http import HttpRequest

from households.access import chosen_project
from households.models import Project


def _project(request: HttpRequest) -> Project | None:
    """The project chosen with ?project=<code>, else the newest one; only projects the
    user may see (households.access): another one is "not found"."""
    return chosen_project(request.user, request.GET.get("project"))
