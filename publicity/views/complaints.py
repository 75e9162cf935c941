"""Reports to the supervising office (举报投诉): the public form, the receipt with the
reference and check code, the reporter's status page; and the supervising office's own pages
(list, one report with its answer and closing, its attachment), open to that role only.

The reporter's contact is shown only on the staff pages; the public status page masks it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from households.models import Project
from publicity.forms.complaints import ComplaintAnswerForm, ComplaintForm, ComplaintStatusForm
from publicity.models import Complaint, ComplaintCategory, ComplaintStatus
from publicity.selectors import public_site
from publicity.selectors.objections import answer_time_left
from publicity.services import complaints as services
from publicity.views.objections import public_attachment_response, query_param
from resettlement.errors import RuleViolation, apply_errors
from resettlement.public_site import one_attachment, private, public_page, public_post

RECEIPT_SESSION_KEY = "complaint_receipt"


def supervision_channels() -> dict[str, str]:
    """The office's other channels (seed 001: the secretary's mailbox, a public hotline)."""
    return {
        "hotline": settings.SUPERVISION_HOTLINE,
        "mailbox": settings.SUPERVISION_MAILBOX,
    }


# --- Public -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@public_page
@public_post("complaint", upload_bytes=one_attachment, back_url="public:complaint-file")
def complaint_file(request: HttpRequest) -> HttpResponse:
    form = ComplaintForm()
    if request.method == "POST":
        form = ComplaintForm(request.POST, request.FILES)
        if form.is_bot:
            # Looks accepted, so the bot learns nothing; nothing is saved.
            return redirect("public:complaint-receipt")
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint, check_code = services.complaint_file(
                    category=data["category"],
                    project=data["project"],
                    text=data["text"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    attachment=data["attachment"] or None,
                )
            except RuleViolation as exc:
                apply_errors(form, exc.details, exc.message)
            else:
                # Through the session to the receipt page, so reloading it never files the
                # report twice.
                request.session[RECEIPT_SESSION_KEY] = {
                    "reference": complaint.reference,
                    "check_code": check_code,
                }
                return redirect("public:complaint-receipt")
    return private(
        render(
            request,
            "public/complaint_form.html",
            {"form": form, "channels": supervision_channels()},
        )
    )


@never_cache
@require_safe
@public_page
def complaint_receipt(request: HttpRequest) -> HttpResponse:
    # Shown once, then forgotten: a phone is often shared in a family, and whoever opens the
    # browser next must not learn that a report was made, let alone its codes.
    receipt = request.session.pop(RECEIPT_SESSION_KEY, None)
    return private(
        render(
            request,
            "public/complaint_receipt.html",
            {"receipt": receipt, "channels": supervision_channels()},
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
@public_page
@public_post("complaint_status", back_url="public:complaint-status")
def complaint_status(request: HttpRequest) -> HttpResponse:
    form = ComplaintStatusForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "channels": supervision_channels()}
    if request.method == "POST" and form.is_valid():
        report = public_site.complaint_for_reporter(
            form.cleaned_data["reference"], form.cleaned_data["check_code"]
        )
        context.update({"looked_up": True, "report": report})
        if report is not None:
            context["form"] = ComplaintStatusForm()
    return private(render(request, "public/complaint_status.html", context))


# --- The supervising office ---------------------------------------------------------------

supervisor = permission_required("publicity.handle_complaint", raise_exception=True)


@require_safe
@login_required
@supervisor
def complaint_list(request: HttpRequest) -> HttpResponse:
    complaints = Complaint.objects.select_related("project", "answered_by").order_by(
        "filed_at", "pk"
    )
    status = query_param(request, "status", "open")
    if status == "open":
        complaints = complaints.filter(status__in=services.OPEN_STATUSES)
    elif status in ComplaintStatus.values:
        complaints = complaints.filter(status=status)
    category = query_param(request, "category")
    if category in ComplaintCategory.values:
        complaints = complaints.filter(category=category)
    project = query_param(request, "project")
    if project:
        complaints = complaints.filter(project__code=project)
    term = query_param(request, "q")[:100]
    if term:
        complaints = complaints.filter(
            Q(reference__icontains=term)
            | Q(contact_name__contains=term)
            | Q(contact_phone__contains=term)
            | Q(text__contains=term)
        )
    page = Paginator(complaints, 25).get_page(request.GET.get("page"))
    for complaint in page:
        complaint.answer_left = answer_time_left(complaint)
    return render(
        request,
        "publicity/complaint_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ComplaintStatus.choices,
            "category": category,
            "categories": ComplaintCategory.choices,
            "projects": Project.objects.order_by("code"),
            "project": project,
            "q": term,
        },
    )


def _detail(
    request: HttpRequest, complaint: Complaint, form: ComplaintAnswerForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "publicity/complaint_detail.html",
        {
            "complaint": complaint,
            "form": form,
            "open": complaint.status in services.OPEN_STATUSES,
        },
        status=status,
    )


def _complaint(pk: int) -> Complaint:
    return get_object_or_404(Complaint.objects.select_related("project", "answered_by"), pk=pk)


@require_safe
@login_required
@supervisor
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _complaint(pk), ComplaintAnswerForm())


ACTIONS = {
    "start": (services.complaint_start, gettext_lazy("已开始核查。")),
    "answer": (
        services.complaint_answer,
        gettext_lazy("已答复。举报人凭受理编号和查询密码可看到答复。"),
    ),
    "close": (services.complaint_close, gettext_lazy("已办结。")),
}


@require_POST
@login_required
@supervisor
def complaint_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    complaint = _complaint(pk)
    if action not in ACTIONS:
        raise Http404
    service, done = ACTIONS[action]
    form = ComplaintAnswerForm(request.POST)
    form.is_valid()  # only its length check; the service judges the answer
    kwargs = {"actor": request.user, "complaint": complaint}
    if action in ("answer", "close"):
        kwargs["answer"] = form.cleaned_data.get("answer", "")
    if form.errors:
        messages.error(request, _("请修改标出的内容。"))
        return _detail(request, complaint, form, status=400)
    try:
        service(**kwargs)
    except RuleViolation as exc:
        apply_errors(form, exc.details, exc.message)
        messages.error(request, exc.message)
        return _detail(request, _complaint(pk), form, status=400)
    messages.success(request, str(done))
    return redirect("complaints:detail", pk=complaint.pk)


@require_safe
@login_required
@supervisor
def complaint_attachment(request: HttpRequest, pk: int) -> FileResponse:
    complaint = get_object_or_404(Complaint, pk=pk)
    return public_attachment_response(complaint, complaint.reference)
