"""Staff pages for printing a published roster: the publication's PDF jobs with their
progress (refreshed from a small JSON endpoint), a button that starts a job, and the
finished community PDFs. Views parse input, call one service and render; the rules live in
publicity.services.rendering."""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from households.access import projects_q
from publicity.models import Publication, RenderJob, RenderPart, RenderStatus
from publicity.selectors import rendering as rendering_selectors
from publicity.services import rendering
from resettlement.errors import RuleViolation
from resettlement.uploads import private_file_response, stored_file_response

# What the staff say when printing a roster: who issues it, where to object, its language.
ROSTER_OPTIONS = ("issuer", "office", "contact", "issued_on", "language")

pdf_permission = permission_required(rendering.PERMISSION, raise_exception=True)


def _part_json(part: RenderPart) -> dict:
    return {
        "id": part.pk,
        "label": part.label,
        "status": part.status,
        "status_label": str(part.get_status_display()),
        "pages": part.pages,
        "download": reverse("publicity_pdf:part-download", args=[part.pk])
        if part.status == RenderStatus.DONE
        else None,
    }


@login_required
@pdf_permission
@never_cache
def roster_jobs(request: HttpRequest, pk: int) -> HttpResponse:
    publication = get_object_or_404(
        Publication.objects.select_related("project").filter(projects_q(request.user)), pk=pk
    )
    jobs = [
        (job, rendering_selectors.job_progress(job))
        for job in rendering_selectors.roster_jobs(publication)
    ]
    printed = (
        rendering.roster_options(publication) if publication.status in rendering.PRINTABLE else {}
    )
    return render(
        request,
        "publicity/roster_jobs.html",
        {
            "options": printed,
            # 印制语言: Chinese (the default, first) or an English copy.
            "print_languages": [
                (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
            ],
            "publication": publication,
            "jobs": jobs,
            "printable": publication.status in rendering.PRINTABLE,
        },
    )


@login_required
@pdf_permission
@require_POST
def roster_start(request: HttpRequest, pk: int) -> HttpResponse:
    publication = get_object_or_404(Publication.objects.filter(projects_q(request.user)), pk=pk)
    try:
        job = rendering.roster_render_start(
            actor=request.user,
            publication=publication,
            options={key: request.POST.get(key, "") for key in ROSTER_OPTIONS},
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已开始生成PDF:%(n)d 个村/社区,每个一份。") % {"n": len(job.parts.all())},
        )
    return redirect("publicity_pdf:jobs", pk=publication.pk)


@login_required
@pdf_permission
@require_GET
@never_cache
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Progress of one roster job: parts done out of all, and each part's state."""
    job = get_object_or_404(
        RenderJob.objects.prefetch_related("parts").filter(projects_q(request.user)),
        pk=pk,
        kind=RenderJob.Kind.ROSTER,
    )
    progress = rendering_selectors.job_progress(job)
    return JsonResponse(
        {
            "job": job.pk,
            "total": progress.total,
            "done": progress.done,
            "failed": progress.failed,
            "percent": progress.percent,
            "finished": progress.finished,
            "parts": [_part_json(part) for part in job.parts.all()],
        }
    )


@login_required
@pdf_permission
def part_download(request: HttpRequest, pk: int) -> FileResponse:
    """A finished community PDF, as an attachment from private storage."""
    try:
        part = rendering.roster_part_for_download(actor=request.user, part_id=pk)
    except RuleViolation:
        raise Http404 from None
    publication = part.job.publication
    return stored_file_response(
        part.file,
        as_attachment=True,
        filename=f"{publication.title}-v{publication.version}-{part.label}.pdf",
        content_type="application/pdf",
    )


def _flat(name: str) -> str:
    """A zip entry or download name without folders: a slash in a title or a community's
    name is written as a full-width slash, never a path."""
    return name.replace("/", "／").replace("\\", "＼")


@login_required
@pdf_permission
@require_GET
def job_zip(request: HttpRequest, pk: int) -> HttpResponse:
    """Every community PDF of a finished roster job, as one zip."""
    try:
        job, parts = rendering.roster_job_for_download(actor=request.user, job_id=pk)
    except RuleViolation:
        raise Http404 from None
    publication = job.publication
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for part in parts:
            try:
                with part.file.open("rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                raise Http404 from None
            entry = f"{publication.title}-v{publication.version}-{part.label}.pdf"
            archive.writestr(_flat(entry), data)
    return private_file_response(
        buffer.getvalue(),
        filename=_flat(f"{publication.title}-v{publication.version}.zip"),
        content_type="application/zip",
        as_attachment=True,
    )
