"""The handover pages: progress per villager group, a household's handover page, and
recording the keys and the move-in date."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from households.access import picked_project
from households.models import Household
from households.stages import stage_of
from resettlement.errors import RuleViolation
from resettlement.paging import page_of
from settlement.forms.agreements import AgreementSignForm
from settlement.forms.handover import HandoverForm, MoveInForm
from settlement.selectors import defects
from settlement.selectors import handover as handover_selectors
from settlement.services import handover as settlement_handover
from settlement.views._common import (
    _household,
    form_errors_as_messages,
    refuse_as_message,
    refuse_on_form,
)

handover_view = permission_required("settlement.view_handover", raise_exception=True)

PAGE_SIZE = 50  # households per page of the progress table, as the other staff lists


def _detail_url(household: Household) -> str:
    return reverse("settlement:handover-detail", args=[household.pk])


# -- progress per group ---------------------------------------------------------------------


@login_required
@handover_view
def handover_list(request: HttpRequest) -> HttpResponse:
    projects, project = picked_project(request)
    if project is None and len(projects) == 1:
        project = projects[0]
    groups = handover_selectors.group_choices(project) if project else []
    group_id = request.GET.get("group", "")
    group = next((g for g in groups if str(g.pk) == group_id), None)
    context = {"projects": projects, "project": project, "groups": groups, "group": group}
    if project is not None:
        # A page of households at a time; each group's counts are over all its households.
        listing = page_of(
            request, handover_selectors.progress_households(project, group=group), PAGE_SIZE
        )
        counts = handover_selectors.group_counts(project, group=group)
        context |= {
            **listing,
            "progress": handover_selectors.project_progress(listing["page"].object_list, counts),
        }
    return render(request, "settlement/handover/list.html", context)


@login_required
@handover_view
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    head = handover_selectors.head_name(household)
    return render(
        request,
        "settlement/handover/detail.html",
        {
            "household": household,
            "stage": stage_of(household),
            "head": head,
            "apartments": handover_selectors.household_apartments(household),
            "statement": handover_selectors.statement_of(household),
            "agreement": handover_selectors.agreement_of(household),
            "handover": handover_selectors.handover_of(household),
            "sign_form": AgreementSignForm(initial={"signer_name": head}),
            "move_in_form": MoveInForm(),
            "defects": list(defects.defect_list().filter(household=household)),
        },
    )


# -- handover and moving in -----------------------------------------------------------------


@login_required
@handover_view
def handover_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The form used on site, on a phone, while handing over the keys."""
    household = _household(request, pk)
    handover = handover_selectors.handover_of(household)
    initial = {"received_by": handover_selectors.head_name(household)}
    if handover is not None:
        initial = {
            "handed_over_on": handover.handed_over_on,
            "keys": handover.keys,
            "water_reading": handover.water_reading,
            "electricity_reading": handover.electricity_reading,
            "gas_reading": handover.gas_reading if handover.gas_reading is not None else "",
            "received_by": handover.received_by,
            "signature_record": handover.signature_record,
            "correct": True,
        }
    form = HandoverForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            settlement_handover.handover_record(
                actor=request.user,
                household=household,
                handed_over_on=data["handed_over_on"],
                keys=data["keys"],
                water_reading=data["water_reading"],
                electricity_reading=data["electricity_reading"],
                gas_reading=data["gas_reading"] or None,
                received_by=data["received_by"],
                signature_record=data["signature_record"],
                correct=data["correct"],
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            return redirect(_detail_url(household))
    return render(
        request,
        "settlement/handover/record.html",
        {
            "household": household,
            "handover": handover,
            "apartments": handover_selectors.household_apartments(household),
            "form": form,
        },
    )


@login_required
@handover_view
@require_POST
def handover_move_in(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = MoveInForm(request.POST)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return redirect(_detail_url(household))
    try:
        settlement_handover.move_in_record(
            actor=request.user, household=household, moved_in_on=form.cleaned_data["moved_in_on"]
        )
    except RuleViolation as exc:
        refuse_as_message(request, exc)
    return redirect(_detail_url(household))
