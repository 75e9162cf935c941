"""Oversight pages, included by resettlement/urls.py under /staff/oversight/."""

from django.urls import path

from oversight.views import dashboard, ledger, timeline

app_name = "oversight"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("export.xlsx", dashboard.dashboard_export, name="dashboard-export"),
    path("ledger/", ledger.ledger, name="ledger"),
    path(
        "households/<int:pk>/timeline/",
        timeline.household_timeline_page,
        name="household-timeline",
    ),
    path(
        "households/<int:pk>/timeline.pdf",
        timeline.household_timeline_pdf,
        name="household-timeline-pdf",
    ),
    path("ledger/refresh/", ledger.ledger_refresh, name="ledger-refresh"),
]
