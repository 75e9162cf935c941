"""The resident's after-care pages (售后报修, no login), under /public/aftercare/.

The resident types the lookup code from their notice (as on /public/my/), sees their own
household's apartments, handover and defect tickets with the staff's answers, and reports a
new defect with photos. Every look-up by code counts against the same per-address limit as
/public/my/ ("public-lookup"), so the two pages together give no more guesses than one;
reports have their own limit. A wrong code gets a plain message, never an error page.

The page shows only the household the code belongs to; like /public/my/ it is the
household's own record (never cached, never indexed).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from publicity.forms_public import LookupForm
from publicity.selectors_public import normalise_lookup_code
from publicity.views_public import public_page
from resettlement.errors import RuleViolation

from . import selectors_handover as selectors
from . import services_handover as services
from .forms_handover import DefectReportForm, apply_errors

# Per client address; settings may override (PUBLIC_LOOKUP_RATE is shared with /public/my/).
DEFAULT_RATES = {"lookup": "10/m", "defect": "10/h"}


def _rate(action: str) -> str:
    return getattr(settings, f"PUBLIC_{action.upper()}_RATE", DEFAULT_RATES[action])


def _rate_parts(rate: str) -> tuple[int, int]:
    count, period = rate.split("/", 1)
    unit = period[-1].lower() if period[-1:].isalpha() else "s"
    multiplier = int(period.rstrip("smhdSMHD") or 1)
    return int(count), multiplier * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def _over_limit(request: HttpRequest, action: str) -> bool:
    return is_ratelimited(
        request,
        group=f"public-{action}",
        key="ip",
        rate=_rate(action),
        method=ALL,
        increment=True,
    )


def _too_many(request: HttpRequest, action: str) -> HttpResponse:
    count, seconds = _rate_parts(_rate(action))
    response = render(
        request,
        "settlement/public/too_many.html",
        {"action": action, "count": count, "minutes": max(seconds // 60, 1)},
        status=429,
    )
    response.headers["Retry-After"] = str(seconds)
    patch_cache_control(response, no_store=True)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_found(request: HttpRequest, form: LookupForm | None = None) -> HttpResponse:
    return _private(
        render(
            request,
            "settlement/public/lookup.html",
            {"form": form or LookupForm(), "not_found": True},
            status=404,
        )
    )


def _page(
    request: HttpRequest, record, *, form: DefectReportForm | None = None, status: int = 200
) -> HttpResponse:
    household = record.household
    return _private(
        render(
            request,
            "settlement/public/household.html",
            {
                "record": record,
                "code": household.lookup_code,
                "form": form or DefectReportForm(),
                "reported": request.GET.get("reported") == "1",
            },
            status=status,
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
@public_page
def lookup(request: HttpRequest) -> HttpResponse:
    """Type the code from the notice; a right code leads to the household's page."""
    form = LookupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if _over_limit(request, "lookup"):
            return _too_many(request, "lookup")
        code = normalise_lookup_code(form.cleaned_data["code"])
        record = selectors.aftercare_record(code)
        if not record.found:
            return _not_found(request, form)
        return redirect("settlement-public:household", code=code)
    return _private(render(request, "settlement/public/lookup.html", {"form": form}))


@never_cache
@require_http_methods(["GET"])
@public_page
def household(request: HttpRequest, code: str) -> HttpResponse:
    """The household's own after-care page (also the target of a link with the code)."""
    if _over_limit(request, "lookup"):
        return _too_many(request, "lookup")
    record = selectors.aftercare_record(normalise_lookup_code(code))
    if not record.found:
        return _not_found(request)
    return _page(request, record)


@never_cache
@require_POST
@public_page
def report(request: HttpRequest, code: str) -> HttpResponse:
    """The resident reports a defect with photos."""
    if _over_limit(request, "defect"):
        return _too_many(request, "defect")
    record = selectors.aftercare_record(normalise_lookup_code(code))
    if not record.found:
        # A report to an unknown code is a guess too.
        if _over_limit(request, "lookup"):
            return _too_many(request, "lookup")
        return _not_found(request)
    form = DefectReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.defect_report(
                household=record.household,
                location=form.cleaned_data["location"],
                description=form.cleaned_data["description"],
                photos=form.cleaned_data["photos"],
                actor=None,
            )
        except RuleViolation as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            url = reverse("settlement-public:household", args=[record.household.lookup_code])
            return redirect(f"{url}?reported=1#tickets")
    return _page(request, record, form=form, status=400)
