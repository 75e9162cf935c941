"""Staff pages for notices: start a batch for a project (one PDF per villager group), follow
its progress and download the group PDFs, and print one household's notice on demand.

Notices carry residents' full personal data, so every page needs a login and the registry
permission, and every PDF response is marked not to be cached."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from households.access import chosen_project, projects_q, visible_projects
from households.models import Household
from publicity.forms.notices import NoticesStartForm
from publicity.models import NoticeType, RenderJob, RenderPart, RenderStatus
from publicity.selectors import rendering
from publicity.services import notices
from resettlement.errors import RuleViolation, apply_errors
from resettlement.uploads import stored_file_response

notices_permission = permission_required(notices.PERMISSION, raise_exception=True)


def _inline_pdf_response(content: bytes, filename: str) -> HttpResponse:
    """One household's notice, shown in the browser's PDF viewer (stored files go through
    resettlement.uploads.stored_file_response)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@notices_permission
@never_cache
def notices_start(request: HttpRequest) -> HttpResponse:
    """Choose a project and a notice type (GET), then the options, and start the batch."""
    projects = visible_projects(request.user)
    # With no project chosen, the newest one the user sees: the one being worked on.
    code = request.GET.get("project") or request.POST.get("project")
    project = chosen_project(request.user, code)
    notice_type = request.GET.get("type") or request.POST.get("type") or NoticeType.ALLOCATION
    if notice_type not in NoticeType.values:
        notice_type = NoticeType.ALLOCATION
    form = None
    if project is not None:
        initial = NoticesStartForm.initial_from(
            notices.default_options(project=project, notice_type=notice_type)
        )
        form = NoticesStartForm(
            request.POST or None, project=project, notice_type=notice_type, initial=initial
        )
        if request.method == "POST" and form.is_valid():
            try:
                job = notices.notices_render_start(
                    actor=request.user,
                    project=project,
                    notice_type=notice_type,
                    groups=form.groups_or_none(),
                    options=form.options(),
                )
            except RuleViolation as exc:
                apply_errors(form, exc.details, exc.message)
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("已开始生成%(type)s:%(n)d 个村民小组。")
                    % {"type": NoticeType(notice_type).label, "n": job.parts.count()},
                )
                return redirect("notices:job", pk=job.pk)
    jobs = (
        RenderJob.objects.filter(kind=RenderJob.Kind.NOTICES, project=project)
        .select_related("created_by")
        .prefetch_related("parts")[:10]
        if project
        else []
    )
    return render(
        request,
        "publicity/notices_start.html",
        {
            "projects": projects,
            "project": project,
            "notice_type": notice_type,
            "notice_types": NoticeType.choices,
            "form": form,
            "jobs": [
                (job, NoticeType(job.notice_type).label, rendering.job_progress(job))
                for job in jobs
            ],
        },
    )


@login_required
@notices_permission
@never_cache
def notices_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(
        RenderJob.objects.select_related("project", "created_by").filter(projects_q(request.user)),
        pk=pk,
        kind=RenderJob.Kind.NOTICES,
    )
    parts = list(job.parts.select_related("community", "group").order_by("label"))
    progress = rendering.job_progress(job)
    return render(
        request,
        "publicity/notices_job.html",
        {
            "job": job,
            "parts": parts,
            "progress": progress,
            "type_label": NoticeType(job.notice_type).label,
            "households": sum(part.pages for part in parts),
        },
    )


@login_required
@notices_permission
def notices_part_download(request: HttpRequest, pk: int) -> FileResponse:
    part = get_object_or_404(
        RenderPart.objects.select_related("job").filter(projects_q(request.user, "job__project")),
        pk=pk,
        job__kind=RenderJob.Kind.NOTICES,
        status=RenderStatus.DONE,
    )
    label = NoticeType(part.job.notice_type).label
    return stored_file_response(
        part.file,
        filename=f"{label}-{part.label}.pdf",
        content_type="application/pdf",
        as_attachment=True,
    )


@login_required
@notices_permission
def household_notice(request: HttpRequest, pk: int, notice_type: str) -> HttpResponse:
    """One household's notice as a PDF, with the time, place and matters of the latest
    batch of that type."""
    if notice_type not in NoticeType.values:
        raise Http404
    household = get_object_or_404(
        Household.objects.select_related("project").filter(projects_q(request.user)), pk=pk
    )
    try:
        pdf = notices.notice_pdf(actor=request.user, household=household, notice_type=notice_type)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("staff:household-detail", pk=household.pk)
    filename = f"{NoticeType(notice_type).label}-{household.code}.pdf"
    return _inline_pdf_response(pdf, filename)
