"""Staff pages of the housing stock, under /staff/allocation/: estates with their counts; an
estate's floor rule, buildings and apartments. Views parse input, call selectors and render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from allocation.forms.estates import ApartmentFilterForm
from allocation.models import Estate
from allocation.selectors import estates as estate_selectors
from allocation.views._common import PAGE_SIZE
from households.access import picked_project, projects_q, require_project
from resettlement.paging import page_of

housing_view = permission_required("allocation.view_estate", raise_exception=True)


@login_required
@housing_view
def estate_list(request: HttpRequest) -> HttpResponse:
    projects, project = picked_project(request)
    estates = list(estate_selectors.estate_list(project=project).filter(projects_q(request.user)))
    counts = estate_selectors.estate_counts(estates)
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
        estate = estate_selectors.estate_detail(pk)
    except Estate.DoesNotExist:
        raise Http404 from None
    require_project(request.user, estate.project_id)
    types = estate_selectors.apartment_types(estate.project)
    form = ApartmentFilterForm(request.GET, estate=estate, types=types)
    filters = form.filters()
    apartments = estate_selectors.apartment_list(estate=estate, **filters)
    listing = page_of(request, apartments, PAGE_SIZE)
    return render(
        request,
        "allocation/estate_detail.html",
        {
            "estate": estate,
            "counts": estate_selectors.estate_counts([estate])[estate.pk],
            "form": form,
            **listing,
        },
    )
