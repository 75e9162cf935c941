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

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from resettlement.errors import RuleViolation, apply_errors
from resettlement.public_site import (
    LookupForm,
    normalise_lookup_code,
    over_lookup_limit,
    private,
    public_page,
    public_post,
)
from settlement.forms.defects import DefectReportForm
from settlement.selectors import defects
from settlement.services import defects as settlement_defects


def _lookup_refused(request: HttpRequest, code: str) -> HttpResponse | None:
    return over_lookup_limit(request, code, back_url=reverse("settlement-public:lookup"))


def _not_found(request: HttpRequest, form: LookupForm | None = None) -> HttpResponse:
    return private(
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
    return private(
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
        code = normalise_lookup_code(form.cleaned_data["code"])
        if refused := _lookup_refused(request, code):
            return refused
        record = defects.aftercare_record(code)
        if not record.found:
            return _not_found(request, form)
        return redirect("settlement-public:household", code=code)
    return private(render(request, "settlement/public/lookup.html", {"form": form}))


@never_cache
@require_http_methods(["GET"])
@public_page
def household(request: HttpRequest, code: str) -> HttpResponse:
    """The household's own after-care page (also the target of a link with the code)."""
    if refused := _lookup_refused(request, code):
        return refused
    record = defects.aftercare_record(normalise_lookup_code(code))
    if not record.found:
        return _not_found(request)
    return _page(request, record)


def _photo_bytes() -> int:
    return settlement_defects.MAX_DEFECT_PHOTOS * settlement_defects.defect_photo_limit()


@never_cache
@require_POST
@public_page
@public_post("defect", upload_bytes=_photo_bytes, back_url="settlement-public:lookup")
def report(request: HttpRequest, code: str) -> HttpResponse:
    """The resident reports a defect with photos (counted against the reports' limit, and
    its size checked, before the photos are read)."""
    record = defects.aftercare_record(normalise_lookup_code(code))
    if not record.found:
        # A report to an unknown code is a guess too.
        if refused := _lookup_refused(request, code):
            return refused
        return _not_found(request)
    form = DefectReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            settlement_defects.defect_report(
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
