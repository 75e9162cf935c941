"""The settlement API, mounted at /api/settlement/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api

# SimpleRouter: the registry's router already provides the API root view.
router = SimpleRouter()
router.register("statements", api.StatementViewSet, basename="settlement-statement")
router.register("groups", api.GroupSettlementViewSet, basename="settlement-group")

urlpatterns = [path("", include(router.urls))]
