"""The house-ticket API, mounted at /api/tickets/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tickets.api import tickets

router = SimpleRouter()
router.register("tickets", tickets.TicketViewSet, basename="tickets-ticket")
router.register("purchases", tickets.PurchaseViewSet, basename="tickets-purchase")
router.register("developers", tickets.DeveloperViewSet, basename="tickets-developer")
router.register("listings", tickets.ListingViewSet, basename="tickets-listing")

urlpatterns = [path("", include(router.urls))]
