"""The public page of the audit chain's published heads (/public/audit-heads/) and the same
list as JSON, for anyone to keep a copy that `verify_audit --heads FILE` checks the chain
against (docs/audit.md). Nothing on it is personal: sequence numbers, hashes, times."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from resettlement.audit import published_heads_document
from resettlement.models import PublishedHead
from resettlement.public_site import public_page

PAGE_SIZE = 100
# Heads are published daily and with decisions; a few minutes' delay is harmless.
MAX_AGE = 300


@require_safe
@public_page
def audit_heads(request: HttpRequest) -> HttpResponse:
    page = Paginator(PublishedHead.objects.order_by("-sequence"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    response = render(request, "public/audit_heads.html", {"page": page})
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


@require_safe
@public_page
def audit_heads_json(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(published_heads_document(), json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
