"""Oversight pages, included by resettlement/urls.py under /staff/oversight/; and the staff
home (the inbox), which resettlement/urls.py mounts at /staff/ ahead of households' pages
(`home_patterns`), so that `staff:home` opens it."""

from django.urls import path

from oversight.views import dashboard, inbox, ledger, timeline

app_name = "oversight"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("export.xlsx", dashboard.dashboard_export, name="dashboard-export"),
    path("ledger/", ledger.ledger, name="ledger"),
    path("inbox/", inbox.inbox, name="inbox"),
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
    path("ledger/households/<int:pk>/", ledger.household_ledger, name="ledger-household"),
]

# /staff/ itself: the inbox. households.urls names this address `staff:home` (which pages
# link to); this name is for the crawl of every staff URL.
home_patterns = [path("", inbox.inbox, name="inbox-home")]
