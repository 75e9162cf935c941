"""Staff pages for objections: the list of objections to answer, one objection with its
answer form, and its attachment. Answering calls
publicity.services.objections.objection_answer, which sends the household back to review
when the objection is upheld."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from households.access import projects_q, visible_projects
from households.models import Household
from publicity.forms.objections import AnswerForm
from publicity.models import Complaint, Objection, ObjectionStatus
from publicity.selectors.clearance import changed_households_by_code
from publicity.selectors.objections import answer_time_left, overdue_objections
from publicity.services import objections as services
from resettlement.errors import RuleViolation, apply_errors
from resettlement.uploads import stored_file_response


def query_param(request: HttpRequest, name: str, default: str = "") -> str:
    """A staff list's filter from the query string (also the supervising office's list).
    A NUL byte cannot reach PostgreSQL in a query parameter: it is never meaningful here."""
    return request.GET.get(name, default).replace("\x00", "").strip()


answerer = permission_required("publicity.answer_objection", raise_exception=True)


@require_safe
@login_required
@answerer
def objection_list(request: HttpRequest) -> HttpResponse:
    objections = (
        Objection.objects.select_related(
            "publication__project", "publication__community", "answered_by"
        )
        .filter(projects_q(request.user, "publication__project"))
        .order_by("filed_at", "pk")
    )
    status = query_param(request, "status", ObjectionStatus.OPEN)
    if status in ObjectionStatus.values:
        objections = objections.filter(status=status)
    project = query_param(request, "project")
    if project:
        objections = objections.filter(publication__project__code=project)
    publication = query_param(request, "publication")
    if re.fullmatch(r"[0-9]{1,12}", publication):
        objections = objections.filter(publication_id=int(publication))
    term = query_param(request, "q")
    if term:
        objections = objections.filter(
            Q(household_code__icontains=term)
            | Q(contact_name__contains=term)
            | Q(text__contains=term)
        )
    overdue_only = query_param(request, "overdue") == "1"
    if overdue_only:
        objections = overdue_objections(objections)
    page = Paginator(objections, 25).get_page(request.GET.get("page"))
    for objection in page:
        objection.answer_left = answer_time_left(objection)
    return render(
        request,
        "publicity/objection_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ObjectionStatus.choices,
            "projects": visible_projects(request.user),
            "project": project,
            "publication": publication,
            "q": term,
            "overdue_only": overdue_only,
        },
    )


def _household(objection: Objection) -> Household | None:
    if not objection.household_code:
        return None
    return Household.objects.filter(
        project_id=objection.publication.project_id, code=objection.household_code
    ).first()


@require_http_methods(["GET", "POST"])
@login_required
@answerer
def objection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(
        Objection.objects.select_related(
            "publication__project", "publication__community", "answered_by"
        ).filter(projects_q(request.user, "publication__project")),
        pk=pk,
    )
    form = AnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and objection.status == ObjectionStatus.OPEN and form.is_valid():
        try:
            objection = services.objection_answer(
                actor=request.user,
                objection=objection,
                answer=form.cleaned_data["answer"],
                upheld=form.cleaned_data["upheld"],
            )
        except RuleViolation as exc:
            apply_errors(form, exc.details, exc.message)
            messages.error(request, exc.message)
        else:
            messages.success(request, _answered_message(objection))
            return redirect("objections:detail", pk=objection.pk)
    household = _household(objection)
    changed = (
        changed_households_by_code(objection.publication.project, [household])
        if household is not None
        else {}
    )
    return render(
        request,
        "publicity/objection_detail.html",
        {
            "objection": objection,
            "household": household,
            "form": form,
            "answer_left": answer_time_left(objection),
            "changed_after": changed.get(household.code) if household is not None else None,
        },
    )


def _answered_message(objection: Objection) -> str:
    if not objection.upheld:
        return _("已答复:异议不成立。答复已在公示页面公开。")
    if objection.household_code:
        return _(
            "已答复:异议成立,安置户 %(h)s 已退回重新审核。复核并审批后,请为该公示发布新版本。"
        ) % {"h": objection.household_code}
    return _("已答复:异议成立。未指明户编号,没有退回安置户;如需更正,请为该公示发布新版本。")


@require_safe
@login_required
@answerer
def objection_attachment(request: HttpRequest, pk: int) -> FileResponse:
    objection = get_object_or_404(
        Objection.objects.filter(projects_q(request.user, "publication__project")), pk=pk
    )
    return public_attachment_response(objection, f"objection-{objection.pk}")


def public_attachment_response(record: Objection | Complaint, stem: str) -> FileResponse:
    """The file someone on the public site attached to `record`, named `stem` plus the
    extension of its checked type; 404 when there is none (or it is gone from storage)."""
    # Anyone may have uploaded it: served like every private file (never sniffed, cached or
    # run), and as a download.
    return stored_file_response(
        record.attachment,
        content_type=record.attachment_type or "application/octet-stream",
        filename=stem + services.ATTACHMENT_TYPES.get(record.attachment_type, ""),
        as_attachment=True,
    )
