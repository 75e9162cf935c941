"""The staff side of publicity: list a project's publications, create a draft, preview it
masked exactly as it will be published, publish (leaders), withdraw with a public reason,
start a new version after a correction; and the overview of every community's progress.

Views parse input, call one service and render; the rules live in publicity.services and a
RuleViolation comes back to the user as a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.access import projects_q, requested_project, visible_projects
from publicity.forms.publications import (
    PublicationCreateForm,
    PublicationFilterForm,
    WithdrawForm,
    default_days_by_kind,
)
from publicity.models import ObjectionStatus, Publication, PublicationStatus
from publicity.selectors import clearance
from publicity.selectors.overview import STAGES, project_overview
from publicity.selectors.public_site import with_correction
from publicity.services import publications as services
from publicity.snapshot import frozen_rows
from resettlement import publicity_kinds
from resettlement.errors import RuleViolation
from resettlement.reauth import recent_authentication_required

# The staff objection pages (publicity.views.objections) answer objections; linked by path
# so these pages do not depend on how that module names its URLs.
OBJECTIONS_PATH = "/staff/objections/"
ROWS_PER_PAGE = 100

publicity_view = permission_required("publicity.view_publication", raise_exception=True)


@login_required
@publicity_view
def publication_list(request: HttpRequest) -> HttpResponse:
    project = requested_project(request)
    if project is None:
        return render(request, "publicity/publication_list.html", {"project": None})
    filters = PublicationFilterForm(request.GET, project=project)
    publications = filters.filtered(
        with_correction(Publication.objects.filter(project=project))
        # The snapshot can hold tens of thousands of rows; the list needs none of them.
        .defer("rows", "columns")
        .select_related("community")
        .annotate(
            objections_open=Count("objections", filter=Q(objections__status=ObjectionStatus.OPEN)),
            objections_total=Count("objections"),
            superseded=Exists(Publication.objects.filter(previous=OuterRef("pk"))),
        )
        .order_by("kind", "community__code", "-version")
    )
    page = Paginator(publications, 50).get_page(request.GET.get("page"))
    for publication in page:
        publication.kind_label = publicity_kinds.label_of(publication.kind)
    return render(
        request,
        "publicity/publication_list.html",
        {
            "project": project,
            "projects": visible_projects(request.user).order_by("code"),
            "filters": filters,
            "page": page,
        },
    )


@login_required
@permission_required("publicity.add_publication", raise_exception=True)
def publication_create(request: HttpRequest) -> HttpResponse:
    project = requested_project(request)
    if project is None:
        messages.error(request, _("还没有项目。请先在后台创建项目。"))
        return redirect("publicity_staff:publication-list")
    form = PublicationCreateForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            publication = services.publication_create(
                actor=request.user,
                project=project,
                kind=data["kind"],
                title=data["title"],
                community=data["community"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                mask_names=data["mask_names"],
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已创建公示草稿。请核对预览内容后发布。"))
            return redirect("publicity_staff:publication-detail", pk=publication.pk)
    return render(
        request,
        "publicity/publication_create.html",
        {
            "form": form,
            "project": project,
            "projects": visible_projects(request.user).order_by("code"),
            "default_days": default_days_by_kind(project),
        },
    )


def _rows_for(publication: Publication) -> tuple[list[str], list[list[str]]]:
    """Column labels and rows as the public sees them: a published snapshot as frozen; a
    draft's rows as publishing would freeze them right now (same masking function)."""
    if publication.status != PublicationStatus.DRAFT:
        return publication.columns, publication.rows
    return frozen_rows(publication)


def _matching(rows: list[list[str]], term: str) -> list[list[str]]:
    if not term:
        return rows
    return [row for row in rows if any(term in str(cell) for cell in row)]


@login_required
@publicity_view
def publication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    publication = get_object_or_404(
        Publication.objects.select_related(
            "project", "community", "created_by", "published_by", "previous"
        ).filter(projects_q(request.user)),
        pk=pk,
    )
    try:
        columns, rows = _rows_for(publication)
    except KeyError:  # a kind no longer registered: nothing to preview
        columns, rows = [], []
        messages.error(request, _("未知的公示类型:%(k)s") % {"k": publication.kind})
    term = request.GET.get("q", "").strip()
    page = Paginator(_matching(rows, term), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    objections = publication.objections.order_by("-filed_at")
    counts = objections.aggregate(
        open=Count("id", filter=Q(status=ObjectionStatus.OPEN)),
        answered=Count("id", filter=Q(status=ObjectionStatus.ANSWERED)),
        upheld=Count("id", filter=Q(upheld=True)),
    )
    next_version = (
        Publication.objects.filter(previous=publication).only("pk", "version", "status").first()
    )
    changed = (
        clearance.changed_since(publication, clearance.household_codes_of(publication, rows))
        # (a version already corrected by a published one points there instead)
        if publication.status in (PublicationStatus.PUBLISHED, PublicationStatus.CLOSED)
        and (next_version is None or next_version.status == PublicationStatus.DRAFT)
        else []
    )
    user = request.user
    is_draft = publication.status == PublicationStatus.DRAFT
    return render(
        request,
        "publicity/publication_detail.html",
        {
            "publication": publication,
            "kind_label": publicity_kinds.label_of(publication.kind),
            "columns": columns,
            "page": page,
            "total_rows": len(rows),
            "q": term,
            "objections": objections[:10],
            "objection_counts": counts,
            "objections_url": f"{OBJECTIONS_PATH}?publication={publication.pk}",
            "next_version": next_version,
            "can_publish": services.can_publish(user, publication),
            "drafted_by_you": is_draft and services.is_drafter(user, publication),
            "can_withdraw": publication.status == PublicationStatus.PUBLISHED
            and user.has_perm("publicity.publish_publication"),
            "can_new_version": not is_draft
            and next_version is None
            and user.has_perm("publicity.add_publication"),
            "withdraw_form": WithdrawForm(),
            "changed_households": changed,
        },
    )


def _act(request: HttpRequest, pk: int, action, success: str, **kwargs: Any) -> HttpResponse:
    """Run one service on a publication; a rule violation becomes a message."""
    publication = get_object_or_404(
        Publication.objects.defer("rows").filter(projects_q(request.user)), pk=pk
    )
    try:
        result = action(actor=request.user, publication=publication, **kwargs)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("publicity_staff:publication-detail", pk=pk)
    messages.success(request, success)
    return redirect("publicity_staff:publication-detail", pk=result.pk)


@login_required
@require_POST
@permission_required("publicity.publish_publication", raise_exception=True)
@recent_authentication_required("publicity_staff:publication-detail")
def publication_publish(request: HttpRequest, pk: int) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("请先勾选确认已核对公示内容,再发布。"))
        return redirect("publicity_staff:publication-detail", pk=pk)
    return _act(
        request,
        pk,
        services.publication_publish,
        _("公示已发布。内容已冻结,不能再修改;如需更正请发布新版本。"),
    )


@login_required
@require_POST
@permission_required("publicity.publish_publication", raise_exception=True)
def publication_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    form = WithdrawForm(request.POST)
    if not form.is_valid():  # too long; an empty reason is the service's to refuse
        messages.error(request, "; ".join(form.errors["reason"]))
        return redirect("publicity_staff:publication-detail", pk=pk)
    return _act(
        request,
        pk,
        services.publication_withdraw,
        _("公示已撤回,撤回理由将公开显示。"),
        reason=form.cleaned_data["reason"],
    )


@login_required
@require_POST
@permission_required("publicity.add_publication", raise_exception=True)
def publication_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        services.publication_new_version,
        _("已创建新版本草稿。预览中是更正后的内容;核对后发布,旧版本将自动结束公示。"),
    )


@login_required
@permission_required("households.view_household", raise_exception=True)
def overview(request: HttpRequest) -> HttpResponse:
    project = requested_project(request)
    return render(
        request,
        "publicity/overview.html",
        {
            "overview": project_overview(project) if project else None,
            "projects": visible_projects(request.user).order_by("code"),
            "project": project,
            "objections_url": OBJECTIONS_PATH,
            "stages": STAGES,
        },
    )
