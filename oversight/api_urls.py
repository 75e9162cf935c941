"""The oversight API, mounted at /api/oversight/ (read-only: the ledger and the dashboard)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from oversight.api import dashboard, ledger

# SimpleRouter: the registry's router already provides the API root view.
router = SimpleRouter()
router.register("ledger", ledger.LedgerViewSet, basename="oversight-ledger")

urlpatterns = [
    path("dashboard/", dashboard.DashboardView.as_view(), name="oversight-dashboard"),
    path("", include(router.urls)),
]
