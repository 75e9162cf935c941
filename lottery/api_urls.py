"""The lottery API under /api/lottery/ (read-only; sessions change through the console)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from lottery import api

router = DefaultRouter()
router.register("sessions", api.LotterySessionViewSet, basename="lottery-session")

urlpatterns = [path("", include(router.urls))]
