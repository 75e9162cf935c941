"""One page of a staff list, for every app's list views."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest


def page_of(request: HttpRequest, items: Any, per_page: int) -> dict[str, Any]:
    """The context a paged list needs: `page`, the page of `items` the request asks for
    (?page=, the last one when past the end), and `query`, the request's other query
    parameters, for the links to other pages."""
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": Paginator(items, per_page).get_page(request.GET.get("page")),
        "query": query.urlencode(),
    }
