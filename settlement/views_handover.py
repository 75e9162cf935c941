"""Staff pages for agreements, key handover, moving in and defects (under /staff/settlement/).

The progress list per villager group; a household's page (its apartments, agreement with
download and signing, handover, move-in and defects); the phone form used on site to hand
over keys; the defect list, a ticket with its photos and the answer form. Views parse input,
call one service and render; a refused permission in a service is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.access import projects_q, visible_projects
from households.models import Household, VillagerGroup
from resettlement.errors import NotAllowed, RuleViolation, apply_errors
from resettlement.uploads import private_file_response
from settlement import selectors_handover as selectors
from settlement import services_handover as services
from settlement.forms_handover import (
    AgreementSignForm,
    DefectAnswerForm,
    DefectFilterForm,
    DefectReportForm,
    HandoverForm,
    MoveInForm,
)
from settlement.models import Agreement, DefectPhoto, DefectStatus, DefectTicket

PAGE_SIZE = 50
handover_view = permission_required("settlement.view_handover", raise_exception=True)
agreement_view = permission_required("settlement.view_agreement", raise_exception=True)
defect_view = permission_required("settlement.view_defectticket", raise_exception=True)


def _household(request: HttpRequest, pk: int) -> Household:
    """The household, if the user may see its project (households.access); else 404."""
    return get_object_or_404(
        Household.objects.select_related("project", "community", "group").filter(
            projects_q(request.user)
        ),
        pk=pk,
    )


def _detail_url(household: Household) -> str:
    return reverse("settlement:handover-detail", args=[household.pk])


def _agreement_pdf(agreement: Agreement, pdf: bytes) -> FileResponse:
    return private_file_response(
        pdf, filename=f"{agreement.number}.pdf", content_type="application/pdf", as_attachment=True
    )


# -- progress per group ---------------------------------------------------------------------


@login_required
@handover_view
def handover_list(request: HttpRequest) -> HttpResponse:
    projects = list(visible_projects(request.user).order_by("code"))
    code = request.GET.get("project", "")
    project = next((p for p in projects if p.code == code), None)
    if project is None and len(projects) == 1:
        project = projects[0]
    groups = list(VillagerGroup.objects.filter(project=project).order_by("code")) if project else []
    group_id = request.GET.get("group", "")
    group = next((g for g in groups if str(g.pk) == group_id), None)
    progress = selectors.project_progress(project, group=group) if project else []
    return render(
        request,
        "settlement/handover/list.html",
        {
            "projects": projects,
            "project": project,
            "groups": groups,
            "group": group,
            "progress": progress,
        },
    )


@login_required
@handover_view
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    head = selectors.head_name(household)
    return render(
        request,
        "settlement/handover/detail.html",
        {
            "household": household,
            "head": head,
            "apartments": selectors.household_apartments(household),
            "statement": selectors.statement_of(household),
            "agreement": selectors.agreement_of(household),
            "handover": selectors.handover_of(household),
            "sign_form": AgreementSignForm(initial={"signer_name": head}),
            "move_in_form": MoveInForm(),
            "defects": list(selectors.defect_list().filter(household=household)),
        },
    )


# -- agreements -----------------------------------------------------------------------------


@login_required
@agreement_view
@require_POST
def agreement_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue (or re-issue) the agreement and hand the PDF straight to the clerk to print."""
    household = _household(request, pk)
    try:
        agreement, pdf = services.agreement_issue(actor=request.user, household=household)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(household))
    return _agreement_pdf(agreement, pdf)


@login_required
@agreement_view
def agreement_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The issued text again, exactly the bytes whose hash is recorded."""
    household = _household(request, pk)
    agreement = selectors.agreement_of(household)
    if agreement is None:
        raise Http404
    pdf = services.agreement_pdf_bytes(agreement)
    if pdf is None:
        raise Http404
    return _agreement_pdf(agreement, pdf)


@login_required
@agreement_view
@require_POST
def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    agreement = selectors.agreement_of(household)
    if agreement is None:
        raise Http404
    form = AgreementSignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_detail_url(household))
    try:
        services.agreement_sign(
            actor=request.user,
            agreement=agreement,
            signed_on=form.cleaned_data["signed_on"],
            signer_name=form.cleaned_data["signer_name"],
        )
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记协议 %(n)s 的签订。") % {"n": agreement.number})
    return redirect(_detail_url(household))


# -- handover and moving in -----------------------------------------------------------------


@login_required
@handover_view
def handover_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The form used on site, on a phone, while handing over the keys."""
    household = _household(request, pk)
    handover = selectors.handover_of(household)
    initial = {"received_by": selectors.head_name(household)}
    if handover is not None:
        initial = {
            "handed_over_on": handover.handed_over_on,
            "keys": handover.keys,
            "water_reading": handover.water_reading,
            "electricity_reading": handover.electricity_reading,
            "gas_reading": handover.gas_reading if handover.gas_reading is not None else "",
            "received_by": handover.received_by,
            "signature_record": handover.signature_record,
            "correct": True,
        }
    form = HandoverForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.handover_record(
                actor=request.user,
                household=household,
                handed_over_on=data["handed_over_on"],
                keys=data["keys"],
                water_reading=data["water_reading"],
                electricity_reading=data["electricity_reading"],
                gas_reading=data["gas_reading"] or None,
                received_by=data["received_by"],
                signature_record=data["signature_record"],
                correct=data["correct"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except RuleViolation as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            return redirect(_detail_url(household))
    return render(
        request,
        "settlement/handover/record.html",
        {
            "household": household,
            "handover": handover,
            "apartments": selectors.household_apartments(household),
            "form": form,
        },
    )


@login_required
@handover_view
@require_POST
def handover_move_in(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = MoveInForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_detail_url(household))
    try:
        services.move_in_record(
            actor=request.user, household=household, moved_in_on=form.cleaned_data["moved_in_on"]
        )
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except RuleViolation as exc:
        messages.error(request, exc.message)
    return redirect(_detail_url(household))


# -- defects --------------------------------------------------------------------------------


@login_required
@defect_view
def defect_list(request: HttpRequest) -> HttpResponse:
    projects = list(visible_projects(request.user).order_by("code"))
    project = next((p for p in projects if p.code == request.GET.get("project", "")), None)
    form = DefectFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    tickets = selectors.defect_list(project=project, status=status or None).filter(
        projects_q(request.user, "household__project")
    )
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "settlement/handover/defect_list.html",
        {
            "form": form,
            "projects": projects,
            "project": project,
            "status": status,
            "statuses": DefectStatus.choices,
            "page": page,
            "query": query.urlencode(),
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
            services.defect_answer(
                actor=request.user,
                ticket=ticket,
                answer=form.cleaned_data["answer"],
                close=form.cleaned_data["close"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except RuleViolation as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            return redirect("settlement:defect-detail", pk=ticket.pk)
    return render(
        request,
        "settlement/handover/defect_detail.html",
        {
            "ticket": ticket,
            "photos": list(ticket.photos.all()),
            "form": form,
            "time_to_close": selectors.duration_text(selectors.time_to_close(ticket)),
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
        services.defect_close(actor=request.user, ticket=ticket)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except RuleViolation as exc:
        messages.error(request, exc.message)
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
    if photo.content_type not in services.DEFECT_PHOTO_TYPES:
        raise Http404
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = ".png" if photo.content_type == "image/png" else ".jpg"
    return private_file_response(
        handle,
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
            ticket = services.defect_report(
                actor=request.user,
                household=household,
                location=form.cleaned_data["location"],
                description=form.cleaned_data["description"],
                photos=form.cleaned_data["photos"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except RuleViolation as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            return redirect("settlement:defect-detail", pk=ticket.pk)
    return render(
        request,
        "settlement/handover/defect_report.html",
        {"household": household, "form": form},
    )
