"""The apartment import (upload, preview of every problem, confirm), its template and the
export, under /staff/allocation/. Views parse input, call one service and render.
"""

from __future__ import annotations

import contextlib
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from allocation.forms.apartment_files import ApartmentImportForm
from allocation.import_template import FILE_NAME, XLSX_CONTENT_TYPE, apartment_template
from allocation.resources import IMPORT_PERMISSION, apartments_export, apartments_import
from households.access import visible_projects
from resettlement.errors import RuleViolation
from resettlement.imports.files import check_size, format_for_name, read_roster

_SESSION_KEY = "allocation_import"
# Between the preview and the confirmation the file waits in the default storage, which
# every web replica sees (a confirmation may reach another replica than the upload).
_PENDING_FOLDER = "imports/pending"


@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(apartment_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, FILE_NAME)
    return response


def _forget_upload(request: HttpRequest) -> None:
    pending = request.session.pop(_SESSION_KEY, None)
    if pending and pending["path"].startswith(f"{_PENDING_FOLDER}/"):
        with contextlib.suppress(OSError):
            default_storage.delete(pending["path"])


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
                path = default_storage.save(
                    f"{_PENDING_FOLDER}/allocation-{uuid.uuid4().hex}.{kind}", ContentFile(data)
                )
                request.session[_SESSION_KEY] = {
                    "path": path,
                    "kind": kind,
                    "project": project.pk,
                    "name": upload.name[-100:],
                }
    return render(request, "allocation/apartment_import.html", context)


def _import_confirm(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(_SESSION_KEY)
    if (
        not pending
        # A session from before the pending files moved to the storage held a local path.
        or not pending["path"].startswith(f"{_PENDING_FOLDER}/")
        or not default_storage.exists(pending["path"])
    ):
        messages.error(request, _("上传的文件已过期,请重新上传。"))
        return redirect("allocation:apartment-import")
    project = get_object_or_404(visible_projects(request.user), pk=pending["project"])
    with default_storage.open(pending["path"], "rb") as stream:
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
