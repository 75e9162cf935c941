"""The settlement API, mounted at /api/settlement/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from settlement import api, api_handover

# SimpleRouter: the registry's router already provides the API root view.
router = SimpleRouter()
router.register("statements", api.StatementViewSet, basename="settlement-statement")
router.register("groups", api.GroupSettlementViewSet, basename="settlement-group")
router.register("agreements", api_handover.AgreementViewSet, basename="settlement-agreement")
router.register("handovers", api_handover.HandoverViewSet, basename="settlement-handover")
router.register("defects", api_handover.DefectViewSet, basename="settlement-defect")

urlpatterns = [path("", include(router.urls))]
