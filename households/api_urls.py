"""The registry and review API under /api/ (schema at /api/schema/, docs at /api/docs/)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from households import api

router = DefaultRouter()
router.register("projects", api.ProjectViewSet, basename="project")
router.register("communities", api.CommunityViewSet, basename="community")
router.register("villager-groups", api.VillagerGroupViewSet, basename="villager-group")
router.register("households", api.HouseholdViewSet, basename="household")
router.register("members", api.MemberViewSet, basename="member")
router.register("documents", api.DocumentViewSet, basename="document")

urlpatterns = [path("", include(router.urls))]
