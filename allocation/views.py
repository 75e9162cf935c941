"""Staff pages for the housing stock and the demands, under /staff/allocation/.

Estates with their counts; an estate's floor rule, buildings and apartments; the demand page
of a project (each approved household's entitlement and choice) with a form per household and
the leader's lock; the apartment import (upload, preview of every problem, confirm), its
template and the export. Views parse input, call one service and render.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from allocation import selectors, services
from allocation.forms import ApartmentFilterForm, ApartmentImportForm, DemandForm, LockForm
from allocation.import_template import FILE_NAME, XLSX_CONTENT_TYPE, apartment_template
from allocation.models import Demand, DemandStatus, Estate
from allocation.resources import IMPORT_PERMISSION, apartments_export, apartments_import
from households.access import projects_q, require_project, visible_projects
from households.models import Community, Household, VillagerGroup
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.imports.files import check_size, format_for_name, read_roster

housing_view = permission_required("allocation.view_estate", raise_exception=True)
demand_view = permission_required("allocation.view_demand", raise_exception=True)
PAGE_SIZE = 50


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


# -- estates ------------------------------------------------------------------------------


@login_required
@housing_view
def estate_list(request: HttpRequest) -> HttpResponse:
    projects = list(visible_projects(request.user).order_by("code"))
    code = request.GET.get("project", "")
    project = next((p for p in projects if p.code == code), None)
    estates = list(selectors.estate_list(project=project).filter(projects_q(request.user)))
    counts = selectors.estate_counts(estates)
    return render(
        request,
        "allocation/estate_list.html",
        {
            "rows": [(estate, counts[estate.pk]) for estate in estates],
            "projects": projects,
            "project": project,
        },
    )


@login_required
@housing_view
def estate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        estate = selectors.estate_detail(pk)
    except Estate.DoesNotExist:
        raise Http404 from None
    require_project(request.user, estate.project_id)
    types = selectors.apartment_types(estate.project)
    form = ApartmentFilterForm(request.GET, estate=estate, types=types)
    filters = form.filters()
    apartments = selectors.apartment_list(estate=estate, **filters)
    page = Paginator(apartments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "allocation/estate_detail.html",
        {
            "estate": estate,
            "counts": selectors.estate_counts([estate])[estate.pk],
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
    )


# -- demands ------------------------------------------------------------------------------


@login_required
@demand_view
def demand_projects(request: HttpRequest) -> HttpResponse:
    projects = list(visible_projects(request.user).order_by("code"))
    if len(projects) == 1:
        return redirect("allocation:demand-list", code=projects[0].code)
    return render(request, "allocation/demand_projects.html", {"projects": projects})


@login_required
@demand_view
def demand_list(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    community = _int_param(request, "community")
    group = _int_param(request, "group")
    households = selectors.demand_households(project=project, community=community, group=group)
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "allocation/demand_list.html",
        {
            "project": project,
            "rows": selectors.demand_rows(page.object_list),
            "page": page,
            "query": query.urlencode(),
            "policy": services.allocation_policy_of(project),
            "summary": selectors.demand_summary(project),
            "types": selectors.apartment_types(project),
            "communities": Community.objects.filter(project=project).order_by("code"),
            "groups": VillagerGroup.objects.filter(project=project)
            .select_related("community")
            .order_by("community__code", "code"),
            "community": community,
            "group": group,
        },
    )


@login_required
@permission_required("allocation.view_demand", raise_exception=True)
def demand_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        Household.objects.select_related("project", "community", "group").filter(
            projects_q(request.user)
        ),
        pk=pk,
    )
    demand = (
        Demand.objects.filter(household=household).select_related("chosen_by", "locked_by").first()
    )
    refusal = services.demand_choice_refusal(actor=request.user, household=household, demand=demand)
    if refusal is not None and refusal.code == "not_approved":
        messages.error(request, refusal.message)
        return redirect("allocation:demand-list", code=household.project.code)
    current = selectors.demand_items(demand) if demand else {}
    types = selectors.apartment_types(household.project)
    form = DemandForm(request.POST or None, types=types, initial_items=current)
    may_choose = refusal is None
    if request.method == "POST":
        if isinstance(refusal, NotAllowed):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.demand_choose(actor=request.user, household=household, items=form.items())
            except RuleViolation as exc:
                form.apply_errors(exc.details, exc.message)
                messages.error(request, exc.message)
            else:
                messages.success(request, _("已保存 %(h)s 户的户型选择。") % {"h": household.code})
                url = reverse("allocation:demand-list", args=[household.project.code])
                return redirect(f"{url}?community={household.community_id}#h{household.pk}")
    return render(
        request,
        "allocation/demand_edit.html",
        {
            "household": household,
            "demand": demand,
            "locked": demand is not None and demand.status == DemandStatus.LOCKED,
            "form": form,
            "types": types,
            "policy": services.allocation_policy_of(household.project),
            "may_choose": may_choose,
        },
    )


@login_required
@permission_required("allocation.lock_demand", raise_exception=True)
def demand_lock(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    form = LockForm(request.POST or None, initial={"community": _int_param(request, "community")})
    community_id = _int_param(request, "community")
    if request.method == "POST" and form.is_valid():
        community_id = form.cleaned_data.get("community")
    community = (
        get_object_or_404(Community, pk=community_id, project=project) if community_id else None
    )
    drafts = Demand.objects.filter(project=project, status=DemandStatus.DRAFT)
    if community is not None:
        drafts = drafts.filter(household__community=community)
    if request.method == "POST" and form.is_valid():
        households = (
            Household.objects.filter(project=project, community=community)
            if community is not None
            else None
        )
        try:
            count = services.demand_lock(actor=request.user, project=project, households=households)
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已锁定 %(n)d 户的户型选择。") % {"n": count})
            url = reverse("allocation:demand-list", args=[project.code])
            return redirect(f"{url}?community={community.pk}" if community else url)
    return render(
        request,
        "allocation/demand_lock.html",
        {
            "project": project,
            "community": community,
            "form": form,
            "draft_count": drafts.count(),
            "own": list(
                drafts.filter(chosen_by=request.user)
                .order_by("household__code")
                .values_list("household__code", flat=True)[:20]
            ),
            "summary": selectors.demand_summary(project),
        },
    )


# -- import and export ----------------------------------------------------------------------

_SESSION_KEY = "allocation_import"


@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(apartment_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, FILE_NAME)
    return response


def _forget_upload(request: HttpRequest) -> None:
    pending = request.session.pop(_SESSION_KEY, None)
    if pending:
        with contextlib.suppress(OSError):
            os.remove(pending["path"])


@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def apartment_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry run (every problem by row and column, or a summary) → confirm."""
    if request.method == "POST" and request.POST.get("confirm"):
        return _import_confirm(request)
    form = ApartmentImportForm(request.POST or None, request.FILES or None, user=request.user)
    context = {"form": form, "report": None}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["import_file"]
        project = form.cleaned_data["project"]
        try:
            kind = format_for_name(upload.name)
            check_size(upload.size)
            data = upload.read()
            report = apartments_import(
                actor=request.user, project=project, dataset=read_roster(data, kind), dry_run=True
            )
        except RuleViolation as exc:
            form.add_error("import_file", exc.message)
        else:
            context["report"] = report
            context["project"] = project
            if report.ok:
                _forget_upload(request)
                handle, path = tempfile.mkstemp(prefix="allocation-import-", suffix=f".{kind}")
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                request.session[_SESSION_KEY] = {
                    "path": path,
                    "kind": kind,
                    "project": project.pk,
                    "name": upload.name[-100:],
                }
    return render(request, "allocation/apartment_import.html", context)


def _import_confirm(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(_SESSION_KEY)
    if not pending or not os.path.exists(pending["path"]):
        messages.error(request, _("上传的文件已过期,请重新上传。"))
        return redirect("allocation:apartment-import")
    project = get_object_or_404(visible_projects(request.user), pk=pending["project"])
    with open(pending["path"], "rb") as stream:
        data = stream.read()
    try:
        report = apartments_import(
            actor=request.user, project=project, dataset=read_roster(data, pending["kind"])
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("allocation:apartment-import")
    _forget_upload(request)
    if not report.ok:
        # The file changed meaning since its preview (someone imported the same rooms).
        messages.error(
            request,
            _("导入未完成,没有保存任何数据:共 %(n)d 处问题。") % {"n": len(report.problems)},
        )
        return render(
            request,
            "allocation/apartment_import.html",
            {"form": ApartmentImportForm(user=request.user), "report": report, "project": project},
        )
    messages.success(
        request,
        _("导入成功:%(a)d 套房(新建 %(b)d 栋楼、%(s)d 个单元)。")
        % {"a": report.apartments, "b": report.buildings, "s": report.stairs},
    )
    return redirect(f"{reverse('allocation:estate-list')}?project={project.code}")


@login_required
@permission_required("allocation.view_apartment", raise_exception=True)
def apartment_export(request: HttpRequest) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=request.GET.get("project", ""))
    data = apartments_export(actor=request.user, project=project).export("xlsx")
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    name = f"apartments-{project.code}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
