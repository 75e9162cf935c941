"""A household's timeline (办理时间线): every event of its case, printable and as a PDF.

Project-scoped (a household of a project the user may not see is "not found"); residents'
free text is masked for a user without the full personal-data view (resettlement.personal_data).
A GET writes nothing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from households.access import require_project
from households.models import Household
from oversight.selectors.timeline import Timeline, household_timeline
from resettlement.masking import Mask, mask
from resettlement.pdf import render_pdf
from resettlement.personal_data import sees_full_personal_data

timeline_view = permission_required("households.view_household", raise_exception=True)


def _timeline(request: HttpRequest, pk: int) -> Timeline:
    household = (
        Household.objects.select_related("project", "community", "group", "registered_by")
        .filter(pk=pk)
        .first()
    )
    if household is None:
        raise Http404
    require_project(request.user, household.project_id)
    timeline = household_timeline(household)
    if not sees_full_personal_data(request.user):
        # Titles carry text people typed too (a defect's location, an objection's subject).
        for event in timeline.events:
            event.title = mask(event.title, Mask.TEXT)
            event.detail = mask(event.detail, Mask.TEXT)
    return timeline


@require_safe
@login_required
@timeline_view
def household_timeline_page(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "oversight/timeline.html", {"timeline": _timeline(request, pk), "pdf": False}
    )


@require_safe
@login_required
@timeline_view
def household_timeline_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    timeline = _timeline(request, pk)
    pdf, _pages = render_pdf(
        "oversight/timeline_pdf.html", {"timeline": timeline, "printed_at": timezone.now()}
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"timeline-{timeline.household.code}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
