"""The review queue (members waiting for a reviewer's finding, with the evidence of each
rule) and the approval queue (reviewed households waiting for a leader, one at a time with
审批意见 or in bulk after a confirmation naming the count). Views parse input, call
households.services.review and render; the rules live in the services."""

from __future__ import annotations

import io

import openpyxl
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST, require_safe

from households import gates
from households.access import chosen_project, projects_q, require_project, visible_projects
from households.forms import BulkApprovalForm, HouseholdApprovalForm, MemberReviewForm
from households.models import Community, Household, HouseholdStatus, Member, ReviewStatus
from households.qualification import REASON_LABELS, RULE_LABELS
from households.selectors import review as queues
from households.selectors.registration import head
from households.services import review
from resettlement import periods
from resettlement.errors import RuleViolation
from resettlement.paging import page_of
from resettlement.personal_data import shown
from resettlement.reauth import ask_to_reauthenticate, is_recently_authenticated
from resettlement.spreadsheets import export_row
from resettlement.uploads import private_file_response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 25
# A bulk approval names every household it approves on its confirmation page.
BULK_LIMIT = 500

reviewer_only = permission_required("households.review_member", raise_exception=True)
approver_only = permission_required("households.approve_household", raise_exception=True)


# -- shared -------------------------------------------------------------------------------


def _queue_context(request: HttpRequest, project, filters: queues.QueueFilters) -> dict:
    groups = project.groups.select_related("community").order_by("community__code", "code")
    if filters.community:
        groups = groups.filter(community=filters.community)
    return {
        "project": project,
        "projects": visible_projects(request.user).order_by("code"),
        "communities": Community.objects.filter(project=project).order_by("code"),
        "groups": groups,
        "rules": [(code, _(label)) for code, label in REASON_LABELS.items()],
        "filters": filters,
        "filter_query": request.GET.urlencode(),
    }


def _project_or_404(request: HttpRequest):
    project = chosen_project(
        request.user, request.GET.get("project") or request.POST.get("project")
    )
    if project is None:
        raise Http404(_("没有这个项目。"))
    return project


def _queue(request: HttpRequest, select):
    """The chosen project, the filters of the query string and the queue `select` reads
    with them (a queue page and its export show the same rows)."""
    project = _project_or_404(request)
    filters = queues.queue_filters(project, request.GET)
    return project, filters, select(project, filters, user=request.user)


def _missing_of_members(members) -> dict[int, list[str]]:
    """The missing documents of the members' households (loaded with the members)."""
    households = {m.household_id: m.household for m in members}
    return queues.households_missing_documents(households.values())


def _checks(member: Member) -> list[dict]:
    """The member's verdict, rule by rule, with the evidence behind each line."""
    return [
        {
            "passed": check.get("passed"),
            "rule": _(RULE_LABELS.get(check.get("rule", ""), check.get("rule", ""))),
            "evidence": check.get("evidence", ""),
        }
        for check in member.verdict_checks or []
    ]


def _failed(member: Member) -> str:
    codes = [c for c in member.verdict_failures.split(",") if c]
    return pgettext("list separator", "、").join(_(REASON_LABELS.get(c, c)) for c in codes)


def _blocked(gate, *args) -> str:
    """Why the user may not take this decision at all (four-eyes), so the page says so
    instead of offering a form they cannot use; "" when they may."""
    try:
        gate(*args)
    except RuleViolation as exc:
        return exc.message
    return ""


def _xlsx(title: str, header: list[str], rows: list[list], name: str) -> FileResponse:
    """A workbook download named `name`-<today>.xlsx."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(export_row(header))
    for row in rows:
        sheet.append(export_row(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return private_file_response(
        buffer.getvalue(),
        filename=f"{name}-{periods.today().isoformat()}.xlsx",
        content_type=XLSX,
        as_attachment=True,
    )


# -- the review queue ---------------------------------------------------------------------


@require_safe
@login_required
@reviewer_only
def review_queue(request: HttpRequest) -> HttpResponse:
    project, filters, members = _queue(request, queues.review_queue)
    context = {**_queue_context(request, project, filters), **page_of(request, members, PER_PAGE)}
    rows = list(context["page"])
    missing = _missing_of_members(rows)
    context["rows"] = [
        {
            "member": m,
            "checks": _checks(m),
            "missing": missing.get(m.household_id, []),
            "blocked": _blocked(gates.review_four_eyes, request.user, m.household, m),
        }
        for m in rows
    ]
    return render(request, "households/review_queue.html", context)


@require_safe
@login_required
@reviewer_only
def review_export(request: HttpRequest) -> FileResponse:
    project, filters, members = _queue(request, queues.review_queue)
    members = list(members)
    missing = _missing_of_members(members)
    rows = [
        [
            m.household.code,
            m.name,
            shown(request.user, m.id_number, "id_number", record=m),
            m.get_relation_display(),
            m.household.community.name,
            m.household.group.name,
            _("符合") if m.verdict_qualified else _("不符合"),
            _failed(m),
            "、".join(missing.get(m.household_id, [])),
        ]
        for m in members
    ]
    header = [
        _("户编号"),
        _("姓名"),
        _("身份证号"),
        _("与户主关系"),
        _("村/社区"),
        _("村民小组"),
        _("系统判定"),
        _("未通过规则"),
        _("缺少材料"),
    ]
    return _xlsx(_("待审核成员"), header, rows, f"review-{project.code}")


def _visible_member(request: HttpRequest, pk: int) -> Member:
    member = (
        Member.objects.filter(projects_q(request.user))
        .select_related("household__project", "household__community", "household__group")
        .select_related("reviewed_by")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404(_("没有这个成员。"))
    return member


@login_required
@reviewer_only
def member_review(request: HttpRequest, pk: int) -> HttpResponse:
    """One member's evidence and the reviewer's finding (GET shows, POST records)."""
    member = _visible_member(request, pk)
    form = MemberReviewForm(
        request.POST or None,
        initial={
            "decision": ReviewStatus.PASSED if member.verdict_qualified else ReviewStatus.REJECTED
        },
    )
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not back.startswith(reverse("staff:review-queue")):
        back = ""
    if request.method == "POST" and form.is_valid():
        try:
            review.member_review(
                actor=request.user,
                member=member,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
            if back:
                return redirect(back)
            for detail in exc.details or []:
                if isinstance(detail, dict) and detail.get("field") == "reason":
                    form.add_error("reason", detail.get("message"))
        else:
            messages.success(
                request,
                _("已记录对 %(m)s(%(h)s)的审核。") % {"m": member.name, "h": member.household.code},
            )
            return redirect(
                back or f"{reverse('staff:review-queue')}?project={member.project.code}"
            )
    elif request.method == "POST" and back:
        messages.error(request, _("请选择审核结果。"))
        return redirect(back)
    household = member.household
    missing = queues.households_missing_documents([household])
    return render(
        request,
        "households/member_review.html",
        {
            "blocked": _blocked(gates.review_four_eyes, request.user, household, member),
            "member": member,
            "household": household,
            "checks": _checks(member),
            "missing": missing.get(household.pk, []),
            "form": form,
            "decided": household.status == HouseholdStatus.APPROVED,
            "next": back,
        },
        status=400 if request.method == "POST" else 200,
    )


# -- household approval -------------------------------------------------------------------


@require_safe
@login_required
@approver_only
def approval_queue(request: HttpRequest) -> HttpResponse:
    project, filters, households = _queue(request, queues.approval_queue)
    context = {
        **_queue_context(request, project, filters),
        **page_of(request, households, PER_PAGE),
    }
    rows = list(context["page"])
    missing = queues.households_missing_documents(rows)
    context["rows"] = [{"household": h, "missing": missing.get(h.pk, [])} for h in rows]
    context["total"] = context["page"].paginator.count
    return render(request, "households/approval_queue.html", context)


@require_safe
@login_required
@approver_only
def approval_export(request: HttpRequest) -> FileResponse:
    project, filters, households = _queue(request, queues.approval_queue)
    households = list(households)
    missing = queues.households_missing_documents(households)
    rows = []
    for h in households:
        members = list(h.members.all())
        population, area = review.entitlement_for(h.project, members)
        rows.append(
            [
                h.code,
                h.head_name or "",
                h.community.name,
                h.group.name,
                len(members),
                population,
                area,
                sum(1 for m in members if m.review_overridden),
                "、".join(missing.get(h.pk, [])),
            ]
        )
    header = [
        _("户编号"),
        _("户主"),
        _("村/社区"),
        _("村民小组"),
        _("成员人数"),
        _("审核通过人数"),
        _("应安置面积(㎡)"),
        _("改变系统判定人数"),
        _("缺少材料"),
    ]
    return _xlsx(_("待审批安置户"), header, rows, f"approval-{project.code}")


def _visible_household(request: HttpRequest, pk: int) -> Household:
    try:
        household = queues.approval_household(projects_q(request.user), pk)
    except Household.DoesNotExist:
        raise Http404(_("没有这个安置户。")) from None
    require_project(request.user, household.project_id)
    return household


@login_required
@approver_only
def household_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """One household's members, findings, missing documents and entitlement; POST approves
    it with the 审批意见 (and the reason for approving without the missing documents)."""
    household = _visible_household(request, pk)
    form = HouseholdApprovalForm(request.POST or None)
    here = reverse("staff:household-approval", args=[household.pk])
    if request.method == "POST":
        if not is_recently_authenticated(request):
            return ask_to_reauthenticate(request, here)
        if form.is_valid():
            try:
                review.household_approve(
                    actor=request.user,
                    household=household,
                    opinion=form.cleaned_data["opinion"],
                    documents_override_reason=form.cleaned_data["documents_override_reason"],
                )
            except RuleViolation as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("已审批 %(h)s 户。") % {"h": household.code})
                return redirect(
                    f"{reverse('staff:approval-queue')}?project={household.project.code}"
                )
            household = _visible_household(request, pk)
    members = list(household.members.all())
    population, area = review.entitlement_for(household.project, members)
    missing = queues.households_missing_documents([household])
    return render(
        request,
        "households/household_approval.html",
        {
            "blocked": _blocked(gates.approval_four_eyes, request.user, household, members),
            "household": household,
            "members": [{"member": m, "checks": _checks(m)} for m in members],
            "population": population,
            "area": area,
            "missing": missing.get(household.pk, []),
            "form": form,
            "waiting": household.status == HouseholdStatus.REVIEWED,
        },
        status=200,
    )


@require_POST
@login_required
@approver_only
def approval_bulk(request: HttpRequest) -> HttpResponse:
    """Approve the chosen households in one go: the first POST shows a confirmation naming
    the count (nothing is approved); the confirmation's POST approves exactly the households
    it named, each through `household_approve`, and lists each refusal."""
    project = _project_or_404(request)
    queue_url = f"{reverse('staff:approval-queue')}?project={project.code}"
    if not is_recently_authenticated(request):
        return ask_to_reauthenticate(request, queue_url)
    form = BulkApprovalForm(request.POST)
    form.is_valid()
    opinion = form.cleaned_data.get("opinion", "")
    chosen = form.chosen
    if request.POST.get("all") == "1" and not form.cleaned_data.get("confirmed"):
        filters = queues.queue_filters(project, request.POST)
        chosen = list(
            queues.approval_queue(project, filters, user=request.user).values_list("pk", flat=True)
        )
    households = list(
        Household.objects.filter(project=project, pk__in=chosen[:BULK_LIMIT])
        .filter(projects_q(request.user))
        .select_related("community", "group")
        .annotate(head_name=head("name"))
        .order_by("code")
    )
    if not households:
        messages.error(request, _("请先选择要审批的安置户。"))
        return redirect(queue_url)
    if len(chosen) > BULK_LIMIT:
        messages.warning(
            request, _("一次最多审批 %(n)d 户,已选其中前 %(n)d 户。") % {"n": BULK_LIMIT}
        )
    if not form.cleaned_data.get("confirmed"):
        return render(
            request,
            "households/approval_confirm.html",
            {
                "project": project,
                "households": households,
                "ids": ",".join(str(h.pk) for h in households),
                "opinion": opinion,
                "count": len(households),
            },
        )
    batch = review.households_approve_many(
        actor=request.user, households=households, opinion=opinion
    )
    if batch.approved:
        messages.success(request, _("已审批 %(n)d 户。") % {"n": len(batch.approved)})
    for refusal in batch.refused:
        messages.error(request, refusal.message)
    return redirect(queue_url)
