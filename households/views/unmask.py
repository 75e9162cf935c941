"""Seeing one masked number in full, on purpose and on the record, and the supervising
office's list of every such unmasking."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from households.access import projects_q
from households.forms import UnmaskForm
from households.models import (
    UnmaskRecord,
)
from households.services import unmask
from households.views.registration import _household_page, _visible_household, registry_view
from resettlement.errors import RuleViolation, apply_errors
from resettlement.personal_data import Unmasked


@never_cache
@login_required
@registry_view
@require_POST
def household_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one ID or phone number of this household in full, in this answer only, to a
    user who sees them masked; the reason is recorded (households.services.unmask)."""
    household = _visible_household(request, pk)
    form = UnmaskForm(request.POST, household=household, members=household.members.all())
    if not form.is_valid():
        messages.error(request, _("请选择要查看的一项。"))
        return _household_page(request, household, unmask_form=form, status=400)
    member = form.member()
    try:
        unmask.personal_data_unmask(
            actor=request.user,
            household=household,
            member=member,
            reason=form.cleaned_data["reason"],
        )
    except RuleViolation as exc:
        apply_errors(form, exc.details, exc.message)
        messages.error(request, exc.message)
        return _household_page(request, household, unmask_form=form, status=exc.status_code)
    messages.info(
        request,
        _("已显示完整号码,仅限本页;本次查看已记录(查看人、时间、理由),供纪检监督查阅。"),
    )
    unmasked = Unmasked("id_number", member) if member else Unmasked("phone", household)
    return _household_page(
        request,
        household,
        unmask_form=UnmaskForm(household=household, members=household.members.all()),
        unmasked=unmasked,
    )


@login_required
@permission_required("households.view_unmaskrecord", raise_exception=True)
def unmask_record_list(request: HttpRequest) -> HttpResponse:
    """For the supervising office: every unmasking, newest first, with who, when, which
    record and why."""
    records = (
        UnmaskRecord.objects.filter(projects_q(request.user))
        .select_related("project", "household", "user")
        .order_by("-unmasked_at", "-id")
    )
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(request, "households/unmask_records.html", {"page": page})
