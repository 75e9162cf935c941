"""Staff pages of the demands, under /staff/allocation/demands/: the demand page of a project
(each approved household's entitlement and choice) with a form per household and the
leader's lock. Views parse input, call one service and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from allocation.forms.demands import DemandForm, LockForm
from allocation.models import Demand, DemandStatus
from allocation.selectors import demands as demand_selectors
from allocation.selectors import estates as estate_selectors
from allocation.services import demands as demand_services
from allocation.views._common import PAGE_SIZE
from households.access import projects_q, visible_projects
from households.models import Community, Household, VillagerGroup
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.paging import page_of

demand_view = permission_required("allocation.view_demand", raise_exception=True)


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


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
    households = demand_selectors.demand_households(
        project=project, community=community, group=group
    )
    listing = page_of(request, households, PAGE_SIZE)
    return render(
        request,
        "allocation/demand_list.html",
        {
            "project": project,
            "rows": demand_selectors.demand_rows(listing["page"].object_list),
            **listing,
            "policy": demand_services.allocation_policy_of(project),
            "summary": demand_selectors.demand_summary(project),
            "types": estate_selectors.apartment_types(project),
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
    refusal = demand_services.demand_choice_refusal(
        actor=request.user, household=household, demand=demand
    )
    if refusal is not None and refusal.code == "not_approved":
        messages.error(request, refusal.message)
        return redirect("allocation:demand-list", code=household.project.code)
    current = demand_selectors.demand_items(demand) if demand else {}
    types = estate_selectors.apartment_types(household.project)
    form = DemandForm(request.POST or None, types=types, initial_items=current)
    may_choose = refusal is None
    if request.method == "POST":
        if isinstance(refusal, NotAllowed):
            raise PermissionDenied
        if form.is_valid():
            try:
                demand_services.demand_choose(
                    actor=request.user, household=household, items=form.items()
                )
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
            "policy": demand_services.allocation_policy_of(household.project),
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
            count = demand_services.demand_lock(
                actor=request.user, project=project, households=households
            )
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
            "summary": demand_selectors.demand_summary(project),
        },
    )
