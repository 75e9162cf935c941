"""The staff defect pages: the list, a ticket with its answer, closing it, its photos, and
reporting one for a household."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from households.access import picked_project, projects_q
from resettlement.errors import RuleViolation
from resettlement.paging import page_of
from resettlement.uploads import stored_file_response
from settlement.forms.defects import DefectAnswerForm, DefectFilterForm, DefectReportForm
from settlement.models import DefectPhoto, DefectStatus, DefectTicket
from settlement.selectors import defects
from settlement.services import defects as settlement_defects
from settlement.views._common import _household, refuse_as_message, refuse_on_form

PAGE_SIZE = 50
defect_view = permission_required("settlement.view_defectticket", raise_exception=True)


# -- defects --------------------------------------------------------------------------------


@login_required
@defect_view
def defect_list(request: HttpRequest) -> HttpResponse:
    projects, project = picked_project(request)
    form = DefectFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    tickets = defects.defect_list(project=project, status=status or None).filter(
        projects_q(request.user, "household__project")
    )
    listing = page_of(request, tickets, PAGE_SIZE)
    return render(
        request,
        "settlement/handover/defect_list.html",
        {
            "form": form,
            "projects": projects,
            "project": project,
            "status": status,
            "statuses": DefectStatus.choices,
            **listing,
        },
    )


@login_required
@defect_view
def defect_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(
        DefectTicket.objects.select_related(
            "household__project",
            "household__community",
            "household__group",
            "apartment",
            "reported_by",
            "answered_by",
        ).filter(projects_q(request.user, "household__project")),
        pk=pk,
    )
    form = DefectAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            settlement_defects.defect_answer(
                actor=request.user,
                ticket=ticket,
                answer=form.cleaned_data["answer"],
                close=form.cleaned_data["close"],
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            return redirect("settlement:defect-detail", pk=ticket.pk)
    return render(
        request,
        "settlement/handover/defect_detail.html",
        {
            "ticket": ticket,
            "photos": list(ticket.photos.all()),
            "form": form,
            "time_to_close": defects.duration_text(defects.time_to_close(ticket)),
        },
    )


@login_required
@defect_view
@require_POST
def defect_close(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(
        DefectTicket.objects.filter(projects_q(request.user, "household__project")), pk=pk
    )
    try:
        settlement_defects.defect_close(actor=request.user, ticket=ticket)
    except RuleViolation as exc:
        refuse_as_message(request, exc)
    return redirect("settlement:defect-detail", pk=ticket.pk)


@login_required
@permission_required("settlement.view_defectphoto", raise_exception=True)
def defect_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A defect photo, shown inline as the image it was verified to be (JPEG or PNG only),
    with nosniff and a sandboxing CSP: the browser never runs or reinterprets it."""
    photo = get_object_or_404(
        DefectPhoto.objects.select_related("ticket__household").filter(
            projects_q(request.user, "ticket__household__project")
        ),
        pk=pk,
    )
    if photo.content_type not in settlement_defects.DEFECT_PHOTO_TYPES:
        raise Http404
    extension = ".png" if photo.content_type == "image/png" else ".jpg"
    return stored_file_response(
        photo.file,
        filename=f"{photo.ticket.household.code}-{photo.ticket_id}-{photo.pk}{extension}",
        content_type=photo.content_type,
        as_attachment=False,
    )


@login_required
@defect_view
def defect_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff record a defect for a household (e.g. at a door-to-door visit)."""
    household = _household(request, pk)
    form = DefectReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = settlement_defects.defect_report(
                actor=request.user,
                household=household,
                location=form.cleaned_data["location"],
                description=form.cleaned_data["description"],
                photos=form.cleaned_data["photos"],
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            return redirect("settlement:defect-detail", pk=ticket.pk)
    return render(
        request,
        "settlement/handover/defect_report.html",
        {"household": household, "form": form},
    )
