"""The allocation API, mounted at /api/allocation/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from allocation.api import demands, estates

# SimpleRouter: the registry's router already provides the API root view.
router = SimpleRouter()
router.register("estates", estates.EstateViewSet, basename="allocation-estate")
router.register("apartments", estates.ApartmentViewSet, basename="allocation-apartment")
router.register("demands", demands.DemandViewSet, basename="allocation-demand")

urlpatterns = [path("", include(router.urls))]
