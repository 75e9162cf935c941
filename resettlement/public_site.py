"""What every public (no-login) page shares: the site's language, the per-address limits that
guard the lookup codes against guessing, the page a visitor over a limit sees, and the lookup
code itself (its form and how a typed code is read).

The resident's pages of the publicity app (/public/my/) and of settlement's after-care
(/public/aftercare/) both look households up by the code printed on their notices; they count
against one limit per address ("public-lookup"), so the two together give no more guesses
than one, and against one limit per code across all addresses ("public-lookup-code",
`over_lookup_limit`): more addresses do not buy more tries at one code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

# Per client address; settings may override each (PUBLIC_LOOKUP_RATE, PUBLIC_OBJECTION_RATE,
# PUBLIC_DEFECT_RATE, PUBLIC_LOTTERY_PAGE_RATE, PUBLIC_LOTTERY_STATE_RATE,
# PUBLIC_COMPLAINT_RATE, PUBLIC_COMPLAINT_STATUS_RATE). The lottery's live page asks for the
# state every 1.5 s, 40 times a minute; a hall full of phones behind one address is why the
# state's limit is generous. A report's status is looked up with its reference and check
# code: limited like the household lookup, so neither can be guessed.
DEFAULT_RATES = {
    "lookup": "10/m",
    "objection": "5/h",
    "defect": "10/h",
    "lottery_page": "60/m",
    "lottery_state": "240/m",
    "complaint": "5/h",
    "complaint_status": "10/m",
    # Per lookup code, whatever the address (PUBLIC_LOOKUP_CODE_RATE): a household opening
    # its page a few times a day is far below it.
    "lookup_code": "30/h",
}


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page: in Simplified Chinese unless the visitor chose another language with
    the site's switch (the language cookie, `resettlement.middleware`). A page kept by a
    browser or proxy is kept per language (`Vary: Cookie`); pages kept on the server or
    answered with 304 carry the language in their key (`language_tag`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = translation.get_language()
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper


def language_tag() -> str:
    """The active language, for keys of pages kept per language (ETags, the page cache)."""
    return translation.get_language() or settings.LANGUAGE_CODE


def private(response: HttpResponse) -> HttpResponse:
    """A household's own record: never indexed (the views are never cached too)."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _rate(action: str) -> str:
    return getattr(settings, f"PUBLIC_{action.upper()}_RATE", DEFAULT_RATES[action])


def _rate_parts(rate: str) -> tuple[int, int]:
    """ "10/m" -> (10, 60): the count and the window in seconds, as django-ratelimit reads it."""
    count, period = rate.split("/", 1)
    unit = period[-1].lower() if period[-1:].isalpha() else "s"
    multiplier = int(period.rstrip("smhdSMHD") or 1)
    return int(count), multiplier * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def over_limit(request: HttpRequest, action: str, *, back_url: str = "") -> HttpResponse | None:
    """Count this request against the client's limit for `action`; over it, the page to
    answer with (429, with Retry-After and a way back to `back_url` or the public home)."""
    rate = _rate(action)
    if not is_ratelimited(
        request, group=f"public-{action}", key="ip", rate=rate, method=ALL, increment=True
    ):
        return None
    return _too_many(request, action, rate, back_url)


def over_lookup_limit(
    request: HttpRequest, code: str, *, back_url: str = ""
) -> HttpResponse | None:
    """A look-up by lookup code: counted against the client address's limit ("lookup") and,
    when that lets it through, against the code's own limit across every address
    ("lookup_code"). Over either, the page to answer with."""
    if refused := over_limit(request, "lookup", back_url=back_url):
        return refused
    rate = _rate("lookup_code")
    normal = normalise_lookup_code(code)
    if not is_ratelimited(
        request,
        group="public-lookup-code",
        key=lambda _group, _request: normal,  # django-ratelimit hashes it into the cache key
        rate=rate,
        method=ALL,
        increment=True,
    ):
        return None
    return _too_many(request, "lookup_code", rate, back_url)


def _too_many(request: HttpRequest, action: str, rate: str, back_url: str) -> HttpResponse:
    count, seconds = _rate_parts(rate)
    response = render(
        request,
        "public/too_many.html",
        {
            "action": action,
            "count": count,
            "minutes": max(seconds // 60, 1),
            "back_url": back_url,
        },
        status=429,
    )
    response.headers["Retry-After"] = str(seconds)
    patch_cache_control(response, no_store=True)
    return response


@dataclass(frozen=True)
class PublicPost:
    """What a public view that takes posts declares (see `public_post`)."""

    action: str
    upload_bytes: Callable[[], int] | None
    back_url: str


def one_attachment() -> int:
    """What a public form with one attachment (an objection, a report) may upload."""
    return settings.DOCUMENT_MAX_BYTES


def public_post(
    action: str, *, upload_bytes: Callable[[], int] | None = None, back_url: str = ""
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Declare a public view's posts: each counts against the client's limit for `action`,
    and the body may carry files of up to `upload_bytes()` in all (none when not given).
    Both are enforced by `resettlement.request_limits.RequestLimitsMiddleware` *before* the
    body is read — the CSRF check reads a form's body, and a form's files with it — so a
    client over its limit, or with too large a body, costs no parsing at all. `back_url` is
    the URL name the over-limit page links back to."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        # Decorators above this one copy the attribute along (functools.wraps).
        view.public_post = PublicPost(action, upload_bytes, back_url)
        return view

    return decorate


def normalise_lookup_code(raw: str) -> str:
    """Codes are read off paper and typed on phones: full-width characters, lower case,
    spaces and dashes are all accepted."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(ch for ch in text if ch.isalnum())[:32]


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"),
        max_length=64,
        error_messages={"required": _("请输入通知书上的查询码。")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": _("例如 ABCD-EF23-45"),
            }
        ),
    )
