"""The allocation API, mounted at /api/allocation/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from allocation import api

# SimpleRouter: the registry's router already provides the API root view.
router = SimpleRouter()
router.register("estates", api.EstateViewSet, basename="allocation-estate")
router.register("apartments", api.ApartmentViewSet, basename="allocation-apartment")
router.register("demands", api.DemandViewSet, basename="allocation-demand")

urlpatterns = [path("", include(router.urls))]
