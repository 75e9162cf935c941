"""Household receipts on the public site (docs/lottery.md §17): the phone page that checks a
receipt against the session's published Merkle root, and that root as a small JSON document.

The receipt travels in the page's URL fragment, which browsers never send to a server: the
page's script (static/lottery/verify/receipt.js) reads it and does all the hashing itself,
with the root this page carries; it never downloads the bundle.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from lottery.receipt_text import receipt_page_text
from lottery.selectors.receipts import session_merkle_root, session_tree
from lottery.views.public import _published, public_lottery


@require_safe
@never_cache
@public_lottery("page")
def receipt_page(request: HttpRequest, code: str) -> HttpResponse:
    session = _published(code)
    tree = session_tree(session)
    return render(
        request,
        "lottery/public/receipt.html",
        {
            "session": session,
            "merkle_root": session_merkle_root(session),
            "rows": len(tree.rows) if tree else 0,
            "text": receipt_page_text(),
        },
    )


@require_safe
@public_lottery("state")
def merkle_json(request: HttpRequest, code: str) -> JsonResponse:
    """The root a receipt is checked against, with what it stands for; 404 before signing."""
    session = _published(code)
    tree = session_tree(session)
    if tree is None:
        return JsonResponse({"session": session.code, "merkle_root": None}, status=404)
    response = JsonResponse(
        {
            "session": session.code,
            "merkle_root": session_merkle_root(session),
            "rows": len(tree.rows),
            "in_bundle": "merkle_root" in session.bundle,
            "bundle_sha256": session.bundle_sha256,
        }
    )
    patch_cache_control(response, public=True, max_age=24 * 3600)  # a signed session is final
    return response
