"""The public side of the lottery (no login): the list of sessions, each session's page with
its commitment from the moment it was created, a live page that follows the draws, the
bundle once the notary signed, and the stand-alone verifier to check it with.

Rehearsals (演练) are never published: every page of one is a 404. Names pass through the
one masking function (`lottery.selectors.sessions.session_state(public=True)`); the bundle holds
codes only. Pages are rendered in the site's language whatever the visitor chose, like the
rest of the public site, and each client address is rate-limited.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from lottery import algorithm
from lottery.models import LotterySession, SessionStatus
from lottery.selectors import sessions as session_selectors
from lottery.views._common import screen_text
from resettlement.masking import Mask, mask
from resettlement.public_site import over_limit, public_page

VERIFIER = Path(settings.BASE_DIR) / "docs" / "verify_lottery.py"


def public_lottery(action: str) -> Callable:
    """Site language, and the client's rate limit for `action` ("page" or "state"; 429 when
    over it), through the public site's one mechanism."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @public_page
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            refused = over_limit(
                request, f"lottery_{action}", back_url=reverse("lottery-public:list")
            )
            return refused or view(request, *args, **kwargs)

        return wrapper

    return decorate


def _published(code: str) -> LotterySession:
    """A session the public may see: any but a rehearsal."""
    if "\x00" in code:
        raise Http404
    return get_object_or_404(
        LotterySession.objects.select_related("project", "estate"), code=code, rehearsal=False
    )


@require_safe
@public_lottery("page")
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = session_selectors.session_list().filter(rehearsal=False)
    return render(request, "lottery/public/session_list.html", {"sessions": sessions})


@require_safe
@never_cache
@public_lottery("page")
def session_detail(request: HttpRequest, code: str) -> HttpResponse:
    session = _published(code)
    state = session_selectors.session_state(session, public=True)
    signed = session.status == SessionStatus.SIGNED
    # The query is echoed on the page and in its pager links: an ID or phone number typed
    # into it is masked like everything else (the rows are masked, it could not match).
    query = mask(request.GET.get("q", "").strip()[:100], Mask.TEXT)
    results = _search(_results(state), query) if signed else []
    page = Paginator(results, RESULTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "lottery/public/session_detail.html",
        {
            "session": session,
            "state": state,
            "signed": signed,
            "confirmed": bool(session.confirmed_at),
            "results": page,
            "q": query,
            "replaced_by": LotterySession.objects.filter(replaces=session, rehearsal=False).first(),
            "commitment_record_json": session_selectors.commitment_record_text(session),
        },
    )


# Results a page: a session of 500 households was a 33,000-pixel page on a phone.
RESULTS_PAGE_SIZE = 50


def _results(state: dict) -> list[dict]:
    """The household reveals with what each got, in call order (masked names), numbered
    from 1: the draw's positions count the village-level reveals too (a session of two
    villages drew its first household at position 3)."""
    picks = {row["household"]: row["apartments"] for row in state.get("allocations") or []}
    picks.update({row["household"]: row["apartments"] for row in state.get("picks") or []})
    households = [r for r in state["reveals"] if r["level"] == "household"]
    return [
        {
            **r,
            "number": number,
            "apartments": picks.get(r["participant"], r.get("apartments") or []),
        }
        for number, r in enumerate(households, start=1)
    ]


def _search(results: list[dict], query: str) -> list[dict]:
    """Rows with a cell containing every word of the query (case-insensitive): the masked
    name, the villager group, the household code, an apartment."""
    words = [word.casefold() for word in query.split()]
    if not words:
        return results

    def text(row: dict) -> str:
        cells = (row.get("name"), row.get("group_name"), row["participant"], *row["apartments"])
        return " ".join(str(cell or "") for cell in cells).casefold()

    return [row for row in results if all(word in text(row) for word in words)]


@require_safe
@never_cache
@public_lottery("page")
def live(request: HttpRequest, code: str) -> HttpResponse:
    session = _published(code)
    return render(
        request,
        "lottery/public/live.html",
        {
            "session": session,
            "state": session_selectors.session_state(session, public=True),
            "text": screen_text(),
        },
    )


@require_safe
@never_cache
@public_lottery("state")
def state_json(request: HttpRequest, code: str) -> JsonResponse:
    session = _published(code)
    return JsonResponse(
        session_selectors.session_state(session, public=True),
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
@public_lottery("page")
def bundle(request: HttpRequest, code: str) -> HttpResponse:
    """The signed session's bundle: the canonical JSON bytes whose SHA-256 is the
    `bundle_sha256` on the session's page and in the notarial record."""
    session = _published(code)
    if session.status != SessionStatus.SIGNED or session.bundle is None:
        raise Http404
    response = HttpResponse(
        algorithm.canonical_json(session.bundle), content_type="application/json; charset=utf-8"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="lottery-{session.code}-bundle.json"'
    )
    # Nothing about a signed session changes.
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


@require_safe
@public_lottery("page")
def verifier(request: HttpRequest) -> FileResponse:
    """docs/verify_lottery.py, the stand-alone (standard library only) verifier."""
    try:
        handle = VERIFIER.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="text/plain; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="verify_lottery.py"'
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_safe
@never_cache
@public_lottery("page")
def verify_page(request: HttpRequest, code: str) -> HttpResponse:
    """Verify on a phone (docs/lottery.md §16): the visitor's browser downloads the signed
    bundle (or reads a file the visitor chooses) and recomputes everything itself with
    static/lottery/verify/; the server only serves the page, the words and the bundle."""
    from lottery.verify_text import verify_page_text

    session = _published(code)
    return render(
        request,
        "lottery/public/verify.html",
        {
            "session": session,
            "signed": session.status == SessionStatus.SIGNED and session.bundle is not None,
            "text": verify_page_text(),
        },
    )
